/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accel/store/store.h - the host store: amd64 builds of a root's exact
 * package versions, fetched and unpacked once, shared by every root.
 *
 * Owns STORE/debs (the verified .deb files) and STORE/pkgs/NAME_VERSION_amd64
 * (each unpacked whole or not at all; NAME_VERSION_i386 for the few programs
 * whose faithful host build is the 32-bit one, and their libraries:
 * accel/view/plan.h), and names STORE/toolchains/gcc-N_VERSION
 * (host builds of a root's GCC, made by accel-build-toolchain, never
 * downloaded). Fetching is `apt-get download NAME:amd64=VERSION` (apt
 * verifies) after `apt-cache madison` says which versions exist; nothing
 * else here touches the network, and nothing here plans what to serve
 * (accel/view/plan.h asks for packages, then reads what is unpacked).
 *
 * Functions return 0 or -errno and say why in err; -ENOPKG means "no host
 * build of that exact version". They never exit or print (but apt's own
 * progress, which s->verbose lets through).
 */
#ifndef ACCEL_STORE_STORE_H
#define ACCEL_STORE_STORE_H

#include <stddef.h>

#include "accel/base/err.h"
#include "accel/root/rootdb.h"

struct ac_store {
	char dir[4096];
	int fd;
	int lockfd;
	int allow_skew;
	int allow_toolchain_skew; /* accept a compiler built from another version */
	int verbose;            /* show apt's progress */
	/* What the program tells its user while fetching (NULL: nothing);
	 * library code itself never prints. */
	void (*note)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
};

/* Open (creating) the store at dir and lock it for this process. */
int ac_store_open(struct ac_store *s, const char *dir, struct ac_err *err);
void ac_store_close(struct ac_store *s);
/* Make sure every package of db with wanted set is unpacked in the store
 * (with wanted32, its i386 build too; apt must know the i386 architecture:
 * `dpkg --add-architecture i386`), downloading what is missing in one
 * apt-get run. Version skew: refused
 * (-ENOPKG, naming package and both versions) unless s->allow_skew, where
 * store_version records what was taken instead. */
int ac_store_fetch(struct ac_store *s, struct ac_rootdb *db, struct ac_err *err);
/* Is p (with wanted set or not) unpacked in the store? */
int ac_store_has(const struct ac_store *s, const struct ac_pkg *p);
/* The same for its build for arch ("amd64" or "i386"). */
int ac_store_has_arch(const struct ac_store *s, const struct ac_pkg *p, const char *arch);
/* "pkgs/NAME_VERSION_amd64" of p in the store (store_version); for the
 * compiler packages (p->toolchain) "toolchains/gcc-N_VERSION": the host
 * build of the root's GCC made by accel-build-toolchain, never Debian's
 * amd64 gcc-N (which targets amd64). A missing toolchain is not downloaded:
 * ac_store_fetch refuses (-ENOPKG) with the command that builds it. */
int ac_store_pkgdir(const struct ac_pkg *p, char *out, size_t size);
/* "pkgs/NAME_VERSION_ARCH": ac_store_pkgdir for another host architecture
 * (never a toolchain's). */
int ac_store_pkgdir_arch(const struct ac_pkg *p, const char *arch, char *out, size_t size);
/* The version the store holds of p: store_version, or the root's. */
const char *ac_store_version(const struct ac_pkg *p);
/* Is the toolchain for p (exact version, or store_version) in the store? */
int ac_store_has_toolchain(const struct ac_store *s, const struct ac_pkg *p);

/*
 * A path inside package directory pkgdir (relative to the store), links
 * resolved inside the package; the store-relative result goes to out.
 * -ENOENT if it is missing or not a regular file (directories too when
 * isdir is given: *isdir says which), -EXDEV if it resolves out of the store.
 */
int ac_store_resolve(const struct ac_store *s, const char *pkgdir, const char *rel, char *out,
		     size_t size, int *isdir);

#endif /* ACCEL_STORE_STORE_H */
