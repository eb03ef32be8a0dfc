# install.cmake - run by ctest as install.firmware (VARIANT=cmake) and
# install.pkg-config (VARIANT=pkg-config); see CMakeLists.txt.

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${ARGN}\n${out}\n${err}")
  endif()
  set(run_output "${out}${err}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK})
set(prefix ${WORK}/prefix)

# ---- 1. install this build; the layout a firmware project relies on ----
run("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
foreach(f bin/modpack include/modload.h include/modload_config.h include/modformat.h include/modload_export.h
          include/modreg.h include/modslot.h share/modpack/modload/modload.c share/modpack/modload/modslot.c
          share/modpack/modload/modload_internal.h share/doc/modpack/slot-store.md share/man/man3/modslot.3
          share/man/man3/modslot_update_finish.3
          share/modpack/ld/module.ld share/modpack/cmake/toolchain-arm-none-eabi.cmake
          share/pkgconfig/modload.pc share/doc/modpack/image-format.md
          lib/cmake/Modpack/ModpackConfig.cmake lib/cmake/Modpack/Modpack.cmake)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "cmake --install did not install ${f}")
  endif()
endforeach()
if(EXISTS ${prefix}/include/modpack)
  message(FATAL_ERROR "headers are installed flat in include/, not include/modpack/")
endif()

# ---- 2. the firmware sources, out of the tree ----
file(COPY ${FIRMWARE_SRC}/ DESTINATION ${WORK}/src)
set(build ${WORK}/build)

if(VARIANT STREQUAL "cmake")
  # The toolchain file refuses to guess a CPU.
  execute_process(COMMAND ${CMAKE_COMMAND} -S ${WORK}/src -B ${WORK}/nocpu
                  -DCMAKE_PREFIX_PATH=${prefix}
                  -DCMAKE_TOOLCHAIN_FILE=${prefix}/share/modpack/cmake/toolchain-arm-none-eabi.cmake
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc EQUAL 0 OR NOT "${out}${err}" MATCHES "-DARM_CPU=cortex-m4")
    message(FATAL_ERROR "configuring without ARM_CPU should fail naming -DARM_CPU=cortex-m4:\n${out}${err}")
  endif()

  run("configuring the firmware project" ${CMAKE_COMMAND} -S ${WORK}/src -B ${build}
      -DCMAKE_PREFIX_PATH=${prefix} -DARM_CPU=cortex-m4 -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
      -DMODLOAD_PROFILE=MINIMAL # passed on by Modpack::modload
      -DCMAKE_TOOLCHAIN_FILE=${prefix}/share/modpack/cmake/toolchain-arm-none-eabi.cmake)
  run("building the firmware project" ${CMAKE_COMMAND} --build ${build})
  set(commands_file ${build}/compile_commands.json)
else()
  # modload.pc gives the include directory, modload's sources, module.ld
  # and modpack; the Makefile uses nothing else.
  set(ENV{PKG_CONFIG_PATH} ${prefix}/share/pkgconfig)
  file(MAKE_DIRECTORY ${build})
  run("make (pkg-config modload)" ${MAKE_PROGRAM} -C ${build} -f ${WORK}/src/Makefile
      SRCDIR=${WORK}/src --no-print-directory)
  # the commands make ran
  execute_process(COMMAND ${MAKE_PROGRAM} -n -B -C ${build} -f ${WORK}/src/Makefile
                  SRCDIR=${WORK}/src --no-print-directory OUTPUT_VARIABLE make_commands)
  file(WRITE ${build}/commands.txt "${make_commands}")
  set(commands_file ${build}/commands.txt)
endif()

# Nothing was taken from the source tree. The scratch directory (prefix,
# project, build) may itself lie inside it (CI builds in build-ci/), so its
# paths are taken out first.
file(READ ${commands_file} commands)
string(REPLACE "${WORK}/" "<work>/" outside "${commands}")
string(FIND "${outside}" "${SOURCE_DIR}/" at)
if(NOT at EQUAL -1)
  message(FATAL_ERROR "the firmware build used the modpack source tree (${SOURCE_DIR}):\n${commands}")
endif()
# Both ways pass the minimal profile (a CMake variable, a pkg-config variable).
if(NOT commands MATCHES "MODLOAD_PROFILE=MODLOAD_PROFILE_MINIMAL")
  message(FATAL_ERROR "the minimal profile was not passed on:\n${commands}")
endif()
if(NOT commands MATCHES "${prefix}/[^ \n]*share/modpack/modload/modload.c")
  message(FATAL_ERROR "modload was not compiled from the installed sources:\n${commands}")
endif()
foreach(f fw.elf calc.mod)
  if(NOT EXISTS ${build}/${f})
    message(FATAL_ERROR "${f} was not built")
  endif()
endforeach()

# ---- 3. run: the firmware loads calc.mod and prints what calc_sum computed ----
# calc_sum(n) = 100 + 10 * (sum of the first n primes) + calls:
#   calc_sum(6) = 100 + 410 + 1 = 511, calc_sum(3) = 100 + 100 + 2 = 202
execute_process(
  COMMAND ${QEMU} -M mps2-an386 -display none -monitor none -serial none -no-reboot
          -semihosting-config enable=on,target=native -kernel ${build}/fw.elf
  WORKING_DIRECTORY ${build}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60)
if(NOT rc EQUAL 0 OR NOT "${out}${err}" MATCHES "calc_sum\\(6\\) = 511, calc_sum\\(3\\) = 202($|[^0-9])")
  message(FATAL_ERROR "the firmware did not load and run calc.mod as expected (exit ${rc}):\n${out}${err}")
endif()
message(STATUS "${VARIANT}: ${out}${err}")
