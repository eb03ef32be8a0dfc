#!/usr/bin/env bash
# pcrel.sh XLEN - medany AUIPC pairs that reach an import (RV_PCREL): a
# module with a shared AUIPC (src/pcrel_shared.S) and one from C, packed
# at 0, placed by modload (modpack relocate) at a base B with the import at
# several addresses, must equal byte for byte the same module linked at B
# with the import defined there.
# Environment: MODPACK, SRC (tests/riscv), LDS (module.ld), WORK, CC, OBJCOPY.
set -u
xlen=$1
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
# import addresses: low parts 0x234, 0xFFC (the carry), 0x800 (negative);
# rv32 also one 2 GiB away (mod 2^32), which rv64 cannot reach
fws="0x80001234 0x80100FFC 0x8001F800"
if [ "$xlen" = 64 ]; then ARCH="-march=rv64imac -mabi=lp64"; else ARCH="-march=rv32imac -mabi=ilp32"; fws="$fws 0x00000800"; fi
fail() { echo "FAIL: $*" >&2; exit 1; }
# link OBJ OUT.elf LDFLAGS...
link() {
    local obj=$1 out=$2; shift 2
    "$CC" $ARCH -nostdlib -Wl,--emit-relocs,--no-warn-rwx-segments "$@" -T "$LDS" "$obj" -o "$out" ||
        fail "link $out"
}
n=0
for src in pcrel_shared.S pcrel_import.c; do
    "$CC" $ARCH -O2 -mcmodel=medany -mno-relax -ffreestanding -c "$SRC/src/$src" -o m.o || fail "compile $src"
    link m.o m0.elf -Wl,--unresolved-symbols=ignore-all
    "$MODPACK" build m0.elf -o m.mod || fail "modpack build ($src)"
    "$MODPACK" inspect m.mod >inspect.txt
    grep -q "RV_PCREL" inspect.txt || { cat inspect.txt; fail "no RV_PCREL fixup ($src)"; }
    grep -q "^Format: *1\.1" inspect.txt || { cat inspect.txt; fail "format is not 1.1 ($src)"; }
    for base in 0x80012A28 0x0ABCF800; do
        for fw in $fws; do
            link m.o mb.elf -Wl,--defsym=__module_base=$base -Wl,--defsym=fw_value=$fw
            "$OBJCOPY" -O binary -j .text mb.elf want.bin || fail "objcopy"
            "$MODPACK" relocate m.mod --base $base --defsym fw_value=$fw -o got.bin ||
                fail "relocate $src at $base, fw_value=$fw"
            size=$(stat -c %s want.bin)
            cmp -n "$size" want.bin got.bin ||
                fail "$src at $base with fw_value=$fw differs from the link at that address"
            n=$((n + 1))
        done
    done
done
echo "PASS: $n placements equal their links"
