/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accel/base/util.h - the programs' way to die, and small file, string
 * and hash helpers shared by every hosted module.
 *
 * Two levels of errors (../shared/STYLE.md): programs die at set-up through
 * ac_die*() with "prog: what: strerror" and a documented exit code; library
 * functions return -errno, say what failed in a struct ac_err
 * (accel/base/err.h) and never exit or print. The die helpers are for
 * programs only.
 */
#ifndef ACCEL_BASE_UTIL_H
#define ACCEL_BASE_UTIL_H

#include <stddef.h>
#include <sys/types.h>
#include <stdint.h>
#include <unistd.h>

#include "accel/base/err.h"

/* Exit codes shared by accel's hosted programs (documented in their man pages). */
enum ac_exit {
	AC_EXIT_OK = 0,
	AC_EXIT_FAILURE = 1,   /* a system call failed; the message names it */
	AC_EXIT_USAGE = 2,     /* bad options or arguments */
	AC_EXIT_NOT_ARMEL = 3, /* ROOT is not an armel root */
	AC_EXIT_KERNEL = 4,    /* the kernel lacks binfmt_misc (or we may not use it) */
	AC_EXIT_CONFLICT = 5,  /* something that is not ours is in the way */
	AC_EXIT_NO_EQUIVALENT = 6, /* no host build of the root's exact version */
	AC_EXIT_DIFFERENT = 7, /* verify: emulated and accelerated outputs differ */
	AC_EXIT_NOT_FOUND = 8, /* equiv get: no unihash for the taskhash */
	AC_EXIT_PEER = 9,      /* the hash equivalence server failed or refused */
};

/* Set once by main() from argv[0]'s basename. A global because every
 * message of the process carries it. */
extern const char *ac_progname;

void ac_set_progname(const char *argv0);
__attribute__((noreturn, format(printf, 2, 3))) void ac_die(int code, const char *fmt, ...);
__attribute__((noreturn, format(printf, 3, 4))) void ac_die_errno(int code, int err,
								  const char *fmt, ...);
/* Print err's message (the library's one line) and exit with code. */
__attribute__((noreturn)) void ac_die_err(int code, const struct ac_err *err);
__attribute__((format(printf, 1, 2))) void ac_warn(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void ac_info(const char *fmt, ...);

/* snprintf that refuses to truncate: a program-level helper (it exits with
 * AC_EXIT_USAGE naming the over-long result), never for library code. */
__attribute__((format(printf, 3, 4))) void ac_xsnprintf(char *buf, size_t size, const char *fmt,
							 ...);

/* Write len bytes to path (no O_CREAT, no O_TRUNC: for /proc and /sys files)
 * in one write(2); returns 0 or -errno. */
int ac_write_proc(const char *path, const char *data, size_t len);
/* Read at most size-1 bytes of path into buf, NUL-terminated; returns the
 * length or -errno. */
long ac_read_small(int dirfd, const char *path, char *buf, size_t size);
/* The pid a pid file (path, relative to dirfd) names, if that process runs
 * and its comm starts with comm (a stale file names another program);
 * else 0. */
pid_t ac_pidfile_running(int dirfd, const char *path, const char *comm);
/* Wait up to ms milliseconds for process pid to be gone (reaping it if it
 * is our child); 1 if it is. */
int ac_wait_gone(pid_t pid, int ms);
/* Create path (relative to dirfd) with content, atomically: a temporary
 * file in the same directory, fsync, rename. Returns 0 or -errno. */
int ac_write_atomic(int dirfd, const char *path, const char *data, size_t len, int mode);
/* Open (creating, 0600) the lock file name in dirfd and take an exclusive
 * flock on it, waiting; returns the fd (the lock lives as long as it) or
 * -errno. Serialises accel's programs on one state directory or store. */
int ac_lock_file(int dirfd, const char *name);
/* mkdir -p relative to dirfd with mode; returns 0 or -errno. */
int ac_mkdir_p(int dirfd, const char *path, int mode);
/* Remove a directory tree relative to dirfd (never following links);
 * returns 0 or -errno. A missing path is success; -ELOOP for a tree more
 * than 1024 directories deep (nothing below that level is removed). */
int ac_rm_rf(int at, const char *path);

/*
 * Which mount is on top at mountpoint (an absolute path as seen by this
 * process), from /proc/self/mountinfo: its root within its source file
 * system goes to root (size rsize) and its fs type to fstype (size tsize).
 * Returns 1 if mountpoint is a mount point, 0 if not, or -errno.
 */
int ac_mount_lookup(const char *mountpoint, char *root, size_t rsize, char *fstype,
		    size_t tsize);

/* String vectors (char **, count), as the enabled sets are kept. */
/* Add a copy of s unless it is there already; 1 added, 0 present, -ENOMEM. */
int ac_strv_add(char ***v, size_t *n, const char *s);
void ac_strv_free(char **v, size_t n);
/* qsort comparator for a char * array. */
int ac_cmp_strp(const void *a, const void *b);

/* 64-bit FNV-1a: names state directories after root paths and hashes the
 * tables of the root database and the view. ac_fnv1a64_add continues a
 * hash over more bytes (start from AC_FNV1A64_INIT). */
#define AC_FNV1A64_INIT 0xcbf29ce484222325ULL
uint64_t ac_fnv1a64_add(uint64_t h, const void *data, size_t len);
uint64_t ac_fnv1a64(const char *s);

static inline void ac_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
#define _cleanup_close_ __attribute__((cleanup(ac_closep)))

#endif /* ACCEL_BASE_UTIL_H */
