// SPDX-License-Identifier: GPL-2.0-or-later
/* Reading and rewriting host ELF files for the view; see accel/view/elfview.h. */
#include "config.h"

#include "accel/view/elfview.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(AC_VIEW_LDSO) <= sizeof("/lib64/ld-linux-x86-64.so.2"),
	       "the view's loader path must fit in place of the standard PT_INTERP");
_Static_assert(sizeof(AC_VIEW_USRLIB) == sizeof(AC_HOST_USRLIB), "same-length alias");
_Static_assert(sizeof(AC_VIEW_LIB) == sizeof(AC_HOST_LIB), "same-length alias");
_Static_assert(sizeof(AC_VIEW_LDSO32) <= sizeof(AC_HOST32_LDSO),
	       "the view's 32-bit loader path must fit in place of the standard PT_INTERP");
_Static_assert(sizeof(AC_VIEW_USRLIB32) == sizeof(AC_HOST32_USRLIB), "same-length alias");
_Static_assert(sizeof(AC_VIEW_LIB32) == sizeof(AC_HOST32_LIB), "same-length alias");

/* The host ABI of a file: its loader and multiarch directories, and their
 * aliases in the view. */
struct abi {
	const char *ldso, *lib, *usrlib, *loader_soname;
	const char *view_lib, *view_usrlib;
};
static const struct abi abi64 = {AC_VIEW_LDSO, AC_HOST_LIB, AC_HOST_USRLIB,
				 AC_HOST_LOADER_SONAME, AC_VIEW_LIB, AC_VIEW_USRLIB};
static const struct abi abi32 = {AC_VIEW_LDSO32, AC_HOST32_LIB, AC_HOST32_USRLIB,
				 AC_HOST32_LOADER_SONAME, AC_VIEW_LIB32, AC_VIEW_USRLIB32};

/* The loader's own files: the root's cache and preload list are armel
 * files; the view gives the host loader none (a directory reads as an empty
 * cache, and nothing is served under the preload name). */
#define HOST_CACHE "/etc/ld.so.cache"
#define VIEW_CACHE AC_VIEW_DIR AC_RESERVED_DIR "/"
#define HOST_PRELOAD "/etc/ld.so.preload"
#define VIEW_PRELOAD AC_VIEW_DIR AC_RESERVED_DIR "/np"
_Static_assert(sizeof(VIEW_CACHE) == sizeof(HOST_CACHE), "same-length alias");
_Static_assert(sizeof(VIEW_PRELOAD) == sizeof(HOST_PRELOAD), "same-length alias");

/* Every refusal of a file is -ENOEXEC, with the reason in err. */
#define fail(err, ...) ac_fail((err), -ENOEXEC, __VA_ARGS__)

int ac_patch_add(struct ac_elf_info *info, uint64_t off, const char *data, size_t len)
{
	struct ac_patch *p;

	if (len > AC_PATCH_MAX)
		return -EINVAL;
	if (info->npatches >= AC_ELF_MAX_PATCHES)
		return -E2BIG;
	if (info->npatches == info->patch_cap) {
		size_t cap = info->patch_cap ? info->patch_cap * 2 : 16;

		if (cap > AC_ELF_MAX_PATCHES)
			cap = AC_ELF_MAX_PATCHES;
		p = realloc(info->patches, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		info->patches = p;
		info->patch_cap = cap;
	}
	p = &info->patches[info->npatches++];
	p->off = off;
	p->len = (uint32_t)len;
	memcpy(p->data, data, len);
	return 0;
}

/* Bytes that may precede a path inside a string (start of string, a list or
 * an assignment) and that may follow a directory name. */
static int path_start(const unsigned char *buf, size_t at)
{
	unsigned char c = at ? buf[at - 1] : 0;

	/* Not the tail of a longer path (/usr/local/lib/x86_64-linux-gnu). */
	return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		 (c && strchr("._-+~/@$", c)));
}

static int dir_end(const unsigned char *buf, size_t len, size_t at)
{
	return at == len || buf[at] == '/' || buf[at] == '\0' || buf[at] == ':';
}

