#!/usr/bin/env bash
# run.sh CASE - one x86 test case (see CMakeLists.txt).
#   run.sh exec PROGRAM ARGS...   run a harness; an i386 one under qemu-i386
#                                 when the kernel cannot execute it
# Otherwise the environment gives MODPACK, SRC (tests/x86), HARNESS
# (tests/harness), LDS (module.ld), WORK (scratch), GCC, CLANG, HAVE32.
set -u
case_name=$1
if [ "$case_name" = exec ]; then
    shift
    "$1" >/dev/null 2>&1
    if [ $? = 126 ] && [ -n "${QEMU_I386:-}" ]; then
        exec "$QEMU_I386" "$@"
    fi
    exec "$@"
fi
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1

fail() { echo "FAIL: $*" >&2; exit 1; }
LINK="-no-pie -nostdlib -Wl,--emit-relocs,--unresolved-symbols=ignore-all,--no-warn-rwx-segments -T $LDS"
# mod BITS OUT.elf SRC CFLAGS... : compile and link one module with gcc
mod() {
    local bits=$1 out=$2 src=$3; shift 3
    "$GCC" -m"$bits" "$@" -ffreestanding -fno-common -fno-stack-protector -I"$HARNESS" \
        -c "$src" -o "$out.o" || fail "compile $src"
    "$GCC" -m"$bits" "$@" $LINK ${EXTRA_LD:-} "$out.o" -o "$out" || fail "link $src"
}
# expect CODE SUBSTRING cmd...: exit status, a stderr substring, and the
# form "modpack: IN: SECTION+0xOFF: R_TYPE against 'SYM': why; hint"
expect() {
    local code=$1 want=$2; shift 2
    "$@" >out.txt 2>err.txt
    local rc=$?
    [ "$rc" = "$code" ] || { cat err.txt >&2; fail "'$*' exited $rc, expected $code"; }
    grep -qF -- "$want" err.txt || { cat err.txt >&2; fail "'$*': stderr lacks: $want"; }
    cat err.txt
}
reloc_form() {
    grep -qE "^modpack: [^:]+\.elf: \.[a-z_.]+\+0x[0-9a-f]+: R_(386|X86_64)_[A-Z0-9_]+ against '[^']+': [^;]+; .+" err.txt ||
        { cat err.txt >&2; fail "message not in the form 'modpack: IN: sec+off: R_X against 'sym': why; hint'"; }
}
need32() { [ "$HAVE32" = ON ] || { echo "gcc -m32 not usable"; exit 77; }; }
needclang() { [ -n "$CLANG" ] && command -v ld.lld >/dev/null || { echo "clang/ld.lld not installed"; exit 77; }; }

case $case_name in
reject_abs32)
    # -fno-pic -mcmodel=small: 32-bit absolute addresses (mov $sym, %eax)
    mod 64 small.elf "$HARNESS/testmod.c" -O2 -fno-pic -mcmodel=small
    expect 1 "R_X86_64_32" "$MODPACK" build small.elf -o small.mod
    grep -qF "a 32-bit absolute field cannot hold the module's 64-bit run address; compile with -fPIE or -fPIC" err.txt ||
        fail "hint missing"
    reloc_form
    [ ! -e small.mod ] || fail "an image was written"
    # -fPIC relaxed by GNU ld into mov $sym (R_X86_64_32S): modpack restores
    # the GOT loads (run.x64-pic-*-relax.x86-64 run such modules)
    mod 64 relaxed.elf "$HARNESS/testmod.c" -O2 -fPIC
    objdump -dr relaxed.elf | grep -q "R_X86_64_32S" || fail "GNU ld relaxed nothing: nothing to test"
    "$MODPACK" build relaxed.elf -o relaxed.mod || fail "a GNU ld-relaxed -fPIC module was refused"
    ;;
reject_pc32_data)
    # -fPIE assumes firmware variables are near: a RIP-relative load from an import
    mod 64 pie.elf "$HARNESS/testmod.c" -O2 -fPIE
    expect 1 "R_X86_64_PC32 against 'fw_shared': a PC-relative data reference cannot reach an import" \
        "$MODPACK" build pie.elf -o pie.mod
    grep -qF "compile with -fPIC so that the reference goes through the GOT" err.txt || fail "hint"
    reloc_form
    ;;
