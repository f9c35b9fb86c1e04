// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the output hash (lib/outhash.c) with golden vectors.
 *
 * The expected hashes and lines were produced by OpenEmbedded's own
 * OEOuthashBasic (openembedded-core meta/lib/oe/sstatesig.py, commit
 * 35a2c6ed7987, run under python3 3.11 with bb.utils.sha256_file) on the
 * tree that make_tree() builds: files, an empty file, directories (one
 * sticky, one empty), setuid with and without x, setgid, a char and a block
 * device, a fifo, links to a file, to a directory and to nothing, non-ASCII
 * and space names, "fixmepath" (which OE skips) and pinned timestamps.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "accel/recorder/outhash.h"
#include "accel/base/util.h"

static char top[64];
static char names[64];

static void put(const char *rel, const char *text, mode_t mode)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", top, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert(fd >= 0, "create %s", p);
	cr_assert(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	cr_assert(chmod(p, mode) == 0);
}

static void at(const char *rel, char *p, size_t size)
{
	snprintf(p, size, "%s/%s", top, rel);
}

static void pin_mtime(const char *rel, time_t t)
{
	struct timespec ts[2] = {{t, 0}, {t, 0}};
	char p[512];

	at(rel, p, sizeof(p));
	cr_assert(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW) == 0);
}

/* The same steps, in the same order, as the shell script the golden
 * vectors were made with (mode changes after chown: chown clears set-id). */
static void make_tree(void)
{
	char p[512], q[512];

	if (geteuid() != 0)
		cr_skip_test("needs root (devices, owners)");
	snprintf(top, sizeof(top), "/tmp/accel-outhash-XXXXXX");
	cr_assert(mkdtemp(top));
	cr_assert(chmod(top, 0755) == 0);
	put("a.txt", "hello\n", 0644);
	put("empty", "", 0600);
	at("sub", p, sizeof(p));
	cr_assert(mkdir(p, 0755) == 0);
	at("sub/deeper", p, sizeof(p));
	cr_assert(mkdir(p, 0755) == 0);
	at("emptydir", p, sizeof(p));
	cr_assert(mkdir(p, 0755) == 0);
	at("with space", p, sizeof(p));
	cr_assert(mkdir(p, 0755) == 0);
	put("sub/run.sh", "#!/bin/sh\n", 0755);
	put("sub/deeper/z", "x", 04755);
	put("sub/sgid", "y", 0644);
	at("sub/sgid", p, sizeof(p));
	cr_assert(chown(p, 1, 1) == 0);
	cr_assert(chmod(p, 02750) == 0);
	put("sub/suid-noexec", "y", 04644);
	at("emptydir", p, sizeof(p));
	cr_assert(chmod(p, 01777) == 0);
	put("with space/\xc3\xbcn\xc3\xaf\x63\xc3\xb8\x64\xc3\xa9.txt", "\xc3\xbc\x62\x65r", 0644);
	at("link-to-file", p, sizeof(p));
	cr_assert(symlink("a.txt", p) == 0);
	at("link-to-dir", p, sizeof(p));
	cr_assert(symlink("sub", p) == 0);
	at("broken-link", p, sizeof(p));
	cr_assert(symlink("nowhere", p) == 0);
	at("fifo", p, sizeof(p));
	cr_assert(mkfifo(p, 0644) == 0);
	at("chardev", p, sizeof(p));
	cr_assert(mknod(p, S_IFCHR | 0644, makedev(1, 3)) == 0);
	at("blockdev", p, sizeof(p));
	cr_assert(mknod(p, S_IFBLK | 0644, makedev(7, 200)) == 0);
	put("fixmepath", "skipped", 0644);
	put("sub/fixmepath2", "kept", 0644);
	pin_mtime("a.txt", 1700000000);
	pin_mtime("sub", 1700000000);

	/* Owner names from a root's files, not the host's. */
	snprintf(names, sizeof(names), "/tmp/accel-names-XXXXXX");
	cr_assert(mkdtemp(names));
	snprintf(q, sizeof(q), "%s/etc", names);
	cr_assert(mkdir(q, 0755) == 0);
	snprintf(q, sizeof(q), "%s/etc/passwd", names);
	cr_assert(ac_write_atomic(AT_FDCWD, q,
				  "root:x:0:0:root:/root:/bin/sh\n"
				  "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n",
				  77, 0644) == 0);
	snprintf(q, sizeof(q), "%s/etc/group", names);
	cr_assert(ac_write_atomic(AT_FDCWD, q, "root:x:0:\ndaemon:x:1:\n", 22, 0644) == 0);
	(void)q;
}

