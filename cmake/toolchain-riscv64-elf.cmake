# toolchain-riscv64-elf.cmake - cross-build for bare-metal rv64 with the
# riscv64-unknown-elf toolchain (Debian: gcc-riscv64-unknown-elf):
# -march=rv64imac -mabi=lp64 unless RISCV_MARCH says otherwise.
#
#   cmake -S <project> -B build \
#         -DCMAKE_TOOLCHAIN_FILE=<modpack>/cmake/toolchain-riscv64-elf.cmake
#
# Projects read RISCV_ABI (lp64) for the flags they give per target
# (samples/firmware/riscv/harness.cmake). Nothing is linked while CMake
# probes the compiler, so try_compile builds static libraries only.

set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv64)

set(RISCV_TOOLCHAIN_PREFIX "riscv64-unknown-elf-" CACHE STRING "prefix of the cross tools")
set(RISCV_MARCH "rv64imac" CACHE STRING "-march for every target")
set(RISCV_ABI "lp64" CACHE STRING "-mabi for every target")

list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES RISCV_TOOLCHAIN_PREFIX RISCV_MARCH RISCV_ABI)

set(CMAKE_C_COMPILER   ${RISCV_TOOLCHAIN_PREFIX}gcc)
set(CMAKE_ASM_COMPILER ${RISCV_TOOLCHAIN_PREFIX}gcc)
find_program(CMAKE_OBJCOPY ${RISCV_TOOLCHAIN_PREFIX}objcopy)
find_program(CMAKE_OBJDUMP ${RISCV_TOOLCHAIN_PREFIX}objdump)
find_program(CMAKE_SIZE    ${RISCV_TOOLCHAIN_PREFIX}size)
find_program(CMAKE_NM      ${RISCV_TOOLCHAIN_PREFIX}nm)

set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_C_FLAGS_INIT   "-march=${RISCV_MARCH} -mabi=${RISCV_ABI}")
set(CMAKE_ASM_FLAGS_INIT "-march=${RISCV_MARCH} -mabi=${RISCV_ABI}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-march=${RISCV_MARCH} -mabi=${RISCV_ABI}")

set(CMAKE_EXECUTABLE_SUFFIX .elf)
set(CMAKE_EXECUTABLE_SUFFIX_C .elf)

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
