// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lookloop N PREFIX
 *
 * The cost of a negative lookup, as the dispatcher meets it for every
 * program that is not accelerated: stat(2) of N distinct missing names
 * PREFIX0 ... PREFIX<N-1> (each one a first lookup: a round trip to the
 * file system's daemon), then N times PREFIX0 again (answered from the
 * kernel's negative dentry cache). Prints:
 *   uncached_ns=U cached_ns=C
 * Exit 1 if any name exists.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
	char path[4096];
	struct stat st;
	long n;
	double t0, t1, t2;

	char *end;

	if (argc == 3) {
		errno = 0;
		n = strtol(argv[1], &end, 10);
	}
	if (argc != 3 || errno || *end || n <= 0) {
		fprintf(stderr, "usage: lookloop N PREFIX\n");
		return 2;
	}
	t0 = now();
	for (long i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s%ld", argv[2], i);
		if (stat(path, &st) == 0)
			return 1;
	}
	t1 = now();
	snprintf(path, sizeof(path), "%s0", argv[2]);
	for (long i = 0; i < n; i++)
		if (stat(path, &st) == 0)
			return 1;
	t2 = now();
	printf("uncached_ns=%.0f cached_ns=%.0f\n", (t1 - t0) / (double)n, (t2 - t1) / (double)n);
	return 0;
}
