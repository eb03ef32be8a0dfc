# ModpackHostTools.cmake - which cross compilers, emulators and test tools
# this host has (included by the top-level CMakeLists.txt, this tree only).
#
# modpack itself needs a C compiler, libelf and zlib. Everything else here
# is optional: the firmware, modules and tests that need a missing tool are
# left out, and configure prints ONE line per missing thing:
#
#   -- modpack: arm-none-eabi-gcc not found: Cortex-M firmware and tests skipped (apt-get install gcc-arm-none-eabi)
#
# Sets MODPACK_HAVE_<THING> (ON/OFF) for tests/*/CMakeLists.txt:
#   ARM_GCC QEMU_ARM RISCV_GCC QEMU_RISCV XTENSA_GCC QEMU_XTENSA
#   M32 (gcc -m32 links) CLANG LLD CMOCKA PYTHON
# With -DMODPACK_CROSS_TESTS=OFF the cross tools are not looked for here and
# the cross-built firmware and the module runs are skipped (one line says
# so); tests/modpack, catalogue and abi still pack ARM modules when they
# find arm-none-eabi-gcc themselves.
# The directories' own reasons for a skip are printed with
# `cmake --log-level=VERBOSE`.

function(_modpack_missing what consequence package)
  message(STATUS "modpack: ${what} not found: ${consequence} (apt-get install ${package})")
endfunction()

# A program: sets MODPACK_HAVE_<var> and reports it missing.
function(_modpack_tool var names consequence package)
  find_program(MODPACK_TOOL_${var} NAMES ${names})
  if(MODPACK_TOOL_${var})
    set(MODPACK_HAVE_${var} ON PARENT_SCOPE)
  else()
    set(MODPACK_HAVE_${var} OFF PARENT_SCOPE)
    list(GET names 0 first)
    _modpack_missing(${first} "${consequence}" "${package}")
  endif()
endfunction()

# Not cross: unit tests (cmocka) and the python3 helpers of the tests.
find_library(CMOCKA_LIBRARY cmocka)
find_path(CMOCKA_INCLUDE_DIR cmocka.h)
if(CMOCKA_LIBRARY AND CMOCKA_INCLUDE_DIR)
  set(MODPACK_HAVE_CMOCKA ON)
else()
  set(MODPACK_HAVE_CMOCKA OFF)
  _modpack_missing(cmocka "unit tests (unit.*, modpack.encode, abi.unit, modreg.*) skipped" libcmocka-dev)
endif()
_modpack_tool(PYTHON python3 "tests that need python3 skipped (cost, diff.table, dyn, size-report)" python3)

if(NOT MODPACK_CROSS_TESTS)
  message(STATUS "modpack: MODPACK_CROSS_TESTS is OFF: cross-built firmware and module runs "
                 "(Cortex-M, RISC-V, Xtensa, i386, x86-64, clang/lld, QEMU) skipped")
  foreach(t ARM_GCC QEMU_ARM RISCV_GCC QEMU_RISCV XTENSA_GCC QEMU_XTENSA M32 CLANG LLD)
    set(MODPACK_HAVE_${t} OFF)
  endforeach()
  return()
endif()

_modpack_tool(ARM_GCC arm-none-eabi-gcc "Cortex-M firmware and tests skipped" gcc-arm-none-eabi)
if(MODPACK_HAVE_ARM_GCC)
  _modpack_tool(QEMU_ARM qemu-system-arm "Cortex-M runs skipped" qemu-system-arm)
else()
  set(MODPACK_HAVE_QEMU_ARM OFF)
endif()
_modpack_tool(RISCV_GCC riscv64-unknown-elf-gcc "RISC-V firmware and tests skipped" gcc-riscv64-unknown-elf)
if(MODPACK_HAVE_RISCV_GCC)
  _modpack_tool(QEMU_RISCV "qemu-system-riscv32;qemu-system-riscv64" "RISC-V runs skipped" qemu-system-misc)
else()
  set(MODPACK_HAVE_QEMU_RISCV OFF)
endif()
_modpack_tool(XTENSA_GCC xtensa-lx106-elf-gcc "Xtensa tests skipped" gcc-xtensa-lx106)
if(MODPACK_HAVE_XTENSA_GCC)
  _modpack_tool(QEMU_XTENSA qemu-xtensa "Xtensa runs skipped" qemu-user)
else()
  set(MODPACK_HAVE_QEMU_XTENSA OFF)
endif()
_modpack_tool(CLANG clang "clang variants and fuzzing skipped" clang)
_modpack_tool(LLD ld.lld "ld.lld variants skipped" lld)

# gcc -m32 (the i386 tests): does a program link?
set(MODPACK_HAVE_M32 OFF)
if(CMAKE_HOST_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  find_program(MODPACK_TOOL_GCC gcc)
  if(MODPACK_TOOL_GCC)
    set(_mp_m32 ${CMAKE_BINARY_DIR}/CMakeFiles/modpack-m32)
    file(WRITE ${_mp_m32}.c "int main(void) { return 0; }\n")
    execute_process(COMMAND ${MODPACK_TOOL_GCC} -m32 ${_mp_m32}.c -o ${_mp_m32}
                    RESULT_VARIABLE _mp_rc OUTPUT_QUIET ERROR_QUIET)
    if(_mp_rc EQUAL 0)
      set(MODPACK_HAVE_M32 ON)
    endif()
  endif()
  if(NOT MODPACK_HAVE_M32)
    message(STATUS "modpack: gcc -m32 (i386 multilib) not found: i386 tests skipped (apt-get install gcc-multilib)")
  endif()
else()
  message(STATUS "modpack: host is not x86-64: the native x86 and registry tests skipped")
endif()