/* Every host multiarch path in the image gets its same-length view alias.
 * Returns the number of patches added or -errno. */
static int plan_prefixes(const unsigned char *buf, size_t len, const struct abi *abi,
			 struct ac_elf_info *info, int *nlib, int *nusrlib)
{
	const char *lib = abi->lib;
	const size_t ll = strlen(lib), ul = strlen(abi->usrlib);
	size_t at = 0;
	int err;

	while (at + ll <= len) {
		const unsigned char *hit = memmem(buf + at, len - at, lib, ll);
		size_t p, start, end;
		int usr;

		if (!hit)
			break;
		p = (size_t)(hit - buf);
		usr = p >= 4 && !memcmp(buf + p - 4, "/usr", 4);
		start = usr ? p - 4 : p;
		end = start + (usr ? ul : ll);
		if (path_start(buf, start) && dir_end(buf, len, end)) {
			if (usr)
				err = ac_patch_add(info, start, abi->view_usrlib, ul);
			else
				err = ac_patch_add(info, start, abi->view_lib, ll);
			if (err)
				return err;
			++*(usr ? nusrlib : nlib);
		}
		at = p + ll;
	}
	return 0;
}

/* BFD's plugin directory of a foreign target, "/usr/lib/TRIPLET/bfd-plugins"
 * as a whole string (TRIPLET a plain name, not the host's own, which the
 * multiarch alias covers), becomes AC_VIEW_BFD_PLUGINS. Returns how many or
 * -errno. */
static int plan_plugin_dirs(const unsigned char *buf, size_t len, struct ac_elf_info *info)
{
	static const char tail[] = "/bfd-plugins";
	static const char head[] = "/usr/lib/";
	const size_t tl = sizeof(tail); /* with its NUL */
	const size_t hl = sizeof(head) - 1;
	int n = 0, err;

	for (size_t at = 0; at + tl <= len;) {
		const unsigned char *hit = memmem(buf + at, len - at, tail, tl);
		size_t p, start;

		if (!hit)
			break;
		p = (size_t)(hit - buf);
		at = p + tl;
		start = p;
		while (start && buf[start - 1] && buf[start - 1] != '/' && p - start < 64)
			start--;
		/* start: the triplet's first byte; the string must begin hl before. */
		if (start == p || start < hl || memcmp(buf + start - hl, head, hl))
			continue;
		start -= hl;
		if ((start && buf[start - 1]) || p + tl - start < sizeof(AC_VIEW_BFD_PLUGINS) ||
		    !memcmp(buf + start, AC_HOST_USRLIB "/", sizeof(AC_HOST_USRLIB)))
			continue;
		if ((err = ac_patch_add(info, start, AC_VIEW_BFD_PLUGINS,
					sizeof(AC_VIEW_BFD_PLUGINS))))
			return err;
		n++;
	}
	return n;
}

/* Every NUL-terminated occurrence of from (with a path start before it)
 * becomes to, of the same length. Returns how many or -errno. */
static int plan_string(const unsigned char *buf, size_t len, const char *from, const char *to,
		       struct ac_elf_info *info)
{
	size_t fl = strlen(from) + 1, at = 0;
	int n = 0, err;

	while (at + fl <= len) {
		const unsigned char *hit = memmem(buf + at, len - at, from, fl);
		size_t p;

		if (!hit)
			break;
		p = (size_t)(hit - buf);
		if (path_start(buf, p)) {
			if ((err = ac_patch_add(info, p, to, fl)))
				return err;
			n++;
		}
		at = p + fl;
	}
	return n;
}

void ac_patch_drop(struct ac_elf_info *info, uint64_t off, size_t len)
{
	size_t k = 0;

	for (size_t i = 0; i < info->npatches; i++)
		if (info->patches[i].off < off ||
		    info->patches[i].off + info->patches[i].len > off + len)
			info->patches[k++] = info->patches[i];
	info->npatches = k;
}

