# variants.cmake - the rv32 end-to-end test matrix, read by the cross
# project (target/CMakeLists.txt, which builds the modules) and by
# CMakeLists.txt (which registers one CTest test per variant).
#
# Each entry: "<name> <march> <flags...>". Flags starting with "--" go to
# modpack build (except --target=, which selects clang), the others to the
# compiler and linker; -fuse-ld=lld links with ld.lld instead of GNU ld. Every module runs
# on the one test firmware (rv32imac; QEMU's rv32 CPU runs rv32imc code).
#
# Relaxation: ld relaxes addresses below 2 KiB (x0-relative) and below
# 128 KiB (C.LUI), which a module linked at 0 always has; modpack refuses
# those (tests/riscv/reject.sh). The relaxed variants are linked at
# 0x10000000, where only calls and alignment relax.
set(RISCV_TEST_VARIANTS
  "imac-O0 rv32imac -O0 -mcmodel=medlow -mno-relax"
  "imac-Os rv32imac -Os -mcmodel=medlow -mno-relax"
  "imac-O2 rv32imac -O2 -mcmodel=medlow -mno-relax"
  "imc-O0 rv32imc -O0 -mcmodel=medlow -mno-relax"
  "imc-Os rv32imc -Os -mcmodel=medlow -mno-relax"
  "imc-O2 rv32imc -O2 -mcmodel=medlow -mno-relax"
  "imac-O0-medany rv32imac -O0 -mcmodel=medany -mno-relax"
  "imac-O2-medany rv32imac -O2 -mcmodel=medany -mno-relax"
  "imc-Os-medany rv32imc -Os -mcmodel=medany -mno-relax"
  "imac-O2-relax rv32imac -O2 -mcmodel=medlow -mrelax -Wl,--defsym=__module_base=0x10000000"
  "imc-Os-relax rv32imc -Os -mcmodel=medlow -mrelax -Wl,--defsym=__module_base=0x10000000"
  "imac-Os-medany-relax rv32imac -Os -mcmodel=medany -mrelax -Wl,--defsym=__module_base=0x10000000"
  "imc-O2-medany-relax rv32imc -O2 -mcmodel=medany -mrelax -Wl,--defsym=__module_base=0x10000000"
  "imc-Os-stripped rv32imc -Os -mcmodel=medlow -mno-relax --strip-names"
  "imac-O2-sections rv32imac -O2 -mcmodel=medlow -mno-relax -ffunction-sections -fdata-sections"
  "imc-Os-compress rv32imc -Os -mcmodel=medlow -mno-relax --compress"
)

# clang (medlow by default: absolute LUI/ADDI pairs, RV_HI20/LO12 kinds;
# clang 14 emits no R_RISCV_RELAX) linked with GNU ld and with ld.lld, and
# gcc's relaxable objects linked by ld.lld 14 (which relaxes nothing).
# Left out with a message when clang or ld.lld is missing.
find_program(RISCV_CLANG clang)
find_program(RISCV_LLD ld.lld)
if(RISCV_CLANG AND RISCV_LLD)
  list(APPEND RISCV_TEST_VARIANTS
    "clang-imac-O0 rv32imac --target=riscv32 -O0"
    "clang-imac-Os rv32imac --target=riscv32 -Os"
    "clang-imac-O2 rv32imac --target=riscv32 -O2"
    "clang-imc-Os-medany rv32imc --target=riscv32 -Os -mcmodel=medany"
    "clang-imac-O0-lld rv32imac --target=riscv32 -O0 -fuse-ld=lld"
    "clang-imac-Os-lld rv32imac --target=riscv32 -Os -fuse-ld=lld"
    "clang-imc-O2-lld rv32imc --target=riscv32 -O2 -fuse-ld=lld"
    "clang-imac-O2-medany-lld rv32imac --target=riscv32 -O2 -mcmodel=medany -fuse-ld=lld"
    "imac-O2-relax-lld rv32imac -O2 -mcmodel=medlow -mrelax -fuse-ld=lld"
    "imc-Os-medany-relax-lld rv32imc -Os -mcmodel=medany -mrelax -fuse-ld=lld"
  )
else()
  message(VERBOSE "tests/riscv: clang or ld.lld not found (apt-get install clang lld); clang/lld variants skipped")
endif()

# rv64 (the rv64 test firmware under qemu-system-riscv64): medany only,
# since RAM at 0x80000000 lies beyond the +-2 GiB that a medlow LUI reaches
# on rv64 (reject.medlow.riscv64 checks that modload refuses such a module;
# diff.riscv32 places medlow modules below 2 GiB on the host).
set(RISCV64_TEST_VARIANTS
  "rv64-imac-O0 rv64imac -O0 -mcmodel=medany -mno-relax"
  "rv64-imac-Os rv64imac -Os -mcmodel=medany -mno-relax"
  "rv64-imac-O2 rv64imac -O2 -mcmodel=medany -mno-relax"
  "rv64-imc-Os rv64imc -Os -mcmodel=medany -mno-relax"
  "rv64-imac-O2-relax rv64imac -O2 -mcmodel=medany -mrelax -Wl,--defsym=__module_base=0x10000000"
  "rv64-imc-Os-stripped rv64imc -Os -mcmodel=medany -mno-relax --strip-names"
  "rv64-imac-Os-compress rv64imac -Os -mcmodel=medany -mno-relax --compress"
)
set(RISCV64_CORRUPT_VARIANTS rv64-imac-Os rv64-imac-Os-compress)

# Variants whose image the firmware also corrupts byte by byte.
set(RISCV_CORRUPT_VARIANTS imc-Os imac-O2-medany imc-Os-compress)
if(RISCV_CLANG AND RISCV_LLD)
  list(APPEND RISCV_CORRUPT_VARIANTS clang-imac-Os-lld)
endif()

# name -> list: name march flags...
macro(riscv_variant_split entry out_name out_march out_flags)
  separate_arguments(_v UNIX_COMMAND "${entry}")
  list(GET _v 0 ${out_name})
  list(GET _v 1 ${out_march})
  list(LENGTH _v _n)
  if(_n GREATER 2)
    list(SUBLIST _v 2 -1 ${out_flags})
  else()
    set(${out_flags} "")
  endif()
endmacro()
