// SPDX-License-Identifier: GPL-2.0-or-later
/* Applying an enabled set to a root's view; see accel/state/apply.h. */
#include "config.h"

#include "accel/state/apply.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accel/base/util.h"
#include "accel/exec/layout.h"
#include "accel/view/control.h"
#include "accel/view/manifest.h"
#include "accel/view/plan.h"

/* Read a served file once through the mount: the kernel then holds its
 * name and pages, which also keeps running programs working should the
 * daemon die. */
static void warm(const struct ac_rootstate *rs, const char *view)
{
	char path[8400], buf[1 << 16];
	int fd;

	snprintf(path, sizeof(path), "%s%s/%s", rs->root, AC_VIEW_DIR, view);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
}

void ac_view_warm(const struct ac_rootstate *rs)
{
	struct ac_manifest m;
	char path[256];

	snprintf(path, sizeof(path), "%s/" AC_STATE_MANIFEST, rs->rel);
	if (ac_manifest_read(rs->statefd, path, &m, NULL))
		return;
	if (m.qemu)
		warm(rs, AC_VREL_QEMU);
	for (size_t i = 0; i < m.nfiles; i++)
		warm(rs, m.files[i].view);
	ac_manifest_free(&m);
}

/* Programs removed from the root since they were enabled leave the set
 * (they no longer exist to be run). keep receives the others. */
static size_t still_there(const struct ac_rootstate *rs, const struct ac_rootdb *db,
			  const struct ac_store *store, char *const *paths, size_t n, char **keep)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		struct stat st;

		if (fstatat(db->rootfd, paths[i] + 1, &st, AT_SYMLINK_NOFOLLOW) < 0 &&
		    errno == ENOENT) {
			if (store->note)
				store->note("%s is gone from %s; it leaves the enabled set", paths[i],
					    rs->root);
			continue;
		}
		keep[k++] = paths[i];
	}
	return k;
}

/* The state files that record a set: enabled, skew (malloc'ed). */
static int record_texts(const struct ac_rootdb *db, char *const *paths, size_t n, char **enabled,
			char **skew)
{
	size_t elen = 1, slen = 1;

	for (size_t i = 0; i < n; i++)
		elen += strlen(paths[i]) + 1;
	for (size_t i = 0; i < db->npkgs; i++)
		if (db->pkgs[i].wanted && db->pkgs[i].store_version)
			slen += strlen(db->pkgs[i].name) + strlen(db->pkgs[i].version) +
				strlen(db->pkgs[i].store_version) + 3;
	*enabled = calloc(1, elen);
	*skew = calloc(1, slen);
	if (!*enabled || !*skew)
		return -ENOMEM;
	for (size_t i = 0, at = 0; i < n; i++)
		at += (size_t)snprintf(*enabled + at, elen - at, "%s\n", paths[i]);
	for (size_t i = 0, at = 0; i < db->npkgs; i++)
		if (db->pkgs[i].wanted && db->pkgs[i].store_version)
			at += (size_t)snprintf(*skew + at, slen - at, "%s %s %s\n", db->pkgs[i].name,
					       db->pkgs[i].version, db->pkgs[i].store_version);
	return 0;
}

/* Have the daemon (if one runs) serve the manifest just written; old is
 * the manifest before (NULL: none), put back if the daemon refuses. 1: a
 * daemon took it, 0: none runs. */
static int reload(struct ac_rootstate *rs, const struct ac_store *store, const char *old_text,
		  struct ac_err *err)
{
	struct ac_reload_reply rep;
	char *reply = NULL, *again = NULL;
	int r = ac_control_request(rs->dir, AC_CONTROL_RELOAD, &reply, NULL);

