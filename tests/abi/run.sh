#!/usr/bin/env bash
# run.sh CASE - host cases of the ABI test (tests/abi/CMakeLists.txt).
# Environment: MODPACK, SRC (tests/abi), INCLUDE (include/), LDS (module.ld),
# WORK (scratch directory), CC (arm-none-eabi-gcc).
set -u
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
M4="-mcpu=cortex-m4 -mthumb"

fail() { echo "FAIL: $*" >&2; exit 1; }
# expect CODE cmd...: the exit status; stderr in err.txt
expect() {
    local code=$1; shift
    "$@" >out.txt 2>err.txt
    local rc=$?
    [ "$rc" = "$code" ] || { cat err.txt >&2; fail "'$*' exited $rc, expected $code"; }
}
# same_text FILE: err.txt must be exactly FILE
same_text() { diff -u "$1" err.txt || fail "message differs from the expected one above"; }
fnv() { python3 -c 'import sys
h = 0x811C9DC5
for b in sys.argv[1].encode() + b"\0" * int(sys.argv[2]):
    h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
print(h)' "$@"; }

case $1 in
collision)
    # fw_kikxw and fw_qjtra have the same FNV-1a hash (found offline by
    # enumerating fw_ + up to five letters).
    [ "$(fnv fw_kikxw 0)" = "$(fnv fw_qjtra 0)" ] || fail "the pair does not collide"
    printf 'fw_puts\nfw_kikxw\n' >a.txt
    printf '# second list\nfw_qjtra\n' >b.txt
    echo "keep" >fw_exports.c
    expect 1 "$MODPACK" exports a.txt b.txt -o fw_exports.c --abi-version 2.1
    printf "modpack: firmware exports 'fw_kikxw' (a.txt) and 'fw_qjtra' (b.txt) have the same hash 0x00feb7e1: modload could not tell them apart in a stripped module; rename one of them\n" >want.txt
    same_text want.txt
    [ "$(cat fw_exports.c)" = keep ] || fail "the old output was touched"
    ls -A | grep -q '^\.fw_exports\.c\.' && fail "temporary file left"
    # build --firmware reads the same way and refuses too
    expect 1 "$MODPACK" build /dev/null -o m.mod --firmware a.txt --firmware b.txt
    same_text want.txt
    [ -e m.mod ] && fail "m.mod written"
    ;;
