#!/usr/bin/env python3
"""spec_tables.py SOURCE_DIR - the spec's tables say what include/
modformat.h's rows say: the fixup-kind table (formats/image-format.md,
section 6) MODP_FIXUP_KINDS' number, name, width, op and ISA, row for row;
the layout table (section 2) MODP_IMAGE_PARTS' parts in order, each with
its size (the header field counting it, times its unit), then the CRC.

ISA column: "all" and "64-bit" are the rows with isa 0 (any image; a loader
built for a 32-bit ISA has no WORD64), "ARM" is MODP_ARCH_ARM, "RISC-V"
MODP_ARCH_RISCV, "i386" MODP_ARCH_386. Exit status 1 with one line per difference.
"""
import re
import sys

ISA = {"all": "0u", "64-bit": "0u", "ARM": "MODP_ARCH_ARM", "RISC-V": "MODP_ARCH_RISCV",
       "i386": "MODP_ARCH_386"}
OPS = {"site": "MODP_OPS_SITE", "pair": "MODP_OPS_PAIR", "operand": "MODP_OPS_OPERAND"}


def header_rows(text):
    m = re.search(r"#define MODP_FIXUP_KINDS\(X\)((?:.*\\\n)*.*\n)", text)
    if not m:
        sys.exit("spec_tables: no MODP_FIXUP_KINDS in modformat.h")
    rows = re.findall(r"X\(\s*(\w+),\s*(\d+),\s*(\d+),\s*(\w+),\s*(\w+)\s*\)", m.group(1))
    return [(int(n), name, int(w), ops, isa) for name, n, w, ops, isa in rows]


def spec_rows(text):
    sec = text.split("\n## 6. Fixup kinds", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in sec.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and cells[0].isdigit():
            n, name, w, op, isa = cells[:5]
            rows.append((int(n), name, int(w), OPS.get(op, "?" + op), ISA.get(isa, "?" + isa)))
    return rows


def header_parts(text):
    m = re.search(r"#define MODP_IMAGE_PARTS\(X\)((?:.*\\\n)*.*\n)", text)
    if not m:
        sys.exit("spec_tables: no MODP_IMAGE_PARTS in modformat.h")
    consts = {k: int(v) for k, v in re.findall(r"#define (MODP_\w+)\s+(\d+)u", text)}
    rows = re.findall(r"X\(\s*(\w+),\s*(\w+),\s*(\w+),\s*(\w+)\s*\)", m.group(1))
    out = []
    for name, part, count, unit in rows:
        unit = consts.get(unit, None) if unit.startswith("MODP_") else int(unit.rstrip("u"))
        out.append((count, unit))
    return out + [(None, consts.get("MODP_CRC_SIZE"))]


def spec_parts(text):
    sec = text.split("\n## 2. Layout", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in sec.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or cells[0] in ("part", "") or cells[0].startswith("-"):
            continue
        size = cells[1]
        m = re.fullmatch(r"`(?:(\d+) \* )?(\w+)`", size)
        rows.append((m.group(2), int(m.group(1) or 1)) if m else (None, int(size) if size.isdigit() else size))
    return rows


def main():
    root = sys.argv[1]
    with open(f"{root}/include/modformat.h") as f:
        hdr_text = f.read()
    with open(f"{root}/formats/image-format.md") as f:
        spec_text = f.read()
    hdr, spec = header_rows(hdr_text), spec_rows(spec_text)
    bad = 0
    if [r[0] for r in hdr] != list(range(len(hdr))):
        print(f"modformat.h: kind numbers are not 0..{len(hdr) - 1} in order: {[r[0] for r in hdr]}")
        bad = 1
    for r in hdr:
        if r[2] not in (4, 8):
            print(f"modformat.h: {r[1]}: width {r[2]} (modload knows 4 and 8)")
            bad = 1
    for h, s in zip(hdr, spec):
        if h != s:
            print(f"kind {h[0]}: modformat.h says {h}, the spec's section 6 says {s}")
            bad = 1
    if len(hdr) != len(spec):
        print(f"modformat.h has {len(hdr)} kinds, the spec's section 6 table {len(spec)}")
        bad = 1
    hparts, sparts = header_parts(hdr_text), spec_parts(spec_text)
    if hparts != sparts:
        print(f"image parts: modformat.h says {hparts}, the spec's section 2 says {sparts}")
        bad = 1
    if not bad:
        print(f"spec_tables: {len(hdr)} fixup kinds and {len(hparts)} image parts agree")
    return bad


if __name__ == "__main__":
    sys.exit(main())
