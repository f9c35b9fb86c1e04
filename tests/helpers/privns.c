// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * privns: run a command in a user and mount namespace of its own whose
 * root is the host's root (uids and gids 0..65535 map to themselves), with
 * the mount tree private, so that the test can mount a binfmt_misc
 * instance of its own (Linux 6.7 and later): the entries it registers,
 * reorders and removes then reach only its own processes, never the rest
 * of the machine.
 *
 *   privns COMMAND [ARG]...
 *
 * The maps are written by the parent, which stays in the host's user
 * namespace with CAP_SETUID there (what newuidmap would do without
 * /etc/subuid ranges). Exit status: the command's, or 125 on a set-up
 * failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

static int write_map(pid_t pid, const char *file, const char *map)
{
	char path[64];
	int fd, r = 0;

	snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, map, strlen(map)) != (ssize_t)strlen(map))
		r = -1;
	if (fd >= 0)
		close(fd);
	if (r)
		fprintf(stderr, "privns: %s: %s\n", path, strerror(errno));
	return r;
}

int main(int argc, char **argv)
{
	int go[2], ready[2], status;
	pid_t pid;
	char c = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: privns COMMAND [ARG]...\n");
		return 125;
	}
	if (pipe(go) < 0 || pipe(ready) < 0 || (pid = fork()) < 0) {
		perror("privns");
		return 125;
	}
	if (pid == 0) {
		close(go[1]);
		close(ready[0]);
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
			perror("privns: unshare");
			_exit(125);
		}
		if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1 || c != 1)
			_exit(125);
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
			perror("privns: make / private");
			_exit(125);
		}
		execvp(argv[1], argv + 1);
		fprintf(stderr, "privns: %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	close(go[0]);
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1) {
		waitpid(pid, &status, 0);
		return 125;
	}
	c = write_map(pid, "uid_map", "0 0 65536\n") || write_map(pid, "gid_map", "0 0 65536\n")
		    ? 0 : 1;
	if (write(go[1], &c, 1) != 1)
		return 125;
	close(go[1]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 125;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
