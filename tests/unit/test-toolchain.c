// SPDX-License-Identifier: GPL-2.0-or-later
/* The compiler's place in the store: toolchain directories, never Debian's
 * amd64 gcc-N, and the refusal of another version (lib/store.c). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accel/store/store.h"
#include "accel/base/util.h"

static char dir[] = "/tmp/accel-test-toolchain-XXXXXX";
static struct ac_store store;
static struct ac_pkg gcc = {.name = "gcc-12", .arch = "armel", .version = "12.2.0-14+deb12u1",
			    .toolchain = 1, .wanted = 1};
static struct ac_rootdb db = {.root = "/srv/armel", .pkgs = &gcc, .npkgs = 1};

static void setup(void)
{
	struct ac_err err = {0};

	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(ac_store_open(&store, dir, &err), 0, "%s", err.msg);
	gcc.store_version = NULL;
}

static void teardown(void)
{
	ac_store_close(&store);
	ac_rm_rf(AT_FDCWD, dir);
	free(gcc.store_version);
	gcc.store_version = NULL;
}

/* A built toolchain: STORE/toolchains/gcc-12_VERSION/.complete */
static void built(const char *version)
{
	char p[4200];
	int fd;

	snprintf(p, sizeof(p), "toolchains/gcc-12_%s", version);
	cr_assert_eq(ac_mkdir_p(store.fd, p, 0755), 0);
	strcat(p, "/.complete");
	fd = openat(store.fd, p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
}

TestSuite(toolchain, .init = setup, .fini = teardown);

Test(toolchain, compiler_packages_live_in_toolchains)
{
	struct ac_pkg cpp = {.name = "cpp-12", .version = "1:12.2.0-14", .toolchain = 1};
	struct ac_pkg make = {.name = "make", .version = "4.3-4.1"};
	char out[256];

	cr_assert_eq(ac_store_pkgdir(&gcc, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "toolchains/gcc-12_12.2.0-14+deb12u1");
	/* cpp-12 and g++-12 share gcc-12's build; epochs as in file names */
	cr_assert_eq(ac_store_pkgdir(&cpp, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "toolchains/gcc-12_1%3a12.2.0-14");
	cr_assert_eq(ac_store_pkgdir(&make, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "pkgs/make_4.3-4.1_amd64");
}

Test(toolchain, missing_is_refused_with_the_command_that_builds_it)
{
	struct ac_err err = {0};

	cr_assert_eq(ac_store_fetch(&store, &db, &err), -ENOPKG);
	cr_assert(strstr(err.msg, "accel-build-toolchain /srv/armel"), "%s", err.msg);
	cr_assert(strstr(err.msg, "gcc-12 12.2.0-14+deb12u1"), "%s", err.msg);
	cr_assert_null(gcc.store_version);
}

Test(toolchain, unfinished_build_does_not_count)
{
	struct ac_err err = {0};

	cr_assert_eq(ac_mkdir_p(store.fd, "toolchains/gcc-12_12.2.0-14+deb12u1", 0755), 0);
	cr_assert_eq(ac_store_has_toolchain(&store, &gcc), 0);
	cr_assert_eq(ac_store_fetch(&store, &db, &err), -ENOPKG);
}

Test(toolchain, exact_version_is_taken)
{
	struct ac_err err = {0};

	built("12.2.0-14+deb12u1");
	built("12.2.0-14");
	cr_assert_eq(ac_store_has_toolchain(&store, &gcc), 1);
	cr_assert_eq(ac_store_fetch(&store, &db, &err), 0, "%s", err.msg);
	cr_assert_null(gcc.store_version);
}

Test(toolchain, other_version_refused_by_default_named_in_the_message)
{
	struct ac_err err = {0};

	built("12.2.0-14");
	cr_assert_eq(ac_store_fetch(&store, &db, &err), -ENOPKG);
	cr_assert(strstr(err.msg, "the root has 12.2.0-14+deb12u1"), "%s", err.msg);
	cr_assert(strstr(err.msg, "host compiler is gcc-12 12.2.0-14,"), "%s", err.msg);
	cr_assert(strstr(err.msg, "--allow-toolchain-skew"), "%s", err.msg);
	cr_assert_null(gcc.store_version);
}

Test(toolchain, other_version_taken_with_explicit_opt_in)
{
	struct ac_err err = {0};
	char out[256];

	built("12.2.0-14");
	store.allow_toolchain_skew = 1;
	cr_assert_eq(ac_store_fetch(&store, &db, &err), 0, "%s", err.msg);
	cr_assert_str_eq(gcc.store_version, "12.2.0-14");
	cr_assert_eq(ac_store_pkgdir(&gcc, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "toolchains/gcc-12_12.2.0-14");
}

Test(toolchain, opt_in_takes_the_highest_other_version)
{
	struct ac_err err = {0};

	built("12.2.0-9");
	built("12.2.0-14");
	built("12.2.0-11");
	store.allow_toolchain_skew = 1;
	cr_assert_eq(ac_store_fetch(&store, &db, &err), 0, "%s", err.msg);
	cr_assert_str_eq(gcc.store_version, "12.2.0-14");
}

Test(toolchain, package_skew_does_not_allow_toolchain_skew)
{
	struct ac_err err = {0};

	built("12.2.0-14");
	store.allow_skew = 1;
	cr_assert_eq(ac_store_fetch(&store, &db, &err), -ENOPKG, "%s", err.msg);
}
