#!/usr/bin/env python3
"""genelf.py - write a large ARM module ELF for the bounded-cost test.

    genelf.py OUT.elf --relocs N [--imports K] [--pairs P]

An ET_EXEC as `ld --emit-relocs` writes it, without a toolchain: .text with
P Thumb MOVW/MOVT pairs (R_ARM_THM_MOVW_ABS_NC/MOVT_ABS, to code or to an
import), .data with N words each with an R_ARM_ABS32 (every other one to
one of K imports, the rest to the code), their .rel sections, a symbol
table with module_init and the K undefined imports. Deterministic.
"""
import argparse
import struct
from array import array


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('--relocs', type=int, required=True)
    ap.add_argument('--imports', type=int, default=0)
    ap.add_argument('--pairs', type=int, default=0)
    a = ap.parse_args()
    N, K, P = a.relocs, a.imports, a.pairs

    text_size = max(64, 8 * P + 8)
    text = bytearray(text_size)
    text[0:4] = b'\x70\x47\x00\xbf'  # bx lr; nop  (module_init)
    movw, movt = struct.pack('<HH', 0xF240, 0x0000), struct.pack('<HH', 0xF2C0, 0x0000)
    for i in range(P):
        o = 8 + 8 * i
        text[o:o + 4] = movw
        text[o + 4:o + 8] = movt
    data_addr = (text_size + 3) & ~3
    data = bytes(4 * N)

    # symbols: 0 null, 1 .text, 2 .data (sections), 3 module_init, 4.. imports
    names = bytearray(b'\0module_init\0')
    syms = bytearray(16)
    syms += struct.pack('<IIIBBH', 0, 0, 0, 3, 0, 1)
    syms += struct.pack('<IIIBBH', 0, data_addr, 0, 3, 0, 2)
    syms += struct.pack('<IIIBBH', 1, 1, 4, 0x12, 0, 1)
    for k in range(K):
        off = len(names)
        names += b'imp%d\0' % k
        syms += struct.pack('<IIIBBH', off, 0, 0, 0x10, 0, 0)
    first_import = 4

    # .rel.data: word i -> import (i/2 % K) when i is odd and K > 0, else .text
    rel = array('I', bytes(8 * N))
    rel[0::2] = array('I', range(data_addr, data_addr + 4 * N, 4))
    info = array('I', [(1 << 8) | 2]) * N
    if K:
        for i in range(1, N, 2):
            info[i] = ((first_import + (i // 2) % K) << 8) | 2
    rel[1::2] = info
    reldata = rel.tobytes()
    # .rel.text: pairs -> import (i % K) or .text
    rt = array('I')
    for i in range(P):
        s = first_import + i % K if K else 1
        o = 8 + 8 * i
        rt.extend([o, (s << 8) | 47, o + 4, (s << 8) | 48])
    reltext = rt.tobytes()

    shstr = bytearray(b'\0')
    def nm(s):
        off = len(shstr)
        shstr.extend(s.encode() + b'\0')
        return off
    secs = []  # (name, type, flags, addr, bytes, link, info, align, entsize)
    secs.append(('.text', 1, 6, 0, bytes(text), 0, 0, 4, 0))
    secs.append(('.rel.text', 9, 0x40, 0, reltext, 5, 1, 4, 8))
    secs.append(('.data', 1, 3, data_addr, data, 0, 0, 4, 0))
    secs.append(('.rel.data', 9, 0x40, 0, reldata, 5, 3, 4, 8))
    secs.append(('.symtab', 2, 0, 0, bytes(syms), 6, 4, 4, 16))
    secs.append(('.strtab', 3, 0, 0, bytes(names), 0, 0, 1, 0))
    secs.append(('.shstrtab', 3, 0, 0, None, 0, 0, 1, 0))
    name_offs = [nm(s[0]) for s in secs]

    out = bytearray(52)
    offs = []
    for s in secs:
        b = s[4] if s[4] is not None else bytes(shstr)
        while len(out) % 4:
            out.append(0)
        offs.append(len(out))
        out += b
    while len(out) % 4:
        out.append(0)
    shoff = len(out)
    out += bytes(40)
    for i, s in enumerate(secs):
        size = len(s[4]) if s[4] is not None else len(shstr)
        out += struct.pack('<10I', name_offs[i], s[1], s[2], s[3], offs[i], size, s[5], s[6], s[7], s[8])
    ident = b'\x7fELF\x01\x01\x01' + bytes(9)
    struct.pack_into('<16sHHIIIIIHHHHHH', out, 0, ident, 2, 40, 1, 1, 0, shoff, 0x05000000,
                     52, 0, 0, 40, len(secs) + 1, len(secs))
    with open(a.out, 'wb') as f:
        f.write(out)


if __name__ == '__main__':
    main()
