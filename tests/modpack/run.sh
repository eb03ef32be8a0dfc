#!/usr/bin/env bash
# run.sh CASE - one modpack test case (see CMakeLists.txt for the list).
# Environment: MODPACK (the binary), SRC (tests/modpack), LDS (module.ld),
# WORK (scratch directory for this case), CC (arm-none-eabi-gcc).
set -u
case_name=$1
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
CC=${CC:-arm-none-eabi-gcc}
M4="-mcpu=cortex-m4 -mthumb"
LDFLAGS="-nostdlib -Wl,--emit-relocs,--unresolved-symbols=ignore-all -T $LDS"

fail() { echo "FAIL: $*" >&2; exit 1; }
# compile SRC-FILE OUT.elf CFLAGS...: compile and link one module
mod() {
    local src=$1 out=$2; shift 2
    "$CC" "$@" -O2 -c "$SRC/src/$src" -o "$out.o" || fail "compile $src"
    "$CC" "$@" $LDFLAGS ${EXTRA_LD:-} "$out.o" -lgcc -o "$out" || fail "link $src"
}
# expect CODE SUBSTRING cmd...: exit status and a stderr substring
expect() {
    local code=$1 want=$2; shift 2
    "$@" >out.txt 2>err.txt
    local rc=$?
    [ "$rc" = "$code" ] || { cat err.txt >&2; fail "'$*' exited $rc, expected $code"; }
    grep -qF -- "$want" err.txt || { cat err.txt >&2; fail "'$*': stderr lacks: $want"; }
    grep -q '^modpack: ' err.txt || [ "$code" = 0 ] || fail "'$*': message not prefixed 'modpack: '"
}
# json FILE.mod PYTHON-EXPR: evaluate an assertion on inspect --json as j
json() {
    "$MODPACK" inspect --json --fixups "$1" >j.json || fail "inspect --json $1"
    python3 -m json.tool j.json >/dev/null || fail "inspect --json is not valid JSON"
    python3 -c "import json,sys; j=json.load(open('j.json')); sys.exit(0 if ($2) else 1)" ||
        { cat j.json >&2; fail "json check: $2"; }
}
ok_build() { "$MODPACK" build "$@" || fail "build $*"; }
ok_verify() { "$MODPACK" verify "$1" >/dev/null || fail "verify $1"; }

case $case_name in
basic)
    mod basic.c b.elf $M4
    ok_build b.elf -o b.mod --module-version 1.2 --description "basic test"
    ok_verify b.mod
    json b.mod 'j["format"]=="1.0" and j["arch"]=="arm" and j["arch_flags"]&1 and
        [i["name"] for i in j["imports"]]==["fw_printf","fw_val"] and
        j["fixups_by_kind"]["WORD32"]==j["nfixups"] and "split" in j["flags"] and
        j["meta"]["name"]=="b" and j["meta"]["version"]=="1.2" and j["meta"]["tool"] is None and
        j["entry"] is not None and j["exit"] is not None and j["crc"]["ok"] and
        {e["name"] for e in j["exports"]}=={"counter","ptrs","msg","fp","twice"} and
        [e["hash"] for e in j["exports"]]==sorted(e["hash"] for e in j["exports"])'
    # the entry and exit are the header's; --export-entry-exit exports them
    # as well, at the same offsets; --record-tool adds the tool record
    ok_build b.elf -o x.mod --module-version 1.2 --description "basic test" --export-entry-exit --record-tool
    ok_verify x.mod
    json x.mod '{e["name"]: e["value"] for e in j["exports"] if e["name"].startswith("module_")}==
        {"module_init": j["entry"], "module_exit": j["exit"]} and len(j["exports"])==7 and
        j["meta"]["tool"]=="modpack 0.1.0"'
    # they cost 24 bytes of export table, 24 of names and 17 of tool record
    [ $(($(stat -c %s x.mod) - $(stat -c %s b.mod))) = 65 ] || fail "entry/exit exports and tool record: not 65 bytes"
    # --entry names another function: it is not exported twice either
    ok_build b.elf -o e.mod --entry twice
    json e.mod '{e["name"] for e in j["exports"]}=={"counter","ptrs","msg","fp","module_init"} and
        j["entry"]!=next(e["value"] for e in j["exports"] if e["name"]=="module_init") and j["exit"] is not None'
    # the veneer for fw_printf: Cortex-M4 code needs Thumb-2 anyway, so
    # ldr.w pc,[pc,#0] and the word (8 bytes); Cortex-M0 (Thumb-1): push
    # {r0,r1}; ldr r0,[pc,#4]; str r0,[sp,#4]; pop {r0,pc} and the word (12)
    mod basic.c m0.elf -mcpu=cortex-m0 -mthumb
    ok_build m0.elf -o m0.mod
    cat >veneer.py <<'PY'
import sys, struct
d = open(sys.argv[1], 'rb').read()
hs = struct.unpack_from('<H', d, 6)[0]; cs = struct.unpack_from('<I', d, 20)[0]
code = d[hs:hs+cs]
want, other = bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3])
sys.exit(0 if want in code and other not in code and d[36] >= 2 else 1)
PY
    python3 veneer.py b.mod dff800f0 03b40148019001bd || fail "Thumb-2 veneer not found"
    python3 veneer.py m0.mod 03b40148019001bd dff800f0 || fail "Thumb-1 veneer not found"
    json b.mod '"thumb-2" in j["arch_flag_names"]'
    json m0.mod '"thumb-1" in j["arch_flag_names"]'
    ;;
arm_state)
    mod basic.c a.elf -marm -mcpu=cortex-a7
    ok_build a.elf -o a.mod
    ok_verify a.mod
    json a.mod 'j["fixups_by_kind"]["ARM_MOVW_MOVT"]>0 and j["arch_flags"]&1==0'
    python3 - a.mod <<'PY' || fail "ARM veneer not found"
import sys, struct
d = open(sys.argv[1], 'rb').read()
hs = struct.unpack_from('<H', d, 6)[0]; cs = struct.unpack_from('<I', d, 20)[0]
sys.exit(0 if bytes.fromhex('04f01fe5') in d[hs:hs+cs] else 1)
PY
    ;;
movw_thumb)
    mod basic.c t.elf $M4 -mslow-flash-data
    ok_build t.elf -o t.mod
    ok_verify t.mod
    json t.mod 'j["fixups_by_kind"]["THM_MOVW_MOVT"]>=4 and
        all(f["offset2"]!=f["offset"] for f in j["fixups"] if f["kind"]=="THM_MOVW_MOVT")'
    ;;
movw_clang)
    command -v clang >/dev/null || { echo "clang not installed"; exit 77; }
    clang --target=thumbv7em-none-eabi -O2 -c "$SRC/src/basic.c" -o c.o || fail "clang"
    "$CC" $M4 $LDFLAGS c.o -o c.elf || fail link
    ok_build c.elf -o c.mod
    ok_verify c.mod
    json c.mod 'j["fixups_by_kind"]["THM_MOVW_MOVT"]>=4'
    ;;
movw_unpaired)
    "$CC" $M4 -c "$SRC/src/movw_only.S" -o u.o && "$CC" $M4 $LDFLAGS u.o -o u.elf || fail build
    expect 1 "u.elf: .text+0x0: R_ARM_THM_MOVW_ABS_NC against 'value': MOVW/MOVT half without its partner" \
        "$MODPACK" build u.elf -o u.mod
    grep -qF -- "-mword-relocations (gcc) or -mno-movt (clang)" err.txt || fail "no flag advice"
    [ ! -e u.mod ] || fail "output left behind"
    ;;
pic)
    mod basic.c p.elf $M4 -fPIC -mlong-calls
    ok_build p.elf -o p.mod
    ok_verify p.mod
    # GOT slots are data words with fixups; code reaches the GOT PC-relatively
    json p.mod '"split" not in j["flags"] and
        sum(1 for f in j["fixups"] if f["seg"]=="data")>=6 and j["crc"]["ok"]'
    # without -mlong-calls the BL needs a veneer: the data moves up to make
    # room, and the code's PC-relative words to the data follow it
    mod basic.c q.elf $M4 -fPIC
    ok_build q.elf -o q.mod
    ok_verify q.mod
    json q.mod '"split" not in j["flags"] and j["data_offset"]>=j["code_size"]'
    # a cross-segment reference inside an instruction pins the data: error
    "$CC" $M4 -c "$SRC/src/pinned.S" -o x.o && "$CC" $M4 $LDFLAGS x.o -o x.elf || fail build
    expect 1 "do not fit between code and data, and the data cannot move (.text+0x2: R_ARM_THM_MOVW_PREL_NC against 'value'" \
        "$MODPACK" build x.elf -o x.mod
    grep -qF -- "compile with -mlong-calls" err.txt || fail "no -mlong-calls advice"
    ;;
