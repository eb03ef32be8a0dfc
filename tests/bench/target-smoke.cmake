# target-smoke.cmake - run tools/bench --target small (Cortex-M0, minimal
# profile, 4 and 8 units) twice: counting the instructions of each
# translated block (the default) and with -singlestep (a log line per
# instruction). Checks that both ran, that each printed a row per size with
# non-zero copy, load and check counts, and that the two ways counted the
# same instructions. No count is compared with a number.
find_program(PYTHON3 python3 REQUIRED)
set(args --target --modpack ${MODPACK} --targets m0-minimal --n 4 --scale 2 --work ${WORK} --jobs 2)
set(rows "")
foreach(mode blocks singlestep)
  set(extra "")
  if(mode STREQUAL singlestep)
    set(extra --singlestep --reuse)
  endif()
  execute_process(COMMAND ${PYTHON3} ${BENCH} ${args} ${extra}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("${out}${err}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "tools/bench --target ${extra} exited with ${rc}")
  endif()
  if(NOT out MATCHES "instructions QEMU executes")
    message(FATAL_ERROR "tools/bench --target ${extra}: the table heading is missing")
  endif()
  set(${mode} "")
  foreach(n 4 8)
    # target units image-KB fixups copy load check, ratios, per fixup, crc/B, cpy/B
    set(nz "[1-9][0-9]*")
    if(NOT out MATCHES "\n(m0-minimal +${n} +[0-9.]+ +${nz} +${nz} +${nz} +${nz}) +[0-9.]+ +[0-9.]+ +-?[0-9.]+ +-?[0-9.]+ +[0-9.]+ +-?[0-9.]+\n")
      message(FATAL_ERROR "tools/bench --target ${extra}: no row with non-zero counts for m0-minimal, ${n} units")
    endif()
    list(APPEND ${mode} "${CMAKE_MATCH_1}")
  endforeach()
endforeach()
if(NOT blocks STREQUAL singlestep)
  message(FATAL_ERROR "the counts of the blocks (${blocks}) and of -singlestep (${singlestep}) differ")
endif()
