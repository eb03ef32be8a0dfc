#!/usr/bin/env bash
# reject.sh CASE - modpack refuses a RISC-V relocation class with a message
# that names the site, the relocation, the symbol and the flag that avoids
# it (tests/riscv/CMakeLists.txt lists the cases).
# Environment: MODPACK, SRC (tests/riscv), LDS (module.ld), WORK, CC.
set -u
c=$1
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
ARCH="-march=rv32imac -mabi=ilp32"
fail() { echo "FAIL: $*" >&2; exit 1; }
# build SRC OUT.elf FLAGS...: compile and link one module at 0 (or where -Wl,--defsym says)
build() {
    local src=$1 out=$2; shift 2
    "$CC" $ARCH "$@" -O2 -ffreestanding -fno-common -c "$SRC/src/$src" -o "$out.o" || fail "compile $src"
    "$CC" $ARCH "$@" -nostdlib -Wl,--emit-relocs,--unresolved-symbols=ignore-all,--no-warn-rwx-segments \
        -T "$LDS" "$out.o" -o "$out" || fail "link $src"
}
# expect SUBSTRING...: modpack build fails with exit 1, every substring in stderr, no output file
expect() {
    "$MODPACK" build x.elf -o x.mod >out.txt 2>err.txt
    local rc=$?
    cat err.txt
    [ "$rc" = 1 ] || fail "modpack exited $rc, expected 1"
    for want in "$@"; do
        grep -qF -- "$want" err.txt || fail "stderr lacks: $want"
    done
    grep -q '^modpack: ' err.txt || fail "message not prefixed 'modpack: '"
    [ ! -e x.mod ] || fail "output left behind"
}
case $c in
gprel)
    build small.c x.elf -mcmodel=medlow -mrelax
    expect "x.elf: .text+0x" ": R_RISCV_GPREL_I against '" "x0- or gp-relative" "-mno-relax"
    # the same module without relaxation packs, and relaxed at 0x10000000 too
    build small.c y.elf -mcmodel=medlow -mno-relax
    "$MODPACK" build y.elf -o y.mod || fail "-mno-relax build refused"
    build small.c z.elf -mcmodel=medlow -mrelax -Wl,--defsym=__module_base=0x10000000
    "$MODPACK" build z.elf -o z.mod || fail "relaxed build at 0x10000000 refused"
    ;;
rvc_lui)
    build small.c x.elf -mcmodel=medlow -mrelax -Wl,--defsym=__module_base=0x4000
    expect ": R_RISCV_RVC_LUI against '" "C.LUI" "-mno-relax"
    ;;
x0_lo12)
    build x0_lo12.S x.elf
    expect "x.elf: .text+0x0: R_RISCV_LO12_I against 'value': the low part is added to x0" "-mno-relax"
    ;;
pcrel_abs)
    # medany AUIPC pairs reach imports (RV_PCREL), but not a firmware symbol
    # bound at link time to an absolute address
    build pcrel_import.c y.elf -mcmodel=medany -mno-relax
    "$MODPACK" build y.elf -o y.mod || fail "medany reference to an import refused"
    "$MODPACK" inspect y.mod | grep -q "RV_PCREL" || fail "no RV_PCREL fixup"
    build pcrel_import.c x.elf -mcmodel=medany -mno-relax -Wl,--defsym=fw_value=0x80001000
    expect ": R_RISCV_PCREL_HI20 against 'fw_value': a PC-relative reference to an absolute address" \
        "leave the firmware symbol undefined"
    ;;
branch_import)
    build branch_import.S x.elf
    expect "x.elf: .text+0x0: R_RISCV_BRANCH against 'fw_func': a PC-relative reference cannot reach an import" \
        "-fno-optimize-sibling-calls"
    ;;
got)
    build got.c x.elf -fPIC -mno-relax
    expect ": R_RISCV_GOT_HI20 against 'fw_value': GOT-relative addressing" "-fno-pic"
    ;;
