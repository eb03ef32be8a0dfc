#!/usr/bin/env bash
# run.sh images|elf - the catalogue tests (CMakeLists.txt).
# Environment: MODPACK, CATALOGUE (the generator), SRC (this directory),
# OUT (its build directory, holding catmod.elf and catmod*.mod).
set -euo pipefail
case $1 in
images)
    dir=$OUT/check-images
    rm -rf "$dir" && mkdir -p "$dir"
    mods=("$OUT/catmod.mod" "$OUT/catmod-stripped.mod" "$OUT/catmod-signed.mod" "$OUT/catmod-compressed.mod")
    "$CATALOGUE" "${mods[@]}" "$dir"
    # README.md's table lists exactly the cases, in order
    "$CATALOGUE" "${mods[@]}" "$dir" --table >"$dir/table.txt"
    grep '^| [0-9][0-9][0-9]-' "$SRC/README.md" | diff -u - "$dir/table.txt" ||
        { echo "FAIL: README.md's table of images is not the catalogue's (catalogue ... --table)"; exit 1; }
    # modpack verify, the same reader, prints the same error for each image
    n=0
    while read -r file code text; do
        set +e
        "$MODPACK" verify "$dir/$file" >"$dir/out.txt" 2>"$dir/err.txt"
        rc=$?
        set -e
        if [ "$code" = 0 ]; then
            [ $rc = 0 ] || { cat "$dir/err.txt"; echo "FAIL: verify $file: exit $rc, want 0"; exit 1; }
        else
            [ "$code" = 7 ] && text="CRC mismatch"   # verify prints both CRCs
            # its line names the image, then why (a malformed signature block
            # is described before its modload_strerror text)
            [ $rc = 1 ] && grep -F "modpack: $dir/$file: " "$dir/err.txt" | grep -qF "$text" ||
                { cat "$dir/err.txt"; echo "FAIL: verify $file: exit $rc, want 1 and '$text'"; exit 1; }
        fi
        n=$((n + 1))
    done <"$dir/manifest.txt"
    echo "modpack verify agrees on $n images"
    ;;
elf)
    python3 "$SRC/elfcat.py" --modpack "$MODPACK" --elf "$OUT/catmod.elf" --out "$OUT/check-elf"
    ;;
*)
    echo "usage: run.sh images|elf" >&2
    exit 2
    ;;
esac
