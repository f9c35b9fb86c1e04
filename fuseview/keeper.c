// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The keeper of the view daemon's server (keeper.h).
 *
 * The keeper mounts the view once, with a /dev/fuse descriptor it keeps
 * (what libfuse's fuse_kern_mount does for root), and maps the carry. Then
 * one loop per server: fork it, then poll two things, its "serving" pipe
 * and a signalfd for SIGCHLD and the stop signals. Everything the keeper
 * needs to know about a server is whether it served (a byte on the pipe)
 * and how it ended (waitpid).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "keeper.h"

/* Servers dying this many times in a row, each within FAST_MS of its
 * start, are not started again (a server that cannot run: its manifest or
 * store broken). */
#define GIVE_UP_AFTER 5
#define FAST_MS 1000

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void keeper_mounted(int up)
{
	static const char zero;

	if (up >= 0) {
		while (write(up, &zero, 1) < 0 && errno == EINTR)
			;
		close(up);
	}
}

static void say_end(const struct keeper *k, pid_t pid, int status)
{
	if (WIFSIGNALED(status))
		fprintf(k->log, "accel-fuseview: the server (pid %ld) was killed by signal %d (%s)",
			(long)pid, WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		fprintf(k->log, "accel-fuseview: the server (pid %ld) failed (exit status %d)",
			(long)pid, WEXITSTATUS(status));
}

/* Detach the view: the keeper is stopped or gives up. Only the keeper
 * can: the server dropped its capabilities. umount2 follows the
 * /proc/self/fd magic link to the directory itself, not a path in the
 * root. */
static void detach(const struct keeper *k)
{
	if (umount2(k->mountpoint, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		fprintf(k->log, "accel-fuseview: detach the dead view at %s: %s\n", k->mountpoint,
			strerror(errno));
}

/* Wait ms for a stop signal; 1 if one came. */
static int stop_within(int sfd, int ms)
{
	struct pollfd p = {.fd = sfd, .events = POLLIN};
	struct signalfd_siginfo si;

	while (poll(&p, 1, ms) > 0) {
		if (read(sfd, &si, sizeof(si)) != sizeof(si))
			return 0;
		if (si.ssi_signo != SIGCHLD)
			return 1;
	}
	return 0;
}

/* Open /dev/fuse and mount the view with it; the descriptor, or -1. */
static int mount_view(const struct keeper *k)
{
	char opts[512];
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		fprintf(k->log, "accel-fuseview: /dev/fuse: %s (load the fuse module)\n",
			strerror(errno));
		return -1;
	}
	if ((size_t)snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=%u,group_id=%u,%s",
			     fd, (unsigned)getuid(), (unsigned)getgid(),
			     k->options) >= sizeof(opts) ||
	    mount(k->source, k->mountpoint, k->type, k->flags, opts) < 0) {
		fprintf(k->log, "accel-fuseview: cannot mount the view on %s: %s\n", k->mountpoint,
			strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Serve until one server ends normally, the keeper is told to stop, or it
 * gives up; the keeper's exit status. */
static int keep(struct keeper *k, int sfd, const sigset_t *old, const struct keeper_conn *conn)
{
	int fast = 0, first = 1;

	for (;;) {
		int up[2], status = 0, served = 0, stopping = 0, reaped = 0;
		long start = now_ms();
		pid_t pid;

		if (pipe2(up, O_CLOEXEC) < 0) {
			fprintf(k->log, "accel-fuseview: pipe: %s\n", strerror(errno));
			detach(k);
			return 1;
		}
		pid = fork();
		if (pid < 0) {
			fprintf(k->log, "accel-fuseview: fork: %s\n", strerror(errno));
			detach(k);
			return 1;
		}
		if (pid == 0) {
			close(sfd);
			close(up[0]);
			if (k->notify >= 0)
				close(k->notify);
			sigprocmask(SIG_SETMASK, old, NULL);
			_exit(k->serve(k->arg, up[1], conn));
		}
		close(up[1]);
		while (!reaped) {
			struct pollfd p[2] = {{.fd = sfd, .events = POLLIN},
					      {.fd = up[0], .events = POLLIN}};
			struct signalfd_siginfo si;
			char c;

			if (poll(p, up[0] >= 0 ? 2 : 1, -1) < 0) {
				if (errno == EINTR)
					continue;
				fprintf(k->log, "accel-fuseview: poll: %s\n", strerror(errno));
				kill(pid, SIGKILL);
				detach(k);
				return 1;
			}
			if (up[0] >= 0 && p[1].revents) {
				if (read(up[0], &c, 1) == 1) {
					served = 1;
					if (first && k->notify >= 0)
						keeper_mounted(k->notify);
					k->notify = -1;
				}
				close(up[0]);
				up[0] = -1;
			}
			if (!(p[0].revents & POLLIN) || read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo != SIGCHLD) {
				stopping = 1;
				kill(pid, SIGTERM);
			}
			while (waitpid(pid, &status, WNOHANG) == pid)
				reaped = 1;
		}
		if (up[0] >= 0) {
			/* It may have served just before it died. */
			char c;

			served |= read(up[0], &c, 1) == 1;
			close(up[0]);
		}
		if (stopping) {
			/* Told to stop: the server cannot unmount (no
			 * capability left); the keeper does. */
			detach(k);
			return 0;
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			return 0; /* unmounted: the normal end */
		if (first && !served) {
			fprintf(k->log, "accel-fuseview: the view on %s could not be served\n",
				k->mountpoint);
			detach(k);
			return 1;
		}
		say_end(k, pid, status);
		fast = now_ms() - start < FAST_MS ? fast + 1 : 0;
		if (fast >= GIVE_UP_AFTER) {
			fprintf(k->log, "; it died %d times in a row within %d ms of its start: "
					"not starting it again, the view is detached "
					"(accel-bootstrap ROOT restarts it)\n",
				fast, FAST_MS);
			detach(k);
			return 1;
		}
		/* The mount and the connection stay: what programs ask
		 * meanwhile waits for the next server. */
		fprintf(k->log, "; serving again\n");
		/* A server that dies at once is started again after a pause
		 * that grows; one that ran a while, at once. */
		if (fast && stop_within(sfd, 100 * fast)) {
			detach(k);
			return 0;
		}
		first = 0;
	}
}

int keeper_run(struct keeper *k)
{
	sigset_t set, old;
	int sfd, r;
	struct keeper_conn conn;
	void *shared;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, &old) < 0 ||
	    (sfd = signalfd(-1, &set, SFD_CLOEXEC)) < 0) {
		fprintf(k->log, "accel-fuseview: signals: %s\n", strerror(errno));
		return 1;
	}
	shared = mmap(NULL, sizeof(*conn.carry), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		fprintf(k->log, "accel-fuseview: shared memory: %s\n", strerror(errno));
		close(sfd);
		return 1;
	}
	conn.carry = shared;
	conn.carry->answered = 1;
	conn.fd = mount_view(k);
	r = conn.fd < 0 ? 1 : keep(k, sfd, &old, &conn);
	if (conn.fd >= 0)
		close(conn.fd);
	munmap(shared, sizeof(*conn.carry));
	close(sfd);
	return r;
}
