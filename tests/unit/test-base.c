// SPDX-License-Identifier: GPL-2.0-or-later
/* The base library: the error shape, the one spawner, FNV-1a (lib/base). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accel/base/err.h"
#include "accel/base/spawn.h"
#include "accel/base/util.h"

Test(err, fail_fills_and_returns)
{
	struct ac_err e = {0};

	cr_assert_eq(ac_fail(&e, -ENOENT, "no %s here", "file"), -ENOENT);
	cr_assert_eq(e.code, -ENOENT);
	cr_assert_str_eq(e.msg, "no file here");
	cr_assert_eq(ac_fail_errno(&e, -EACCES, "open %s", "x"), -EACCES);
	cr_assert_str_eq(e.msg, "open x: Permission denied");
	cr_assert_eq(ac_fail(NULL, -EIO, "nobody listens"), -EIO);
	ac_err_clear(&e);
	cr_assert_eq(e.code, 0);
	cr_assert_str_eq(e.msg, "");
}

Test(err, long_message_is_cut_not_overrun)
{
	struct ac_err e;
	char big[3 * AC_ERR_MAX];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ac_fail(&e, -E2BIG, "%s", big);
	cr_assert_eq(strlen(e.msg), AC_ERR_MAX - 1);
}

Test(spawn, exit_status_and_capture)
{
	char *argv[] = {"sh", "-c", "printf 'a\\nb'; exit 3", NULL};
	char *out = NULL;

	cr_assert_eq(ac_spawn_run(&(struct ac_spawn){.argv = argv, .out = AC_SPAWN_CAPTURE,
						     .max_out = 100},
				  &out),
		     3);
	cr_assert_str_eq(out, "a\nb");
	free(out);
}

Test(spawn, capture_bound_refused)
{
	char *argv[] = {"sh", "-c", "head -c 200000 /dev/zero", NULL};
	char *out = NULL;

	cr_assert_eq(ac_spawn_run(&(struct ac_spawn){.argv = argv, .out = AC_SPAWN_CAPTURE,
						     .max_out = 1000},
				  &out),
		     -E2BIG);
	cr_assert_null(out);
}

Test(spawn, signal_and_missing_program)
{
	char *kill_self[] = {"sh", "-c", "kill -9 $$", NULL};
	char *none[] = {"/nonexistent/accel-test-program", NULL};

	cr_assert_eq(ac_spawn_run(&(struct ac_spawn){.argv = kill_self}, NULL), 128 + 9);
	cr_assert_eq(ac_spawn_run(&(struct ac_spawn){.argv = none}, NULL), -ENOENT);
}

static int go_to_tmp(void *ctx)
{
	return chdir((const char *)ctx) < 0 ? -errno : 0;
}

static int refuse(void *ctx)
{
	(void)ctx;
	return -EPERM;
}

Test(spawn, setup_runs_in_the_child_and_reports_failure)
{
	char *argv[] = {"pwd", NULL}, *none[] = {"/nonexistent/accel-test-program", NULL};
	char cwd[4096], *out = NULL;

	cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
	cr_assert_eq(ac_spawn_run(&(struct ac_spawn){.argv = argv, .out = AC_SPAWN_CAPTURE,
						     .max_out = 4096, .setup = go_to_tmp,
						     .ctx = "/tmp"},
				  &out),
		     0);
	cr_assert_str_eq(out, "/tmp\n");
	free(out);
	/* the parent did not move */
	cr_assert_str_eq(getcwd((char[4096]){0}, 4096), cwd);
	cr_assert_eq(ac_spawn_run(&(struct ac_spawn){.argv = argv, .setup = refuse}, NULL), -EPERM);
	cr_assert_eq(ac_spawn_run(&(struct ac_spawn){.argv = none, .setup = go_to_tmp, .ctx = "/"},
				  NULL),
		     -ENOENT);
}

/* State directories are named by this hash: it must never change. */
Test(fnv, known_values)
{
	cr_assert_eq(ac_fnv1a64(""), 0xcbf29ce484222325ULL);
	cr_assert_eq(ac_fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
	cr_assert_eq(ac_fnv1a64("/srv/armel"),
		     ac_fnv1a64_add(ac_fnv1a64_add(AC_FNV1A64_INIT, "/srv", 4), "/armel", 6));
}
