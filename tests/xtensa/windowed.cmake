# tests/xtensa/windowed.cmake - the windowed ABI (as on the ESP32) end to end,
# with Debian's only Xtensa toolchain (included by CMakeLists.txt).
#
# xtensa-lx106-elf-gcc -mabi=windowed emits the windowed ABI, but the lx106
# assembler has no windowed-register option: winasm.py rewrites ENTRY, RETW,
# CALLn and CALLXn as their bytes (gcc -S, winasm.py, as --abi-windowed).
# lx106 is not a windowed core, so the runs use qemu-xtensa -cpu dc233c,
# a windowed LX core that executes the lx106 instruction set the code uses.
#
# windowed.spill.xtensa        winspill.s: qemu-xtensa user mode spills and
#                              reloads call4, call8 and call12 windows
# run.windowed-<v>.xtensa      testmod compiled windowed, packed, loaded and
#                              run by the harness built windowed the same way
#                              (xtfw-windowed.elf) under -cpu dc233c: the same
#                              checks as the call0 runs
# corrupt.windowed-<v>.xtensa  every byte flipped, as for call0
# diff.xtensa                  rows windowed-*: the differential test
# reject.windowed_*.xtensa     direct CALL8 to an import refused; the image
#                              says windowed (reject.sh)
# run.llvm-esp32-<v>.xtensa    testmod compiled by LLVM's Xtensa backend for
#                              the esp32 CPU (clang-22, llc-22), run as above
#
# Variants "-direct" keep the module's calls to its own functions direct
# CALL8 (winasm.py --direct-calls=local, then call8fix.py; see winasm.py):
# modpack checks their targets and leaves them as they are.

find_package(Python3 COMPONENTS Interpreter)
find_program(XTENSA_AS xtensa-lx106-elf-as)
if(NOT Python3_Interpreter_FOUND OR NOT XTENSA_AS)
  message(VERBOSE "tests/xtensa: python3 or xtensa-lx106-elf-as not found; windowed Xtensa tests skipped")
  return()
endif()

set(WINASM ${XT_DIR}/winasm.py)
set(CALL8FIX ${XT_DIR}/call8fix.py)
set(wout ${CMAKE_CURRENT_BINARY_DIR}/windowed)
file(MAKE_DIRECTORY ${wout})

# xt_windowed_object(OUT SRC WINASM_OPTS DEPS FLAGS...): compile SRC to
# assembly, rewrite it for the lx106 assembler, assemble it windowed.
# WINASM_OPTS and DEPS are ;-lists (may be empty strings).
function(xt_windowed_object out src winasm_opts deps)
  add_custom_command(OUTPUT ${out}
    COMMAND ${XTENSA_GCC} -mabi=windowed -mlongcalls ${ARGN} -S ${src} -o ${out}.s
    COMMAND Python3::Interpreter ${WINASM} ${winasm_opts} ${out}.s ${out}.t.s
    COMMAND ${XTENSA_AS} --abi-windowed ${out}.t.s -o ${out}
    DEPENDS ${src} ${deps} ${WINASM} VERBATIM)
endfunction()

# ---- the harness, windowed -----------------------------------------------------
set(hdrs ${PROJECT_SOURCE_DIR}/include/modload.h ${PROJECT_SOURCE_DIR}/include/modformat.h
         ${PROJECT_SOURCE_DIR}/src/modload/modload_internal.h)
set(fw_objs "")
foreach(src IN LISTS MODLOAD_SOURCES)
  get_filename_component(n ${src} NAME_WE)
  xt_windowed_object(${wout}/modload-${n}.o ${src} "" "${hdrs}"
    -std=c99 -pedantic -Wall -Wextra -Werror -ffreestanding -Os -I${PROJECT_SOURCE_DIR}/include)
  list(APPEND fw_objs ${wout}/modload-${n}.o)
endforeach()
set(fw_hdrs ${hdrs} ${FW_COMMON_DIR}/fwutil.h ${XT_FW_DIR}/semihost.h ${XT_FW_DIR}/xtlinux.h
            ${TESTS_HARNESS_DIR}/testapi.h ${XT_DIR}/testfw_arch.h)
foreach(src IN LISTS fw_srcs ITEMS ${XT_DIR}/winlibgcc.c)
  get_filename_component(n ${src} NAME_WE)
  xt_windowed_object(${wout}/fw-${n}.o ${src} "" "${fw_hdrs}"
    -std=c11 -O1 -g -Wall -Wextra -Werror -ffreestanding -fno-tree-loop-distribute-patterns
    "-DFW_BOARD=\"xtensa-windowed\"" -I${PROJECT_SOURCE_DIR}/include -I${XT_FW_DIR}
    -I${FW_COMMON_DIR} -I${XT_DIR} -I${TESTS_HARNESS_DIR})
  list(APPEND fw_objs ${wout}/fw-${n}.o)
