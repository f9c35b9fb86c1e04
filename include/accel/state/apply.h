/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accel/state/apply.h - making an enabled set what a root's view serves.
 *
 * One change, in order: plan (fetching first, accel/view/plan.h), write the
 * manifest, ask the running daemon to reload it (accel/view/control.h),
 * read each newly served file once through the mount (so the kernel caches
 * it), then record the set. On any error before the daemon took the new
 * manifest nothing on disk changed; if the daemon refuses it, the old
 * manifest is put back. Functions return 0 or -errno and say why in err;
 * what the user should know on success (programs gone from the root, files
 * the daemon refused) goes to the store's note callback.
 */
#ifndef ACCEL_STATE_APPLY_H
#define ACCEL_STATE_APPLY_H

#include <stddef.h>

#include "accel/base/err.h"
#include "accel/root/rootdb.h"
#include "accel/state/rootstate.h"
#include "accel/store/store.h"

/* Make paths the enabled set; qemu (absolute, or NULL) is served at
 * AC_VREL_QEMU. Programs no longer in the root leave the set. */
int ac_view_apply(struct ac_rootstate *rs, struct ac_rootdb *db, struct ac_store *store,
		  char *const *paths, size_t n, const char *qemu, struct ac_err *err);

/* Read every file of the manifest once through the mounted view. */
void ac_view_warm(const struct ac_rootstate *rs);

#endif /* ACCEL_STATE_APPLY_H */
