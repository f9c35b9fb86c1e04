// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of lib/route.c: binfmt argv layout and the host/qemu decision. */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accel/exec/canon.h"
#include "accel/exec/route.h"

Test(route, parse_binfmt_P_layout)
{
	char *argv[] = {"/usr/libexec/accel/accel-dispatch", "./configure", "sh", "-c", "x", NULL};
	struct ac_binfmt_call c;

	cr_assert_eq(ac_binfmt_parse(5, argv, &c), AC_PARSE_OK);
	cr_assert_str_eq(c.filename, "./configure");
	cr_assert_str_eq(c.argv0, "sh");
	cr_assert_eq(c.args, argv + 2);
	cr_assert_eq(c.nargs, 3);
	cr_assert_null(c.args[c.nargs]);
}

Test(route, parse_argv0_differs_from_filename)
{
	/* busybox: the applet comes from argv0, never from the file name */
	char *argv[] = {"d", "/bin/busybox", "ls", "-l", NULL};
	struct ac_binfmt_call c;

	cr_assert_eq(ac_binfmt_parse(4, argv, &c), AC_PARSE_OK);
	cr_assert_str_eq(c.argv0, "ls");
	cr_assert_str_eq(c.args[0], "ls");
}

Test(route, parse_empty_caller_argv)
{
	char *argv2[] = {"d", "/bin/true", NULL};
	char *argv3[] = {"d", "/bin/true", "", NULL};
	struct ac_binfmt_call c;

	cr_assert_eq(ac_binfmt_parse(2, argv2, &c), AC_PARSE_NO_ARGV0);
	cr_assert_str_eq(c.argv0, "");
	cr_assert_eq(ac_binfmt_parse(3, argv3, &c), AC_PARSE_OK);
	cr_assert_str_eq(c.argv0, "");
}

Test(route, parse_not_from_binfmt)
{
	char *argv1[] = {"d", NULL};
	struct ac_binfmt_call c;

	cr_assert_eq(ac_binfmt_parse(1, argv1, &c), AC_PARSE_NO_FILENAME);
	cr_assert_eq(ac_binfmt_parse(0, argv1 + 1, &c), AC_PARSE_NO_FILENAME);
}

Test(route, host_path_is_view_plus_canonical)
{
	char host[AC_PATH_MAX];

	cr_assert_eq(ac_route_decide("/usr/bin/make", 13, host, sizeof(host)), AC_ROUTE_HOST);
	cr_assert_str_eq(host, "/lib-x86/usr/bin/make");
}

Test(route, binaries_inside_the_view_are_emulated)
{
	char host[AC_PATH_MAX];

	cr_assert_eq(ac_route_decide("/lib-x86/usr/bin/make", 21, host, sizeof(host)),
		     AC_ROUTE_QEMU_IN_VIEW);
	cr_assert_eq(ac_route_decide("/lib-x86", 8, host, sizeof(host)), AC_ROUTE_QEMU_IN_VIEW);
	cr_assert_eq(ac_route_decide("/lib-x86x/make", 14, host, sizeof(host)), AC_ROUTE_HOST);
	cr_assert(ac_in_view("/lib-x86/a"));
	cr_assert(!ac_in_view("/lib-x8"));
	cr_assert(!ac_in_view("/lib-x86-old/a"));
}

Test(route, canonicalisation_errors_go_to_qemu)
{
	char host[AC_PATH_MAX];

	cr_assert_eq(ac_route_decide("", -ENOENT, host, sizeof(host)), AC_ROUTE_QEMU_NO_CANON);
	cr_assert_eq(ac_route_decide("", -ELOOP, host, sizeof(host)), AC_ROUTE_QEMU_NO_CANON);
	cr_assert_eq(ac_route_decide("x", 1, host, sizeof(host)), AC_ROUTE_QEMU_NO_CANON);
}

Test(route, view_path_over_path_max_goes_to_qemu)
{
	static char canon[AC_PATH_MAX];
	char host[AC_PATH_MAX];

	memset(canon, 'a', sizeof(canon) - 1);
	canon[0] = '/';
	canon[AC_PATH_MAX - 4] = '\0'; /* fits alone, not with "/lib-x86" */
	cr_assert_eq(ac_route_decide(canon, (long)strlen(canon), host, sizeof(host)),
		     AC_ROUTE_QEMU_TOO_LONG);
}

Test(route, names)
{
	cr_assert_str_eq(ac_route_name(AC_ROUTE_HOST), "host");
	cr_assert_not_null(strstr(ac_route_name(AC_ROUTE_QEMU_IN_VIEW), "qemu"));
}