endforeach()
# no -lgcc: it is call0 code (winlibgcc.c stands in for it)
set(xt_wfw ${CMAKE_CURRENT_BINARY_DIR}/xtfw-windowed.elf)
add_custom_command(OUTPUT ${xt_wfw}
  COMMAND ${XTENSA_GCC} -nostdlib -static ${fw_objs} -o ${xt_wfw}
  DEPENDS ${fw_objs} COMMENT "Xtensa test firmware, windowed ABI" VERBATIM)

# winlibgcc for the modules (the harness exports the ROM division helpers)
xt_windowed_object(${wout}/winlibgcc.o ${XT_DIR}/winlibgcc.c "" "" -Os -ffreestanding -Wall -Wextra)

# ---- modules ---------------------------------------------------------------------
# name flags...: --direct-calls=* go to winasm.py, other "--" flags to modpack
# build, the rest to gcc (which always gets -mabi=windowed -mlongcalls)
set(XTENSA_WINDOWED_VARIANTS
  "windowed-O0 -O0"
  "windowed-Os -Os"
  "windowed-O2 -O2"
  "windowed-O2-textlit -O2 -mtext-section-literals"
  "windowed-Os-sections -Os -ffunction-sections -fdata-sections"
  "windowed-O0-direct -O0 --direct-calls=local"
  "windowed-O2-direct -O2 -fno-inline --direct-calls=local"
)
set(XTENSA_WINDOWED_CORRUPT windowed-O2 windowed-O2-direct)

# xt_windowed_split(LISTVAR): split a variant's flags into cflags (gcc),
# wflags (winasm.py), pflags (modpack build) and fix (the call8fix.py
# command, when the calls are direct)
macro(xt_windowed_split flags)
  set(cflags "")
  set(wflags "")
  set(pflags "")
  set(fix "")
  foreach(f IN LISTS ${flags})
    if(f MATCHES "^--direct-calls")
      list(APPEND wflags ${f})
      set(fix COMMAND Python3::Interpreter ${CALL8FIX})
    elseif(f MATCHES "^--")
      list(APPEND pflags ${f})
    else()
      list(APPEND cflags ${f})
    endif()
  endforeach()
endmacro()

set(wmods "")
foreach(entry IN LISTS XTENSA_WINDOWED_VARIANTS)
  separate_arguments(v UNIX_COMMAND "${entry}")
  list(GET v 0 name)
  list(SUBLIST v 1 -1 flags)
  xt_windowed_split(flags)
  xt_windowed_object(${wout}/${name}.o ${TESTS_HARNESS_DIR}/testmod.c "${wflags}" ${TESTS_HARNESS_DIR}/testapi.h
    ${cflags} ${common_c})
  set(fixcmd "")
  if(fix)
    set(fixcmd ${fix} ${wout}/${name}.elf)
  endif()
  add_custom_command(OUTPUT ${wout}/${name}.mod
    COMMAND ${XTENSA_GCC} ${cflags} ${link_flags} ${wout}/${name}.o ${wout}/winlibgcc.o -o ${wout}/${name}.elf
    ${fixcmd}
    COMMAND $<TARGET_FILE:modpack> build ${wout}/${name}.elf -o ${wout}/${name}.mod ${pflags}
    DEPENDS ${wout}/${name}.o ${wout}/winlibgcc.o ${MODULE_LD} ${CALL8FIX} modpack
    COMMENT "Xtensa module ${name}" VERBATIM)
  list(APPEND wmods ${wout}/${name}.mod)
endforeach()

