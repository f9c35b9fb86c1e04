// SPDX-License-Identifier: GPL-2.0-or-later
/* Running another program; see accel/base/spawn.h. */
#include "config.h"

#include "accel/base/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>


int ac_spawn_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The fork path (sp->setup): the child reports a failed setup or exec as
 * an errno on a close-on-exec pipe, so the parent learns it as posix_spawn
 * would tell it. */
static int fork_start(const struct ac_spawn *sp, int outfd, pid_t *pid)
{
	int rep[2], err = 0;
	ssize_t n;

	if (pipe2(rep, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	*pid = fork();
	if (*pid < 0) {
		err = -errno;
		close(rep[0]);
		close(rep[1]);
		return err;
	}
	if (*pid == 0) {
		int e = 0;

		close(rep[0]);
		if (outfd >= 0 && dup2(outfd, STDOUT_FILENO) < 0)
			e = errno;
		if (!e && sp->dir && chdir(sp->dir) < 0)
			e = errno;
		if (!e) {
			int r = sp->setup(sp->ctx);

			e = r < 0 ? -r : 0;
		}
		if (!e) {
			execvp(sp->argv[0], sp->argv);
			e = errno;
		}
		if (write(rep[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(rep[1]);
	while ((n = read(rep[0], &err, sizeof(err))) < 0 && errno == EINTR)
		;
	close(rep[0]);
	if (n == (ssize_t)sizeof(err)) {
		ac_spawn_wait(*pid);
		return -err;
	}
	return 0;
}

static int start(const struct ac_spawn *sp, int outfd, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	int r;

	if (sp->setup)
		return fork_start(sp, outfd, pid);
	posix_spawn_file_actions_init(&fa);
	if (outfd >= 0)
		posix_spawn_file_actions_adddup2(&fa, outfd, STDOUT_FILENO);
	if (sp->dir)
		posix_spawn_file_actions_addchdir_np(&fa, sp->dir);
	/* glibc's posix_spawn reports a failed exec here (CLONE_VFORK). */
	fflush(NULL);
	r = posix_spawnp(pid, sp->argv[0], &fa, NULL, sp->argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	return -r;
}

int ac_spawn_start(const struct ac_spawn *sp, pid_t *pid)
{
	int null = -1, r;

	if (sp->out == AC_SPAWN_CAPTURE)
		return -EINVAL;
	if (sp->out == AC_SPAWN_QUIET && (null = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
		return -errno;
	r = start(sp, null, pid);
	if (null >= 0)
		close(null);
	return r;
}

/* Read fd to its end into *out, at most max bytes: more is -E2BIG (the
 * buffer keeps one read's room beyond max to see that there is more). */
static int slurp(int fd, size_t max, char **out, size_t *outlen)
{
	const size_t room = 4096, limit = max + room + 1;
	size_t len = 0, cap = 0;
	char *buf = NULL;

	for (;;) {
		ssize_t n;

		if (cap - len < room + 1) {
			size_t want = cap ? cap * 2 : 65536;
			char *nb;

			if (want > limit)
				want = limit;
			if (want <= cap) {
				free(buf);
				return -E2BIG;
			}
			if (!(nb = realloc(buf, want))) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap = want;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = -errno;

			free(buf);
			return e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		free(buf);
		return -E2BIG;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

int ac_spawn_run(const struct ac_spawn *sp, char **out)
{
	int pipefd[2] = {-1, -1}, r, status;
	char *buf = NULL;
	size_t len = 0;
	pid_t pid;

	if (sp->out != AC_SPAWN_CAPTURE) {
		if ((r = ac_spawn_start(sp, &pid)) < 0)
			return r;
		return ac_spawn_wait(pid);
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	r = start(sp, pipefd[1], &pid);
	close(pipefd[1]);
	if (r < 0) {
		close(pipefd[0]);
		return r;
	}
	r = slurp(pipefd[0], sp->max_out, &buf, &len);
	close(pipefd[0]);
	status = ac_spawn_wait(pid);
	if (r < 0)
		return r;
	if (status < 0) {
		free(buf);
		return status;
	}
	*out = buf;
	return status;
}
