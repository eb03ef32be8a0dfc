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
    local before after
    before=$(call counter_get)
    after=$(call counter_next)
    [ "$(call counter_version)" = 2 ] && [ "$after" = $((before + 2)) ] ||
        fail "after $1: version 2 does not answer (get $before, next $after)"
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

    # 200 alternating reloads, each checked
    t0=$(date +%s.%N)
    for i in $(seq 200); do
        v=$(( i % 2 + 1 ))
        [ "$(put "$MODS/counter$v.mod" counter)" = 200 ] || fail "reload $i: $(cat put.json)"
        grep -qF "\"version\":\"$v.0\"" put.json || fail "reload $i: not version $v: $(cat put.json)"
    done
    t1=$(date +%s.%N)
    [ "$(call counter_version)" = 1 ] || fail "version after 200 reloads"
    python3 -c "import sys; print('200 reloads over HTTP in %.2f s: %.1f reloads per second' % (float(sys.argv[2]) - float(sys.argv[1]), 200 / (float(sys.argv[2]) - float(sys.argv[1]))))" $t0 $t1

    [ "$(curl -s -o del.json -w '%{http_code}' -X DELETE "$URL/modules/counter")" = 200 ] || fail "DELETE"
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/modules/counter/call/counter_get")" = 404 ] ||
        fail "the deleted module still answers"
    [ "$(curl -s "$URL/modules")" = "[]" ] || fail "the list after DELETE"
    stop_device || fail "the device exited with an error (sanitizer report?)"
    grep -q "pool 0 bytes used" dev.log || fail "the pool is not empty at the end"
    echo "uploads refused by category: $refusals (truncated, bad CRC, wrong ABI, missing import, failing init, oversize, another name), plus 1 concurrent"
    ;;
kill)
    # kill -9 at a random point of each of 50 uploads, then restart: a
    # working counter always boots, the old version or the new one
    start
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
        start
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
