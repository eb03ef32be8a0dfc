# module-project.cmake - run by ctest as cmake.module-project (see
# CMakeLists.txt for the variables it is given). Fails with a message at
# the first step that does not do what it should.

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${ARGN}\n${out}\n${err}")
  endif()
  set(run_output "${out}${err}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK})
set(prefix ${WORK}/prefix)

# ---- 1. install this build ----
run("cmake --install" ${CMAKE_EXE} --install ${BUILD_DIR} --prefix ${prefix})
foreach(f bin/modpack include/modload.h include/modformat.h include/modload_export.h include/modreg.h
          share/modpack/ld/module.ld share/modpack/modload/modload.c
          share/modpack/cmake/toolchain-arm-none-eabi.cmake share/man/man1/modpack.1
          share/man/man3/modload.3 share/man/man3/modreg.3 share/man/man5/modpack-image.5
          lib/cmake/Modpack/ModpackConfig.cmake
          lib/cmake/Modpack/ModpackConfigVersion.cmake lib/cmake/Modpack/Modpack.cmake)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "cmake --install did not install ${f}")
  endif()
endforeach()
set(modpack ${prefix}/bin/modpack)

# ---- 2. the sample project, copied out of the tree, against the prefix ----
file(COPY ${SOURCE_DIR}/samples/hello/hello.c DESTINATION ${WORK}/src/hello)
file(COPY ${SOURCE_DIR}/samples/cmake-module DESTINATION ${WORK}/src)
set(build ${WORK}/build)
run("configuring the module project" ${CMAKE_EXE} -S ${WORK}/src/cmake-module -B ${build}
    -DCMAKE_PREFIX_PATH=${prefix})
run("building the module project" ${CMAKE_EXE} --build ${build})
message(STATUS "built:\n${run_output}")

# A version the package does not satisfy is refused.
file(WRITE ${WORK}/src/badversion/CMakeLists.txt
  "cmake_minimum_required(VERSION 3.20)\nproject(v NONE)\nfind_package(Modpack 99 REQUIRED)\n")
execute_process(COMMAND ${CMAKE_EXE} -S ${WORK}/src/badversion -B ${WORK}/badversion
                -DCMAKE_PREFIX_PATH=${prefix} RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "version")
  message(FATAL_ERROR "find_package(Modpack 99) should fail with a version message:\n${err}")
endif()

