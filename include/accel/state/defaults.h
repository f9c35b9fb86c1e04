/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accel/state/defaults.h - the default set: what a root runs natively after
 * its first set-up, before anybody ran accelctl.
 *
 * The policy: the tools that dominate build time, as packages whose armel
 * programs are all enabled (bash, dash, make, m4, perl-base, the
 * compressors, tar, sed, grep, awk, coreutils, diffutils, findutils, patch,
 * file, dpkg) and dpkg-deb, if the root has them (uname and arch too: native
 * processes are told the root's machine, accel/exec/identity.h; dpkg its
 * architecture, accel/view/retell.h); the build systems' own tools where a
 * build installed them (cmake, ninja-build, pkgconf-bin, bison, flex,
 * gettext, gettext-base, groff-base, xsltproc, install-info: each checked
 * emulated against native in tests/e2e/identity.sh); what debhelper runs
 * besides (fakeroot's faked, dwz, hostname, util-linux's getopt, man-db's
 * man-recode: the same in identity.sh); doxygen (emulated when its
 * configuration turns libclang on, accel/exec/route.h); and the compiler once
 * it is faithful: when the store holds the host build of the exact GCC
 * behind the root's /usr/bin/gcc (accel-build-toolchain); and binutils'
 * assembler, whose faithful host build is the i386 one (accel/view/plan.h),
 * where the kernel runs i386 programs and apt has i386 packages
 * (ac_assembler_ready). Left out:
 * python3 (word size, x87 rounding, struct alignment: kbuild-notes/identity.md)
 * and getconf (it answers the ABI's constants: LONG_BIT is 64 natively).
 */
#ifndef ACCEL_STATE_DEFAULTS_H
#define ACCEL_STATE_DEFAULTS_H

#include <stddef.h>

#include "accel/root/rootdb.h"
#include "accel/store/store.h"

/* Add the default set of db's root to *set (count *n): the whole set is
 * then sorted and without repeats. why (at least 1 byte) gets the reason
 * the root's assembler is left out (ac_assembler_ready), or "". Returns 0
 * or -errno. */
int ac_default_set(const struct ac_rootdb *db, const struct ac_store *s, char ***set, size_t *n,
		   char *why, size_t why_size);
/* Can this machine run the root's assembler natively? 1, or 0 with the
 * reason and the fix in why. */
int ac_assembler_ready(char *why, size_t size);
/* The canonical path of the root's /usr/bin/as into out, if binutils'
 * (1), else 0. */
int ac_default_assembler(const struct ac_rootdb *db, char *out, size_t size);

/* Why the root program path of package pkg is kept out of the default set
 * although it has a host build (one line), or NULL: what accelctl account
 * says instead of an enable line. */
const char *ac_default_unfaithful(const char *pkg, const char *path);

#endif /* ACCEL_STATE_DEFAULTS_H */
