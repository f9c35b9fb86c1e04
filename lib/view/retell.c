// SPDX-License-Identifier: GPL-2.0-or-later
/* Compiled-in identity strings, told the root's way; see accel/view/retell.h. */
#include "config.h"

#include "accel/view/retell.h"

#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The host's names and the root's, longest first (a shorter one is part
 * of a longer one). The host is always amd64, the root armel. */
static const struct {
	const char *host, *root;
} tokens[] = {
	{"x86_64-linux-gnu-thread-multi", "arm-linux-gnueabi-thread-multi-64int"}, /* perl's archname */
	{"x86_64-pc-linux-gnu", "arm-unknown-linux-gnueabi"}, /* config.guess: MAKE_HOST, MACHTYPE */
	{"x86_64-linux-gnu", "arm-linux-gnueabi"},            /* the multiarch triplet */
	{"amd64", "armel"},                                   /* dpkg's architecture */
	{"x86_64", "arm"},                                    /* config.guess's cpu: HOSTTYPE */
	{"linux-gnu", "linux-gnueabi"},                       /* config.guess's os: OSTYPE */
};
#define NTOKENS (sizeof(tokens) / sizeof(tokens[0]))

/* A byte of a text string: printable, or the controls text holds (a
 * string is whole only when no such byte comes before it). */
static int printable(unsigned char c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n' || c == '\r' || c == 0x1b;
}

/* Strings the manifest can carry: one line, no tab. */
static int plain(const char *s)
{
	return !strpbrk(s, "\t\n\r\x1b");
}

/* ------------------------------------------------------------ the image */

struct image {
	const unsigned char *buf;
	size_t len;
	const Elf64_Ehdr *eh;
	const Elf64_Phdr *ph;
	size_t nph;
	/* Position independent (ET_DYN): every reference to a string is a
	 * RIP-relative lea or a relative relocation, which find_refs() sees.
	 * A fixed-address program (ET_EXEC: busybox-static, non-PIE builds)
	 * also holds absolute addresses, in immediates and data, which
	 * nothing tells apart from other numbers. */
	int pie;
};

static int image_open(struct image *im, const unsigned char *buf, size_t len)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)(const void *)buf;

	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
	    (eh->e_type != ET_DYN && eh->e_type != ET_EXEC) ||
	    eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    eh->e_phoff > len || (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > len - eh->e_phoff)
		return -ENOEXEC;
	im->buf = buf;
	im->len = len;
	im->eh = eh;
	im->ph = (const Elf64_Phdr *)(const void *)(buf + eh->e_phoff);
	im->nph = eh->e_phnum;
	im->pie = eh->e_type == ET_DYN;
	return 0;
}

/* The PT_LOAD holding file offset off (within its file bytes), or NULL. */
static const Elf64_Phdr *load_of(const struct image *im, uint64_t off)
{
	for (size_t i = 0; i < im->nph; i++) {
		const Elf64_Phdr *p = &im->ph[i];

		if (p->p_type == PT_LOAD && off >= p->p_offset && off - p->p_offset < p->p_filesz)
			return p;
	}
	return NULL;
}

static int in_rodata(const struct image *im, uint64_t off)
{
	const Elf64_Phdr *p = load_of(im, off);

	return p && !(p->p_flags & (PF_W | PF_X));
}

/* Is s (len bytes) a whole NUL-terminated string somewhere in buf? */
static int has_whole(const unsigned char *buf, size_t blen, const char *s, size_t len)
{
	for (size_t at = 0; at + len < blen;) {
		const unsigned char *hit = memmem(buf + at, blen - at, s, len + 1);
		size_t p;

		if (!hit)
			return 0;
		p = (size_t)(hit - buf);
		if (!p || !printable(buf[p - 1]))
			return 1;
		at = p + 1;
	}
	return 0;
}