static int cmp_patch(const void *a, const void *b)
{
	const struct ac_patch *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* The plan as ac_patch_apply() wants it: sorted by offset; and trimmed,
 * because the daemon keeps the plans of every served file. */
void ac_patch_finish(struct ac_elf_info *info)
{
	struct ac_patch *fit;

	if (!info->npatches)
		return;
	qsort(info->patches, info->npatches, sizeof(*info->patches), cmp_patch);
	fit = realloc(info->patches, info->npatches * sizeof(*fit));
	if (fit) {
		info->patches = fit;
		info->patch_cap = info->npatches;
	}
}

/* DT_NEEDED and DT_SONAME from the dynamic section(s). */
static int read_dynamic(Elf *e, struct ac_elf_info *info, struct ac_err *err)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		size_t count;

		if (!gelf_getshdr(scn, &sh))
			return fail(err, "bad section header: %s", elf_errmsg(-1));
		if (sh.sh_type != SHT_DYNAMIC)
			continue;
		if (!sh.sh_entsize || !(data = elf_getdata(scn, NULL)))
			return fail(err, "unreadable dynamic section: %s", elf_errmsg(-1));
		count = data->d_size / sh.sh_entsize;
		for (size_t i = 0; i < count; i++) {
			GElf_Dyn dyn;
			const char *s;

			if (!gelf_getdyn(data, (int)i, &dyn))
				return fail(err, "bad dynamic entry: %s", elf_errmsg(-1));
			if (dyn.d_tag == DT_NULL)
				break;
			if (dyn.d_tag != DT_NEEDED && dyn.d_tag != DT_SONAME)
				continue;
			s = elf_strptr(e, sh.sh_link, dyn.d_un.d_val);
			if (!s)
				return fail(err, "dynamic string out of bounds: %s",
					    elf_errmsg(-1));
			/* Names, not paths: the view serves libraries by name. */
			if (!*s || strlen(s) >= sizeof(info->soname) || strchr(s, '/'))
				return fail(err, "%s '%.64s' is not a plain library name",
					    dyn.d_tag == DT_NEEDED ? "DT_NEEDED" : "DT_SONAME", s);
			if (dyn.d_tag == DT_SONAME) {
				strcpy(info->soname, s);
				continue;
			}
			if (info->nneeded >= AC_ELF_MAX_NEEDED)
				return fail(err, "more than %d DT_NEEDED entries",
					    AC_ELF_MAX_NEEDED);
			if (!(info->needed[info->nneeded] = strdup(s)))
				return -ENOMEM;
			info->nneeded++;
		}
	}
	return 0;
}

/*
 * The i386 C library's obstack defaults told the armel way. GNU as puts its
 * frags in obstacks of the default chunk size and alignment (obstack_begin
 * with size 0 and alignment 0), and where a chunk runs out decides where a
 * frag ends, which changes the bytes of .debug_line (kbuild-notes/toolchain.md).
 * glibc computes both from the C ABI: 4072 bytes and 8 on armel (EABI aligns
 * long double and uintmax_t to 8), 4064 and 4 on i386. In _obstack_begin and
 * _obstack_begin_1 of the i386 build, the default size is one immediate move
 * (mov $0xfe0, r32) and the default alignment two (mov $-4, r32; mov $3, r32,
 * mask and alignment - 1, next to each other): each must be there exactly
 * once in each function, or the file is refused (an unknown build of glibc
 * would give a different as).
 */
#define OBSTACK_SIZE_I386 0xfe0u  /* 4064 */
#define OBSTACK_SIZE_ARMEL 0xfe8u /* 4072 */

/* File offset of virtual address va, for n bytes inside one PT_LOAD. */
static int64_t va_offset(Elf *e, size_t phnum, uint64_t va, uint64_t n)
{
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (va >= ph.p_vaddr && n <= ph.p_filesz && va - ph.p_vaddr <= ph.p_filesz - n)
			return (int64_t)(ph.p_offset + (va - ph.p_vaddr));
	}
	return -1;
}

