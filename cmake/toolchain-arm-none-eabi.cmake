# toolchain-arm-none-eabi.cmake - cross-build for bare-metal ARM (Cortex-M)
# with the GNU Arm Embedded toolchain (Debian: gcc-arm-none-eabi).
#
#   cmake -S <project> -B build \
#         -DCMAKE_TOOLCHAIN_FILE=<modpack>/cmake/toolchain-arm-none-eabi.cmake \
#         -DARM_CPU=cortex-m4
#
# ARM_CPU is required: it adds "-mcpu=${ARM_CPU} -mthumb" to every compile
# and link (without a CPU, arm-none-eabi-gcc builds ARM-state armv4t code,
# which no Cortex-M runs). ARM_CPU=none adds nothing, for a project that
# builds for several CPUs and sets -mcpu and -mthumb on every target itself
# (tests/arm does). ARM_TOOLCHAIN_PREFIX selects another
# toolchain ("arm-none-eabi-" by default; it may be a full path prefix).
# Nothing is linked while CMake probes the compiler (no startup files exist
# on bare metal), so try_compile builds static libraries only.

set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(ARM_TOOLCHAIN_PREFIX "arm-none-eabi-" CACHE STRING "prefix of the cross tools")
set(ARM_CPU "" CACHE STRING "-mcpu for every target (e.g. cortex-m0, cortex-m4), or none")
if(NOT ARM_CPU)
  message(FATAL_ERROR "toolchain-arm-none-eabi.cmake: no CPU given; configure with "
    "-DARM_CPU=cortex-m4 (or cortex-m0, cortex-m3, cortex-m7, ...), or with -DARM_CPU=none "
    "when every target sets -mcpu and -mthumb itself")
endif()

# Variables the toolchain file reads must reach try_compile projects too.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES ARM_TOOLCHAIN_PREFIX ARM_CPU)

set(CMAKE_C_COMPILER   ${ARM_TOOLCHAIN_PREFIX}gcc)
set(CMAKE_CXX_COMPILER ${ARM_TOOLCHAIN_PREFIX}g++)
set(CMAKE_ASM_COMPILER ${ARM_TOOLCHAIN_PREFIX}gcc)
find_program(CMAKE_OBJCOPY ${ARM_TOOLCHAIN_PREFIX}objcopy)
find_program(CMAKE_OBJDUMP ${ARM_TOOLCHAIN_PREFIX}objdump)
find_program(CMAKE_SIZE    ${ARM_TOOLCHAIN_PREFIX}size)
find_program(CMAKE_NM      ${ARM_TOOLCHAIN_PREFIX}nm)

set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

if(NOT ARM_CPU STREQUAL "none")
  set(CMAKE_C_FLAGS_INIT   "-mcpu=${ARM_CPU} -mthumb")
  set(CMAKE_ASM_FLAGS_INIT "-mcpu=${ARM_CPU} -mthumb")
  set(CMAKE_EXE_LINKER_FLAGS_INIT "-mcpu=${ARM_CPU} -mthumb")
endif()

set(CMAKE_EXECUTABLE_SUFFIX .elf)
set(CMAKE_EXECUTABLE_SUFFIX_C .elf)

# Never pick up host headers or libraries.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