pic_clang)
    # clang -fPIC uses R_ARM_GOT_PREL: the slot is found by its content
    command -v clang >/dev/null || { echo "clang not installed"; exit 77; }
    clang --target=thumbv7em-none-eabi -O2 -fPIC -mlong-calls -c "$SRC/src/basic.c" -o c.o || fail clang
    "$CC" $M4 $LDFLAGS c.o -o c.elf || fail link
    ok_build c.elf -o c.mod
    ok_verify c.mod
    json c.mod '"split" not in j["flags"] and
        any(f["seg"]=="data" and f["target"]=="import" for f in j["fixups"]) and
        sum(1 for f in j["fixups"] if f["seg"]=="data")>=7'
    ;;
absref)
    EXTRA_LD="-Wl,--defsym=fw_abs_func=0x00012345,--defsym=fw_abs_var=0x20000400" mod absref.c r.elf $M4
    ok_build r.elf -o r.mod
    ok_verify r.mod
    json r.mod 'j["imports"]==[] and j["nfixups"]==0 and "xip" in j["flags"]'
    ;;
reject_branch)
    "$CC" $M4 -c "$SRC/src/bcc.S" -o x.o && "$CC" $M4 $LDFLAGS x.o -o x.elf || fail build
    expect 1 "x.elf: .text+0x2: R_ARM_THM_JUMP19 against 'fw_puts': a PC-relative reference cannot reach an import" \
        "$MODPACK" build x.elf -o x.mod
    grep -qF -- "-mlong-calls" err.txt || fail "no -mlong-calls advice"
    ;;
reject_tls)
    mod tls.c t.elf $M4
    expect 1 "holds thread-local variables, which modload does not support" "$MODPACK" build t.elf -o t.mod
    ;;
ctor_lists)
    # .init_array/.fini_array become the init record (format 1.1, flag
    # init); legacy .ctors and lists that are not one array are refused
    mod ctor.c c.elf $M4
    ok_build c.elf -o c.mod
    json c.mod "j['format'] == '1.1' and 'init' in j['flags'] and j['meta']['init']['ctors'] == 1 and j['meta']['init']['dtors'] == 0"
    "$MODPACK" inspect c.mod | grep -qF "init         1 constructors at data+0x" || fail "inspect text lacks init"
    printf 'static void f(void) {}\nstatic void (*const p)(void) __attribute__((section(".ctors"), used)) = f;\nint module_init(void) { return 0; }\n' >l.c
    "$CC" $M4 -O2 $LDFLAGS l.c -o l.elf || fail link
    expect 1 "section .ctors: legacy constructor lists (.ctors, .dtors) are not run by modload" "$MODPACK" build l.elf -o l.mod
    [ -e l.mod ] && fail "l.mod written"
    # .preinit_array runs first, in the one list module.ld makes
    printf 'volatile int v;\nstatic void f(void) { v = 1; }\nstatic void (*const p)(void) __attribute__((section(".preinit_array"), used)) = f;\n__attribute__((constructor)) static void g(void) { v = 2; }\n__attribute__((destructor)) static void h(void) { v = 3; }\nint module_init(void) { return 0; }\n' >p.c
    "$CC" $M4 -O2 $LDFLAGS p.c -o p.elf || fail link
    ok_build p.elf -o p.mod
    json p.mod "j['meta']['init']['ctors'] == 2 and j['meta']['init']['dtors'] == 1"
    # objects: modpack's own link keeps the lists, and refuses priorities
    "$CC" $M4 -O2 -c p.c -o p.o || fail compile
    ok_build p.o -o po.mod
    json po.mod "j['meta']['init']['ctors'] == 2 and j['meta']['init']['dtors'] == 1"
    printf 'volatile int v;\n__attribute__((constructor(200))) static void g(void) { v = 1; }\nint module_init(void) { return 0; }\n' >q.c
    "$CC" $M4 -O2 -c q.c -o q.o || fail compile
    expect 1 "q.o: section .init_array.00200: constructor priorities are not ordered by modpack's link; link with ld and samples/ld/module.ld" "$MODPACK" build q.o -o q.mod
    ;;
reject_stdlib)
    # linked without -nostdlib: newlib's crt0, crti and crtbegin came along
    "$CC" $M4 -O2 -c "$SRC/src/basic.c" -o b.o &&
        "$CC" $M4 -Wl,--emit-relocs,--unresolved-symbols=ignore-all -T "$LDS" b.o -o b.elf || fail build
    expect 1 "b.elf: the C library's start files are linked in (it defines _mainCRTStartup): a module has no startup code of its own; link with -nostdlib (and -lgcc when it needs libgcc's helpers)" "$MODPACK" build b.elf -o b.mod
    [ -e b.mod ] && fail "b.mod written"
    ;;
warn_default_script)
    # the toolchain's default script puts .data on the next page
    printf 'int counter = 5;\nint module_init(void) { return counter++; }\n' >d.c
    "$CC" $M4 -O2 -nostdlib -Wl,--emit-relocs,--unresolved-symbols=ignore-all,-e,0 d.c -o d.elf || fail link
    expect 0 "bytes of padding between the code (ends at 0x" "$MODPACK" build d.elf -o d.mod
    grep -qF "are reserved in RAM when the module is placed as one region; link with -T samples/ld/module.ld, which puts the data right after the code" err.txt ||
        { cat err.txt; fail "warning text"; }
    ok_verify d.mod
    "$CC" $M4 -O2 $LDFLAGS d.c -o e.elf || fail link
    "$MODPACK" build e.elf -o e.mod 2>err.txt || fail build
    [ -s err.txt ] && { cat err.txt; fail "a warning with module.ld"; }
    ;;
notes_flags)
    # imports a compiler option brought in get a note naming the option;
    # C++ exception tables get the flags that drop them
    printf 'extern void fw_puts(const char *);\nint module_init(void) { fw_puts("hi"); return 0; }\n' >u.c
    "$CC" $M4 -Os -funwind-tables $LDFLAGS u.c -lgcc -o u.elf || fail link
    expect 0 "modpack: note: u.elf: imports such as __gnu_Unwind_Find_exidx come with libgcc's unwinder, which exception index tables (.ARM.exidx, from -funwind-tables or C++ exceptions) pulled in: compile with -fno-exceptions -fno-unwind-tables -fno-asynchronous-unwind-tables" "$MODPACK" build u.elf -o u.mod
    printf 'extern void fw_puts(char *);\nint module_init(void) { char b[64]; fw_puts(b); return b[3]; }\n' >s.c
    "$CC" $M4 -Os -fstack-protector-all $LDFLAGS s.c -o s.elf || fail link
    expect 0 "modpack: note: s.elf: imports such as __stack_chk_fail come from -fstack-protector: compile with -fno-stack-protector, or export __stack_chk_fail and __stack_chk_guard from the firmware" "$MODPACK" build s.elf -o s.mod
    "$CC" $M4 -Os -fno-stack-protector $LDFLAGS s.c -o t.elf || fail link
    "$MODPACK" build t.elf -o t.mod 2>err.txt || fail build
    [ -s err.txt ] && { cat err.txt; fail "a note without -fstack-protector"; }
    printf 'long long d(long long a, long long b) { return a / b; }\nint module_init(void) { return (int)d(7, 2); }\n' >h.c
    "$CC" -mcpu=cortex-m0 -mthumb -O2 -c h.c -o h.o || fail compile
    expect 0 "modpack: note: h.o: imports such as __aeabi_ldivmod are run-time helpers from libgcc (clang also calls its __aeabi_mem* ones): link the module with -lgcc (an object: ld -r x.o -lgcc -o x-gcc.o), or export them from the firmware" "$MODPACK" build h.o -o h.mod
    CXX=${CC%gcc}g++
    printf 'struct A { virtual int f() { return 1; } };\nint g(A *a) { try { return a->f(); } catch (...) { return 2; } }\nextern "C" int module_init(void) { A a; return g(&a); }\n' >x.cc
    "$CXX" $M4 -Os $LDFLAGS x.cc -o x.elf || fail "link C++"
    expect 1 "modpack: x.elf: .ARM.extab+0x0: R_ARM_PREL31 against '__gxx_personality_v0': exception-handling tables (.ARM.exidx, .ARM.extab) name the unwinder's personality routine, which a module cannot import; compile with -fno-exceptions -fno-unwind-tables -fno-asynchronous-unwind-tables" "$MODPACK" build x.elf -o x.mod
    [ -e x.mod ] && fail "x.mod written"
    ;;
