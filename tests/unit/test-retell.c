// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of lib/view/retell.c on a real host program
 * (tests/helpers/retell-sample, built with the project's compiler): its
 * strings told as an "armel build" holding the root's names tells them, the
 * patched copy run, its output read.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accel/view/retell.h"

#define SAMPLE "tests/helpers/retell-sample"

/* What the root's build of the sample holds (whole strings). */
static const char armel[] = "\0arm-unknown-linux-gnueabi\0arm-linux-gnueabi-thread-multi-64int"
			    "\0/5.36.0/arm-linux-gnueabi-thread-multi-64int\0armel\0arm\0"
			    "/usr/lib/arm-linux-gnueabi\0"
			    "/usr/local/lib/arm-linux-gnueabi/pkgconfig:/usr/lib/arm-linux-gnueabi/"
			    "pkgconfig:/usr/share/pkgconfig\0"
			    "/lib:/lib/arm-linux-gnueabi:/usr/lib:/usr/lib/arm-linux-gnueabi\0";
#define PC_HOST "/usr/local/lib/x86_64-linux-gnu/pkgconfig:/usr/lib/x86_64-linux-gnu/pkgconfig:/usr/share/pkgconfig"
#define PC_ROOT "/usr/local/lib/arm-linux-gnueabi/pkgconfig:/usr/lib/arm-linux-gnueabi/pkgconfig:/usr/share/pkgconfig"
#define SYS_HOST "/lib:/lib/i386-linux-gnu:/lib/x86_64-linux-gnu:/lib32:/usr/lib:/usr/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnux32:/usr/libx32"
#define SYS_ROOT "/lib:/lib/arm-linux-gnueabi:/usr/lib:/usr/lib/arm-linux-gnueabi"

static unsigned char *slurp(const char *path, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned char *b;

	cr_assert_geq(fd, 0, "%s is missing (make check builds it)", path);
	cr_assert_eq(fstat(fd, &st), 0);
	b = malloc((size_t)st.st_size);
	cr_assert_not_null(b);
	cr_assert_eq(read(fd, b, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return b;
}

static char *run(const char *path)
{
	static char out[4096];
	int p[2], st;
	ssize_t n, got = 0;
	pid_t c;

	cr_assert_eq(pipe(p), 0);
	c = fork();
	cr_assert_geq(c, 0);
	if (c == 0) {
		if (dup2(p[1], 1) < 0)
			_exit(126);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], out + got, sizeof(out) - 1 - (size_t)got)) > 0)
		got += n;
	close(p[0]);
	out[got] = '\0';
	cr_assert_eq(waitpid(c, &st, 0), c);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s failed", path);
	return out;
}

/* The image h with info's patches laid over, written to a file and run:
 * its output. */
static char *run_patched(unsigned char *h, size_t len, const struct ac_elf_info *info)
{
	char path[] = "/tmp/accel-retell-XXXXXX";
	char *out;
	int fd;

	ac_patch_apply(info->patches, info->npatches, 0, h, len);
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, h, len), (ssize_t)len);
	cr_assert_eq(fchmod(fd, 0700), 0);
	close(fd);
	out = run(path);
	unlink(path);
	return out;
}

Test(retell, pairs_only_what_the_root_build_has)
{
	size_t len;
	unsigned char *h = slurp(SAMPLE, &len);
	struct ac_retell pairs[16];
	int n = ac_retell_pairs(h, len, (const unsigned char *)armel, sizeof(armel),
				ac_retell_loads_code(h, len), pairs, 16);
	int seen_type = 0, seen_short = 0;

	int seen_pc = 0, seen_sys = 0;

	cr_assert_eq(ac_retell_loads_code(h, len), 0, "it does not call dlopen");

	cr_assert_geq(n, 6);
	for (int i = 0; i < n; i++) {
		seen_type |= !strcmp(pairs[i].from, "x86_64-pc-linux-gnu") &&
			     !strcmp(pairs[i].to, "arm-unknown-linux-gnueabi");
		seen_short |= !strcmp(pairs[i].from, "x86_64") && !strcmp(pairs[i].to, "arm");
		/* A file that cannot load code: its multiarch paths name data,
		 * told the root's way, lists without the host's other ABIs. */
		seen_pc |= !strcmp(pairs[i].from, PC_HOST) && !strcmp(pairs[i].to, PC_ROOT);
		seen_sys |= !strcmp(pairs[i].from, SYS_HOST) && !strcmp(pairs[i].to, SYS_ROOT);
	}
	cr_assert(seen_type && seen_short && seen_pc && seen_sys);
	/* Nothing the root's build lacks. */
	cr_assert_eq(ac_retell_pairs(h, len, (const unsigned char *)"\0\0", 2, 0, pairs, 16), 0);
	free(h);
}

