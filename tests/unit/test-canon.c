// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of lib/canon.c against a real directory tree playing the root. */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accel/exec/canon.h"
#include "accel/base/util.h"

static char top[PATH_MAX];
static int rootfd = -1;

static void mk(const char *path)
{
	cr_assert_eq(ac_mkdir_p(rootfd, path, 0755), 0, "mkdir %s", path);
}

static void touch(const char *path)
{
	int fd = openat(rootfd, path, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);

	cr_assert_geq(fd, 0, "create %s: %s", path, strerror(errno));
	close(fd);
}

static void ln(const char *target, const char *path)
{
	cr_assert_eq(symlinkat(target, rootfd, path), 0, "symlink %s: %s", path, strerror(errno));
}

static void setup(void)
{
	snprintf(top, sizeof(top), "/tmp/accel-canon-XXXXXX");
	cr_assert_not_null(mkdtemp(top));
	rootfd = open(top, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(rootfd, 0);
	/* A merged-/usr armel root in miniature. */
	mk("usr/bin");
	mk("usr/lib/gcc");
	mk("etc/alternatives");
	mk("home/user/src");
	ln("usr/bin", "bin");
	ln("usr/lib", "lib");
	touch("usr/bin/busybox");
	touch("usr/bin/mawk");
	ln("busybox", "usr/bin/ls");
	ln("/etc/alternatives/awk", "usr/bin/awk");
	ln("/usr/bin/mawk", "etc/alternatives/awk");
	touch("usr/bin/gcc-12");
	ln("gcc-12", "usr/bin/gcc");
	ln("gcc", "usr/bin/cc");
}

static void teardown(void)
{
	close(rootfd);
	ac_rm_rf(AT_FDCWD, top);
}

TestSuite(canon, .init = setup, .fini = teardown);

static void expect(const char *cwd, const char *path, const char *want)
{
	char out[AC_PATH_MAX];
	long n = ac_canon(rootfd, cwd, path, out, sizeof(out));

	cr_assert_gt(n, 0, "ac_canon(%s) failed: %s", path, strerror((int)-n));
	cr_assert_str_eq(out, want, "ac_canon(%s)", path);
	cr_assert_eq((size_t)n, strlen(want));
}

static void expect_err(const char *cwd, const char *path, int err)
{
	char out[AC_PATH_MAX];
	long n = ac_canon(rootfd, cwd, path, out, sizeof(out));

	cr_assert_eq(n, -err, "ac_canon(%s) = %ld, want -%d", path, n, err);
}

Test(canon, plain_absolute)
{
	expect(NULL, "/usr/bin/busybox", "/usr/bin/busybox");
	expect(NULL, "/", "/");
	expect(NULL, "//usr///bin//busybox", "/usr/bin/busybox");
}

Test(canon, relative_joined_to_cwd)
{
	expect("/usr/bin", "busybox", "/usr/bin/busybox");
	expect("/usr", "./bin/./busybox", "/usr/bin/busybox");
	expect("/home/user/src", "../../../usr/bin/mawk", "/usr/bin/mawk");
	expect_err(NULL, "busybox", EINVAL);
	expect_err("relative/cwd", "busybox", EINVAL);
}

Test(canon, dotdot_stays_inside_root)
{
	expect(NULL, "/../../../usr/bin/busybox", "/usr/bin/busybox");
	expect("/", "../../usr/bin/busybox", "/usr/bin/busybox");
	expect(NULL, "/usr/..", "/");
}

Test(canon, directory_symlinks_merged_usr)
{
	expect(NULL, "/bin/busybox", "/usr/bin/busybox");
	expect(NULL, "/bin/ls", "/usr/bin/busybox");
	expect("/", "bin/ls", "/usr/bin/busybox");
	expect(NULL, "/lib/gcc/../../bin/mawk", "/usr/bin/mawk");
}

Test(canon, alternatives_chain_absolute_links_stay_in_root)
{
	expect(NULL, "/usr/bin/awk", "/usr/bin/mawk");
	expect(NULL, "/bin/awk", "/usr/bin/mawk");
	expect(NULL, "/usr/bin/cc", "/usr/bin/gcc-12");
}

Test(canon, dotdot_after_symlink_is_physical)
{
	/* /bin -> usr/bin, so /bin/.. is /usr, not / */
	expect(NULL, "/bin/../bin/busybox", "/usr/bin/busybox");
	expect(NULL, "/bin/..", "/usr");
}

Test(canon, link_escaping_upwards_is_clamped)
{
	ln("../../../../../../../usr/bin/mawk", "home/user/esc");
	expect(NULL, "/home/user/esc", "/usr/bin/mawk");
	ln("/../../etc/../usr/bin/busybox", "home/user/esc2");
	expect(NULL, "/home/user/esc2", "/usr/bin/busybox");
}

Test(canon, symlink_loops)
{
	ln("b", "home/a");
	ln("a", "home/b");
	expect_err(NULL, "/home/a", ELOOP);
	ln("self", "home/self");
	expect_err(NULL, "/home/self/x", ELOOP);
}

Test(canon, link_count_limit_is_the_kernels)
{
	char name[64], target[64];

	/* c0 -> busybox, c1 -> c0, ... c40 -> c39 */
	ln("/usr/bin/busybox", "usr/bin/c0");
	for (int i = 1; i <= AC_MAXSYMLINKS; i++) {
		snprintf(name, sizeof(name), "usr/bin/c%d", i);
		snprintf(target, sizeof(target), "c%d", i - 1);
		ln(target, name);
	}
	expect(NULL, "/usr/bin/c39", "/usr/bin/busybox"); /* 40 links */
	expect_err(NULL, "/usr/bin/c40", ELOOP);          /* 41 links */
}

Test(canon, missing_and_not_a_directory)
{
	expect_err(NULL, "/usr/bin/nothing", ENOENT);
	expect_err(NULL, "/usr/bin/busybox/x", ENOTDIR);
	ln("/nowhere", "usr/bin/dangling");
	expect_err(NULL, "/usr/bin/dangling", ENOENT);
	expect_err(NULL, "", EINVAL);
}

Test(canon, over_long_paths_are_refused_not_cut)
{
	char path[AC_PATH_MAX + 64], out[AC_PATH_MAX];
	size_t len = 0;

	while (len < AC_PATH_MAX + 8) {
		memcpy(path + len, "/usr", 4);
		len += 4;
	}
	path[len] = '\0';
	cr_assert_eq(ac_canon(rootfd, NULL, path, out, sizeof(out)), -ENAMETOOLONG);

	/* cwd + relative path over the limit */
	char cwd[AC_PATH_MAX];
	memset(cwd, 'a', sizeof(cwd) - 1);
	cwd[0] = '/';
	cwd[sizeof(cwd) - 1] = '\0';
	cr_assert_eq(ac_canon(rootfd, cwd, "x", out, sizeof(out)), -ENAMETOOLONG);

	/* a short path whose result does not fit the caller's buffer */
	char small[8];
	cr_assert_eq(ac_canon(rootfd, NULL, "/usr/bin/busybox", small, sizeof(small)),
		     -ENAMETOOLONG);
}

Test(canon, long_link_target_refused)
{
	char target[AC_PATH_MAX + 100];

	memset(target, 'x', sizeof(target) - 1);
	target[0] = '/';
	target[sizeof(target) - 1] = '\0';
	/* symlink(2) itself refuses targets of PATH_MAX or more; near the limit: */
	target[AC_PATH_MAX - 1] = '\0';
	if (symlinkat(target, rootfd, "home/long") == 0)
		expect_err(NULL, "/home/long/more", ENAMETOOLONG);
}

Test(canon, non_utf8_names_are_bytes)
{
	mk("usr/bin/\xff\xfe");
	touch("usr/bin/\xff\xfe/\xc3\x28prog");
	ln("\xff\xfe/\xc3\x28prog", "usr/bin/weird");
	expect(NULL, "/bin/weird", "/usr/bin/\xff\xfe/\xc3\x28prog");
}

Test(canon, own_root_with_at_fdcwd)
{
	char out[AC_PATH_MAX], want[PATH_MAX], path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/bin/ls", top);
	cr_assert_not_null(realpath(path, want));
	cr_assert_gt(ac_canon(AT_FDCWD, NULL, path, out, sizeof(out)), 0);
	cr_assert_str_eq(out, want);
}
