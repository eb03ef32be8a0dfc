#!/usr/bin/env python3
"""table.py - every differential test of the build, summed up in one table.

    table.py BUILD_DIR

Runs each differential test (ctest --show-only=json-v1 gives the
commands: diff.arm, diff.i386, diff.x86-64, diff.riscv32, diff.riscv64,
diff.xtensa, rel.diff.*, rel.gotdiff.*, dyn.diff.*), reads the rows it
prints (`... ok (...)` / `name@base ok: ...`, anything else with FAIL is a
failure) and prints one row per ISA x input kind x toolchain: how many
module x base comparisons ran and how many matched. Fails when a test fails,
when a row fails, or when a test printed no row at all.
"""
import json
import os
import re
import subprocess
import sys
from collections import defaultdict

DIFF_TESTS = r'^(diff\.(arm|i386|x86-64|riscv32|riscv64|xtensa)|rel\.(got)?diff\..*|dyn\.diff\..*)$'

# Matched in order against "cpu module test" of a row.
ISA_OF_ROW = [
    (r'cortex-m0|(^|[-_ ])m0([-_ ]|$)|thumbv6', 'arm-v6m'),
    (r'cortex-m|(^|[-_ ])m4([-_ ]|$)|(^|[ .])arm', 'arm-v7m'),
    (r'rv64', 'rv64'),
    (r'rv32|riscv', 'rv32'),
    (r'windowed', 'xtensa-win'),
    (r'lx106|xtensa', 'xtensa-call0'),
    (r'x86-64|x64', 'x86-64'),
    (r'i386|i686', 'i386'),
]


def isa_of(cpu, module, test):
    row = ' '.join((cpu, module, test))
    for pat, name in ISA_OF_ROW:
        if re.search(pat, row):
            return name
    return '?'


def input_of(test):
    if test.startswith('rel.'):
        return 'object'
    if test.startswith('dyn.'):
        return 'shared'
    return 'executable'


def toolchain_of(text):
    cc = 'clang' if 'clang' in text else 'gcc'
    ld = 'ld.lld' if 'lld' in text else 'GNU ld'
    return cc + ' + ' + ld


def main():
    build = sys.argv[1]
    listing = subprocess.run(['ctest', '--test-dir', build, '--show-only=json-v1', '-R', DIFF_TESTS],
                             capture_output=True, text=True, check=True)
    tests = json.loads(listing.stdout)['tests']
    rows = defaultdict(lambda: [0, 0])  # (isa, input, toolchain) -> [compared, matched]
    bad = []
    for t in tests:
        name = t['name']
        if name == 'diff.table':
            continue
        props = {p['name']: p['value'] for p in t.get('properties', [])}
        env = dict(os.environ)
        for kv in props.get('ENVIRONMENT', []):
            k, _, v = kv.partition('=')
            env[k] = v
        r = subprocess.run(t['command'], cwd=props.get('WORKING_DIRECTORY', build), env=env,
                           capture_output=True, text=True)
        seen = 0
        for line in r.stdout.splitlines():
            m = re.match(r'(\S+)\s+(\S+)\s+(.*?)\s+\d+\s+\d+\s+0x[0-9a-fA-F]+\s+(ok|FAIL)', line)
            g = re.match(r'(\S+)@0x[0-9A-Fa-f]+\s+(ok|FAIL)', line)
            if m:
                module, cpu, opts, verdict = m.groups()
            elif g:
                module, verdict = g.groups()
                cpu, opts = '', module
            else:
                if 'FAIL' in line:
                    bad.append('%s: %s' % (name, line))
                continue
            seen += 1
            key = (isa_of(cpu, module, name), input_of(name), toolchain_of(module + ' ' + opts))
            rows[key][0] += 1
            rows[key][1] += verdict == 'ok'
            if verdict != 'ok':
                bad.append('%s: %s' % (name, line))
        if r.returncode != 0:
            bad.append('%s: exit status %d' % (name, r.returncode))
        if seen == 0:
            bad.append('%s: printed no comparison' % name)

    print('differential test, every ISA x input x toolchain: the image placed at a base')
    print('by modload compared byte for byte with the linker\'s output at that base')
    print('%-12s %-11s %-17s %9s %8s' % ('isa', 'input', 'toolchain', 'compared', 'matched'))
    for (isa, kind, tc), (n, ok) in sorted(rows.items()):
        print('%-12s %-11s %-17s %9d %8d' % (isa, kind, tc, n, ok))
    total = sum(v[0] for v in rows.values())
    print('%-42s %9d %8d' % ('all', total, sum(v[1] for v in rows.values())))
    for b in bad:
        print('FAIL:', b)
    return 1 if bad or not rows else 0


if __name__ == '__main__':
    sys.exit(main())
