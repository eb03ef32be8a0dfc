#!/usr/bin/env python3
"""doctest.py - run the examples of README.md and of the man pages as written.

    doctest.py --source SRC --build BUILD [--fw FW.elf] --work DIR readme
    doctest.py --source SRC --build BUILD --work DIR man PAGE...

The rule (README.md's Tests section says it in short):

  README.md  Every 4-space indented block and every fenced block marked
             sh, shell, console (its "$ " lines) or unmarked is a shell
             block and runs. A ```c or ```cmake block is a file: it is
             written, as it stands, to the file an annotation names and
             is used by the commands after it. An annotation is an HTML
             comment on the lines just before the block (blank lines may
             come between):
                 <!-- doc-test: file hello.c -->
                 <!-- doc-test: skip (why) -->
             A c or cmake block without one fails the test, so that no
             example is silently left out. Other fenced blocks (text) are
             not examples.
  man pages  In EXAMPLES (.SH EXAMPLES up to the next .SH), every .EX/.EE
             or .nf/.fi block is a shell block, unless the roff comment
             just before it says
                 .\\" doc-test: file NAME
                 .\\" doc-test: skip (why)
             The block's text is the roff source with the escapes \\e \\-
             \\(dq \\(aq \\& \\(ti \\(ha undone.

Blocks of one document run in order, as in one terminal: each runs in
`bash -e -o pipefail`, and the next starts in the directory the previous
one ended in, with the variables it set. A block fails on a non-zero
status; the test fails when any block fails and prints which ran and which
were skipped, with their reasons.

README.md runs in a copy of the source tree, after a stand-in for
`bash tools/quickstart` (which installs packages, so it is not run): this
build installed into build/prefix (cmake --install) and the sample
firmware in build/fw, where the quick start puts them. A man page runs in
an empty directory with the same install's bin on PATH (prefix/bin), as
after `cmake --install`.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

BLOCK_TIMEOUT = 600
ANNOT_MD = re.compile(r'^<!--\s*doc-test:\s*(file\s+(\S+)|skip\s*(.*?))\s*-->\s*$')
ANNOT_ROFF = re.compile(r'^\.\\"\s*doc-test:\s*(file\s+(\S+)|skip\s*(.*?))\s*$')


class Block:
    def __init__(self, doc, line, kind, text, name=None, reason=None, lang=''):
        self.doc, self.line, self.kind, self.text = doc, line, kind, text
        self.name, self.reason, self.lang = name, reason, lang

    def where(self):
        return '%s:%d' % (self.doc, self.line)


def annotation(regex, lines):
    """The annotation on the lines just before a block (blank ones skipped)."""
    for raw in reversed(lines):
        if not raw.strip():
            continue
        m = regex.match(raw.strip())
        if m:
            if m.group(2):
                return ('file', m.group(2))
            return ('skip', (m.group(3) or '').strip('() ') or 'no reason given')
        return None
    return None


def md_blocks(path):
    doc = os.path.basename(path)
    lines = open(path, encoding='utf-8').read().split('\n')
    blocks, i = [], 0
    while i < len(lines):
        ln = lines[i]
        fence = re.match(r'^(```+|~~~+)\s*([\w+-]*)', ln)
        if fence:
            mark, lang = fence.group(1), fence.group(2).lower()
            start = i + 1
            j = start
            while j < len(lines) and not lines[j].startswith(mark):
                j += 1
            body = lines[start:j]
            ann = annotation(ANNOT_MD, lines[max(0, i - 4):i])
            i = j + 1
            if lang in ('', 'sh', 'shell', 'bash', 'console'):
                if lang == 'console':
                    cmds, cont = [], False
                    for b in body:
                        if b.startswith('$ ') or cont:
                            cmds.append(b[2:] if b.startswith('$ ') and not cont else b)
                            cont = b.endswith('\\')
                    body = cmds
                kind = 'sh'
            elif lang in ('c', 'cmake'):
                kind = lang
            else:
                continue
            blocks.append(make_block(doc, start, kind, body, ann, lang))
            continue
        # an indented block: after a blank line, 4 spaces in, not in a list
        if ln.startswith('    ') and i > 0 and not lines[i - 1].strip():
            start = i
            body = []
            while i < len(lines) and (lines[i].startswith('    ') or not lines[i].strip()):
                body.append(lines[i][4:])
                i += 1
            while body and not body[-1].strip():
                body.pop()
            ann = annotation(ANNOT_MD, lines[max(0, start - 4):start])
            blocks.append(make_block(doc, start + 1, 'sh', body, ann, 'indented'))
            continue
        i += 1
    return blocks


def make_block(doc, line, kind, body, ann, lang):
    text = '\n'.join(body) + '\n'
    if ann and ann[0] == 'skip':
        return Block(doc, line, 'skip', text, reason=ann[1], lang=lang)
    if ann and ann[0] == 'file':
        return Block(doc, line, 'file', text, name=ann[1], lang=lang)
    if kind in ('c', 'cmake'):
        return Block(doc, line, 'error', text, lang=lang,
                     reason='a %s block needs <!-- doc-test: file NAME --> or '
                            '<!-- doc-test: skip (why) -->' % kind)
    return Block(doc, line, 'sh', text, lang=lang)


ROFF_ESCAPES = [('\\e', '\x00'), ('\\-', '-'), ('\\(dq', '"'), ('\\(aq', "'"),
                ('\\(ti', '~'), ('\\(ha', '^'), ('\\&', ''), ('\\(rs', '\x00'),
                ('\\\\', '\x00')]


def unroff(line):
    for a, b in ROFF_ESCAPES:
        line = line.replace(a, b)
    if '\\' in line:
        raise ValueError('roff escape the test does not undo: %r' % line)
    return line.replace('\x00', '\\')


def man_blocks(path):
    doc = os.path.basename(path)
    lines = open(path, encoding='utf-8').read().split('\n')
    blocks, in_ex, i = [], False, 0
    while i < len(lines):
        ln = lines[i]
        if ln.startswith('.SH'):
            in_ex = ln.split(None, 1)[1:] == ['EXAMPLES'] or ln.strip() == '.SH "EXAMPLES"'
        elif in_ex and ln.strip() in ('.EX', '.nf'):
            end = '.EE' if ln.strip() == '.EX' else '.fi'
            start = i + 1
            j = start
            while j < len(lines) and lines[j].strip() != end:
                j += 1
            ann = annotation(ANNOT_ROFF, lines[max(0, i - 4):i])
            body = []
            for b in lines[start:j]:
                if b.startswith('.\\"'):
                    continue
                if b.startswith('.') or b.startswith("'"):
                    raise ValueError('%s:%d: a roff request inside an example: %r' % (doc, j, b))
                body.append(unroff(b))
            blocks.append(make_block(doc, start + 1, 'sh', body, ann, 'roff'))
            i = j
        i += 1
    return blocks


RUNNER = r'''set -eo pipefail
__doctest_base=" $(compgen -v | tr '\n' ' ') "
. "$DOCTEST_STATE"
__doctest_save() {
    local v
    {
        export -p | grep -v -E '^declare -x (PWD|OLDPWD|SHLVL|_)='
        for v in $(compgen -v); do
            case "$__doctest_base" in *" $v "*) continue ;; esac
            case "$v" in __doctest*|BASH*|FUNCNAME|PIPESTATUS|_) continue ;; esac
            declare -p "$v" 2>/dev/null || true
        done
        printf 'cd %q\n' "$PWD"
    } > "$DOCTEST_STATE.new"
    mv "$DOCTEST_STATE.new" "$DOCTEST_STATE"
}
trap __doctest_save EXIT
'''


def run_blocks(blocks, start_dir, env, work):
    state = os.path.join(work, 'state.sh')
    with open(state, 'w') as f:
        f.write('cd %s\n' % sh_quote(start_dir))
    runner = os.path.join(work, 'runner.sh')
    ran, skipped, failed = [], [], []
    for b in blocks:
        if b.kind == 'skip':
            print('SKIP  %s: %s' % (b.where(), b.reason))
            skipped.append(b)
            continue
        if b.kind == 'error':
            print('FAIL  %s: %s' % (b.where(), b.reason))
            failed.append(b)
            continue
        cwd = current_dir(state, start_dir)
        if b.kind == 'file':
            dest = os.path.join(cwd, b.name)
            with open(dest, 'w') as f:
                f.write(b.text)
            print('FILE  %s: %s written to %s' % (b.where(), b.lang, os.path.relpath(dest, work)))
            ran.append(b)
            continue
        with open(runner, 'w') as f:
            f.write(RUNNER + b.text)
        print('RUN   %s (in %s)' % (b.where(), os.path.relpath(cwd, work)))
        for ln in b.text.rstrip('\n').split('\n'):
            print('      | ' + ln)
        sys.stdout.flush()
        e = dict(env, DOCTEST_STATE=state)
        try:
            p = subprocess.run(['bash', runner], env=e, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=BLOCK_TIMEOUT, cwd=cwd)
            out, rc = p.stdout.decode('utf-8', 'replace'), p.returncode
        except subprocess.TimeoutExpired as t:
            out, rc = (t.stdout or b'').decode('utf-8', 'replace'), 'timeout'
        tail = out.rstrip('\n').split('\n')[-40:] if out.strip() else []
        for ln in tail:
            print('      > ' + ln)
        if rc != 0:
            print('FAIL  %s: exit status %s' % (b.where(), rc))
            failed.append(b)
        else:
            print('ok    %s' % b.where())
            ran.append(b)
    return ran, skipped, failed


def current_dir(state, default):
    for ln in open(state):
        if ln.startswith('cd '):
            out = subprocess.run(['bash', '-c', ln.strip() + ' && pwd'], stdout=subprocess.PIPE)
            if out.returncode == 0:
                return out.stdout.decode().strip()
    return default


def sh_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


def check(cmd, what):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode != 0:
        sys.stdout.write(p.stdout.decode('utf-8', 'replace'))
        sys.exit('doctest: %s failed: %s' % (what, ' '.join(cmd)))


CMAKE = 'cmake'


def install(build, prefix):
    shutil.rmtree(prefix, ignore_errors=True)
    check([CMAKE, '--install', build, '--prefix', prefix], 'cmake --install')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--source', required=True)
    ap.add_argument('--build', required=True)
    ap.add_argument('--work', required=True)
    ap.add_argument('--cmake', default='cmake', help='the cmake to install and build with')
    ap.add_argument('--fw', help='the sample firmware fw-an386.elf, if already built')
    ap.add_argument('what', choices=['readme', 'man'])
    ap.add_argument('pages', nargs='*')
    a = ap.parse_args()
    global CMAKE
    CMAKE = a.cmake
    src, work = os.path.abspath(a.source), os.path.abspath(a.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    env = dict(os.environ)
    env.pop('MAKEFLAGS', None)
    env.pop('MFLAGS', None)

    if a.what == 'readme':
        blocks = md_blocks(os.path.join(src, 'README.md'))
        tree = os.path.join(work, 'modpack')
        shutil.copytree(src, tree, symlinks=True,
                        ignore=shutil.ignore_patterns('.git', 'build', 'build-*'))
        print('quick start stand-in: this build installed into build/prefix, '
              'the sample firmware in build/fw (tools/quickstart does both)')
        install(a.build, os.path.join(tree, 'build', 'prefix'))
        fwdir = os.path.join(tree, 'build', 'fw')
        if a.fw and os.path.exists(a.fw):
            os.makedirs(fwdir)
            shutil.copy(a.fw, os.path.join(fwdir, 'fw-an386.elf'))
        else:
            check([CMAKE, '-S', os.path.join(tree, 'samples/firmware/cortex-m'), '-B', fwdir,
                   '-DCMAKE_TOOLCHAIN_FILE=' + os.path.join(tree, 'cmake/toolchain-arm-none-eabi.cmake'),
                   '-DARM_CPU=none'],   # as tools/quickstart: each firmware sets its -mcpu
                  'configuring the sample firmware')
            check([CMAKE, '--build', fwdir, '-j2'], 'building the sample firmware')
        ran, skipped, failed = run_blocks(blocks, tree, env, work)
    else:
        prefix = os.path.join(work, 'prefix')
        install(a.build, prefix)
        env['PATH'] = os.path.join(prefix, 'bin') + os.pathsep + env.get('PATH', '')
        print('man pages: this build installed into %s, its bin first on PATH' % prefix)
        ran, skipped, failed = [], [], []
        for page in a.pages:
            d = os.path.join(work, os.path.basename(page))
            os.makedirs(d)
            r, s, f = run_blocks(man_blocks(page), d, env, d)
            ran, skipped, failed = ran + r, skipped + s, failed + f

    print('\n%d blocks ran, %d skipped, %d failed' % (len(ran), len(skipped), len(failed)))
    for b in skipped:
        print('  skipped %s: %s' % (b.where(), b.reason))
    for b in failed:
        print('  FAILED  %s' % b.where())
    if not ran:
        print('FAIL: no block ran')
        return 1
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
