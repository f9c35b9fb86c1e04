// SPDX-License-Identifier: GPL-2.0-or-later
/* Per-root state; see accel/state/rootstate.h. */
#include "config.h"

#include "accel/state/rootstate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accel/base/util.h"

#define ENABLED_MAX (1u << 20) /* bytes: tens of thousands of programs */

int ac_rootstate_open(struct ac_rootstate *rs, const char *state_dir, const char *root,
		      struct ac_err *err)
{
	int r;

	memset(rs, 0, sizeof(*rs));
	rs->statefd = rs->lockfd = -1;
	if ((size_t)snprintf(rs->state_dir, sizeof(rs->state_dir), "%s", state_dir) >=
		    sizeof(rs->state_dir) ||
	    (size_t)snprintf(rs->root, sizeof(rs->root), "%s", root) >= sizeof(rs->root))
		return ac_fail(err, -ENAMETOOLONG, "%s: path too long", root);
	snprintf(rs->key, sizeof(rs->key), "%016llx", (unsigned long long)ac_fnv1a64(root));
	snprintf(rs->rel, sizeof(rs->rel), "roots/%s", rs->key);
	snprintf(rs->dir, sizeof(rs->dir), "%s/%s", state_dir, rs->rel);
	if ((r = ac_mkdir_p(AT_FDCWD, state_dir, 0755)))
		return ac_fail_errno(err, r, "state directory %s", state_dir);
	rs->statefd = open(state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rs->statefd < 0)
		return ac_fail_errno(err, -errno, "state directory %s", state_dir);
	rs->lockfd = ac_lock_file(rs->statefd, "lock");
	if (rs->lockfd < 0)
		return ac_fail_errno(err, rs->lockfd, "lock %s/lock", state_dir);
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
		snprintf(path, sizeof(path), "%s/" AC_STATE_ROOT, dir);
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
	return ac_state_has(rs, AC_STATE_ROOT);
}

int ac_state_has(const struct ac_rootstate *rs, const char *file)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", rs->rel, file);
	return faccessat(rs->statefd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

int ac_state_del(const struct ac_rootstate *rs, const char *file)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", rs->rel, file);
	return unlinkat(rs->statefd, path, 0) < 0 && errno != ENOENT ? -errno : 0;
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

int ac_state_read(const struct ac_rootstate *rs, const char *file, size_t max, char **text)
{
	char path[256];
	struct stat st;
	char *buf;
	long n;
	int fd;

	*text = NULL;
	snprintf(path, sizeof(path), "%s/%s", rs->rel, file);
	fd = openat(rs->statefd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	if ((unsigned long long)st.st_size > max)
		return -E2BIG;
	if (!(buf = malloc((size_t)st.st_size + 1)))
		return -ENOMEM;
	/* State files are replaced by rename, never changed in place: the
	 * size read is the size of the file ac_read_small opens again. */
	n = ac_read_small(rs->statefd, path, buf, (size_t)st.st_size + 1);
	if (n < 0) {
		free(buf);
		return (int)n;
	}
	*text = buf;
	return 0;
}

int ac_enabled_read(const struct ac_rootstate *rs, char ***paths, size_t *n)
{
	char *buf, *save = NULL;
	char **v = NULL;
	size_t k = 0;
	int r;

	*paths = NULL;
	*n = 0;
	r = ac_state_read(rs, AC_STATE_ENABLED, ENABLED_MAX, &buf);
	if (r == -ENOENT)
		return 0;
	if (r)
		return r;
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (l[0] != '/')
			continue;
		if ((r = ac_strv_add(&v, &k, l)) < 0) {
			ac_strv_free(v, k);
			free(buf);
			return r;
		}
	}
	free(buf);
	if (k)
		qsort(v, k, sizeof(*v), ac_cmp_strp);
	*paths = v;
	*n = k;
	return 0;
}

int ac_rootstate_store(const struct ac_rootstate *rs, const char *dir, unsigned skew,
		       struct ac_store *s, struct ac_err *err)
{
	char recorded[PATH_MAX + 16];
	int r;

	if (!dir) {
		if (ac_state_get(rs, AC_STATE_STORE, recorded, sizeof(recorded)))
			snprintf(recorded, sizeof(recorded), "%s/%s", rs->state_dir,
				 AC_DEFAULT_STORE_SUBDIR);
		dir = recorded;
	}
	if ((r = ac_store_open(s, dir, err)))
		return r;
	s->allow_skew = (skew & AC_SKEW_PACKAGES) || ac_state_has(rs, AC_STATE_ALLOW_SKEW);
	s->allow_toolchain_skew =
		(skew & AC_SKEW_TOOLCHAIN) || ac_state_has(rs, AC_STATE_ALLOW_TOOLCHAIN_SKEW);
	return 0;
}

int ac_rootstate_allow(const struct ac_rootstate *rs, unsigned skew, struct ac_err *err)
{
	int r = 0;

	if ((skew & AC_SKEW_PACKAGES) && (r = ac_state_put(rs, AC_STATE_ALLOW_SKEW, "1\n")))
		return ac_fail_errno(err, r, "write %s/" AC_STATE_ALLOW_SKEW, rs->dir);
	if ((skew & AC_SKEW_TOOLCHAIN) &&
	    (r = ac_state_put(rs, AC_STATE_ALLOW_TOOLCHAIN_SKEW, "1\n")))
		return ac_fail_errno(err, r, "write %s/" AC_STATE_ALLOW_TOOLCHAIN_SKEW, rs->dir);
	return 0;
}
