#!/usr/bin/env bash
# cross.sh CASE - `modpack stubs` on the command line and on other ISAs
# (see CMakeLists.txt).
#   cli                      options, refusals and their messages, no
#                            partial or clobbered output (MODS: the x86-64
#                            test modules built by CMakeLists.txt)
#   cortexm-m0, cortexm-m4   counter modules and stubfw.c (registry, stubs,
#                            reload) for Cortex-M0 / M4, run under
#                            qemu-system-arm -M mps2-an385 / mps2-an386
#   slot-m0, slot-m4         counter modules and slotfw.c + slotcut.c (the
#                            slot library's power-cut test) the same way
#   asm-rv32, asm-xtensa, asm-i386
#                            stubs generated from a module of that ISA,
#                            compiled by its compiler; each stub's
#                            instructions and table relocation are checked
# Environment: MODPACK, SRC (tests/modreg), ROOT (source tree), WORK (scratch).
# Exit 77 (skip) only when a needed tool is not installed.
set -u
case_name=$1
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
fail() { echo "FAIL: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null || { echo "$1 not installed: skipped"; exit 77; }; }
LDS=$ROOT/samples/ld/module.ld

# module CC VERSION CFLAGS...: counter.c version VERSION as cV.mod
module() {
    local cc=$1 v=$2; shift 2
    $cc "$@" -ffreestanding -fno-common -fno-stack-protector -DCOUNTER_VERSION=$v -I"$SRC" \
        -c "$SRC/counter.c" -o c$v.o || fail "compile counter $v"
    $cc "$@" -nostdlib -Wl,--emit-relocs,--unresolved-symbols=ignore-all -T "$LDS" c$v.o -lgcc \
        -o c$v.elf || fail "link counter $v"
    "$MODPACK" build c$v.elf -o c$v.mod --name counter --module-version $v.0 || fail "pack counter $v"
}

stubs() {
    "$MODPACK" stubs c1.mod -o counter_stubs.c --header counter_stubs.h || fail "modpack stubs"
    # deterministic: the same image gives the same bytes
    "$MODPACK" stubs c1.mod -o again.c --header again.h || fail "modpack stubs (again)"
    cmp -s counter_stubs.c again.c || fail "modpack stubs output differs between two runs"
}

# check_stubs OBJDUMP OBJ 'instruction regex' ...: every stub (of FNS) holds each pattern
check_stubs() {
    local od=$1 obj=$2; shift 2
    for fn in ${FNS:-counter_get counter_next counter_set counter_sum3 counter_version}; do
        "$od" -dr --no-show-raw-insn "$obj" | awk -v f="<$fn>:" '$2 == f {on=1; next} /^$/ {on=0} on' >$fn.dis
        [ -s $fn.dis ] || fail "$fn: no stub in $obj"
        for re in "$@"; do
            grep -qE "$re" $fn.dis || { cat $fn.dis >&2; fail "$fn: stub lacks /$re/"; }
        done
    done
    # an object: one table relocation per stub (in a literal pool on Xtensa)
    if [ "${obj%.o}" != "$obj" ]; then
        n=$("$od" -r "$obj" | grep -c "counter_table")
        [ "$n" -ge 5 ] || fail "$n relocations against counter_table in $obj, expected one per stub"
    fi
}

# expect CODE SUBSTRING cmd...: exit status and a stderr substring
expect() {
    local code=$1 want=$2; shift 2
    "$@" >out.txt 2>err.txt
    local rc=$?
    [ "$rc" = "$code" ] || { cat err.txt >&2; fail "'$*' exited $rc, expected $code"; }
    grep -qF -- "$want" err.txt || { cat err.txt >&2; fail "'$*': stderr lacks: $want"; }
}

case $case_name in
cli)
    # a subset, by name, sorted; no header unless asked
    "$MODPACK" stubs "$MODS/counter1.mod" -o two.c --symbol counter_version --symbol counter_get ||
        fail "--symbol"
    [ "$(grep -c '^    "counter_[a-z0-9_]*",$' two.c)" = 2 ] || fail "two.c should name two functions"
    grep -A3 'counter_names\[2\]' two.c | sed -n 2p | grep -qF '"counter_get"' || fail "names not sorted"
    grep -q 'counter_table+8(%rip)' two.c || fail "second stub should use entry 1 (offset 8)"
    grep -q 'module_init\|module_exit' two.c && fail "entry or exit got a stub"
    # the prefix and the registry name
    "$MODPACK" stubs "$MODS/counter1.mod" -o p.c --header p.h --prefix cnt --module counter_v1 || fail "--prefix"
    grep -q 'modreg_stubs cnt_stubs = {"counter_v1", cnt_names, cnt_table, 5,' p.c || fail "prefix/module not used"
    grep -q 'int cnt_bind(modreg \*reg);' p.h || fail "header lacks cnt_bind"
    # refusals: nothing written, an existing output untouched
    echo keep >keep.c
    expect 1 "--symbol nosuch: the image exports no function of that name" \
        "$MODPACK" stubs "$MODS/counter1.mod" -o keep.c --symbol nosuch
    expect 1 "--symbol big_block: not an exported function" \
        "$MODPACK" stubs "$MODS/big.mod" -o keep.c --symbol big_block
    "$MODPACK" build "$MODS/counter1.elf" -o stripped.mod --strip-names || fail "strip"
    expect 1 "export names are stripped; stubs need them (pack without --strip-names)" \
        "$MODPACK" stubs stripped.mod -o keep.c
    head -c 100 "$MODS/counter1.mod" >short.mod
    expect 1 "short.mod: image truncated" "$MODPACK" stubs short.mod -o keep.c
    expect 1 "prefix '9x' is not a C identifier" "$MODPACK" stubs "$MODS/counter1.mod" -o keep.c --prefix 9x
    [ "$(cat keep.c)" = keep ] || fail "a failed run changed its output"
    expect 2 "give IMG and -o OUT.c" "$MODPACK" stubs "$MODS/counter1.mod"
    expect 2 "stubs: unknown option '--bogus'" "$MODPACK" stubs "$MODS/counter1.mod" -o x.c --bogus
    [ ! -e x.c ] || fail "x.c written after a usage error"
    "$MODPACK" help stubs | grep -q "usage: modpack stubs" || fail "help stubs"
    ;;
