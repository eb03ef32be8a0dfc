#!/usr/bin/env bash
# run.sh CASE - the sample device (samples/device) driven with curl on
# 127.0.0.1 (see CMakeLists.txt). Environment: DEVICE, MODPACK, MODS (the
# modules built for it), WORK (scratch), SRC (samples/device).
set -u
case_name=$1
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
fail() { echo "FAIL: $*" >&2; [ -f dev.log ] && tail -20 dev.log >&2; stop_device; exit 1; }
pid=""

# start [device options...]: in the background, stdin closed; sets URL
start() {
    "$DEVICE" --store flash.bin --port 0 "$@" </dev/null >dev.log 2>&1 &
    pid=$!
    for _ in $(seq 100); do
        port=$(sed -n 's/^device: listening on 127.0.0.1:\([0-9]*\)$/\1/p' dev.log)
        [ -n "$port" ] && break
        kill -0 $pid 2>/dev/null || fail "the device exited: $(cat dev.log)"
        sleep 0.05
    done
    [ -n "$port" ] || fail "the device did not start listening"
    URL=http://127.0.0.1:$port
}
stop_device() {
    [ -n "$pid" ] || return 0
    kill -TERM $pid 2>/dev/null
    wait $pid
    local rc=$?
    pid=""
    return $rc
}

# put FILE NAME: prints the HTTP status; the body goes to put.json
put() { curl -s -o put.json -w '%{http_code}' -T "$1" "$URL/modules/$2"; }
# call FN: the result of counter's FN
call() {
    curl -s "$URL/modules/counter/call/$1" | sed -n 's/.*"result":\(-\{0,1\}[0-9]*\)}$/\1/p'
}
# refused FILE STATUS REASON: the upload is refused so, and version 2 still answers
refused() {
    local code
    code=$(put "$1" counter)
    [ "$code" = "$2" ] || fail "$1: HTTP $code, expected $2: $(cat put.json)"
    grep -qF -- "$3" put.json || fail "$1: the answer lacks '$3': $(cat put.json)"
    local before after want=${RUNNING:-2}
    before=$(call counter_get)
    after=$(call counter_next)
    [ "$(call counter_version)" = $want ] && [ "$after" = $((before + want)) ] ||
        fail "after $1: version $want does not answer (get $before, next $after)"
    refusals=$((refusals + 1))
    echo "refused as expected: $1 ($2): $(sed -n 's/.*"reason":"\([^"]*\)".*/\1/p' put.json)"
}

case $case_name in
http)
    start
    [ "$(put "$MODS/counter1.mod" counter)" = 200 ] || fail "upload counter1: $(cat put.json)"
    [ "$(call counter_next)" = 1 ] && [ "$(call counter_next)" = 2 ] || fail "version 1 counts by 1"
    [ "$(put "$MODS/counter2.mod" counter)" = 200 ] || fail "upload counter2: $(cat put.json)"
    [ "$(call counter_version)" = 2 ] || fail "version 2 after the reload"
    [ "$(call counter_get)" = 2 ] || fail "the count carried across the reload"
    [ "$(call counter_next)" = 4 ] || fail "version 2 counts by 2"

    refusals=0
    head -c 300 "$MODS/counter1.mod" >truncated.mod
    refused truncated.mod 422 "image truncated"
    python3 -c "import sys; b=bytearray(open(sys.argv[1],'rb').read()); b[len(b)//2]^=1; open('badcrc.mod','wb').write(b)" "$MODS/counter1.mod"
    refused badcrc.mod 422 "CRC"
    refused "$MODS/wrongabi.mod" 422 "ABI"
    refused "$MODS/missing.mod" 422 "dev_reboot"
    refused "$MODS/failinit.mod" 422 "init returned non-zero"
    head -c 70000 /dev/urandom >oversize.mod
    refused oversize.mod 413 "does not fit"
    # another module's image under this name
    "$MODPACK" build "$MODS/counter1.elf" -o other.mod --name other || fail "pack other"
    refused other.mod 422 "another module name"
    [ "$refusals" = 7 ] || fail "$refusals refusals"

    # the list and one module
    curl -s "$URL/modules" >list.json
    python3 - list.json <<'PY' || fail "GET /modules: $(cat list.json)"
import json, sys
m = json.load(open(sys.argv[1]))
assert len(m) == 1, m
c = m[0]
assert c["name"] == "counter" and c["version"] == "2.0" and c["state"] == "live", c
assert c["slot"] == c["committed"] == 1, c
assert c["stats"]["code"] > 0 and c["stats"]["memory"] > 0, c
PY
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/modules/nosuch")" = 404 ] || fail "GET of a module not there"

    # two concurrent uploads of one module: one wins, the other is refused
    # (the first sends half its image, waits a second, then the rest: chunked, from a pipe)
    (head -c 400 "$MODS/counter1.mod"; sleep 1; tail -c +401 "$MODS/counter1.mod") |
        curl -s -o a.json -w '%{http_code}' -T - "$URL/modules/counter" >a.code &
    ca=$!
    sleep 0.3
    curl -s -o b.json -w '%{http_code}' -T "$MODS/counter2.mod" "$URL/modules/counter" >b.code
    wait $ca
    codes="$(cat a.code) $(cat b.code)"
    [ "$codes" = "200 409" ] || fail "concurrent uploads: HTTP $codes: $(cat a.json b.json)"
    grep -qF "another update is in progress" b.json || fail "the loser's reason: $(cat b.json)"
    echo "concurrent uploads: the first won (200), the second was refused (409): $(cat b.json)"

    # 200 alternating reloads, each answer checked: one curl, one connection
    # (a curl per upload measures process start-up, not the device)
    for i in $(seq 200); do
        [ $i = 1 ] || echo next
        printf 'upload-file = "%s"\nurl = "%s"\noutput = "r%03d.json"\nwrite-out = "%%{http_code}\\n"\n' \
            "$MODS/counter$(( i % 2 + 1 )).mod" "$URL/modules/counter" $i
    done >reloads.cfg
    t0=$(date +%s.%N)
    curl -s -K reloads.cfg >reloads.codes || fail "curl -K reloads.cfg"
    t1=$(date +%s.%N)
    [ "$(sort reloads.codes | uniq -c | tr -s ' ')" = " 200 200" ] || fail "reload answers: $(sort reloads.codes | uniq -c)"
    for i in $(seq 200); do
        grep -qF "\"version\":\"$(( i % 2 + 1 )).0\"" r$(printf %03d $i).json || fail "reload $i: $(cat r$(printf %03d $i).json)"
    done
    python3 -c "import sys; t = float(sys.argv[2]) - float(sys.argv[1]); print('200 reloads over HTTP in %.2f s: %.0f reloads per second' % (t, 200 / t))" $t0 $t1
    [ "$(call counter_version)" = 1 ] || fail "version after 200 reloads"

    [ "$(curl -s -o del.json -w '%{http_code}' -X DELETE "$URL/modules/counter")" = 200 ] || fail "DELETE"
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/modules/counter/call/counter_get")" = 404 ] ||
        fail "the deleted module still answers"
    [ "$(curl -s "$URL/modules")" = "[]" ] || fail "the list after DELETE"
    stop_device || fail "the device exited with an error (sanitizer report?)"
    grep -q "pool 0 bytes used" dev.log || fail "the pool is not empty at the end"
    echo "uploads refused by category: $refusals (truncated, bad CRC, wrong ABI, missing import, failing init, oversize, another name), plus 1 concurrent"
    ;;
