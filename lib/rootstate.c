// SPDX-License-Identifier: GPL-2.0-or-later
/* Per-root state and applying an enabled set; see accel/rootstate.h. */
#include "config.h"

#include "accel/rootstate.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "accel/canon.h"
#include "accel/route.h"
#include "accel/util.h"

#define ENABLED_MAX (1u << 20) /* bytes: tens of thousands of programs */

int ac_rootstate_open(struct ac_rootstate *rs, const char *state_dir, const char *root,
		      char *err)
{
	int r;

	memset(rs, 0, sizeof(*rs));
	rs->statefd = rs->lockfd = -1;
	snprintf(rs->state_dir, sizeof(rs->state_dir), "%s", state_dir);
	snprintf(rs->root, sizeof(rs->root), "%s", root);
	snprintf(rs->key, sizeof(rs->key), "%016llx", ac_fnv1a64(root));
	snprintf(rs->rel, sizeof(rs->rel), "roots/%s", rs->key);
	snprintf(rs->dir, sizeof(rs->dir), "%s/%s", state_dir, rs->rel);
	if ((r = ac_mkdir_p(AT_FDCWD, state_dir, 0755)))
		return ac_fail(err, r, "state directory %s: %s", state_dir, strerror(-r));
	rs->statefd = open(state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rs->statefd < 0)
		return ac_fail(err, -errno, "state directory %s: %s", state_dir, strerror(errno));
	rs->lockfd = ac_lock_file(rs->statefd, "lock");
	if (rs->lockfd < 0)
		return ac_fail(err, rs->lockfd, "lock %s/lock: %s", state_dir, strerror(-rs->lockfd));
	return 0;
}

int ac_roots_each(const char *state_dir,
		  int (*fn)(void *ctx, const char *root, const char *dir), void *ctx)
{
	char dir[PATH_MAX], path[PATH_MAX + 8], root[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int r = 0;

	snprintf(dir, sizeof(dir), "%s/roots", state_dir);
	if (!(d = opendir(dir)))
		return 0;
	while (!r && (de = readdir(d))) {
		ssize_t len;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/roots/%s", state_dir, de->d_name);
		snprintf(path, sizeof(path), "%s/root", dir);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		len = read(fd, root, sizeof(root) - 1);
		close(fd);
		if (len <= 1)
			continue;
		root[len - 1] = '\0'; /* the newline */
		r = fn(ctx, root, dir);
	}
	closedir(d);
	return r;
}

void ac_rootstate_close(struct ac_rootstate *rs)
{
	if (rs->statefd >= 0)
		close(rs->statefd);
	if (rs->lockfd >= 0)
		close(rs->lockfd);
	rs->statefd = rs->lockfd = -1;
}

int ac_rootstate_exists(const struct ac_rootstate *rs)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/root", rs->rel);
	return faccessat(rs->statefd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

int ac_state_get(const struct ac_rootstate *rs, const char *file, char *buf, size_t size)
{
	char path[256];
	long n;

	snprintf(path, sizeof(path), "%s/%s", rs->rel, file);
	n = ac_read_small(rs->statefd, path, buf, size);
	if (n < 0)
		return (int)n;
	if (n == 0 || buf[n - 1] != '\n')
		return -EINVAL;
	buf[n - 1] = '\0';
	return 0;
}

int ac_state_put(const struct ac_rootstate *rs, const char *file, const char *text)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", rs->rel, file);
	return ac_write_atomic(rs->statefd, path, text, strlen(text), 0644);
}

int ac_enabled_read(const struct ac_rootstate *rs, char ***paths, size_t *n)
{
	char path[256], *buf, *save = NULL;
	char **v = NULL;
	size_t cap = 0, k = 0;
	long len;

	*paths = NULL;
	*n = 0;
	if (!(buf = malloc(ENABLED_MAX)))
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/enabled", rs->rel);
	len = ac_read_small(rs->statefd, path, buf, ENABLED_MAX);
	if (len == -ENOENT) {
		free(buf);
		return 0;
	}
	if (len < 0) {
		free(buf);
		return (int)len;
	}
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (l[0] != '/')
			continue;
		if (k == cap) {
			char **nv;

			cap = cap ? cap * 2 : 64;
			if (!(nv = realloc(v, cap * sizeof(*v)))) {
				ac_strv_free(v, k);
				free(buf);
				return -ENOMEM;
			}
			v = nv;
		}
		if (!(v[k] = strdup(l))) {
			ac_strv_free(v, k);
			free(buf);
			return -ENOMEM;
		}
		k++;
	}
	free(buf);
	if (k)
		qsort(v, k, sizeof(*v), ac_cmp_strp);
	*paths = v;
	*n = k;
	return 0;
}

