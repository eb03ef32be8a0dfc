#!/usr/bin/env bash
# codealign.sh - a module whose code sections declare less alignment than
# its instructions need (.text with alignment 1, patched into a real link)
# gets the ISA's instruction alignment in the image: 2 bytes for Thumb
# code, 4 for rv32im code without RVC (format section 3).
# Environment: MODPACK, LDS (module.ld), WORK, ARMGCC, RVGCC (may be empty).
set -u
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
fail() { echo "FAIL: $*" >&2; exit 1; }
# align1 ELF: set sh_addralign of .text to 1 (ELF32, little-endian)
align1() {
    python3 - "$1" <<'PY' || fail "patch $1"
import struct, sys
p = sys.argv[1]; d = bytearray(open(p, 'rb').read())
shoff, = struct.unpack_from('<I', d, 32); shentsize, shnum, shstrndx = struct.unpack_from('<HHH', d, 46)
stroff, = struct.unpack_from('<I', d, shoff + shstrndx * shentsize + 16)
for i in range(shnum):
    o = shoff + i * shentsize
    n, = struct.unpack_from('<I', d, o)
    if d[stroff + n:stroff + n + 6] == b'.text\0':
        struct.pack_into('<I', d, o + 32, 1)
open(p, 'wb').write(d)
PY
}
# check ELF WANT: the image's code alignment is WANT bytes
check() {
    "$MODPACK" build "$1" -o x.mod || fail "modpack build $1"
    "$MODPACK" inspect x.mod >x.txt || fail "inspect"
    grep -qE "^  code  size 0x[0-9a-f]+  align $2 " x.txt || { cat x.txt; fail "$1: code alignment is not $2"; }
    "$MODPACK" verify x.mod >/dev/null || fail "verify"
}
printf 'static int v = 42;\nint *p = &v;\nint module_init(void) { return *p; }\n' >m.c
"$ARMGCC" -mcpu=cortex-m0 -mthumb -Os -c m.c -o arm.o || fail "compile (ARM)"
"$ARMGCC" -mcpu=cortex-m0 -mthumb -nostdlib -Wl,--emit-relocs -T "$LDS" arm.o -o arm.elf || fail "link (ARM)"
align1 arm.elf
check arm.elf 2
if [ -n "${RVGCC:-}" ]; then
    "$RVGCC" -march=rv32im -mabi=ilp32 -Os -mno-relax -c m.c -o rv.o || fail "compile (RISC-V)"
    "$RVGCC" -march=rv32im -mabi=ilp32 -mno-relax -nostdlib -Wl,--emit-relocs,--no-warn-rwx-segments -T "$LDS" rv.o \
        -o rv.elf || fail "link (RISC-V)"
    align1 rv.elf
    check rv.elf 4
fi
echo "PASS"