Test(route, the_views_own_files_are_never_equivalents)
{
	char host[AC_PATH_MAX];

	/* a root file /.accel/qemu-arm-static must not run the view's qemu */
	cr_assert_eq(ac_route_decide("/.accel/qemu-arm-static", 23, host, sizeof(host)),
		     AC_ROUTE_QEMU_RESERVED);
	cr_assert_eq(ac_route_decide("/.accel", 7, host, sizeof(host)), AC_ROUTE_QEMU_RESERVED);
	/* The view's self links (/lib-x86/.eXXX) are never a root path's host. */
	cr_assert_eq(ac_route_decide("/.e000", 6, host, sizeof(host)), AC_ROUTE_QEMU_RESERVED);
	cr_assert_eq(ac_route_decide("/.e0001", 7, host, sizeof(host)), AC_ROUTE_HOST);
	cr_assert_eq(ac_route_decide("/.e00", 5, host, sizeof(host)), AC_ROUTE_HOST);
	cr_assert_eq(ac_route_decide("/.accelerate/x", 14, host, sizeof(host)), AC_ROUTE_HOST);
}

Test(route, perl_with_a_build_tree_module_path_is_emulated)
{
	char *plain[] = {"perl", "-w", "t/basic.t", NULL};
	char *inc[] = {"perl", "-Iblib/arch", "-Iblib/lib", "t/basic.t", NULL};
	char *inc_sep[] = {"perl", "-I", "/build/pkg/blib/arch", "t/basic.t", NULL};
	char *inc_sys[] = {"perl", "-I/usr/share/perl5", "-e", "1", NULL};
	char *mblib[] = {"perl", "-Mblib", "t/basic.t", NULL};
	char *after_e[] = {"perl", "-e", "print 1", "-Iblib", NULL};
	char *after_script[] = {"perl", "script.pl", "-Iblib", NULL};
	char *none[] = {NULL};
	char *env_plain[] = {"PATH=/usr/bin:/bin", "HOME=/build", NULL};
	char *env_blib[] = {"PERL5LIB=/build/pkg/blib/lib:/build/pkg/blib/arch", NULL};
	char *env_sys[] = {"PERL5LIB=/usr/share/perl5::/etc/perl", NULL};
	char *env_dotdot[] = {"PERL5LIB=/usr/lib/../../build/blib", NULL};
	char *env_old[] = {"PERLLIB=lib", NULL};

	cr_assert_eq(ac_route_needs_emulation("/usr/bin/perl", plain, env_plain), 0);
	cr_assert_eq(ac_route_needs_emulation("/usr/bin/perl", inc, env_plain), 1);
	cr_assert_eq(ac_route_needs_emulation("/usr/bin/perl5.36.0", inc_sep, env_plain), 1);
	cr_assert_eq(ac_route_needs_emulation("/usr/bin/perl", inc_sys, env_plain), 0);
	cr_assert_eq(ac_route_needs_emulation("/usr/bin/perl", mblib, env_plain), 1);
	cr_assert_eq(ac_route_needs_emulation("/usr/bin/perl", after_e, env_plain), 0,
		     "arguments of the program are not perl's switches");
	cr_assert_eq(ac_route_needs_emulation("/usr/bin/perl", after_script, env_plain), 0);
	cr_assert_eq(ac_route_needs_emulation("/usr/bin/perl", none, NULL), 0);
	cr_assert_eq(ac_route_needs_emulation("/usr/bin/perl", plain, env_blib), 1);
	cr_assert_eq(ac_route_needs_emulation("/usr/bin/perl", plain, env_sys), 0);
	cr_assert_eq(ac_route_needs_emulation("/usr/bin/perl", plain, env_dotdot), 1);
	cr_assert_eq(ac_route_needs_emulation("/usr/bin/perl", plain, env_old), 1);
	/* Only perl: make with the same environment runs natively. */
	cr_assert_eq(ac_route_needs_emulation("/usr/bin/make", inc, env_blib), 0);
	/* A maintainer script's perl: the packages being configured are not
	 * served yet. */
	char *env_maint[] = {"PATH=/usr/bin", "DPKG_MAINTSCRIPT_NAME=postinst", NULL};

	cr_assert_eq(ac_route_needs_emulation("/usr/bin/perl", plain, env_maint),
		     AC_EMULATE_MAINTSCRIPT);
	cr_assert_eq(ac_route_needs_emulation("/usr/bin/perl", inc, env_plain), AC_EMULATE_BUILD_CODE);
	cr_assert_eq(ac_route_needs_emulation("/usr/bin/sed", plain, env_maint), AC_EMULATE_NO);
}

