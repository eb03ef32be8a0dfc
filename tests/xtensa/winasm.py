#!/usr/bin/env python3
"""winasm.py IN.s OUT.s [--direct-calls=local|all] - make gcc -mabi=windowed
assembly acceptable to the lx106 assembler (a test tool, not product code).

Debian's only Xtensa toolchain is xtensa-lx106-elf: its gcc emits the
windowed ABI (-mabi=windowed), but its assembler's core (the ESP8266's lx106)
has no windowed-register option and rejects ENTRY, RETW, CALLn and CALLXn.
This rewrites exactly those instructions as the bytes of their encodings
(Xtensa ISA, little-endian, op0 in bits 3..0), which qemu-xtensa -cpu dc233c
executes:

  entry as, N     BRI12: op0=6 n=3 m=0 s=as imm12=N/8
  retw / retw.n   CALLX form op0=0 m=2 n=1 (0x000090) / narrow 0xF01D
  callxN as       CALLX form op0=0 m=3 n=N/4 s=as (r, op1, op2 zero)
  callN sym       movi aN, sym + callxN aN: the L32R of a literal holding
                  sym, as gas --longcalls expands a call that may be out of
                  range (aN is free: the call writes the return address
                  there).

--direct-calls=local keeps a call8 to a function defined in the same file
direct, --direct-calls=all every call8 (the way to a refused module). lx106
ld cannot relocate a CALL8 it cannot decode, so the call is written as
"call0 sym": CALL0 and CALL8 differ only in the n field (bits 5..4) and
compute their target alike, so ld fills in the right offset and keeps the
R_XTENSA_SLOT0_OP; call8fix.py then sets n in the linked ELF. (gcc never
emits CALL0 in windowed code, so every CALL0 there is one of these.)

Everything else passes through. Assemble the result with
xtensa-lx106-elf-as --abi-windowed and run it on a windowed core
(qemu-xtensa -cpu dc233c).
"""
import re
import sys

REG = {'sp': 1}
REG.update(('a%d' % i, i) for i in range(16))


def reg(name):
    if name not in REG:
        sys.exit('winasm: not an address register: %r' % name)
    return REG[name]


def emit(word, size=3):
    return '\t.byte ' + ', '.join('0x%02x' % (word >> (8 * i) & 0xFF) for i in range(size))


def entry(ops):
    s, n = reg(ops[0]), int(ops[1], 0)
    if n % 8 or not 0 <= n < 8 * 4096:
        sys.exit('winasm: entry frame size %d is not a multiple of 8 below 32768' % n)
    return [emit(0x36 | s << 8 | (n // 8) << 12)]


def callx(n, ops):
    return [emit(0xC0 | (n // 4) << 4 | reg(ops[0]) << 8)]


def call(n, ops, direct, defined):
    if n == 8 and (direct == 'all' or direct == 'local' and ops[0] in defined):
        return ['\tcall0 %s' % ops[0]]
    return ['\tmovi a%d, %s' % (n, ops[0])] + callx(n, ['a%d' % n])


def translate(line, direct, defined):
    code = line.split('#', 1)[0]
    m = re.match(r'\s*(?:[.\w]+:\s*)?([a-z][a-z0-9.]*)\s*(.*)$', code)
    if not m:
        return [line]
    op = m.group(1)
    ops = [o.strip() for o in m.group(2).split(',')] if m.group(2).strip() else []
    label = code[:m.start(1)].strip()
    out = None
    if op == 'entry':
        out = entry(ops)
    elif op == 'retw':
        out = [emit(0x000090)]
    elif op == 'retw.n':
        out = [emit(0xF01D, 2)]
    elif re.fullmatch(r'callx(4|8|12)', op):
        out = callx(int(op[5:]), ops)
    elif re.fullmatch(r'call(4|8|12)', op):
        out = call(int(op[4:]), ops, direct, defined)
    elif op in ('movsp', 'rotw', 'l32e', 's32e', 'rfwo', 'rfwu'):
        # (gcc emits MOVSP for alloca and frames over 32 KiB: none here)
        sys.exit('winasm: %s is not translated' % op)
    if out is None:
        return [line]
    return ([label] if label else []) + ['\t# winasm: ' + code.strip()] + out


def main():
    args = [a for a in sys.argv[1:] if not a.startswith('--')]
    opts = [a for a in sys.argv[1:] if a.startswith('--')]
    direct = None
    for o in opts:
        if o not in ('--direct-calls=local', '--direct-calls=all'):
            sys.exit('winasm: unknown option %s\n%s' % (o, __doc__))
        direct = o.split('=')[1]
    if len(args) != 2:
        sys.exit(__doc__)
    with open(args[0]) as f:
        lines = f.read().split('\n')
    # labels defined in this file: the targets --direct-calls=local keeps
    defined = {m.group(1) for m in (re.match(r'([\w.$]+):', l) for l in lines) if m}
    out = []
    for line in lines:
        out.extend(translate(line, direct, defined))
    with open(args[1], 'w') as f:
        f.write('\n'.join(out))


if __name__ == '__main__':
    main()