static void remove_tree(void)
{
	if (top[0])
		ac_rm_rf(AT_FDCWD, top);
	if (names[0])
		ac_rm_rf(AT_FDCWD, names);
}

static void expect(const struct ac_outhash_opts *o, const char *want)
{
	char hex[AC_OUTHASH_HEX], again[AC_OUTHASH_HEX];
	struct ac_err why = {0};
	struct ac_buf lines = {0};
	int r = ac_outhash_tree(top, o, hex, &lines, &why);

	cr_assert_eq(r, 0, "%s", why.msg);
	cr_expect_str_eq(hex, want, "task %s owners %d", o->task, o->owners);
	/* The lines are exactly the hashed text. */
	ac_sha256_hex(lines.p, lines.len, again);
	cr_expect_str_eq(again, hex);
	ac_buf_free(&lines);
}

TestSuite(outhash_tree, .init = make_tree, .fini = remove_tree);

Test(outhash_tree, plain_do_install)
{
	struct ac_outhash_opts o = {.task = "do_install", .pkgspec = "x", .names_root = names};

	expect(&o, "713fa4c3b465a7c0b0d784044b388f9060352b07b111c2ccb642513dc11c7fcd");
}

Test(outhash_tree, owners_on)
{
	struct ac_outhash_opts o = {
		.task = "do_install", .pkgspec = "spec-1", .owners = 1, .names_root = names};

	expect(&o, "a4b14cdf173985213805d1267e2dd68133ef0c30a54556e7b4039443468ee540");
}

Test(outhash_tree, owners_forced_off_for_package_write)
{
	struct ac_outhash_opts o = {
		.task = "package_write_ipk", .pkgspec = "z", .owners = 1, .names_root = names};

	expect(&o, "afa8f733e945e907cb76cef0c5fc65913e3badd56e77ba24fcee6aebe3d680b9");
}

Test(outhash_tree, package_timestamps_clamped_no_root_line)
{
	struct ac_outhash_opts o = {.task = "package", .pkgspec = "s", .owners = 1,
				    .names_root = names, .source_date_epoch = 1700000500,
				    .have_source_date_epoch = 1};

	expect(&o, "9bce7747d588e9f6b7de2ea4b2491b5de31e8d1ff78efe960af6b8704ea63c61");
}

Test(outhash_tree, version_and_extra_lines)
{
	struct ac_outhash_opts o = {.task = "do_populate_sysroot", .hash_version = "v2",
				    .extra = "extra stuff"};

	expect(&o, "306db7576dc6e725f175849d66d36d3e44dda4fda72b5778cc10c01d58506550");
}

Test(outhash_tree, one_thread_same_hash)
{
	struct ac_outhash_opts o = {.task = "do_install", .pkgspec = "x", .jobs = 1};

	expect(&o, "713fa4c3b465a7c0b0d784044b388f9060352b07b111c2ccb642513dc11c7fcd");
}

Test(outhash_tree, unknown_owner_is_an_error_naming_the_path)
{
	struct ac_outhash_opts o = {.task = "t", .owners = 1, .names_root = names};
	char hex[AC_OUTHASH_HEX], p[512];
	struct ac_err why = {0};

	at("a.txt", p, sizeof(p));
	cr_assert(chown(p, 4242, 0) == 0);
	cr_assert_eq(ac_outhash_tree(top, &o, hex, NULL, &why), -ENOENT);
	cr_expect(strstr(why.msg, "./a.txt") && strstr(why.msg, "4242"), "%s", why.msg);
}