weak_imports)
    # weak undefined symbols become weak imports (target 3, format 1.1):
    # inspect marks them, --firmware notes a missing one instead of refusing,
    # and one strong reference makes the import required
    printf 'extern int fw_opt(int) __attribute__((weak));\nextern int fw_var __attribute__((weak));\nextern int fw_add(int, int);\nint module_init(void) { int r = 0; if (fw_opt) r += fw_opt(3); if (&fw_var) r += fw_var; return fw_add(r, 1); }\n' >w.c
    "$CC" $M4 -Os $LDFLAGS w.c -o w.elf || fail link
    ok_build w.elf -o w.mod
    json w.mod "j['format'] == '1.1' and [(i['name'], i['weak']) for i in j['imports']] == [('fw_add', False), ('fw_opt', True), ('fw_var', True)]"
    "$MODPACK" inspect w.mod >w.txt || fail inspect
    grep -qF "fw_opt  weak: 0 when the firmware lacks it" w.txt || { cat w.txt; fail "inspect text lacks weak"; }
    printf 'fw_add\n' >fw.txt
    expect 0 "modpack: note: w.elf: weak import 'fw_opt' is not exported by the firmware (fw.txt): modload binds it to 0" \
        "$MODPACK" build w.elf -o w2.mod --firmware fw.txt
    printf 'fw_opt\n' >fw2.txt
    expect 1 "1 import is not exported by the firmware" "$MODPACK" build w.elf -o w3.mod --firmware fw2.txt
    grep -q "^  fw_var" err.txt && fail "a weak import listed as missing"
    [ -e w3.mod ] && fail "w3.mod written"
    # a strong reference in another object wins, as in ld
    printf 'extern int fw_opt(int);\nint strong(void) { return fw_opt(1); }\n' >s.c
    "$CC" $M4 -Os -c w.c -o w.o && "$CC" $M4 -Os -c s.c -o s.o || fail compile
    "${CC%gcc}ld" -r w.o s.o -o ws.o || fail "ld -r"
    ok_build ws.o -o ws.mod
    json ws.mod "[(i['name'], i['weak']) for i in j['imports']] == [('fw_add', False), ('fw_opt', False), ('fw_var', True)]"
    ok_build w.o -o wo.mod
    json wo.mod "[i['weak'] for i in j['imports']] == [False, True, True]"
    # without weak imports an image stays format 1.0
    printf 'extern int fw_add(int, int);\nint module_init(void) { return fw_add(1, 2); }\n' >n.c
    "$CC" $M4 -Os $LDFLAGS n.c -o n.elf || fail link
    ok_build n.elf -o n.mod
    json n.mod "j['format'] == '1.0'"
    ;;
gc_sections)
    # --gc-sections: module.ld keeps module_init and module_exit; exported
    # functions stay with --gc-keep-exported
    printf 'extern void fw_puts(const char *);\nint hello(int x) { return x + 1; }\nint module_init(void) { fw_puts("hi"); return 0; }\nvoid module_exit(void) { fw_puts("bye"); }\n' >g.c
    "$CC" $M4 -Os -ffunction-sections $LDFLAGS -Wl,--gc-sections g.c -o g1.elf || fail link
    ok_build g1.elf -o g1.mod
    json g1.mod "j['exit'] is not None and 'hello' not in [e['name'] for e in j['exports']]"
    "$CC" $M4 -Os -ffunction-sections $LDFLAGS -Wl,--gc-sections,--gc-keep-exported g.c -o g2.elf || fail link
    ok_build g2.elf -o g2.mod
    json g2.mod "j['exit'] is not None and 'hello' in [e['name'] for e in j['exports']]"
    ;;
reject_arm_state)
    # compiled for Cortex-M4, linked without -mcpu/-mthumb: the linker takes
    # libgcc's ARM-state helpers, which a Cortex-M cannot run
    printf 'long long d(long long a, long long b) { return a / b; }\nint module_init(void) { return (int)d(7, 2); }\n' >h.c
    "$CC" $M4 -O2 -c h.c -o h.o || fail compile
    "$CC" -nostdlib -Wl,--emit-relocs,--unresolved-symbols=ignore-all -T "$LDS" h.o -lgcc -o h.elf || fail link
    expect 1 "modpack: h.elf: .text+0xc: ARM-state code (__aeabi_ldivmod, from _aeabi_ldivmod.o) in a module for an M-profile CPU, which runs Thumb code only; link with the same -mcpu and -mthumb as you compile with (the linker then takes libgcc's Thumb helpers)" "$MODPACK" build h.elf -o h.mod
    [ -e h.mod ] && fail "h.mod written"
    "$CC" $M4 $LDFLAGS h.o -lgcc -o t.elf || fail link
    ok_build t.elf -o t.mod
    ;;
demangle)
    # inspect's text shows C++ names demangled (modpack built with libiberty)
    [ "${DEMANGLE:-OFF}" = ON ] || { echo "SKIP: modpack built without libiberty"; exit 77; }
    printf 'int add(int a, int b) { return a + b; }\nnamespace fw { void log(const char *); }\nextern "C" int twice(int x) { return 2 * x; }\nextern "C" int module_init(void) { fw::log("hi"); return add(1, 2) == 3 ? 0 : 1; }\n' >cx.cc
    "${CC%gcc}g++" $M4 -Os -fno-exceptions -fno-rtti $LDFLAGS cx.cc -o cx.elf || fail "link C++"
    ok_build cx.elf -o cx.mod
    "$MODPACK" inspect cx.mod >i.txt || fail inspect
    grep -qF "  [0] 0x061b3405 _ZN2fw3logEPKc (fw::log(char const*))" i.txt || { cat i.txt; fail "import not demangled"; }
    grep -qF "func    _Z3addii (add(int, int))" i.txt || { cat i.txt; fail "export not demangled"; }
    grep -qF "func    twice" i.txt || { cat i.txt; fail "C name"; }
    ;;
reject_no_relocs)
    "$CC" $M4 -O2 -c "$SRC/src/basic.c" -o b.o &&
        "$CC" $M4 -nostdlib -Wl,--unresolved-symbols=ignore-all -T "$LDS" b.o -o b.elf || fail build
    expect 1 "b.elf: no relocation sections: link with --emit-relocs (-Wl,-q)" "$MODPACK" build b.elf -o b.mod
    grep -qF "pass --no-relocs" err.txt || fail "the message does not name --no-relocs"
    # a module that refers to nothing by address has no relocation sections
    # even with --emit-relocs: refused unless told, then packed with no fixups
    printf 'int module_init(void) { return 0; }\nint twice(int x) { return 2 * x; }\n' >p.c
    "$CC" $M4 -Os -nostdlib -Wl,--emit-relocs -T "$LDS" p.c -o p.elf || fail "link p.elf"
    expect 1 "p.elf: no relocation sections" "$MODPACK" build p.elf -o p.mod
    ok_build p.elf -o p.mod --no-relocs
    json p.mod "j['nfixups'] == 0 and j['imports'] == [] and any(e['name'] == 'twice' for e in j['exports'])"
    ;;
reject_inputs)
    mod basic.c b.elf $M4
    # a relocatable object is laid out and linked by modpack itself (tests/rel)
    "$MODPACK" build b.elf.o -o r.mod && "$MODPACK" verify r.mod >/dev/null || fail "relocatable object refused"
    python3 -c "
import sys; d=bytearray(open('b.elf','rb').read()); d[18]=183; d[19]=0; open('a64.elf','wb').write(d)"
    expect 1 "ELF machine 183 is not supported" "$MODPACK" build a64.elf -o x.mod
    python3 -c "