	if (r == -ENOENT || r == -ECONNREFUSED)
		return 0; /* no daemon: the next one starts with this manifest */
	if (r) {
		r = ac_fail_errno(err, r, "the view daemon of %s did not answer", rs->root);
		if (old_text)
			ac_state_put(rs, AC_STATE_MANIFEST, old_text); /* the enabled set is unchanged */
		return r;
	}
	if (ac_control_reload_parse(reply, &rep) || !rep.ok) {
		/* The daemon refused the manifest: serve the old one again. */
		r = ac_fail(err, -EPROTO, "the view refused the change: %.*s",
			    (int)(rep.error ? rep.error_len : strcspn(reply, "\n")),
			    rep.error ? rep.error : reply);
		if (old_text) {
			ac_state_put(rs, AC_STATE_MANIFEST, old_text);
			ac_control_request(rs->dir, AC_CONTROL_RELOAD, &again, NULL);
			free(again);
		}
		free(reply);
		return r;
	}
	/* Some files were refused (malformed in the store): they are not
	 * served; the rest of the change stands. */
	if (rep.first_refused && store->note)
		store->note("%.*s", (int)rep.first_refused_len, rep.first_refused);
	free(reply);
	return 1;
}

int ac_view_apply(struct ac_rootstate *rs, struct ac_rootdb *db, struct ac_store *store,
		  char *const *paths_in, size_t n_in, const char *qemu, struct ac_err *err)
{
	char **paths = calloc(n_in + 1, sizeof(*paths));
	char *manifest = NULL, *old_text = NULL, *enabled = NULL, *skew = NULL;
	struct ac_manifest old = {0};
	struct ac_plan plan = {0};
	char line[4200], machine[sizeof(rs->dir) + sizeof(AC_STATE_MACHINE) + 1] = "";
	int r, had_old, served;
	size_t n;

	if (!paths)
		return -ENOMEM;
	n = still_there(rs, db, store, paths_in, n_in, paths);
	if ((r = ac_plan_make(db, store, paths, n, &plan, err)))
		goto out;
	/* The machine native processes are told (accel-bootstrap measured
	 * it); a root set up before accel knew it gets none. */
	if (ac_state_has(rs, AC_STATE_MACHINE))
		snprintf(machine, sizeof(machine), "%s/" AC_STATE_MACHINE, rs->dir);
	manifest = ac_manifest_format(&plan, store->dir, qemu, machine[0] ? machine : NULL);
	if (!manifest || record_texts(db, paths, n, &enabled, &skew)) {
		r = -ENOMEM;
		goto out;
	}
	r = ac_state_read(rs, AC_STATE_MANIFEST, AC_MANIFEST_MAX, &old_text);
	if (r && r != -ENOENT) {
		r = ac_fail_errno(err, r, "read %s/" AC_STATE_MANIFEST, rs->dir);
		goto out;
	}
	had_old = old_text && !ac_manifest_parse(old_text, strlen(old_text), &old, NULL);
	if ((r = ac_state_put(rs, AC_STATE_MANIFEST, manifest))) {
		r = ac_fail_errno(err, r, "write %s/" AC_STATE_MANIFEST, rs->dir);
		goto out;
	}
	if ((r = served = reload(rs, store, old_text, err)) < 0)
		goto out;
	if (served) {
		if (!had_old || !old.qemu)
			warm(rs, AC_VREL_QEMU);
		for (size_t i = 0; i < plan.n; i++)
			if (!had_old || !ac_manifest_has(&old, plan.e[i].view))
				warm(rs, plan.e[i].view);
	}
	snprintf(line, sizeof(line), "%s\n", store->dir);
	if ((r = ac_state_put(rs, AC_STATE_SKEW, skew)) ||
	    (r = ac_state_put(rs, AC_STATE_ENABLED, enabled)) ||
	    (r = ac_state_put(rs, AC_STATE_STORE, line))) {
		r = ac_fail_errno(err, r, "write %s", rs->dir);
		goto out;
	}
	r = 0;
out:
	ac_plan_free(&plan);
	ac_manifest_free(&old);
	free(manifest);
	free(old_text);
	free(enabled);
	free(skew);
	free(paths);
	return r;
}