tls)
    build tls.S x.elf
    expect "x.elf: .text+0x0: R_RISCV_TPREL_HI20 against 'fw_tls': thread-local storage" "__thread"
    ;;
prel32_import)
    build prel32_import.S x.elf
    expect "x.elf: .data+0x0: R_RISCV_32_PCREL against 'fw_value': a PC-relative reference cannot reach an import" \
        "R_RISCV_32"
    ;;
diff_import)
    build diff_import.S x.elf
    expect "x.elf: .data+0x0: R_RISCV_ADD32 against 'fw_value': a difference involving an import" "R_RISCV_32"
    ;;
rv64_word32)
    # rv64: a 32-bit word cannot hold a 64-bit run address
    ARCH="-march=rv64imac -mabi=lp64"
    printf '.text\n.globl module_init\nmodule_init: ret\n.data\n.word module_init\n' >w.S
    "$CC" $ARCH -c w.S -o w.o && "$CC" $ARCH -nostdlib -Wl,--emit-relocs,--no-warn-rwx-segments \
        -T "$LDS" w.o -o x.elf || fail "link w.S"
    expect "x.elf: .data+0x0: R_RISCV_32 against 'module_init': a 32-bit word cannot hold the module's 64-bit run address" \
        "R_RISCV_64"
    ;;
rv64_hi20_range)
    # rv64 medlow: LUI+ADDI reach [-2 GiB - 0x800, 2 GiB - 0x800); modload
    # (here through modpack relocate) refuses other run addresses
    ARCH="-march=rv64imac -mabi=lp64"
    build small.c y.elf -mcmodel=medlow -mno-relax
    "$MODPACK" build y.elf -o y.mod || fail "rv64 medlow module refused"
    "$MODPACK" inspect y.mod | grep -q "RV_HI20" || fail "no RV_HI20 fixup to test"
    "$MODPACK" relocate y.mod --base 0x7FFF0000 -o ok.bin --defsym fw_value=0x1000 ||
        fail "a base below 2 GiB refused"
    "$MODPACK" relocate y.mod --base 0x7FFFF800 -o bad.bin --defsym fw_value=0x1000 >out.txt 2>err.txt &&
        fail "a run address past 2 GiB - 0x800 was accepted"
    cat err.txt
    grep -qF "an address its field cannot hold" err.txt || fail "stderr lacks the range error"
    [ ! -e bad.bin ] || fail "output left behind"
    # (linked above 2 GiB, GNU ld itself refuses: relocation truncated to fit)
    ;;
rv64_pcrel_range)
    # rv64 medany: an AUIPC pair reaches P - 2 GiB - 0x800 .. P + 2 GiB - 0x800;
    # modload (here through modpack relocate) refuses an import beyond
    ARCH="-march=rv64imac -mabi=lp64"
    build pcrel_import.c y.elf -mcmodel=medany -mno-relax
    "$MODPACK" build y.elf -o y.mod || fail "rv64 medany module refused"
    "$MODPACK" inspect y.mod | grep -q "RV_PCREL" || fail "no RV_PCREL fixup to test"
    "$MODPACK" relocate y.mod --base 0x80000000 -o ok.bin --defsym fw_value=0x1000 ||
        fail "an import 2 GiB below the module refused"
    "$MODPACK" relocate y.mod --base 0x80000000 -o ok2.bin --defsym fw_value=0xFFFFF000 ||
        fail "an import 2 GiB above the module refused"
    "$MODPACK" relocate y.mod --base 0x80000000 -o bad.bin --defsym fw_value=0x100001000 >out.txt 2>err.txt &&
        fail "an import 4 GiB away was accepted"
    cat err.txt
    grep -qF "an address its field cannot hold" err.txt || fail "stderr lacks the range error"
    [ ! -e bad.bin ] || fail "output left behind"
    ;;
lo12_stale)
    build lo12_stale.S x.elf
    expect "x.elf: .text+0x0: R_RISCV_HI20 against 'value': the linked instruction is not the LUI" "-mno-relax"
    ;;
*)
    fail "unknown case $c"
    ;;
esac
echo "PASS $c"