trust)
    # signed images: the device trusts vendor.pub.pem; security versions 1..3
    "$MODPACK" keygen -o vendor.pem >/dev/null || fail "keygen vendor"
    "$MODPACK" keygen -o other.pem >/dev/null || fail "keygen other"
    abi="--firmware $MODS/device-exports.txt --abi-name modpack-device --abi-version 1.0"
    pack() { # pack OUT VERSION KEY SECURITY
        "$MODPACK" build "$MODS/counter$2.elf" -o "$1" --name counter --module-version $2.0 $abi \
            --sign "$3" --security-version "$4" || fail "pack $1"
    }
    pack s1-sec2.mod 1 vendor.pem 2
    pack s2-sec3.mod 2 vendor.pem 3
    pack s1-sec1.mod 1 vendor.pem 1
    pack s2-other.mod 2 other.pem 3
    start --trust vendor.pub.pem
    refusals=0
    code=$(put "$MODS/counter1.mod" counter)
    [ "$code" = 403 ] && grep -qF "not signed" put.json || fail "unsigned: HTTP $code: $(cat put.json)"
    [ "$(put s1-sec2.mod counter)" = 200 ] || fail "signed version 1: $(cat put.json)"
    # (an unsigned image has security version 0: below the floor, refused as a downgrade first)
    RUNNING=1 refused "$MODS/counter2.mod" 403 "downgrade"
    RUNNING=1 refused s2-other.mod 403 "no signature the policy accepts"
    RUNNING=1 refused s1-sec1.mod 403 "downgrade"
    [ "$(put s2-sec3.mod counter)" = 200 ] || fail "signed version 2: $(cat put.json)"
    grep -qF '"security_version":3' put.json || fail "security version 3: $(cat put.json)"
    refused s1-sec2.mod 403 "downgrade"
    # after a restart: the floor is the security version of what booted
    stop_device || fail "the device exited with an error"
    start --trust vendor.pub.pem
    grep -q "^device: booted counter 2.0 from slot 1" dev.log || fail "restart: $(cat dev.log)"
    refused s1-sec2.mod 403 "downgrade"
    refused "$MODS/counter2.mod" 403 "downgrade"
    [ "$(put s2-sec3.mod counter)" = 200 ] || fail "the same security version again: $(cat put.json)"
    stop_device || fail "the device exited with an error"
    # a device that trusts another key boots none of them, and says why
    start --trust other.pub.pem
    grep -q "^device: counter did not boot: signature block malformed, or no signature the policy accepts" dev.log ||
        fail "boot with another key: $(cat dev.log)"
    stop_device || fail "the device exited with an error"
    echo "signed uploads refused: $refusals (unsigned, wrongly signed, downgraded; before and after a restart)"
    ;;
