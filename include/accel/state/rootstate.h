/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accel/state/rootstate.h - what accel keeps on disk for one set-up root.
 *
 * STATE/roots/KEY/ (KEY: FNV-1a of the canonical root path) holds:
 *   root        the root's canonical path (the root "is set up")
 *   enabled     the enabled programs, canonical paths inside the root, one
 *               per line: the user's intent, kept across reboots and
 *               re-applied by accel-bootstrap;
 *   manifest    what the view serves (accel/view/manifest.h), from enabled;
 *   skew        packages served at another version than the root's (only
 *               with --allow-skew), "NAME ROOTVERSION STOREVERSION";
 *   store       the store directory this root uses;
 *   allow-skew, allow-toolchain-skew   present once allowed for the root;
 *   follow      present while the enabled set is the default set, which
 *               then follows the root's packages (accel-bootstrap recomputes
 *               it, its follower on every change; accelctl disable ends it);
 *   binfmt-name, dispatcher, created-mountpoint   accel-bootstrap's record;
 *   qemu-arm-static   the host qemu the view serves at AC_VREL_QEMU;
 *   control     the view daemon's socket (accel/view/control.h);
 *   fuseview.pid, fuseview.log   the daemon's.
 * Every file is replaced atomically (ac_write_atomic), and all changes
 * happen under STATE/lock, which ac_rootstate_open() takes.
 *
 * Functions return 0 or -errno and say why in err.
 */
#ifndef ACCEL_STATE_ROOTSTATE_H
#define ACCEL_STATE_ROOTSTATE_H

#include <stddef.h>

#include "accel/base/err.h"
#include "accel/store/store.h"

#define AC_DEFAULT_STORE_SUBDIR "store"

/* The state files (see above), relative to STATE/roots/KEY. */
#define AC_STATE_ROOT "root"
#define AC_STATE_ENABLED "enabled"
#define AC_STATE_MANIFEST "manifest"
#define AC_STATE_SKEW "skew"
#define AC_STATE_STORE "store"
#define AC_STATE_ALLOW_SKEW "allow-skew"
#define AC_STATE_ALLOW_TOOLCHAIN_SKEW "allow-toolchain-skew"
#define AC_STATE_BINFMT_NAME "binfmt-name"
#define AC_STATE_DISPATCHER "dispatcher"
#define AC_STATE_CREATED_MOUNTPOINT "created-mountpoint"
#define AC_STATE_FOLLOW "follow"
#define AC_STATE_QEMU "qemu-arm-static"
#define AC_STATE_MACHINE "machine" /* what qemu says uname's machine is */
#define AC_STATE_FUSEVIEW "fuseview"      /* the view daemon set-up ran */
#define AC_STATE_HOST_QEMU "qemu"          /* the host qemu set-up staged */
#define AC_STATE_STOPPED "stopped"         /* accel-bootstrap --stop: nothing runs */
#define AC_STATE_PID "fuseview.pid"
#define AC_STATE_LOG "fuseview.log"

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
		      struct ac_err *err);
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
int ac_state_has(const struct ac_rootstate *rs, const char *file);
/* Remove a state file; an absent one is no error. */
int ac_state_del(const struct ac_rootstate *rs, const char *file);
/* A whole state file (malloc'ed, NUL-terminated, sized by fstat, at most
 * max bytes), or -errno (-ENOENT: absent, -E2BIG: larger). */
int ac_state_read(const struct ac_rootstate *rs, const char *file, size_t max, char **text);

/* The enabled list (sorted, unique; free with ac_strv_free). */
int ac_enabled_read(const struct ac_rootstate *rs, char ***paths, size_t *n);

/* What a change may take beyond the root's exact versions. Once allowed for
 * a root (recorded in its state), it stays allowed until teardown: the
 * programs enabled with it must keep their host build. */
enum ac_skew {
	AC_SKEW_PACKAGES = 1,  /* --allow-skew */
	AC_SKEW_TOOLCHAIN = 2, /* --allow-toolchain-skew */
};
/*
 * Open the root's store: dir if given, else the one recorded for the root,
 * else STATE/store; skew allowed as given now or as recorded for the root.
 * accel-bootstrap and accelctl both open it here, so that what one allowed
 * the other keeps.
 */
int ac_rootstate_store(const struct ac_rootstate *rs, const char *dir, unsigned skew,
		       struct ac_store *s, struct ac_err *err);
/* Record skew as allowed for the root (after the change that needed it). */
int ac_rootstate_allow(const struct ac_rootstate *rs, unsigned skew, struct ac_err *err);

#endif /* ACCEL_STATE_ROOTSTATE_H */
