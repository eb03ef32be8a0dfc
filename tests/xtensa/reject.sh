#!/usr/bin/env bash
# reject.sh CASE - modpack refuses an Xtensa relocation class with a message
# that names the site, the relocation, the symbol and the flag that avoids
# it (tests/xtensa/CMakeLists.txt lists the cases).
# Environment: MODPACK, SRC (tests/xtensa), HARNESS (tests/harness), LDS
# (module.ld), WORK, CC (xtensa-lx106-elf-gcc); for the windowed cases also
# AS (xtensa-lx106-elf-as) and PYTHON.
set -u
c=$1
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
fail() { echo "FAIL: $*" >&2; exit 1; }
# build SRC OUT.elf FLAGS...: compile and link one module at 0
build() {
    local src=$1 out=$2; shift 2
    "$CC" "$@" -O2 -ffreestanding -fno-common -I"$HARNESS" -c "$src" -o "$out.o" || fail "compile $src"
    "$CC" "$@" -nostdlib -Wl,--emit-relocs,--unresolved-symbols=ignore-all,--no-warn-rwx-segments \
        -T "$LDS" "$out.o" -lgcc -o "$out" || fail "link $src"
}
# wbuild SRC OUT.elf [--direct-calls=...] FLAGS...: the same, windowed
# (windowed.cmake: gcc -S, winasm.py, as, and call8fix.py for direct calls)
wbuild() {
    local src=$1 out=$2 direct=; shift 2
    case ${1-} in --direct-calls=*) direct=$1; shift;; esac
    "$CC" -mabi=windowed -mlongcalls -O2 "$@" -ffreestanding -fno-common -I"$HARNESS" -S "$src" -o "$out.s" ||
        fail "compile $src"
    "$PYTHON" "$SRC/winasm.py" $direct "$out.s" "$out.t.s" || fail "winasm $src"
    "$AS" --abi-windowed "$out.t.s" -o "$out.o" || fail "assemble $src"
    "$CC" -nostdlib -Wl,--emit-relocs,--unresolved-symbols=ignore-all,--no-warn-rwx-segments \
        -T "$LDS" "$out.o" -o "$out" || fail "link $src"
    [ -z "$direct" ] || "$PYTHON" "$SRC/call8fix.py" "$out" || fail "call8fix $src"
}
# expect ELF SUBSTRING...: modpack build fails with exit 1, every substring
# in stderr, the message in the documented form, no output file
expect() {
    local elf=$1; shift
    rm -f x.mod
    "$MODPACK" build "$elf" -o x.mod >out.txt 2>err.txt
    local rc=$?
    cat err.txt
    [ "$rc" = 1 ] || fail "modpack exited $rc, expected 1"
    for want in "$@"; do
        grep -qF -- "$want" err.txt || fail "stderr lacks: $want"
    done
    grep -qE "^modpack: [^:]+\.elf: \.[a-z_.]+\+0x[0-9a-f]+: R_XTENSA_[A-Za-z0-9_<>]+ against '[^']+': [^;]+; .+" err.txt ||
        fail "message not in the form 'modpack: IN: sec+off: R_X against 'sym': why; hint'"
    [ ! -e x.mod ] || fail "output left behind"
}
# patch ELF OUT SECTION SYMBOL TYPE: copy ELF to OUT with the relocation type
# of the first entry of SECTION against SYMBOL set to TYPE
patch() {
    python3 - "$@" <<'PY' || fail "patching $2"
import struct, sys
src, dst, secname, symname, rtype = sys.argv[1:6]
d = bytearray(open(src, 'rb').read())
shoff, = struct.unpack_from('<I', d, 32)
shentsize, shnum, shstrndx = struct.unpack_from('<HHH', d, 46)
secs = [struct.unpack_from('<IIIIIIIIII', d, shoff + i * shentsize) for i in range(shnum)]
def name(off, stroff):
    e = d.index(0, stroff + off)
    return d[stroff + off:e].decode()
shstr = secs[shstrndx][4]
for s in secs:
    if name(s[0], shstr) != secname:
        continue
    symtab = secs[s[6]]
    strtab = secs[symtab[6]][4]
    for k in range(s[5] // 12):
        at = s[4] + 12 * k
        info, = struct.unpack_from('<I', d, at + 4)
        sym = info >> 8
        if name(struct.unpack_from('<I', d, symtab[4] + 16 * sym)[0], strtab) == symname:
            struct.pack_into('<I', d, at + 4, (sym << 8) | int(rtype))
            open(dst, 'wb').write(d)
            sys.exit(0)
sys.exit('no %s entry against %s' % (secname, symname))
PY
}
case $c in
call_import)
    # without -mlongcalls a call to the firmware is a direct CALL0
    build "$SRC/src/call_import.c" x.elf
    expect x.elf "x.elf: .text+0x" ": R_XTENSA_SLOT0_OP against 'fw_func': a direct CALL cannot reach the firmware" \
        "; compile with -mlongcalls"
    # with it, the call goes through a literal and the module packs
    build "$SRC/src/call_import.c" y.elf -mlongcalls
    "$MODPACK" build y.elf -o y.mod || fail "-mlongcalls build refused"
    ;;
jump_import)
    build "$SRC/src/jump_import.S" x.elf
    expect x.elf "x.elf: .text+0x0: R_XTENSA_SLOT0_OP against 'fw_func': a J (tail call) cannot reach the firmware" \
        "-mlongcalls"
    ;;
