# Modpack.cmake - build modpack modules (and modload) from a CMake project.
#
# Included by ModpackConfig.cmake (find_package(Modpack)); a project that
# has the modpack source tree can also include it directly, after setting
# MODPACK_EXECUTABLE (or a target named modpack) and MODPACK_LINKER_SCRIPT.
#
#   modpack_add_module(<name> SOURCES <src>...
#       [ISA arm|riscv32|xtensa|i386|x86_64] [CPU <cpu>] [OPT <-Os>]
#       [FLAGS <compile and link flags>...] [LINK_FLAGS <flags>...]
#       [PIC] [LONGCALLS] [STRIP] [INSPECT] [COMPRESS]
#       [SIGN <key.pem>] [SECURITY_VERSION <n>]
#       [VERSION <v>] [DESCRIPTION <text>] [ENTRY <sym>] [EXIT <sym>]
#       [REQUIRE split|xip] [FIRMWARE <path-or-target>...] [ABI_NAME <name>] [ABI_VERSION <M.N>]
#       [MODPACK_FLAGS <modpack build flags>...] [LINKER_SCRIPT <module.ld>]
#       [OUTPUT_DIR <dir>] [DEPENDS <files or targets>...])
#
# builds <OUTPUT_DIR>/<name>.mod (default: the current binary directory)
# as part of ALL: each source compiled freestanding for the ISA, linked at
# address 0 with module.ld keeping its relocations (--emit-relocs) and
# leaving firmware symbols undefined, packed by `modpack build`. The custom
# target <name> has the properties MODPACK_IMAGE (the .mod) and MODPACK_ELF.
#
# A module's ISA is usually not the project's, so the function runs the
# cross compiler itself: the project's own C compiler when the project is
# cross-compiled for that ISA (CMAKE_SYSTEM_PROCESSOR), else
# MODPACK_<ISA>_CC (a cache variable: arm-none-eabi-gcc,
# riscv64-unknown-elf-gcc, xtensa-lx106-elf-gcc, gcc; set it to use another
# one). One project can therefore build modules for several ISAs, and needs
# no C compiler of its own (project(x NONE) is enough).
#
# ISA defaults to the project's target when it is cross-compiled; CPU is
# -mcpu for arm (default cortex-m4, with -mthumb), -march for riscv32
# (default rv32imac, with -mabi=ilp32 -mcmodel=medlow -mno-relax) and for
# x86; Xtensa modules are built with -mlongcalls (call0 ABI, lx106).
# PIC builds position-independent code (-fPIC), LONGCALLS calls the firmware
# through a register (arm: -mlong-calls), STRIP drops names from the image
# (--strip-names), INSPECT writes `modpack inspect` to <name>.txt, COMPRESS
# stores code and data as raw deflate (--compress), SIGN signs the image with
# an Ed25519 private key (--sign; the image is rebuilt when the key changes)
# and SECURITY_VERSION records the security version (--security-version). VERSION,
# DESCRIPTION, ENTRY, EXIT, REQUIRE, FIRMWARE, ABI_NAME and ABI_VERSION are
# modpack build's --module-version, --description, --entry, --exit, --require,
# --firmware (the imports must be exported by that firmware ELF or list; a
# firmware target is built first), --abi-name and --abi-version (these two
# with FIRMWARE only). A modpack
# without --firmware gets a warning and no check.
# samples/hello/Makefile takes the same options as make variables.
#
#   target_link_libraries(<firmware> PRIVATE Modpack::modload [Modpack::modreg] [Modpack::modslot])
#
# Modpack::modload is an INTERFACE target (defined when MODPACK_MODLOAD_DIR
# is known, as find_package(Modpack) sets it): modload's installed sources
# (modload.c, crc32.c, sha256.c, inflate.c, strerror.c, arch_*.c) become sources of the target
# that links it, compiled with that target's own (cross) compiler and flags
# (its -mcpu, -O, ...), and <modload.h> is on its include path. The profile
# (modload(3)): set MODLOAD_PROFILE to MINIMAL, FULL or ALL (the default) before
# find_package(Modpack), or give the target
#   target_compile_definitions(<firmware> PRIVATE MODLOAD_PROFILE=MODLOAD_PROFILE_MINIMAL)
# Modpack::modreg adds the registry (modreg.c, <modreg.h>); Modpack::modslot the
# A/B slots on a flash-like store over it (modslot.c, <modslot.h>).
#
#   modpack_add_modload(<target> [PROFILE MINIMAL|FULL|ALL] [SOURCES <more firmware sources>...])
#
# modload (and the registry) as a static library built with the project's
# own (cross) C compiler and flags: a firmware project configured for its
# target links it. PROFILE (default: MODLOAD_PROFILE, else ALL) is a
# public compile definition: the firmware that links the library sees it.

