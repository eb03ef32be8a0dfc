#!/usr/bin/env python3
"""call8fix.py ELF - turn the CALL0 placeholders of winasm.py --direct-calls
into the CALL8 they stand for, in a module linked with --emit-relocs (a test
tool: lx106 ld cannot relocate CALL8, see winasm.py).

Every R_XTENSA_SLOT0_OP relocation in an executable section whose site holds
a CALL0 (op0 = 5, n = 0) gets n = 2: same offset, same relocation, same
target; only the window increment changes. Exits 1 when there is none, so a
variant meant to hold direct calls cannot quietly hold none.
"""
import struct
import sys

SHT_RELA, SHF_EXECINSTR, R_XTENSA_SLOT0_OP = 4, 4, 20

path = sys.argv[1]
d = bytearray(open(path, 'rb').read())
if d[:4] != b'\x7fELF' or d[4] != 1 or d[5] != 1 or struct.unpack_from('<H', d, 18)[0] != 94:
    sys.exit('call8fix: %s is not a little-endian ELF32 for Xtensa' % path)
shoff, = struct.unpack_from('<I', d, 32)
shentsize, shnum = struct.unpack_from('<HH', d, 46)
secs = [struct.unpack_from('<10I', d, shoff + i * shentsize) for i in range(shnum)]
n = 0
for s in secs:
    if s[1] != SHT_RELA or not secs[s[7]][2] & SHF_EXECINSTR:
        continue
    text = secs[s[7]]
    for k in range(s[5] // 12):
        r_offset, r_info = struct.unpack_from('<II', d, s[4] + 12 * k)
        if r_info & 0xFF != R_XTENSA_SLOT0_OP:
            continue
        at = text[4] + r_offset - text[3]   # file offset of the site
        if d[at] & 0x3F == 0x05:            # CALL0
            d[at] |= 0x20                   # n = 2: CALL8
            n += 1
if n == 0:
    sys.exit('call8fix: %s has no CALL0 with an R_XTENSA_SLOT0_OP to turn into CALL8' % path)
open(path, 'wb').write(d)
print('call8fix: %s: %d direct CALL8' % (path, n))
