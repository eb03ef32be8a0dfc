#!/usr/bin/env bash
# valgrind.sh - modpack under valgrind memcheck: no error, no leak.
# Inputs: the catalogue's module ELF and images, the test modules' ELFs.
# Environment: MODPACK (built without sanitizers), BUILD, WORK.
set -u
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
vg() {
    valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
        "$MODPACK" "$@" >/dev/null 2>vg.txt
    local rc=$?
    if [ $rc = 99 ] || grep -q '^==[0-9]*==' vg.txt; then
        cat vg.txt >&2
        echo "FAIL: valgrind: modpack $*" >&2
        exit 1
    fi
    n=$((n + 1))
}
n=0
shopt -s nullglob
elves=("$BUILD"/tests/catalogue/catmod.elf "$BUILD"/tests/diff/mods/testmod-m4-pic-0.elf)
[ ${#elves[@]} -gt 0 ] || { echo "SKIP: no module ELFs (needs arm-none-eabi-gcc)"; exit 77; }
for e in "${elves[@]}"; do
    vg build "$e" -o out.mod --module-version 1.0
    vg build "$e" -o out-s.mod --strip-names
    vg inspect --fixups out.mod
    vg inspect --json --fixups out-s.mod
    vg verify out.mod
done
# rejections and malformed input: error paths free what they allocated
# (every fourth catalogue case: memcheck is slow)
k=0
for e in "$BUILD"/tests/catalogue/check-elf/*.elf; do
    [ $((k++ % 4)) = 0 ] && [ -f "$e" ] && vg build "$e" -o rej.mod
done
k=0
for i in "$BUILD"/tests/catalogue/images/[0-9]*.mod; do
    [ $((k++ % 4)) = 0 ] && vg verify "$i" && vg inspect "$i"
done
vg build "${elves[0]}" -o /dev/full
echo "valgrind memcheck: $n modpack runs clean"