determinism)
    # the names from objects (MODLOAD_EXPORT), from the linked ELF and from a
    # list give the same file, byte for byte, whatever the order
    "$CC" $M4 -Os -ffreestanding -I"$INCLUDE" -I"$SRC" -c "$SRC/abiapi.c" -o api.o || fail compile
    printf '#include "modload_export.h"\nint fw_version_word(void) { return 1; }\nMODLOAD_EXPORT(fw_version_word);\n' >v.c
    "$CC" $M4 -Os -ffreestanding -I"$INCLUDE" -c v.c -o v.o || fail compile
    "$MODPACK" exports api.o v.o -o one.c --abi-version 2.1 || fail exports
    "$MODPACK" exports v.o api.o -o two.c --abi-version=2.1 || fail exports
    cmp one.c two.c || fail "input order changed the output"
    # the firmware linked with the generated table, as a firmware build does
    "$CC" $M4 -Os -ffreestanding -I"$INCLUDE" -c one.c -o one.o || fail "compile one.c"
    "$CC" $M4 -nostdlib -Wl,--gc-sections -e fw_version_word -u modload_fw_syms api.o v.o one.o -o fw.elf || fail link
    "$MODPACK" exports fw.elf -o three.c --abi-version 2.1 || fail exports
    cmp one.c three.c || fail "the linked ELF gives another table"
    printf '# list\n  fw_version_word\nfw_mul3\r\n\nfw_total\nfw_accumulate\nfw_abi_table\nfw_mul3\n' >names.txt
    "$MODPACK" exports names.txt -o four.c --abi-version 2.1 || fail exports
    cmp one.c four.c || fail "the list gives another table"
    # the ABI id as the spec defines it: the hash of the ABI name, not of the
    # exports (the empty name by default), so that adding one keeps the id
    id=$(printf '0x%08x' "$(fnv '' 0)")
    grep -q "const modload_abi modload_fw_abi = { ${id}u, 2, 1 };" one.c || fail "ABI id is not $id"
    "$MODPACK" exports names.txt -o five.c --abi-name acme-sensor --abi-version 1.3 || fail exports
    id=$(printf '0x%08x' "$(fnv acme-sensor 0)")
    [ "$id" = 0x46933510 ] || fail "the spec's example of an ABI name hashes to $id"
    grep -q "const modload_abi modload_fw_abi = { ${id}u, 1, 3 };" five.c || fail "ABI id of acme-sensor is not $id"
    grep -qF " *   modpack build --firmware <these exports> --abi-name acme-sensor --abi-version 1.3" five.c ||
        fail "the comment does not say how to build modules for it"
    printf 'fw_added\n' >added.txt
    "$MODPACK" exports names.txt added.txt -o six.c --abi-name acme-sensor --abi-version 1.4 || fail exports
    grep -q "const modload_abi modload_fw_abi = { ${id}u, 1, 4 };" six.c || fail "an added export changed the ABI id"
    [ "$(grep -c '^extern char modload_fw_sym_' one.c)" = 5 ] || fail "5 exports expected"
    # it compiles for the target, and against an unrelated declaration of a name
    printf '#include "abiapi.h"\n#include "one.c"\n' >use.c
    "$CC" $M4 -std=c99 -pedantic -Wall -Wextra -Werror -I"$INCLUDE" -I"$SRC" -c use.c -o use.o || fail "generated source does not compile"
    # --all-globals takes every defined global function and object
    "$MODPACK" exports --all-globals api.o -o g.c || fail "exports --all-globals"
    [ "$(grep -c '^extern char' g.c)" = 4 ] || fail "--all-globals of abiapi.o: 4 globals expected"
    # bad inputs
    expect 1 "$MODPACK" exports "$SRC/abimod.c" -o x.c
    grep -qF "abimod.c:1: '/* abimod.c - the module of the ABI test: imports functions and data the' is not a C identifier" err.txt || fail "list error: $(cat err.txt)"
    expect 1 "$MODPACK" exports v.c -o x.c --abi-version 2
    grep -qF "modpack: --abi-version '2': give MAJOR.MINOR, each 0 to 65535 (e.g. 2.1)" err.txt || fail "version error"
    expect 1 "$MODPACK" exports v.c -o x.c --abi-name 'acme sensor'
    grep -qF "modpack: --abi-name 'acme sensor': give the firmware's ABI name in letters, digits, '.', '_' and '-' (e.g. acme-sensor)" err.txt || fail "name error: $(cat err.txt)"
    expect 1 "$MODPACK" exports v.c -o x.c --abi-name ''
    grep -qF "modpack: --abi-name '': give the firmware's ABI name" err.txt || fail "empty name error: $(cat err.txt)"
    printf '# nothing\n' >empty.txt
    expect 1 "$MODPACK" exports empty.txt -o x.c
    grep -qF "modpack: no firmware exports found in empty.txt" err.txt || fail "empty error"
    [ -e x.c ] && fail "x.c written"
    ;;
missing)
    # every missing import, with all its uses; nothing written
    cat >m.c <<'C'
extern int fw_add(int, int);
extern int fw_gone_a(int);
extern int fw_gone_b;
extern int zz_missing(void);
int module_init(void) { return fw_add(fw_gone_a(1), fw_gone_b) + zz_missing(); }
int other(int x) { return fw_gone_a(x); }
int *ptr = &fw_gone_b;
C
    "$CC" $M4 -O2 -mlong-calls -ffreestanding -fno-common -c m.c -o m.o || fail compile
    "$CC" $M4 -nostdlib -Wl,--emit-relocs,--unresolved-symbols=ignore-all -T "$LDS" m.o -o m.elf || fail link
    printf 'fw_add\nfw_other\n' >fw.txt
    expect 1 "$MODPACK" build m.elf -o m.mod --firmware fw.txt --abi-version 1.4
    cat >want.txt <<'T'
