// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * execloop [-r ROOT] [-a ARGV0] [-i MACHINE] [-q] N PROGRAM [ARG]...
 *
 * Runs PROGRAM N times (fork, execve, wait), optionally after chroot(ROOT)
 * and chdir("/"), and prints one line:
 *   runs=N failed=F ns_per_exec=T
 * where failed counts runs that did not exit 0, and T is the mean wall time
 * of one fork+exec+exit+wait. Used by the integration tests (failure counts)
 * and by bench/ (timings). -q sends the program's stdout to /dev/null. -i
 * puts execloop itself under accel's uname filter first (as the dispatcher
 * does for the first native program of a tree), so that the runs measure a
 * native exec inside a tree that has it already. SIGTERM ends the loop
 * after the current run; the line then counts the runs made.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "accel/exec/identity.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	const char *root = NULL, *machine = NULL;
	char *argv0 = NULL;
	int quiet = 0, c;
	long n, failed = 0;
	struct timespec t0, t1;

	while ((c = getopt(argc, argv, "+r:a:i:q")) != -1) {
		switch (c) {
		case 'r': root = optarg; break;
		case 'a': argv0 = optarg; break;
		case 'i': machine = optarg; break;
		case 'q': quiet = 1; break;
		default:
			fprintf(stderr, "usage: execloop [-r ROOT] [-a ARGV0] [-i MACHINE] [-q] N PROGRAM [ARG]...\n");
			return 2;
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, "usage: execloop [-r ROOT] [-a ARGV0] [-i MACHINE] [-q] N PROGRAM [ARG]...\n");
		return 2;
	}
	n = strtol(argv[optind], NULL, 10);
	if (n <= 0) {
		fprintf(stderr, "execloop: N must be a positive number\n");
		return 2;
	}
	char *prog = argv[optind + 1];
	char **args = argv + optind + 1;

	if (argv0)
		args[0] = argv0;
	/* Opened before the chroot: a root need not have /dev. */
	int devnull = quiet ? open("/dev/null", O_WRONLY) : -1;

	if (root && (chroot(root) < 0 || chdir("/") < 0)) {
		perror("execloop: chroot");
		return 1;
	}
	if (machine && !ac_identity_active()) {
		int r = ac_identity_install(machine, strlen(machine));

		if (r) {
			fprintf(stderr, "execloop: cannot install the uname filter: %s\n", strerror(-r));
			return 1;
		}
	}
	/* SIGTERM ends the loop early, with its summary. */
	signal(SIGTERM, on_term);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long i;
	for (i = 0; i < n && !stop; i++) {
		int status;
		pid_t pid = fork();

		if (pid < 0) {
			perror("execloop: fork");
			return 1;
		}
		if (pid == 0) {
			if (devnull >= 0)
				if (dup2(devnull, 1) < 0)
					_exit(126);
			execve(prog, args, environ);
			_exit(127);
		}
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR) {
				perror("execloop: waitpid");
				return 1;
			}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			/* Say how the first few failed: exit status or signal. */
			if (failed < 5)
				fprintf(stderr, "execloop: run %ld: %s %d\n", i,
					WIFEXITED(status) ? "exit status" : "signal",
					WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
			failed++;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) /
		    (double)(i ? i : 1);
	printf("runs=%ld failed=%ld ns_per_exec=%.0f\n", i, failed, ns);
	return 0;
}