# ---- the differential test: rows for windowed modules in diff-manifest.txt ------
# (the imports and bases of the call0 rows; ld never relaxes these calls,
# which winasm.py writes without the markers ld relaxes by)
set(XT_WINDOWED_DIFF_VARIANTS
  "windowed-testmod-O0 testmod -O0"
  "windowed-testmod-O2 testmod -O2"
  "windowed-testmod-O2-direct testmod -O2 -fno-inline --direct-calls=local"
  "windowed-diffmod-Os diffmod -Os"
  "windowed-diffmod-O2-direct diffmod -O2 -fno-inline --direct-calls=local"
)
foreach(entry IN LISTS XT_WINDOWED_DIFF_VARIANTS)
  separate_arguments(v UNIX_COMMAND "${entry}")
  list(GET v 0 name)
  list(GET v 1 srcname)
  list(SUBLIST v 2 -1 flags)
  xt_windowed_split(flags)
  if(srcname STREQUAL "testmod")
    set(src ${TESTS_HARNESS_DIR}/testmod.c)
  else()
    set(src ${PROJECT_SOURCE_DIR}/tests/diff/diffmod.c)
  endif()
  set(d ${wout}/diff-${name})
  set(lf ${link_flags} -Wl,--build-id=none)
  xt_windowed_object(${d}.o ${src} "${wflags}" ${TESTS_HARNESS_DIR}/testapi.h ${cflags} ${common_c})
  set(fixcmd "")
  if(fix)
    set(fixcmd ${fix} ${d}-0.elf)
  endif()
  add_custom_command(OUTPUT ${d}.mod
    COMMAND ${XTENSA_GCC} ${cflags} ${lf} ${d}.o ${wout}/winlibgcc.o -o ${d}-0.elf
    ${fixcmd}
    COMMAND $<TARGET_FILE:modpack> build ${d}-0.elf -o ${d}.mod
    DEPENDS ${d}.o ${wout}/winlibgcc.o ${MODULE_LD} ${CALL8FIX} modpack VERBATIM)
  list(APPEND wmods ${d}.mod)
  string(REPLACE ";" "+" opts "${cflags};-mabi=windowed;-mlongcalls;${wflags}")
  foreach(base IN LISTS XT_DIFF_BASES)
    set(fixcmd "")
    if(fix)
      set(fixcmd ${fix} ${d}-${base}.elf)
    endif()
    add_custom_command(OUTPUT ${d}-${base}.bin
      COMMAND ${XTENSA_GCC} ${cflags} ${lf} -Wl,--defsym=__module_base=${base} ${defsyms}
              ${d}.o ${wout}/winlibgcc.o -o ${d}-${base}.elf
      ${fixcmd}
      COMMAND ${XTENSA_OBJCOPY} -O binary ${d}-${base}.elf ${d}-${base}.bin
      DEPENDS ${d}.mod VERBATIM)
    list(APPEND wmods ${d}-${base}.bin)
    string(APPEND manifest "row ${name} windowed ${opts} ${d}.mod ${d}-${base}.bin ${base}\n")
  endforeach()
endforeach()

# ---- ESP32 code from LLVM's Xtensa backend ---------------------------------------
# Debian's clang-22 and llc-22 (bookworm-security) carry LLVM's Xtensa
# backend with the esp32 CPU, the code generator of clang-based ESP32
# toolchains. Their clang driver takes only the generic Xtensa CPU and their
# integrated assembler misplaces literal pools ("fixup value must be 4-byte
# aligned"), so clang emits LLVM IR, llc -mcpu=esp32 the windowed assembly
# (-mattr=-div32: the lx106 assembler has no QUOS/QUOU/REMS/REMU), and
# winasm.py and the lx106 assembler assemble it as they do gcc's.
set(XT_LLVM_VARIANTS "llvm-esp32-O0 -O0" "llvm-esp32-Os -Os" "llvm-esp32-O2 -O2")
find_program(XT_LLVM_CLANG clang-22)
find_program(XT_LLVM_LLC llc-22)
set(XT_LLVM_ESP32 OFF)
if(XT_LLVM_CLANG AND XT_LLVM_LLC)
  execute_process(COMMAND ${XT_LLVM_LLC} -mtriple=xtensa -mcpu=help
                  OUTPUT_VARIABLE llc_cpus ERROR_VARIABLE llc_cpus)
  if(llc_cpus MATCHES "esp32 ")
    set(XT_LLVM_ESP32 ON)
  endif()
endif()
if(XT_LLVM_ESP32)
  foreach(entry IN LISTS XT_LLVM_VARIANTS)
    separate_arguments(v UNIX_COMMAND "${entry}")
    list(GET v 0 name)
    list(SUBLIST v 1 -1 cflags)
    set(o ${wout}/${name})
    add_custom_command(OUTPUT ${o}.mod
      COMMAND ${XT_LLVM_CLANG} --target=xtensa ${cflags} ${common_c} -S -emit-llvm
              ${TESTS_HARNESS_DIR}/testmod.c -o ${o}.ll
      COMMAND ${XT_LLVM_LLC} -mtriple=xtensa -mcpu=esp32 -mattr=-div32 ${o}.ll -o ${o}.s
      COMMAND Python3::Interpreter ${WINASM} ${o}.s ${o}.t.s
      COMMAND ${XTENSA_AS} --abi-windowed ${o}.t.s -o ${o}.o
      COMMAND ${XTENSA_GCC} ${link_flags} ${o}.o ${wout}/winlibgcc.o -o ${o}.elf
      COMMAND $<TARGET_FILE:modpack> build ${o}.elf -o ${o}.mod
      DEPENDS ${TESTS_HARNESS_DIR}/testmod.c ${TESTS_HARNESS_DIR}/testapi.h ${wout}/winlibgcc.o
              ${WINASM} ${MODULE_LD} modpack
      COMMENT "Xtensa module ${name} (LLVM, esp32)" VERBATIM)
    list(APPEND wmods ${o}.mod)
  endforeach()