modpack: m.elf: 3 imports are not exported by the firmware (fw.txt); nothing written:
  fw_gone_a used at .text+0x1c (in module_init), .text+0x30 (in other)
  fw_gone_b used at .text+0x20 (in module_init), .data+0x0
  zz_missing used at .text+0x28 (in module_init)
modpack: export them from the firmware (MODLOAD_EXPORT, then modpack exports), remove their uses from the module, or give --firmware the firmware it is built for
T
    same_text want.txt
    [ -e m.mod ] && fail "m.mod written"
    ls -A | grep -q '^\.m\.mod\.' && fail "temporary file left"
    # the image of a module whose imports all exist records the ABI
    printf 'fw_add\nfw_gone_a\nfw_gone_b\nzz_missing\nfw_more\n' >all.txt
    "$MODPACK" build m.elf -o m.mod --firmware fw.txt --firmware all.txt --abi-version 1.4 || fail build
    id=$("$MODPACK" exports fw.txt all.txt -o e.c --abi-version 1.4 && sed -n 's/^const modload_abi modload_fw_abi = { 0x\([0-9a-f]*\)u, 1, 4 };$/\1/p' e.c)
    [ -n "$id" ] || fail "no ABI in e.c"
    "$MODPACK" inspect m.mod >i.txt || fail inspect
    grep -qF "  abi          firmware ABI id 0x$id, version 1.4" i.txt || { cat i.txt; fail "inspect text"; }
    "$MODPACK" inspect --json m.mod >j.json || fail "inspect --json"
    python3 -c "import json; a = json.load(open('j.json'))['meta']['abi']; assert a == {'id': 0x$id, 'major': 1, 'minor': 4}, a" || fail "inspect --json abi"
    # without --firmware: no record, and json says null
    "$MODPACK" build m.elf -o n.mod || fail build
    "$MODPACK" inspect n.mod | grep -q "abi " && fail "record without --firmware"
    "$MODPACK" inspect --json n.mod | python3 -c "import json,sys; assert json.load(sys.stdin)['meta']['abi'] is None" || fail "json abi not null"
    expect 2 "$MODPACK" build m.elf -o n.mod --abi-version 1.4
    grep -qF "modpack: build: --abi-version needs --firmware FW" err.txt || fail "usage error"
    expect 2 "$MODPACK" build m.elf -o n.mod --abi-name acme-sensor
    grep -qF "modpack: build: --abi-name needs --firmware FW" err.txt || fail "usage error"
    # --abi-name is the id; the same name in exports and build gives the same
    "$MODPACK" build m.elf -o m.mod --firmware fw.txt --firmware all.txt --abi-name acme-sensor --abi-version 1.4 || fail build
    "$MODPACK" inspect m.mod | grep -qF "  abi          firmware ABI id 0x46933510, version 1.4" || fail "inspect of --abi-name"
    ;;
firmware-isa)
    # --firmware given as an ELF: its machine, class, float ABI and CPU are
    # compared with the module's before anything is written
    cat >fw.c <<'C'
int fw_add(int a, int b) { return a + b; }
void _start(void) { for (;;) fw_add(1, 2); }
C
    cat >m.c <<'C'
