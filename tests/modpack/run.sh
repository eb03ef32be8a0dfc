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
    ok_build b.elf -o b.mod --version 1.2 --description "basic test"
    ok_verify b.mod
    json b.mod 'j["format"]=="1.0" and j["arch"]=="arm" and j["arch_flags"]&1 and
        [i["name"] for i in j["imports"]]==["fw_printf","fw_val"] and
        j["fixups_by_kind"]["WORD32"]==j["nfixups"] and "split" in j["flags"] and
        j["meta"]["name"]=="b" and j["meta"]["version"]=="1.2" and j["meta"]["tool"]=="modpack 0.1.0" and
        j["entry"] is not None and j["exit"] is not None and j["crc"]["ok"] and
        {e["name"] for e in j["exports"]}=={"counter","ptrs","msg","fp","module_init","module_exit"} and
        [e["hash"] for e in j["exports"]]==sorted(e["hash"] for e in j["exports"])'
    # the veneer for fw_printf: push {r0,r1}; ldr r0,[pc,#4]; str r0,[sp,#4]; pop {r0,pc}
    python3 - b.mod <<'PY' || fail "Thumb veneer not found"
import sys, struct
d = open(sys.argv[1], 'rb').read()
hs = struct.unpack_from('<H', d, 6)[0]; cs = struct.unpack_from('<I', d, 20)[0]
sys.exit(0 if bytes.fromhex('03b40148019001bd') in d[hs:hs+cs] else 1)
PY
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
reject_ctor)
    mod ctor.c c.elf $M4
    expect 1 "constructors are not run by modload; call them from module_init" "$MODPACK" build c.elf -o c.mod
    ;;
reject_no_relocs)
    "$CC" $M4 -O2 -c "$SRC/src/basic.c" -o b.o &&
        "$CC" $M4 -nostdlib -Wl,--unresolved-symbols=ignore-all -T "$LDS" b.o -o b.elf || fail build
    expect 1 "b.elf: no relocation sections: link with --emit-relocs (-Wl,-q)" "$MODPACK" build b.elf -o b.mod
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
    # inspect still reports, with the CRC marked BAD
    "$MODPACK" inspect flip.mod >out.txt || fail "inspect flipped"
    grep -q "^CRC: *BAD" out.txt || fail "inspect does not say BAD"
    expect 1 "empty.mod: image truncated" sh -c ": >empty.mod; exec \"\$0\" verify empty.mod" "$MODPACK"
    python3 -c "open('junk.mod','wb').write(b'NOPE'+bytes(200))"
    expect 1 "junk.mod: not a modpack image" "$MODPACK" inspect junk.mod
    head -c 60 b.mod >short.mod
    expect 1 "short.mod: image truncated" "$MODPACK" inspect short.mod
    ;;
golden)
    "$CC" $M4 -c "$SRC/src/golden.S" -o g.o && "$CC" $M4 $LDFLAGS g.o -o g.elf || fail build
    ok_build g.elf -o golden.mod --description "inspect golden sample" --version 1.0.0
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
    ok_build p.elf -o p.mod --require xip
    "$MODPACK" inspect p.mod | grep -q "^  split        no: .text+0x.*_GLOBAL_OFFSET_TABLE_" ||
        fail "inspect does not explain split"
    json p.mod '"xip" in j["flags"] and "_GLOBAL_OFFSET_TABLE_" in j["meta"]["nosplit"]'
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
*)
    fail "unknown case $case_name"
    ;;
esac
exit 0
