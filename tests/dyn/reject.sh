#!/usr/bin/env bash
# reject.sh CASE - one shared-object case of tests/dyn (see CMakeLists.txt).
#   reject.sh exec PROGRAM ARGS...   run an x86 harness; an i386 one under
#                                    qemu-i386 when the kernel cannot run it
# Otherwise the environment gives MODPACK, HARNESS (tests/harness), WORK (scratch),
# GCC, ARMGCC, RVGCC, LLD, QEMU_I386.
set -u
case_name=$1
if [ "$case_name" = exec ]; then
    shift
    [ -x "$1" ] || { echo "harness $1 not built (gcc -m32 unusable?)"; exit 77; }
    "$1" >/dev/null 2>&1
    if [ $? = 126 ] && [ -n "${QEMU_I386:-}" ]; then
        exec "$QEMU_I386" "$@"
    fi
    exec "$@"
fi
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1

fail() { echo "FAIL: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || { echo "$1 not installed"; exit 77; }; }
# expect MESSAGE modpack-args...: exit 1, exactly this message, no output file
expect() {
    local want=$1; shift
    "$MODPACK" "$@" >out.txt 2>err.txt
    local rc=$?
    cat err.txt
    [ "$rc" = 1 ] || fail "'modpack $*' exited $rc, expected 1"
    [ "$(cat err.txt)" = "$want" ] || fail "message differs; want: $want"
    [ ! -e x.mod ] || fail "an image was written"
}
TLS='extern __thread int tv;
int module_init(void) { return tv; }'
TLSWHY="thread-local storage is not supported by modload; remove __thread/_Thread_local variables"
IFUNC='static int one(void) { return 1; }
static void *pick(void) { return (void *)one; }'
x86so() { # BITS OUT SRC-TEXT CFLAGS...
    local bits=$1 o=$2 src=$3; shift 3
    [ "$bits" = 64 ] || "$GCC" -m32 -shared -nostdlib -x c /dev/null -o probe.so 2>/dev/null ||
        { echo "gcc -m32 not usable"; exit 77; }
    printf '%s\n' "$src" >"$o.c"
    "$GCC" -m"$bits" -O2 -nostdlib "$o.c" "$@" -o "$o" || fail "link $o"
}

case $case_name in
reject.tls_arm)
    [ -n "$ARMGCC" ] || { echo "arm-none-eabi-gcc not installed"; exit 77; }
    printf '%s\n' "$TLS" >tls.c
    "$ARMGCC" -mcpu=cortex-m4 -mthumb -O2 -fPIC -shared -nostdlib tls.c -o tls.so || fail link
    expect "modpack: tls.so: .got+0x10: R_ARM_TLS_DTPMOD32 against 'tv': $TLSWHY" build tls.so -o x.mod
    ;;
reject.tls_rv32)
    [ -n "$RVGCC" ] && [ -n "$LLD" ] || { echo "riscv64-unknown-elf-gcc or ld.lld not installed"; exit 77; }
    printf '%s\n' "$TLS" >tls.c
    "$RVGCC" -march=rv32imac -mabi=ilp32 -O2 -fPIC -c tls.c -o tls.o && "$LLD" -shared tls.o -o tls.so || fail link
    expect "modpack: tls.so: .got+0x4: R_RISCV_TLS_DTPMOD32 against 'tv': $TLSWHY" build tls.so -o x.mod
    ;;
reject.tls_x64)
    x86so 64 tls.so "$TLS" -fPIC -shared
    expect "modpack: tls.so: .got+0x0: R_X86_64_DTPMOD64 against 'tv': $TLSWHY" build tls.so -o x.mod
    ;;
reject.tls_i386)
    x86so 32 tls.so "$TLS" -fPIC -shared
    expect "modpack: tls.so: .got+0x0: R_386_TLS_DTPMOD32 against 'tv': $TLSWHY" build tls.so -o x.mod
    ;;
reject.copy_x64)
    # a PIE (ET_DYN too) whose -fPIE code reads a variable of a shared library
    printf 'int fw_shared;\n' >fw.c
    "$GCC" -shared -nostdlib fw.c -o libfw.so || fail "libfw"
    x86so 64 copy.so 'extern int fw_shared;
int module_init(void) { return fw_shared; }' -fPIE -pie -Wl,-e,module_init ./libfw.so
    expect "modpack: copy.so: .bss+0x0: R_X86_64_COPY against 'fw_shared': a copy relocation (a firmware variable copied into the module) cannot be made at load time; compile with -fPIC and link with -shared, not -fPIE/-pie" build copy.so -o x.mod
    ;;