/* The cross-built linker searches shared libraries' DT_NEEDED without
 * LD_LIBRARY_PATH and LD_RUN_PATH: ld is emulated when they name a
 * directory outside the system's library trees, under any of its names. */
Test(route, linker_told_library_paths_by_the_environment_is_emulated)
{
	char *args[] = {"ld", "-o", "a.out", "main.o", NULL};
	char *env_plain[] = {"PATH=/usr/bin", NULL};
	char *env_build[] = {"LD_LIBRARY_PATH=/build/pkg/src/.libs", NULL};
	char *env_run[] = {"LD_RUN_PATH=/opt/lib", NULL};
	char *env_fakeroot[] = {
		"LD_LIBRARY_PATH=/usr/lib/arm-linux-gnueabi/libfakeroot:/usr/lib64/libfakeroot", NULL};

	cr_assert_eq(ac_route_needs_emulation("/usr/bin/arm-linux-gnueabi-ld.bfd", args, env_plain),
		     AC_EMULATE_NO);
	cr_assert_eq(ac_route_needs_emulation("/usr/bin/arm-linux-gnueabi-ld.bfd", args, env_build),
		     AC_EMULATE_LINKER_PATH);
	cr_assert_eq(ac_route_needs_emulation("/usr/bin/ld", args, env_run), AC_EMULATE_LINKER_PATH);
	cr_assert_eq(ac_route_needs_emulation("/usr/bin/arm-linux-gnueabi-ld", args, env_build),
		     AC_EMULATE_LINKER_PATH);
	cr_assert_eq(ac_route_needs_emulation("/usr/bin/arm-linux-gnueabi-ld.bfd", args,
					      env_fakeroot),
		     AC_EMULATE_NO, "fakeroot's own library directories are system ones");
	/* A C++ link, whatever the environment: BFD's hash of long names. */
	{
		char *cxx[] = {"ld", "-shared", "-o", "libx.so", "x.o", "-lstdc++", "-lm", NULL};
		char *cxx_lib[] = {"ld", "-o", "a.out", "main.o", "-lstdc++.so", NULL};

		cr_assert_eq(ac_route_needs_emulation("/usr/bin/arm-linux-gnueabi-ld.bfd", cxx,
						      env_plain),
			     AC_EMULATE_LINKER_CXX);
		cr_assert_eq(ac_route_needs_emulation("/usr/bin/arm-linux-gnueabi-ld", cxx, env_build),
			     AC_EMULATE_LINKER_CXX);
		cr_assert_eq(ac_route_needs_emulation("/usr/bin/arm-linux-gnueabi-ld", cxx_lib,
						      env_plain),
			     AC_EMULATE_NO, "only the library itself");
		cr_assert_eq(ac_route_needs_emulation("/usr/bin/make", cxx, env_plain), AC_EMULATE_NO);
	}
	/* Only the linker: a program that merely ends in "ld" is not one. */
	cr_assert_eq(ac_route_needs_emulation("/usr/bin/build", args, env_build), AC_EMULATE_NO);
	cr_assert_eq(ac_route_needs_emulation("/usr/bin/make", args, env_build), AC_EMULATE_NO);
}

/* doxygen in a fresh directory holding one configuration file. */
static char doxdir[] = "/tmp/accel-test-doxygen-XXXXXX";

static void doxy_setup(void)
{
	cr_assert_not_null(mkdtemp(doxdir));
	cr_assert_eq(chdir(doxdir), 0);
}

static void doxy_teardown(void)
{
	unlink("Doxyfile");
	unlink("doxyfile");
	unlink("docs.cfg");
	cr_assert_eq(chdir("/"), 0);
	cr_assert_eq(rmdir(doxdir), 0);
}

