#!/usr/bin/env python3
"""dynapply.py SO BASE OUT.bin NAME=ADDR... - what a dynamic linker would
make of a shared object loaded so that its code starts at BASE.

The differential test's independent side (tests/dyn): this script reads the
ELF itself (no libelf, nothing of modpack), applies every dynamic relocation
as ld.so does for a load bias of BASE - code start, and writes the loaded
bytes from the code start on, as objcopy -O binary would, with the sections
only a dynamic linker reads left zero (modpack does not load them).
diffplace (tests/diff/diffplace.c) then places the packed image at BASE
with modload and compares the two byte for byte, so every fixup is checked.
It also fails when a relocated word still equals its unrelocated bytes:
then the comparison could not see that relocation skipped.

The code start is the lowest address of an allocated, read-only section
that is not dynamic-link metadata, aligned down to the largest alignment of
those sections (image-format: the code segment's first byte).
"""
import struct
import sys

# e_machine: (RELATIVE, GLOB_DAT, JUMP_SLOT, address-sized absolute)
TYPES = {40: (23, 21, 22, 2),          # ARM
         3: (8, 6, 7, 1),              # i386
         62: (8, 6, 7, 1),             # x86-64 (R_X86_64_64)
         243: (3, None, 5, 1)}         # RISC-V rv32 (R_RISCV_32)
SHT_NOBITS, SHT_REL, SHT_RELA, SHT_DYNSYM, SHT_STRTAB = 8, 9, 4, 11, 3
META = {6, 11, 5, 0x6ffffff6, 0x6fffffff, 0x6ffffffd, 0x6ffffffe, 7}  # dynamic, dynsym, hash, gnu.hash, versions, note
SHF_WRITE, SHF_ALLOC = 1, 2
STB_WEAK = 2


def fail(msg):
    sys.exit("dynapply: " + msg)


def main():
    if len(sys.argv) < 4:
        fail("usage: dynapply.py SO BASE OUT.bin NAME=ADDR...")
    d = open(sys.argv[1], 'rb').read()
    base = int(sys.argv[2], 0)
    imports = {k: int(v, 0) for k, v in (a.split('=') for a in sys.argv[4:])}
    c64 = d[4] == 2
    w = 8 if c64 else 4
    mach = struct.unpack_from('<H', d, 18)[0]
    if mach not in TYPES:
        fail("machine %d" % mach)
    if c64:
        shoff, = struct.unpack_from('<Q', d, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from('<HHH', d, 0x3A)
    else:
        shoff, = struct.unpack_from('<I', d, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from('<HHH', d, 0x2E)
    secs = []
    for i in range(shnum):
        o = shoff + i * shentsize
        if c64:
            name, typ, flags, addr, off, size, link, info, align, ent = struct.unpack_from('<IIQQQQIIQQ', d, o)
        else:
            name, typ, flags, addr, off, size, link, info, align, ent = struct.unpack_from('<IIIIIIIIII', d, o)
        secs.append(dict(name=name, type=typ, flags=flags, addr=addr, off=off, size=size,
                         link=link, info=info, align=max(align, 1)))
    strtab = secs[shstrndx]

    def cstr(off):
        return d[off:d.index(b'\0', off)].decode()
    for s in secs:
        s['name'] = cstr(strtab['off'] + s['name'])

    def meta(s):
        return (s['type'] in META or (s['type'] in (SHT_REL, SHT_RELA, SHT_STRTAB) and s['flags'] & SHF_ALLOC)
                or s['name'] == '.interp')
    loaded = [s for s in secs if s['flags'] & SHF_ALLOC and s['size'] and not meta(s)]
    code = [s for s in loaded if not s['flags'] & SHF_WRITE and s['type'] != SHT_NOBITS]
    calign = max(s['align'] for s in code)
    start = min(s['addr'] for s in code) & ~(calign - 1)
    end = max(s['addr'] + s['size'] for s in loaded if s['type'] != SHT_NOBITS)
    bias = base - start
    mask = (1 << (8 * w)) - 1
    img = bytearray(end - start)
    for s in loaded:
        if s['type'] != SHT_NOBITS:
            img[s['addr'] - start:s['addr'] - start + s['size']] = d[s['off']:s['off'] + s['size']]
    raw = bytes(img)

    dynsym = next(s for s in secs if s['type'] == SHT_DYNSYM)
    dynstr = secs[dynsym['link']]

    def sym(i):
        o = dynsym['off'] + i * (24 if c64 else 16)
        if c64:
            name, info, other, shndx, value, size = struct.unpack_from('<IBBHQQ', d, o)
        else:
            name, value, size, info, other, shndx = struct.unpack_from('<IIIBBH', d, o)
        return cstr(dynstr['off'] + name), value, shndx, info >> 4

    rel, glob, jump, absw = TYPES[mach]
    count = weak_zero = 0
    for t in secs:
        if t['type'] not in (SHT_REL, SHT_RELA) or not t['flags'] & SHF_ALLOC:
            continue
        rela = t['type'] == SHT_RELA
        ent = (24 if c64 else 12) if rela else (16 if c64 else 8)
        for k in range(t['size'] // ent):
            o = t['off'] + k * ent
            if c64:
                off, info = struct.unpack_from('<QQ', d, o)
                add = struct.unpack_from('<q', d, o + 16)[0] if rela else None
                typ, si = info & 0xFFFFFFFF, info >> 32
            else:
                off, info = struct.unpack_from('<II', d, o)
                add = struct.unpack_from('<i', d, o + 8)[0] if rela else None
                typ, si = info & 0xFF, info >> 8
            p = off - start
            cur = int.from_bytes(img[p:p + w], 'little')
            missing_weak = False
            if typ == rel:
                v = bias + (add if rela else cur)
            elif typ in (glob, jump, absw):
                name, value, shndx, bind = sym(si)
                missing_weak = shndx == 0 and bind == STB_WEAK and name not in imports
                if missing_weak:
                    s_addr = 0          # what ld.so binds a missing weak symbol to
                    weak_zero += 1
                else:
                    s_addr = imports[name] if shndx == 0 else value + bias
                if rela:
                    v = s_addr + add
                else:
                    v = s_addr + (cur if typ == absw else 0)
            else:
                fail("%s: relocation type %d at 0x%x: not one the test expects" % (t['name'], typ, off))
            img[p:p + w] = (v & mask).to_bytes(w, 'little')
            if img[p:p + w] == raw[p:p + w] and not (typ != rel and missing_weak):
                fail("relocation at 0x%x does not change its word: the comparison could not see it" % off)
            count += 1
    if not count:
        fail("no dynamic relocations")
    open(sys.argv[3], 'wb').write(img)
    print("%s: %d dynamic relocations applied at 0x%x, %d of them to missing weak symbols (bound to 0)"
          % (sys.argv[1], count, base, weak_zero))


main()