include_guard(DIRECTORY)

if(NOT MODPACK_EXECUTABLE)
  if(TARGET modpack)
    set(MODPACK_EXECUTABLE $<TARGET_FILE:modpack>)
  else()
    find_program(MODPACK_EXECUTABLE modpack REQUIRED)
  endif()
endif()
if(NOT MODPACK_LINKER_SCRIPT)
  message(FATAL_ERROR "Modpack.cmake: set MODPACK_LINKER_SCRIPT to module.ld")
endif()

# Does this modpack know `build --firmware`? (asked once, at configure time)
if(NOT DEFINED MODPACK_HAS_FIRMWARE_OPTION)
  set(MODPACK_HAS_FIRMWARE_OPTION OFF)
  if(NOT MODPACK_EXECUTABLE MATCHES "^\\$<")
    execute_process(COMMAND ${MODPACK_EXECUTABLE} help build
                    OUTPUT_VARIABLE _mp_help ERROR_VARIABLE _mp_help)
    if(_mp_help MATCHES "--firmware")
      set(MODPACK_HAS_FIRMWARE_OPTION ON)
    endif()
  elseif(MODPACK_SOURCE_DIR AND EXISTS ${MODPACK_SOURCE_DIR}/src/modpack/cmd_build.c)
    file(STRINGS ${MODPACK_SOURCE_DIR}/src/modpack/cmd_build.c _mp_fw REGEX "\"--firmware\"")
    if(_mp_fw)
      set(MODPACK_HAS_FIRMWARE_OPTION ON)
    endif()
  endif()
endif()

# The ISA a processor name stands for ("" when none).
function(_modpack_isa_of processor out)
  string(TOLOWER "${processor}" p)
  set(isa "")
  if(p MATCHES "^(arm|thumb|cortex)")
    set(isa arm)
  elseif(p MATCHES "^riscv")
    set(isa riscv32)
  elseif(p MATCHES "^xtensa")
    set(isa xtensa)
  elseif(p MATCHES "^(i[3-6]86|x86)$")
    set(isa i386)
  elseif(p MATCHES "^(x86_64|amd64)$")
    set(isa x86_64)
  endif()
  set(${out} ${isa} PARENT_SCOPE)
endfunction()

# The compiler driver for modules of <isa>.
function(_modpack_compiler isa out)
  get_property(langs GLOBAL PROPERTY ENABLED_LANGUAGES)
  _modpack_isa_of("${CMAKE_SYSTEM_PROCESSOR}" project_isa)
  if("C" IN_LIST langs AND CMAKE_CROSSCOMPILING AND project_isa STREQUAL isa
     AND CMAKE_C_COMPILER_ID STREQUAL "GNU")
    set(${out} ${CMAKE_C_COMPILER} PARENT_SCOPE)
    return()
  endif()
  if(isa STREQUAL "arm")
    set(names arm-none-eabi-gcc)
  elseif(isa STREQUAL "riscv32")
    set(names riscv64-unknown-elf-gcc riscv32-unknown-elf-gcc)
  elseif(isa STREQUAL "xtensa")
    set(names xtensa-lx106-elf-gcc)
  else()
    set(names gcc)
  endif()
  string(TOUPPER ${isa} var)
  find_program(MODPACK_${var}_CC NAMES ${names}
               DOC "C compiler for ${isa} modpack modules")
  if(NOT MODPACK_${var}_CC)
    message(FATAL_ERROR "modpack_add_module: no C compiler for ISA ${isa} "
      "(looked for ${names}); install one or set MODPACK_${var}_CC")
  endif()
  set(${out} ${MODPACK_${var}_CC} PARENT_SCOPE)
