// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of the view's rewrite of i386 files (lib/view/elfview.c): the
 * 32-bit loader and library aliases, and the i386 C library told armel's
 * obstack defaults. The files are built here, byte by byte: a C library
 * whose _obstack_begin and _obstack_begin_1 hold the code shapes of
 * Debian's glibc 2.36 i386 build, and variants of it. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "accel/exec/layout.h"
#include "accel/view/elfview.h"

/* The two functions as glibc 2.36-9 (i386) has them, shortened: the default
 * size (mov $0xfe0, %esi / %ecx) and the default alignment (mov $-4, %edi;
 * mov $3, %ebp) of each. */
static const unsigned char begin[] = {
	0x55, 0x57, 0x56, 0x53, 0x85, 0xff, 0x74, 0x10, 0x8d, 0x6f, 0xff, 0xf7, 0xdf,
	0x85, 0xc0, 0xbe, 0xe0, 0x0f, 0x00, 0x00, /* mov $0xfe0,%esi */
	0x0f, 0x44, 0xc6, 0x5b, 0x5e, 0x5f, 0x5d, 0xc3,
	0xbf, 0xfc, 0xff, 0xff, 0xff, /* mov $0xfffffffc,%edi */
	0xbd, 0x03, 0x00, 0x00, 0x00, /* mov $0x3,%ebp */
	0xeb, 0xe0,
};
static const unsigned char begin_1[] = {
	0x55, 0x57, 0x56, 0x53, 0x85, 0xf6, 0x74, 0x10, 0x8d, 0x6e, 0xff, 0xf7, 0xde,
	0x85, 0xc0, 0xb9, 0xe0, 0x0f, 0x00, 0x00, /* mov $0xfe0,%ecx */
	0x0f, 0x44, 0xc1, 0x5b, 0x5e, 0x5f, 0x5d, 0xc3,
	0xbe, 0xfc, 0xff, 0xff, 0xff, /* mov $0xfffffffc,%esi */
	0xbd, 0x03, 0x00, 0x00, 0x00, /* mov $0x3,%ebp */
	0xeb, 0xe0,
};

struct spec {
	uint16_t machine;
	const char *soname;
	const unsigned char *f0, *f1; /* NULL: that symbol is left out */
	size_t n0, n1;
	const char *interp;           /* NULL: a library */
	const char *string;           /* one more string in the image */
};

#define OFF_TEXT 0x100
#define OFF_STR 0x200
#define OFF_SYM 0x300
#define OFF_DYN 0x340
#define OFF_INTERP 0x360
#define OFF_SHSTR 0x380
#define OFF_SH 0x400
#define FILE_SIZE (OFF_SH + 6 * sizeof(Elf32_Shdr))