/* s with every host name replaced by the root's, into out; 1 if changed. */
static int map_names(const char *s, char *out, size_t size)
{
	size_t o = 0;
	int changed = 0;

	for (const char *p = s; *p;) {
		size_t k;

		for (k = 0; k < NTOKENS; k++)
			if (!strncmp(p, tokens[k].host, strlen(tokens[k].host)))
				break;
		if (k < NTOKENS) {
			size_t rl = strlen(tokens[k].root);

			if (o + rl >= size)
				return -1;
			memcpy(out + o, tokens[k].root, rl);
			o += rl;
			p += strlen(tokens[k].host);
			changed = 1;
			continue;
		}
		if (o + 1 >= size)
			return -1;
		out[o++] = *p++;
	}
	out[o] = '\0';
	return changed;
}

/* The other ABIs of the host, whose directories a host build lists beside
 * its own (pkgconf's system library path): the root has no such ABI, and
 * its build lists nothing in their place. */
static const char *const host_other_abis[] = {"i386-linux-gnu", "x86_64-linux-gnux32", "lib32",
					      "libx32"};

static int names_other_abi(const char *elem, size_t len)
{
	for (size_t k = 0; k < sizeof(host_other_abis) / sizeof(host_other_abis[0]); k++) {
		size_t kl = strlen(host_other_abis[k]);

		for (size_t at = 0; at + kl <= len; at++)
			if (!memcmp(elem + at, host_other_abis[k], kl) && (!at || elem[at - 1] == '/') &&
			    (at + kl == len || elem[at + kl] == '/'))
				return 1;
	}
	return 0;
}

/* A ':'-separated list told the root's way: each element's names mapped,
 * the elements naming the host's other ABIs left out; 1 if changed. */
static int map_list(const char *s, char *out, size_t size)
{
	size_t o = 0;
	int changed = 0;

	for (const char *p = s;;) {
		size_t len = strcspn(p, ":");
		char elem[AC_RETELL_MAX + 1], to[AC_RETELL_MAX + 1];
		int m;

		if (len > AC_RETELL_MAX)
			return -1;
		if (names_other_abi(p, len)) {
			changed = 1;
		} else {
			memcpy(elem, p, len);
			elem[len] = '\0';
			if ((m = map_names(elem, to, sizeof(to))) < 0 || o + strlen(to) + 2 > size)
				return -1;
			changed |= m;
			o += (size_t)snprintf(out + o, size - o, "%s%s", o ? ":" : "", to);
		}
		if (!p[len])
			break;
		p += len + 1;
	}
	out[o] = '\0';
	return changed;
}

/* Can a process load code through the paths this file names? Only the
 * loader (it defines _rtld_global) and files that define or call dlopen
 * (libc, with gconv's modules; perl's DynaLoader; python): their multiarch
 * paths lead to host code, which the view serves at the paths' aliases.
 * In any other file such a path names data (pkgconf's .pc directories),
 * and the data a build reads is the root's. A file without a readable
 * dynamic symbol table is taken to load code. */