static int le32_is(const unsigned char *p, uint32_t v)
{
	return p[0] == (v & 0xff) && p[1] == ((v >> 8) & 0xff) && p[2] == ((v >> 16) & 0xff) &&
	       p[3] == v >> 24;
}

/* Plan the rewrite of one obstack function's code at off, n bytes. */
static int obstack_function(const unsigned char *buf, uint64_t off, uint64_t n,
			    struct ac_elf_info *info)
{
	uint64_t size_at = 0, align_at = 0;
	int nsize = 0, nalign = 0, r;

	for (uint64_t i = 0; i + 5 <= n; i++) {
		const unsigned char *c = buf + off + i;

		if (c[0] < 0xb8 || c[0] > 0xbf) /* mov $imm32, r32 */
			continue;
		if (le32_is(c + 1, OBSTACK_SIZE_I386)) {
			nsize++;
			size_at = off + i + 1;
		} else if (i + 10 <= n && le32_is(c + 1, 0xfffffffcu) && c[5] >= 0xb8 &&
			   c[5] <= 0xbf && le32_is(c + 6, 3)) {
			nalign++;
			align_at = off + i + 1;
		}
	}
	if (nsize != 1 || nalign != 1)
		return -ENOEXEC;
	{
		const char size[4] = {(char)(OBSTACK_SIZE_ARMEL & 0xff), 0x0f, 0, 0};
		const char mask[4] = {(char)0xf8, (char)0xff, (char)0xff, (char)0xff};
		const char down[4] = {7, 0, 0, 0};

		if ((r = ac_patch_add(info, size_at, size, 4)) ||
		    (r = ac_patch_add(info, align_at, mask, 4)) ||
		    (r = ac_patch_add(info, align_at + 5, down, 4)))
			return r;
	}
	return 0;
}

static int plan_obstack(Elf *e, const unsigned char *buf, size_t len, struct ac_elf_info *info,
			struct ac_err *err)
{
	static const char *const names[] = {"_obstack_begin", "_obstack_begin_1"};
	int found[2] = {0, 0}, r;
	size_t phnum;
	Elf_Scn *scn = NULL;

	if (elf_getphdrnum(e, &phnum) < 0)
		return fail(err, "bad program headers: %s", elf_errmsg(-1));
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !sh.sh_entsize ||
		    !(data = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < data->d_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;
			int64_t off;

			if (!gelf_getsym(data, (int)i, &sym) ||
			    GELF_ST_TYPE(sym.st_info) != STT_FUNC || !sym.st_size ||
			    !(name = elf_strptr(e, sh.sh_link, sym.st_name)))
				continue;
			for (size_t k = 0; k < 2; k++) {
				if (strcmp(name, names[k]) || found[k])
					continue;
				off = va_offset(e, phnum, sym.st_value, sym.st_size);
				if (off < 0 || (uint64_t)off + sym.st_size > len)
					return fail(err, "%s lies outside the file", names[k]);
				if ((r = obstack_function(buf, (uint64_t)off, sym.st_size, info)))
					return r == -ENOEXEC
						       ? fail(err, "%s: unknown code for the default "
								   "chunk size and alignment",
							      names[k])
						       : r;
				found[k] = 1;
			}
		}
	}
	if (!found[0] || !found[1])
		return fail(err, "an i386 C library without %s", names[found[0]]);
	return 0;
}

int ac_elf_needed(const unsigned char *buf, size_t len, struct ac_elf_info *info,
		  struct ac_err *err)
{
	Elf *e;
	GElf_Ehdr eh;
	size_t shnum = 0, shent;
	int r = 0;