static void doxy_write(const char *name, const char *text)
{
	FILE *f = fopen(name, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

static enum ac_emulate doxy(const char *text, char **args)
{
	char *plain[] = {"doxygen", NULL}, *env[] = {NULL};

	unlink("Doxyfile");
	if (text)
		doxy_write("Doxyfile", text);
	return ac_route_needs_emulation("/usr/bin/doxygen", args ? args : plain, env);
}

Test(route, doxygen_parsing_with_libclang_is_emulated, .init = doxy_setup,
     .fini = doxy_teardown)
{
	char *named[] = {"doxygen", "docs.cfg", NULL}, *debug[] = {"doxygen", "-d", "Time", "-b", NULL};
	char *stdin_cfg[] = {"doxygen", "-", NULL}, *gen[] = {"doxygen", "-s", "-g", "x", NULL};
	char *odd[] = {"doxygen", "-q", NULL};
	char *two[] = {"doxygen", "a", "b", NULL}, *env[] = {NULL};

	cr_assert_eq(doxy("PROJECT_NAME = p\nINPUT = src\n", NULL), AC_EMULATE_NO,
		     "absent: off by default");
	cr_assert_eq(doxy("# CLANG_ASSISTED_PARSING = YES\nCLANG_ASSISTED_PARSING = NO\n", NULL),
		     AC_EMULATE_NO);
	cr_assert_eq(doxy("CLANG_ASSISTED_PARSING\t=\t\"no\"\r\n", NULL), AC_EMULATE_NO);
	cr_assert_eq(doxy("CLANG_ASSISTED_PARSING = YES\n", NULL), AC_EMULATE_HOST_TARGET);
	cr_assert_eq(doxy("  clang_assisted_parsing=yes", NULL), AC_EMULATE_HOST_TARGET,
		     "any case, no newline at the end");
	cr_assert_eq(doxy("CLANG_ASSISTED_PARSING = YES\nCLANG_ASSISTED_PARSING = NO\n", NULL),
		     AC_EMULATE_NO, "the last setting wins");
	cr_assert_eq(doxy("CLANG_ASSISTED_PARSING = NO\nCLANG_ASSISTED_PARSING = 1\n", NULL),
		     AC_EMULATE_HOST_TARGET);
	cr_assert_eq(doxy("CLANG_ASSISTED_PARSING = $(USE_CLANG)\n", NULL), AC_EMULATE_HOST_TARGET,
		     "a variable: cannot tell");
	cr_assert_eq(doxy("CLANG_ASSISTED_PARSING += NO\n", NULL), AC_EMULATE_HOST_TARGET);
	cr_assert_eq(doxy("CLANG_ASSISTED_PARSING = NO \\\n  YES\n", NULL), AC_EMULATE_HOST_TARGET);
	cr_assert_eq(doxy("INPUT = a \\\n CLANG_ASSISTED_PARSING = YES\n", NULL), AC_EMULATE_NO,
		     "a continued value is no setting");
	cr_assert_eq(doxy("@INCLUDE = common.cfg\n", NULL), AC_EMULATE_HOST_TARGET,
		     "another file decides");
	cr_assert_eq(doxy(NULL, NULL), AC_EMULATE_HOST_TARGET, "no configuration");
	cr_assert_eq(doxy(NULL, stdin_cfg), AC_EMULATE_HOST_TARGET);
	cr_assert_eq(doxy("CLANG_ASSISTED_PARSING = YES\n", gen), AC_EMULATE_NO,
		     "writing a template parses nothing");
	cr_assert_eq(doxy("INPUT = x\n", odd), AC_EMULATE_HOST_TARGET);
	cr_assert_eq(doxy("INPUT = x\n", two), AC_EMULATE_HOST_TARGET);
	cr_assert_eq(doxy("INPUT = x\n", debug), AC_EMULATE_NO);
	/* The version and the help need no configuration (FindDoxygen asks). */
	cr_assert_eq(doxy(NULL, (char *[]){"doxygen", "-w", "html", "h", "f", "s", NULL}),
		     AC_EMULATE_NO);
	cr_assert_eq(doxy(NULL, (char *[]){"doxygen", "--version", NULL}), AC_EMULATE_NO);
	cr_assert_eq(doxy(NULL, (char *[]){"doxygen", "-v", NULL}), AC_EMULATE_NO);
	/* A named file, and the lowercase default name. */
	doxy_write("docs.cfg", "CLANG_ASSISTED_PARSING = YES\n");
	cr_assert_eq(doxy(NULL, named), AC_EMULATE_HOST_TARGET);
	doxy_write("docs.cfg", "OUTPUT_DIRECTORY = out\n");
	cr_assert_eq(doxy(NULL, named), AC_EMULATE_NO);
	doxy_write("doxyfile", "CLANG_ASSISTED_PARSING = NO\n");
	cr_assert_eq(ac_route_needs_emulation("/usr/bin/doxygen", (char *[]){"doxygen", NULL}, env),
		     AC_EMULATE_NO);
	/* A line longer than the scan keeps: a setting in it is not trusted. */
	{
		char big[3000];

		memset(big, 'x', sizeof(big));
		memcpy(big, "CLANG_ASSISTED_PARSING = NO #", 29);
		big[sizeof(big) - 2] = '\n';
		big[sizeof(big) - 1] = '\0';
		cr_assert_eq(doxy(big, NULL), AC_EMULATE_HOST_TARGET);
	}
	/* Only doxygen reads a configuration. */
	cr_assert_eq(ac_route_needs_emulation("/usr/bin/doxytag", stdin_cfg, env), AC_EMULATE_NO);
}
