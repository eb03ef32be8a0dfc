#!/usr/bin/env python3
"""run.py - bounded cost: modpack's time and memory grow linearly with the
input. Builds two generated ELFs (genelf.py), N and 4N relocations, and
checks that the larger one costs at most about 4x the time and memory of
the smaller, and at most a fixed multiple of its size in memory.

    run.py --modpack MODPACK --work DIR [--relocs N] [--scale-imports] [--single]

--scale-imports gives each ELF one distinct import per four relocations,
so that the number of imports grows with the input too.

--single runs one size only and prints its figures (for the big run in
README: --relocs 20000000 makes a ~330 MB ELF).
"""
import argparse
import os
import resource
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))


def measure(modpack, work, n, imports, pairs):
    elf = os.path.join(work, 'big-%d.elf' % n)
    subprocess.run([sys.executable, os.path.join(here, 'genelf.py'), elf, '--relocs', str(n),
                    '--imports', str(imports), '--pairs', str(pairs)], check=True)
    size = os.path.getsize(elf)
    out = os.path.join(work, 'big-%d.mod' % n)
    # max RSS of this one child: run it under a fresh python so that
    # RUSAGE_CHILDREN holds only it
    probe = ('import resource,subprocess,sys,time;t=time.time();'
             'r=subprocess.run(sys.argv[1:]).returncode;'
             'print(r, time.time()-t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)')
    r = subprocess.run([sys.executable, '-c', probe, modpack, 'build', elf, '-o', out],
                       capture_output=True, text=True, check=True)
    rc, secs, rss_kb = r.stdout.split()
    if rc != '0':
        sys.exit('modpack build failed on %s:\n%s' % (elf, r.stderr))
    v = subprocess.run([modpack, 'verify', out], capture_output=True, text=True)
    if v.returncode != 0:
        sys.exit('the image does not verify: %s' % v.stderr)
    secs, rss = float(secs), int(rss_kb) * 1024
    print('%9d relocations, %4d imports, %7d MOVW/MOVT pairs: ELF %6.1f MB, image %6.1f MB, '
          '%6.2f s, max RSS %6.1f MB (%.1f x the ELF)'
          % (n + 2 * pairs, imports, pairs, size / 1e6, os.path.getsize(out) / 1e6, secs, rss / 1e6, rss / size))
    os.unlink(elf)
    os.unlink(out)
    return size, secs, rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--modpack', required=True)
    ap.add_argument('--work', required=True)
    ap.add_argument('--relocs', type=int, default=400000)
    ap.add_argument('--imports', type=int, default=64)
    ap.add_argument('--scale-imports', action='store_true')
    ap.add_argument('--single', action='store_true')
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    n = a.relocs

    def imports(relocs):
        return relocs // 4 if a.scale_imports else a.imports

    if a.single:
        measure(a.modpack, a.work, n, imports(n), n // 16)
        return 0
    s1, t1, m1 = measure(a.modpack, a.work, n, imports(n), n // 16)
    s4, t4, m4 = measure(a.modpack, a.work, 4 * n, imports(4 * n), 4 * n // 16)
    bad = []
    # 4x the input: allow up to 6x the time (noise, caches) and 5x the memory
    if t4 > 6 * t1 + 1.0:
        bad.append('time grows faster than the input: %.2f s -> %.2f s' % (t1, t4))
    if m4 > 5 * m1:
        bad.append('memory grows faster than the input: %.1f MB -> %.1f MB' % (m1 / 1e6, m4 / 1e6))
    if m4 > 40 * s4 + 200e6:   # ASan builds included
        bad.append('memory %.1f MB for a %.1f MB input' % (m4 / 1e6, s4 / 1e6))
    for b in bad:
        print('FAIL:', b)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
