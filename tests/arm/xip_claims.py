#!/usr/bin/env python3
"""xip_claims.py - every image of the build that claims XIP runs in place.

Usage: xip_claims.py MODPACK QEMU FW_AN385 FW_AN386 BUILD_DIR

Each .mod the build made under BUILD_DIR (not the scratch images tests
write when they run, in their work/ and reject/ directories) that modpack
inspect reads and whose flags say xip is run by the Cortex-M test firmware's xip command under
qemu-system-arm: its code from the flash partition, its data in RAM far
from where one region would put it, and every value the test module
computes checked (tests/harness/testfw.c, mode_xip). An image that claims
xip and is not an ARM build of the test module fails: nothing here could
prove its claim. Prints one line per image; exit status 0 only when every
claim held and at least one was tried.
"""
import json
import os
import subprocess
import sys


def main():
    modpack, qemu, fw_m0, fw_m4, build = sys.argv[1:6]
    claims = []
    for root, dirs, files in os.walk(build):
        dirs[:] = sorted(d for d in dirs if d not in ('work', 'reject'))
        for f in sorted(files):
            if not f.endswith('.mod'):
                continue
            path = os.path.join(root, f)
            r = subprocess.run([modpack, 'inspect', '--json', path], capture_output=True, text=True)
            try:
                j = json.loads(r.stdout)
            except ValueError:
                continue  # not an image modpack reads (the malformed catalogue)
            if j.get('ok') and 'xip' in j.get('flags', []):
                claims.append((path, j))
    failed = 0
    for path, j in claims:
        rel = os.path.relpath(path, build)
        imports = {i['name'] for i in j.get('imports', [])}
        if j['arch'] != 'arm' or 'fw_record' not in imports:
            print('FAIL %s claims xip (%s); no firmware here runs it in place' % (rel, j['arch']))
            failed += 1
            continue
        board, fw = ('an386', fw_m4) if 'thumb-2' in j['arch_flag_names'] else ('an385', fw_m0)
        r = subprocess.run([qemu, '-M', 'mps2-' + board, '-nographic', '-monitor', 'none',
                            '-serial', 'none', '-no-reboot', '-kernel', fw, '-semihosting-config',
                            'enable=on,target=native,arg=fw,arg=xip,arg=' + path],
                           capture_output=True, text=True, timeout=120)
        out = r.stdout + r.stderr
        ok = r.returncode == 0 and 'FAIL' not in out and 'xip: code at' in out
        print('%s %s in place on %s' % ('ok  ' if ok else 'FAIL', rel, board))
        if not ok:
            print(out)
            failed += 1
    print('%d images claim xip, %d ran in place, %d failed' % (len(claims), len(claims) - failed, failed))
    return 0 if claims and not failed else 1


if __name__ == '__main__':
    sys.exit(main())