reject.irelative_x64|reject.irelative_i386)
    bits=64; name=R_X86_64_IRELATIVE
    [ "$case_name" = reject.irelative_i386 ] && bits=32 && name=R_386_IRELATIVE
    x86so $bits ifunc.so "$IFUNC
static int f(void) __attribute__((ifunc(\"pick\")));
int (*volatile fp)(void) = f;
int module_init(void) { return f() + fp(); }" -fPIC -shared
    expect "modpack: ifunc.so: .data+0x0: $name against '': an ifunc resolver would have to run at load time; do not use ifunc" build ifunc.so -o x.mod
    ;;
reject.ifunc_symbol)
    # an exported ifunc: the PLT slot names it; binding it would call the resolver
    x86so 64 ifunc.so "$IFUNC
int f(void) __attribute__((ifunc(\"pick\")));
int module_init(void) { return f(); }" -fPIC -shared
    expect "modpack: ifunc.so: .got.plt+0x18: R_X86_64_JUMP_SLOT against 'f': the symbol is an ifunc, whose resolver would have to run at load time; do not use ifunc" build ifunc.so -o x.mod
    ;;
reject.textrel_i386)
    # non-PIC code linked -shared: the call to the firmware is a text relocation
    x86so 32 tr.so 'void fw_record(int, int);
int module_init(void) { fw_record(1, 2); return 0; }' -fno-pic -shared 2>/dev/null
    expect "modpack: tr.so: .text+0x8: R_386_PC32 against 'fw_record': a dynamic relocation of this type cannot be lowered (only RELATIVE, GLOB_DAT, JUMP_SLOT and address-sized absolute words can); compile every object of the module with -fPIC, so that the linker leaves no text relocations" build tr.so -o x.mod
    ;;
reject.relr)
    x86so 64 relr.so 'static int a;
int *volatile p = &a;
int module_init(void) { return *p; }' -fPIC -shared -Wl,-z,pack-relative-relocs
    expect "modpack: relr.so: section .relr.dyn: packed relative relocations are not supported; link without -z pack-relative-relocs" build relr.so -o x.mod
    ;;
reject.xtensa)
    need xtensa-lx106-elf-gcc
    printf 'int v;\nint *p = &v;\nint module_init(void) { return *p; }\n' >x.c
    xtensa-lx106-elf-gcc -O2 -fPIC -shared -nostdlib x.c -o x.so 2>/dev/null ||
        { echo "xtensa-lx106-elf ld cannot link -shared"; exit 77; }
    expect "modpack: x.so: shared objects (ET_DYN) are not supported for xtensa; link an executable with --emit-relocs -T module.ld" build x.so -o x.mod
    ;;
inspect)
    x86so 64 m.so '#include "testapi.h"
static int v = 7;
int *volatile p = &v;
int module_init(void) { fw_record(0, (uint32_t)*p); return 0; }' -fPIC -shared -I"$HARNESS"
    "$MODPACK" build m.so -o m.mod || fail build
    "$MODPACK" inspect m.mod >i.txt || fail inspect
    cat i.txt
    why="shared object (ET_DYN) input: code may address data PC-relatively, which the dynamic relocations do not show"
    grep -qxF "  split        no: $why" i.txt || fail "inspect does not say why it cannot split"
    grep -qxF "  nosplit      $why" i.txt || fail "no nosplit record"
    # no fixup in the code, but the data must stay data_offset after it:
    # never claimed (issue 14 B5), and --require xip says why
    grep -q "^  xip          no: the data must lie 0x[0-9a-f]* bytes after the code (not split), inside the image$" i.txt ||
        fail "a shared object claims xip or does not say why not"
    "$MODPACK" build m.so -o x.mod --require xip 2>err.txt && fail "--require xip accepted"
    grep -qF "m.so: --require xip: the code reaches its data at a fixed distance (shared object (ET_DYN) input" err.txt ||
        fail "--require xip does not give the reason: $(cat err.txt)"
    [ ! -e x.mod ] || fail "an image was written"
    grep -qF "import fw_record" i.txt || fail "no import"
    # --require split explains itself and writes nothing
    "$MODPACK" build m.so -o x.mod --require split 2>err.txt && fail "--require split accepted"
    grep -qF "$why" err.txt || fail "--require split does not give the reason"
    [ ! -e x.mod ] || fail "an image was written"
    ;;
*)
    echo "unknown case $case_name" >&2
    exit 2
    ;;
esac
echo "PASS: $case_name"
