// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of lib/account.c: process-tree membership, classification by
 * executable and per-program totals of taskstats records. */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "accel/account/account.h"

#define VIEW_DEV 0x2bULL
#define QEMU_INO 77ULL
#define HOST_DEV 0x801ULL

static struct ac_task task(uint32_t pid, uint32_t tgid, uint32_t ppid, uint64_t btime,
			   uint64_t cpu, uint64_t dev, uint64_t ino, const char *comm)
{
	struct ac_task t = {.pid = pid, .tgid = tgid, .ppid = ppid, .btime = btime,
			    .utime = cpu, .stime = 0, .exe_dev = dev, .exe_ino = ino};

	strncpy(t.comm, comm, sizeof(t.comm) - 1);
	return t;
}

static void add(struct ac_account *a, struct ac_task t)
{
	cr_assert_eq(ac_account_add(a, &t), 0);
}

static const struct ac_prog_total *find(const struct ac_account *a, int kind, const char *comm)
{
	for (size_t i = 0; i < a->nprog; i++)
		if (a->prog[i].kind == kind && !strcmp(a->prog[i].comm, comm))
			return &a->prog[i];
	return NULL;
}

static void rules(struct ac_account *a)
{
	ac_account_rule(a, VIEW_DEV, 0, AC_RUN_NATIVE);
	ac_account_rule(a, VIEW_DEV, QEMU_INO, AC_RUN_EMULATED); /* the view's qemu */
}

Test(account, tree_classification_and_totals)
{
	struct ac_account a = {0};

	rules(&a);
	/* top = 100: make (native, 10) -> sh (native) -> sed x2 (emulated,
	 * with a second qemu thread each); a foreign process 900 under 1. */
	add(&a, task(103, 103, 102, 10, 500, VIEW_DEV, QEMU_INO, "sed"));
	add(&a, task(105, 104, 102, 10, 50, VIEW_DEV, QEMU_INO, "sed")); /* thread */
	add(&a, task(104, 104, 102, 10, 450, VIEW_DEV, QEMU_INO, "sed"));
	add(&a, task(900, 900, 1, 10, 9999, HOST_DEV, 5, "cron"));
	add(&a, task(102, 102, 101, 10, 30, VIEW_DEV, 12, "sh"));
	add(&a, task(101, 101, 100, 9, 70, VIEW_DEV, 11, "make"));
	cr_assert_eq(ac_account_finish(&a, 100), 0);

	cr_assert_eq(a.members, 5);
	cr_assert_eq(a.cpu_us[AC_RUN_EMULATED], 1000);
	cr_assert_eq(a.cpu_us[AC_RUN_NATIVE], 100);
	cr_assert_eq(a.cpu_us[AC_RUN_OTHER], 0);
	cr_assert_eq(a.runs[AC_RUN_EMULATED], 2, "threads are not runs");
	cr_assert_eq(a.runs[AC_RUN_NATIVE], 2);
	const struct ac_prog_total *sed = find(&a, AC_RUN_EMULATED, "sed");
	cr_assert_not_null(sed);
	cr_assert_eq(sed->runs, 2);
	cr_assert_eq(sed->cpu_us, 1000);
	cr_assert_str_eq(a.prog[0].comm, "sed", "largest first");
	cr_assert_null(find(&a, AC_RUN_OTHER, "cron"), "not in the tree");
	ac_account_free(&a);
}

Test(account, emulated_for_the_build_is_a_kind_of_its_own)
{
	struct ac_account a = {0};

	/* The view's two qemu files: the plain one and the one the dispatcher
	 * runs for a root program that loads code the build made. */
	rules(&a);
	ac_account_rule(&a, VIEW_DEV, QEMU_INO + 1, AC_RUN_EMULATED_MADE);
	add(&a, task(102, 102, 101, 10, 700, VIEW_DEV, QEMU_INO + 1, "perl"));
	add(&a, task(103, 103, 101, 10, 200, VIEW_DEV, QEMU_INO, "perl"));
	add(&a, task(101, 101, 100, 10, 100, VIEW_DEV, 11, "make"));
	cr_assert_eq(ac_account_finish(&a, 100), 0);

	cr_assert_eq(a.cpu_us[AC_RUN_EMULATED_MADE], 700);
	cr_assert_eq(a.cpu_us[AC_RUN_EMULATED], 200);
	cr_assert_eq(find(&a, AC_RUN_EMULATED_MADE, "perl")->cpu_us, 700,
		     "the same name, totalled apart by kind");
	cr_assert_eq(find(&a, AC_RUN_EMULATED, "perl")->cpu_us, 200);
	cr_assert_str_eq(ac_run_kind_name[AC_RUN_EMULATED_MADE], "emulated-for-build");
	ac_account_free(&a);
}

