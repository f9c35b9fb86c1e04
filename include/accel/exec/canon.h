/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accel/exec/canon.h - canonical path of a file as seen inside a root.
 *
 * The dispatcher needs the path under which the view would serve a binary:
 * relative paths joined to the working directory, "." and ".." applied,
 * every symlink (relative or absolute, /etc/alternatives chains, merged-/usr
 * directory links) resolved, with absolute link targets and ".." at the top
 * staying inside the root, the way the kernel resolves them for a chrooted
 * process. Names are bytes: no encoding is assumed.
 *
 * Works with raw syscalls (accel/exec/sys.h), so it runs in the freestanding
 * dispatcher and in hosted tools and tests alike. No allocation.
 */
#ifndef ACCEL_EXEC_CANON_H
#define ACCEL_EXEC_CANON_H

#include <stddef.h>

/* The kernel's PATH_MAX: no path handed to a syscall may be longer. */
#define AC_PATH_MAX 4096
/* The kernel's own limit on symlinks followed in one lookup (MAXSYMLINKS). */
#define AC_MAXSYMLINKS 40

/*
 * Resolve path into out (size outsz, at most AC_PATH_MAX is useful).
 *
 * rootfd: AT_FDCWD to resolve against the calling process's own root (what
 *         the dispatcher does inside a chroot), or a directory fd that plays
 *         the root (tests, and host-side tools looking into a root).
 * cwd:    absolute working directory, as seen inside that root; used only
 *         when path is relative (may be NULL otherwise).
 *
 * Returns the length of out (always >= 1, out starts with '/'), or -errno:
 *   -EINVAL       empty path, or relative path without an absolute cwd
 *   -ENAMETOOLONG a path or link target longer than AC_PATH_MAX
 *   -ELOOP        more than AC_MAXSYMLINKS links followed
 *   -ENOENT, -ENOTDIR, -EACCES ...  from the lookups themselves
 */
long ac_canon(int rootfd, const char *cwd, const char *path, char *out, size_t outsz);

#endif /* ACCEL_EXEC_CANON_H */
