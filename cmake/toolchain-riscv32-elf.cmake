# toolchain-riscv32-elf.cmake - cross-build for bare-metal rv32 with the
# riscv64-unknown-elf toolchain (Debian: gcc-riscv64-unknown-elf), which
# builds rv32 code with -march=rv32... -mabi=ilp32.
#
#   cmake -S <project> -B build \
#         -DCMAKE_TOOLCHAIN_FILE=<modpack>/cmake/toolchain-riscv32-elf.cmake \
#         [-DRISCV_MARCH=rv32imac]
#
# RISCV_MARCH, when given, adds "-march=${RISCV_MARCH} -mabi=ilp32" to every
# compile and link; leave it empty when a project sets -march per target
# (tests/riscv does). RISCV_TOOLCHAIN_PREFIX selects another toolchain.
# Nothing is linked while CMake probes the compiler, so try_compile builds
# static libraries only.

set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv32)

set(RISCV_TOOLCHAIN_PREFIX "riscv64-unknown-elf-" CACHE STRING "prefix of the cross tools")
set(RISCV_MARCH "" CACHE STRING "optional -march for every target (e.g. rv32imac)")

list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES RISCV_TOOLCHAIN_PREFIX RISCV_MARCH)

set(CMAKE_C_COMPILER   ${RISCV_TOOLCHAIN_PREFIX}gcc)
set(CMAKE_ASM_COMPILER ${RISCV_TOOLCHAIN_PREFIX}gcc)
find_program(CMAKE_OBJCOPY ${RISCV_TOOLCHAIN_PREFIX}objcopy)
find_program(CMAKE_OBJDUMP ${RISCV_TOOLCHAIN_PREFIX}objdump)
find_program(CMAKE_SIZE    ${RISCV_TOOLCHAIN_PREFIX}size)
find_program(CMAKE_NM      ${RISCV_TOOLCHAIN_PREFIX}nm)

set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
# The compiler's default is rv64; probe it as rv32.
set(CMAKE_C_FLAGS_INIT "-march=rv32imac -mabi=ilp32")
set(CMAKE_ASM_FLAGS_INIT "-march=rv32imac -mabi=ilp32")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-march=rv32imac -mabi=ilp32")
if(RISCV_MARCH)
  set(CMAKE_C_FLAGS_INIT   "-march=${RISCV_MARCH} -mabi=ilp32")
  set(CMAKE_ASM_FLAGS_INIT "-march=${RISCV_MARCH} -mabi=ilp32")
  set(CMAKE_EXE_LINKER_FLAGS_INIT "-march=${RISCV_MARCH} -mabi=ilp32")
endif()

set(CMAKE_EXECUTABLE_SUFFIX .elf)
set(CMAKE_EXECUTABLE_SUFFIX_C .elf)

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
