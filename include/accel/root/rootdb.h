/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accel/root/rootdb.h - what an armel root has installed, and its names.
 *
 * Owns the root's package database as accel reads it: `dpkg-query
 * --admindir` for the installed packages and versions, and the root's
 * info/NAME.list files for which package owns which path; nothing inside
 * the root is ever run. ac_rootdb_open() reads the whole database once
 * (one dpkg-query and one pass over every list file); every question after
 * that is answered from memory. Also: which armel programs a package
 * installs, the programs of the root's compiler, checking that a path is a
 * packaged armel program, and resolving a command name the way the root's
 * PATH would.
 *
 * Functions return 0 (or a count) or -errno and say why in err (may be
 * NULL); -ENOPKG: no package owns it; -ENOEXEC: not an armel ELF program.
 */
#ifndef ACCEL_ROOT_ROOTDB_H
#define ACCEL_ROOT_ROOTDB_H

#include <stddef.h>

#include "accel/base/err.h"

/* Host libraries a host process loads without naming them in DT_NEEDED
 * (the view serves them with a program that needs them; view/plan.c says
 * which and why). What a package's file list shows of them, found while
 * the list is read for the index: */
enum ac_companion {
	AC_COMPANION_PERL = 1,    /* files under /usr/lib/arm-linux-gnueabi/perl* */
	AC_COMPANION_PRELOAD = 2, /* files under /usr/lib/arm-linux-gnueabi/libfakeroot/ */
};

struct ac_pkg {
	char *name;        /* Package */
	char *arch;        /* Architecture: armel or all */
	char *version;     /* installed in the root */
	char *store_version; /* what the store holds (differs only with skew) */
	int ma_same;       /* Multi-Arch: same (its list is NAME:armel.list) */
	int toolchain;     /* gcc-N, cpp-N, g++-N: served from a toolchain build */
	unsigned companions; /* enum ac_companion bits of its file list */
	int wanted;        /* planner: its amd64 build needed in the store */
	int wanted32;      /* planner: its i386 build needed too (accel/view/plan.h) */
};

struct ac_path_owner; /* the root's file index (rootdb.c) */

struct ac_rootdb {
	char root[4096];
	int rootfd;
	struct ac_pkg *pkgs;   /* installed packages, sorted by name */
	size_t npkgs;
	struct ac_path_owner *index;
	size_t index_cap, index_used;
};

/* Read ROOT's database (-ENOENT: it has none). */
int ac_rootdb_open(struct ac_rootdb *db, const char *root, struct ac_err *err);
void ac_rootdb_close(struct ac_rootdb *db);
struct ac_pkg *ac_rootdb_pkg(const struct ac_rootdb *db, const char *name);
/* The package whose file list names path or its merged-/usr alias (/usr/bin
 * and /bin); listed (size lsize) receives the path as listed. */
struct ac_pkg *ac_rootdb_owner(const struct ac_rootdb *db, const char *path, char *listed,
			       size_t lsize);
/* Append to *v (count *n, kept unique) the canonical paths of the armel ELF
 * programs that package p lists in a bin directory (/bin, /sbin, /usr/bin,
 * /usr/sbin, /usr/games). Returns how many were added, or -errno. */
int ac_rootdb_programs(const struct ac_rootdb *db, const struct ac_pkg *p, char ***v, size_t *n);
/* Call fn for every path listed by package p; stops when fn returns nonzero. */
int ac_rootdb_files(const struct ac_rootdb *db, const struct ac_pkg *p,
		    int (*fn)(void *ctx, const char *path), void *ctx);

/* gcc-12, cpp-12, g++-12: the packages of the root's compiler proper,
 * served from a toolchain (1), or not (0). */
int ac_is_compiler_pkg(const char *name);

/*
 * The root's compiler: the programs `accelctl enable gcc` enables, as
 * canonical paths (appended to *v, unique): the gcc-N drivers (gcc, g++,
 * cpp, and the gcc-ar, gcc-nm and gcc-ranlib wrappers) and the
 * programs of gcc-N, cpp-N and g++-N the root has (cc1, cc1plus, collect2,
 * lto-wrapper, lto1), and binutils' strip, objcopy, objdump, readelf, ld
 * (ld.bfd), ar, nm and ranlib (their plugins served as host builds:
 * accel/view/plan.h). as is left out: the amd64 gas writes other line
 * tables (kbuild-notes/toolchain.md). Returns how many were added, 0
 * if the root has no gcc, or -errno. *driver (if not NULL) is set to the
 * package of /usr/bin/gcc's driver (gcc-N), NULL without one.
 */
int ac_rootdb_compiler(const struct ac_rootdb *db, char ***v, size_t *n, struct ac_pkg **driver);

/*
 * Check that path (canonical, inside the root) is an armel ELF program
 * owned by an installed package of architecture armel; pkg receives it.
 * -ENOEXEC: not an armel ELF program (err says what it is); -ENOPKG: no
 * package owns it.
 */
int ac_program_check(const struct ac_rootdb *db, const char *path, struct ac_pkg **pkg,
		     struct ac_err *err);

/* Resolve NAME (a command on the root's PATH, or an absolute path inside
 * the root) to its canonical path inside the root (out, size). */
int ac_resolve_name(int rootfd, const char *root, const char *name, char *out, size_t size,
		    struct ac_err *err);

#endif /* ACCEL_ROOT_ROOTDB_H */
