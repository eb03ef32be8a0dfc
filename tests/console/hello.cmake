# hello.cmake - run by ctest as console.hello: the shipped sample module
# (samples/hello, built by its Makefile) in the console firmware, through
# the console's UART commands. hello_greet(who) takes a string: it is given
# the firmware's fw_board_name (address read from the ELF with NM), so the
# module's output and return values are what it computed from its own data
# (greetings table, .data counter, .bss) and the firmware's imports.
#   -DNM=... -DFIRMWARE=... -DEXPECTED=... -DWORK=... -DQEMU=...
execute_process(COMMAND ${NM} ${FIRMWARE} OUTPUT_VARIABLE syms RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT syms MATCHES "([0-9a-f]+) [RrDdTt] fw_board_name\n")
  message(FATAL_ERROR "fw_board_name not found in ${FIRMWARE} (the console must export it)")
endif()
set(who 0x${CMAKE_MATCH_1})
file(WRITE ${WORK}/hello-session.txt
  "modstats\nmodload hello.mod\nmodstats\n"
  "modcall hello hello_greet ${who}\nmodcall hello hello_greet ${who}\n"
  "modunload hello\nmodstats\nquit\n")
set(SESSION ${WORK}/hello-session.txt)
set(TRANSCRIPT ${WORK}/hello-transcript.txt)
include(${CMAKE_CURRENT_LIST_DIR}/session.cmake)
