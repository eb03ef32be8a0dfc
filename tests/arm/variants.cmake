# variants.cmake - the Cortex-M end-to-end test matrix, read by the cross
# project (target/CMakeLists.txt, which builds the modules) and by
# CMakeLists.txt (which registers one CTest test per variant).
#
# Each entry: "<name> <cpu> <board> <flags...>". Flags starting with "--"
# go to modpack build (except --target=, which selects clang), LDS=<file>
# names the linker script in tests/harness (default samples/ld/module.ld),
# the others go to the compiler and linker. Cortex-M0
# modules (Thumb-1) run on the AN385 firmware (a Cortex-M3 in QEMU; the
# firmware is built for Cortex-M0 and traps unaligned accesses), Cortex-M4
# modules on AN386.
set(ARM_TEST_VARIANTS
  "m0-O0 cortex-m0 an385 -O0"
  "m0-Os cortex-m0 an385 -Os"
  "m0-O2 cortex-m0 an385 -O2"
  "m4-O0 cortex-m4 an386 -O0"
  "m4-Os cortex-m4 an386 -Os"
  "m4-O2 cortex-m4 an386 -O2"
  "m0-Os-longcalls cortex-m0 an385 -Os -mlong-calls"
  "m0-O2-longcalls cortex-m0 an385 -O2 -mlong-calls"
  "m4-Os-longcalls cortex-m4 an386 -Os -mlong-calls"
  "m4-O2-longcalls cortex-m4 an386 -O2 -mlong-calls"
  "m4-Os-movw cortex-m4 an386 -Os -mslow-flash-data"
  "m4-O2-movw-longcalls cortex-m4 an386 -O2 -mslow-flash-data -mlong-calls"
  "m4-O2-pic cortex-m4 an386 -O2 -fPIC -mlong-calls"
  "m0-Os-pic cortex-m0 an385 -Os -fPIC -mlong-calls"
  "m4-O2-pic-bl cortex-m4 an386 -O2 -fPIC"
  "m0-Os-pic-bl cortex-m0 an385 -Os -fPIC"
  # the GOT inside .data (tests/harness/module-got-in-data.ld): no .got section
  "m4-O2-pic-gotdata cortex-m4 an386 -O2 -fPIC LDS=module-got-in-data.ld"
  "m0-Os-pic-gotdata cortex-m0 an385 -Os -fPIC -mlong-calls LDS=module-got-in-data.ld"
  "m0-O2-stripped cortex-m0 an385 -O2 --strip-names"
  "m4-Os-stripped cortex-m4 an386 -Os --strip-names"
  "m4-Os-sections cortex-m4 an386 -Os -ffunction-sections -fdata-sections"
  # Execute in place: no fixup in the code; data reached through r9 (the GOT).
  "m4-Os-xip cortex-m4 an386 -Os -fPIC -msingle-pic-base -mpic-register=r9 -mno-pic-data-is-text-relative -mlong-calls --require=xip"
  "m0-O2-xip cortex-m0 an385 -O2 -fPIC -msingle-pic-base -mpic-register=r9 -mno-pic-data-is-text-relative -mlong-calls --require=xip"
  # Compressed images (format 1.2): modload inflates code and data into place.
  "m0-Os-compress cortex-m0 an385 -Os --compress"
  "m4-O2-compress cortex-m4 an386 -O2 --compress"
)

# The same module from clang and ld.lld: a "--target=<triple>" flag makes
# a variant a clang one (target/CMakeLists.txt compiles it with clang for
# that triple and -mcpu, links it with ld.lld --emit-relocs -T module.ld
# and the CPU's libgcc from arm-none-eabi-gcc). Left out with a message
# when clang or ld.lld is missing.
find_program(ARM_CLANG clang)
find_program(ARM_LLD ld.lld)
if(ARM_CLANG AND ARM_LLD)
  list(APPEND ARM_TEST_VARIANTS
    "clang-m0-O0 cortex-m0 an385 --target=thumbv6m-none-eabi -O0"
    "clang-m0-Os cortex-m0 an385 --target=thumbv6m-none-eabi -Os"
    "clang-m0-O2-longcalls cortex-m0 an385 --target=thumbv6m-none-eabi -O2 -mlong-calls"
    "clang-m4-O0 cortex-m4 an386 --target=thumbv7em-none-eabi -O0"
    "clang-m4-Os cortex-m4 an386 --target=thumbv7em-none-eabi -Os"
    "clang-m4-O2 cortex-m4 an386 --target=thumbv7em-none-eabi -O2"
    "clang-m4-O2-longcalls cortex-m4 an386 --target=thumbv7em-none-eabi -O2 -mlong-calls"
    "clang-m4-Os-xo cortex-m4 an386 --target=thumbv7em-none-eabi -Os -mexecute-only"
    "clang-m4-Os-sections cortex-m4 an386 --target=thumbv7em-none-eabi -Os -ffunction-sections -fdata-sections"
    "clang-m0-Os-stripped cortex-m0 an385 --target=thumbv6m-none-eabi -Os --strip-names"
    # clang -fPIC: R_ARM_GOT_PREL literals added to the PC
    "clang-m4-O2-pic cortex-m4 an386 --target=thumbv7em-none-eabi -O2 -fPIC"
    "clang-m0-O0-pic cortex-m0 an385 --target=thumbv6m-none-eabi -O0 -fPIC"
    "clang-m0-Os-pic-longcalls cortex-m0 an385 --target=thumbv6m-none-eabi -Os -fPIC -mlong-calls"
    "clang-m4-O2-pic-gotdata cortex-m4 an386 --target=thumbv7em-none-eabi -O2 -fPIC LDS=module-got-in-data.ld"
  )
else()
  message(VERBOSE "tests/arm: clang or ld.lld not found (apt-get install clang lld); clang/lld variants skipped")
endif()

# Variants the firmware also runs in place from its flash partition.
set(ARM_XIP_VARIANTS m4-Os-xip m0-O2-xip)

# Variants whose image the firmware also corrupts byte by byte.
set(ARM_CORRUPT_VARIANTS m0-Os m4-O2 m4-Os-stripped m0-Os-compress m4-O2-compress)
if(ARM_CLANG AND ARM_LLD)
  list(APPEND ARM_CORRUPT_VARIANTS clang-m4-O2)
endif()

# The sample module (samples/hello), built with its own Makefile.
# name cpu board sample (a directory of samples/ with its Makefile)
set(ARM_SAMPLE_VARIANTS
  "hello-m0 cortex-m0 an385 hello"
  "hello-m4 cortex-m4 an386 hello"
  "hello-cxx-m0 cortex-m0 an385 hello-cxx"
  "hello-cxx-m4 cortex-m4 an386 hello-cxx"
)

# name -> list: name cpu board flags...
macro(arm_variant_split entry out_name out_cpu out_board out_flags)
  separate_arguments(_v UNIX_COMMAND "${entry}")
  list(GET _v 0 ${out_name})
  list(GET _v 1 ${out_cpu})
  list(GET _v 2 ${out_board})
  list(LENGTH _v _n)
  if(_n GREATER 3)
    list(SUBLIST _v 3 -1 ${out_flags})
  else()
    set(${out_flags} "")
  endif()
endmacro()