Test(outhash_tree, package_needs_source_date_epoch)
{
	struct ac_outhash_opts o = {.task = "package"};
	char hex[AC_OUTHASH_HEX];
	struct ac_err why = {0};

	cr_assert_eq(ac_outhash_tree(top, &o, hex, NULL, &why), -EINVAL);
	cr_expect(strstr(why.msg, "SOURCE_DATE_EPOCH"), "%s", why.msg);
}

Test(outhash, empty_tree)
{
	char dir[] = "/tmp/accel-outhash-empty-XXXXXX", hex[AC_OUTHASH_HEX];
	struct ac_err why = {0};
	struct ac_outhash_opts o = {.task = "x"};

	cr_assert(mkdtemp(dir));
	cr_assert(chmod(dir, 0755) == 0);
	cr_assert_eq(ac_outhash_tree(dir, &o, hex, NULL, &why), 0, "%s", why.msg);
	rmdir(dir);
	cr_expect_str_eq(hex, "6265890ab115ff0828b07bcca5abf1200c993a20ba3af39aa3d85aa2f7112034");
}

Test(outhash, missing_dir)
{
	char hex[AC_OUTHASH_HEX];
	struct ac_err why = {0};
	struct ac_outhash_opts o = {0};

	cr_assert_eq(ac_outhash_tree("/nonexistent/accel", &o, hex, NULL, &why),
		     -ENOENT);
	cr_expect(strstr(why.msg, "/nonexistent/accel"), "%s", why.msg);
}

/* ---------------------------------------------------- line format, pure */

static const char *line_of(mode_t mode, unsigned maj, unsigned min, off_t size, const char *path,
			   const char *link, int owners, const char *task, long long mtime)
{
	static char buf[1024];
	struct ac_outhash_opts o = {.task = task, .owners = owners,
				    .source_date_epoch = 1700000500,
				    .have_source_date_epoch = 1};
	struct ac_outhash_entry e = {.path = path, .link = link};

	e.st.st_mode = mode;
	e.st.st_rdev = makedev(maj, min);
	e.st.st_size = size;
	e.st.st_mtim.tv_sec = mtime;
	memset(e.digest, 0xab, sizeof(e.digest));
	cr_assert(ac_outhash_line(&e, &o, "root", "daemon", buf, sizeof(buf)) > 0);
	return buf;
}

#define DIGEST_AB "abababababababababababababababababababababababababababababababab"
#define NODIGEST "                                                                "

