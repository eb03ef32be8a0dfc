# diff.cmake - the differential test for rv32 (included by CMakeLists.txt).
#
# Each module variant is linked twice with riscv64-unknown-elf-gcc and
# module.ld: at its pack base (0, or 0x10000000 for relaxed code; packed by
# modpack) and at base B (--defsym=__module_base=B), with every import bound
# to the same address: --defsym=NAME=ADDR in the base-B link, the same
# addresses given to modload through the firmware table in diffplace
# (tests/diff/diffplace.c, built here against the host modload). The
# modules reach the firmware only by address (TEST_FW_CALLS_BY_POINTER:
# pointers in .data; medlow LUI/ADDI pairs to firmware variables), never by
# a call, whose veneer exists only in the packed image. Any differing byte
# fails diff.riscv32.

add_executable(diffplace_riscv ${PROJECT_SOURCE_DIR}/tests/diff/diffplace.c)
target_link_libraries(diffplace_riscv PRIVATE modload_host)

set(MODULE_LD ${PROJECT_SOURCE_DIR}/samples/ld/module.ld)
set(rvout ${CMAKE_CURRENT_BINARY_DIR}/diff)
file(MAKE_DIRECTORY ${rvout})

# Firmware addresses of the imports: low parts 0x234, 0xFFC (the RV_HI20
# carry) and 0x800 (a negative low part).
set(RV_DIFF_IMPORTS
  fw_record=0x80001234
  fw_register=0x80001300
  fw_mix=0x80ABCDE0
  fw_weak_here=0x80001400
  fw_shared=0x80100FFC
  fw_table=0x8001F800)

# Run addresses B: low 12 bits 0xA28 and 0x800, so that most low parts carry.
set(RV_DIFF_BASES 0x80012A28 0x0ABCF800)

# name march packbase flags...
set(RV_DIFF_VARIANTS
  "imac-O0 rv32imac 0 -O0 -mcmodel=medlow -mno-relax"
  "imac-Os rv32imac 0 -Os -mcmodel=medlow -mno-relax"
  "imac-O2 rv32imac 0 -O2 -mcmodel=medlow -mno-relax"
  "imc-Os rv32imc 0 -Os -mcmodel=medlow -mno-relax"
  "imc-O2 rv32imc 0 -O2 -mcmodel=medlow -mno-relax"
  "imac-O2-medany rv32imac 0 -O2 -mcmodel=medany -mno-relax"
  "imc-Os-medany rv32imc 0 -Os -mcmodel=medany -mno-relax"
  "imac-O2-relax rv32imac 0x10000000 -O2 -mcmodel=medlow -mrelax"
  "imc-Os-medany-relax rv32imc 0x10000000 -Os -mcmodel=medany -mrelax"
)

set(defsyms "")
set(manifest "")
foreach(imp IN LISTS RV_DIFF_IMPORTS)
  list(APPEND defsyms -Wl,--defsym=${imp})
  string(REPLACE "=" " " imp_line "${imp}")
  string(APPEND manifest "import ${imp_line}\n")
endforeach()

set(outputs "")
foreach(entry IN LISTS RV_DIFF_VARIANTS)
  separate_arguments(v UNIX_COMMAND "${entry}")
  list(GET v 0 name)
  list(GET v 1 march)
  list(GET v 2 packbase)
  list(SUBLIST v 3 -1 flags)
  set(src ${CMAKE_CURRENT_SOURCE_DIR}/../harness/testmod.c)
  string(REPLACE ";" "+" opts "${flags}")
  set(cflags -march=${march} -mabi=ilp32 ${flags} -ffreestanding -fno-common -Wall -Wextra
      -DTEST_FW_CALLS_BY_POINTER -I${CMAKE_CURRENT_SOURCE_DIR}/../harness)
  set(lflags -march=${march} -mabi=ilp32 ${flags} -nostdlib -T ${MODULE_LD}
      -Wl,--emit-relocs,--no-warn-rwx-segments)

  add_custom_command(OUTPUT ${rvout}/${name}.o
    COMMAND ${RISCV_GCC} ${cflags} -c ${src} -o ${rvout}/${name}.o
    DEPENDS ${src} ${CMAKE_CURRENT_SOURCE_DIR}/../harness/testapi.h
    COMMENT "riscv64-unknown-elf-gcc ${name}" VERBATIM)
  add_custom_command(OUTPUT ${rvout}/${name}-0.elf
    COMMAND ${RISCV_GCC} ${lflags} -Wl,--unresolved-symbols=ignore-all
            -Wl,--defsym=__module_base=${packbase} ${rvout}/${name}.o -o ${rvout}/${name}-0.elf -lgcc
    DEPENDS ${rvout}/${name}.o ${MODULE_LD} VERBATIM)
  add_custom_command(OUTPUT ${rvout}/${name}.mod
    COMMAND $<TARGET_FILE:modpack> build ${rvout}/${name}-0.elf -o ${rvout}/${name}.mod
    DEPENDS ${rvout}/${name}-0.elf modpack
    COMMENT "modpack build ${name}-0.elf" VERBATIM)
  list(APPEND outputs ${rvout}/${name}.mod)
  foreach(base IN LISTS RV_DIFF_BASES)
    add_custom_command(OUTPUT ${rvout}/${name}-${base}.elf
      COMMAND ${RISCV_GCC} ${lflags} -Wl,--defsym=__module_base=${base} ${defsyms}
              ${rvout}/${name}.o -o ${rvout}/${name}-${base}.elf -lgcc
      DEPENDS ${rvout}/${name}.o ${MODULE_LD} VERBATIM)
    add_custom_command(OUTPUT ${rvout}/${name}-${base}.bin
      COMMAND ${RISCV_OBJCOPY} -O binary ${rvout}/${name}-${base}.elf ${rvout}/${name}-${base}.bin
      DEPENDS ${rvout}/${name}-${base}.elf VERBATIM)
    list(APPEND outputs ${rvout}/${name}-${base}.bin)
    string(APPEND manifest
      "row ${name} ${march} ${opts} ${rvout}/${name}.mod ${rvout}/${name}-${base}.bin ${base}\n")
  endforeach()