console)
    # the console on standard input, next to HTTP
    mkfifo in.fifo
    "$DEVICE" --store flash.bin --port 0 <in.fifo >dev.log 2>&1 &
    pid=$!
    exec 3>in.fifo
    for _ in $(seq 100); do grep -q listening dev.log && break; sleep 0.05; done
    port=$(sed -n 's/^device: listening on 127.0.0.1:\([0-9]*\)$/\1/p' dev.log)
    URL=http://127.0.0.1:$port
    cmd() { echo "$1" >&3; for _ in $(seq 100); do grep -qF -- "$2" dev.log && return 0; sleep 0.05; done
            fail "'$1': no '$2' in the output"; }
    cmd "modload $MODS/counter1.mod" "counter 1.0: running from slot 0"
    cmd "modcall counter counter_next" "counter counter_next = 1"
    cmd "modreload counter $MODS/counter2.mod" "counter 2.0: running from slot 1"
    cmd "modcall counter counter_next" "counter counter_next = 3"
    cmd "modreload counter $MODS/failinit.mod" "counter: refused: the module's init returned non-zero"
    cmd "modcall counter counter_version" "counter counter_version = 2"
    cmd "modsym counter counter_get" "counter counter_get: 0x"
    cmd "modlist" "counter          2.0        slot 1 (committed 1) live"
    cmd "modstats" "modules 1 of 16 slots"
    [ "$(call counter_get)" = 3 ] || fail "HTTP sees the console's module"
    cmd "modunload counter" "counter: unloaded and removed"
    cmd "modcall counter counter_get" "counter counter_get: no module of this name is loaded"
    cmd "nonsense" "unknown command"
    echo quit >&3
    exec 3>&-
    wait $pid || fail "the device exited with an error"
    pid=""
    grep -q "pool 0 bytes used" dev.log || fail "the pool is not empty at the end"
    ;;
kill)
    # kill -9 at a random point of each of 50 uploads, then restart: a
    # working counter always boots, the old version or the new one. The
    # flash is slow (2 ms a write or erase: the commit alone takes about 25),
    # so that the kills land inside the slot's and the record's writes too.
    start --flash-delay-us 2000
    [ "$(put "$MODS/counter1.mod" counter)" = 200 ] || fail "upload counter1: $(cat put.json)"
    old=0 new=0 kills=0
    for i in $(seq 50); do
        v=$(( i % 2 + 1 ))
        before=$(call counter_version)
        curl -s -o /dev/null -T "$MODS/counter$v.mod" "$URL/modules/counter" &
        cc=$!
        sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
        kill -9 $pid
        wait $pid 2>/dev/null
        wait $cc
        pid=""
        start --flash-delay-us 2000
        grep -q "^device: booted counter" dev.log || fail "kill $i: no counter booted: $(cat dev.log)"
        got=$(call counter_version)
        n1=$(call counter_get)
        n2=$(call counter_next)
        [ "$got" = 1 ] || [ "$got" = 2 ] || fail "kill $i: version '$got'"
        [ "$n2" = $((n1 + got)) ] || fail "kill $i: version $got counts from $n1 to $n2"
        if [ "$got" = "$v" ] && [ "$got" != "$before" ]; then new=$((new + 1)); else old=$((old + 1)); fi
        kills=$((kills + 1))
    done
    stop_device || fail "the device exited with an error"
    [ $kills = 50 ] || fail "$kills kills"
    echo "kills survived: $kills of 50 ($new booted the new version, $old the old one)"
    ;;
*)
    fail "unknown case $case_name"
    ;;
esac
echo "ok: $case_name"