extern int fw_add(int, int);
int module_init(void) { return fw_add(40, 2) == 42 ? 0 : 1; }
C
    fw() { "$CC" -mthumb -Os -ffreestanding -nostdlib "$@" fw.c -o "$FW" || fail "firmware $*"; }
    mod() { "$CC" -mthumb -Os -ffreestanding -nostdlib -Wl,--emit-relocs,--unresolved-symbols=ignore-all \
                -T "$LDS" "$@" m.c -o "$OUT" || fail "module $*"; }
    FW=fw-m0.elf fw -mcpu=cortex-m0
    FW=fw-m3.elf fw -mcpu=cortex-m3
    FW=fw-m4.elf fw -mcpu=cortex-m4
    OUT=m4.elf mod -mcpu=cortex-m4
    OUT=m0.elf mod -mcpu=cortex-m0
    OUT=m4f.elf mod -mcpu=cortex-m4 -mfloat-abi=hard -mfpu=fpv4-sp-d16
    expect 1 "$MODPACK" build m4.elf -o m.mod --firmware fw-m0.elf --all-globals
    echo "modpack: m4.elf: the module uses 32-bit Thumb-2 instructions, but the firmware fw-m0.elf is built for a Thumb-1 CPU (ARMv6-M or ARMv8-M baseline); compile and link the module with the firmware's -mcpu" >want.txt
    same_text want.txt
    [ -e m.mod ] && fail "m.mod written"
    expect 1 "$MODPACK" build m4f.elf -o m.mod --firmware fw-m3.elf --all-globals
    echo "modpack: m4f.elf: the module passes floating-point arguments in FPU registers (hard-float), the firmware fw-m3.elf in core registers (soft-float); build both with the same -mfloat-abi" >want.txt
    same_text want.txt
    [ -e m.mod ] && fail "m.mod written"
    # what fits: the same CPU, and Thumb-1 code on a Thumb-2 CPU; a list of
    # names says nothing of the CPU
    expect 0 "$MODPACK" build m4.elf -o m.mod --firmware fw-m4.elf --all-globals
    expect 0 "$MODPACK" build m0.elf -o m.mod --firmware fw-m4.elf --all-globals
    echo fw_add >names.txt
    expect 0 "$MODPACK" build m4f.elf -o m.mod --firmware names.txt
    if [ -n "${RVCC:-}" ]; then
        "$RVCC" -march=rv32imc -mabi=ilp32 -mcmodel=medlow -Os -ffreestanding -nostdlib \
            -Wl,--emit-relocs,--unresolved-symbols=ignore-all -T "$LDS" m.c -o rv.elf || fail "rv module"
        expect 1 "$MODPACK" build rv.elf -o m.mod --firmware fw-m4.elf --all-globals
        echo "modpack: rv.elf: the module is for riscv, but the firmware fw-m4.elf is for arm; give --firmware the firmware this module runs on" >want.txt
        same_text want.txt
        "$RVCC" -march=rv32imac -mabi=ilp32 -Os -ffreestanding -nostdlib fw.c -o rvfw-imac.elf || fail "rv firmware"
        "$RVCC" -march=rv32i -mabi=ilp32 -Os -ffreestanding -nostdlib fw.c -o rvfw-i.elf || fail "rv firmware"
        "$RVCC" -march=rv32imafc -mabi=ilp32f -Os -ffreestanding -nostdlib fw.c -o rvfw-f.elf || fail "rv firmware"
        expect 0 "$MODPACK" build rv.elf -o m.mod --firmware rvfw-imac.elf --all-globals
        expect 1 "$MODPACK" build rv.elf -o m.mod --firmware rvfw-i.elf --all-globals
        echo "modpack: rv.elf: the module uses the 'mc' extensions, which the firmware rvfw-i.elf is not built for; compile the module with the firmware's -march" >want.txt
        same_text want.txt
        expect 1 "$MODPACK" build rv.elf -o m.mod --firmware rvfw-f.elf --all-globals
        echo "modpack: rv.elf: the module's float ABI is soft-float, the firmware rvfw-f.elf's single-float; build both with the same -mabi" >want.txt
        same_text want.txt
    fi
    ;;
*)
    fail "unknown case $1"
    ;;
esac
echo "PASS: $1"
