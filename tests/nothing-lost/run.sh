#!/usr/bin/env bash
# run.sh CASE - modpack's output is never partial (tests/nothing-lost).
# Every case starts with a previous output (keep.mod, from an earlier
# build) in a directory and makes the next build fail in one way; the
# previous output must stay byte for byte, no temporary file may remain,
# and the message must say what went wrong. A build with no previous
# output must leave no file at all.
# Environment: MODPACK, ELF (a module ELF), SHIM (the LD_PRELOAD library),
# WORK (scratch).
set -u
case_name=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
[ -f "$ELF" ] || skip "no module ELF ($ELF): needs arm-none-eabi-gcc"

# prepare DIR: DIR/keep.mod from an earlier build, its copy in $WORK/orig.mod
prepare() {
    "$MODPACK" build "$ELF" -o "$WORK/orig.mod" --name previous || fail "first build"
    cp "$WORK/orig.mod" "$1/keep.mod"
}
# after DIR STATUS WANT-STATUS MESSAGE: the previous output is intact and alone
after() {
    local dir=$1 rc=$2 want=$3 msg=$4
    [ "$rc" = "$want" ] || { cat "$WORK/err.txt" >&2; fail "exit $rc, want $want"; }
    [ -z "$msg" ] || grep -qF -- "$msg" "$WORK/err.txt" || { cat "$WORK/err.txt" >&2; fail "message lacks: $msg"; }
    cmp -s "$dir/keep.mod" "$WORK/orig.mod" || fail "the previous output changed"
    [ ! -e "$dir/new.mod" ] || fail "a failed build left new.mod"
    local extra
    extra=$(ls -A "$dir" | grep -v -e '^keep\.mod$' -e '^fill$' || true)
    [ -z "$extra" ] || fail "left behind: $extra"
    echo "ok: $case_name: $(head -1 "$WORK/err.txt")"
}
# build DIR [env...]: build over keep.mod, then to a new name; both must fail
build_both() {
    local dir=$1 want=$2 msg=$3; shift 3
    env "$@" "$MODPACK" build "$ELF" -o "$dir/keep.mod" --name next >"$WORK/out.txt" 2>"$WORK/err.txt"
    local rc=$?
    after "$dir" "$rc" "$want" "$msg"
    env "$@" "$MODPACK" build "$ELF" -o "$dir/new.mod" --name next >"$WORK/out.txt" 2>"$WORK/err.txt"
    rc=$?
    after "$dir" "$rc" "$want" "$msg"
}
# ASan wants to come first in the library list; the shim is preloaded.
shim_env() { echo "LD_PRELOAD=$SHIM" "ASAN_OPTIONS=verify_asan_link_order=0:${ASAN_OPTIONS:-}"; }

rm -rf "$WORK" && mkdir -p "$WORK/d" || exit 1
D=$WORK/d
case $case_name in
readonly)
    # root ignores permission bits: a read-only mount in a private mount
    # namespace; else, as root, the same as user nobody in a 0555 directory.
    if unshare -m true 2>/dev/null; then
        exec unshare -m bash "$0" readonly-inner
    elif [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
        prepare "$D"
        chmod 0555 "$D"; chmod 0644 "$D/keep.mod"; chmod -R a+rX "$WORK"
        build_both "$D" 1 "cannot create a temporary file next to it: Permission denied" \
            setpriv --reuid=nobody --regid=nogroup --clear-groups
    elif [ "$(id -u)" != 0 ]; then
        prepare "$D"; chmod 0555 "$D"
        build_both "$D" 1 "cannot create a temporary file next to it: Permission denied"
        chmod 0755 "$D"
    else
        skip "root without unshare or setpriv: cannot make a read-only directory"
    fi
    ;;
readonly-inner)
    mount -t tmpfs -o size=1m tmpfs "$D" || skip "cannot mount a tmpfs"
    prepare "$D"
    mount -o remount,ro "$D" || skip "cannot remount read-only"
    build_both "$D" 1 "cannot create a temporary file next to it: Read-only file system"
    ;;
full)
    # a file system that is full: a small tmpfs filled up
    if unshare -m true 2>/dev/null; then
        exec unshare -m bash "$0" full-inner
    fi
    skip "no mount namespace (unshare -m): the full-disk case runs through the shim (shim-enospc)"
    ;;
full-inner)
    mount -t tmpfs -o size=64k tmpfs "$D" || skip "cannot mount a tmpfs"
    prepare "$D"
    dd if=/dev/zero of="$D/fill" bs=1k 2>/dev/null
    build_both "$D" 1 "write failed: No space left on device"
    ;;
devfull)
    # a device is written in place, never replaced
    "$MODPACK" build "$ELF" -o /dev/full >"$WORK/out.txt" 2>"$WORK/err.txt"
    [ $? = 1 ] || fail "/dev/full: exit status"
    grep -qF "/dev/full: write failed: No space left on device" "$WORK/err.txt" || fail "message"
    [ -c /dev/full ] || fail "/dev/full replaced"
    echo "ok: devfull: $(head -1 "$WORK/err.txt")"
    ;;