import sys; d=bytearray(open('b.elf','rb').read()); d[5]=2; open('be.elf','wb').write(d)
d=bytearray(open('b.elf','rb').read()); d[4]=2; open('c64.elf','wb').write(d)
d=bytearray(open('b.elf','rb').read()); d[16]=3; open('dyn.elf','wb').write(d)"
    expect 1 "be.elf: big-endian ELF is not supported" "$MODPACK" build be.elf -o x.mod
    expect 1 "dyn.elf: input is a shared object or PIE (ET_DYN)" "$MODPACK" build dyn.elf -o x.mod
    "$MODPACK" build c64.elf -o x.mod 2>err.txt; [ $? = 1 ] || fail "class 64 accepted"
    [ ! -e x.mod ] || fail "output left behind"
    ;;
garbage)
    mod basic.c b.elf $M4
    : >empty.elf
    expect 1 "empty.elf: not an ELF file" "$MODPACK" build empty.elf -o x.mod
    python3 -c "import random; random.seed(1); open('rand.elf','wb').write(bytes(random.randrange(256) for _ in range(4096)))"
    expect 1 "rand.elf: not an ELF file" "$MODPACK" build rand.elf -o x.mod
    # truncations, and random corruption of the header and section headers
    python3 - <<'PY'
import random, struct
d = open('b.elf', 'rb').read()
random.seed(7)
for i, n in enumerate([16, 40, 52, 100, 1000, len(d) // 2, len(d) - 1]):
    open('trunc%d.elf' % i, 'wb').write(d[:n])
shoff = struct.unpack_from('<I', d, 32)[0]
for i in range(200):
    x = bytearray(d)
    for _ in range(random.randrange(1, 6)):
        p = random.choice([random.randrange(52), shoff + random.randrange(len(d) - shoff),
                           random.randrange(len(d))])
        x[p] = random.randrange(256)
    open('mut%d.elf' % i, 'wb').write(x)
PY
    for f in trunc*.elf mut*.elf; do
        "$MODPACK" build "$f" -o x.mod >/dev/null 2>err.txt
        rc=$?
        if [ $rc = 0 ]; then
            "$MODPACK" verify x.mod >/dev/null || fail "$f: built an invalid image"
            rm -f x.mod
        elif [ $rc != 1 ]; then
            cat err.txt >&2; fail "$f: exit $rc (crash?)"
        else
            grep -q "^modpack: $f: " err.txt || { cat err.txt >&2; fail "$f: no message"; }
        fi
    done
    [ ! -e x.mod ] || fail "output left behind"
    ;;
determinism)
    mod big.c b.elf $M4
    ok_build b.elf -o one.mod --name big
    ok_build b.elf -o two.mod --name big
    cmp one.mod two.mod || fail "two builds differ"
    ok_build b.elf -o s1.mod --strip-names --name big
    ok_build b.elf -o s2.mod --strip-names --name big
    cmp s1.mod s2.mod || fail "two stripped builds differ"
    ok_verify s1.mod
    json s1.mod '"stripped" in j["flags"] and all(e["name"] is None for e in j["exports"]) and
        all(i["name"]=="" for i in j["imports"])'
    ;;
atomic)
    mod basic.c b.elf $M4
    : >bad.elf
    # an existing output survives a failing build
    ok_build b.elf -o keep.mod
    cp keep.mod keep.orig
    expect 1 "not an ELF file" "$MODPACK" build bad.elf -o keep.mod
    cmp keep.mod keep.orig || fail "failing build touched the output"
    # a directory we cannot write into (root ignores mode bits: use /proc)
    expect 1 "cannot create a temporary file" "$MODPACK" build b.elf -o /proc/modpack-test.mod
    if [ "$(id -u)" != 0 ]; then
        mkdir ro && chmod 555 ro
        expect 1 "ro/x.mod: cannot create a temporary file" "$MODPACK" build b.elf -o ro/x.mod
        [ -z "$(ls -A ro)" ] || fail "left files in ro/"
        chmod 755 ro
    fi
    expect 1 "/dev/full: write failed: No space left on device" "$MODPACK" build b.elf -o /dev/full
    [ -c /dev/full ] || fail "/dev/full replaced"
    ls -A | grep -q '^\.keep' && fail "temporary file left behind"
    # rebuilding over an existing file replaces it
    ok_build b.elf -o keep.mod --name other
    cmp -s keep.mod keep.orig && fail "output not replaced"
    exit 0
    ;;
verify)
    mod basic.c b.elf $M4
    ok_build b.elf -o b.mod
    "$MODPACK" verify b.mod >out.txt || fail "verify good image"
    grep -q "^b.mod: ok ([0-9]* bytes, CRC 0x[0-9a-f]\{8\})$" out.txt || fail "verify output: $(cat out.txt)"
    python3 -c "
d=bytearray(open('b.mod','rb').read()); d[100]^=0x10; open('flip.mod','wb').write(d)"
    expect 1 "flip.mod: CRC mismatch" "$MODPACK" verify flip.mod
    # inspect still reports, with the CRC marked BAD, and exits 1
    expect 1 "flip.mod: CRC mismatch" "$MODPACK" inspect flip.mod
    grep -q "^CRC: *BAD" out.txt || fail "inspect does not say BAD"
    grep -q "^Status: *refused: CRC mismatch" out.txt || fail "inspect does not say why"
    "$MODPACK" inspect --json flip.mod >j.json; [ $? = 1 ] || fail "inspect --json flipped: exit status"
    python3 -c "import json; j=json.load(open('j.json')); assert not j['ok'] and not j['crc']['ok'] and j['error']" ||
        fail "inspect --json flipped: ok"
    expect 1 "empty.mod: image truncated" sh -c ": >empty.mod; exec \"\$0\" verify empty.mod" "$MODPACK"
    python3 -c "open('junk.mod','wb').write(b'NOPE'+bytes(200))"
    expect 1 "junk.mod: not a modpack image" "$MODPACK" inspect junk.mod
    head -c 60 b.mod >short.mod
    expect 1 "short.mod: image truncated" "$MODPACK" inspect short.mod
    ;;
sign)
    # keygen, sign, build --sign, verify --key, inspect (spec section 13)
    mod basic.c b.elf $M4
    ok_build b.elf -o b.mod
    "$MODPACK" keygen -o k1.pem >kg.txt || fail "keygen"
    grep -q "^key id [0-9a-f]\{16\}: private key k1.pem, public key k1.pub.pem$" kg.txt || fail "keygen output: $(cat kg.txt)"
    [ "$(stat -c %a k1.pem)" = 600 ] || fail "private key mode $(stat -c %a k1.pem), want 600"
    openssl pkey -in k1.pem -noout || fail "openssl cannot read modpack keygen's key"
    # keys OpenSSL makes work as they are
    openssl genpkey -algorithm ed25519 -out k2.pem 2>/dev/null || fail "openssl genpkey"
    openssl pkey -in k2.pem -pubout -out k2.pub.pem || fail "openssl pkey -pubout"
    "$MODPACK" sign b.mod --key k1.pem --security-version 5 -o s1.mod || fail "sign"
    "$MODPACK" sign s1.mod -k k2.pem -o s2.mod || fail "second signature"
    "$MODPACK" verify s2.mod --key k1.pub.pem >out.txt || fail "verify --key k1"
    grep -q "^s2.mod: signature 0 by key id [0-9a-f]* verifies (security version 5)$" out.txt || fail "verify: $(cat out.txt)"
    "$MODPACK" verify s2.mod --key k2.pub.pem >out.txt || fail "verify --key k2"
    grep -q "signature 1 by key id" out.txt || fail "verify k2: $(cat out.txt)"
    "$MODPACK" verify s2.mod --key k2.pem --key k1.pub.pem >/dev/null || fail "verify with a private key and two --key"
    "$MODPACK" verify s2.mod >out.txt || fail "verify without --key"
    grep -q "2 signatures not checked: give --key" out.txt || fail "verify without --key: $(cat out.txt)"
    # the digest is sha256sum of the image_size bytes; OpenSSL verifies the signatures itself
    size=$(od -An -tu4 -j16 -N4 s2.mod | tr -d ' ')
    digest=$(head -c "$size" s2.mod | sha256sum | cut -c1-64)
    json s2.mod "j['digest']=='$digest' and j['security_version']==5 and len(j['signatures'])==2 and
        j['image_size']==$size and j['meta']['name']=='b' and j['ok']"
    python3 - s2.mod "$size" <<'PY' || fail "split signatures"
