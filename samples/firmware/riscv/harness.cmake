# harness.cmake - CMake functions for the RISC-V (rv32 and rv64) modload
# harness. Include from a project configured with
# cmake/toolchain-riscv32-elf.cmake or cmake/toolchain-riscv64-elf.cmake.
#
#   MODPACK_ROOT      the modpack source tree (default: three levels up)
#   MODLOAD_SOURCES   modload's sources (default: src/modload/*.c as listed
#                     in src/modload/CMakeLists.txt)
#
#   riscv_modload_library(<target> <march>)
#       modload compiled freestanding for -march=<march> -mabi=${RISCV_ABI} at -Os.
#   riscv_firmware(<target> <march> <board-name> SOURCES <src>...)
#       a firmware ELF for QEMU's virt board (virt.ld) with startup code,
#       semihosting and the helpers of ../common/fwutil.c, linked with modload for
#       <march> and libgcc only (no C library).

include_guard(GLOBAL)

set(RISCV_HARNESS_DIR ${CMAKE_CURRENT_LIST_DIR})
if(NOT MODPACK_ROOT)
  get_filename_component(MODPACK_ROOT ${CMAKE_CURRENT_LIST_DIR}/../../.. ABSOLUTE)
endif()
if(NOT MODLOAD_SOURCES)
  set(MODLOAD_SOURCES
    ${MODPACK_ROOT}/src/modload/modload.c
    ${MODPACK_ROOT}/src/modload/crc32.c
    ${MODPACK_ROOT}/src/modload/sha256.c
    ${MODPACK_ROOT}/src/modload/inflate.c
    ${MODPACK_ROOT}/src/modload/strerror.c
    ${MODPACK_ROOT}/src/modload/arch_riscv.c)
endif()

# The ABI: ilp32 (rv32), or lp64 when the toolchain file says so
# (cmake/toolchain-riscv64-elf.cmake sets RISCV_ABI).
if(NOT RISCV_ABI)
  set(RISCV_ABI ilp32)
endif()

# Flags for everything that runs on the target. -mno-relax: the firmware
# defines no __global_pointer$, and stays simple to read in a disassembly.
set(RISCV_COMMON_FLAGS -mabi=${RISCV_ABI} -mcmodel=medany -ffreestanding -fno-common
    -ffunction-sections -fdata-sections -g -Wall -Wextra)

function(riscv_modload_library target march)
  if(TARGET ${target})
    return()
  endif()
  add_library(${target} STATIC ${MODLOAD_SOURCES})
  target_include_directories(${target} PUBLIC ${MODPACK_ROOT}/include)
  target_compile_options(${target} PRIVATE -march=${march} -Os -nostdlib ${RISCV_COMMON_FLAGS})
endfunction()

function(riscv_firmware target march board)
  cmake_parse_arguments(FW "" "" "SOURCES" ${ARGN})
  riscv_modload_library(modload_${march} ${march})
  add_executable(${target}
    ${RISCV_HARNESS_DIR}/startup.c
    ${RISCV_HARNESS_DIR}/semihost.c
    ${RISCV_HARNESS_DIR}/../common/semihost_calls.c
    ${RISCV_HARNESS_DIR}/../common/fwutil.c
    ${RISCV_HARNESS_DIR}/../common/libc.c
    ${FW_SOURCES})
  set_source_files_properties(${RISCV_HARNESS_DIR}/../common/libc.c PROPERTIES
    COMPILE_OPTIONS -fno-tree-loop-distribute-patterns)
  target_include_directories(${target} PRIVATE ${RISCV_HARNESS_DIR} ${RISCV_HARNESS_DIR}/../common)
  target_compile_definitions(${target} PRIVATE FW_BOARD="${board}")
  target_compile_options(${target} PRIVATE -march=${march} -Os ${RISCV_COMMON_FLAGS})
  target_link_options(${target} PRIVATE -march=${march} -mabi=${RISCV_ABI} -nostdlib -Wl,--no-warn-rwx-segments
    -T ${RISCV_HARNESS_DIR}/virt.ld -Wl,--gc-sections
    -Wl,-Map=$<TARGET_FILE_DIR:${target}>/${target}.map)
  set_target_properties(${target} PROPERTIES LINK_DEPENDS ${RISCV_HARNESS_DIR}/virt.ld)
  target_link_libraries(${target} PRIVATE modload_${march} gcc)
endfunction()