reject_pltoff)
    mod 64 lp.elf "$HARNESS/testmod.c" -O2 -fPIC -mcmodel=large
    expect 1 "R_X86_64_PLTOFF64 against 'fw_record': PLT-relative addressing" "$MODPACK" build lp.elf -o lp.mod
    grep -qF -- "-fno-plt" err.txt || fail "hint lacks -fno-plt"
    reloc_form
    ;;
reject_tls)
    printf '__thread int tv;\nint module_init(void) { return tv; }\n' >tls.c
    mod 64 tls.elf tls.c -O2 -fPIC
    expect 1 "thread-local variables" "$MODPACK" build tls.elf -o tls.mod
    # the relocation itself, in a section laid out like data
    printf '.text\n.globl module_init\nmodule_init: movl %%fs:tv@tpoff, %%eax\n ret\n' >tls2.s
    "$GCC" -m64 -c tls2.s -o tls2.o && "$GCC" -m64 $LINK tls2.o -o tls2.elf || fail "tls2 link"
    expect 1 "R_X86_64_TPOFF32 against 'tv': thread-local storage is not supported" \
        "$MODPACK" build tls2.elf -o tls2.mod
    reloc_form
    ;;
reject_stale_lld)
    needclang
    "$CLANG" --target=x86_64-linux-gnu -O2 -fPIC -ffreestanding -fno-common -I"$HARNESS" \
        -c "$HARNESS/testmod.c" -o c.o || fail clang
    ld.lld --emit-relocs --unresolved-symbols=ignore-all -T "$LDS" c.o -o c.elf || fail lld
    expect 1 "R_X86_64_REX_GOTPCRELX against 'fw_shared': the linker rewrote this GOT load" \
        "$MODPACK" build c.elf -o c.mod
    grep -qF -- "-Wl,--no-relax" err.txt || fail "hint lacks --no-relax"
    reloc_form
    # with --no-relax the same object packs
    ld.lld --no-relax --emit-relocs --unresolved-symbols=ignore-all -T "$LDS" c.o -o c2.elf || fail lld
    "$MODPACK" build c2.elf -o c2.mod || fail "--no-relax link refused"
    ;;
lld_relax)
    # ld.lld relaxes GOTPCRELX loads and keeps the GOT relocation types
    # (--emit-relocs): modpack reads the instruction bytes. Own symbols
    # (lea sym(%rip), addr32 call, jmp; nop) stay PC-relative; calls and
    # tail calls to imports go through veneers; the module runs at a mmap'd
    # address with Python callbacks as the firmware (modpack relocate).
    needclang
    cat >relax.s <<'ASM'
        .text
        .globl module_init
module_init:
        subq    $8, %rsp
        movq    counter@GOTPCREL(%rip), %rax    # lea counter(%rip)
        movl    (%rax), %edi
        movl    $7, %esi
        addl    $1, (%rax)
        call    *fw_mix@GOTPCREL(%rip)          # addr32 call 0: veneer
        movl    %eax, %esi
        call    *helper@GOTPCREL(%rip)          # addr32 call helper
        addq    $8, %rsp
        jmp     *fw_record@GOTPCREL(%rip)       # jmp 0; nop: veneer
helper:
        jmp     *helper2@GOTPCREL(%rip)         # jmp helper2; nop
helper2:
        movl    counter(%rip), %edi
        ret
        .data
counter: .long 5
ASM
    "$CLANG" --target=x86_64-linux-gnu -c relax.s -o relax.o || fail "assemble relax.s"
    ld.lld --emit-relocs --unresolved-symbols=ignore-all -T "$LDS" relax.o -o relax.elf || fail lld
    "$MODPACK" build relax.elf -o relax.mod || fail "relaxed calls and LEAs refused"
    python3 - "$MODPACK" relax.mod <<'PY' || fail "the relaxed module computed the wrong thing"