import sys
d = open(sys.argv[1], 'rb').read(); n = int(sys.argv[2])
assert d[n:n + 8] == b'MSIG\x02\x01\x00\x00' and len(d) == n + 8 + 2 * 72, d[n:n + 8]
open('digest.bin', 'wb').write(bytes.fromhex(__import__('hashlib').sha256(d[:n]).hexdigest()))
open('sig0.bin', 'wb').write(d[n + 16:n + 80]); open('sig1.bin', 'wb').write(d[n + 88:n + 152])
PY
    openssl pkeyutl -verify -pubin -inkey k1.pub.pem -rawin -in digest.bin -sigfile sig0.bin >/dev/null || fail "openssl: signature 0"
    openssl pkeyutl -verify -pubin -inkey k2.pub.pem -rawin -in digest.bin -sigfile sig1.bin >/dev/null || fail "openssl: signature 1"
    # inspect's text
    "$MODPACK" inspect s2.mod >ins.txt || fail "inspect"
    grep -q "^Digest: *sha256 $digest (of the $size image bytes)$" ins.txt || fail "inspect digest: $(grep Digest ins.txt)"
    grep -q "^Security: *version 5$" ins.txt && grep -q "^Signatures: *2 (Ed25519 over the digest)$" ins.txt &&
        grep -q "^  \[1\] key id [0-9a-f]\{16\} signature [0-9a-f]\{128\}$" ins.txt || fail "inspect signatures"
    # build --sign --security-version: the same bytes as build, then sign
    ok_build b.elf -o bs.mod --sign k1.pem --security-version 5 --name b
    cmp bs.mod s1.mod || fail "build --sign differs from build + sign"
    # an image from before signing still loads as before: modload_check ignores the block
    "$MODPACK" verify b.mod >/dev/null || fail "unsigned image"
    ;;
sign_errors)
    mod basic.c b.elf $M4
    ok_build b.elf -o b.mod
    "$MODPACK" keygen -o k.pem --public k.pub >/dev/null || fail "keygen --public"
    "$MODPACK" keygen -o other.pem >/dev/null || fail "keygen"
    "$MODPACK" sign b.mod --key k.pem -o s.mod || fail "sign"
    # unsigned image under verify --key
    expect 1 "b.mod: not signed (nothing follows its" "$MODPACK" verify b.mod --key k.pub
    grep -qF "modpack sign b.mod --key KEY.pem -o OUT" err.txt || fail "no hint to sign"
    # another key
    expect 1 "s.mod: signed by 1 key (key id" "$MODPACK" verify s.mod --key other.pub.pem
    grep -q "none of them a given --key" err.txt || fail "wrong key message"
    # a signature byte, the key id, a covered byte (CRC made anew) altered
    python3 - s.mod <<'PY'
import sys, struct, zlib
d = open(sys.argv[1], 'rb').read(); n = struct.unpack_from('<I', d, 16)[0]
def put(name, b): open(name, 'wb').write(bytes(b))
b = bytearray(d); b[n + 8 + 8 + 10] ^= 1; put('badsig.mod', b)
b = bytearray(d); b[n + 8] ^= 1; put('badid.mod', b)
b = bytearray(d); b[100] ^= 1; struct.pack_into('<I', b, n - 4, zlib.crc32(bytes(b[:n - 4]))); put('badbyte.mod', b)
b = bytearray(d); b[n + 4] = 0; put('count0.mod', b)
b = bytearray(d); b[n + 5] = 9; put('alg9.mod', b)
put('cut.mod', d[:-1])
PY
    expect 1 "badsig.mod: signature 0 (key id" "$MODPACK" verify badsig.mod --key k.pub
    grep -q "does not verify: the image or the signature was altered" err.txt || fail "bad signature message"
    expect 1 "badid.mod: signed by 1 key" "$MODPACK" verify badid.mod --key k.pub
    expect 1 "badbyte.mod: signature 0 (key id" "$MODPACK" verify badbyte.mod --key k.pub
    for f in count0 alg9 cut; do
        expect 1 "$f.mod: the " "$MODPACK" verify $f.mod
        grep -q "start a malformed signature block" err.txt || fail "$f: $(cat err.txt)"
        "$MODPACK" inspect --json $f.mod >j.json; [ $? = 1 ] || fail "inspect $f: exit status"
        python3 -c "import json; j=json.load(open('j.json')); assert not j['ok'] and j['signatures'] is None and j['error_code']" ||
            fail "inspect --json $f"
    done
    # bad key files: each refused with what to do, and no output written
    expect 1 "nokey.pem: No such file or directory" "$MODPACK" sign b.mod --key nokey.pem -o x.mod
    echo "not a key" >junk.pem
    expect 1 "junk.pem: not a PEM key (no -----BEGIN line): make one with 'modpack keygen -o KEY.pem'" \
        "$MODPACK" sign b.mod --key junk.pem -o x.mod
    openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:1024 -out rsa.pem 2>/dev/null || fail "openssl rsa"
    expect 1 "rsa.pem: key type RSA; images are signed with Ed25519 keys only" "$MODPACK" sign b.mod --key rsa.pem -o x.mod
    expect 1 "rsa.pem: key type RSA" "$MODPACK" verify s.mod --key rsa.pem
    expect 1 "k.pub: a public key; signing needs the private key" "$MODPACK" sign b.mod --key k.pub -o x.mod
    openssl pkey -in k.pem -aes256 -passout pass:secret -out enc.pem 2>/dev/null || fail "openssl encrypt"
    expect 1 "enc.pem: an encrypted private key" "$MODPACK" sign b.mod --key enc.pem -o x.mod </dev/null
    expect 1 "b.mod.junk: not a valid image" sh -c 'head -c 50 b.mod >b.mod.junk; exec "$0" sign b.mod.junk --key k.pem -o x.mod' "$MODPACK"
    # usage errors
    expect 2 "--security-version takes a number from 0 to 4294967295, not '-1'" "$MODPACK" sign b.mod --key k.pem --security-version -1 -o x.mod
    expect 2 "--security-version takes a number" "$MODPACK" build b.elf -o x.mod --security-version 4294967296
    expect 2 "no key given (--key KEY.pem" "$MODPACK" sign b.mod -o x.mod
    expect 2 "no output given (-o KEY.pem)" "$MODPACK" keygen
    # the security version of a signed image stays, or the signatures would break
    expect 1 "s.mod: has 1 signature; setting its security version (2, was 0) would invalidate it" \
        "$MODPACK" sign s.mod --key other.pem --security-version 2 -o x.mod
    [ ! -e x.mod ] || fail "a failed sign left x.mod"
    ls -a | grep -q '^\.x\.mod\.' && fail "a temporary file was left"
    # signing twice with one key adds nothing
    "$MODPACK" sign s.mod --key k.pem -o s2.mod 2>err.txt || fail "sign again"
    grep -q "note: already signed by key id" err.txt && cmp s.mod s2.mod || fail "signed twice by one key"
    ;;
golden)
    "$CC" $M4 -c "$SRC/src/golden.S" -o g.o && "$CC" $M4 $LDFLAGS g.o -o g.elf || fail build
    ok_build g.elf -o golden.mod --description "inspect golden sample" --module-version 1.0.0 --record-tool
    ok_verify golden.mod
    "$MODPACK" inspect --fixups golden.mod >golden.txt || fail inspect
    diff -u "$SRC/golden/golden.txt" golden.txt || fail "inspect output differs from golden/golden.txt"
    "$MODPACK" inspect --json golden.mod | python3 -m json.tool >/dev/null || fail "json"
    ;;
usage)
    expect 2 "no command given" "$MODPACK"
    expect 2 "unknown command 'frobnicate'" "$MODPACK" frobnicate
    expect 2 "no output given" "$MODPACK" build x.elf
    expect 2 "unknown option '--bogus'" "$MODPACK" inspect --bogus x.mod
    "$MODPACK" --version | grep -q "^modpack 0.1.0" || fail "--version"
    "$MODPACK" --help | grep -q "modpack build IN.elf -o OUT.mod" || fail "--help"
    "$MODPACK" help verify | grep -q "usage: modpack verify" || fail "help verify"
    ;;