/* An i386 shared object (or program) at vaddr == offset, one PT_LOAD. */
static unsigned char *build(const struct spec *sp, size_t *len)
{
	unsigned char *b = calloc(1, FILE_SIZE);
	Elf32_Ehdr *eh = (Elf32_Ehdr *)(void *)b;
	Elf32_Phdr *ph = (Elf32_Phdr *)(void *)(b + sizeof(*eh));
	Elf32_Sym *sym = (Elf32_Sym *)(void *)(b + OFF_SYM);
	Elf32_Dyn *dyn = (Elf32_Dyn *)(void *)(b + OFF_DYN);
	Elf32_Shdr *sh = (Elf32_Shdr *)(void *)(b + OFF_SH);
	static const char shstr[] = "\0.text\0.dynstr\0.dynsym\0.dynamic\0.shstrtab";
	char *str = (char *)b + OFF_STR;
	size_t s = 1, nsym = 1;
	int nph = 0;

	cr_assert(b);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS32;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_DYN;
	eh->e_machine = sp->machine;
	eh->e_version = EV_CURRENT;
	eh->e_phoff = sizeof(*eh);
	eh->e_shoff = OFF_SH;
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf32_Phdr);
	eh->e_shentsize = sizeof(Elf32_Shdr);
	eh->e_shnum = 6;
	eh->e_shstrndx = 5;
	ph[nph++] = (Elf32_Phdr){.p_type = PT_LOAD, .p_filesz = FILE_SIZE, .p_memsz = FILE_SIZE,
				 .p_flags = PF_R | PF_X, .p_align = 0x1000};
	ph[nph++] = (Elf32_Phdr){.p_type = PT_DYNAMIC, .p_offset = OFF_DYN, .p_vaddr = OFF_DYN,
				 .p_filesz = 2 * sizeof(Elf32_Dyn), .p_memsz = 2 * sizeof(Elf32_Dyn),
				 .p_flags = PF_R};
	if (sp->interp) {
		strcpy((char *)b + OFF_INTERP, sp->interp);
		ph[nph++] = (Elf32_Phdr){.p_type = PT_INTERP, .p_offset = OFF_INTERP,
					 .p_vaddr = OFF_INTERP,
					 .p_filesz = (Elf32_Word)strlen(sp->interp) + 1,
					 .p_memsz = (Elf32_Word)strlen(sp->interp) + 1, .p_flags = PF_R};
	}
	eh->e_phnum = (Elf32_Half)nph;
	/* .text: the two functions, 0x80 apart */
	if (sp->f0)
		memcpy(b + OFF_TEXT, sp->f0, sp->n0);
	if (sp->f1)
		memcpy(b + OFF_TEXT + 0x80, sp->f1, sp->n1);
	if (sp->string)
		strcpy((char *)b + OFF_TEXT + 0xe0, sp->string);
	/* .dynstr, .dynsym, .dynamic */
	strcpy(str + s, sp->soname);
	dyn[0] = (Elf32_Dyn){.d_tag = DT_SONAME, .d_un.d_val = (Elf32_Word)s};
	s += strlen(sp->soname) + 1;
	for (int k = 0; k < 2; k++) {
		const char *name = k ? "_obstack_begin_1" : "_obstack_begin";
		size_t n = k ? sp->n1 : sp->n0;

		if (!(k ? sp->f1 : sp->f0))
			continue;
		strcpy(str + s, name);
		sym[nsym++] = (Elf32_Sym){.st_name = (Elf32_Word)s,
					  .st_value = OFF_TEXT + (k ? 0x80u : 0u),
					  .st_size = (Elf32_Word)n,
					  .st_info = ELF32_ST_INFO(STB_GLOBAL, STT_FUNC), .st_shndx = 1};
		s += strlen(name) + 1;
	}
	dyn[1] = (Elf32_Dyn){.d_tag = DT_NULL};
	memcpy(b + OFF_SHSTR, shstr, sizeof(shstr));
	sh[1] = (Elf32_Shdr){.sh_name = 1, .sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
			     .sh_addr = OFF_TEXT, .sh_offset = OFF_TEXT, .sh_size = 0x100};
	sh[2] = (Elf32_Shdr){.sh_name = 7, .sh_type = SHT_STRTAB, .sh_flags = SHF_ALLOC,
			     .sh_addr = OFF_STR, .sh_offset = OFF_STR, .sh_size = (Elf32_Word)s};
	sh[3] = (Elf32_Shdr){.sh_name = 15, .sh_type = SHT_DYNSYM, .sh_flags = SHF_ALLOC,
			     .sh_addr = OFF_SYM, .sh_offset = OFF_SYM,
			     .sh_size = (Elf32_Word)(nsym * sizeof(Elf32_Sym)), .sh_link = 2,
			     .sh_info = 1, .sh_entsize = sizeof(Elf32_Sym)};
	sh[4] = (Elf32_Shdr){.sh_name = 23, .sh_type = SHT_DYNAMIC, .sh_flags = SHF_ALLOC,
			     .sh_addr = OFF_DYN, .sh_offset = OFF_DYN,
			     .sh_size = 2 * sizeof(Elf32_Dyn), .sh_link = 2,
			     .sh_entsize = sizeof(Elf32_Dyn)};
	sh[5] = (Elf32_Shdr){.sh_name = 32, .sh_type = SHT_STRTAB, .sh_offset = OFF_SHSTR,
			     .sh_size = sizeof(shstr)};
	*len = FILE_SIZE;
	return b;
}

static const struct spec libc = {EM_386, "libc.so.6", begin, begin_1, sizeof(begin),
				 sizeof(begin_1), NULL, NULL};

/* The image as the view serves it: inspected (must pass), patches applied. */
static unsigned char *served(const unsigned char *b, size_t len, struct ac_elf_info *in)
{
	struct ac_err err = {0};
	unsigned char *out = malloc(len);

	cr_assert(out);
	cr_assert_eq(ac_elf_inspect(b, len, in, &err), 0, "%s", err.msg);
	memcpy(out, b, len);
	ac_patch_apply(in->patches, in->npatches, 0, out, len);
	return out;
}

