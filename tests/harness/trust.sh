#!/usr/bin/env bash
# trust.sh WORK MODPACK IMAGE qemu-arm BOARD FW.elf | native[-ed25519] FW-COMMAND...
#
# The trust mode of testfw.c (spec section 13): sign IMAGE with a key
# modpack keygen makes, at security version 3; take the digest the
# firmware's allow-list holds with sha256sum of the signed image's first
# image_size bytes (the covered bytes; the header's field at offset 16),
# check that modpack inspect reports the same; then run the firmware from
# WORK (semihosting opens the files relative to it):
#   fw trust s.mod u.mod DIGEST [pub.pem]
# u.mod is IMAGE unsigned; with native-ed25519 the firmware also gets the
# public key (the hosted x86-64 harness verifies with libcrypto).
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }
work=$1 modpack=$2 image=$3 how=$4
shift 4
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
cp "$image" u.mod || fail "no image $image"
"$modpack" keygen -o key.pem >keygen.txt || fail "modpack keygen"
"$modpack" sign u.mod --key key.pem --security-version 3 -o s.mod || fail "modpack sign"
"$modpack" verify s.mod --key key.pub.pem || fail "modpack verify --key"
size=$(od -An -tu4 -j16 -N4 s.mod | tr -d ' ')
digest=$(head -c "$size" s.mod | sha256sum | cut -c1-64)
echo "sha256sum of the first $size bytes of s.mod: $digest"
"$modpack" inspect --json s.mod >s.json || fail "modpack inspect"
python3 -c "import json,sys; j=json.load(open('s.json')); sys.exit(0 if j['digest']=='$digest' and j['security_version']==3 else 1)" ||
    fail "inspect's digest or security version differs from sha256sum's"
case $how in
qemu-arm)
    board=$1 fw=$2
    sh="enable=on,target=native,arg=fw,arg=trust,arg=s.mod,arg=u.mod,arg=$digest"
    exec timeout 300 qemu-system-arm -M "mps2-$board" -nographic -monitor none -serial none \
        -no-reboot -kernel "$fw" -semihosting-config "$sh"
    ;;
native) exec "$@" trust s.mod u.mod "$digest" ;;
native-ed25519) exec "$@" trust s.mod u.mod "$digest" key.pub.pem ;;
*) fail "how: qemu-arm or native, not $how" ;;
esac
