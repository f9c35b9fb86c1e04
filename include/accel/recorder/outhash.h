/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accel/recorder/outhash.h - output hashes of directory trees, as OpenEmbedded's
 * OEOuthashBasic (meta/lib/oe/sstatesig.py) computes them.
 *
 * Owns: the walk order, the text line of one entry and the sha256 over the
 * lines. The bytes hashed are the function's: a header ("OEOuthashBasic",
 * optional version and extra lines, "SSTATE_PKGSPEC=", "task="), then per
 * directory of a sorted top-down walk: the directory itself, its files and
 * other non-directories in byte order (except files named "fixmepath"), its
 * symlinks to directories; then its subdirectories in order. Timestamps only
 * for task "package" (clamped to SOURCE_DATE_EPOCH, root line left out, as
 * OE does); owner and group/other bits only when asked (OE: under pseudo).
 *
 * Regular files are read and hashed by a pool of threads (the walk is
 * cheap; reading is not), the lines are then hashed in walk order.
 * Functions return 0 or -errno; on error, err (accel/base/err.h) names the
 * path.
 */
#ifndef ACCEL_RECORDER_OUTHASH_H
#define ACCEL_RECORDER_OUTHASH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "accel/base/err.h"

#define AC_OUTHASH_HEX 65 /* 64 hex digits and a NUL */
/* One line: type, 9 mode chars, 2 x (space + name, names bounded by
 * AC_OUTHASH_NAME_MAX), timestamp, device, size, digest, path and target. */
#define AC_OUTHASH_NAME_MAX 256

/* A growable byte buffer (the hashed text, for --lines and siginfo). */
struct ac_buf {
	char *p;
	size_t len, cap;
};
int ac_buf_add(struct ac_buf *b, const void *data, size_t len);
void ac_buf_free(struct ac_buf *b);

struct ac_outhash_opts {
	const char *task;         /* the "task=" line; OE's task name ("" if NULL) */
	const char *pkgspec;      /* the "SSTATE_PKGSPEC=" line ("" if NULL) */
	const char *hash_version; /* HASHEQUIV_HASH_VERSION line, or NULL */
	const char *extra;        /* HASHEQUIV_EXTRA_SIGDATA line, or NULL */
	int owners;               /* owner, group and group/other bits (OE under pseudo) */
	long long source_date_epoch; /* clamp for task "package" */
	int have_source_date_epoch;
	/* Owner names from this root's etc/passwd and etc/group instead of the
	 * host's NSS (a chroot's files, as pseudo sees them). NULL: host. */
	const char *names_root;
	int jobs; /* hashing threads; 0: one per online CPU */
};

/* What OE derives from the task name: owners never for package_write_* and
 * package_qa; timestamps, and no root line, for "package". */
int ac_outhash_task_owners(const char *task, int owners);
int ac_outhash_task_timestamps(const char *task);

/* One walked entry, as the line formatter sees it. */
struct ac_outhash_entry {
	const char *path; /* "./a/b", or "." for the top */
	struct stat st;
	const char *link;    /* symlink target, or NULL */
	unsigned char digest[32]; /* content sha256 of a regular file */
};

/*
 * Format the line of e into buf (size): owner and group (only read when
 * o->owners) are the names to print. Returns the length, or -ENAMETOOLONG
 * when it does not fit. Pure: no file system access.
 */
long ac_outhash_line(const struct ac_outhash_entry *e, const struct ac_outhash_opts *o,
		     const char *owner, const char *group, char *buf, size_t size);

/* The header lines (OEOuthashBasic, version, extra, pkgspec, task). */
int ac_outhash_header(const struct ac_outhash_opts *o, struct ac_buf *out);

/*
 * The output hash of the tree at dir into hex. When lines is not NULL, the
 * hashed text is appended to it too. Returns 0 or -errno (err says which
 * path and what; -EINVAL: options, -ENOENT for an unknown owner id).
 */
int ac_outhash_tree(const char *dir, const struct ac_outhash_opts *o, char hex[AC_OUTHASH_HEX],
		    struct ac_buf *lines, struct ac_err *err);

/* sha256 of a file's content as 64 lowercase hex digits; 0 or -errno. */
int ac_sha256_file(const char *path, char hex[AC_OUTHASH_HEX]);
/* sha256 of a buffer as 64 lowercase hex digits. */
void ac_sha256_hex(const void *data, size_t len, char hex[AC_OUTHASH_HEX]);
/* Is s exactly 64 lowercase hex digits (bitbake's unihash rule)? */
int ac_is_hash64(const char *s);

#endif /* ACCEL_RECORDER_OUTHASH_H */
