#!/usr/bin/env bash
# reject.sh CASE - modpack refuses a relocatable (.o) input with the exact
# message that names the site, relocation, symbol and the flag that avoids
# it, and writes no output (tests/rel/CMakeLists.txt lists the cases). The
# *_got cases: the -fPIC object packs (modpack builds its GOT); what a GOT
# cannot give a module (TLS slots, a PLT, copy relocations) is refused.
# Environment: MODPACK, WORK, HARNESS (tests/harness), ARM_GCC,
# RV_GCC, GCC, XTENSA_GCC (empty when absent).
set -u
c=$1
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
fail() { echo "FAIL: $*" >&2; exit 1; }
need() { [ -n "$1" ] || { echo "SKIP: $2 not installed"; exit 77; }; }
RV="-march=rv32imac -mabi=ilp32"
# a module that reads a thread-local variable through a TLS GOT slot
TLS_C=$WORK/tls.c
printf 'extern __thread int tls_counter;\nint module_init(void) { return tls_counter; }\n' >"$TLS_C"
# expect IN.o MESSAGE: modpack build fails with exit 1, stderr is exactly MESSAGE, no output
expect() {
    "$MODPACK" build "$1" -o x.mod >out.txt 2>err.txt
    local rc=$?
    cat err.txt
    [ "$rc" = 1 ] || fail "modpack exited $rc, expected 1"
    [ "$(cat err.txt)" = "$2" ] || fail "stderr is not: $2"
    [ ! -e x.mod ] || fail "output left behind"
}
case $c in
riscv_rvc_tail)
    # not a refusal: a C.J in the last two bytes of the code packs, and
    # modpack reads no byte past it (ASan caught a 4-byte read there)
    need "$RV_GCC" riscv64-unknown-elf-gcc
    printf '.option rvc\n.text\n.globl module_init\nmodule_init:\n c.nop\n c.j module_init\n' >a.s
    "$RV_GCC" $RV -mno-relax -c a.s -o a.o || fail assemble
    "$MODPACK" build a.o -o a.mod || fail "a C.J ending the code is refused"
    "$MODPACK" verify a.mod || fail "image does not verify"
    ;;
arm_got_common)
    # not a refusal: a -fPIC object with a COMMON symbol gets both a COMMON
    # and a .got section (ASan caught a read past the per-section flags)
    need "$ARM_GCC" arm-none-eabi-gcc
    printf 'int shared_count;\nextern int fw_value;\nint module_init(void) { shared_count++; return shared_count + fw_value; }\n' >a.c
    "$ARM_GCC" -mcpu=cortex-m4 -mthumb -Os -fPIC -fcommon -c a.c -o a.o || fail compile
    "$MODPACK" build a.o -o a.mod || fail "-fPIC object with a COMMON symbol refused"
    "$MODPACK" inspect a.mod | grep -q fw_value || fail "import fw_value missing"
    ;;
riscv_align)
    need "$RV_GCC" riscv64-unknown-elf-gcc
    # two 2-byte NOPs, then 8-byte alignment: the assembler pads 6 bytes, ld would delete 4
    printf '.text\n.globl module_init\nmodule_init:\n nop\n nop\n .p2align 3\n ret\n' >a.s
    "$RV_GCC" $RV -mrelax -c a.s -o a.o || fail assemble
    expect a.o "modpack: a.o: .text+0x4: R_RISCV_ALIGN against '': alignment by deleting bytes (linker relaxation) is not done for relocatable input; compile with -mno-relax"
    "$RV_GCC" $RV -mno-relax -c a.s -o b.o || fail assemble
    "$MODPACK" build b.o -o b.mod || fail "-mno-relax object refused"
    # padding that ld would keep whole is accepted (one NOP, then 8-byte alignment)
    printf '.text\n.globl module_init\nmodule_init:\n nop\n .p2align 3\n ret\n' >c.s
    "$RV_GCC" $RV -mrelax -c c.s -o c.o || fail assemble
    "$MODPACK" build c.o -o c.mod || fail "ALIGN that deletes nothing refused"
    ;;