	memset(info, 0, sizeof(*info));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return fail(err, "libelf: %s", elf_errmsg(-1));
	if (len < EI_NIDENT || memcmp(buf, ELFMAG, SELFMAG))
		return fail(err, "not an ELF file");
	e = elf_memory((char *)(uintptr_t)buf, len);
	if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh) ||
	    elf_getshdrnum(e, &shnum) < 0)
		r = fail(err, "not an ELF file: %s", elf_errmsg(-1));
	/* The same bounds as ac_elf_inspect: libelf trusts the offsets. */
	shent = gelf_getclass(e) == ELFCLASS64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	if (!r && shnum && (eh.e_shentsize != shent || eh.e_shoff > len ||
			    (uint64_t)shnum * shent > len - eh.e_shoff))
		r = fail(err, "section headers lie outside the file (truncated?)");
	for (Elf_Scn *scn = NULL; !r && (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_NOBITS && (sh.sh_offset > len || sh.sh_size > len - sh.sh_offset)))
			r = fail(err, "a section lies outside the file (truncated?)");
	}
	if (!r)
		r = read_dynamic(e, info, err);
	if (e)
		elf_end(e);
	if (r)
		ac_elf_info_free(info);
	return r;
}

int ac_data_inspect(const unsigned char *buf, size_t len, struct ac_elf_info *info)
{
	int nlib = 0, nusrlib = 0, r;

	memset(info, 0, sizeof(*info));
	r = plan_prefixes(buf, len, &abi64, info, &nlib, &nusrlib);
	if (r) {
		ac_elf_info_free(info);
		return r;
	}
	ac_patch_finish(info);
	return 0;
}

int ac_elf_inspect(const unsigned char *buf, size_t len, struct ac_elf_info *info,
		   struct ac_err *err)
{
	Elf *e = NULL;
	GElf_Ehdr eh;
	size_t phnum, phent, shent;
	const struct abi *abi;
	int r, nlib = 0, nusrlib = 0, dynamic = 0;

