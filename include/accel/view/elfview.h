/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accel/view/elfview.h - how a host ELF file is read and rewritten for the view.
 *
 * Owns the rewrite rule of the /lib-x86 view: a host (x86_64) file served
 * inside an armel root must find the host loader and host libraries under
 * /lib-x86 only. Every rewrite keeps the file's length (nothing moves), so it
 * is a short list of patches laid over the original bytes at read time:
 *
 *   - PT_INTERP becomes AC_VIEW_LDSO (NUL-padded);
 *   - every path that starts with the host's multiarch directories becomes the
 *     same-length alias in the view:
 *       /usr/lib/x86_64-linux-gnu  ->  /lib-x86/.accel/usr-lib-x
 *       /lib/x86_64-linux-gnu      ->  /lib-x86/.accel/lib-x
 *     (this covers ld.so's default search directories, DT_RUNPATH, gconv and
 *     perl's @INC alike);
 *   - a BFD library's plugin directory of a foreign target,
 *     /usr/lib/TRIPLET/bfd-plugins (a whole string; TRIPLET not the host's),
 *     becomes AC_VIEW_BFD_PLUGINS, NUL-padded: there the view serves the host
 *     builds of the plugins the root's own directories hold, which the
 *     armel binutils load (a host ar that loaded none would write an archive
 *     without the LTO symbol index and say nothing);
 *   - in the loader (DT_SONAME ld-linux-x86-64.so.2): /etc/ld.so.cache and
 *     /etc/ld.so.preload, which are the armel root's files, point into the
 *     view's reserved directory instead (an empty cache, no preload).
 *
 * i386 files (the few programs served as their 32-bit build, accel/view/plan.h)
 * get the same rules with the host's 32-bit names: PT_INTERP AC_VIEW_LDSO32
 * (for /lib/ld-linux.so.2), /usr/lib/i386-linux-gnu -> AC_VIEW_USRLIB32,
 * /lib/i386-linux-gnu -> AC_VIEW_LIB32, the loader ld-linux.so.2; and the
 * i386 C library (DT_SONAME libc.so.6) is told armel's obstack defaults:
 * default chunk size 4072 and alignment 8 where i386 glibc has 4064 and 4,
 * two immediates in _obstack_begin and _obstack_begin_1 (GNU as lays out its
 * frags by them; elfview.c plan_obstack), or the file is refused.
 *
 * ac_elf_inspect() reads a file image (libelf over memory), refusing anything
 * malformed with a message; it returns 0 or -errno (-ENOEXEC: not a usable
 * x86_64 or i386 ELF file, the message says why). Nothing here exits or allocates
 * beyond the returned structure.
 */
#ifndef ACCEL_VIEW_ELFVIEW_H
#define ACCEL_VIEW_ELFVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "accel/base/err.h"
#include "accel/exec/layout.h"

/* Bounds: a file we serve has at most this many DT_NEEDED entries and
 * patches; real files have a few dozen at most. */
#define AC_ELF_MAX_NEEDED 256
#define AC_ELF_MAX_PATCHES 512
#define AC_PATCH_MAX 32 /* longest replacement string, NUL included */

struct ac_patch {
	uint64_t off;              /* file offset */
	uint32_t len;              /* bytes replaced */
	char data[AC_PATCH_MAX];   /* the replacement */
};

struct ac_elf_info {
	int is_loader;             /* DT_SONAME is the host loader's */
	int class32;               /* an i386 file (ELFCLASS32, EM_386) */
	int has_interp;
	int is_exec;               /* ET_EXEC, or ET_DYN with PT_INTERP */
	char soname[256];
	size_t nneeded;
	char *needed[AC_ELF_MAX_NEEDED]; /* malloc'ed; ac_elf_info_free() */
	size_t npatches;
	size_t patch_cap;          /* allocated entries of patches */
	struct ac_patch *patches;  /* malloc'ed, sorted by offset */
};

/*
 * Inspect a whole file image (buf, len): check it is a well-formed x86_64
 * ELF file, read DT_NEEDED and DT_SONAME, and plan the view's patches.
 * On -ENOEXEC (or -E2BIG, -ENOMEM) err says why.
 */
int ac_elf_inspect(const unsigned char *buf, size_t len, struct ac_elf_info *info,
		   struct ac_err *err);
void ac_elf_info_free(struct ac_elf_info *info);
/* Only DT_NEEDED and DT_SONAME of any ELF file (an armel library of the
 * root, to know what its host build will need): no patches planned. */
int ac_elf_needed(const unsigned char *buf, size_t len, struct ac_elf_info *info,
		  struct ac_err *err);
/*
 * A data file that names host paths in binary form and is read by host code
 * (glibc's gconv-modules.cache holds the module directory): the same prefix
 * patches as an ELF file, nothing else. 0 or -errno.
 */
int ac_data_inspect(const unsigned char *buf, size_t len, struct ac_elf_info *info);
/* Data files that get ac_data_inspect() (by name). */
#define AC_DATA_PATCHED "gconv-modules.cache"

/*
 * Debian's cross compilers (cpp-N-TRIPLET, gcc-N-TRIPLET, g++-N-TRIPLET,
 * built from the same gcc-N source with the cross layout) name their own
 * directories /usr/lib/gcc-cross/TRIPLET/N/... and look for C++ headers in
 * /usr/TRIPLET/include/c++/N, where the root's native compiler has
 * /usr/lib/gcc/TRIPLET/N/... and /usr/include/c++/N. ac_cross_plan() adds
 * to info (planned by ac_elf_inspect) the patches that give such a file the
 * native names: every NUL-terminated string that starts with a cross
 * directory, and the driver's relocation name "gcc-cross", becomes the
 * native name, which is shorter, NUL-padded. The rules are in elfview.c,
 * the differences that remain in kbuild-notes/toolchain.md.
 *
 * Returns the number of strings rewritten (0: none found) or -errno;
 * -EINVAL for a triplet or major version that is not a plain name.
 * ac_cross_rewrite() applies the rules to one string (for listing and tests):
 * 1 and out filled when s is rewritten, 0 when not, -ENAMETOOLONG.
 */
#define AC_CROSS_LAYOUT "debian-cross"
int ac_cross_plan(const unsigned char *buf, size_t len, const char *triplet, const char *major,
		  struct ac_elf_info *info);
int ac_cross_rewrite(const char *s, const char *triplet, const char *major, char *out,
		     size_t size);

/*
 * A program's own identity: a host program that reads the link
 * /proc/self/exe (perl's $^X, anything that finds itself) would get the
 * view's path, /lib-x86/usr/bin/perl, where the emulated one gets the
 * root's /usr/bin/perl from qemu. The view gives each served program that
 * holds the string "/proc/self/exe" a link of its own, AC_VIEW_SELF_DIR
 * plus AC_SELF_ID_LEN characters (the same length), whose target is the
 * program's root path; ac_self_plan() adds to info the patches that put the
 * link's path over every such string (whole NUL-terminated strings only).
 * Libraries are never given one (they serve many programs, and the
 * loader's $ORIGIN must stay the view's). Returns how many, or -errno.
 */
#define AC_PROC_SELF_EXE "/proc/self/exe"
int ac_self_plan(const unsigned char *buf, size_t len, const char *link,
		 struct ac_elf_info *info);
/* The id'th link name (0 <= id < AC_SELF_IDS), relative to the view's root,
 * into out (AC_SELF_ID_LEN + sizeof(AC_VREL_SELF_DIR)). */
void ac_self_name(unsigned id, char *out);

/* One more patch for info (len <= AC_PATCH_MAX): 0, -EINVAL, -E2BIG (too
 * many), -ENOMEM. ac_patch_finish() sorts them for ac_patch_apply(). */
int ac_patch_add(struct ac_elf_info *info, uint64_t off, const char *data, size_t len);
void ac_patch_finish(struct ac_elf_info *info);

/* Forget the patches that lie wholly inside [off, off+len): bytes that a
 * later patch rewrites as a whole (a retold string, accel/view/retell.h). */
void ac_patch_drop(struct ac_elf_info *info, uint64_t off, size_t len);

/* Lay the patches over buf, which holds the file's bytes [off, off+len). */
void ac_patch_apply(const struct ac_patch *patches, size_t n, uint64_t off, unsigned char *buf,
		    size_t len);

/*
 * Map a path inside an amd64 package (relative, no leading '/', e.g.
 * "usr/lib/x86_64-linux-gnu/libz.so.1") to its path in the view (relative
 * to the view's root, e.g. ".accel/usr-lib-x/libz.so.1") when it lies in a
 * host multiarch directory; returns 1 and fills out, or 0 when the path is
 * elsewhere, or -ENAMETOOLONG.
 */
int ac_view_alias(const char *pkgpath, char *out, size_t size);

#endif /* ACCEL_VIEW_ELFVIEW_H */
