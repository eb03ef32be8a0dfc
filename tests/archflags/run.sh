#!/usr/bin/env bash
# run.sh CASE - one arch-flags case (CMakeLists.txt lists them).
# Environment: MODPACK, LDS (module.ld), WORK (scratch directory).
set -u
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
fail() { echo "FAIL: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null || { echo "SKIP: $1 not found (tools/debian-packages.txt)"; exit 77; }; }

cat >m.c <<'C'
int module_init(void) { return 0; }
int scale(int a) { return a * 3; }
float half(float x) { return x / 2; }
int counter;
int *counter_at(void) { return &counter; }
C
# pack OUT INPUT: pack, then the words inspect prints after the arch flags
pack() {
    "$MODPACK" build "$2" -o "$1.mod" 2>"$1.err" || { cat "$1.err" >&2; fail "build $2"; }
    # an object importing libgcc's helpers gets modpack's note on them; nothing else
    grep -v "^modpack: note: .*: imports such as __aeabi_.* are run-time helpers from libgcc" "$1.err" >"$1.rest"
    [ -s "$1.rest" ] && { cat "$1.err" >&2; fail "$2: unexpected message"; }
    "$MODPACK" inspect "$1.mod" | sed -n 's/^Arch: *\(.*\)$/\1/p'
}
# is OUT INPUT WANT: the arch line of INPUT packed is WANT
is() {
    local got
    got=$(pack "$1" "$2") || exit 1
    [ "$got" = "$3" ] || fail "$2: arch line '$got', expected '$3'"
}
# exe CC [FLAGS...] OUT FLAGS...: compile m.c with CC and the flags, link it as a module OUT.elf
exe() {
    local cc=$1; shift
    local flags=()
    while [ "${1#-}" != "$1" ]; do flags+=("$1"); shift; done
    local out=$1; shift
    set -- "${flags[@]}" "$@"
    "$cc" "$@" -O2 -ffreestanding -c m.c -o "$out.o" || fail "compile $out"
    "$cc" "$@" -nostdlib -Wl,--emit-relocs,--unresolved-symbols=ignore-all -T "$LDS" "$out.o" -o "$out.elf" ||
        fail "link $out"
}

case $1 in
arm)
    need arm-none-eabi-gcc
    exe arm-none-eabi-gcc m0 -mcpu=cortex-m0 -mthumb
    exe arm-none-eabi-gcc m3 -mcpu=cortex-m3 -mthumb
    exe arm-none-eabi-gcc m4 -mcpu=cortex-m4 -mthumb
    exe arm-none-eabi-gcc m4f -mcpu=cortex-m4 -mthumb -mfloat-abi=softfp -mfpu=fpv4-sp-d16
    exe arm-none-eabi-gcc m4h -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16
    exe arm-none-eabi-gcc m23 -mcpu=cortex-m23 -mthumb
    exe arm-none-eabi-gcc m33 -mcpu=cortex-m33 -mthumb
    is m0 m0.elf "arm (40), arch flags 0x00000011 thumb thumb-1 soft-float"
    is m0o m0.o "arm (40), arch flags 0x00000011 thumb thumb-1 soft-float"
    is m3 m3.elf "arm (40), arch flags 0x00000015 thumb thumb-2 soft-float"
    is m4 m4.elf "arm (40), arch flags 0x00000015 thumb thumb-2 soft-float"
    is m4f m4f.elf "arm (40), arch flags 0x0000001d thumb thumb-2 fpu soft-float"
    is m4h m4h.elf "arm (40), arch flags 0x0000001f thumb thumb-2 fpu hard-float"
    # an object's e_flags leave the float ABI out: Tag_ABI_VFP_args gives it
    is m4ho m4h.o "arm (40), arch flags 0x0000001f thumb thumb-2 fpu hard-float"
    is m23 m23.elf "arm (40), arch flags 0x00000011 thumb thumb-1 soft-float"
    is m33 m33.elf "arm (40), arch flags 0x00000015 thumb thumb-2 soft-float"
    "$MODPACK" inspect --json m4h.mod >j.json || fail "inspect --json"
    python3 -c "import json; j=json.load(open('j.json')); assert j['arch_flags']==0x1f, j; \
assert j['arch_flag_names']==['thumb','thumb-2','fpu','hard-float'], j" || fail "json arch_flag_names"
    if command -v clang >/dev/null && command -v ld.lld >/dev/null; then
        clang --target=thumbv7em-none-eabi -mcpu=cortex-m4 -O2 -ffreestanding -c m.c -o cm4.o || fail clang
        ld.lld --emit-relocs -T "$LDS" --unresolved-symbols=ignore-all cm4.o -o cm4.elf || fail ld.lld
        is cm4 cm4.elf "arm (40), arch flags 0x00000015 thumb thumb-2 soft-float"
        clang --target=thumbv6m-none-eabi -mcpu=cortex-m0 -O2 -ffreestanding -c m.c -o cm0.o || fail clang
        is cm0 cm0.o "arm (40), arch flags 0x00000011 thumb thumb-1 soft-float"
    else
        echo "clang or ld.lld not found: clang inputs not checked"
    fi
    ;;