	memset(info, 0, sizeof(*info));
	ac_err_clear(err);
	if (elf_version(EV_CURRENT) == EV_NONE)
		return fail(err, "libelf: %s", elf_errmsg(-1));
	if (len < EI_NIDENT || memcmp(buf, ELFMAG, SELFMAG))
		return fail(err, "not an ELF file");
	/* libelf reads the image in place (ELF_C_READ over memory); it
	 * converts nothing for a native little-endian 64-bit file. */
	e = elf_memory((char *)(uintptr_t)buf, len);
	phent = len > EI_CLASS && buf[EI_CLASS] == ELFCLASS32 ? sizeof(Elf32_Phdr) : sizeof(Elf64_Phdr);
	shent = len > EI_CLASS && buf[EI_CLASS] == ELFCLASS32 ? sizeof(Elf32_Shdr) : sizeof(Elf64_Shdr);
	if (!e || elf_kind(e) != ELF_K_ELF)
		r = fail(err, "not an ELF file: %s", elf_errmsg(-1));
	else if ((gelf_getclass(e) != ELFCLASS64 && gelf_getclass(e) != ELFCLASS32) ||
		 buf[EI_DATA] != ELFDATA2LSB)
		r = fail(err, "not a little-endian ELF file of 32 or 64 bits");
	else if (!gelf_getehdr(e, &eh))
		r = fail(err, "bad ELF header: %s", elf_errmsg(-1));
	else if ((info->class32 = gelf_getclass(e) == ELFCLASS32) ? eh.e_machine != EM_386
								  : eh.e_machine != EM_X86_64)
		r = fail(err, "ELF machine %u is not %s", eh.e_machine,
			 info->class32 ? "i386" : "x86_64");
	else if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		r = fail(err, "ELF type %u is neither a program nor a shared object",
			 eh.e_type);
	else if (elf_getphdrnum(e, &phnum) < 0)
		r = fail(err, "bad program headers: %s", elf_errmsg(-1));
	/* libelf reads headers lazily and trusts their offsets: check that
	 * every table lies inside the file (a truncated copy must not pass). */
	else if (eh.e_phentsize != phent || eh.e_phoff > len ||
		 (uint64_t)phnum * phent > len - eh.e_phoff)
		r = fail(err, "program headers lie outside the file (truncated?)");
	else if (eh.e_shnum && (eh.e_shentsize != shent || eh.e_shoff > len ||
				(uint64_t)eh.e_shnum * shent > len - eh.e_shoff))
		r = fail(err, "section headers lie outside the file (truncated?)");
	else
		r = 0;
	if (r)
		goto out;
	abi = info->class32 ? &abi32 : &abi64;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_NOBITS && (sh.sh_offset > len || sh.sh_size > len - sh.sh_offset))) {
			r = fail(err, "a section lies outside the file (truncated?)");
			goto out;
		}
	}

	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, (int)i, &ph)) {
			r = fail(err, "bad program header %zu: %s", i, elf_errmsg(-1));
			goto out;
		}
		if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset) {
			r = fail(err, "segment %zu lies outside the file (truncated?)", i);
			goto out;
		}
		if (ph.p_type == PT_DYNAMIC)
			dynamic = 1;
		if (ph.p_type != PT_INTERP)
			continue;
		if (info->has_interp || ph.p_filesz < 2 || buf[ph.p_offset + ph.p_filesz - 1] != '\0') {
			r = fail(err, "bad PT_INTERP");
			goto out;
		}
		if (ph.p_filesz < strlen(abi->ldso) + 1) {
			r = fail(err, "PT_INTERP of %llu bytes is too short for %s",
				 (unsigned long long)ph.p_filesz, abi->ldso);
			goto out;
		}
		info->has_interp = 1;
		if ((r = ac_patch_add(info, ph.p_offset, abi->ldso, strlen(abi->ldso) + 1)))
			goto out;
	}
	info->is_exec = eh.e_type == ET_EXEC || info->has_interp;
	if ((r = read_dynamic(e, info, err)))
		goto out;
	if (dynamic && !info->nneeded && !info->soname[0] && info->has_interp) {
		r = fail(err, "PT_DYNAMIC without a readable dynamic section");
		goto out;
	}
	info->is_loader = !strcmp(info->soname, abi->loader_soname);
	if ((r = plan_prefixes(buf, len, abi, info, &nlib, &nusrlib)))
		goto out;
	if ((r = plan_plugin_dirs(buf, len, info)) < 0)
		goto out;
	r = 0;
	if (info->class32 && !strcmp(info->soname, "libc.so.6") &&
	    (r = plan_obstack(e, buf, len, info, err)))
		goto out;
	if (info->is_loader) {
		int c = plan_string(buf, len, HOST_CACHE, VIEW_CACHE, info);
		int p = c < 0 ? c : plan_string(buf, len, HOST_PRELOAD, VIEW_PRELOAD, info);

		if (c < 0 || p < 0) {
			r = c < 0 ? c : p;
			goto out;
		}
		/* A loader we cannot confine must not be served at all. */
		if (!c || !p || !nlib || !nusrlib) {
			r = fail(err, "unknown loader layout (no %s, %s or default search directories)",
				 HOST_CACHE, HOST_PRELOAD);
			goto out;
		}
	}
	ac_patch_finish(info);
out:
	if (e)
		elf_end(e);
	if (r)
		ac_elf_info_free(info);
	return r;
}

void ac_elf_info_free(struct ac_elf_info *info)
{
	for (size_t i = 0; i < info->nneeded; i++)
		free(info->needed[i]);
	free(info->patches);
	info->nneeded = 0;
	info->npatches = 0;
	info->patch_cap = 0;
	info->patches = NULL;
}

void ac_patch_apply(const struct ac_patch *patches, size_t n, uint64_t off, unsigned char *buf,
		    size_t len)
{
	uint64_t end = off + len;

	for (size_t i = 0; i < n; i++) {
		const struct ac_patch *p = &patches[i];
		uint64_t from, to;

		if (p->off >= end)
			break; /* sorted by offset */
		if (p->off + p->len <= off)
			continue;
		from = p->off > off ? p->off : off;
		to = p->off + p->len < end ? p->off + p->len : end;
		memcpy(buf + (from - off), p->data + (from - p->off), (size_t)(to - from));
	}
}

/* ------------------------------------------------------ the cross layout */

/* A triplet or major version: a plain name, at most 63 bytes. */
static int plain_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 63 || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("._-", *s)))
			return 0;
	return 1;
}

#define CROSS_DIR "/usr/lib/gcc-cross/"
#define NATIVE_DIR "/usr/lib/gcc/"