static int loads_code(const struct image *im)
{
	if (!im)
		return 1;
	const Elf64_Ehdr *eh = im->eh;
	const Elf64_Shdr *sh;

	if (eh->e_shentsize != sizeof(Elf64_Shdr) || !eh->e_shnum || eh->e_shoff > im->len ||
	    (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > im->len - eh->e_shoff)
		return 1;
	sh = (const Elf64_Shdr *)(const void *)(im->buf + eh->e_shoff);
	for (size_t i = 0; i < eh->e_shnum; i++) {
		const Elf64_Shdr *str;

		if (sh[i].sh_type != SHT_DYNSYM)
			continue;
		if (sh[i].sh_link >= eh->e_shnum || sh[i].sh_entsize != sizeof(Elf64_Sym) ||
		    sh[i].sh_offset > im->len || sh[i].sh_size > im->len - sh[i].sh_offset)
			return 1;
		str = &sh[sh[i].sh_link];
		if (str->sh_offset > im->len || str->sh_size > im->len - str->sh_offset ||
		    !str->sh_size || im->buf[str->sh_offset + str->sh_size - 1])
			return 1;
		for (size_t k = 0; k < sh[i].sh_size / sizeof(Elf64_Sym); k++) {
			const Elf64_Sym *sym = (const Elf64_Sym *)(const void *)(im->buf + sh[i].sh_offset) + k;
			const char *name;

			if (sym->st_name >= str->sh_size)
				continue;
			name = (const char *)im->buf + str->sh_offset + sym->st_name;
			if (!strcmp(name, "dlopen") || !strcmp(name, "dlmopen") ||
			    !strcmp(name, "_rtld_global"))
				return 1;
		}
		return 0;
	}
	return 1;
}

int ac_retell_loads_code(const unsigned char *buf, size_t len)
{
	struct image im;

	return loads_code(image_open(&im, buf, len) ? NULL : &im);
}

int ac_retell_pairs(const unsigned char *host, size_t hlen, const unsigned char *armel,
		    size_t alen, int code, struct ac_retell *pairs, size_t max)
{
	struct image img, *im = &img;
	size_t n = 0;

	/* Only strings a running program reads: in read-only data (not
	 * .gnu_debugaltlink, not symbol names of writable data). */
	if (image_open(im, host, hlen))
		im = NULL;

	for (size_t at = 0; at < hlen;) {
		size_t start = at, len;
		char s[AC_RETELL_MAX + 1], to[AC_RETELL_MAX + 1];
		int dup = 0, named = 0;

		while (at < hlen && printable(host[at]))
			at++;
		len = at - start;
		if (at >= hlen || host[at] || len < 3 || len > AC_RETELL_MAX) {
			at++;
			continue;
		}
		at++;
		if (im && !in_rodata(im, start))
			continue;
		memcpy(s, host + start, len);
		s[len] = '\0';
		if (!plain(s))
			continue;
		for (size_t k = 0; k < NTOKENS && !named; k++)
			named = strstr(s, tokens[k].host) != NULL;
		/* Multiarch paths in a file that loads code stay the host's: the
		 * view serves host code at their same-length alias (elfview.h). */
		if (!named || (code && strstr(s, "/lib/x86_64-linux-gnu")) ||
		    has_whole(armel, alen, s, len))
			continue;
		if ((map_names(s, to, sizeof(to)) != 1 || !has_whole(armel, alen, to, strlen(to))) &&
		    (!strchr(s, ':') || map_list(s, to, sizeof(to)) != 1 ||
		     !has_whole(armel, alen, to, strlen(to))))
			continue;
		for (size_t i = 0; i < n && !dup; i++)
			dup = !strcmp(pairs[i].from, s);
		if (dup)
			continue;
		if (n == max)
			return -E2BIG;
		memcpy(pairs[n].from, s, len + 1);
		memcpy(pairs[n].to, to, strlen(to) + 1);
		n++;
	}
	return (int)n;
}

/* ------------------------------------------------------------- the plan */

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

struct refs {
	uint64_t code[32]; /* file offsets of the lea's disp32 */
	uint64_t code_end[32]; /* vaddr after each such instruction */
	size_t ncode;
	uint64_t data[32]; /* file offsets of R_X86_64_RELATIVE addends */
	size_t ndata;
	int inside;        /* references into the middle of the string */
	uint64_t in_at[32];    /* where each is (file offset of disp32 or addend) */
	uint64_t in_end[32];   /* code: the vaddr after the instruction; data: 0 */
	uint64_t in_off[32];   /* how far into the string it points */
	size_t nin;
	int length_near;   /* a length constant next to a code reference */
};

/* Is imm (len or len + 1) loaded as an immediate within 16 bytes of code
 * position at (where a call's other arguments are set up)? mov $imm, %r32 (b8+r, REX 41 too) and mov $imm, %r/m64 (48 c7 c0+r). */
static int length_near(const struct image *im, const Elf64_Phdr *text, uint64_t at, size_t len)
{
	uint64_t lo = at >= text->p_offset + 16 ? at - 16 : text->p_offset;
	uint64_t hi = at + 16 < text->p_offset + text->p_filesz - 4 ? at + 16
								   : text->p_offset + text->p_filesz - 4;

	for (uint64_t i = lo; i < hi && i + 5 <= im->len; i++) {
		uint32_t v = le32(im->buf + i + 1);
		unsigned char op = im->buf[i];

		if (v != len && v != len + 1)
			continue;
		if (op >= 0xb8 && op <= 0xbf)
			return 1;
		if (i >= 2 && im->buf[i - 1] == 0xc7 && (op & 0xf8) == 0xc0)
			return 1;
	}
	return 0;
}

static void find_refs(const struct image *im, uint64_t vaddr, size_t len, struct refs *r)
{
	const Elf64_Shdr *sh;

	memset(r, 0, sizeof(*r));
	/* Code: lea disp32(%rip), %reg, with or without a REX prefix. */
	for (size_t i = 0; i < im->nph; i++) {
		const Elf64_Phdr *p = &im->ph[i];

		if (p->p_type != PT_LOAD || !(p->p_flags & PF_X) || p->p_filesz < 8 ||
		    p->p_offset > im->len || p->p_filesz > im->len - p->p_offset)
			continue;
		for (uint64_t o = p->p_offset; o + 7 <= p->p_offset + p->p_filesz; o++) {
			const unsigned char *b = im->buf + o;
			int rex = (b[0] & 0xf0) == 0x40;
			uint64_t at = o + (uint64_t)rex; /* the opcode */
			uint64_t end, target;

			if (b[rex] != 0x8d || (b[rex + 1] & 0xc7) != 0x05)
				continue;
			if (!rex && o > p->p_offset && (b[-1] & 0xf0) == 0x40)
				continue; /* counted with its REX prefix */
			end = p->p_vaddr + (at + 6 - p->p_offset);
			target = end + (uint64_t)(int64_t)(int32_t)le32(b + rex + 2);
			if (target > vaddr && target <= vaddr + len) {
				if (r->nin < 32) {
					r->in_at[r->nin] = at + 2;
					r->in_end[r->nin] = end;
					r->in_off[r->nin] = target - vaddr;
				}
				r->nin++;
				r->inside = 1;
			} else if (target == vaddr) {
				if (r->ncode < 32) {
					r->code[r->ncode] = at + 2;
					r->code_end[r->ncode] = end;
				}
				r->ncode++;
				r->length_near |= length_near(im, p, at, len);
			}
		}
	}
	/* Data: relative relocations (section headers, as in every Debian
	 * build; without them nothing is found and the string stays). */
	if (im->eh->e_shoff > im->len || im->eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    (uint64_t)im->eh->e_shnum * sizeof(Elf64_Shdr) > im->len - im->eh->e_shoff)
		return;
	sh = (const Elf64_Shdr *)(const void *)(im->buf + im->eh->e_shoff);
	for (size_t s = 0; s < im->eh->e_shnum; s++) {
		if (sh[s].sh_type != SHT_RELA || sh[s].sh_entsize != sizeof(Elf64_Rela) ||
		    sh[s].sh_offset > im->len || sh[s].sh_size > im->len - sh[s].sh_offset)
			continue;
		for (uint64_t o = sh[s].sh_offset; o + sizeof(Elf64_Rela) <= sh[s].sh_offset + sh[s].sh_size;
		     o += sizeof(Elf64_Rela)) {
			Elf64_Rela rel;

			memcpy(&rel, im->buf + o, sizeof(rel));
			if (ELF64_R_TYPE(rel.r_info) != R_X86_64_RELATIVE)
				continue;
			if ((uint64_t)rel.r_addend > vaddr && (uint64_t)rel.r_addend <= vaddr + len) {
				if (r->nin < 32) {
					r->in_at[r->nin] = o + offsetof(Elf64_Rela, r_addend);
					r->in_end[r->nin] = 0;
					r->in_off[r->nin] = (uint64_t)rel.r_addend - vaddr;
				}
				r->nin++;
				r->inside = 1;
			} else if ((uint64_t)rel.r_addend == vaddr) {
				if (r->ndata < 32)
					r->data[r->ndata] = o + offsetof(Elf64_Rela, r_addend);
				r->ndata++;
			}
		}
	}
}

/* Room for more bytes at the end of segment p's last page: the file offset
 * where they go (after what earlier moves used), or 0. */
static uint64_t room(const struct image *im, const Elf64_Phdr *p, uint64_t used, size_t need)
{
	uint64_t end = p->p_offset + p->p_filesz, limit = (end + 4095) & ~(uint64_t)4095;

	if (p->p_memsz != p->p_filesz)
		return 0;
	for (size_t i = 0; i < im->nph; i++)
		if (im->ph[i].p_type == PT_LOAD && im->ph[i].p_offset >= end &&
		    im->ph[i].p_offset < limit)
			limit = im->ph[i].p_offset;
	if (limit > im->len)
		limit = im->len;
	if (end + used + need > limit)
		return 0;
	for (uint64_t o = end + used; o < end + used + need; o++)
		if (im->buf[o])
			return 0;
	return end + used;
}

/* Say why pair i is refused and go on with the next (a statement that
 * continues the loop over the pairs). */
#define REFUSE(...) \
	{ \
		if (why) \
			snprintf(why[i], sizeof(why[i]), __VA_ARGS__); \
		continue; \
	}

int ac_retell_plan(const unsigned char *buf, size_t len, const struct ac_retell *pairs,
		   size_t n, struct ac_elf_info *info, char (*why)[128])
{
	struct image im;
	uint64_t used = 0;
	int done = 0, r;

	if ((r = image_open(&im, buf, len)))
		return r;
	for (size_t i = 0; i < n; i++) {
		size_t fl = strlen(pairs[i].from), tl = strlen(pairs[i].to);
		const unsigned char *hit = NULL;
		const Elf64_Phdr *seg;
		struct refs refs;
		uint64_t off = 0, vaddr, dest;

		if (why)
			why[i][0] = '\0';
		/* The whole string, once, in a read-only data segment. */
		size_t seen = 0;

		for (size_t at = 0; at + fl < len;) {
			const unsigned char *h = memmem(buf + at, len - at, pairs[i].from, fl + 1);

			if (!h)
				break;
			at = (size_t)(h - buf) + 1;
			if (h != buf && printable(h[-1]))
				continue; /* the tail of a longer string */
			seen++;
			hit = h;
		}
		if (seen > 1)
			REFUSE("\"%s\" is there %zu times", pairs[i].from, seen);
		if (!hit)
			REFUSE("\"%s\" is not a whole string of the file", pairs[i].from);
		off = (uint64_t)(hit - buf);
		seg = load_of(&im, off);
		if (!seg || (seg->p_flags & (PF_W | PF_X)))
			REFUSE("\"%s\" is not in read-only data", pairs[i].from);
		vaddr = seg->p_vaddr + (off - seg->p_offset);
		if (tl == fl) { /* nothing moves: always safe */
			ac_patch_drop(info, off, fl + 1);
			if ((r = ac_patch_add(info, off, pairs[i].to, tl)))
				return r;
			done++;
			continue;
		}
		/* Shorter or longer needs every reference known. */
		if (!im.pie)
			REFUSE("not PIE (references unknown), only the same length is "
			       "retold: \"%s\"", pairs[i].from);
		find_refs(&im, vaddr, fl, &refs);
		if (!refs.ncode && !refs.ndata)
			REFUSE("no reference to \"%s\" found", pairs[i].from);
		if (refs.ncode > 32 || refs.ndata > 32)
			REFUSE("\"%s\" has too many references", pairs[i].from);
		if (refs.inside && tl < fl)
			REFUSE("a reference points into \"%s\"", pairs[i].from);
		if (refs.length_near)
			REFUSE("\"%s\" is used with its length", pairs[i].from);
		if (tl < fl) {
			char pad[AC_RETELL_MAX + 1] = {0};

			memcpy(pad, pairs[i].to, tl);
			ac_patch_drop(info, off, fl + 1);
			for (size_t k = 0; k < fl; k += AC_PATCH_MAX)
				if ((r = ac_patch_add(info, off + k, pad + k,
						      fl - k < AC_PATCH_MAX ? fl - k : AC_PATCH_MAX)))
					return r;
			done++;
			continue;
		}
		dest = room(&im, seg, used, tl + 1);
		if (!dest)
			REFUSE("no room after the segment of \"%s\"", pairs[i].from);
		{
			uint64_t nv = seg->p_vaddr + (dest - seg->p_offset);
			char zero[AC_RETELL_MAX + 1] = {0};
			int ok = 1;

			for (size_t k = 0; k < refs.ncode; k++) {
				int64_t d = (int64_t)(nv - refs.code_end[k]);

				ok &= d >= INT32_MIN && d <= INT32_MAX;
			}
			if (!ok)
				REFUSE("\"%s\" would move out of reach", pairs[i].from);
			for (size_t k = 0; k <= tl; k += AC_PATCH_MAX)
				if ((r = ac_patch_add(info, dest + k, pairs[i].to + k,
						      tl + 1 - k < AC_PATCH_MAX ? tl + 1 - k : AC_PATCH_MAX)))
					return r;
			for (size_t k = 0; k < refs.ncode; k++) {
				int32_t d = (int32_t)(int64_t)(nv - refs.code_end[k]);
				unsigned char le[4] = {(unsigned char)d, (unsigned char)(d >> 8),
						       (unsigned char)(d >> 16), (unsigned char)(d >> 24)};

				if ((r = ac_patch_add(info, refs.code[k], (const char *)le, 4)))
					return r;
			}
			for (size_t k = 0; k < refs.ndata; k++) {
				unsigned char le[8];

				for (int b = 0; b < 8; b++)
					le[b] = (unsigned char)(nv >> (8 * b));
				if ((r = ac_patch_add(info, refs.data[k], (const char *)le, 8)))
					return r;
			}
			/* A tail of the string that is a string of its own (the
			 * linker merged OSTYPE's "linux-gnu" into MACHTYPE's
			 * "x86_64-pc-linux-gnu"): its references go to the same
			 * tail of the moved string when that tail is the root's
			 * form of it ("linux-gnueabi"); else they keep the old
			 * bytes, which then stay. */
			int keep_old = refs.nin > 32;

			for (size_t k = 0; k < refs.nin && k < 32; k++) {
				const char *tail = pairs[i].from + refs.in_off[k];
				char mapped[AC_RETELL_MAX + 1];
				size_t ml;
				uint64_t nt;

				if (refs.in_off[k] >= fl || map_names(tail, mapped, sizeof(mapped)) < 0 ||
				    (ml = strlen(mapped)) > tl || strcmp(pairs[i].to + tl - ml, mapped)) {
					keep_old = 1;
					continue;
				}
				nt = nv + (tl - ml);
				if (refs.in_end[k]) {
					int64_t d = (int64_t)(nt - refs.in_end[k]);
					unsigned char le[4];

					if (d < INT32_MIN || d > INT32_MAX) {
						keep_old = 1;
						continue;
					}
					for (int b = 0; b < 4; b++)
						le[b] = (unsigned char)((uint64_t)d >> (8 * b));
					r = ac_patch_add(info, refs.in_at[k], (const char *)le, 4);
				} else {
					unsigned char le[8];

					for (int b = 0; b < 8; b++)
						le[b] = (unsigned char)(nt >> (8 * b));
					r = ac_patch_add(info, refs.in_at[k], (const char *)le, 8);
				}
				if (r)
					return r;
			}
			/* The old bytes cleared: a reference missed reads "". */
			if (!keep_old)
				ac_patch_drop(info, off, fl + 1);
			for (size_t k = 0; !keep_old && k < fl; k += AC_PATCH_MAX)
				if ((r = ac_patch_add(info, off + k, zero,
						      fl - k < AC_PATCH_MAX ? fl - k : AC_PATCH_MAX)))
					return r;
			used += tl + 1;
			done++;
		}
	}
	ac_patch_finish(info);
	return done;
}
