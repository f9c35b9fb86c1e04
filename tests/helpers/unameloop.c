// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * unameloop [-i MACHINE] N
 *
 * Calls uname(2) N times, then getppid(2) N times, and prints one line:
 *   machine=M uname_ns=T other_ns=U
 * with the machine the last call saw and the mean time of one call of each.
 * -i installs accel's uname filter first (accel/exec/identity.h): uname_ns
 * is then a round trip to the supervisor and other_ns what the filter adds
 * to every other system call. For bench/bench-exec.sh.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "accel/exec/identity.h"

static double since(const struct timespec *t0, long n)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return ((double)(t1.tv_sec - t0->tv_sec) * 1e9 + (double)(t1.tv_nsec - t0->tv_nsec)) /
	       (double)n;
}

int main(int argc, char **argv)
{
	const char *machine = NULL;
	struct utsname u;
	struct timespec t0;
	double un, other;
	long n;
	int c;

	while ((c = getopt(argc, argv, "i:")) != -1) {
		if (c != 'i') {
			fprintf(stderr, "usage: unameloop [-i MACHINE] N\n");
			return 2;
		}
		machine = optarg;
	}
	if (optind != argc - 1 || (n = strtol(argv[optind], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: unameloop [-i MACHINE] N\n");
		return 2;
	}
	if (machine && ac_identity_install(machine, strlen(machine))) {
		fprintf(stderr, "unameloop: cannot install the uname filter\n");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++)
		if (uname(&u) < 0) {
			perror("unameloop: uname");
			return 1;
		}
	un = since(&t0, n);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	other = since(&t0, n);
	printf("machine=%s uname_ns=%.0f other_ns=%.1f\n", u.machine, un, other);
	return 0;
}
