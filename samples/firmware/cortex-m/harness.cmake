# harness.cmake - CMake functions for the Cortex-M modload harness.
# Include from a project configured with cmake/toolchain-arm-none-eabi.cmake
# (-DARM_CPU=none or the one CPU: each target gets -mcpu=<cpu> itself).
#
#   MODPACK_ROOT      the modpack source tree (default: three levels up)
#   MODLOAD_SOURCES   modload's sources (default: src/modload/*.c as listed
#                     in src/modload/CMakeLists.txt)
#
#   cortexm_modload_library(<target> <cpu>)
#       modload compiled freestanding for -mcpu=<cpu> at -Os.
#   cortexm_firmware(<target> <cpu> <board-name> [MODLOAD <library>] SOURCES <src>...)
#       a firmware ELF for the MPS2 memory map (mps2.ld) with startup code,
#       semihosting and the helpers of ../common/fwutil.c, linked with modload for
#       <cpu> (or the given modload library, e.g. one built with another
#       profile, whose compile definitions the firmware shares) and libgcc
#       only (no C library).

include_guard(GLOBAL)

set(CORTEXM_HARNESS_DIR ${CMAKE_CURRENT_LIST_DIR})
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
    ${MODPACK_ROOT}/src/modload/arch_arm.c)
endif()

# Flags for everything that runs on the target.
set(CORTEXM_COMMON_FLAGS -ffreestanding -fno-common -ffunction-sections -fdata-sections
    -g -Wall -Wextra)

function(cortexm_modload_library target cpu)
  if(TARGET ${target})
    return()
  endif()
  add_library(${target} STATIC ${MODLOAD_SOURCES})
  target_include_directories(${target} PUBLIC ${MODPACK_ROOT}/include)
  # Freestanding: modload may use memcpy/memset/memcmp and nothing else
  # from a C library (checked by the test modload.freestanding.arm).
  target_compile_options(${target} PRIVATE -mcpu=${cpu} -mthumb -Os -nostdlib
    ${CORTEXM_COMMON_FLAGS})
endfunction()

function(cortexm_firmware target cpu board)
  cmake_parse_arguments(FW "" "MODLOAD" "SOURCES" ${ARGN})
  string(REPLACE "-" "_" cpu_id ${cpu})
  if(NOT FW_MODLOAD)
    cortexm_modload_library(modload_${cpu_id} ${cpu})
    set(FW_MODLOAD modload_${cpu_id})
  endif()
  add_executable(${target}
    ${CORTEXM_HARNESS_DIR}/startup.c
    ${CORTEXM_HARNESS_DIR}/semihost.c
    ${CORTEXM_HARNESS_DIR}/../common/semihost_calls.c
    ${CORTEXM_HARNESS_DIR}/../common/fwutil.c
    ${CORTEXM_HARNESS_DIR}/../common/libc.c
    ${FW_SOURCES})
  set_source_files_properties(${CORTEXM_HARNESS_DIR}/../common/libc.c PROPERTIES
    COMPILE_OPTIONS -fno-tree-loop-distribute-patterns)
  target_include_directories(${target} PRIVATE ${CORTEXM_HARNESS_DIR} ${CORTEXM_HARNESS_DIR}/../common)
  target_compile_definitions(${target} PRIVATE FW_BOARD="${board}")
  target_compile_options(${target} PRIVATE -mcpu=${cpu} -mthumb -Os ${CORTEXM_COMMON_FLAGS})
  target_link_options(${target} PRIVATE -mcpu=${cpu} -mthumb -nostdlib
    -T ${CORTEXM_HARNESS_DIR}/mps2.ld -Wl,--gc-sections
    -Wl,-Map=$<TARGET_FILE_DIR:${target}>/${target}.map)
  set_target_properties(${target} PROPERTIES LINK_DEPENDS ${CORTEXM_HARNESS_DIR}/mps2.ld)
  target_link_libraries(${target} PRIVATE ${FW_MODLOAD} gcc)
endfunction()
