// SPDX-License-Identifier: GPL-2.0-or-later
/* Dying, and small file, string and hash helpers; see accel/base/util.h. */
#include "config.h"

#include "accel/base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *ac_progname = "accel";

void ac_set_progname(const char *argv0)
{
	const char *slash = argv0 ? strrchr(argv0, '/') : NULL;

	if (argv0 && *argv0)
		ac_progname = slash ? slash + 1 : argv0;
}

/* "prog: [kind]message[: strerror(err)]" on stderr. */
static void vsay(const char *kind, const char *fmt, va_list ap, int err)
{
	fprintf(stderr, "%s: %s", ac_progname, kind);
	vfprintf(stderr, fmt, ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
}

void ac_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay("", fmt, ap, 0);
	va_end(ap);
	exit(code);
}

void ac_die_errno(int code, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay("", fmt, ap, err < 0 ? -err : err);
	va_end(ap);
	exit(code);
}

void ac_die_err(int code, const struct ac_err *err)
{
	fprintf(stderr, "%s: %s\n", ac_progname,
		err->msg[0] ? err->msg : err->code ? strerror(-err->code) : "failed");
	exit(code);
}

void ac_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay("warning: ", fmt, ap, 0);
	va_end(ap);
}

void ac_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay("", fmt, ap, 0);
	va_end(ap);
}

void ac_xsnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		ac_die(AC_EXIT_USAGE, "a path built from '%.64s...' is longer than %zu bytes; use "
		       "shorter paths", buf, size - 1);
}

int ac_write_proc(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, data, len);
	err = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
	close(fd);
	return err;
}

pid_t ac_pidfile_running(int dirfd, const char *path, const char *comm)
{
	char buf[32], have[32], proc[64];
	char *end;
	long pid;

	if (ac_read_small(dirfd, path, buf, sizeof(buf)) <= 0)
		return 0;
	errno = 0;
	pid = strtol(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n') || pid <= 1)
		return 0;
	ac_xsnprintf(proc, sizeof(proc), "/proc/%ld/comm", pid);
	if (ac_read_small(AT_FDCWD, proc, have, sizeof(have)) <= 0 ||
	    strncmp(have, comm, strlen(comm)))
		return 0;
	return (pid_t)pid;
}

/* Is pid gone: no such process, or a zombie nobody reaped yet (a daemon's
 * parent is init, which may take its time)? */
static int gone(pid_t pid)
{
	char path[64], buf[256];
	long n;
	const char *p;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return 1;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	n = ac_read_small(AT_FDCWD, path, buf, sizeof(buf));
	if (n <= 0)
		return n == -ENOENT;
	/* "PID (COMM) STATE ...": COMM may hold anything, so the last ')'. */
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

int ac_wait_gone(pid_t pid, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		if (gone(pid))
			return 1;
		waitpid(pid, NULL, WNOHANG);
		nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
	}
	return gone(pid);
}

long ac_read_small(int dirfd, const char *path, char *buf, size_t size)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t len = 0;
	int err = 0;

	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return err ? err : (long)len;
}

int ac_write_atomic(int dirfd, const char *path, const char *data, size_t len, int mode)
{
	char tmp[4096];
	size_t off = 0;
	int fd, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		off += (size_t)n;
	}
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && renameat(dirfd, tmp, dirfd, path) < 0)
		err = -errno;
	if (err)
		unlinkat(dirfd, tmp, 0);
	return err;
}

int ac_mkdir_p(int dirfd, const char *path, int mode)
{
	char buf[4096];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdirat(dirfd, buf, (mode_t)mode) < 0 && errno != EEXIST)
				return -errno;
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

/* Directory levels removed at most: a frame is small, but each level holds
 * an fd and a DIR, and nothing else bounds a tree named relative to at. */
#define RM_RF_MAX_DEPTH 1024

static int rm_rf(int at, const char *path, int depth)
{
	struct stat st;
	DIR *dir;
	struct dirent *de;
	int fd, err = 0;

	if (fstatat(at, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(at, path, 0) < 0 ? -errno : 0;
	if (depth >= RM_RF_MAX_DEPTH)
		return -ELOOP;
	fd = openat(at, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		err = -errno;
		close(fd);
		return err;
	}
	while ((de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((err = rm_rf(dirfd(dir), de->d_name, depth + 1)))
			break;
	}
	closedir(dir);
	if (!err && unlinkat(at, path, AT_REMOVEDIR) < 0)
		err = -errno;
	return err;
}

int ac_rm_rf(int at, const char *path)
{
	return rm_rf(at, path, 0);
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

int ac_mount_lookup(const char *mountpoint, char *root, size_t rsize, char *fstype,
		    size_t tsize)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	int found = 0;

	if (!f)
		return -errno;
	/* Later lines are mounted on top of earlier ones: keep the last match. */
	while (getline(&line, &cap, f) > 0) {
		char *save = NULL, *fields[10] = {0};
		char *tok = strtok_r(line, " \n", &save);
		int n = 0;

		while (tok && n < 10) {
			fields[n++] = tok;
			if (n == 6) { /* skip optional fields up to "-" */
				while ((tok = strtok_r(NULL, " \n", &save)) && strcmp(tok, "-"))
					;
				if (!tok)
					break;
			}
			tok = strtok_r(NULL, " \n", &save);
		}
		if (n < 7)
			continue;
		unescape_octal(fields[4]);
		if (strcmp(fields[4], mountpoint))
			continue;
		unescape_octal(fields[3]);
		found = 1;
		if (root)
			snprintf(root, rsize, "%s", fields[3]);
		if (fstype)
			snprintf(fstype, tsize, "%s", fields[6]);
	}
	free(line);
	fclose(f);
	return found;
}

uint64_t ac_fnv1a64_add(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t ac_fnv1a64(const char *s)
{
	return ac_fnv1a64_add(AC_FNV1A64_INIT, s, strlen(s));
}

int ac_lock_file(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX) < 0) {
		int err = errno;

		if (err == EINTR)
			continue;
		close(fd);
		return -err;
	}
	return fd;
}

int ac_strv_add(char ***v, size_t *n, const char *s)
{
	char **nv;

	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i], s))
			return 0;
	/* Room for 16, then doubled at every power of two: n is the only size
	 * kept. */
	if (*n == 0 || (*n >= 16 && !(*n & (*n - 1)))) {
		nv = realloc(*v, (*n ? *n * 2 : 16) * sizeof(**v));
		if (!nv)
			return -ENOMEM;
		*v = nv;
	}
	if (!((*v)[*n] = strdup(s)))
		return -ENOMEM;
	++*n;
	return 1;
}

void ac_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int ac_cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}
