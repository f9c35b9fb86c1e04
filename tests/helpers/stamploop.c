// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * stamploop ROOT PROGRAM N
 *
 * What the dispatcher's stamp check (accel/exec/stamp.h) costs per exec:
 * after chroot(ROOT), N times what it does for PROGRAM (canonical path in
 * the root): read the stamps the view serves beside it and compare each
 * with the root's file now; then N times one statx of PROGRAM, the least
 * an exec costs the kernel anyway. Prints:
 *   stamps_ns=S files=F statx_ns=X
 * Exit 1 if the stamps cannot be read or do not hold.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "accel/exec/stamp.h"

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static ssize_t read_stamps(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got = 0, n;

	if (fd < 0)
		return -1;
	while ((size_t)got < size && (n = read(fd, buf + got, size - (size_t)got)) > 0)
		got += n;
	close(fd);
	return got;
}

int main(int argc, char **argv)
{
	static char text[AC_STAMPS_MAX];
	char path[4096];
	struct statx stx;
	long n, files = 0;
	double t0, t1, t2;
	ssize_t len;
	size_t pos = 0;
	struct ac_stamp st;

	if (argc != 4 || (n = strtol(argv[3], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: stamploop ROOT PROGRAM N\n");
		return 2;
	}
	if (chroot(argv[1]) < 0 || chdir("/") < 0) {
		perror("stamploop: chroot");
		return 1;
	}
	snprintf(path, sizeof(path), "%s%s", AC_VIEW_STAMP_DIR, argv[2]);
	len = read_stamps(path, text, sizeof(text));
	if (len <= 0 || ac_stamps_hold(AT_FDCWD, text, (size_t)len) != 1) {
		fprintf(stderr, "stamploop: the stamps of %s (%s) do not hold\n", argv[2], path);
		return 1;
	}
	while (ac_stamp_next(text, (size_t)len, &pos, &st, path, sizeof(path)) == 1)
		files++;
	t0 = now();
	for (long i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s%s", AC_VIEW_STAMP_DIR, argv[2]);
		len = read_stamps(path, text, sizeof(text));
		if (len <= 0 || ac_stamps_hold(AT_FDCWD, text, (size_t)len) != 1)
			return 1;
	}
	t1 = now();
	for (long i = 0; i < n; i++)
		if (statx(AT_FDCWD, argv[2], AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) < 0)
			return 1;
	t2 = now();
	printf("stamps_ns=%.0f files=%ld statx_ns=%.0f\n", (t1 - t0) / (double)n, files,
	       (t2 - t1) / (double)n);
	return 0;
}
