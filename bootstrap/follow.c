// SPDX-License-Identifier: GPL-2.0-or-later
/* The follower of a root's packages; see bootstrap/follow.h. */
#include "config.h"

#include "follow.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "accel/base/util.h"

#define FOLLOW_COMM "accel-follow"
#define QUIET_MS 1000  /* no change for this long: dpkg is done for now */
#define CHECK_MS 10000 /* how often an idle follower looks for its view */

/* The follower's pid from dir's pid file, if that process is a follower. */
static pid_t running(const char *dir)
{
	char path[PATH_MAX];

	ac_xsnprintf(path, sizeof(path), "%s/" FOLLOW_PID, dir);
	return ac_pidfile_running(AT_FDCWD, path, FOLLOW_COMM);
}

/* Does dpkg or apt hold the root's database (fcntl locks, seen from here
 * through the same inode)? */
static int dpkg_busy(const char *root)
{
	static const char *const locks[] = {"lock-frontend", "lock"};

	for (size_t i = 0; i < sizeof(locks) / sizeof(locks[0]); i++) {
		char path[PATH_MAX];
		struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
		int fd, busy;

		ac_xsnprintf(path, sizeof(path), "%s/var/lib/dpkg/%s", root, locks[i]);
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		busy = fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
		close(fd);
		if (busy)
			return 1;
	}
	return 0;
}

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
	char when[32];
	time_t t = time(NULL);
	struct tm tm;
	va_list ap;

	strftime(when, sizeof(when), "%F %T", localtime_r(&t, &tm));
	fprintf(stderr, "%s accel-follow: ", when);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Run accel-bootstrap again; it recomputes the default set. */
static void replan(char *const argv[])
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0) {
		say("fork: %s", strerror(errno));
		return;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	say("the root's packages changed: %s exited %d", argv[0],
	    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

static int view_mounted(const char *mountpoint)
{
	struct statfs sf;

	return statfs(mountpoint, &sf) == 0 && sf.f_type == FUSE_SUPER_MAGIC;
}

/* The watch on ROOT/var/lib/dpkg, made before follow_start() returns so
 * that no change after the set-up is missed. */
static int watch(const char *root)
{
	char path[PATH_MAX];
	int ifd;

	ac_xsnprintf(path, sizeof(path), "%s/var/lib/dpkg", root);
	ifd = inotify_init1(IN_CLOEXEC);
	if (ifd < 0 || inotify_add_watch(ifd, path, IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE_SELF |
						      IN_ONLYDIR) < 0) {
		say("watch %s: %s", path, strerror(errno));
		_exit(1);
	}
	return ifd;
}

__attribute__((noreturn)) static void follow(int ifd, const char *root, const char *mountpoint,
					     const char *dir, char *const argv[])
{
	char path[PATH_MAX];
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int pending = 0;

	ac_xsnprintf(path, sizeof(path), "%s/var/lib/dpkg", root);
	say("following %s", path);
	for (;;) {
		struct pollfd p = {.fd = ifd, .events = POLLIN};
		int n = poll(&p, 1, pending ? QUIET_MS : CHECK_MS);
		ssize_t len;

		if (n < 0 && errno != EINTR)
			_exit(1);
		if (n > 0) {
			len = read(ifd, buf, sizeof(buf));
			for (char *e = buf; len > 0 && e < buf + len;) {
				const struct inotify_event *ev = (const void *)e;

				if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_UNMOUNT))
					_exit(0); /* the root's database is gone */
				if (ev->len && !strcmp(ev->name, "status"))
					pending = 1;
				e += sizeof(*ev) + ev->len;
			}
			continue;
		}
		/* Quiet for a while: the view gone or the state removed ends
		 * the follower; a change once dpkg and apt are done re-plans. */
		ac_xsnprintf(path, sizeof(path), "%s/" FOLLOW_PID, dir);
		if (!view_mounted(mountpoint) || access(path, F_OK) < 0)
			_exit(0);
		if (pending && !dpkg_busy(root)) {
			pending = 0;
			replan(argv);
		}
	}
}

int follow_start(const char *root, const char *mountpoint, const char *dir, char *const argv[])
{
	char path[PATH_MAX], text[32];
	pid_t pid;
	int status, fd, ifd;

	if (running(dir))
		return 0;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid) {
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR)
				return -errno;
		return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -ECHILD;
	}
	/* The intermediate child: a new session, then the follower, whose
	 * parent exits so that it is nobody's child. It writes the
	 * follower's pid before it exits: when follow_start() returns, the
	 * follower is known (running(), follow_stop()). */
	if (setsid() < 0)
		_exit(1);
	ifd = watch(root);
	pid = fork();
	if (pid) {
		if (pid < 0)
			_exit(1);
		ac_xsnprintf(path, sizeof(path), "%s/" FOLLOW_PID, dir);
		ac_xsnprintf(text, sizeof(text), "%ld\n", (long)pid);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
			kill(pid, SIGKILL);
			_exit(1);
		}
		close(fd);
		_exit(0);
	}
	/* A group of its own, so that follow_stop() ends a re-plan with it. */
	if (setpgid(0, 0) < 0)
		_exit(1);
	if (prctl(PR_SET_NAME, FOLLOW_COMM) < 0)
		_exit(1);
	/* Nothing inherited but the standard streams: the state lock of the
	 * set-up that started it must not be held on, nor a directory of a
	 * root pinned. */
	if (chdir("/") < 0)
		_exit(1);
	ac_xsnprintf(path, sizeof(path), "%s/" FOLLOW_LOG, dir);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		_exit(1);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || dup2(fd, 0) < 0)
		_exit(1);
	if (ifd != 3 && dup3(ifd, 3, O_CLOEXEC) < 0)
		_exit(1);
	close_range(4, ~0U, 0);
	follow(3, root, mountpoint, dir, argv);
}

void follow_stop(const char *dir)
{
	pid_t pid = running(dir);

	if (pid <= 0)
		return;
	/* Its group: a re-plan it runs now must not set the root up again
	 * after a teardown. */
	kill(-pid, SIGTERM);
	ac_wait_gone(pid, 3000);
}