riscv_got)
    need "$RV_GCC" riscv64-unknown-elf-gcc
    # -fPIC: modpack builds the GOT (rel.run.rv32-*-pic.riscv32 run such modules)
    "$RV_GCC" $RV -mno-relax -O2 -fPIC -ffreestanding -fno-common -I"$HARNESS" \
        -c "$HARNESS/testmod.c" -o p.o || fail compile
    "$MODPACK" build p.o -o p.mod || fail "-fPIC object refused"
    # a TLS GOT slot (initial-exec) stays refused
    "$RV_GCC" $RV -mno-relax -O2 -fPIC -ftls-model=initial-exec -c "$TLS_C" -o t.o || fail compile
    expect t.o "modpack: t.o: .text+0x0: R_RISCV_TLS_GOT_HI20 against 'tls_counter': thread-local storage is not supported by modload; remove __thread/_Thread_local variables"
    ;;
x86_64_got)
    need "$GCC" gcc
    "$GCC" -m64 -O2 -fPIC -ffreestanding -fno-common -I"$HARNESS" -c "$HARNESS/testmod.c" -o p.o || fail compile
    "$MODPACK" build p.o -o p.mod || fail "-fPIC object refused"
    "$GCC" -m64 -O2 -fPIC -ftls-model=initial-exec -c "$TLS_C" -o t.o || fail compile
    expect t.o "modpack: t.o: .text+0x3: R_X86_64_GOTTPOFF against 'tls_counter': thread-local storage is not supported by modload; remove __thread/_Thread_local variables"
    # -fPIE (gcc's default) reads firmware data PC-relatively, as for a copy relocation
    printf 'extern int fw_shared;\nint module_init(void) { return fw_shared; }\n' >pie.c
    "$GCC" -m64 -O2 -fPIE -c pie.c -o pie.o || fail compile
    expect pie.o "modpack: pie.o: .text+0x2: R_X86_64_PC32 against 'fw_shared': a PC-relative data reference cannot reach an import (its address is known only at load time); compile with -fPIC so that the reference goes through the GOT"
    # -mcmodel=large -fPIC calls through the PLT unless -fno-plt
    printf 'extern int fw_call(void);\nint module_init(void) { return fw_call(); }\n' >plt.c
    "$GCC" -m64 -O2 -fPIC -mcmodel=large -c plt.c -o plt.o || fail compile
    expect plt.o "modpack: plt.o: .text+0x15: R_X86_64_PLTOFF64 against 'fw_call': PLT-relative addressing needs a PLT, which modules do not have; compile with -fno-plt"
    ;;
i386_got)
    need "$GCC" gcc
    "$GCC" -m32 -O2 -fPIC -ffreestanding -fno-common -I"$HARNESS" -c "$HARNESS/testmod.c" -o p.o ||
        { echo "SKIP: gcc -m32 cannot compile"; exit 77; }
    "$MODPACK" build p.o -o p.mod || fail "-fPIC object refused"
    "$GCC" -m32 -O2 -fPIC -ftls-model=initial-exec -c "$TLS_C" -o t.o || fail compile
    expect t.o "modpack: t.o: .text+0xc: R_386_TLS_GOTIE against 'tls_counter': thread-local storage is not supported by modload; remove __thread/_Thread_local variables"
    ;;
arm_got)
    need "$ARM_GCC" arm-none-eabi-gcc
    "$ARM_GCC" -mcpu=cortex-m4 -mthumb -O2 -fPIC -ffreestanding -fno-common -I"$HARNESS" \
        -c "$HARNESS/testmod.c" -o p.o || fail compile
    "$MODPACK" build p.o -o p.mod || fail "-fPIC object refused"
    "$ARM_GCC" -mcpu=cortex-m4 -mthumb -O2 -fPIC -ftls-model=initial-exec -c "$TLS_C" -o t.o || fail compile
    expect t.o "modpack: t.o: .text+0x14: R_ARM_TLS_IE32 against 'tls_counter': thread-local storage is not supported by modload; remove __thread/_Thread_local variables"
    ;;