import ctypes, mmap, subprocess, sys
modpack, mod = sys.argv[1:3]
calls = []
MIX = ctypes.CFUNCTYPE(ctypes.c_uint32, ctypes.c_uint32, ctypes.c_uint32)
REC = ctypes.CFUNCTYPE(None, ctypes.c_uint32, ctypes.c_uint32)
mix = MIX(lambda a, b: calls.append(('mix', a, b)) or (a * 1000 + b))
rec = REC(lambda k, v: calls.append(('record', k, v)))
mem = mmap.mmap(-1, 1 << 16, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
base = ctypes.addressof(ctypes.c_char.from_buffer(mem))
addr = lambda f: ctypes.cast(f, ctypes.c_void_p).value
subprocess.run([modpack, 'relocate', mod, '--base', hex(base), '-o', 'placed.bin',
                '--defsym', 'fw_mix=%#x' % addr(mix), '--defsym', 'fw_record=%#x' % addr(rec)],
               check=True)
img = open('placed.bin', 'rb').read()
mem[:len(img)] = img
ctypes.CFUNCTYPE(None)(base)()      # module_init is at code+0
print(calls)
sys.exit(0 if calls == [('mix', 5, 7), ('record', 6, 5007)] else 1)
PY
    # a GOT load of an import relaxed into lea 0(%rip) cannot be undone
    "$CLANG" --target=x86_64-linux-gnu -O2 -fPIC -ffreestanding -fno-common -I"$HARNESS" \
        -c "$HARNESS/testmod.c" -o c.o || fail clang
    ld.lld --emit-relocs --unresolved-symbols=ignore-all -T "$LDS" c.o -o c.elf || fail lld
    expect 1 "R_X86_64_REX_GOTPCRELX against 'fw_shared': the linker rewrote this GOT load of an import into a PC-relative LEA" \
        "$MODPACK" build c.elf -o c.mod
    grep -qF -- "-Wl,--no-relax" err.txt || fail "hint lacks --no-relax"
    reloc_form
    # test/binop GOT loads become 32-bit absolute immediates in a non-PIC link
    printf '.text\n.globl module_init\nmodule_init: cmpq counter@GOTPCREL(%%rip), %%rax\n ret\n.data\ncounter: .long 5\n' >imm.s
    "$CLANG" --target=x86_64-linux-gnu -c imm.s -o imm.o || fail "assemble imm.s"
    ld.lld --emit-relocs -T "$LDS" imm.o -o imm.elf || fail lld
    expect 1 "R_X86_64_REX_GOTPCRELX against 'counter': the linker rewrote this GOT load into a 32-bit absolute immediate" \
        "$MODPACK" build imm.elf -o imm.mod
    grep -qF -- "-Wl,--no-relax" err.txt || fail "hint lacks --no-relax"
    reloc_form
    [ ! -e imm.mod ] || fail "an image was written"
    ;;
reject_small)
    printf '.text\n.globl module_init\nmodule_init: ret\n.data\n.word fw_shared\n' >s16.s
    "$GCC" -m64 -c s16.s -o s16.o && "$GCC" -m64 $LINK s16.o -o s16.elf || fail link
    expect 1 "R_X86_64_16 against 'fw_shared': a field narrower than the address" \
        "$MODPACK" build s16.elf -o s16.mod
    reloc_form
    printf '.text\n.globl module_init\nmodule_init: ret\n.data\n.byte module_init - .\n' >p8.s
    "$GCC" -m64 -c p8.s -o p8.o && "$GCC" -m64 $LINK p8.o -o p8.elf || fail link
    expect 1 "R_X86_64_PC8 against 'module_init': an 8/16-bit relative field can only refer within its segment" \
        "$MODPACK" build p8.elf -o p8.mod
    reloc_form
    ;;
reject_i386_pc_data)
    need32
    printf '.text\n.globl module_init\nmodule_init: ret\n.data\n.long fw_shared - .\n' >pd.s
    "$GCC" -m32 -c pd.s -o pd.o && "$GCC" -m32 $LINK pd.o -o pd.elf || fail link
    expect 1 "R_386_PC32 against 'fw_shared': a PC-relative data reference cannot reach an import" \
        "$MODPACK" build pd.elf -o pd.mod
    reloc_form
    printf '.text\n.globl module_init\nmodule_init: ret\n.data\n.word module_init\n' >a16.s
    "$GCC" -m32 -c a16.s -o a16.o && "$GCC" -m32 $LINK a16.o -o a16.elf || fail link
    expect 1 "R_386_16 against 'module_init'" "$MODPACK" build a16.elf -o a16.mod
    reloc_form
    ;;
accept_abs_symbol)
    # a call to a firmware function at a fixed address (--defsym, as with
    # --just-symbols) gets a veneer with that address and no import
    printf 'int fw_f(int);\nint module_init(void) { return fw_f(1) + 1; }\n' >abs.c
    mod 64 abs.elf abs.c -O2 -fPIC -Wl,--defsym=fw_f=0x12345678
    "$MODPACK" build abs.elf -o abs.mod || fail build
    "$MODPACK" inspect --json abs.mod >j.json || fail inspect
    python3 - abs.mod <<'PY' || fail "veneer with the absolute address, no import"
