/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accel/exec/stamp.h - what a served program was planned against.
 *
 * A host equivalent is right for a root only while the root still holds
 * what the plan read: the armel program itself and the packages of its
 * closure (their dpkg file lists, which dpkg writes anew whenever it
 * unpacks the package: an upgrade, a downgrade, a reinstall). The planner
 * records each such file's size and modification time; the view serves
 * them beside the program (AC_VIEW_STAMP_DIR<canonical path>); the
 * dispatcher compares them with the files the root has now, per exec, and
 * emulates on any difference. So a view never serves a program for a root
 * that changed under it: a follower that has not re-planned yet, or a view
 * prepared once for a base tarball and bind-mounted into every fresh build
 * root unpacked from it (accel-template(8)), whose build then upgrades a
 * package.
 *
 * The text, one line per file, decimal fields separated by one space:
 *     SEC NSEC SIZE /PATH\n
 * PATH is absolute in the root (inside the chroot: "/" is the root) and
 * holds no newline. Two stamps are the same when SIZE and SEC are equal
 * and NSEC is equal or 0 on either side (an archive without nanoseconds,
 * a GNU tar base tarball, unpacks with 0).
 *
 * Freestanding-safe: the dispatcher links it.
 */
#ifndef ACCEL_EXEC_STAMP_H
#define ACCEL_EXEC_STAMP_H

#include <stddef.h>

#include "accel/exec/layout.h"

/* The stamps of VIEW are served at AC_VREL_STAMP_DIR/VIEW. */
#define AC_VREL_STAMP_DIR AC_VREL_RESERVED "/stamp"
#define AC_VIEW_STAMP_DIR AC_VIEW_DIR "/" AC_VREL_STAMP_DIR
/* The most the dispatcher reads: a program with a closure of a hundred
 * packages fits; a longer text is not trusted (emulated). */
#define AC_STAMPS_MAX 8192

struct ac_stamp {
	long long sec;
	long nsec;
	unsigned long long size;
};

/* The next line of text (len bytes) from *pos: 1 and st and path (size
 * psize, NUL-terminated) filled, *pos moved past it; 0 at the end; -EINVAL
 * for a malformed line or a path that does not fit. */
int ac_stamp_next(const char *text, size_t len, size_t *pos, struct ac_stamp *st, char *path,
		  size_t psize);
/* Is have (the file now) the same as want (the plan's)? */
int ac_stamp_same(const struct ac_stamp *want, const struct ac_stamp *have);
/* Do all stamps of text hold for the files under dirfd now (paths taken
 * relative to dirfd without their leading '/', or as they are with
 * AT_FDCWD; symbolic links not followed)?
 * 1 yes; 0 a file differs or is gone; -EINVAL malformed or empty text. */
int ac_stamps_hold(int dirfd, const char *text, size_t len);

#endif /* ACCEL_EXEC_STAMP_H */
