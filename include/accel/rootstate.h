/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accel/rootstate.h - what accel keeps on disk for one set-up root, and how
 * a change of the enabled set reaches the running view.
 *
 * STATE/roots/KEY/ (KEY: FNV-1a of the canonical root path) holds, beside
 * accel-bootstrap's own records:
 *   enabled    the enabled programs, canonical paths inside the root, one
 *              per line: the user's intent, kept across reboots and
 *              re-applied by accel-bootstrap;
 *   manifest   what the view serves (accel/store.h), derived from enabled;
 *   skew       packages served at another version than the root's (only
 *              with --allow-skew), "NAME ROOTVERSION STOREVERSION";
 *   store      the store directory this root uses;
 *   control    the view daemon's socket (reload, stats, ping).
 * Every file is replaced atomically (accel/util.h ac_write_atomic), and all
 * changes happen under STATE/lock.
 *
 * Functions return 0 or -errno and describe failures in err (AC_ERR_MAX).
 */
#ifndef ACCEL_ROOTSTATE_H
#define ACCEL_ROOTSTATE_H

#include <stddef.h>

#include "accel/store.h"

#define AC_DEFAULT_STORE_SUBDIR "store"

struct ac_rootstate {
	char state_dir[4096];
	char root[4096];       /* canonical, on the host */
	char key[32];
	char rel[64];          /* "roots/KEY", relative to statefd */
	char dir[4200];        /* STATE/roots/KEY */
	int statefd;
	int lockfd;
};

/* Open STATE (creating it) and take STATE/lock; root is canonical. */
int ac_rootstate_open(struct ac_rootstate *rs, const char *state_dir, const char *root,
		      char *err);
void ac_rootstate_close(struct ac_rootstate *rs);
/* Has ROOT been set up (STATE/roots/KEY/root exists)? */
int ac_rootstate_exists(const struct ac_rootstate *rs);
/* Call fn for every root set up in state_dir, with the root's path and its
 * state directory (STATE/roots/KEY); stops at fn's first nonzero return,
 * which it returns. Takes no lock. A missing state_dir has no roots. */
int ac_roots_each(const char *state_dir,
		  int (*fn)(void *ctx, const char *root, const char *dir), void *ctx);

/* A one-line state file (without its newline) into buf; -ENOENT if absent. */
int ac_state_get(const struct ac_rootstate *rs, const char *file, char *buf, size_t size);
int ac_state_put(const struct ac_rootstate *rs, const char *file, const char *text);

/* The enabled list (sorted, unique; free with ac_strv_free). */
int ac_enabled_read(const struct ac_rootstate *rs, char ***paths, size_t *n);

/*
 * Make paths the enabled set: plan the view (downloading into the store),
 * write manifest, skew and enabled, and if the view daemon runs, make it
 * serve the new manifest and read every newly served file once through the
 * mount (so the kernel caches it). On any error before the daemon took the
 * new manifest, nothing on disk changed; if the daemon refuses it, the old
 * manifest is put back. Programs no longer in the root leave the set (with a
 * warning).
 */
int ac_view_apply(struct ac_rootstate *rs, struct ac_rootdb *db, struct ac_store *store,
		  char *const *paths, size_t n, const char *qemu, char *err);

/* Read every file of the manifest once through the mounted view. */
void ac_view_warm(const struct ac_rootstate *rs);

/* Send a command to the view daemon; reply (malloc'ed) on success.
 * -ECONNREFUSED / -ENOENT: no daemon. */
int ac_view_request(const struct ac_rootstate *rs, const char *cmd, char **reply);

/* Resolve NAME (a command on the root's PATH, or an absolute path inside
 * the root) to its canonical path inside the root. */
int ac_resolve_name(int rootfd, const char *root, const char *name, char *out, size_t size,
		    char *err);

#endif /* ACCEL_ROOTSTATE_H */