# FIRMWARE: the imports are checked against what the firmware exports (here
# a list of names); a missing one fails the build and is named.
foreach(case ok missing)
  set(names "fw_puts\nfw_print_u32\nfw_board_name\n")
  if(case STREQUAL "ok")
    string(APPEND names "fw_led\n")
  endif()
  set(d ${WORK}/src/fw-${case})
  file(WRITE ${d}/names.txt "${names}")
  file(WRITE ${d}/CMakeLists.txt "cmake_minimum_required(VERSION 3.20)\nproject(f NONE)\n"
    "find_package(Modpack REQUIRED)\n"
    "modpack_add_module(hello SOURCES ${WORK}/src/hello/hello.c ISA arm FIRMWARE ${d}/names.txt)\n")
  execute_process(COMMAND ${CMAKE_EXE} -S ${d} -B ${WORK}/fw-${case} -DCMAKE_PREFIX_PATH=${prefix}
                  OUTPUT_QUIET ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR err MATCHES "no build --firmware")
    message(FATAL_ERROR "FIRMWARE ${case}: configure failed or --firmware unknown:\n${err}")
  endif()
  execute_process(COMMAND ${CMAKE_EXE} --build ${WORK}/fw-${case}
                  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(case STREQUAL "ok" AND NOT rc EQUAL 0)
    message(FATAL_ERROR "FIRMWARE with every import exported failed:\n${out}${err}")
  elseif(case STREQUAL "missing" AND (rc EQUAL 0 OR NOT "${out}${err}" MATCHES "fw_led used at"))
    message(FATAL_ERROR "FIRMWARE without fw_led should fail naming it:\n${out}${err}")
  endif()
endforeach()
if(EXISTS ${WORK}/fw-missing/hello.mod)
  message(FATAL_ERROR "FIRMWARE: a refused module left hello.mod behind")
endif()

# ---- 3. the images verify and carry the options ----
foreach(m hello-m4 hello-m0 hello-rv32)
  if(NOT EXISTS ${build}/${m}.mod OR NOT EXISTS ${build}/${m}.elf)
    message(FATAL_ERROR "${m}.mod or ${m}.elf was not built")
  endif()
  run("modpack verify ${m}.mod" ${modpack} verify ${build}/${m}.mod)
endforeach()
run("modpack inspect hello-m4.mod" ${modpack} inspect ${build}/hello-m4.mod)
set(m4 "${run_output}")
file(READ ${build}/hello-m4.txt m4_txt)
if(NOT m4_txt STREQUAL m4)
  message(FATAL_ERROR "hello-m4.txt (INSPECT) differs from modpack inspect:\n${m4_txt}")
endif()
foreach(want "1\\.0\\.0" "samples/hello built by CMake" "hello_greet" "fw_board_name")
  if(NOT m4 MATCHES "${want}")
    message(FATAL_ERROR "hello-m4.mod: inspect does not show ${want}:\n${m4}")
  endif()
endforeach()
run("modpack inspect hello-m0.mod" ${modpack} inspect ${build}/hello-m0.mod)
if(run_output MATCHES "hello_greet")
  message(FATAL_ERROR "hello-m0.mod (STRIP) still holds names:\n${run_output}")
endif()
run("modpack inspect hello-rv32.mod" ${modpack} inspect ${build}/hello-rv32.mod)
if(NOT run_output MATCHES "RISC-V|riscv")
  message(FATAL_ERROR "hello-rv32.mod is not a RISC-V image:\n${run_output}")
endif()

# ---- 4. samples/hello/Makefile with the same options makes the same image ----
# (but for the build-id, a hash of the ELF, whose debug information names
# the directory it was built in)
if(MAKE_PROGRAM)
  set(mk ${WORK}/make)
  foreach(v "hello-m4|OPT=-O2|VERSION=1.0.0|DESCRIPTION=samples/hello built by CMake"
            "hello-m0|CPU=cortex-m0|LONGCALLS=1|STRIP=1|VERSION=1.0.0"
            "hello-rv32|ISA=riscv32|CPU=rv32imc|VERSION=1.0.0")
    string(REPLACE "|" ";" v "${v}")
    list(POP_FRONT v m)
    file(MAKE_DIRECTORY ${mk}/${m})
    run("make ${m}" ${CMAKE_EXE} -E env --unset=MAKEFLAGS --unset=MFLAGS
        ${MAKE_PROGRAM} -s -C ${mk}/${m} -f ${SOURCE_DIR}/samples/hello/Makefile
        SRCDIR=${WORK}/src/hello LDSCRIPT=${prefix}/share/modpack/ld/module.ld
        MODPACK=${modpack} "MODFLAGS=--name=${m}" ${v})
    run("inspect" ${modpack} inspect --fixups ${mk}/${m}/hello.mod)
    string(REGEX REPLACE "\n *build-id[^\n]*|CRC:[^\n]*" "" by_make "${run_output}")
    run("inspect" ${modpack} inspect --fixups ${build}/${m}.mod)
    string(REGEX REPLACE "\n *build-id[^\n]*|CRC:[^\n]*" "" by_cmake "${run_output}")
    if(NOT by_make STREQUAL by_cmake OR NOT by_make MATCHES "name +${m}")
      message(FATAL_ERROR "${m}: samples/hello/Makefile (${v}) and modpack_add_module differ:\n"
        "${by_make}\n----\n${by_cmake}")
    endif()
  endforeach()
else()
  message(STATUS "make not found: the Makefile was not compared")
endif()

# ---- 4b. COMPRESS, SIGN and SECURITY_VERSION, in CMake and the Makefile ----
set(d ${WORK}/src/signed)
file(MAKE_DIRECTORY ${d})
run("modpack keygen" ${modpack} keygen -o ${d}/key.pem)
file(WRITE ${d}/CMakeLists.txt "cmake_minimum_required(VERSION 3.20)\nproject(s NONE)\n"
  "find_package(Modpack REQUIRED)\n"
  "modpack_add_module(hello-signed SOURCES ${WORK}/src/hello/hello.c ISA arm VERSION 1.0.0\n"
  "  COMPRESS SIGN key.pem SECURITY_VERSION 3)\n")
run("configuring the signed module" ${CMAKE_EXE} -S ${d} -B ${WORK}/signed -DCMAKE_PREFIX_PATH=${prefix})
run("building the signed module" ${CMAKE_EXE} --build ${WORK}/signed)
set(signed_images ${WORK}/signed/hello-signed.mod)
if(MAKE_PROGRAM)
  file(MAKE_DIRECTORY ${mk}/hello-signed)
  run("make hello-signed" ${CMAKE_EXE} -E env --unset=MAKEFLAGS --unset=MFLAGS
      ${MAKE_PROGRAM} -s -C ${mk}/hello-signed -f ${SOURCE_DIR}/samples/hello/Makefile
      SRCDIR=${WORK}/src/hello LDSCRIPT=${prefix}/share/modpack/ld/module.ld
      MODPACK=${modpack} MODFLAGS=--name=hello-signed VERSION=1.0.0
      COMPRESS=1 SIGN=${d}/key.pem SECURITY_VERSION=3)
  list(APPEND signed_images ${mk}/hello-signed/hello.mod)
endif()
set(seen "")
foreach(img IN LISTS signed_images)
  run("modpack verify --key ${img}" ${modpack} verify ${img} --key ${d}/key.pub.pem)
  run("inspect" ${modpack} inspect ${img})
  foreach(want "compressed" "Security: +version 3" "Signatures: +1")
    if(NOT run_output MATCHES "${want}")
      message(FATAL_ERROR "${img}: inspect does not show ${want}:\n${run_output}")
    endif()
  endforeach()
  # the same but for what hashes the ELF (build-id) and what covers it
  string(REGEX REPLACE "\n *build-id[^\n]*|CRC:[^\n]*|Digest:[^\n]*|\n *\\[0\\] key id[^\n]*" ""
         this "${run_output}")
  if(seen AND NOT this STREQUAL seen)
    message(FATAL_ERROR "hello-signed: the Makefile and modpack_add_module differ:\n${this}\n----\n${seen}")
  endif()
  set(seen "${this}")
endforeach()

# ---- 5. a firmware project links the installed modload ----
# (run below with the others)
set(fwbuild ${WORK}/firmware)
run("configuring the firmware project" ${CMAKE_EXE} -S ${SOURCE_DIR}/tests/cmake/firmware
    -B ${fwbuild} -DCMAKE_PREFIX_PATH=${prefix} -DSAMPLES=${SOURCE_DIR}/samples
    -DCMAKE_TOOLCHAIN_FILE=${prefix}/share/modpack/cmake/toolchain-arm-none-eabi.cmake
    -DARM_CPU=cortex-m4)
run("building the firmware project" ${CMAKE_EXE} --build ${fwbuild})

# ---- 6. they run: the sample firmware loads each and checks what it computes ----
function(qemu_run what fw)
  if(NOT EXISTS ${fw})
    message(FATAL_ERROR "${what}: firmware ${fw} not built (tests/arm and tests/riscv build it)")
  endif()
  execute_process(COMMAND ${ARGN} -kernel ${fw} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err TIMEOUT 60)
  set(out "${out}${err}")   # semihosting writes to QEMU's stdout or stderr
  message(STATUS "${what}:\n${out}")
  if(NOT rc EQUAL 0 OR NOT out MATCHES "failed: PASS" OR NOT out MATCHES "hello: greetings: 2\n")
    message(FATAL_ERROR "${what}: exit ${rc}, the firmware did not pass")
  endif()
endfunction()

set(nographic -nographic -monitor none -serial none -no-reboot)
if(QEMU_ARM)
  qemu_run("hello-m4.mod on the firmware built against the prefix" ${fwbuild}/fw.elf
           ${QEMU_ARM} -M mps2-an386 ${nographic}
           -semihosting-config enable=on,target=native,arg=fw,arg=${build}/hello-m4.mod)
  qemu_run("hello-m4.mod on mps2-an386" ${FW_AN386} ${QEMU_ARM} -M mps2-an386 ${nographic}
           -semihosting-config enable=on,target=native,arg=fw,arg=${build}/hello-m4.mod)
  qemu_run("hello-m0.mod on mps2-an385" ${FW_AN385} ${QEMU_ARM} -M mps2-an385 ${nographic}
           -semihosting-config enable=on,target=native,arg=fw,arg=${build}/hello-m0.mod)
else()
  message(STATUS "qemu-system-arm not found: the Cortex-M modules were not run")
endif()
if(QEMU_RISCV32)
  qemu_run("hello-rv32.mod on virt" ${FW_VIRT32} ${QEMU_RISCV32} -M virt -bios none ${nographic}
           -semihosting-config enable=on,target=native,arg=fw,arg=${build}/hello-rv32.mod)
else()
  message(STATUS "qemu-system-riscv32 not found: the RISC-V module was not run")
endif()