import json, struct, sys
j = json.load(open('j.json'))
d = open(sys.argv[1], 'rb').read()
hs = struct.unpack_from('<H', d, 6)[0]; cs = struct.unpack_from('<I', d, 20)[0]
code = d[hs:hs + cs]
ok = j["nimports"] == 0 if "nimports" in j else len(j["imports"]) == 0
sys.exit(0 if ok and bytes.fromhex('ff2500000000') + struct.pack('<Q', 0x12345678) in code else 1)
PY
    ;;
veneers)
    # x86-64: jmp *0(%rip); .quad 0 with a WORD64 import fixup on the literal;
    # the data moved up past the veneers (RIP-relative words adjusted, which
    # the run.*.x86-64 tests check by running such modules)
    mod 64 v64.elf "$HARNESS/testmod.c" -O2 -fPIC -Wl,--no-relax
    "$MODPACK" build v64.elf -o v64.mod || fail build
    "$MODPACK" verify v64.mod >/dev/null || fail verify
    python3 - v64.mod <<'PY' || fail "x86-64 veneers"
import struct, sys
d = open(sys.argv[1], 'rb').read()
hs = struct.unpack_from('<H', d, 6)[0]; cs = struct.unpack_from('<I', d, 20)[0]
# fw_record, fw_register, fw_mix
sys.exit(0 if d[hs:hs + cs].count(bytes.fromhex('ff2500000000') + bytes(8)) == 3 else 1)
PY
    need32
    # i386: no veneer; every call to an import is a REL32 fixup on its rel32
    mod 32 v32.elf "$HARNESS/testmod.c" -O2 -fno-pic
    "$MODPACK" build v32.elf -o v32.mod || fail build
    python3 - v32.mod <<'PY' || fail "i386 veneers"
import struct, sys
d = open(sys.argv[1], 'rb').read()
hs = struct.unpack_from('<H', d, 6)[0]; cs = struct.unpack_from('<I', d, 20)[0]
sys.exit(0 if d[hs:hs + cs].count(bytes.fromhex('6800000000c3')) == 0 else 1)
PY
    "$MODPACK" inspect v32.mod | grep -q "REL32" || fail "i386 calls to imports are not REL32 fixups"
    ;;
i386_identity)
    # i386 calls to imports are bound directly (REL32): a module placed at B
    # by modload (modpack relocate) equals, byte for byte, the module linked
    # at B with its imports defined there
    need32
    for opt in -O0 -O2 -Os; do
        # (-fPIC: plain GOT32 loads, which GNU ld would otherwise relax in
        # the link that defines the imports, as in the differential test)
        for pic in -fno-pic "-fPIC -Wa,-mrelax-relocations=no"; do
            rm -f m.elf* m.mod
            mod 32 m.elf "$HARNESS/testmod.c" $opt $pic -Wl,--build-id=none
            "$MODPACK" build m.elf -o m.mod || fail "build $opt $pic"
            "$MODPACK" inspect m.mod | grep -q REL32 || fail "no REL32 fixup ($opt $pic)"
            imports=$(nm -u m.elf.o | awk '{print $2}' | grep -v '^_GLOBAL_OFFSET_TABLE_$')
            [ -n "$imports" ] || fail "no imports"
            for base in 0x20010000 0x7FFFF000; do
                defs="" lds=""
                a=$((0x00ABC000))
                for s in $imports; do
                    defs="$defs --defsym $s=$(printf 0x%X $a)"
                    lds="$lds -Wl,--defsym=$s=$(printf 0x%X $a)"
                    a=$((a + 0x01010101))
                done
                "$MODPACK" relocate m.mod --base $base $defs -o got.bin || fail "relocate $opt $pic at $base"
                "$GCC" -m32 $opt $pic -no-pie -nostdlib -T "$LDS" \
                    -Wl,--emit-relocs,--no-warn-rwx-segments,--build-id=none \
                    -Wl,--defsym=__module_base=$base $lds m.elf.o -o want.elf || fail "link at $base"
                objcopy -O binary want.elf want.bin || fail objcopy
                cmp want.bin got.bin ||
                    fail "$opt $pic at $base: modpack relocate differs from the link at that address"
            done
        done
    done
    ;;
*)
    echo "unknown case $case_name" >&2
    exit 2
    ;;
esac
echo "PASS: $case_name"
