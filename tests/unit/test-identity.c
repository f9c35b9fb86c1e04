// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of lib/exec/identity.c: the uname filter and its supervisor,
 * installed for real in the test's own process (Criterion runs each test in
 * a process of its own). */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accel/exec/identity.h"

static void fresh(void)
{
	if (ac_identity_active())
		cr_skip_test("already under accel's filter (run inside an accelerated root)");
}

Test(identity, filter_shape)
{
	struct sock_filter f[32];
	int n = ac_identity_filter(f, 32);

	cr_assert_eq(n, 15);
	cr_assert_eq(f[n - 1].k, SECCOMP_RET_USER_NOTIF, "uname goes to the supervisor");
	cr_assert_eq(f[8].k, SECCOMP_RET_ALLOW, "everything else is allowed");
	cr_assert_eq(ac_identity_filter(f, 14), -E2BIG);
}

Test(identity, bad_machine_refused)
{
	char longer[AC_IDENTITY_MACHINE_MAX + 1];

	memset(longer, 'a', sizeof(longer));
	cr_assert_eq(ac_identity_install("", 0), -EINVAL);
	cr_assert_eq(ac_identity_install(longer, sizeof(longer)), -EINVAL);
	cr_assert_eq(ac_identity_active(), 0, "nothing installed");
}

Test(identity, uname_answers_the_machine)
{
	struct utsname host, u;
	char line[128] = "";
	int pfd[2], st;
	ssize_t got;
	pid_t c;

	fresh();
	cr_assert_eq(uname(&host), 0);
	cr_assert_eq(ac_identity_active(), 0);
	cr_assert_eq(ac_identity_install("armv7l", 6), 0);
	cr_assert_eq(ac_identity_active(), 1);
	cr_assert_eq(uname(&u), 0);
	cr_assert_str_eq(u.machine, "armv7l");
	cr_assert_str_eq(u.sysname, host.sysname);
	cr_assert_str_eq(u.release, host.release);
	cr_assert_str_eq(u.version, host.version);
	cr_assert_str_eq(u.nodename, host.nodename);
	/* The raw system call, not only libc's wrapper. */
	memset(&u, 0, sizeof(u));
	cr_assert_eq(syscall(SYS_uname, &u), 0);
	cr_assert_str_eq(u.machine, "armv7l");
	/* A bad buffer fails as it would without the filter. */
	cr_assert_eq(syscall(SYS_uname, (void *)8), -1);
	cr_assert_eq(errno, EFAULT);
	/* Children and what they exec: a shell, then uname(1). */
	cr_assert_eq(pipe(pfd), 0);
	c = fork();
	cr_assert_geq(c, 0);
	if (c == 0) {
		if (dup2(pfd[1], 1) < 0)
			_exit(126);
		execl("/bin/sh", "sh", "-c", "uname -m", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	got = read(pfd[0], line, sizeof(line) - 1);
	close(pfd[0]);
	cr_assert_eq(waitpid(c, &st, 0), c);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	cr_assert_gt(got, 0);
	cr_assert_str_eq(line, "armv7l\n");
	/* Installing twice is not needed: the probe says so. */
	cr_assert_eq(ac_identity_active(), 1);
}

Test(identity, supervisor_leaves_with_the_tree)
{
	pid_t c, s;
	int st;

	fresh();
	/* Orphans come to us, so the supervisor's exit can be waited for. */
	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	c = fork();
	cr_assert_geq(c, 0);
	if (c == 0) {
		struct utsname u;

		if (ac_identity_install("armv5tel", 8) || uname(&u) || strcmp(u.machine, "armv5tel"))
			_exit(1);
		_exit(0);
	}
	cr_assert_eq(waitpid(c, &st, 0), c);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child saw armv5tel");
	alarm(10); /* a supervisor that stays would hang here: fail instead */
	s = waitpid(-1, &st, 0);
	alarm(0);
	cr_assert_gt(s, 0, "the supervisor was an orphan of the tree");
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the supervisor exited by itself");
	cr_assert_eq(waitpid(-1, &st, WNOHANG), -1, "no other process was left");
}
