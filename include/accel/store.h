/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accel/store.h - the host store and what an armel root has installed.
 *
 * Owns three things:
 *   - the root's package database (read with dpkg-query --admindir and the
 *     root's info/NAME.list files, never by running anything inside the root):
 *     which package of which version owns which path;
 *   - the host store: amd64 builds of exactly those versions, fetched with
 *     `apt-get download NAME:amd64=VERSION` (apt verifies them) and unpacked
 *     once into STORE/pkgs/NAME_VERSION_amd64, shared by every root;
 *   - the plan: for a set of enabled armel programs (canonical paths inside
 *     the root), their host equivalents, the transitive DT_NEEDED closure,
 *     the host loader, and the host multiarch files of the packages involved,
 *     as (view path, store path) pairs: the manifest the view daemon serves.
 *
 * Functions return 0 or -errno and describe a failure in err (one line that
 * names the thing and the fix); -ENOPKG means "no host equivalent of that
 * exact version". They never exit.
 */
#ifndef ACCEL_STORE_H
#define ACCEL_STORE_H

#include <stddef.h>

#define AC_ERR_MAX 1024

/* Format a failure into err (AC_ERR_MAX bytes) and return code. */
__attribute__((format(printf, 3, 4))) int ac_fail(char *err, int code, const char *fmt, ...);

struct ac_pkg {
	char *name;        /* Package */
	char *arch;        /* Architecture: armel or all */
	char *version;     /* installed in the root */
	char *store_version; /* what the store holds (differs only with skew) */
	int ma_same;       /* Multi-Arch: same (its list is NAME:armel.list) */
	int toolchain;     /* gcc-N, cpp-N, g++-N: served from a toolchain build */
	int wanted;        /* planner: needed in the store */
};

struct ac_path_owner; /* the root's file index (store.c) */

struct ac_rootdb {
	char root[4096];
	int rootfd;
	struct ac_pkg *pkgs;   /* installed packages, sorted by name */
	size_t npkgs;
	struct ac_path_owner *index;
	size_t index_cap, index_used;
};

int ac_rootdb_open(struct ac_rootdb *db, const char *root, char *err);
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

struct ac_store {
	char dir[4096];
	int fd;
	int lockfd;
	int allow_skew;
	int allow_toolchain_skew; /* accept a compiler built from another version */
	int verbose;            /* show apt's progress */
};

/* Open (creating) the store at dir and lock it for this process. */
int ac_store_open(struct ac_store *s, const char *dir, char *err);
void ac_store_close(struct ac_store *s);
/* Make sure every package of db with wanted set is unpacked in the store,
 * downloading what is missing in one apt-get run. Version skew: refused
 * (-ENOPKG, naming package and both versions) unless s->allow_skew, where
 * store_version records what was taken instead. */
int ac_store_fetch(struct ac_store *s, struct ac_rootdb *db, char *err);
/* "pkgs/NAME_VERSION_amd64" of p in the store (store_version); for the
 * compiler packages (p->toolchain) "toolchains/gcc-N_VERSION": the host
 * build of the root's GCC made by accel-build-toolchain, never Debian's
 * amd64 gcc-N (which targets amd64). A missing toolchain is not downloaded:
 * ac_store_fetch refuses (-ENOPKG) with the command that builds it. */
int ac_store_pkgdir(const struct ac_pkg *p, char *out, size_t size);
/* gcc-12, cpp-12, g++-12: the packages of the root's compiler proper,
 * served from a toolchain (1), or not (0). */
int ac_is_compiler_pkg(const char *name);
/* Is the toolchain for p (exact version, or store_version) in the store? */
int ac_store_has_toolchain(const struct ac_store *s, const struct ac_pkg *p);

/*
 * The root's compiler: the programs `accelctl enable gcc` enables, as
 * canonical paths (appended to *v, unique): the gcc-N drivers and the
 * programs of gcc-N, cpp-N and g++-N the root has (cc1, cc1plus, collect2,
 * lto-wrapper, lto1), and binutils' strip, objcopy, objdump and readelf.
 * ld, ar, ranlib and nm are left out: they load the root's armel LTO
 * plugin, which a host program cannot; as too: the amd64 gas writes other
 * line tables (kbuild-notes/toolchain.md). Returns how many were added, 0
 * if the root has no gcc, or -errno. *driver (if not NULL) is set to the
 * package of /usr/bin/gcc's driver (gcc-N), NULL without one.
 */
int ac_rootdb_compiler(const struct ac_rootdb *db, char ***v, size_t *n, struct ac_pkg **driver);

struct ac_plan_entry {
	char *view;    /* relative to the view's root */
	char *source;  /* relative to the store */
};

struct ac_plan {
	struct ac_plan_entry *e;
	size_t n, cap;
	char **programs;        /* enabled programs, canonical root paths */
	size_t nprograms;
};

/*
 * The view for programs (canonical paths inside the root, each an armel ELF
 * program owned by an installed package): downloads what the store lacks.
 * On error err names the program or library that has no host equivalent.
 */
int ac_plan_build(struct ac_rootdb *db, struct ac_store *s, char *const *programs, size_t n,
		  struct ac_plan *plan, char *err);
void ac_plan_free(struct ac_plan *plan);
/* The manifest text of a plan (malloc'ed, for accel-fuseview). */
char *ac_plan_manifest(const struct ac_plan *plan, const char *store, const char *qemu);

/*
 * Check that path (canonical, inside the root) is an armel ELF program
 * owned by an installed package of architecture armel; pkg receives it.
 * -ENOEXEC: not an armel ELF program (err says what it is); -ENOPKG: no
 * package owns it.
 */
int ac_program_check(const struct ac_rootdb *db, const char *path, struct ac_pkg **pkg, char *err);

#endif /* ACCEL_STORE_H */