riscv)
    need riscv64-unknown-elf-gcc
    RV="-mno-relax -mcmodel=medany"
    exe riscv64-unknown-elf-gcc $RV i -march=rv32i -mabi=ilp32
    exe riscv64-unknown-elf-gcc $RV imc -march=rv32imc -mabi=ilp32
    exe riscv64-unknown-elf-gcc $RV imac -march=rv32imac -mabi=ilp32
    exe riscv64-unknown-elf-gcc $RV imafc -march=rv32imafc -mabi=ilp32f
    exe riscv64-unknown-elf-gcc $RV gc -march=rv32gc -mabi=ilp32d
    exe riscv64-unknown-elf-gcc $RV rv64 -march=rv64imac -mabi=lp64
    is i i.elf "riscv (243), arch flags 0x00000400 rv32i soft-float"
    is imc imc.elf "riscv (243), arch flags 0x00000441 rv32imc soft-float"
    is imac imac.elf "riscv (243), arch flags 0x000004c1 rv32imac soft-float"
    is imaco imac.o "riscv (243), arch flags 0x000004c1 rv32imac soft-float"
    is imafc imafc.elf "riscv (243), arch flags 0x000005c3 rv32imafc single-float"
    is gc gc.elf "riscv (243), arch flags 0x000007c5 rv32imafdc double-float"
    is rv64 rv64.elf "riscv (243), arch flags 0x000004e1 rv64imac soft-float"
    ;;
malformed)
    need arm-none-eabi-gcc
    need arm-none-eabi-objcopy
    exe arm-none-eabi-gcc m4 -mcpu=cortex-m4 -mthumb
    arm-none-eabi-objcopy --dump-section .ARM.attributes=attr.bin m4.elf || fail objcopy
    n=$(stat -c %s attr.bin)
    # bad: sub-section length beyond the section; a cut-off ULEB128; 'B'
    python3 - "$n" <<'PY' || fail "make the bad sections"
import struct, sys
a = open('attr.bin', 'rb').read()
open('long.bin', 'wb').write(a[:1] + struct.pack('<I', len(a) + 100) + a[5:])
open('cut.bin', 'wb').write(a[:1] + struct.pack('<I', 17) + b'aeabi\0' + b'\x01' + struct.pack('<I', 7) + b'\x06\x8d')
open('ver.bin', 'wb').write(b'B' + a[1:])
PY
    for b in long cut ver; do
        arm-none-eabi-objcopy --update-section .ARM.attributes=$b.bin m4.elf $b.elf || fail "objcopy $b"
        "$MODPACK" build $b.elf -o $b.mod 2>$b.err || { cat $b.err >&2; fail "$b: not packed"; }
        grep -q "^modpack: warning: $b.elf: .ARM.attributes+0x[0-9a-f]*: malformed build attributes" $b.err ||
            { cat $b.err >&2; fail "$b: no warning naming the section and offset"; }
        line=$("$MODPACK" inspect $b.mod | sed -n 's/^Arch: *//p')
        [ "$line" = "arm (40), arch flags 0x00000001 thumb soft-float" ] || fail "$b: arch line '$line'"
    done
    grep -q "+0x1: malformed build attributes (length outside" long.err || { cat long.err >&2; fail "long: offset"; }
    grep -q "+0x11: malformed build attributes (ULEB128" cut.err || { cat cut.err >&2; fail "cut: offset"; }
    ;;
*) fail "unknown case $1" ;;
esac
echo PASS