endforeach()

# clang's objects, linked by GNU ld (gcc driver) and by ld.lld:
# name march linker(gnu|lld) flags...
set(RV_DIFF_CLANG_VARIANTS
  "clang-imac-O0 rv32imac gnu -O0"
  "clang-imac-O2 rv32imac gnu -O2"
  "clang-imc-Os-medany rv32imc gnu -Os -mcmodel=medany"
  "clang-imac-Os-lld rv32imac lld -Os"
  "clang-imc-O2-lld rv32imc lld -O2"
  "clang-imac-O2-medany-lld rv32imac lld -O2 -mcmodel=medany"
)
find_program(RISCV_CLANG clang)
find_program(RISCV_LLD ld.lld)
if(NOT RISCV_CLANG OR NOT RISCV_LLD)
  message(VERBOSE "tests/riscv: clang or ld.lld not found (apt-get install clang lld); clang rows of diff.riscv32 skipped")
  set(RV_DIFF_CLANG_VARIANTS "")
endif()
set(lld_defsyms "")
foreach(imp IN LISTS RV_DIFF_IMPORTS)
  list(APPEND lld_defsyms --defsym=${imp})
endforeach()
foreach(entry IN LISTS RV_DIFF_CLANG_VARIANTS)
  separate_arguments(v UNIX_COMMAND "${entry}")
  list(GET v 0 name)
  list(GET v 1 march)
  list(GET v 2 linker)
  list(SUBLIST v 3 -1 flags)
  set(src ${CMAKE_CURRENT_SOURCE_DIR}/../harness/testmod.c)
  string(REPLACE ";" "+" opts "clang+${linker}+${flags}")
  set(arch -march=${march} -mabi=ilp32)
  set(o ${rvout}/${name})
  if(linker STREQUAL "lld")
    execute_process(COMMAND ${RISCV_GCC} ${arch} -print-libgcc-file-name
                    OUTPUT_VARIABLE libgcc OUTPUT_STRIP_TRAILING_WHITESPACE)
    set(link ${RISCV_LLD} --emit-relocs -T ${MODULE_LD} ${o}.o ${libgcc})
    set(unres --unresolved-symbols=ignore-all)
    set(base_defsyms ${lld_defsyms})
    set(defbase --defsym=__module_base=)
  else()
    set(link ${RISCV_GCC} ${arch} -nostdlib -T ${MODULE_LD} -Wl,--emit-relocs,--no-warn-rwx-segments
        ${o}.o -lgcc)
    set(unres -Wl,--unresolved-symbols=ignore-all)
    set(base_defsyms ${defsyms})
    set(defbase -Wl,--defsym=__module_base=)
  endif()
  add_custom_command(OUTPUT ${o}.o
    COMMAND ${RISCV_CLANG} --target=riscv32 ${arch} ${flags} -ffreestanding -fno-common -Wall -Wextra
            -DTEST_FW_CALLS_BY_POINTER -I${CMAKE_CURRENT_SOURCE_DIR}/../harness -c ${src} -o ${o}.o
    DEPENDS ${src} ${CMAKE_CURRENT_SOURCE_DIR}/../harness/testapi.h
    COMMENT "clang ${name}" VERBATIM)
  add_custom_command(OUTPUT ${o}.mod
    COMMAND ${link} ${unres} -o ${o}-0.elf
    COMMAND $<TARGET_FILE:modpack> build ${o}-0.elf -o ${o}.mod
    DEPENDS ${o}.o ${MODULE_LD} modpack
    COMMENT "${linker} + modpack build ${name}" VERBATIM)
  list(APPEND outputs ${o}.mod)
  foreach(base IN LISTS RV_DIFF_BASES)
    add_custom_command(OUTPUT ${o}-${base}.bin
      COMMAND ${link} ${defbase}${base} ${base_defsyms} -o ${o}-${base}.elf
      COMMAND ${RISCV_OBJCOPY} -O binary ${o}-${base}.elf ${o}-${base}.bin
      DEPENDS ${o}.o ${MODULE_LD} VERBATIM)
    list(APPEND outputs ${o}-${base}.bin)
    string(APPEND manifest "row ${name} ${march} ${opts} ${o}.mod ${o}-${base}.bin ${base}\n")
  endforeach()