static uint32_t le32(const unsigned char *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

Test(elf32, the_c_library_gets_armel_obstack_defaults)
{
	struct ac_elf_info in;
	size_t len, changed = 0;
	unsigned char *b = build(&libc, &len), *out = served(b, len, &in);

	cr_assert(in.class32);
	for (size_t i = 0; i < len; i++)
		changed += out[i] != b[i];
	/* size 4064 -> 4072, mask -4 -> -8, alignment - 1 3 -> 7, in both */
	for (int k = 0; k < 2; k++) {
		const unsigned char *f = out + OFF_TEXT + (k ? 0x80 : 0);

		cr_assert_eq(le32(f + 16), 4072u, "default chunk size of function %d", k);
		cr_assert_eq(le32(f + 29), 0xfffffff8u, "alignment mask of function %d", k);
		cr_assert_eq(le32(f + 34), 7u, "alignment - 1 of function %d", k);
	}
	cr_assert_eq(changed, 2u * 3u, "one byte per immediate, nothing else: %zu", changed);
	ac_elf_info_free(&in);
	free(out);
	free(b);
}

Test(elf32, an_unknown_obstack_build_is_refused)
{
	unsigned char twice[sizeof(begin) + 5];
	unsigned char none[sizeof(begin)];
	struct spec sp = libc;
	struct ac_elf_info in;
	struct ac_err err = {0};
	size_t len;
	unsigned char *b;

	/* The size immediate twice: which one is the default is unknown. */
	memcpy(twice, begin, sizeof(begin));
	memcpy(twice + sizeof(begin), (const unsigned char[]){0xb8, 0xe0, 0x0f, 0, 0}, 5);
	sp.f0 = twice;
	sp.n0 = sizeof(twice);
	b = build(&sp, &len);
	cr_assert_eq(ac_elf_inspect(b, len, &in, &err), -ENOEXEC);
	cr_assert(strstr(err.msg, "_obstack_begin"), "%s", err.msg);
	free(b);
	/* No alignment pair (another compiler's code). */
	memcpy(none, begin, sizeof(begin));
	none[34] = 0x04;
	sp = libc;
	sp.f1 = none;
	sp.n1 = sizeof(none);
	b = build(&sp, &len);
	cr_assert_eq(ac_elf_inspect(b, len, &in, &err), -ENOEXEC);
	cr_assert(strstr(err.msg, "_obstack_begin_1"), "%s", err.msg);
	free(b);
	/* A C library without _obstack_begin_1. */
	sp = libc;
	sp.f1 = NULL;
	b = build(&sp, &len);
	cr_assert_eq(ac_elf_inspect(b, len, &in, &err), -ENOEXEC);
	cr_assert(strstr(err.msg, "without _obstack_begin_1"), "%s", err.msg);
	free(b);
}

Test(elf32, only_the_c_library_is_changed)
{
	struct spec sp = libc;
	struct ac_elf_info in;
	struct ac_err err = {0};
	size_t len;
	unsigned char *b;

	sp.soname = "libobstack-lookalike.so.1";
	b = build(&sp, &len);
	cr_assert_eq(ac_elf_inspect(b, len, &in, &err), 0, "%s", err.msg);
	cr_assert_eq(in.npatches, 0u);
	ac_elf_info_free(&in);
	free(b);
}

Test(elf32, programs_get_the_32_bit_loader_and_library_aliases)
{
	struct spec sp = {EM_386, "prog", NULL, NULL, 0, 0, AC_HOST32_LDSO,
			  "/usr/lib/i386-linux-gnu/gconv"};
	struct ac_elf_info in;
	size_t len;
	unsigned char *b = build(&sp, &len), *out = served(b, len, &in);

	cr_assert(in.has_interp && in.is_exec && in.class32);
	cr_assert_str_eq((char *)out + OFF_INTERP, AC_VIEW_LDSO32);
	cr_assert_str_eq((char *)out + OFF_TEXT + 0xe0, AC_VIEW_USRLIB32 "/gconv");
	ac_elf_info_free(&in);
	free(out);
	free(b);
	/* The 64-bit names mean nothing to an i386 file: left alone. */
	sp.string = AC_HOST_USRLIB "/gconv";
	b = build(&sp, &len);
	out = served(b, len, &in);
	cr_assert_str_eq((char *)out + OFF_TEXT + 0xe0, AC_HOST_USRLIB "/gconv");
	ac_elf_info_free(&in);
	free(out);
	free(b);
}

Test(elf32, other_32_bit_machines_are_refused)
{
	struct spec sp = libc;
	struct ac_elf_info in;
	struct ac_err err = {0};
	size_t len;
	unsigned char *b;

	sp.machine = EM_ARM;
	b = build(&sp, &len);
	cr_assert_eq(ac_elf_inspect(b, len, &in, &err), -ENOEXEC);
	cr_assert(strstr(err.msg, "i386"), "%s", err.msg);
	free(b);
	/* Truncated inside the section headers. */
	b = build(&libc, &len);
	cr_assert_eq(ac_elf_inspect(b, OFF_SH + 8, &in, &err), -ENOEXEC);
	free(b);
}