size)
    # Report bytes per fixup on realistic modules (informative; fails only
    # if the stream is grossly larger than the 2-byte goal).
    for v in "m4:$M4" "m4-movw:$M4 -mslow-flash-data" "m0:-mcpu=cortex-m0 -mthumb" "a7:-marm -mcpu=cortex-a7"; do
        n=${v%%:*}; f=${v#*:}
        mod big.c "$n.elf" $f
        ok_build "$n.elf" -o "$n.mod"
        ok_verify "$n.mod"
        python3 - "$n.mod" "$n" <<'PY' || fail "fixup stream too large"
import json, subprocess, sys, os
j = json.loads(subprocess.check_output([os.environ['MODPACK'], 'inspect', '--json', sys.argv[1]]))
names = j['import_desc_size']  # the import names that live in the stream
assert names == sum(1 + len(i['name']) + 1 for i in j['imports'])
per = j['fixup_size'] / j['nfixups']
per_wo = (j['fixup_size'] - names) / j['nfixups']
print('%-8s %3d fixups in %4d bytes: %.2f bytes/fixup, %.2f without import names'
      % (sys.argv[2], j['nfixups'], j['fixup_size'], per, per_wo))
sys.exit(0 if per_wo <= 2.5 else 1)
PY
    done
    ;;
require)
    # --require split / xip: refused with the reason and no output file, or
    # granted; inspect explains the missing capabilities the same way.
    mod basic.c b.elf $M4
    expect 1 "--require xip: 7 fixups patch the code segment, the first at .text+0x" \
        "$MODPACK" build b.elf -o x.mod --require xip
    [ ! -e x.mod ] && [ -z "$(ls -A . | grep -v '^b\.elf' | grep -v '^b\.elf\.o' | grep -v '^out.txt' | grep -v '^err.txt')" ] ||
        fail "--require xip left files: $(ls)"
    ok_build b.elf -o b.mod --require split
    "$MODPACK" inspect b.mod | grep -q "^  xip          no: 7 fixup sites in code, first code+0x" ||
        fail "inspect does not explain xip"
    mod basic.c p.elf $M4 -fPIC -mlong-calls
    expect 1 "--require split: code and data cannot be placed apart: .text+0x" \
        "$MODPACK" build p.elf -o p.mod --require split
    [ ! -e p.mod ] || fail "--require split left p.mod"
    # plain -fPIC code has no fixups, but reaches its data at a fixed
    # distance: in flash, the data would lie inside the image, so no xip
    expect 1 "--require xip: the code reaches its data at a fixed distance (.text+0x" \
        "$MODPACK" build p.elf -o p.mod --require xip
    grep -qF "so the data would have to lie 0x" err.txt && grep -qF -- "-msingle-pic-base" err.txt ||
        fail "--require xip of -fPIC code: $(cat err.txt)"
    [ ! -e p.mod ] || fail "--require xip left p.mod"
    ok_build p.elf -o p.mod
    "$MODPACK" inspect p.mod | grep -q "^  split        no: .text+0x.*_GLOBAL_OFFSET_TABLE_" ||
        fail "inspect does not explain split"
    "$MODPACK" inspect p.mod | grep -q "^  xip          no: the data must lie 0x[0-9a-f]* bytes after the code (not split), inside the image$" ||
        fail "inspect does not explain xip: $("$MODPACK" inspect p.mod | grep xip)"
    json p.mod '"xip" not in j["flags"] and "_GLOBAL_OFFSET_TABLE_" in j["meta"]["nosplit"]'
    expect 2 "--require takes split or xip" "$MODPACK" build b.elf -o y.mod --require both
    ;;