symlink)
    # a link to a file: the file is replaced, the link stays a link;
    # a link to a descriptor (/dev/stdout, /proc/self/fd/N) is written to
    "$MODPACK" build "$ELF" -o "$WORK/want.mod" --name same || fail "first build"
    ln -s keep.mod "$D/link.mod"
    ln -s ../d/deeper.mod "$D/rel.mod"
    ln -s /proc/self/fd/1 "$D/stdout"
    ln -s loop "$D/loop"
    for out in link.mod rel.mod; do
        "$MODPACK" build "$ELF" -o "$D/$out" --name same 2>"$WORK/err.txt" || fail "build to $out"
        [ -L "$D/$out" ] || fail "$out replaced by a file"
        cmp -s "$D/$out" "$WORK/want.mod" || fail "$out: wrong contents"
    done
    "$MODPACK" build "$ELF" -o "$D/stdout" --name same >"$WORK/out.mod" 2>"$WORK/err.txt" || fail "to a file"
    "$MODPACK" build "$ELF" -o "$D/stdout" --name same 2>"$WORK/err.txt" | cat >"$WORK/pipe.mod" || fail "to a pipe"
    [ -L "$D/stdout" ] || fail "the link to /proc/self/fd/1 was replaced"
    cmp -s "$WORK/out.mod" "$WORK/want.mod" || fail "stdout redirected to a file: wrong contents"
    cmp -s "$WORK/pipe.mod" "$WORK/want.mod" || fail "stdout to a pipe: wrong contents"
    "$MODPACK" build "$ELF" -o "$D/loop" --name same 2>"$WORK/err.txt" && fail "a link loop was accepted"
    grep -qF "loop: Too many levels of symbolic links" "$WORK/err.txt" || fail "loop message: $(cat "$WORK/err.txt")"
    extra=$(ls -A "$D" | grep -v -e '^keep\.mod$' -e '^deeper\.mod$' -e '^link\.mod$' -e '^rel\.mod$' -e '^stdout$' -e '^loop$' || true)
    [ -z "$extra" ] || fail "left behind: $extra"
    echo "ok: symlink: links kept, descriptors written in place"
    ;;
same-file)
    # the output is the input, by its own name, through a link, or a hard
    # link: refused, the input untouched (build, relocate, stubs)
    cp "$ELF" "$D/in.elf"
    ln -s in.elf "$D/link.elf"
    ln "$D/in.elf" "$D/hard.elf"
    cp "$D/in.elf" "$WORK/orig.elf"
    for out in in.elf link.elf hard.elf; do
        "$MODPACK" build "$D/in.elf" -o "$D/$out" 2>"$WORK/err.txt" && fail "build -o $out (the input) accepted"
        grep -qF "$D/$out: is the input $D/in.elf; writing it would replace the input: give another -o" \
            "$WORK/err.txt" || fail "message: $(cat "$WORK/err.txt")"
        cmp -s "$D/in.elf" "$WORK/orig.elf" || fail "the input changed"
    done
    "$MODPACK" build "$D/in.elf" -o "$D/m.mod" || fail "build"
    cp "$D/m.mod" "$WORK/m.mod"
    "$MODPACK" relocate "$D/m.mod" --base 0x20000000 -o "$D/m.mod" 2>"$WORK/err.txt" && fail "relocate over its input accepted"
    grep -qF "is the input" "$WORK/err.txt" || fail "relocate message: $(cat "$WORK/err.txt")"
    "$MODPACK" stubs "$D/m.mod" -o "$D/m.c" --header "$D/m.mod" 2>"$WORK/err.txt" && fail "stubs header over its input accepted"
    grep -qF "is the input" "$WORK/err.txt" || fail "stubs message: $(cat "$WORK/err.txt")"
    cmp -s "$D/m.mod" "$WORK/m.mod" || fail "the image changed"
    [ ! -e "$D/m.c" ] || fail "stubs wrote m.c although it refused"
    echo "ok: same-file: an output that is the input is refused"
    ;;
shim-enospc)
    prepare "$D"
    build_both "$D" 1 "write failed: No space left on device" $(shim_env) SHIM_MODE=enospc SHIM_AFTER=100
    ;;
shim-eio)
    prepare "$D"
    build_both "$D" 1 "write failed: Input/output error" $(shim_env) SHIM_MODE=eio SHIM_AFTER=0
    ;;
shim-fsync)
    prepare "$D"
    build_both "$D" 1 "fsync failed: Input/output error" $(shim_env) SHIM_MODE=fsync
    ;;
shim-rename)
    prepare "$D"
    build_both "$D" 1 "rename failed: Invalid cross-device link" $(shim_env) SHIM_MODE=rename
    ;;
sigint | sigterm | sighup)
    # interrupted mid-write: the temporary file goes, the output stays
    sig=$(kill -l "${case_name#sig}")
    prepare "$D"
    build_both "$D" $((128 + sig)) "" $(shim_env) SHIM_MODE=kill SHIM_AFTER=100 SHIM_SIGNAL="$sig"
    ;;
sigkill)
    # SIGKILL cannot be caught: the output is intact, but the temporary
    # file (.keep.mod.XXXXXX, never the output's name) stays behind.
    prepare "$D"
    env $(shim_env) SHIM_MODE=kill SHIM_AFTER=100 SHIM_SIGNAL=9 \
        "$MODPACK" build "$ELF" -o "$D/keep.mod" --name next >"$WORK/out.txt" 2>"$WORK/err.txt"
    rc=$?
    [ $rc = 137 ] || fail "exit $rc, want 137"
    cmp -s "$D/keep.mod" "$WORK/orig.mod" || fail "the previous output changed"
    ls -A "$D" | grep -qv -e '^keep\.mod$' -e '^\.keep\.mod\.......$' && fail "unexpected files: $(ls -A "$D")"
    env $(shim_env) SHIM_MODE=kill SHIM_AFTER=100 SHIM_SIGNAL=9 \
        "$MODPACK" build "$ELF" -o "$D/new.mod" --name next >"$WORK/out.txt" 2>"$WORK/err.txt"
    [ ! -e "$D/new.mod" ] || fail "a killed build left new.mod"
    echo "ok: sigkill: previous output intact, temporary files: $(ls -A "$D" | grep -c '^\.')"
    ;;
*)
    fail "unknown case $case_name"
    ;;
esac
exit 0