/*
 * The rules, from Debian's cross-install-location.diff and the configure
 * lines of the two builds (--includedir=/usr/T/include and
 * --with-gxx-include-dir=/usr/T/include/c++/V for the cross one):
 *
 *   /usr/lib/gcc-cross/REST                     -> /usr/lib/gcc/REST
 *     (libsubdir, libexecsubdir and what hangs below them: the exec and
 *     startfile prefixes, the include and include-fixed directories)
 *   /usr/lib/gcc-cross/T/V/../../../../T/include/c++/V/T  (C++ target headers)
 *                                  -> /usr/lib/gcc/T/V/../../../../include/T/c++/V
 *   /usr/lib/gcc-cross/T/V/../../../../T/include/c++/V...  (C++ headers)
 *                                  -> /usr/lib/gcc/T/V/../../../../include/c++/V...
 *   /usr/lib/gcc-cross/T/V/../../../../T/libc++_include/...
 *                                  -> /usr/lib/gcc/T/V/../../../../libc++_include/...
 *   gcc-cross (the driver's name for its relocation) -> gcc
 *
 * /usr/lib/gcc-cross/T/V/../../../../T/include (the tool directory) keeps
 * its tail: the native compiler names /usr/T/include the same way.
 */
int ac_cross_rewrite(const char *s, const char *triplet, const char *major, char *out, size_t size)
{
	const char *t = triplet, *v = major;
	char up[256], cxx[80]; /* three names of at most 63 bytes */
	const char *rest;
	size_t ul, cl, tl = strlen(t);
	int n;

	if (!plain_name(t) || !plain_name(v))
		return -EINVAL;
	if (!strcmp(s, "gcc-cross")) {
		n = snprintf(out, size, "gcc");
		return (size_t)n < size ? 1 : -ENAMETOOLONG;
	}
	if (strncmp(s, CROSS_DIR, sizeof(CROSS_DIR) - 1))
		return 0;
	rest = s + sizeof(CROSS_DIR) - 1;
	ul = (size_t)snprintf(up, sizeof(up), "%s/%s/../../../../%s/", t, v, t);
	cl = (size_t)snprintf(cxx, sizeof(cxx), "include/c++/%s", v);
	if (!strncmp(rest, up, ul) && !strncmp(rest + ul, cxx, cl) &&
	    (!rest[ul + cl] || rest[ul + cl] == '/')) {
		const char *tail = rest + ul + cl;

		if (tail[0] == '/' && !strncmp(tail + 1, t, tl) && (!tail[1 + tl] || tail[1 + tl] == '/'))
			n = snprintf(out, size, NATIVE_DIR "%s/%s/../../../../include/%s/c++/%s%s", t,
				     v, t, v, tail + 1 + tl);
		else
			n = snprintf(out, size, NATIVE_DIR "%s/%s/../../../../include/c++/%s%s", t, v,
				     v, tail);
	} else if (!strncmp(rest, up, ul) && !strncmp(rest + ul, "libc++_include/", 15)) {
		n = snprintf(out, size, NATIVE_DIR "%s/%s/../../../../%s", t, v, rest + ul);
	} else {
		n = snprintf(out, size, NATIVE_DIR "%s", rest);
	}
	return n >= 0 && (size_t)n < size ? 1 : -ENAMETOOLONG;
}

/* Replace [off, off + len) with s and NULs, in patches of AC_PATCH_MAX. */
static int add_string_patch(struct ac_elf_info *info, uint64_t off, const char *s, size_t len)
{
	char chunk[AC_PATCH_MAX];
	size_t sl = strlen(s);
	int r;

	for (size_t done = 0; done < len; done += sizeof(chunk)) {
		size_t n = len - done < sizeof(chunk) ? len - done : sizeof(chunk);

		memset(chunk, 0, sizeof(chunk));
		if (done < sl)
			memcpy(chunk, s + done, sl - done < n ? sl - done : n);
		if ((r = ac_patch_add(info, off + done, chunk, n)))
			return r;
	}
	return 0;
}