Test(retell, multiarch_paths_stay_in_a_file_that_loads_code)
{
	size_t len;
	unsigned char *h = slurp(SAMPLE "-dl", &len);
	struct ac_retell pairs[16];
	int n = ac_retell_pairs(h, len, (const unsigned char *)armel, sizeof(armel),
				ac_retell_loads_code(h, len), pairs, 16);
	int seen_type = 0;

	cr_assert_eq(ac_retell_loads_code(h, len), 1, "it calls dlopen");
	cr_assert_geq(n, 4);
	for (int i = 0; i < n; i++) {
		cr_assert(!strstr(pairs[i].from, "/lib/x86_64-linux-gnu"),
			  "a file that calls dlopen keeps its multiarch paths: %s", pairs[i].from);
		seen_type |= !strcmp(pairs[i].from, "x86_64-pc-linux-gnu");
	}
	cr_assert(seen_type, "its other strings are told the root's way");
	free(h);
}

Test(retell, moved_in_place_or_refused_and_the_program_runs)
{
	size_t len;
	unsigned char *h = slurp(SAMPLE, &len);
	struct ac_retell pairs[16];
	struct ac_elf_info info = {0};
	char why[16][128];
	int n = ac_retell_pairs(h, len, (const unsigned char *)armel, sizeof(armel),
				ac_retell_loads_code(h, len), pairs, 16);
	int done, refused_len = 0;

	const unsigned char *alias = memmem(h, len, PC_HOST, sizeof(PC_HOST));

	cr_assert_str_eq(run(SAMPLE), PC_HOST "\n" SYS_HOST "\n"
				      "x86_64-pc-linux-gnu\nx86_64-linux-gnu-thread-multi\n"
				      "/5.36.0/x86_64-linux-gnu-thread-multi\namd64\nx86_64\nlinux-gnu\n");
	/* The view's alias patch of a multiarch directory (elfview.h) inside
	 * a string it retells gives way to the retold string. */
	cr_assert_not_null(alias);
	cr_assert_eq(ac_patch_add(&info, (uint64_t)(alias - h) + 42, "/lib-x86/.accel/usr-lib-x", 25), 0);
	done = ac_retell_plan(h, len, pairs, (size_t)n, &info, why);
	cr_assert_geq(done, 6);
	for (int i = 0; i < n; i++)
		refused_len |= !strcmp(pairs[i].from, "/5.36.0/x86_64-linux-gnu-thread-multi") &&
			       strstr(why[i], "used with its length");
	cr_assert(refused_len, "a string used with its length stays");
	cr_assert_str_eq(run_patched(h, len, &info), PC_ROOT "\n" SYS_ROOT "\n"
				    "arm-unknown-linux-gnueabi\narm-linux-gnueabi-thread-multi-64int\n"
				    "/5.36.0/x86_64-linux-gnu-thread-multi\narmel\narm\n"
				    "linux-gnueabi\n");
	ac_elf_info_free(&info);
	free(h);
}

Test(retell, not_an_elf_image)
{
	static const unsigned char junk[64] = "x86_64-pc-linux-gnu";
	struct ac_retell p = {"x86_64-pc-linux-gnu", "arm-unknown-linux-gnueabi"};
	struct ac_elf_info info = {0};

	cr_assert_lt(ac_retell_plan(junk, sizeof(junk), &p, 1, &info, NULL), 0);
}

/* A program at fixed addresses (ET_EXEC, as busybox-static): a string of
 * the same length is told in place; one that would change length is
 * refused with its reason (its references are absolute numbers too), and
 * the file is still served. */
Test(retell, fixed_address_program_same_length_only)
{
	size_t len;
	unsigned char *h = slurp(SAMPLE "-exec", &len);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)(const void *)h;
	struct ac_retell pairs[16];
	struct ac_elf_info info = {0};
	char why[16][128];
	int n, done;

	cr_assert_eq(eh->e_type, ET_EXEC, "the sample is built at fixed addresses");
	n = ac_retell_pairs(h, len, (const unsigned char *)armel, sizeof(armel),
			    ac_retell_loads_code(h, len), pairs, 16);
	cr_assert_geq(n, 3);
	done = ac_retell_plan(h, len, pairs, (size_t)n, &info, why);
	cr_assert_eq(done, 1, "only amd64 -> armel keeps its length (%d told)", done);
	for (int i = 0; i < n; i++) {
		if (strlen(pairs[i].from) == strlen(pairs[i].to))
			cr_assert_str_empty(why[i], "%s: %s", pairs[i].from, why[i]);
		else
			cr_assert_not_null(strstr(why[i], "not PIE"), "%s: [%s]", pairs[i].from,
					   why[i]);
	}
	cr_assert_str_eq(run_patched(h, len, &info), PC_HOST "\n" SYS_HOST "\n"
				    "x86_64-pc-linux-gnu\nx86_64-linux-gnu-thread-multi\n"
				    "/5.36.0/x86_64-linux-gnu-thread-multi\narmel\nx86_64\nlinux-gnu\n");
	ac_elf_info_free(&info);
	free(h);
}