Test(outhash_line, golden_lines)
{
	/* Lines as OE printed them for the same entries. */
	cr_expect_str_eq(line_of(S_IFCHR | 0644, 1, 3, 0, "./chardev", NULL, 1, "t", 0),
			 "crw-r--r--       root     daemon       1.3            " NODIGEST
			 " ./chardev\n");
	cr_expect_str_eq(line_of(S_IFBLK | 0644, 7, 200, 0, "./blockdev", NULL, 0, "t", 0),
			 "brw-     7.200            " NODIGEST " ./blockdev\n");
	cr_expect_str_eq(line_of(S_IFDIR | 01777, 0, 0, 4096, "./emptydir", NULL, 1, "t", 0),
			 "drwxrwxrwt       root     daemon                      " NODIGEST
			 " ./emptydir\n");
	/* Sticky without x for others is still 't'; setuid without x is 'S'. */
	cr_expect_str_eq(line_of(S_IFDIR | 01776, 0, 0, 0, "./d", NULL, 1, "t", 0),
			 "drwxrwxrwt       root     daemon                      " NODIGEST
			 " ./d\n");
	cr_expect_str_eq(line_of(S_IFREG | 04644, 0, 0, 1, "./s", NULL, 0, "t", 0),
			 "-rwS                    1 " DIGEST_AB " ./s\n");
	cr_expect_str_eq(line_of(S_IFREG | 02750, 0, 0, 1, "./g", NULL, 1, "t", 0),
			 "-rwxr-s---       root     daemon                    1 " DIGEST_AB
			 " ./g\n");
	cr_expect_str_eq(line_of(S_IFLNK | 0777, 0, 0, 3, "./l", "sub", 0, "t", 0),
			 "lrwx                      " NODIGEST " ./l -> sub\n");
	cr_expect_str_eq(line_of(S_IFIFO | 0644, 0, 0, 0, "./f", NULL, 0, "t", 0),
			 "prw-                      " NODIGEST " ./f\n");
	cr_expect_str_eq(line_of(S_IFSOCK | 0755, 0, 0, 0, "./sock", NULL, 0, "t", 0),
			 "srwx                      " NODIGEST " ./sock\n");
	/* package: the timestamp, clamped to SOURCE_DATE_EPOCH. */
	cr_expect_str_eq(line_of(S_IFREG | 0644, 0, 0, 6, "./a", NULL, 0, "package", 1700000000),
			 "-rw- 1700000000                    6 " DIGEST_AB " ./a\n");
	cr_expect_str_eq(line_of(S_IFREG | 0644, 0, 0, 6, "./a", NULL, 0, "package", 1800000000),
			 "-rw- 1700000500                    6 " DIGEST_AB " ./a\n");
	/* Sizes wider than the field are not cut. */
	cr_expect_str_eq(line_of(S_IFREG | 0600, 0, 0, 12345678901LL, "./big", NULL, 0, "t", 0),
			 "-rw-           12345678901 " DIGEST_AB " ./big\n");
}

Test(outhash_line, refuses_to_truncate)
{
	struct ac_outhash_opts o = {.task = "t"};
	struct ac_outhash_entry e = {.path = "./a-rather-long-name"};
	char buf[40];

	e.st.st_mode = S_IFDIR | 0755;
	cr_expect_eq(ac_outhash_line(&e, &o, NULL, NULL, buf, sizeof(buf)), -ENAMETOOLONG);
}

Test(outhash_line, header)
{
	struct ac_outhash_opts o = {.task = "do_x", .pkgspec = "p", .hash_version = "1"};
	struct ac_buf b = {0};

	cr_assert_eq(ac_outhash_header(&o, &b), 0);
	cr_expect_str_eq(b.p, "OEOuthashBasic\n1\nSSTATE_PKGSPEC=p\ntask=do_x\n");
	ac_buf_free(&b);
}

/* A tree n directories deep under a new temporary directory (its path). */
static char *deep_tree(int n)
{
	char *dtop = strdup("/tmp/accel-outhash-deep-XXXXXX");
	int fd;

	cr_assert_not_null(mkdtemp(dtop));
	fd = open(dtop, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (int i = 0; i < n; i++) {
		int sub;

		cr_assert_eq(mkdirat(fd, "d", 0755), 0);
		sub = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		cr_assert_geq(sub, 0);
		close(fd);
		fd = sub;
	}
	close(fd);
	return dtop;
}

/* The walk is recursive: its depth is bounded (and said), whatever the
 * limit of open files would allow; the removal of such a tree works. */
Test(outhash_tree, depth_bounded)
{
	struct ac_outhash_opts o = {.task = "do_install"};
	char hex[AC_OUTHASH_HEX];
	struct ac_err why = {0};
	char *ok = deep_tree(100), *deep = deep_tree(600);

	cr_assert_eq(ac_outhash_tree(ok, &o, hex, NULL, &why), 0, "%s", why.msg);
	cr_assert_eq(ac_outhash_tree(deep, &o, hex, NULL, &why), -ELOOP);
	cr_expect(strstr(why.msg, "directory levels"), "%s", why.msg);
	cr_assert_eq(ac_rm_rf(AT_FDCWD, ok), 0);
	cr_assert_eq(ac_rm_rf(AT_FDCWD, deep), 0);
	cr_assert_eq(access(deep, F_OK), -1);
	free(ok);
	free(deep);
}