Test(account, reused_pid_does_not_adopt_foreign_children)
{
	struct ac_account a = {0};

	rules(&a);
	/* 200 is a foreign process whose child 201 exits; later our own child
	 * gets pid 200 again (started after 201). 201 must stay foreign. */
	add(&a, task(201, 201, 200, 50, 7, HOST_DEV, 1, "foreign"));
	add(&a, task(200, 200, 100, 60, 3, VIEW_DEV, 9, "ours"));
	cr_assert_eq(ac_account_finish(&a, 100), 0);
	cr_assert_eq(a.members, 1);
	cr_assert_not_null(find(&a, AC_RUN_NATIVE, "ours"));
	cr_assert_null(find(&a, AC_RUN_OTHER, "foreign"));
	ac_account_free(&a);
}

Test(account, start_times_rounded_across_a_second)
{
	struct ac_account a = {0};

	rules(&a);
	/* The kernel's whole-second start time of the parent (computed at its
	 * exit) can be one more than its child's: still its child. */
	add(&a, task(301, 301, 300, 41, 5, VIEW_DEV, 9, "true"));
	add(&a, task(300, 300, 100, 42, 5, VIEW_DEV, 8, "sh"));
	cr_assert_eq(ac_account_finish(&a, 100), 0);
	cr_assert_eq(a.members, 2);
	cr_assert_not_null(find(&a, AC_RUN_NATIVE, "true"));
	ac_account_free(&a);
}

Test(account, orphans_of_the_subreaper_are_members)
{
	struct ac_account a = {0};

	rules(&a);
	/* faked was started by fakeroot (gone), so it was reparented to us. */
	add(&a, task(301, 301, 300, 5, 10, VIEW_DEV, 40, "fakeroot"));
	add(&a, task(300, 300, 100, 5, 10, VIEW_DEV, 41, "dpkg-buildpackag"));
	add(&a, task(302, 302, 100, 5, 25, VIEW_DEV, QEMU_INO, "faked-sysv"));
	cr_assert_eq(ac_account_finish(&a, 100), 0);
	cr_assert_eq(a.members, 3);
	cr_assert_eq(a.cpu_us[AC_RUN_EMULATED], 25);
	ac_account_free(&a);
}

Test(account, exact_rule_beats_device_rule_and_unknown_is_other)
{
	struct ac_account a = {0};

	/* the device rule comes after the exact one: order must not matter */
	ac_account_rule(&a, VIEW_DEV, QEMU_INO, AC_RUN_EMULATED);
	ac_account_rule(&a, VIEW_DEV, 0, AC_RUN_NATIVE);
	add(&a, task(401, 401, 100, 1, 1, VIEW_DEV, QEMU_INO, "a"));
	add(&a, task(402, 402, 100, 1, 2, VIEW_DEV, 3, "b"));
	add(&a, task(403, 403, 100, 1, 4, HOST_DEV, 3, "c"));
	add(&a, task(404, 404, 100, 1, 8, 0, 0, "d")); /* kernel without exe fields */
	cr_assert_eq(ac_account_finish(&a, 100), 0);
	cr_assert_eq(a.cpu_us[AC_RUN_EMULATED], 1);
	cr_assert_eq(a.cpu_us[AC_RUN_NATIVE], 2);
	cr_assert_eq(a.cpu_us[AC_RUN_OTHER], 12);
	ac_account_free(&a);
}

Test(account, empty_and_deep_chains)
{
	struct ac_account a = {0};

	rules(&a);

	cr_assert_eq(ac_account_finish(&a, 1), 0);
	cr_assert_eq(a.members, 0);
	/* a chain 5000 deep (children exit first) */
	for (uint32_t i = 5000; i >= 1; i--)
		add(&a, task(1000 + i, 1000 + i, i == 1 ? 100 : 1000 + i - 1, 1, 1, VIEW_DEV, 5,
			     "sh"));
	cr_assert_eq(ac_account_finish(&a, 100), 0);
	cr_assert_eq(a.members, 5000);
	cr_assert_eq(a.runs[AC_RUN_NATIVE], 5000);
	ac_account_free(&a);
}