arm_far)
    need "$ARM_GCC" arm-none-eabi-gcc
    # a 16-bit Thumb B to a function 4 KiB away in another section
    printf '.syntax unified\n.thumb\n.text\n.globl module_init\n.type module_init,%%function\nmodule_init:\n b.n far\n.section .text.pad,"ax"\n.space 4096\n.section .text.far,"ax"\n.type far,%%function\n.thumb_func\nfar: bx lr\n' >f.s
    "$ARM_GCC" -mcpu=cortex-m4 -c f.s -o f.o || fail assemble
    expect f.o "modpack: f.o: .text+0x0: R_ARM_THM_JUMP11 against 'far': the value 0xfff does not fit the 12-bit field"
    ;;
riscv_far)
    need "$RV_GCC" riscv64-unknown-elf-gcc
    # a BEQ (+-4 KiB) to code 8 KiB away in another section
    printf '.text\n.globl module_init\nmodule_init:\n .reloc ., R_RISCV_BRANCH, far\n .word 0x00050063\n ret\n.section .text.pad,"ax"\n.space 8192\n.section .text.far,"ax"\nfar: ret\n' >f.s
    "$RV_GCC" $RV -mno-relax -c f.s -o f.o || fail assemble
    expect f.o "modpack: f.o: .text+0x0: R_RISCV_BRANCH against 'far': the value 0x2006 does not fit the 13-bit field; the module is too large for this branch"
    # in range, the same branch is linked and packed
    sed 's/8192/4000/' f.s >g.s && "$RV_GCC" $RV -mno-relax -c g.s -o g.o || fail assemble
    "$MODPACK" build g.o -o g.mod || fail "in-range branch refused"
    ;;
xtensa)
    need "$XTENSA_GCC" xtensa-lx106-elf-gcc
    printf 'int module_init(void) { return 1; }\n' >x.c
    "$XTENSA_GCC" -O2 -c x.c -o x.o || fail compile
    expect x.o "modpack: x.o: relocatable input (ET_REL) is not supported for xtensa; link it first: xtensa-lx106-elf-ld --emit-relocs --unresolved-symbols=ignore-all -T samples/ld/module.ld"
    ;;
malformed)
    need "$ARM_GCC" arm-none-eabi-gcc
    "$ARM_GCC" -mcpu=cortex-m4 -mthumb -O2 -ffreestanding -fno-common -I"$HARNESS" -c "$HARNESS/testmod.c" -o m.o ||
        fail compile
    # the first .rel.text entry: offset past the section, then symbol index out of range
    python3 - m.o <<'PY' || fail "patch"
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
shoff, = struct.unpack_from('<I', d, 32); shnum, shstr = struct.unpack_from('<HH', d, 48)
sh = [struct.unpack_from('<IIIIIIIIII', d, shoff + 40 * i) for i in range(shnum)]
names = sh[shstr][4]
name = lambda s: d[names + s[0]:d.index(b'\0', names + s[0])].decode()
rel = next(s for s in sh if name(s) == '.rel.text')
a = bytearray(d); struct.pack_into('<I', a, rel[4], 0x7FFFFFF0); open('off.o', 'wb').write(a)
b = bytearray(d); info, = struct.unpack_from('<I', b, rel[4] + 4)
struct.pack_into('<I', b, rel[4] + 4, (0xFFFF << 8) | (info & 0xFF)); open('sym.o', 'wb').write(b)
PY
    text=$("${ARM_GCC%gcc}readelf" -SW m.o | awk '{ for (i = 1; i < NF; i++) if ($i == ".text") print $(i + 4) }')
    [ -n "$text" ] || fail "no .text size"
    expect off.o "modpack: off.o: malformed ELF: .rel.text entry 0 patches offset 0x7ffffff0, outside .text ($(printf 0x%x $((16#$text))) bytes)"
    expect sym.o "modpack: sym.o: malformed ELF: .rel.text entry 0 uses symbol 65535, out of range"
    ;;
*)
    echo "unknown case $c" >&2
    exit 2
    ;;
esac
echo "PASS: $c"