/* GCC's paths are well under this; a longer string is not one of them. */
#define CROSS_STRING_MAX 1024

int ac_cross_plan(const unsigned char *buf, size_t len, const char *triplet, const char *major,
		  struct ac_elf_info *info)
{
	static const char *const needles[] = {CROSS_DIR, "gcc-cross"};
	int n = 0, r = 0;

	if (!plain_name(triplet) || !plain_name(major))
		return -EINVAL;
	for (size_t k = 0; k < sizeof(needles) / sizeof(needles[0]) && !r; k++) {
		size_t nl = strlen(needles[k]), at = 0;

		while (at + nl <= len) {
			const unsigned char *hit = memmem(buf + at, len - at, needles[k], nl);
			const unsigned char *end;
			char s[CROSS_STRING_MAX], to[CROSS_STRING_MAX];
			size_t p, sl;
			int w;

			if (!hit)
				break;
			p = (size_t)(hit - buf);
			at = p + nl;
			/* Whole strings only: a path that starts a string. */
			if (p && buf[p - 1] != '\0')
				continue;
			end = memchr(hit, '\0', len - p);
			if (!end || (sl = (size_t)(end - hit)) >= sizeof(s))
				continue;
			memcpy(s, hit, sl);
			s[sl] = '\0';
			w = ac_cross_rewrite(s, triplet, major, to, sizeof(to));
			if (w < 0) {
				r = w;
				break;
			}
			/* The native names are never longer: nothing moves. */
			if (!w || strlen(to) > sl)
				continue;
			if ((r = add_string_patch(info, p, to, sl)))
				break;
			n++;
		}
	}
	ac_patch_finish(info);
	return r ? r : n;
}

_Static_assert(sizeof(AC_VIEW_SELF_DIR) - 1 + AC_SELF_ID_LEN == sizeof(AC_PROC_SELF_EXE) - 1,
	       "a self link's path is exactly as long as /proc/self/exe");

void ac_self_name(unsigned id, char *out)
{
	static const char digits[] =
		"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-";
	size_t l = sizeof(AC_VREL_SELF_DIR) - 1;

	memcpy(out, AC_VREL_SELF_DIR, l);
	for (int i = AC_SELF_ID_LEN - 1; i >= 0; i--, id /= 64)
		out[l + (size_t)i] = digits[id % 64];
	out[l + AC_SELF_ID_LEN] = '\0';
}

int ac_self_plan(const unsigned char *buf, size_t len, const char *link,
		 struct ac_elf_info *info)
{
	const size_t nl = sizeof(AC_PROC_SELF_EXE); /* with its NUL */
	int n = 0, r = 0;

	if (strlen(link) != nl - 1)
		return -EINVAL;
	for (size_t at = 0; at + nl <= len;) {
		const unsigned char *hit = memmem(buf + at, len - at, AC_PROC_SELF_EXE, nl);
		size_t p;

		if (!hit)
			break;
		p = (size_t)(hit - buf);
		at = p + nl;
		if (!path_start(buf, p))
			continue; /* the tail of a longer path */
		if ((r = add_string_patch(info, p, link, nl - 1)))
			break;
		n++;
	}
	ac_patch_finish(info);
	return r ? r : n;
}

int ac_view_alias(const char *pkgpath, char *out, size_t size)
{
	static const struct {
		const char *host, *view;
	} map[] = {
		{AC_HOST_USRLIB + 1, AC_VREL_USRLIB},
		{AC_HOST_LIB + 1, AC_VREL_LIB},
		{AC_HOST32_USRLIB + 1, AC_VREL_USRLIB32},
		{AC_HOST32_LIB + 1, AC_VREL_LIB32},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		size_t hl = strlen(map[i].host);

		if (strncmp(pkgpath, map[i].host, hl) || (pkgpath[hl] && pkgpath[hl] != '/'))
			continue;
		if ((size_t)snprintf(out, size, "%s%s", map[i].view, pkgpath + hl) >= size)
			return -ENAMETOOLONG;
		return 1;
	}
	return 0;
}
