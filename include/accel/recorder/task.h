/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accel/recorder/task.h - sstate-style reuse of a task's output directory.
 *
 * Owns: the taskhash of a task definition, the task store (a directory with
 * accel.db and the archives under sstate/) and the archives themselves.
 *
 * The taskhash covers, as text hashed with sha256: the task's name, its
 * command and arguments, the declared environment (name and value, or
 * unset), the output directory's path, each input's path and content (a
 * file's sha256 and executable bit, a directory's OEOuthashBasic) and the
 * unihash of every task it runs after. Archives are tar (pax) compressed
 * with zstd, named sstate/<uh[0:2]>/<uh[2:4]>/sstate:<name>:<unihash>.tar.zst
 * after the unihash they hold, written to a temporary name and renamed. The
 * outhash of the archived tree is recorded beside it; a restore extracts to
 * a temporary directory, recomputes the outhash and only then swaps it in,
 * so a damaged archive is found, deleted and never restored.
 *
 * Functions return 0 or -errno and say why in err (accel/base/err.h; may be
 * NULL).
 */
#ifndef ACCEL_RECORDER_TASK_H
#define ACCEL_RECORDER_TASK_H

#include <stddef.h>
#include <time.h>

#include "accel/recorder/equiv.h"
#include "accel/recorder/outhash.h"

struct ac_taskdef {
	const char *name;
	const char *const *argv; /* the command, NULL-terminated */
	const char *const *env_names; /* declared environment, NULL-terminated */
	const char *const *env_values; /* same order; NULL entry: unset */
	const char *output;            /* the output directory as given */
	const char *const *inputs;     /* paths, NULL-terminated */
	const char *const *input_hashes; /* their content hashes (ac_task_input_hash) */
	const char *const *after_names;  /* tasks it runs after, NULL-terminated */
	const char *const *after_unihashes;
};

/* The text hashed for def (malloc'd into text), and its sha256. Pure. */
int ac_taskhash(const struct ac_taskdef *def, struct ac_buf *text, char hex[AC_HASH_HEX]);

/* The content hash of one input: "file <sha256> <x|->" or "dir <outhash>". */
int ac_task_input_hash(const char *path, char *out, size_t size, struct ac_err *err);

struct ac_taskstore;

int ac_taskstore_open(const char *dir, struct ac_taskstore **out, struct ac_err *err);
void ac_taskstore_close(struct ac_taskstore *s);
/* The local equivalence database's path (STORE/accel.db). */
const char *ac_taskstore_db(const struct ac_taskstore *s);

/* The last run of task name: its unihash, or -ENOENT. */
int ac_taskstore_last(struct ac_taskstore *s, const char *name, char unihash[AC_HASH_HEX],
		      struct ac_err *err);
int ac_taskstore_set_last(struct ac_taskstore *s, const char *name, const char *taskhash,
			  const char *unihash, const char *outhash, struct ac_err *err);

/* Is there an archive for unihash? Its recorded outhash, or -ENOENT. */
int ac_taskstore_lookup(struct ac_taskstore *s, const char *name, const char *unihash,
			char outhash[AC_HASH_HEX], struct ac_err *err);
/* Archive dir under unihash with its outhash (atomically). */
int ac_taskstore_archive(struct ac_taskstore *s, const char *name, const char *unihash,
			 const char *dir, const char *outhash, struct ac_err *err);
/*
 * Restore the archive of unihash into dir: extract beside dir, compare the
 * outhash (computed with o) with the recorded one, swap in. -EBADMSG: the
 * archive was damaged (it has been deleted; dir is untouched).
 */
int ac_taskstore_restore(struct ac_taskstore *s, const char *name, const char *unihash,
			 const char *dir, const struct ac_outhash_opts *o, struct ac_err *err);

/* Delete archives unused for max_age seconds (0: no limit), then the least
 * recently used until the total is at most max_bytes (0: no limit).
 * removed/kept count archives, freed/left bytes. */
struct ac_gc_result {
	size_t removed, kept;
	unsigned long long freed, left;
};
int ac_taskstore_gc(struct ac_taskstore *s, unsigned long long max_bytes, time_t max_age,
		    struct ac_gc_result *res, struct ac_err *err);

#endif /* ACCEL_RECORDER_TASK_H */
