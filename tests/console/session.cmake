# session.cmake - run by ctest as console.session: feed SESSION to the
# console firmware's UART under QEMU (its output comes through semihosting), write the output to
# TRANSCRIPT and compare it line by line with EXPECTED (runs of blanks
# count as one), where {n} stands
# for a number (sizes and pool figures, which vary with the compiler) and
# {hex} for an address. Every computed result is written out literally.
# Then: the last modstats line must equal the first (everything given
# back), and the one in between must show the modules' memory in use.

execute_process(
  COMMAND ${QEMU} -M mps2-an386 -display none -monitor none -serial stdio -no-reboot
          -kernel ${FIRMWARE} -semihosting-config enable=on,target=native
  INPUT_FILE ${SESSION}
  OUTPUT_VARIABLE out ERROR_VARIABLE out RESULT_VARIABLE rc TIMEOUT 60)
file(WRITE ${TRANSCRIPT} "${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "QEMU exited with ${rc}:\n${out}")
endif()

# text -> list of lines (";" kept as "<sc>", a list separator otherwise)
function(to_lines text out)
  string(REPLACE "\r" "" text "${text}")
  string(REGEX REPLACE "\n$" "" text "${text}")
  string(REPLACE ";" "<sc>" text "${text}")
  string(REPLACE "\n" ";" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()
to_lines("${out}" got)
file(READ ${EXPECTED} want)
to_lines("${want}" want)

list(LENGTH got ngot)
list(LENGTH want nwant)
set(i 0)
foreach(w IN LISTS want)
  if(i GREATER_EQUAL ngot)
    message(FATAL_ERROR "transcript ${TRANSCRIPT} ends at line ${i}; expected:\n${w}")
  endif()
  list(GET got ${i} g)
  # runs of blanks (table columns) compare as one
  string(REGEX REPLACE "  +" " " g "${g}")
  string(REGEX REPLACE "  +" " " w "${w}")
  # the expected line as a regular expression
  string(REGEX REPLACE "([][.*+?^$()|\\\\])" "\\\\\\1" re "${w}")
  string(REPLACE "{n}" "[0-9]+" re "${re}")
  string(REPLACE "{hex}" "0x[0-9a-f]+" re "${re}")
  math(EXPR line "${i} + 1")
  if(NOT g MATCHES "^${re}$")
    message(FATAL_ERROR "transcript ${TRANSCRIPT} line ${line}:\n  got:      ${g}\n  expected: ${w}")
  endif()
  if(g MATCHES "^pool ")
    list(APPEND stats "${g}")
  endif()
  math(EXPR i "${i} + 1")
endforeach()
if(NOT ngot EQUAL nwant)
  message(FATAL_ERROR "transcript ${TRANSCRIPT} has ${ngot} lines, expected ${nwant}")
endif()

list(LENGTH stats nstats)
list(GET stats 0 first)
list(GET stats -1 last)
list(GET stats 1 loaded)
if(NOT nstats EQUAL 3 OR NOT first STREQUAL last OR first STREQUAL loaded
   OR NOT first MATCHES "used 0, " OR NOT first MATCHES "modules 0 of")
  message(FATAL_ERROR "modstats: not back to the start, or nothing was in use:\n${stats}")
endif()
message(STATUS "${nwant} lines as expected; stats at the start and the end: ${first}")
