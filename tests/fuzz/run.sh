#!/usr/bin/env bash
# run.sh - the fuzz tests (see CMakeLists.txt) and the seed corpus.
#   run.sh seeds HARNESS DIR           collect the seed corpus into DIR
#   run.sh replay HARNESS BINARY       regression inputs + seeds, no fuzzing
#   run.sh smoke HARNESS BINARY RUNS   short deterministic libFuzzer run
#   run.sh repair HARNESS BINARY MIN   the mutator check (repair_check.c)
# Environment: FUZZ_SRC (tests/fuzz), BUILD (the build tree, whose test
# modules and catalogue images are the seeds), WORK (scratch).
set -euo pipefail
mode=$1 h=$2
: "${FUZZ_SRC:?}" "${BUILD:?}" "${WORK:?}"

# Seeds: images for modload/stream/find/inspect, module ELFs for elf, from
# the end-to-end tests of every ISA, the differential test and the
# malformed-input catalogue.
seeds() {
    local out=$1 f
    rm -rf "$out" && mkdir -p "$out"
    shopt -s nullglob
    if [ "$h" = inflate ]; then
        # raw deflate of the project's own files (the test modules' ELFs
        # and images, modload's sources) at several levels, windows and
        # strategies, each after fuzz_inflate.c's 3-byte prefix
        python3 - "$out" "$FUZZ_SRC/../../src/modload" "$BUILD" <<'PY'
import glob, os, sys, zlib
out, src, build = sys.argv[1:4]
files = sorted(glob.glob(os.path.join(src, "*.c")))
files += sorted(glob.glob(os.path.join(build, "tests", "arm", "target", "testmod-m*-O[s2].*")))[:8]
n = 0
for f in files:
    data = open(f, "rb").read()[:20000]
    for level, wbits, strategy in ((0, 15, 0), (1, 9, 0), (6, 12, zlib.Z_FIXED), (9, 15, 0),
                                   (9, 15, zlib.Z_HUFFMAN_ONLY), (9, 15, zlib.Z_RLE)):
        c = zlib.compressobj(level, zlib.DEFLATED, -wbits, 9, strategy)
        z = c.compress(data) + c.flush()
        with open(os.path.join(out, "z%04d" % n), "wb") as g:
            g.write(bytes([n % 3, len(data) & 255, len(data) >> 8 & 255]) + z)
        n += 1
PY
    elif [ "$h" = elf ]; then
        for f in "$BUILD"/tests/diff/mods/*-0.elf "$BUILD"/tests/arm/target/testmod-*.elf \
                 "$BUILD"/tests/arm/target/hello-*/*.elf "$BUILD"/tests/catalogue/elf/*.elf \
                 "$BUILD"/tests/riscv/target/testmod-*.elf "$BUILD"/tests/x86/mods/*.elf \
                 "$BUILD"/tests/xtensa/mods/*.elf "$BUILD"/tests/rel/mods/*.o; do
            cp "$f" "$out/$(basename "$(dirname "$f")")-$(basename "$f")"
        done
    else
        for f in "$BUILD"/tests/arm/target/*.mod "$BUILD"/tests/arm/target/hello-*/*.mod \
                 "$BUILD"/tests/diff/mods/*.mod "$BUILD"/tests/catalogue/images/*.mod \
                 "$BUILD"/tests/riscv/target/*.mod "$BUILD"/tests/x86/mods/*.mod \
                 "$BUILD"/tests/xtensa/mods/*.mod "$BUILD"/tests/modreg/mods/*.mod; do
            cp "$f" "$out/$(basename "$(dirname "$f")")-$(basename "$f")"
            # find: the same image followed by names to look up
            [ "$h" = find ] && { cat "$f"; printf 'module_init\0module_exit\0fw_puts\0nope\0\0'; } \
                >"$out/q-$(basename "$f")"
        done
    fi
    shopt -u nullglob
    echo "seeds: $(ls "$out" | wc -l) files for $h"
}

# Kept findings (none so far: the directory may not exist in a checkout).
regress=()
[ -d "$FUZZ_SRC/regress/$h" ] && regress=("$FUZZ_SRC/regress/$h")

case $mode in
seeds)
    seeds "$3"
    ;;
replay)
    bin=$3
    seeds "$WORK/seeds-$h"
    "$bin" ${regress[@]+"${regress[@]}"} "$WORK/seeds-$h"
    ;;
smoke)
    bin=$3 runs=$4
    dir="$WORK/smoke-$h"
    rm -rf "$dir" && mkdir -p "$dir/corpus"
    seeds "$dir/seeds"
    # -close_fd_mask=3: the harness's own messages are noise; libFuzzer's
    # report and sanitizer reports still reach stderr.
    set +e
    "$bin" -seed=1 -runs="$runs" -timeout=10 -rss_limit_mb=2560 -max_len=65536 \
        -close_fd_mask=3 -print_final_stats=1 -artifact_prefix="$dir/" \
        "$dir/corpus" "$dir/seeds" ${regress[@]+"${regress[@]}"} 2>"$dir/log.txt"
    rc=$?
    set -e
    grep -E '^(#[0-9]+ +DONE|Done|stat::number_of_executed_units|stat::average_exec_per_sec)' "$dir/log.txt" || true
    if [ $rc != 0 ]; then
        tail -60 "$dir/log.txt"
        echo "fuzz.smoke.$h: FAILED; the input is in $dir/ (crash-*, timeout-*, oom-*)."
        echo "Fix it, then keep it: cp $dir/crash-XXX $FUZZ_SRC/regress/$h/<name>"
        exit 1
    fi
    ;;
repair)
    bin=$3 min=$4
    seeds "$WORK/seeds-repair"
    "$bin" "$min" "$WORK/seeds-repair"
    ;;
*)
    echo "usage: run.sh seeds|replay|smoke|repair HARNESS ..." >&2
    exit 2
    ;;
esac
