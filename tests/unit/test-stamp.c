// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of lib/exec/stamp.c: the stamp text, the comparison rule, and
 * ac_stamps_hold against real files in a temporary directory. */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accel/exec/stamp.h"

Test(stamp, parses_lines)
{
	static const char t[] = "1700000000 123456789 4096 /usr/bin/make\n0 0 0 /x\n";
	struct ac_stamp st;
	char path[64];
	size_t pos = 0;

	cr_assert_eq(ac_stamp_next(t, sizeof(t) - 1, &pos, &st, path, sizeof(path)), 1);
	cr_assert_eq(st.sec, 1700000000LL);
	cr_assert_eq(st.nsec, 123456789L);
	cr_assert_eq(st.size, 4096ULL);
	cr_assert_str_eq(path, "/usr/bin/make");
	cr_assert_eq(ac_stamp_next(t, sizeof(t) - 1, &pos, &st, path, sizeof(path)), 1);
	cr_assert_str_eq(path, "/x");
	cr_assert_eq(ac_stamp_next(t, sizeof(t) - 1, &pos, &st, path, sizeof(path)), 0);
}

Test(stamp, refuses_malformed)
{
	static const char *const bad[] = {
		"1 2 3 /a",                 /* no newline */
		"1 2 3 a\n",                /* relative path */
		"1 2 /a\n",                 /* a field missing */
		"1 1000000000 3 /a\n",      /* nsec out of range */
		"x 2 3 /a\n",               /* not a number */
		"1  2 3 /a\n",              /* two spaces */
		"99999999999999999999999 0 0 /a\n", /* overflow */
		"-1 0 0 /a\n",
		"1 2 3 /abcdefghijklmnopqrstuvwxyz\n", /* longer than the buffer below */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ac_stamp st;
		char path[16];
		size_t pos = 0;

		cr_assert_eq(ac_stamp_next(bad[i], strlen(bad[i]), &pos, &st, path, sizeof(path)),
			     -EINVAL, "accepted [%s]", bad[i]);
	}
	cr_assert_eq(ac_stamps_hold(AT_FDCWD, "", 0), -EINVAL, "an empty text holds nothing");
	cr_assert_eq(ac_stamps_hold(AT_FDCWD, "1 2 3 /a\nbad\n", 13), -EINVAL,
		     "a bad line anywhere spoils the text");
}

Test(stamp, same_rule)
{
	struct ac_stamp a = {.sec = 10, .nsec = 5, .size = 7}, b = a;

	cr_assert(ac_stamp_same(&a, &b));
	b.nsec = 0; /* unpacked from an archive of whole seconds */
	cr_assert(ac_stamp_same(&a, &b));
	cr_assert(ac_stamp_same(&b, &a));
	b.nsec = 6;
	cr_assert_not(ac_stamp_same(&a, &b));
	b = a;
	b.sec = 11;
	cr_assert_not(ac_stamp_same(&a, &b));
	b = a;
	b.size = 8;
	cr_assert_not(ac_stamp_same(&a, &b));
}

Test(stamp, holds_for_real_files)
{
	char dir[] = "/tmp/accel-stamp.XXXXXX", text[512], link[600];
	struct stat st;
	int dfd;

	cr_assert_not_null(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	cr_assert_geq(dfd, 0);
	cr_assert_eq(mkdirat(dfd, "d", 0755), 0);
	cr_assert_eq(close(openat(dfd, "d/f", O_WRONLY | O_CREAT, 0644)), 0);
	cr_assert_eq(fstatat(dfd, "d/f", &st, 0), 0);
	snprintf(text, sizeof(text), "%lld %ld %lld /d/f\n", (long long)st.st_mtim.tv_sec,
		 st.st_mtim.tv_nsec, (long long)st.st_size);
	cr_assert_eq(ac_stamps_hold(dfd, text, strlen(text)), 1);
	/* Absolute paths with AT_FDCWD, as the dispatcher inside its root. */
	snprintf(link, sizeof(link), "%lld %ld %lld %s/d/f\n", (long long)st.st_mtim.tv_sec,
		 st.st_mtim.tv_nsec, (long long)st.st_size, dir);
	cr_assert_eq(ac_stamps_hold(AT_FDCWD, link, strlen(link)), 1);
	/* Rewritten: other time. */
	cr_assert_eq(utimensat(dfd, "d/f", (struct timespec[]){{1, 0}, {1, 0}}, 0), 0);
	cr_assert_eq(ac_stamps_hold(dfd, text, strlen(text)), 0);
	/* A symbolic link in its place is not followed. */
	cr_assert_eq(unlinkat(dfd, "d/f", 0), 0);
	cr_assert_eq(symlinkat("/etc/passwd", dfd, "d/f"), 0);
	cr_assert_eq(ac_stamps_hold(dfd, text, strlen(text)), 0);
	/* Gone. */
	cr_assert_eq(unlinkat(dfd, "d/f", 0), 0);
	cr_assert_eq(ac_stamps_hold(dfd, text, strlen(text)), 0);
	unlinkat(dfd, "d", AT_REMOVEDIR);
	close(dfd);
	rmdir(dir);
}
