// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of the view's ELF rewrite plan (lib/elfview.c), on the host's
 * own programs and on damaged copies of them. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accel/exec/layout.h"
#include "accel/view/elfview.h"

static unsigned char *slurp(const char *path, size_t *len, size_t extra)
{
	struct stat st;
	unsigned char *buf;
	int fd = open(path, O_RDONLY);

	cr_assert(fd >= 0, "open %s", path);
	cr_assert(fstat(fd, &st) == 0);
	buf = malloc((size_t)st.st_size + extra);
	cr_assert(buf);
	cr_assert(read(fd, buf, (size_t)st.st_size) == st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/* The file with its patches applied, whole. */
static unsigned char *patched(const unsigned char *buf, size_t len, const struct ac_elf_info *in)
{
	unsigned char *out = malloc(len);

	memcpy(out, buf, len);
	ac_patch_apply(in->patches, in->npatches, 0, out, len);
	return out;
}

static int has(const unsigned char *buf, size_t len, const char *s)
{
	return memmem(buf, len, s, strlen(s) + 1) != NULL;
}

/* A real program (/usr/bin/true) with tail appended, inspected and patched
 * whole; *len is the patched image's length. */
static unsigned char *patched_with_tail(const char *tail, size_t tsize, size_t *len)
{
	struct ac_elf_info in;
	struct ac_err err = {0};
	unsigned char *buf = slurp("/usr/bin/true", len, tsize), *out;

	memcpy(buf + *len, tail, tsize);
	*len += tsize;
	cr_assert_eq(ac_elf_inspect(buf, *len, &in, &err), 0, "%s", &err);
	out = patched(buf, *len, &in);
	ac_elf_info_free(&in);
	free(buf);
	return out;
}

Test(elfview, program_gets_the_view_loader)
{
	struct ac_elf_info in;
	struct ac_err err = {0};
	size_t len;
	unsigned char *buf = slurp("/usr/bin/make", &len, 0), *out;

	cr_assert_eq(ac_elf_inspect(buf, len, &in, &err), 0, "%s", &err);
	cr_assert(in.has_interp && in.is_exec && !in.is_loader);
	cr_assert(in.nneeded >= 1);
	out = patched(buf, len, &in);
	cr_assert(has(out, len, AC_VIEW_LDSO), "PT_INTERP rewritten");
	cr_assert(!has(out, len, "/lib64/ld-linux-x86-64.so.2"));
	cr_assert_eq(memcmp(out, buf, 64), 0, "ELF header untouched");
	ac_elf_info_free(&in);
	free(out);
	free(buf);
}

Test(elfview, loader_is_confined_to_the_view)
{
	struct ac_elf_info in;
	struct ac_err err = {0};
	size_t len;
	unsigned char *buf = slurp("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", &len, 0), *out;

	cr_assert_eq(ac_elf_inspect(buf, len, &in, &err), 0, "%s", &err);
	cr_assert(in.is_loader);
	out = patched(buf, len, &in);
	cr_assert(!has(out, len, "/etc/ld.so.cache"));
	cr_assert(!has(out, len, "/etc/ld.so.preload"));
	cr_assert(!has(out, len, "/lib/x86_64-linux-gnu/"), "default dirs rewritten");
	cr_assert(!has(out, len, "/usr/lib/x86_64-linux-gnu/"));
	cr_assert(has(out, len, AC_VIEW_LIB "/"));
	cr_assert(has(out, len, AC_VIEW_USRLIB "/"));
	ac_elf_info_free(&in);
	free(out);
	free(buf);
}

Test(elfview, only_whole_paths_are_rewritten)
{
	static const char tail[] = "\0/usr/lib/x86_64-linux-gnu/perl5\0"
				   "/usr/local/lib/x86_64-linux-gnu/x\0"
				   "PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu\0"
				   "/lib/x86_64-linux-gnux\0";
	size_t len;
	unsigned char *out = patched_with_tail(tail, sizeof(tail), &len);

	cr_assert(has(out, len, AC_VIEW_USRLIB "/perl5"));
	cr_assert(has(out, len, "/usr/local/lib/x86_64-linux-gnu/x"), "tail of a longer path kept");
	cr_assert(has(out, len, "PATH=" AC_VIEW_LIB ":" AC_VIEW_USRLIB), "list entries rewritten");
	cr_assert(has(out, len, "/lib/x86_64-linux-gnux"), "a longer name kept");
	free(out);
}

/* A host libbfd for a foreign target names that target's plugin
 * directory (/usr/lib/arm-linux-gnueabi/bfd-plugins), where the root keeps
 * armel plugins: the whole string becomes the view's plugin directory. The
 * host's own directory, the relative one and longer names stay. */
Test(elfview, foreign_bfd_plugin_directory_names_the_view)
{
	static const char tail[] = "\0/usr/lib/arm-linux-gnueabi/bfd-plugins\0"
				   "/usr/bin/../lib/bfd-plugins\0"
				   "/usr/lib/x86_64-linux-gnu/bfd-plugins\0"
				   "/usr/lib/arm-linux-gnueabi/bfd-pluginsX\0"
				   "/opt/usr/lib/arm-linux-gnueabi/bfd-plugins\0"
				   "/usr/lib/a/bfd-plugins\0";
	size_t len;
	unsigned char *out = patched_with_tail(tail, sizeof(tail), &len);

	cr_assert(has(out, len, AC_VIEW_BFD_PLUGINS), "the foreign directory names the view's");
	cr_assert_str_eq((char *)out + len - sizeof(tail) + 1, AC_VIEW_BFD_PLUGINS);
	cr_assert(has(out, len, "/usr/bin/../lib/bfd-plugins"), "relative directory kept");
	cr_assert(has(out, len, AC_VIEW_USRLIB "/bfd-plugins"), "the host's own: multiarch alias");
	cr_assert(has(out, len, "/usr/lib/arm-linux-gnueabi/bfd-pluginsX"), "longer name kept");
	cr_assert(has(out, len, "/opt/usr/lib/arm-linux-gnueabi/bfd-plugins"), "tail kept");
	cr_assert(has(out, len, "/usr/lib/a/bfd-plugins"), "too short for the view's name: kept");
	free(out);
}

Test(elfview, damaged_files_are_refused)
{
	struct ac_elf_info in;
	struct ac_err err = {0};
	size_t len;
	unsigned char *buf = slurp("/usr/bin/make", &len, 0);
	unsigned char copy[4096];

	/* Truncated after the ELF header: program headers missing. */
	cr_assert_eq(ac_elf_inspect(buf, 100, &in, &err), -ENOEXEC);
	cr_assert(err.msg[0], "a reason is given");
	/* Too short for an ELF header. */
	cr_assert_eq(ac_elf_inspect(buf, 10, &in, &err), -ENOEXEC);
	/* Not ELF at all. */
	cr_assert_eq(ac_elf_inspect((const unsigned char *)"#!/bin/sh\n", 10, &in, &err),
		     -ENOEXEC);
	/* Another machine (ARM). */
	memcpy(copy, buf, sizeof(copy));
	copy[18] = 40;
	copy[19] = 0;
	cr_assert_eq(ac_elf_inspect(copy, sizeof(copy), &in, &err), -ENOEXEC);
	cr_assert(strstr(err.msg, "x86_64"), "%s", err.msg);
	/* Program headers pointing past the end. */
	memcpy(copy, buf, sizeof(copy));
	memset(copy + 32, 0x7f, 8); /* e_phoff */
	cr_assert_eq(ac_elf_inspect(copy, sizeof(copy), &in, &err), -ENOEXEC);
	free(buf);
}

Test(elfview, patches_apply_to_any_window)
{
	struct ac_patch p[2] = {{.off = 10, .len = 4, .data = "ABCD"},
				{.off = 20, .len = 2, .data = "XY"}};
	unsigned char buf[8];

	memset(buf, '.', sizeof(buf));
	ac_patch_apply(p, 2, 8, buf, sizeof(buf)); /* bytes 8..15 */
	cr_assert_eq(memcmp(buf, "..ABCD..", 8), 0);
	memset(buf, '.', sizeof(buf));
	ac_patch_apply(p, 2, 12, buf, 4); /* bytes 12..15: the tail of the first */
	cr_assert_eq(memcmp(buf, "CD..", 4), 0);
	memset(buf, '.', sizeof(buf));
	ac_patch_apply(p, 2, 21, buf, 3); /* starts inside the second */
	cr_assert_eq(memcmp(buf, "Y..", 3), 0);
}

Test(elfview, multiarch_paths_map_to_same_length_aliases)
{
	char out[256];

	cr_assert_eq(ac_view_alias("usr/lib/x86_64-linux-gnu/libz.so.1", out, sizeof(out)), 1);
	cr_assert_str_eq(out, ".accel/usr-lib-x/libz.so.1");
	cr_assert_eq(ac_view_alias("lib/x86_64-linux-gnu/libc.so.6", out, sizeof(out)), 1);
	cr_assert_str_eq(out, ".accel/lib-x/libc.so.6");
	cr_assert_eq(ac_view_alias("usr/lib/x86_64-linux-gnux/a", out, sizeof(out)), 0);
	cr_assert_eq(ac_view_alias("usr/bin/make", out, sizeof(out)), 0);
	cr_assert_eq(ac_view_alias("lib/x86_64-linux-gnu/a", out, 8), -ENAMETOOLONG);
	cr_assert_eq(strlen(AC_VIEW_USRLIB), strlen(AC_HOST_USRLIB));
	cr_assert_eq(strlen(AC_VIEW_LIB), strlen(AC_HOST_LIB));
}

Test(elfview, gconv_cache_names_the_view)
{
	/* glibc's gconv-modules.cache holds the module directory: host iconv
	 * in a root must load its modules from the view. */
	const char *cache = "/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache";
	struct ac_elf_info in;
	size_t len;
	unsigned char *buf, *out;

	if (access(cache, R_OK))
		cr_skip_test("no %s on this host", cache);
	buf = slurp(cache, &len, 0);
	cr_assert(has(buf, len, AC_HOST_USRLIB "/gconv/"));
	cr_assert_eq(ac_data_inspect(buf, len, &in), 0);
	cr_assert_geq(in.npatches, 1);
	out = patched(buf, len, &in);
	cr_assert(has(out, len, AC_VIEW_USRLIB "/gconv/"));
	cr_assert_null(memmem(out, len, AC_HOST_USRLIB, strlen(AC_HOST_USRLIB)));
	ac_elf_info_free(&in);
	free(out);
	free(buf);
}

/* ------------------------------------------------------- the cross layout */

#define T "arm-linux-gnueabi"

static void rewrites(const char *from, const char *to)
{
	char out[512];

	cr_assert_eq(ac_cross_rewrite(from, T, "12", out, sizeof(out)), 1, "%s", from);
	cr_assert_str_eq(out, to, "%s", from);
	cr_assert(strlen(out) <= strlen(from));
}

/* Each string Debian's gcc-12-arm-linux-gnueabi 12.2.0-14cross1 has, and
 * the one the root's native gcc-12 has in its place (both read with
 * strings(1) from the two builds' cc1plus and driver). */
Test(elfview, cross_layout_names_become_native)
{
	rewrites("/usr/lib/gcc-cross/", "/usr/lib/gcc/");
	rewrites("/usr/lib/gcc-cross/" T "/12/include", "/usr/lib/gcc/" T "/12/include");
	rewrites("/usr/lib/gcc-cross/" T "/12/include-fixed", "/usr/lib/gcc/" T "/12/include-fixed");
	rewrites("/usr/lib/gcc-cross/" T "/12/../../../../" T "/include",
		 "/usr/lib/gcc/" T "/12/../../../../" T "/include");
	rewrites("/usr/lib/gcc-cross/" T "/12/../../../../" T "/include/finclude/",
		 "/usr/lib/gcc/" T "/12/../../../../" T "/include/finclude/");
	rewrites("/usr/lib/gcc-cross/" T "/12/../../../../" T "/include/c++/12",
		 "/usr/lib/gcc/" T "/12/../../../../include/c++/12");
	rewrites("/usr/lib/gcc-cross/" T "/12/../../../../" T "/include/c++/12/" T,
		 "/usr/lib/gcc/" T "/12/../../../../include/" T "/c++/12");
	rewrites("/usr/lib/gcc-cross/" T "/12/../../../../" T "/include/c++/12/backward",
		 "/usr/lib/gcc/" T "/12/../../../../include/c++/12/backward");
	rewrites("/usr/lib/gcc-cross/" T "/12/../../../../" T "/libc++_include/c++/12/v1",
		 "/usr/lib/gcc/" T "/12/../../../../libc++_include/c++/12/v1");
	rewrites("gcc-cross", "gcc");
}

Test(elfview, cross_layout_leaves_other_strings)
{
	char out[512];
	static const char *const keep[] = {
		"/usr/lib/gcc/" T "/12/include", /* already native */
		"/usr/lib/gcc-crossed/",         /* another name */
		"x/usr/lib/gcc-cross/",          /* not at the start */
		"gcc-cross-12",
		"/usr/include",
		"--libexecdir=/usr/lib",
	};

	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		cr_assert_eq(ac_cross_rewrite(keep[i], T, "12", out, sizeof(out)), 0, "%s", keep[i]);
	/* c++/120 is not the C++ headers of 12: the libsubdir rule only. */
	rewrites("/usr/lib/gcc-cross/" T "/12/../../../../" T "/include/c++/120",
		 "/usr/lib/gcc/" T "/12/../../../../" T "/include/c++/120");
	cr_assert_eq(ac_cross_rewrite("gcc-cross", "../x", "12", out, sizeof(out)), -EINVAL);
	cr_assert_eq(ac_cross_rewrite("gcc-cross", T, "", out, sizeof(out)), -EINVAL);
	cr_assert_eq(ac_cross_rewrite("/usr/lib/gcc-cross/" T, T, "12", out, 8), -ENAMETOOLONG);
}

/* A file image holding the cross strings among others: the plan rewrites
 * the whole strings in place (NUL-padded, the rest of the file unchanged),
 * in patches no longer than AC_PATCH_MAX, and composes with other patches. */
Test(elfview, cross_plan_rewrites_whole_strings_in_place)
{
	static const char img[] =
		"\0head/usr/lib/gcc-cross/\0"
		"/usr/lib/gcc-cross/\0"
		"gcc-cross\0"
		"/usr/lib/gcc-cross/" T "/12/../../../../" T "/include/c++/12/" T "\0"
		"/usr/lib/x86_64-linux-gnu\0"
		"tail";
	struct ac_elf_info info;
	unsigned char *out;

	char want[sizeof(img)];
	char *w;

	/* What the plan must make of img: each whole cross string replaced,
	 * NUL-padded to its own length; the one inside "head..." kept. */
	memcpy(want, img, sizeof(img));
	w = want + sizeof("\0head/usr/lib/gcc-cross/");
	strncpy(w, "/usr/lib/gcc/", sizeof("/usr/lib/gcc-cross/"));
	w += sizeof("/usr/lib/gcc-cross/");
	strncpy(w, "gcc", sizeof("gcc-cross"));
	w += sizeof("gcc-cross");
	strncpy(w, "/usr/lib/gcc/" T "/12/../../../../include/" T "/c++/12",
		sizeof("/usr/lib/gcc-cross/" T "/12/../../../../" T "/include/c++/12/" T));
	memset(&info, 0, sizeof(info));
	cr_assert_eq(ac_data_inspect((const unsigned char *)img, sizeof(img), &info), 0);
	cr_assert_eq(info.npatches, 1); /* the host multiarch alias */
	cr_assert_eq(ac_cross_plan((const unsigned char *)img, sizeof(img), T, "12", &info), 3);
	for (size_t i = 0; i < info.npatches; i++) {
		cr_assert(info.patches[i].len <= AC_PATCH_MAX);
		cr_assert(!i || info.patches[i].off >= info.patches[i - 1].off + info.patches[i - 1].len,
			  "patches sorted and apart");
	}
	out = patched((const unsigned char *)img, sizeof(img), &info);
	cr_assert(!memcmp(out + sizeof(img) - 31, AC_VIEW_USRLIB "\0tail", 31));
	memcpy(out + sizeof(img) - 31, "/usr/lib/x86_64-linux-gnu\0tail", 31);
	for (size_t i = 0; i < sizeof(want); i++)
		cr_assert_eq(out[i], (unsigned char)want[i], "patched image, byte %zu", i);
	free(out);
	ac_elf_info_free(&info);
	cr_assert_eq(ac_cross_plan((const unsigned char *)img, sizeof(img), "a/b", "12", &info),
		     -EINVAL);
}

Test(elfview, self_links_take_the_place_of_proc_self_exe)
{
	/* Three strings: the whole one, a longer path ending in it, and the
	 * whole one again at the end of the image. */
	static const char img[] = "x\0/proc/self/exe\0/usr/proc/self/exe\0/proc/self/exe";
	unsigned char buf[sizeof(img)];
	struct ac_elf_info info = {0};
	char name[16], link[32];

	ac_self_name(0, name);
	cr_assert_str_eq(name, ".e000");
	ac_self_name(AC_SELF_IDS - 1, name);
	cr_assert_str_eq(name, ".e---");
	ac_self_name(65, name);
	cr_assert_str_eq(name, ".e011");
	snprintf(link, sizeof(link), "%s/%s", AC_VIEW_DIR, name);
	cr_assert_eq(strlen(link), strlen("/proc/self/exe"), "the same length, nothing moves");
	cr_assert_eq(ac_self_plan((const unsigned char *)img, sizeof(img), "/too/short", &info),
		     -EINVAL);
	cr_assert_eq(ac_self_plan((const unsigned char *)img, sizeof(img), link, &info), 2);
	memcpy(buf, img, sizeof(img));
	ac_patch_apply(info.patches, info.npatches, 0, buf, sizeof(buf));
	cr_assert_str_eq((char *)buf + 2, link);
	cr_assert_str_eq((char *)buf + 17, "/usr/proc/self/exe", "not the tail of a longer path");
	cr_assert_str_eq((char *)buf + 36, link);
	ac_elf_info_free(&info);
}
