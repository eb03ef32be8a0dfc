#!/usr/bin/env python3
"""elfcat.py - the ELF half of the malformed-input catalogue.

Starts from a real module ELF (catmod.elf: arm-none-eabi-gcc, --emit-relocs)
and makes one thing wrong per case, finding sections, symbols and
relocations by name so that the cases do not depend on a toolchain's
layout. For each case `modpack build` must exit 1, print exactly the
expected message (first line of stderr, "modpack: " and the path taken off;
a trailing "..." means "starts with"), and leave no output file and no
temporary file behind. A table of the cases is in README.md.

usage: elfcat.py --modpack MODPACK --elf catmod.elf --out DIR [--list]
"""
import argparse
import os
import struct
import subprocess
import sys

SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB, SHT_RELA, SHT_DYNAMIC, SHT_NOBITS, SHT_REL = 1, 2, 3, 4, 6, 8, 9
SHT_INIT_ARRAY = 14
SHF_WRITE, SHF_ALLOC, SHF_TLS = 1, 2, 0x400


class Elf:
    """A little-endian ELF32 file that can be edited in place."""

    def __init__(self, data):
        self.d = bytearray(data)
        (self.shoff,) = struct.unpack_from('<I', self.d, 32)
        self.shnum, self.shstrndx = struct.unpack_from('<HH', self.d, 48)

    # header fields
    def set_u8(self, off, v): self.d[off] = v
    def set_u16(self, off, v): struct.pack_into('<H', self.d, off, v)
    def set_u32(self, off, v): struct.pack_into('<I', self.d, off, v & 0xFFFFFFFF)

    # sections: name type flags addr offset size link info addralign entsize
    FIELDS = ['name', 'type', 'flags', 'addr', 'offset', 'size', 'link', 'info', 'align', 'entsize']

    def sh_off(self, i): return self.shoff + 40 * i

    def sh(self, i):
        return dict(zip(self.FIELDS, struct.unpack_from('<10I', self.d, self.sh_off(i))))

    def set_sh(self, i, field, v):
        struct.pack_into('<I', self.d, self.sh_off(i) + 4 * self.FIELDS.index(field), v & 0xFFFFFFFF)

    def cstr(self, off):
        end = self.d.index(0, off)
        return self.d[off:end].decode()

    def sec_name(self, i):
        return self.cstr(self.sh(self.shstrndx)['offset'] + self.sh(i)['name'])

    def sec(self, name):
        for i in range(self.shnum):
            if self.sec_name(i) == name:
                return i
        raise KeyError(name)

    # symbols: name value size info other shndx
    def symtab(self): return self.sec('.symtab')

    def sym_off(self, k): return self.sh(self.symtab())['offset'] + 16 * k

    def nsyms(self): return self.sh(self.symtab())['size'] // 16

    def sym_name(self, k):
        st = self.sh(self.symtab())
        (n,) = struct.unpack_from('<I', self.d, self.sym_off(k))
        return self.cstr(self.sh(st['link'])['offset'] + n)

    def sym(self, name):
        for k in range(1, self.nsyms()):
            if self.sym_name(k) == name:
                return k
        raise KeyError(name)

    def set_sym(self, k, field, v):
        off = self.sym_off(k) + {'name': 0, 'value': 4, 'size': 8}.get(field, 0)
        if field == 'info':
            self.d[self.sym_off(k) + 12] = v
        elif field == 'shndx':
            struct.pack_into('<H', self.d, self.sym_off(k) + 14, v)
        else:
            struct.pack_into('<I', self.d, off, v & 0xFFFFFFFF)

    def get_sym(self, k, field):
        return struct.unpack_from('<I', self.d, self.sym_off(k) + {'name': 0, 'value': 4, 'size': 8}[field])[0]

    # relocations (REL): offset, info = sym << 8 | type
    def rels(self, sec):
        s = self.sh(self.sec(sec))
        return [(s['offset'] + 8 * j,) + struct.unpack_from('<II', self.d, s['offset'] + 8 * j)
                for j in range(s['size'] // 8)]

    def rel_of_sym(self, sec, name, rtype=None):
        k = self.sym(name)
        for at, off, info in self.rels(sec):
            if info >> 8 == k and (rtype is None or info & 0xFF == rtype):
                return at
        raise KeyError((sec, name, rtype))

    def set_rel_type(self, at, t):
        (info,) = struct.unpack_from('<I', self.d, at + 4)
        struct.pack_into('<I', self.d, at + 4, (info & ~0xFF) | t)

    def set_rel_sym(self, at, k):
        (info,) = struct.unpack_from('<I', self.d, at + 4)
        struct.pack_into('<I', self.d, at + 4, (k << 8) | (info & 0xFF))

    def append_to_strtab(self, s):
        """Move .strtab to the end of the file with s added; its offset."""
        i = self.sec('.strtab')
        st = self.sh(i)
        old = bytes(self.d[st['offset']:st['offset'] + st['size']])
        new_off = len(self.d)
        self.d += old + s.encode() + b'\0'
        self.set_sh(i, 'offset', new_off)
        self.set_sh(i, 'size', st['size'] + len(s) + 1)
        return st['size']


def cases(path):
    """(name, mutate(elf) or bytes-maker, extra args, expected message)."""
    P = lambda m: m.replace('PATH', path)
    R_ARM_ABS32, R_ARM_THM_MOVW_ABS_NC, R_ARM_THM_MOVT_ABS = 2, 47, 48
    PIC = 'compile with -fno-pic (or plain -fPIC with gcc)'
    TLS = 'thread-local storage is not supported by modload; remove __thread/_Thread_local variables'
    SB = 'static-base (SB) relative addressing is not supported; do not build with -frwpi/-fropi or a fixed PIC register'
    DYN = 'dynamic relocation in a static module; link without -shared/-pie and without shared libraries'

    def hook(t):  # the data word cat_hook = fw_get, an ABS32, as relocation type t
        return lambda e: e.set_rel_type(e.rel_of_sym('.rel.data', 'fw_get'), t)

    def msgp(t):  # the data word cat_msgp = cat_msg (code), as relocation type t
        return lambda e: e.set_rel_type(e.rel_of_sym('.rel.data', 'cat_msg'), t)

    def sec(name, field, v):
        return lambda e: e.set_sh(e.sec(name), field, v)

    def sym(name, field, v):
        return lambda e: e.set_sym(e.sym(name), field, v)

    def both(*fs):
        def f(e):
            for g in fs:
                g(e)
        return f

    def long_import(e):
        off = e.append_to_strtab('f' * 256)
        e.set_sym(e.sym('fw_get'), 'name', off)

    def overlap(e):
        at = e.rel_of_sym('.rel.data', 'cat_table')
        (o,) = struct.unpack_from('<I', e.d, e.rel_of_sym('.rel.data', 'fw_get'))
        e.set_u32(at, o + 2)

    def movw_elsewhere(e):
        at = e.rel_of_sym('.rel.text', 'fw_get', R_ARM_THM_MOVW_ABS_NC)
        (o,) = struct.unpack_from('<I', e.d, at)
        e.set_u32(at, o + 2)

    bss = lambda e: e.sh(e.sec('.bss'))
    data = lambda e: e.sh(e.sec('.data'))
    return [
        # reading the file (util.c, elf.c)
        ('empty', lambda e: e.d.clear(), [], 'not an ELF file'),
        ('not_elf', lambda e: e.set_u8(1, ord('X')), [], 'not an ELF file'),
        ('class_3', lambda e: e.set_u8(4, 3), [], 'malformed ELF: unknown ELF class 3'),
        ('big_endian', lambda e: e.set_u8(5, 2), [], 'big-endian ELF is not supported (modules are little-endian)'),
        ('data_0', lambda e: e.set_u8(5, 0), [], 'malformed ELF: unknown data encoding 0'),
        ('ident_version_0', lambda e: e.set_u8(6, 0), [], 'malformed ELF: ELF version 0 in e_ident, expected 1'),
        ('header_cut', lambda e: e.d.__delitem__(slice(40, None)), [], 'malformed ELF: truncated ELF header'),
        ('no_sections', both(lambda e: e.set_u32(32, 0), lambda e: e.set_u16(48, 0), lambda e: e.set_u16(50, 0)),
         [], 'ELF has no section headers'),
        ('shoff_past_end', lambda e: e.set_u32(32, len(e.d) + 0x1000), [],
         'malformed ELF: the section headers lie outside the file'),
        ('shstrndx_past', lambda e: e.set_u16(50, 200), [], 'malformed ELF: bad section name table index'),
        ('section_name_past', sec('.data', 'name', 0x7FFFFFF0), [],
         'malformed ELF: section name outside the name table'),
        ('section_past_end', sec('.data', 'offset', 0xFFFFFF00), [], 'malformed ELF: section .data lies outside the file'),
        ('section_size_past_end', sec('.text', 'size', 0x7FFFFFFF), [], 'malformed ELF: section .text lies outside the file'),
        ('align_3', sec('.text', 'align', 3), [], 'malformed ELF: section .text alignment is not a power of two'),
        ('symtab_no_strtab', sec('.symtab', 'link', 0), [], 'malformed ELF: symbol table has no string table'),
        ('symbol_name_past', sym('cat_sum', 'name', 0x7FFFFFF0), [], 'malformed ELF: symbol name outside the string table'),
        ('symbol_shndx_past', sym('cat_sum', 'shndx', 500), [],
         "malformed ELF: symbol 'cat_sum' has section index 500 out of range"),
        ('rel_target_past', sec('.rel.data', 'info', 200), [], 'malformed ELF: .rel.data patches section 200, out of range'),
        ('rel_symbol_past', lambda e: e.set_rel_sym(e.rel_of_sym('.rel.data', 'fw_get'), 0xFFFFFF), [],
         'malformed ELF: .rel.data entry 0 uses symbol 16777215, out of range'),
        # what the input is (lower.c)
        ('machine_mips', lambda e: e.set_u16(18, 8), [], 'ELF machine 8 is not supported (supported: ...'),
        # an executable relabelled ET_REL: its symbol values are addresses,
        # not offsets in their sections, so link.c cannot place them
        ('type_rel', lambda e: e.set_u16(16, 1), [], "malformed ELF: symbol '.rodata' (0x..."),
        ('type_dyn', lambda e: e.set_u16(16, 3), [], 'input is a shared object or PIE (ET_DYN); ...'),
        ('type_core', lambda e: e.set_u16(16, 4), [], 'input is a core file; ...'),
        ('type_other', lambda e: e.set_u16(16, 0xFE00), [], 'input is not an executable; ...'),
        ('no_relocs', both(sec('.rel.text', 'type', SHT_PROGBITS), sec('.rel.data', 'type', SHT_PROGBITS)), [],
         'no relocation sections: link with --emit-relocs (-Wl,-q) so that modpack can relocate the module; ...'),
        # layout (layout.c)
        ('dynamic', sec('.ARM.attributes', 'type', SHT_DYNAMIC), [],
         'section .ARM.attributes: dynamic linking information is not supported here; link a static module '
         '(no -shared, -pie or shared libraries)'),
        ('tls', sec('.data', 'flags', SHF_ALLOC | SHF_WRITE | SHF_TLS), [],
         'section .data holds thread-local variables, which modload does not support; remove __thread/_Thread_local'),
        ('ctor_readonly', both(sec('.data', 'type', SHT_INIT_ARRAY), sec('.data', 'flags', SHF_ALLOC)), [],
         'section .data: a constructor list must be writable data (its entries are relocated); place it in '
         'the data segment as samples/ld/module.ld does'),
        ('beyond_4g', sec('.bss', 'addr', 0xFFFFFFFE), [], 'section .bss lies beyond 4 GiB'),
        ('align_8192', sec('.data', 'align', 8192), [],
         'section .data needs 8192-byte alignment; at most 4096 is supported'),
        ('no_code', both(*[sec(n, 'flags', 0) for n in ('.text', '.rodata', '.data', '.bss')]), [],
         'no code: the module has no allocated read-only section'),
        ('code_misaligned', both(sec('.text', 'addr', 2), sec('.text', 'align', 4)), [],
         'code starts at 0x2, not aligned to its 4-byte alignment'),
        ('bss_below_data', lambda e: e.set_sh(e.sec('.bss'), 'addr', data(e)['addr']), [],
         'bss section .bss (0x80) lies below the end of data section .data (0xa0); bss must come after all data '
         '(see samples/ld/module.ld)'),
        ('data_before_code', both(sec('.data', 'addr', 0), sec('.bss', 'addr', 0x20)), [],
         'data section .data (0x0) overlaps or precedes the code (.text...'),
        ('data_2g_away', lambda e: (e.set_sh(e.sec('.data'), 'addr', data(e)['addr'] + 0x90000000),
                                    e.set_sh(e.sec('.bss'), 'addr', bss(e)['addr'] + 0x90000000)), [],
         'data lies more than 2 GiB after the code'),
        ('data_misaligned', lambda e: (e.set_sh(e.sec('.data'), 'addr', data(e)['addr'] + 2),
                                       e.set_sh(e.sec('.bss'), 'addr', bss(e)['addr'] + 4)), [],
         'data starts at 0x82, not aligned to its 4-byte alignment'),
        ('bss_2g', sec('.bss', 'size', 0x80000000), [], 'module larger than 2 GiB'),
        ('gap_1m', lambda e: e.set_sh(e.sec('.bss'), 'addr', bss(e)['addr'] + 0x100000), [],
         '0x100000 bytes of nothing between section .data (ends at 0xa0) and section .bss (0x1000a0) would be '
         'part of the module; its sections lie together: link with -T samples/ld/module.ld (with a default '
         'linker script: -z max-page-size=64)'),
        # symbols and relocations (lower.c)
        ('rel_in_bss', lambda e: (e.set_sh(e.sec('.rel.data'), 'info', e.sec('.bss')),
                                  e.set_u32(e.rel_of_sym('.rel.data', 'fw_get'), bss(e)['addr'])), [],
         ".bss+0x0: R_ARM_ABS32 against 'fw_get': relocation in a NOBITS (bss) section"),
        ('rel_outside', lambda e: e.set_u32(e.rel_of_sym('.rel.data', 'fw_get'), 0x7FFFFFF0), [],
         'malformed ELF: R_ARM_ABS32 relocation at 0x7ffffff0 lies outside .data'),
        ('rel_last_2_bytes', lambda e: e.set_u32(e.rel_of_sym('.rel.data', 'fw_get'), data(e)['addr'] + data(e)['size'] - 2),
         [], 'malformed ELF: R_ARM_ABS32 relocation at 0x9e lies outside .data'),
        ('fixups_overlap', overlap, [], 'two fixups overlap at data+0x12'),
        ('export_outside', sym('cat_sum', 'value', 0x100001), [],
         "exported symbol 'cat_sum' (0x100001) lies outside its segment"),
        ('exported_twice', lambda e: e.set_sym(e.sym('cat_hook'), 'name', e.get_sym(e.sym('cat_ptrs'), 'name')), [],
         "symbol 'cat_ptrs' is exported twice"),
        ('entry_undefined', lambda e: None, ['--entry', 'no_such_fn'], "symbol 'no_such_fn' is not defined"),
        ('entry_in_data', lambda e: None, ['--entry', 'cat_table'], "'cat_table' is not a function in the code segment"),
        ('exit_undefined', lambda e: None, ['--exit', 'no_such_fn'], "symbol 'no_such_fn' is not defined"),
        ('import_unnamed', sym('fw_get', 'name', 0), [],
         ".text+0x12: R_ARM_THM_MOVW_ABS_NC against '': undefined symbol without a name"),
        ('import_256', long_import, [], ".text+0x12: R_ARM_THM_MOVW_ABS_NC against '" + 'f' * 256 +
         "': import names are limited to 255 bytes"),
        ('common', sym('fw_counter', 'shndx', 0xFFF2), [],
         ".text+0x8: R_ARM_THM_MOVW_ABS_NC against 'fw_counter': common symbol left unallocated; compile with -fno-common"),
        ('symbol_not_loaded', lambda e: e.set_sym(e.sym('cat_table'), 'shndx', e.sec('.ARM.attributes')), [],
         ".data+0x14: R_ARM_ABS32 against 'cat_table': the symbol is in a section that is not part of the loaded module"),
        # the ARM allow-list (src/modpack/isa/arm/lower.c), on the data word cat_hook = fw_get
        ('rela', both(sec('.rel.data', 'type', SHT_RELA), sec('.rel.data', 'size', 24)), [], '.rel.data: RELA relocations are not used on ARM'),
        ('reloc_unknown', hook(250), [],
         ".data+0x10: R_ARM_<250> against 'fw_get': unknown relocation type; report it to the modpack authors"),
        ('reloc_tls', hook(108), [], ".data+0x10: R_ARM_TLS_LE32 against 'fw_get': " + TLS),
        ('reloc_sb', hook(9), [], ".data+0x10: R_ARM_SBREL32 against 'fw_get': " + SB),
        ('reloc_dynamic', hook(21), [], ".data+0x10: R_ARM_GLOB_DAT against 'fw_get': " + DYN),
        ('reloc_irelative', hook(160), [], ".data+0x10: R_ARM_IRELATIVE against 'fw_get': "
         "dynamic relocation in a static module; do not use ifunc"),
        ('reloc_got12', hook(97), [], ".data+0x10: R_ARM_GOT_BREL12 against 'fw_get': "
         "GOT offsets encoded in instructions are not supported; " + PIC),
        ('reloc_got_abs', hook(95), [], ".data+0x10: R_ARM_GOT_ABS against 'fw_get': "
         "absolute GOT address cannot be relocated; " + PIC),
        ('reloc_base_abs', hook(31), [], ".data+0x10: R_ARM_BASE_ABS against 'fw_get': "
         "absolute GOT address cannot be relocated; " + PIC),
        ('reloc_plt_abs', hook(94), [], ".data+0x10: R_ARM_PLT32_ABS against 'fw_get': "
         "absolute PLT address cannot be relocated; " + DYN.split('; ')[1]),
        ('reloc_gotrelax', hook(99), [], ".data+0x10: R_ARM_GOTRELAX against 'fw_get': "
         "GOT relaxation is not supported; " + PIC),
        ('reloc_obsolete', hook(128), [], ".data+0x10: R_ARM_ME_TOO against 'fw_get': "
         "obsolete relocation; rebuild with a current toolchain"),
        ('reloc_purecode', hook(132), [], ".data+0x10: R_ARM_THM_ALU_ABS_G0_NC against 'fw_get': an address built "
         "from 8-bit pieces (execute-only Armv6-M code) cannot be relocated; compile without -mpure-code"),
        ('reloc_abs16', hook(5), [], ".data+0x10: R_ARM_ABS16 against 'fw_get': a field narrower than 32 bits "
         "cannot hold a relocatable address; store the address in a 32-bit word"),
        ('reloc_gotoff', msgp(24), [], ".data+0x1c: R_ARM_GOTOFF32 against 'cat_msg': "
         "_GLOBAL_OFFSET_TABLE_ is not defined in the module; " + PIC),
        ('reloc_got_prel', hook(96), [], ".data+0x10: R_ARM_GOT_PREL against 'fw_get': no GOT slot holds the symbol; "
         "compile with -fno-pic, or with gcc -fPIC, which uses R_ARM_GOT_BREL"),
        ('reloc_prel_import', hook(3), [], ".data+0x10: R_ARM_REL32 against 'fw_get': a PC-relative reference cannot "
         "reach an import (its address is known only at load time); the reference must go through a data word: "
         "compile with -mlong-calls, -mword-relocations or -fno-pic"),
        ('reloc_branch_import', hook(51), [], ".data+0x10: R_ARM_THM_JUMP19 against 'fw_get': a PC-relative reference "
         "cannot reach an import (its address is known only at load time); compile with -mlong-calls "
         "(or -fno-optimize-sibling-calls) so that firmware is reached by BL or through a register"),
        ('reloc_target2', lambda e: (msgp(41)(e), e.set_rel_sym(e.rel_of_sym('.rel.data', 'cat_msg'), e.sym('cat_table'))),
         [], ".data+0x1c: R_ARM_TARGET2 against 'cat_table': cannot tell whether the linker "
         "resolved it as absolute or relative; link with --target2=abs"),
        ('movt_missing', lambda e: e.set_rel_type(e.rel_of_sym('.rel.text', 'fw_get', R_ARM_THM_MOVT_ABS), 0), [],
         ".text+0x12: R_ARM_THM_MOVW_ABS_NC against 'fw_get': MOVW/MOVT half without its partner in the same "
         "section; the address cannot be relocated as one 32-bit value; compile with -mword-relocations (gcc) "
         "or -mno-movt (clang)"),
        ('movw_not_movw', movw_elsewhere, [], ".text+0x14: R_ARM_THM_MOVW_ABS_NC against 'fw_get': "
         "the site does not hold a MOVW instruction"),
        # options and output (encode.c, output.c)
        ('description_64k', lambda e: None, ['--description', 'd' * 70000], 'metadata string too long (70001 bytes)'),
        ('output_no_dir', lambda e: None, ['-o', 'no/such/dir/x.mod'],
         'no/such/dir/x.mod: cannot create a temporary file next to it: No such file or directory'),
        ('output_no_name', lambda e: None, ['-o', 'nodir/'], 'nodir/: not a file name'),
        ('input_missing', None, [], 'No such file or directory'),
        ('input_directory', None, [], 'Is a directory'),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--modpack', required=True)
    ap.add_argument('--elf', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--list', action='store_true', help='print the table (markdown) and stop')
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    base = open(a.elf, 'rb').read()
    failed = 0
    table = []
    for name, mutate, extra, want in cases('x'):
        path = os.path.join(a.out, name + '.elf')
        if name == 'input_missing':
            path = os.path.join(a.out, 'no-such-file.elf')
            if os.path.exists(path):
                os.unlink(path)
        elif name == 'input_directory':
            path = os.path.join(a.out, 'a-directory.elf')
            os.makedirs(path, exist_ok=True)
        else:
            e = Elf(base)
            mutate(e)
            with open(path, 'wb') as f:
                f.write(e.d)
        work = os.path.join(a.out, name + '.d')
        os.makedirs(work, exist_ok=True)
        for f in os.listdir(work):
            os.unlink(os.path.join(work, f))
        args = [a.modpack, 'build', os.path.abspath(path)]
        if '-o' not in extra:
            args += ['-o', 'out.mod']
        args += extra
        r = subprocess.run(args, cwd=work, capture_output=True, text=True)
        line = r.stderr.split('\n')[0]
        prefix = 'modpack: ' + os.path.abspath(path) + ': '
        got = line[len(prefix):] if line.startswith(prefix) else line[len('modpack: '):] if line.startswith('modpack: ') else line
        ok = r.returncode == 1 and (got.startswith(want[:-3]) if want.endswith('...') else got == want)
        left = os.listdir(work)
        table.append((name, ' '.join(x if len(x) < 40 else x[:12] + '...' for x in extra), want))
        if not ok or left:
            failed += 1
            print('FAIL %s: exit %d, files left %s\n  got:  %s\n  want: %s' % (name, r.returncode, left, got, want))
        else:
            print('ok   %-22s %s' % (name, got if len(got) < 100 else got[:97] + '...'))
    if a.list:
        print('| case | options | message |\n|---|---|---|')
        for n, x, w in table:
            print('| %s | %s | %s |' % (n, x.replace('|', '\\|'), w.replace('|', '\\|')))
    print('%d ELF cases, %d failed' % (len(table), failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