cortexm-m0|cortexm-m4)
    need arm-none-eabi-gcc
    need qemu-system-arm
    if [ $case_name = cortexm-m0 ]; then cpu=cortex-m0 board=an385; else cpu=cortex-m4 board=an386; fi
    for v in 1 2 3; do module arm-none-eabi-gcc $v -mcpu=$cpu -mthumb -Os; done
    stubs
    H=$ROOT/samples/firmware/cortex-m C=$ROOT/samples/firmware/common M=$ROOT/src/modload
    flags="-mcpu=$cpu -mthumb -Os -ffreestanding -fno-common -ffunction-sections -fdata-sections -g
           -Wall -Wextra -Werror -DFW_BOARD=\"mps2-$board\" -I$H -I$C -I$ROOT/include -I$SRC -I."
    arm-none-eabi-gcc $flags -fno-tree-loop-distribute-patterns -c $C/libc.c -o libc.o || fail "libc.c"
    arm-none-eabi-gcc $flags -nostdlib -T $H/mps2.ld -Wl,--gc-sections -Wl,-Map=stubfw.map \
        $H/startup.c $H/semihost.c $C/semihost_calls.c $C/fwutil.c libc.o \
        $M/modload.c $M/crc32.c $M/sha256.c $M/inflate.c $M/strerror.c $M/arch_arm.c $M/modreg.c \
        "$SRC/stubfw.c" counter_stubs.c -lgcc -o stubfw.elf || fail "link stubfw"
    # (the stubs the firmware calls: --gc-sections drops the others; the
    # run below shows where their literals point)
    FNS="counter_next counter_sum3 counter_version" check_stubs arm-none-eabi-objdump stubfw.elf 'push[[:space:]]+\{r0\}' 'mov[[:space:]]+ip, r0' 'bx[[:space:]]+ip'
    timeout 60 qemu-system-arm -M mps2-$board -nographic -monitor none -serial none -no-reboot \
        -kernel stubfw.elf -semihosting-config enable=on,target=native,arg=fw,arg=c1.mod,arg=c2.mod,arg=c3.mod \
        >run.txt 2>&1
    rc=$?
    cat run.txt
    [ $rc = 0 ] || fail "stubfw exited $rc"
    grep -q "checks, 0 failures" run.txt || fail "no summary line"
    ;;