endforeach()

add_custom_target(riscv_diff_modules ALL DEPENDS ${outputs})
file(GENERATE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/diff-manifest.txt CONTENT "${manifest}")

add_test(NAME diff.riscv32 COMMAND diffplace_riscv ${CMAKE_CURRENT_BINARY_DIR}/diff-manifest.txt)
set_tests_properties(diff.riscv32 PROPERTIES LABELS "riscv" TIMEOUT 60)

# ---- rv64: its own manifest (diff.riscv64), imports and bases below 2 GiB,
# where medlow's sign-extending LUI reaches; medany too. Pointers are
# 64-bit words (WORD64). ----
set(RV64_DIFF_IMPORTS
  fw_record=0x00001234
  fw_register=0x00001300
  fw_mix=0x00ABCDE0
  fw_weak_here=0x00001400
  fw_shared=0x7F100FFC
  fw_table=0x0001F800)
set(RV64_DIFF_BASES 0x12345A28 0x7FE0F800)
set(RV64_DIFF_VARIANTS
  "rv64-medlow-O0 rv64imac -O0 -mcmodel=medlow -mno-relax"
  "rv64-medlow-O2 rv64imac -O2 -mcmodel=medlow -mno-relax"
  "rv64-medlow-Os rv64imc -Os -mcmodel=medlow -mno-relax"
  "rv64-medany-O2 rv64imac -O2 -mcmodel=medany -mno-relax"
  "rv64-medany-Os rv64imc -Os -mcmodel=medany -mno-relax"
)
set(defsyms64 "")
set(manifest64 "")
foreach(imp IN LISTS RV64_DIFF_IMPORTS)
  list(APPEND defsyms64 -Wl,--defsym=${imp})
  string(REPLACE "=" " " imp_line "${imp}")
  string(APPEND manifest64 "import ${imp_line}\n")
endforeach()
set(outputs64 "")
foreach(entry IN LISTS RV64_DIFF_VARIANTS)
  separate_arguments(v UNIX_COMMAND "${entry}")
  list(GET v 0 name)
  list(GET v 1 march)
  list(SUBLIST v 2 -1 flags)
  set(src ${CMAKE_CURRENT_SOURCE_DIR}/../harness/testmod.c)
  string(REPLACE ";" "+" opts "${flags}")
  set(arch -march=${march} -mabi=lp64)
  set(o ${rvout}/${name})
  set(lflags ${arch} ${flags} -nostdlib -T ${MODULE_LD} -Wl,--emit-relocs,--no-warn-rwx-segments)
  add_custom_command(OUTPUT ${o}.mod
    COMMAND ${RISCV_GCC} ${arch} ${flags} -ffreestanding -fno-common -Wall -Wextra
            -DTEST_FW_CALLS_BY_POINTER -I${CMAKE_CURRENT_SOURCE_DIR}/../harness -c ${src} -o ${o}.o
    COMMAND ${RISCV_GCC} ${lflags} -Wl,--unresolved-symbols=ignore-all ${o}.o -o ${o}-0.elf -lgcc
    COMMAND $<TARGET_FILE:modpack> build ${o}-0.elf -o ${o}.mod
    DEPENDS ${src} ${CMAKE_CURRENT_SOURCE_DIR}/../harness/testapi.h ${MODULE_LD} modpack
    COMMENT "rv64 ${name}" VERBATIM)
  list(APPEND outputs64 ${o}.mod)
  foreach(base IN LISTS RV64_DIFF_BASES)
    add_custom_command(OUTPUT ${o}-${base}.bin
      COMMAND ${RISCV_GCC} ${lflags} -Wl,--defsym=__module_base=${base} ${defsyms64}
              ${o}.o -o ${o}-${base}.elf -lgcc
      COMMAND ${RISCV_OBJCOPY} -O binary ${o}-${base}.elf ${o}-${base}.bin
      DEPENDS ${o}.mod VERBATIM)
    list(APPEND outputs64 ${o}-${base}.bin)
    string(APPEND manifest64 "row ${name} ${march} ${opts} ${o}.mod ${o}-${base}.bin ${base}\n")
  endforeach()
endforeach()
add_custom_target(riscv64_diff_modules ALL DEPENDS ${outputs64})
file(GENERATE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/diff-manifest-64.txt CONTENT "${manifest64}")
add_test(NAME diff.riscv64 COMMAND diffplace_riscv ${CMAKE_CURRENT_BINARY_DIR}/diff-manifest-64.txt)
set_tests_properties(diff.riscv64 PROPERTIES LABELS "riscv" TIMEOUT 60)