int ac_view_request(const struct ac_rootstate *rs, const char *cmd, char **reply)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = 120};
	size_t cap = 1u << 20;
	char *buf;
	ssize_t n;
	int fd, r;

	*reply = NULL;
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/control", rs->dir) >=
	    sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A reload of a large closure reads and plans every new file. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(fd, cmd, strlen(cmd), MSG_NOSIGNAL) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (!(buf = malloc(cap + 1))) {
		close(fd);
		return -ENOMEM;
	}
	n = recv(fd, buf, cap, 0);
	r = n < 0 ? -errno : 0;
	close(fd);
	if (r || n == 0) {
		free(buf);
		return r ? r : -ECONNRESET;
	}
	buf[n] = '\0';
	*reply = buf;
	return 0;
}

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

/* Is view path listed in an old manifest text? */
static int listed_in(const char *manifest, const char *view)
{
	size_t vl = strlen(view);

	for (const char *p = manifest; p && (p = strstr(p, "\nfile\t")); p++)
		if (!strncmp(p + 6, view, vl) && p[6 + vl] == '\t')
			return 1;
	return 0;
}

static char *read_text(const struct ac_rootstate *rs, const char *file)
{
	char path[256];
	char *buf = malloc(64u << 20);
	long n;

	if (!buf)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", rs->rel, file);
	n = ac_read_small(rs->statefd, path, buf, 64u << 20);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

void ac_view_warm(const struct ac_rootstate *rs)
{
	char *m = read_text(rs, "manifest"), *save = NULL;

	if (!m)
		return;
	warm(rs, ".accel/qemu-arm-static");
	for (char *l = strtok_r(m, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *tab;

		if (strncmp(l, "file\t", 5) || !(tab = strchr(l + 5, '\t')))
			continue;
		*tab = '\0';
		warm(rs, l + 5);
	}
	free(m);
}

int ac_view_apply(struct ac_rootstate *rs, struct ac_rootdb *db, struct ac_store *store,
		  char *const *paths_in, size_t n, const char *qemu, char *err)
{
	char *const *paths = paths_in;
	struct ac_plan plan;
	char *manifest = NULL, *old = NULL, *reply = NULL, *enabled = NULL, *skew = NULL;
	char line[4200];
	size_t elen = 1, slen = 1;
	int r;

	/* Programs removed from the root since they were enabled leave the
	 * set (they no longer exist to be run). */
	char **keep = calloc(n + 1, sizeof(*keep));
	size_t nkeep = 0;

	if (!keep)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		if (fstatat(db->rootfd, paths[i] + 1, &st, AT_SYMLINK_NOFOLLOW) < 0 &&
		    errno == ENOENT) {
			ac_warn("%s is gone from %s; it leaves the enabled set", paths[i], rs->root);
			continue;
		}
		keep[nkeep++] = paths[i];
	}
	paths = keep;
	n = nkeep;
	r = ac_plan_build(db, store, paths, n, &plan, err);
	if (r) {
		free(keep);
		return r;
	}
	manifest = ac_plan_manifest(&plan, store->dir, qemu);
	for (size_t i = 0; i < n; i++)
		elen += strlen(paths[i]) + 1;
	for (size_t i = 0; i < db->npkgs; i++)
		if (db->pkgs[i].wanted && db->pkgs[i].store_version)
			slen += strlen(db->pkgs[i].name) + strlen(db->pkgs[i].version) +
				strlen(db->pkgs[i].store_version) + 3;
	enabled = calloc(1, elen);
	skew = calloc(1, slen);
	if (!manifest || !enabled || !skew) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		strcat(strcat(enabled, paths[i]), "\n");
	for (size_t i = 0; i < db->npkgs; i++)
		if (db->pkgs[i].wanted && db->pkgs[i].store_version)
			sprintf(skew + strlen(skew), "%s %s %s\n", db->pkgs[i].name,
				db->pkgs[i].version, db->pkgs[i].store_version);

	old = read_text(rs, "manifest");
	if ((r = ac_state_put(rs, "manifest", manifest))) {
		r = ac_fail(err, r, "write %s/manifest: %s", rs->dir, strerror(-r));
		goto out;
	}
	r = ac_view_request(rs, "reload", &reply);
	if (!r && strncmp(reply, "ok ", 3)) {
		/* The daemon refused the manifest: serve the old one again. */
		char *again = NULL;

		reply[strcspn(reply, "\n")] = '\0';
		r = ac_fail(err, -EPROTO, "the view refused the change: %s", reply);
		if (old) {
			ac_state_put(rs, "manifest", old);
			ac_view_request(rs, "reload", &again);
			free(again);
		}
		goto out;
	}
	if (!r && strstr(reply, "\nrefused ")) {
		/* Some files were refused (malformed in the store): they are not
		 * served; the rest of the change stands. */
		const char *l = strstr(reply, "\nrefused ") + 1;

		ac_warn("%.*s", (int)strcspn(l, "\n"), l);
	}
	if (r && r != -ENOENT && r != -ECONNREFUSED) {
		r = ac_fail(err, r, "the view daemon of %s did not answer: %s", rs->root, strerror(-r));
		if (old)
			ac_state_put(rs, "manifest", old); /* the enabled set is unchanged */
		goto out;
	}
	if (!r) {
		if (!old)
			warm(rs, ".accel/qemu-arm-static");
		for (size_t i = 0; i < plan.n; i++)
			if (!old || !listed_in(old, plan.e[i].view))
				warm(rs, plan.e[i].view);
	}
	snprintf(line, sizeof(line), "%s\n", store->dir);
	if ((r = ac_state_put(rs, "skew", skew)) || (r = ac_state_put(rs, "enabled", enabled)) ||
	    (r = ac_state_put(rs, "store", line))) {
		r = ac_fail(err, r, "write %s: %s", rs->dir, strerror(-r));
		goto out;
	}
	r = 0;
out:
	ac_plan_free(&plan);
	free(manifest);
	free(old);
	free(reply);
	free(enabled);
	free(skew);
	free(keep);
	return r;
}

int ac_resolve_name(int rootfd, const char *root, const char *name, char *out, size_t size,
		    char *err)
{
	static const char *const path[] = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
					   "/usr/bin", "/sbin", "/bin"};
	size_t rl = strlen(root);
	char try[AC_PATH_MAX];
	long len;

	if (!*name)
		return ac_fail(err, -EINVAL, "an empty name; give a command name or an absolute path");
	if (strchr(name, '/')) {
		if (name[0] != '/')
			return ac_fail(err, -EINVAL,
				    "%s: give a command name (make) or an absolute path inside the "
				    "root (/usr/bin/make)",
				    name);
		if (!strncmp(name, root, rl) && name[rl] == '/')
			return ac_fail(err, -EXDEV,
				    "%s is a host path; give the path as seen inside the root: %s",
				    name, name + rl);
		len = ac_canon(rootfd, "/", name, out, size);
		if (len < 0)
			return ac_fail(err, (int)len, "%s: %s inside %s", name, strerror((int)-len), root);
	} else {
		len = -ENOENT;
		for (size_t i = 0; i < sizeof(path) / sizeof(path[0]) && len < 0; i++) {
			struct stat st;

			snprintf(try, sizeof(try), "%s/%s", path[i], name);
			len = ac_canon(rootfd, "/", try, out, size);
			if (len > 0 && (fstatat(rootfd, out + 1, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
					!S_ISREG(st.st_mode) || !(st.st_mode & 0111)))
				len = -ENOENT;
		}
		if (len < 0)
			return ac_fail(err, -ENOENT,
				    "%s: no such command on the root's PATH (/usr/local/sbin:"
				    "/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin); give its absolute "
				    "path",
				    name);
	}
	if (ac_in_view(out) || !strncmp(out, AC_RESERVED_DIR "/", sizeof(AC_RESERVED_DIR)))
		return ac_fail(err, -EINVAL, "%s is inside accel's own view; give an armel program",
			    name);
	return 0;
}