relocate)
    # modpack relocate = the ELF linked at that address (the differential
    # test through the CLI), for Thumb-1, Thumb-2 with MOVW/MOVT and ARM
    # state; imports from --defsym and from nm output.
    B=0x2001FF00
    for v in "m0:-mcpu=cortex-m0 -mthumb" "m4:$M4 -mslow-flash-data" "a7:-marm -mcpu=cortex-a7"; do
        n=${v%%:*}; f=${v#*:}
        EXTRA_LD= mod basic.c "$n-0.elf" $f -mlong-calls
        EXTRA_LD="-Wl,--defsym=__module_base=$B,--defsym=fw_printf=0x00012345,--defsym=fw_val=0x20000404" \
            mod basic.c "$n-b.elf" $f -mlong-calls
        ok_build "$n-0.elf" -o "$n.mod"
        printf '00012345 T fw_printf\n20000404 D fw_val\n         U undefined_here\n' >fw.nm
        "$MODPACK" relocate "$n.mod" --base $B --symbols fw.nm -o "$n.bin" || fail "relocate $n"
        arm-none-eabi-objcopy -O binary "$n-b.elf" "$n-b.bin" || fail objcopy
        cmp "$n.bin" "$n-b.bin" || fail "$n: relocate output differs from the ELF linked at $B"
        cmp -s "$n.bin" <(arm-none-eabi-objcopy -O binary "$n-0.elf" /dev/stdout) &&
            fail "$n: the two links do not differ; the test proves nothing"
        "$MODPACK" relocate "$n.mod" --base $B --defsym fw_printf=0x12345 --defsym fw_val=0x20000404 \
            -o "$n-d.bin" && cmp "$n.bin" "$n-d.bin" || fail "$n: --defsym differs from --symbols"
    done
    # split: code and data apart, each as modload would write it
    "$MODPACK" relocate m4.mod --code-base 0x08004000 --data-base 0x20000000 --data-output d.bin \
        -o c.bin --symbols fw.nm || fail "relocate split"
    python3 - m4.mod c.bin d.bin <<'PY' || fail "split sizes"
import struct, sys
h = open(sys.argv[1], 'rb').read()
cs, ds = struct.unpack_from('<II', h, 20)
sys.exit(0 if len(open(sys.argv[2], 'rb').read()) == cs and len(open(sys.argv[3], 'rb').read()) == ds else 1)
PY
    expect 1 "import 'fw_val' has no address: give --defsym fw_val=ADDRESS" \
        "$MODPACK" relocate m4.mod --base $B --defsym fw_printf=1 -o z.bin
    expect 1 "cannot place it there: memory given misaligned" \
        "$MODPACK" relocate m4.mod --base 0x20000002 --symbols fw.nm -o z.bin
    expect 2 "relocate: give IMG, -o OUT and either --base" "$MODPACK" relocate m4.mod -o z.bin
    [ ! -e z.bin ] || fail "a failed relocate left z.bin"
    ;;
compress)
    # --compress (format 1.2, spec section 14): the same module placed
    # byte for byte as the ELF linked there, through modload's inflater;
    # smaller, deterministic, never xip; what inspect and verify say
    B=0x2001FF00
    for v in "m0:-mcpu=cortex-m0 -mthumb" "m4:$M4 -mslow-flash-data"; do
        n=${v%%:*}; f=${v#*:}
        EXTRA_LD= mod basic.c "$n-0.elf" $f -mlong-calls
        EXTRA_LD="-Wl,--defsym=__module_base=$B,--defsym=fw_printf=0x00012345,--defsym=fw_val=0x20000404" \
            mod basic.c "$n-b.elf" $f -mlong-calls
        ok_build "$n-0.elf" -o "$n.mod"
        ok_build "$n-0.elf" -o "$n-z.mod" --compress --name "$n"
        ok_build "$n-0.elf" -o "$n-z2.mod" --compress --name "$n"
        cmp "$n-z.mod" "$n-z2.mod" || fail "$n: --compress is not deterministic"
        ok_verify "$n-z.mod"
        [ "$(stat -c %s "$n-z.mod")" -lt "$(stat -c %s "$n.mod")" ] || fail "$n: the compressed image is not smaller"
        "$MODPACK" relocate "$n-z.mod" --base $B --defsym fw_printf=0x12345 --defsym fw_val=0x20000404 \
            -o "$n.bin" || fail "relocate $n-z.mod"
        arm-none-eabi-objcopy -O binary "$n-b.elf" "$n-b.bin" || fail objcopy
        cmp "$n.bin" "$n-b.bin" || fail "$n: the compressed image placed differs from the ELF linked at $B"
        json "$n-z.mod" 'j["format"]=="1.2" and "compressed" in j["flags"] and j["compressed"] and
            j["code_stored"] < j["code_size"] and j["parts"][1]["size"]==j["code_stored"] and
            j["parts"][2]["size"]==j["data_stored"] and j["header_size"]==80 and not j["xip"] and j["crc"]["ok"]'
        json "$n.mod" 'j["format"]=="1.0" and not j["compressed"] and j["code_stored"]==j["code_size"]'
        "$MODPACK" inspect "$n-z.mod" >ins.txt || fail "inspect $n-z.mod"
        grep -q "^Flags: .* compressed" ins.txt && grep -q "^  code  size .* stored [0-9]* bytes, deflate" ins.txt ||
            { cat ins.txt >&2; fail "inspect: no compressed flag or stored size"; }
    done
    # a module that could run in place loses the claim, and --require xip refuses --compress
    EXTRA_LD= mod basic.c x.elf $M4 -fPIC -msingle-pic-base -mpic-register=r9 -mno-pic-data-is-text-relative -mlong-calls
    ok_build x.elf -o x.mod --require xip
    ok_build x.elf -o xz.mod --compress
    json xz.mod '"xip" not in j["flags"] and j["xip_reason"].startswith("compressed")'
    expect 2 "--compress and --require xip exclude each other" "$MODPACK" build x.elf -o y.mod --compress --require xip
    [ ! -e y.mod ] || fail "a refused build left y.mod"
    # a broken deflate stream with a right CRC: verify and inspect inflate it and refuse it
    python3 - m4-z.mod bad.mod <<'PY' || fail "corrupt"
import struct, sys, zlib
d = bytearray(open(sys.argv[1], 'rb').read())
d[80] |= 6                               # the code stream's first block: type 3
n = struct.unpack_from('<I', d, 16)[0]
struct.pack_into('<I', d, n - 4, zlib.crc32(bytes(d[:n - 4])))
open(sys.argv[2], 'wb').write(d)
PY
    expect 1 "compressed segment malformed" "$MODPACK" verify bad.mod
    expect 1 "compressed segment malformed" "$MODPACK" inspect bad.mod
    ;;
stdio)
    # - is standard input or output wherever a file is read or written
    mod basic.c b.elf $M4
    INC=$SRC/../../include
    ok_build b.elf -o b.mod --module-version 1.2
    "$MODPACK" build b.elf -o - --module-version 1.2 >s.mod || fail "build -o -"
    cmp b.mod s.mod || fail "build -o - differs from -o b.mod"
    [ ! -e ./- ] || fail "build -o - wrote a file named -"
    "$MODPACK" build - -o b2.mod --name b --module-version 1.2 <b.elf || fail "build from stdin"
    cmp b.mod b2.mod || fail "build - <b.elf differs from build b.elf"
    "$MODPACK" build - -o - --name b --module-version 1.2 <b.elf >s2.mod || fail "build - -o -"
    cmp b.mod s2.mod || fail "build - -o - differs"
    # the default name is OUT's, or IN's when OUT is -; both streams need --name
    json s.mod 'j["meta"]["name"]=="b"'
    expect 2 "input and output are both standard streams: give --name NAME" "$MODPACK" build - -o - <b.elf
    [ ! -s out.txt ] || fail "refused build wrote to stdout"
    # a refused build writes nothing to stdout
    : >bad.elf
    expect 1 "bad.elf: not an ELF file" "$MODPACK" build bad.elf -o -
    [ ! -s out.txt ] || fail "failed build -o - wrote to stdout"
    expect 1 "(standard input): not an ELF file" "$MODPACK" build - -o x.mod <bad.elf
    [ ! -e x.mod ] || fail "output left behind"
    # inspect and verify read -
    "$MODPACK" inspect b.mod >i1.txt && "$MODPACK" inspect - <b.mod >i2.txt || fail "inspect -"
    cmp i1.txt i2.txt || fail "inspect - differs from inspect b.mod"
    "$MODPACK" inspect --json - <b.mod >j.json || fail "inspect --json -"
    python3 -c "import json; j=json.load(open('j.json')); assert j['file']=='(standard input)' and j['ok'], j" ||
        fail "inspect --json - names the file"
    "$MODPACK" verify - <b.mod >out.txt || fail "verify -"
    grep -q "^(standard input): ok (" out.txt || fail "verify - output: $(cat out.txt)"
    expect 1 "(standard input): image truncated" "$MODPACK" verify - </dev/null
    # relocate: image, symbols and outputs
    printf '00012345 T fw_printf\n20000404 D fw_val\n' >fw.nm
    "$MODPACK" relocate b.mod --base 0x20010000 --symbols fw.nm -o r1.bin || fail relocate
    "$MODPACK" relocate - --base 0x20010000 --symbols fw.nm -o - <b.mod >r2.bin || fail "relocate - -o -"
    cmp r1.bin r2.bin || fail "relocate - -o - differs"
    "$MODPACK" relocate b.mod --base 0x20010000 --symbols - -o r3.bin <fw.nm || fail "relocate --symbols -"
    cmp r1.bin r3.bin || fail "relocate --symbols - differs"
    "$MODPACK" relocate b.mod --code-base 0x08000000 --data-base 0x20000000 --symbols fw.nm -o c1.bin --data-output d1.bin &&
        "$MODPACK" relocate b.mod --code-base 0x08000000 --data-base 0x20000000 --symbols fw.nm -o c2.bin --data-output - >d2.bin ||
        fail "relocate split --data-output -"
    cmp c1.bin c2.bin && cmp d1.bin d2.bin || fail "relocate --data-output - differs"
    expect 2 "-o and --data-output cannot both be standard output" \
        "$MODPACK" relocate b.mod --code-base 0 --data-base 0x1000 -o - --data-output -
    # exports: a list of names from -, C to -; compiles with the public headers (-I)
    printf 'fw_printf\nfw_val\n' >names.txt
    "$MODPACK" exports names.txt -o e1.c || fail exports
    "$MODPACK" exports - -o - <names.txt >e2.c || fail "exports - -o -"
    cmp e1.c e2.c || fail "exports - -o - differs"
    grep -q '^#include <modload_export.h>$' e1.c || fail "exports: #include <modload_export.h>"
    "$CC" $M4 -I"$INC" -c e1.c -o e1.o || fail "exports output does not compile with -I include"
    # stubs: image from -, source and header to -
    "$MODPACK" stubs b.mod --symbol twice --module counter -o s1.c --header s1.h || fail stubs
    "$MODPACK" stubs b.mod --symbol twice --module counter -o - >s2.c || fail "stubs -o -"
    cmp s1.c s2.c || fail "stubs -o - differs"
    "$MODPACK" stubs b.mod --symbol twice --module counter -o s3.c --header - >s3.h || fail "stubs --header -"
    cmp s1.h s3.h || fail "stubs --header - differs"
    "$MODPACK" stubs - --symbol twice --module counter -o s4.c <b.mod || fail "stubs -"
    sed 's/(standard input)/b.mod/' s4.c | cmp - s1.c || fail "stubs - differs beyond the file name"
    grep -q '^#include <modreg.h>$' s1.c && grep -q '^#include <modreg.h>$' s1.h || fail "stubs: #include <modreg.h>"
    "$CC" $M4 -I"$INC" -c s1.c -o s1.o || fail "stubs output does not compile with -I include"
    expect 2 "-o and --header cannot both be standard output" "$MODPACK" stubs b.mod -o - --header -
    ;;