patched_types)
    # relocation types GNU ld does not let through to a linked module: the
    # test module with one relocation's type rewritten
    build "$HARNESS/testmod.c" t.elf -mlongcalls
    "$MODPACK" build t.elf -o t.mod || fail "the unpatched module is refused"
    patch t.elf x.elf .rela.data fw_mix 3
    expect x.elf ".data+0x" "R_XTENSA_GLOB_DAT against 'fw_mix': dynamic relocation" "-shared"
    patch t.elf x.elf .rela.data fw_mix 5
    expect x.elf "R_XTENSA_RELATIVE against 'fw_mix': dynamic relocation"
    patch t.elf x.elf .rela.data fw_mix 53
    expect x.elf "R_XTENSA_TLS_TPOFF against 'fw_mix': thread-local storage" "__thread"
    patch t.elf x.elf .rela.data fw_mix 14
    expect x.elf "R_XTENSA_32_PCREL against 'fw_mix': a PC-relative reference cannot reach an import" \
        "R_XTENSA_32"
    patch t.elf x.elf .rela.data fw_mix 59
    expect x.elf "R_XTENSA_PDIFF32 against 'fw_mix': a difference involving an import"
    patch t.elf x.elf .rela.text fw_table 21
    expect x.elf ".text+0x" "R_XTENSA_SLOT1_OP against 'fw_table': an operand in a FLIX bundle slot" "without FLIX"
    patch t.elf x.elf .rela.text fw_table 35
    expect x.elf "R_XTENSA_SLOT0_ALT against 'fw_table'" "CONST16" "L32R literals"
    patch t.elf x.elf .rela.text fw_table 8
    expect x.elf "R_XTENSA_OP0 against 'fw_table': obsolete" "GNU as"
    patch t.elf x.elf .rela.text fw_table 99
    expect x.elf "R_XTENSA_<99> against 'fw_table': unknown relocation type"
    ;;
accept_flags)
    # what the image says about an lx106 module
    build "$HARNESS/testmod.c" t.elf -mlongcalls
    "$MODPACK" build t.elf -o t.mod --require split || fail "--require split refused"
    "$MODPACK" inspect t.mod >inspect.txt || fail "inspect"
    cat inspect.txt
    grep -q "^Arch: *xtensa (94), arch flags 0x00000001 call0" inspect.txt || fail "arch line"
    grep -qE "^  code  size 0x[0-9a-f]+  align 4" inspect.txt || fail "code alignment 4"
    grep -q "^  split        yes" inspect.txt || fail "split"
    # the code holds literal-pool fixups: it cannot run in place
    "$MODPACK" build t.elf -o u.mod --require xip 2>err.txt && fail "--require xip accepted"
    cat err.txt
    [ ! -e u.mod ] || fail "output left behind"
    ;;
windowed_call_import)
    # windowed (windowed.cmake): a direct CALL8 to the firmware is refused
    # like a CALL0; through a literal and CALLX8 the module packs
    wbuild "$SRC/src/call_import.c" x.elf --direct-calls=all
    expect x.elf "x.elf: .text+0x" ": R_XTENSA_SLOT0_OP against 'fw_func': a direct CALL cannot reach the firmware" \
        "; compile with -mlongcalls"
    wbuild "$SRC/src/call_import.c" y.elf
    "$MODPACK" build y.elf -o y.mod || fail "CALLX8 build refused"
    ;;
windowed_flags)
    # a windowed module's direct CALL8 to its own function is accepted and
    # left as it is (no fixup, the code bytes unchanged); the image says
    # windowed
    wbuild "$HARNESS/testmod.c" t.elf --direct-calls=local -O0
    "$MODPACK" build t.elf -o t.mod || fail "windowed module refused"
    "$MODPACK" inspect t.mod >inspect.txt || fail "inspect"
    cat inspect.txt
    grep -q "^Arch: *xtensa (94), arch flags 0x00000002 windowed" inspect.txt || fail "arch line"
    hdr=$(sed -n 's/^Image size:.*(header \([0-9]*\))$/\1/p' inspect.txt)
    [ -n "$hdr" ] || fail "no header size in inspect"
    "$PYTHON" - t.elf t.mod "$hdr" <<'PY' || fail "CALL8 sites"
import struct, sys
elf, mod = (open(p, 'rb').read() for p in sys.argv[1:3])
hdr = int(sys.argv[3])   # the image's code follows its header
shoff, = struct.unpack_from('<I', elf, 32)
shnum, shstrndx = struct.unpack_from('<HH', elf, 48)
secs = [struct.unpack_from('<10I', elf, shoff + 40 * i) for i in range(shnum)]
strs = secs[shstrndx][4]
name = lambda s: elf[strs + s[0]:elf.index(b'\0', strs + s[0])].decode()
text = next(s for s in secs if name(s) == '.text')
rela = next(s for s in secs if name(s) == '.rela.text')
code = elf[text[4]:text[4] + text[5]]
calls = [r for r in (struct.unpack_from('<II', elf, rela[4] + 12 * k) for k in range(rela[5] // 12))
         if r[1] & 0xFF == 20 and code[r[0] - text[3]] & 0x3F == 0x25]
if not calls:
    sys.exit('no CALL8 with R_XTENSA_SLOT0_OP in t.elf')
for off, _ in calls:
    at = off - text[3]
    if mod[hdr + at:hdr + at + 3] != code[at:at + 3]:
        sys.exit('CALL8 at .text+0x%x changed in the image' % at)
print('%d direct CALL8 sites, unchanged in the image' % len(calls))
PY
    ;;
*)
    fail "unknown case $c"
    ;;
esac
echo "PASS $c"