slot-m0|slot-m4)
    need arm-none-eabi-gcc
    need qemu-system-arm
    if [ $case_name = slot-m0 ]; then cpu=cortex-m0 board=an385; else cpu=cortex-m4 board=an386; fi
    for v in 1 2 3; do module arm-none-eabi-gcc $v -mcpu=$cpu -mthumb -Os; done
    H=$ROOT/samples/firmware/cortex-m C=$ROOT/samples/firmware/common M=$ROOT/src/modload
    flags="-mcpu=$cpu -mthumb -Os -ffreestanding -fno-common -ffunction-sections -fdata-sections -g
           -Wall -Wextra -Werror -DFW_BOARD=\"mps2-$board\" -I$H -I$C -I$ROOT/include -I$SRC -I."
    arm-none-eabi-gcc $flags -fno-tree-loop-distribute-patterns -c $C/libc.c -o libc.o || fail "libc.c"
    arm-none-eabi-gcc $flags -nostdlib -T $H/mps2.ld -Wl,--gc-sections \
        $H/startup.c $H/semihost.c $C/semihost_calls.c $C/fwutil.c libc.o \
        $M/modload.c $M/crc32.c $M/sha256.c $M/inflate.c $M/strerror.c $M/arch_arm.c $M/modreg.c $M/modslot.c \
        "$SRC/slotcut.c" "$SRC/slotfw.c" -lgcc -o slotfw.elf || fail "link slotfw"
    timeout 150 qemu-system-arm -M mps2-$board -nographic -monitor none -serial none -no-reboot \
        -kernel slotfw.elf -semihosting-config enable=on,target=native,arg=fw,arg=c1.mod,arg=c2.mod,arg=c3.mod \
        >run.txt 2>&1
    rc=$?
    cat run.txt
    [ $rc = 0 ] || fail "slotfw exited $rc"
    grep -q "checks, 0 failures" run.txt || fail "no summary line"
    ;;
asm-rv32)
    need riscv64-unknown-elf-gcc
    module riscv64-unknown-elf-gcc 1 -march=rv32imac -mabi=ilp32 -mcmodel=medany -mno-relax -Os
    stubs
    riscv64-unknown-elf-gcc -march=rv32imac -mabi=ilp32 -Os -ffreestanding -Wall -Wextra -Werror \
        -I"$ROOT/include" -I. -c counter_stubs.c -o stubs.o || fail "compile the stubs"
    check_stubs riscv64-unknown-elf-objdump stubs.o 'auipc[[:space:]]+t1' 'lw[[:space:]]+t1' 'jr[[:space:]]+t1'
    ;;
asm-xtensa)
    need xtensa-lx106-elf-gcc
    module xtensa-lx106-elf-gcc 1 -mlongcalls -Os
    stubs
    xtensa-lx106-elf-gcc -mlongcalls -Os -ffreestanding -Wall -Wextra -Werror \
        -I"$ROOT/include" -I. -c counter_stubs.c -o stubs.o || fail "compile the stubs"
    check_stubs xtensa-lx106-elf-objdump stubs.o 'l32r[[:space:]]+a8' 'l32i(\.n)?[[:space:]]+a8, a8, 0' 'jx[[:space:]]+a8'
    ;;
asm-i386)
    gcc -m32 -c -x c /dev/null -o /dev/null 2>/dev/null || { echo "gcc -m32 not usable: skipped"; exit 77; }
    module gcc 1 -m32 -fno-pic -Os -Wl,--no-warn-rwx-segments -no-pie
    stubs
    gcc -m32 -fno-pic -Os -ffreestanding -Wall -Wextra -Werror -I"$ROOT/include" -I. \
        -c counter_stubs.c -o stubs.o || fail "compile the stubs"
    check_stubs objdump stubs.o 'jmp[[:space:]]+\*'
    ;;
*)
    fail "unknown case $case_name"
    ;;
esac
echo "ok: $case_name"