endfunction()

function(modpack_add_module name)
  cmake_parse_arguments(PARSE_ARGV 1 M "PIC;LONGCALLS;STRIP;INSPECT;COMPRESS"
    "ISA;CPU;OPT;VERSION;DESCRIPTION;ENTRY;EXIT;REQUIRE;ABI_NAME;ABI_VERSION;OUTPUT_DIR;LINKER_SCRIPT;SIGN;SECURITY_VERSION"
    "SOURCES;FLAGS;LINK_FLAGS;MODPACK_FLAGS;DEPENDS;FIRMWARE")
  if(M_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "modpack_add_module(${name}): unknown arguments ${M_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT M_SOURCES)
    message(FATAL_ERROR "modpack_add_module(${name}): no SOURCES")
  endif()
  if(NOT M_ISA)
    if(CMAKE_CROSSCOMPILING)
      _modpack_isa_of("${CMAKE_SYSTEM_PROCESSOR}" M_ISA)
    endif()
    if(NOT M_ISA)
      message(FATAL_ERROR "modpack_add_module(${name}): give ISA arm|riscv32|xtensa|i386|x86_64 "
        "(the project is not cross-compiled for one)")
    endif()
  endif()
  if(NOT M_OPT)
    set(M_OPT -Os)
  endif()
  if(NOT M_OUTPUT_DIR)
    set(M_OUTPUT_DIR ${CMAKE_CURRENT_BINARY_DIR})
  endif()
  if(NOT M_LINKER_SCRIPT)
    set(M_LINKER_SCRIPT ${MODPACK_LINKER_SCRIPT})
  endif()
  if(M_REQUIRE AND NOT M_REQUIRE MATCHES "^(split|xip)$")
    message(FATAL_ERROR "modpack_add_module(${name}): REQUIRE is split or xip, not ${M_REQUIRE}")
  endif()

  # ---- per-ISA flags: the same as samples/hello/Makefile and the tests ----
  set(isa_flags "")       # compile and link
  set(isa_lflags "")      # link only
  if(M_ISA STREQUAL "arm")
    if(NOT M_CPU)
      set(M_CPU cortex-m4)
    endif()
    list(APPEND isa_flags -mcpu=${M_CPU} -mthumb)
    if(M_LONGCALLS)
      list(APPEND isa_flags -mlong-calls)
    endif()
  elseif(M_ISA STREQUAL "riscv32")
    if(NOT M_CPU)
      set(M_CPU rv32imac)
    endif()
    list(APPEND isa_flags -march=${M_CPU} -mabi=ilp32 -mcmodel=medlow -mno-relax)
    list(APPEND isa_lflags -Wl,--no-warn-rwx-segments)
  elseif(M_ISA STREQUAL "xtensa")
    if(M_PIC)
      message(FATAL_ERROR "modpack_add_module(${name}): PIC is not available for xtensa")
    endif()
    list(APPEND isa_flags -mlongcalls)
    list(APPEND isa_lflags -Wl,--no-warn-rwx-segments)
  elseif(M_ISA STREQUAL "i386" OR M_ISA STREQUAL "x86_64")
    if(M_ISA STREQUAL "i386")
      list(APPEND isa_flags -m32)
    else()
      list(APPEND isa_flags -m64)
    endif()
    if(M_CPU)
      list(APPEND isa_flags -march=${M_CPU})
    endif()
    list(APPEND isa_flags -fno-stack-protector)
    list(APPEND isa_lflags -no-pie -Wl,--no-warn-rwx-segments)
    if(NOT M_PIC)
      list(APPEND isa_flags -fno-pic)
      if(M_ISA STREQUAL "x86_64")
        list(APPEND isa_flags -mcmodel=large)   # absolute 64-bit addresses
      endif()
    elseif(M_ISA STREQUAL "x86_64")
      list(APPEND isa_lflags -Wl,--no-relax)    # keep GOT loads for modpack
    endif()
  else()
    message(FATAL_ERROR "modpack_add_module(${name}): unknown ISA ${M_ISA} "
      "(arm, riscv32, xtensa, i386, x86_64)")
  endif()
  if(M_PIC)
    list(APPEND isa_flags -fPIC)
  endif()
  _modpack_compiler(${M_ISA} cc)

  # ---- compile ----
  set(objdir ${CMAKE_CURRENT_BINARY_DIR}/${name}.modpack)
  file(MAKE_DIRECTORY ${objdir} ${M_OUTPUT_DIR})
  set(objs "")
  foreach(src IN LISTS M_SOURCES)
    get_filename_component(src ${src} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    get_filename_component(base ${src} NAME_WE)
    set(obj ${objdir}/${base}.o)
    if(obj IN_LIST objs)
      message(FATAL_ERROR "modpack_add_module(${name}): two sources named ${base}")
    endif()
    add_custom_command(OUTPUT ${obj}
      COMMAND ${cc} ${isa_flags} ${M_OPT} -g -ffreestanding -fno-common -Wall -Wextra
              ${M_FLAGS} -MD -MF ${obj}.d -c ${src} -o ${obj}
      DEPENDS ${src} ${M_DEPENDS}
      DEPFILE ${obj}.d
      COMMENT "module ${name}: compiling ${base} for ${M_ISA}"
      VERBATIM)
    list(APPEND objs ${obj})
  endforeach()

  # ---- link at 0, keeping the relocations; imports stay undefined ----
  set(elf ${M_OUTPUT_DIR}/${name}.elf)
  add_custom_command(OUTPUT ${elf}
    COMMAND ${cc} ${isa_flags} ${M_OPT} ${M_FLAGS} ${isa_lflags} ${M_LINK_FLAGS} -nostdlib
            -Wl,--emit-relocs,--unresolved-symbols=ignore-all -T ${M_LINKER_SCRIPT}
            -Wl,-Map=${M_OUTPUT_DIR}/${name}.map ${objs} -lgcc -o ${elf}
    DEPENDS ${objs} ${M_LINKER_SCRIPT}
    COMMENT "module ${name}: linking ${name}.elf"
    VERBATIM)

  # ---- pack ----
  set(mod ${M_OUTPUT_DIR}/${name}.mod)
  set(pack ${MODPACK_EXECUTABLE} build ${elf} -o ${mod})
  set(pack_deps ${elf})
  if(MODPACK_EXECUTABLE MATCHES "^\\$<")
    list(APPEND pack_deps modpack)
  elseif(EXISTS ${MODPACK_EXECUTABLE})
    list(APPEND pack_deps ${MODPACK_EXECUTABLE})
  endif()
  foreach(opt VERSION DESCRIPTION ENTRY EXIT REQUIRE)
    if(DEFINED M_${opt})
      string(TOLOWER ${opt} flag)
      string(REPLACE "version" "module-version" flag ${flag})
      list(APPEND pack --${flag} ${M_${opt}})
    endif()
  endforeach()
  if(M_STRIP)
    list(APPEND pack --strip-names)
  endif()
  if(M_COMPRESS)
    list(APPEND pack --compress)
  endif()
  if(DEFINED M_SIGN)
    get_filename_component(key ${M_SIGN} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    list(APPEND pack --sign ${key})
    list(APPEND pack_deps ${key})
  endif()
  if(DEFINED M_SECURITY_VERSION)
    list(APPEND pack --security-version ${M_SECURITY_VERSION})
  endif()
  if(M_FIRMWARE AND NOT MODPACK_HAS_FIRMWARE_OPTION)
    message(WARNING "modpack_add_module(${name}): this modpack has no build --firmware; "
      "the imports are not checked against ${M_FIRMWARE}")
  elseif(M_FIRMWARE)
    foreach(fw IN LISTS M_FIRMWARE)
      if(TARGET ${fw})
        list(APPEND pack --firmware $<TARGET_FILE:${fw}>)
        list(APPEND pack_deps ${fw})
      else()
        get_filename_component(fw ${fw} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_BINARY_DIR})
        list(APPEND pack --firmware ${fw})
        list(APPEND pack_deps ${fw})
      endif()
    endforeach()
    if(DEFINED M_ABI_NAME)
      list(APPEND pack --abi-name ${M_ABI_NAME})
    endif()
    if(DEFINED M_ABI_VERSION)
      list(APPEND pack --abi-version ${M_ABI_VERSION})
    endif()
  endif()
  list(APPEND pack ${M_MODPACK_FLAGS})
  set(outputs ${mod})
  set(inspect "")
  if(M_INSPECT)
    set(inspect COMMAND ${MODPACK_EXECUTABLE} inspect ${mod} > ${M_OUTPUT_DIR}/${name}.txt)
    list(APPEND outputs ${M_OUTPUT_DIR}/${name}.txt)
  endif()
  add_custom_command(OUTPUT ${outputs}
    COMMAND ${pack}
    ${inspect}
    DEPENDS ${pack_deps}
    COMMENT "module ${name}: modpack build ${name}.mod"
    VERBATIM)

  add_custom_target(${name} ALL DEPENDS ${outputs})
  set_target_properties(${name} PROPERTIES MODPACK_IMAGE ${mod} MODPACK_ELF ${elf}
                        MODPACK_ISA ${M_ISA})
endfunction()

function(modpack_add_modload target)
  cmake_parse_arguments(PARSE_ARGV 1 L "" "PROFILE" "SOURCES")
  if(NOT L_PROFILE)
    set(L_PROFILE ${MODLOAD_PROFILE})
  endif()
  if(NOT MODPACK_MODLOAD_DIR)
    message(FATAL_ERROR "modpack_add_modload: MODPACK_MODLOAD_DIR (modload's sources) is not set")
  endif()
  file(GLOB srcs ${MODPACK_MODLOAD_DIR}/*.c)
  add_library(${target} STATIC ${srcs} ${L_SOURCES})
  target_include_directories(${target} PUBLIC ${MODPACK_INCLUDE_DIR} PRIVATE ${MODPACK_MODLOAD_DIR})
  # freestanding: nothing from a C library but memcpy, memset and memcmp
  target_compile_options(${target} PRIVATE -ffreestanding)
  if(L_PROFILE)
    _modpack_modload_profile(${target} PUBLIC ${L_PROFILE})
  endif()
endfunction()

# MINIMAL, FULL or ALL -> the definition modload_config.h reads.
function(_modpack_modload_profile target scope profile)
  string(TOUPPER "${profile}" profile)
  if(NOT profile MATCHES "^(MINIMAL|FULL|ALL)$")
    message(FATAL_ERROR "modload profile ${profile}: MINIMAL, FULL or ALL")
  endif()
  target_compile_definitions(${target} ${scope} MODLOAD_PROFILE=MODLOAD_PROFILE_${profile})
endfunction()

# Modpack::modload, Modpack::modreg: modload's sources for the consumer's
# own toolchain (see the top of this file).
if(MODPACK_MODLOAD_DIR AND NOT TARGET Modpack::modload)
  add_library(Modpack::modload INTERFACE IMPORTED)
  set(_mp_srcs "")
  foreach(_mp_f modload.c crc32.c sha256.c inflate.c strerror.c arch_arm.c arch_riscv.c)
    if(EXISTS ${MODPACK_MODLOAD_DIR}/${_mp_f})
      list(APPEND _mp_srcs ${MODPACK_MODLOAD_DIR}/${_mp_f})
    endif()
  endforeach()
  set_target_properties(Modpack::modload PROPERTIES
    INTERFACE_SOURCES "${_mp_srcs}"
    INTERFACE_INCLUDE_DIRECTORIES "${MODPACK_INCLUDE_DIR}")
  if(MODLOAD_PROFILE)
    _modpack_modload_profile(Modpack::modload INTERFACE ${MODLOAD_PROFILE})
  endif()
  add_library(Modpack::modreg INTERFACE IMPORTED)
  set_target_properties(Modpack::modreg PROPERTIES
    INTERFACE_SOURCES "${MODPACK_MODLOAD_DIR}/modreg.c"
    INTERFACE_LINK_LIBRARIES Modpack::modload)
  add_library(Modpack::modslot INTERFACE IMPORTED)
  set_target_properties(Modpack::modslot PROPERTIES
    INTERFACE_SOURCES "${MODPACK_MODLOAD_DIR}/modslot.c"
    INTERFACE_LINK_LIBRARIES Modpack::modreg)
  unset(_mp_srcs)
  unset(_mp_f)
endif()