options)
    # -oFILE, -o FILE, --output=FILE, --output FILE in every command; -- ends options
    mod basic.c b.elf $M4
    ok_build b.elf -o b.mod
    for form in "-o:o1.mod" "-oo2.mod" "--output=o3.mod" "--output:o4.mod"; do
        "$MODPACK" build b.elf ${form/:/ } --name b || fail "build $form"
        f=${form##*[:=]}; f=${f#-o}
        cmp b.mod "$f" || fail "build $form differs"
    done
    printf 'fw_printf\nfw_val\n' >names.txt
    "$MODPACK" exports names.txt -o e.c || fail exports
    for form in "-oe1.c" "--output=e2.c" "--output:e3.c"; do
        "$MODPACK" exports names.txt ${form/:/ } || fail "exports $form"
    done
    cmp e.c e1.c && cmp e.c e2.c && cmp e.c e3.c || fail "exports output forms differ"
    "$MODPACK" stubs b.mod --symbol=twice -os1.c || fail "stubs -oFILE"
    "$MODPACK" stubs b.mod --symbol twice --output=s2.c || fail "stubs --output="
    cmp s1.c s2.c || fail "stubs output forms differ"
    printf '00012345 T fw_printf\n20000404 D fw_val\n' >fw.nm
    "$MODPACK" relocate b.mod --base=0x20010000 --symbols=fw.nm -or1.bin || fail "relocate -oFILE"
    "$MODPACK" relocate b.mod --base 0x20010000 --symbols fw.nm --output=r2.bin || fail "relocate --output="
    cmp r1.bin r2.bin || fail "relocate output forms differ"
    # --: a file named like an option
    cp b.elf ./--name
    "$MODPACK" build -o d.mod --name b -- --name || fail "build -- --name"
    cmp b.mod d.mod || fail "build -- differs"
    cp b.mod ./-x.mod
    "$MODPACK" inspect -- -x.mod >/dev/null || fail "inspect -- -x.mod"
    "$MODPACK" verify -- -x.mod | grep -q "^-x.mod: ok" || fail "verify -- -x.mod"
    "$MODPACK" relocate --base 0x20010000 --symbols fw.nm -o r3.bin -- -x.mod && cmp r1.bin r3.bin ||
        fail "relocate --"
    "$MODPACK" stubs --symbol twice -o s3.c -- -x.mod || fail "stubs --"
    cp names.txt ./-n.txt
    "$MODPACK" exports -o e4.c -- -n.txt && cmp e.c e4.c || fail "exports --"
    expect 2 "inspect: unknown option '-x.mod'" "$MODPACK" inspect -x.mod
    # the errors of the one parser
    expect 2 "build: option needs a value: '--output'" "$MODPACK" build b.elf --output
    expect 2 "build: option needs a value: '-o'" "$MODPACK" build b.elf -o
    expect 2 "build: option takes no value: '--strip-names=1'" "$MODPACK" build b.elf -o x.mod --strip-names=1
    expect 2 "build: more than one input: 'c.elf'" "$MODPACK" build b.elf c.elf -o x.mod
    expect 2 "stubs: unknown option '--bogus'" "$MODPACK" stubs b.mod -o x.c --bogus
    expect 2 "exports: unknown option '-q'" "$MODPACK" exports names.txt -o x.c -q
    expect 2 "relocate: unknown option '--bogus'" "$MODPACK" relocate b.mod --bogus
    expect 2 "verify: no image given" "$MODPACK" verify
    expect 2 "help: unknown command 'frob'" "$MODPACK" help frob
    [ ! -e x.mod ] && [ ! -e x.c ] || fail "output left behind"
    # -h/--help of each command, and help COMMAND, print the same usage
    for c in build inspect verify relocate stubs exports help; do
        "$MODPACK" $c --help >h1.txt && "$MODPACK" help $c >h2.txt && "$MODPACK" $c -h >h3.txt ||
            fail "$c --help"
        grep -q "^usage: modpack $c" h1.txt && cmp h1.txt h2.txt && cmp h1.txt h3.txt || fail "$c usage"
        "$MODPACK" --help | grep -q "^ *\(usage: \)\?modpack $c" || fail "--help lacks $c"
    done
    ;;
multi)
    # inspect and verify take several images; the exit status is the worst
    mod basic.c b.elf $M4
    ok_build b.elf -o a.mod --name a
    ok_build b.elf -o b.mod
    python3 -c "
d=bytearray(open('b.mod','rb').read()); d[100]^=0x10; open('flip.mod','wb').write(d)"
    head -c 60 b.mod >short.mod
    "$MODPACK" verify a.mod b.mod >out.txt || fail "verify a b"
    [ "$(grep -c ': ok (' out.txt)" = 2 ] || fail "verify a b: $(cat out.txt)"
    expect 1 "flip.mod: CRC mismatch" "$MODPACK" verify a.mod flip.mod b.mod
    grep -q "^a.mod: ok" out.txt && grep -q "^b.mod: ok" out.txt || fail "verify reports each: $(cat out.txt)"
    # text: a FILE: heading each, only with several
    "$MODPACK" inspect a.mod >one.txt || fail "inspect a"
    grep -q "^a.mod:$" one.txt && fail "heading for one image"
    "$MODPACK" inspect a.mod b.mod >two.txt || fail "inspect a b"
    [ "$(grep -c '^Format: ' two.txt)" = 2 ] && grep -q "^a.mod:$" two.txt && grep -q "^b.mod:$" two.txt ||
        fail "inspect a b: headings"
    "$MODPACK" inspect b.mod >b.txt
    { echo "a.mod:"; cat one.txt; echo; echo "b.mod:"; cat b.txt; } | cmp - two.txt || fail "inspect a b is not a:, a, b:, b"
    "$MODPACK" inspect - a.mod <b.mod >two.txt || fail "inspect - a"
    { echo "(standard input):"; cat b.txt; echo; echo "a.mod:"; cat one.txt; } | cmp - two.txt ||
        fail "inspect - a: standard input's heading"
    expect 1 "short.mod: image truncated" "$MODPACK" inspect a.mod short.mod flip.mod
    grep -q "^Status: *refused: image truncated" out.txt || fail "inspect does not say why short.mod is refused"
    grep -q "^CRC: *BAD" out.txt && grep -q "^Status: *refused: CRC mismatch" out.txt ||
        fail "inspect does not report flip.mod"
    grep -qF "flip.mod: CRC mismatch" err.txt || fail "no CRC message for flip.mod"
    # JSON: an array in command-line order, worst exit status
    "$MODPACK" inspect --json a.mod b.mod >j.json || fail "inspect --json a b"
    python3 -c "import json; j=json.load(open('j.json')); assert [r['file'] for r in j]==['a.mod','b.mod'] and all(r['ok'] for r in j)" ||
        fail "inspect --json a b"
    "$MODPACK" inspect --json a.mod flip.mod short.mod missing.mod >j.json 2>err.txt; rc=$?
    [ $rc = 1 ] || fail "inspect --json with refused images exited $rc"
    python3 -c "
import json; j=json.load(open('j.json'))
assert [(r['file'], r['ok']) for r in j]==[('a.mod',True),('flip.mod',False),('short.mod',False),('missing.mod',False)], j
assert j[1]['error_code']==7 and not j[1]['crc']['ok'] and j[1]['code_size']>0
assert j[2]['error']=='image truncated' and 'code_size' not in j[2] and j[2]['file_size']==60
assert j[3]['file_size'] is None" || fail "inspect --json with refused images"
    ;;
deprecated)
    # the old spellings work, with a note on stderr
    mod basic.c b.elf $M4
    ok_build b.elf -o new.mod --module-version 1.2
    "$MODPACK" build b.elf -o old.mod --name new --version 1.2 2>err.txt || fail "build --version S"
    grep -qF "modpack: build: note: --version S is deprecated inside build (it reads like modpack --version): use --module-version S" err.txt ||
        fail "no note for --version: $(cat err.txt)"
    cmp new.mod old.mod || fail "--version S and --module-version S differ"
    "$MODPACK" build b.elf -o new.mod --module-version 1.2 2>err.txt && [ ! -s err.txt ] || fail "note without --version"
    "$MODPACK" --version | grep -q "^modpack 0.1.0" || fail "modpack --version"
    # fw_val is a global of fwval.o, exported only with --all-globals (the
    # ABI id does not depend on the names: only the import check tells)
    printf 'fw_printf\n' >fw.txt
    printf 'int fw_val = 3;\n' >fwval.c
    "$CC" $M4 -O2 -c fwval.c -o fwval.o || fail "compile fwval.c"
    "$MODPACK" build b.elf -o g1.mod --firmware fwval.o --firmware fw.txt --all-globals 2>err.txt || fail "--all-globals"
    [ ! -s err.txt ] || fail "--all-globals printed: $(cat err.txt)"
    "$MODPACK" build b.elf -o g2.mod --name g1 --firmware fwval.o --firmware fw.txt --firmware-all-globals 2>err.txt ||
        fail "--firmware-all-globals"
    grep -qF "modpack: build: note: --firmware-all-globals is deprecated: use --all-globals" err.txt ||
        fail "no note for --firmware-all-globals"
    cmp g1.mod g2.mod || fail "--all-globals and --firmware-all-globals differ"
    "$MODPACK" build b.elf -o g3.mod --name g1 --firmware fwval.o --firmware fw.txt 2>err.txt &&
        fail "without --all-globals, fw_val is not exported: the test proves nothing"
    grep -qF "fw_val used at" err.txt || fail "without --all-globals: $(cat err.txt)"
    expect 2 "build: --all-globals needs --firmware FW" "$MODPACK" build b.elf -o x.mod --all-globals
    ;;
*)
    fail "unknown case $case_name"
    ;;
esac
exit 0