else()
  message(VERBOSE "tests/xtensa: clang-22/llc-22 with the esp32 CPU not found (apt-get install clang-22 llvm-22); LLVM ESP32 modules skipped")
endif()

add_custom_target(xtensa_windowed_tests ALL DEPENDS ${xt_wfw} ${wmods})

# ---- modpack's view of windowed modules (host only) ---------------------------------
foreach(c windowed_call_import windowed_flags)
  add_test(NAME reject.${c}.xtensa COMMAND bash ${XT_DIR}/reject.sh ${c})
  set_tests_properties(reject.${c}.xtensa PROPERTIES LABELS "xtensa" SKIP_RETURN_CODE 77
    ENVIRONMENT "MODPACK=$<TARGET_FILE:modpack>;SRC=${XT_DIR};HARNESS=${TESTS_HARNESS_DIR};LDS=${MODULE_LD};WORK=${CMAKE_CURRENT_BINARY_DIR}/reject/${c};CC=${XTENSA_GCC};AS=${XTENSA_AS};PYTHON=${Python3_EXECUTABLE}")
endforeach()

# ---- runs under qemu-xtensa -cpu dc233c -------------------------------------------
if(NOT QEMU_XTENSA)
  message(VERBOSE "tests/xtensa: qemu-xtensa not found (apt-get install qemu-user); windowed Xtensa runs skipped")
  return()
endif()

set(spill ${CMAKE_CURRENT_BINARY_DIR}/winspill.elf)
add_custom_command(OUTPUT ${spill}
  COMMAND Python3::Interpreter ${WINASM} ${XT_DIR}/winspill.s ${wout}/winspill.t.s
  COMMAND ${XTENSA_AS} --abi-windowed ${wout}/winspill.t.s -o ${wout}/winspill.o
  COMMAND ${XTENSA_GCC} -nostdlib -static ${wout}/winspill.o -o ${spill}
  DEPENDS ${XT_DIR}/winspill.s ${WINASM} VERBATIM)
add_custom_target(xtensa_windowed_spill ALL DEPENDS ${spill})
add_test(NAME windowed.spill.xtensa COMMAND ${QEMU_XTENSA} -cpu dc233c ${spill})
set_tests_properties(windowed.spill.xtensa PROPERTIES LABELS "xtensa" TIMEOUT 60)

# the ESP32 code LLVM generated, run by the same harness
if(XT_LLVM_ESP32)
  foreach(entry IN LISTS XT_LLVM_VARIANTS)
    separate_arguments(v UNIX_COMMAND "${entry}")
    list(GET v 0 name)
    add_test(NAME run.${name}.xtensa COMMAND ${QEMU_XTENSA} -cpu dc233c ${xt_wfw} run ${wout}/${name}.mod)
    set_tests_properties(run.${name}.xtensa PROPERTIES LABELS "xtensa" TIMEOUT 120
                         FAIL_REGULAR_EXPRESSION "FAIL")
  endforeach()
endif()

foreach(entry IN LISTS XTENSA_WINDOWED_VARIANTS)
  separate_arguments(v UNIX_COMMAND "${entry}")
  list(GET v 0 name)
  add_test(NAME run.${name}.xtensa COMMAND ${QEMU_XTENSA} -cpu dc233c ${xt_wfw} run ${wout}/${name}.mod)
  set_tests_properties(run.${name}.xtensa PROPERTIES LABELS "xtensa" TIMEOUT 120
                       FAIL_REGULAR_EXPRESSION "FAIL")
  if(name IN_LIST XTENSA_WINDOWED_CORRUPT)
    add_test(NAME corrupt.${name}.xtensa
             COMMAND ${QEMU_XTENSA} -cpu dc233c ${xt_wfw} corrupt ${wout}/${name}.mod)
    set_tests_properties(corrupt.${name}.xtensa PROPERTIES LABELS "xtensa" TIMEOUT 300
                         FAIL_REGULAR_EXPRESSION "FAIL")
    # streamed from the file in chunks of 1, 7 and 512 bytes
    add_test(NAME stream.${name}.xtensa
             COMMAND ${QEMU_XTENSA} -cpu dc233c ${xt_wfw} stream ${wout}/${name}.mod)
    set_tests_properties(stream.${name}.xtensa PROPERTIES LABELS "xtensa" TIMEOUT 120
                         FAIL_REGULAR_EXPRESSION "FAIL")
  endif()
endforeach()
