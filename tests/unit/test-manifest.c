// SPDX-License-Identifier: GPL-2.0-or-later
/* The manifest's writer and reader, and the control protocol's parsers
 * (lib/view/manifest.c, lib/view/control.c). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel/exec/layout.h"
#include "accel/view/control.h"
#include "accel/view/manifest.h"

static int parse(const char *text, struct ac_manifest *m, struct ac_err *e)
{
	return ac_manifest_parse(text, strlen(text), m, e);
}

Test(manifest, written_is_read_back)
{
	struct ac_plan_entry e[] = {
		{"usr/bin/make", "pkgs/make_4.3_amd64/usr/bin/make", 0},
		{AC_VREL_LDSO, "pkgs/libc6_2.36_amd64/lib/ld.so", 0},
		{AC_VREL_LIB "/libc.so.6", "pkgs/libc6_2.36_amd64/lib/libc.so.6", 0},
		{AC_VREL_USRLIB "/perl-base/Config.pm", "/usr/lib/arm-linux-gnueabi/perl-base/Config.pm",
		 1}};
	char *programs[] = {"/usr/bin/make"};
	struct ac_plan plan = {.e = e, .n = 4, .programs = programs, .nprograms = 1};
	char *text = ac_manifest_format(&plan, "/var/lib/accel/store", "/state/qemu-arm-static",
					 "/state/machine");
	struct ac_manifest m;
	struct ac_err err;

	cr_assert_not_null(text);
	cr_assert_eq(parse(text, &m, &err), 0, "%s", err.msg);
	cr_assert_str_eq(m.store, "/var/lib/accel/store");
	cr_assert_str_eq(m.qemu, "/state/qemu-arm-static");
	cr_assert_str_eq(m.machine, "/state/machine");
	cr_assert_eq(m.nprograms, 1);
	cr_assert_str_eq(m.programs[0], "/usr/bin/make");
	cr_assert_eq(m.nfiles, 4);
	/* sorted by view path */
	cr_assert_str_eq(m.files[0].view, AC_VREL_LDSO);
	cr_assert_str_eq(m.files[3].view, "usr/bin/make");
	cr_assert_eq(m.files[3].link, 0);
	cr_assert_str_eq(m.files[2].view, AC_VREL_USRLIB "/perl-base/Config.pm");
	cr_assert_eq(m.files[2].link, 1, "a link stays a link");
	cr_assert_str_eq(m.files[2].source, "/usr/lib/arm-linux-gnueabi/perl-base/Config.pm");
	cr_assert(ac_manifest_has(&m, "usr/bin/make"));
	cr_assert(!ac_manifest_has(&m, "usr/bin/sed"));
	ac_manifest_free(&m);
	free(text);
}

Test(manifest, refusals)
{
	static const char *const bad[] = {
		"",
		"accel-manifest 2\nstore\t/s\n",
		"accel-manifest 1\n",                              /* no store */
		"accel-manifest 1\nstore\t/s\nfile\ta\n",          /* two fields */
		"accel-manifest 1\nstore\t/s\nfile\t../a\tb\n",    /* escaping view */
		"accel-manifest 1\nstore\t/s\nfile\ta\tpkgs/../../etc/passwd\n",
		"accel-manifest 1\nstore\t/s\nfile\t/a\tb\n",      /* absolute view */
		"accel-manifest 1\nstore\t/s\nfile\t.accel/qemu-arm-static\tb\n",
		"accel-manifest 1\nstore\t/s\nfile\t.accel/machine\tb\n", /* its own line */
		"accel-manifest 1\nstore\t/s\nmachine\trelative\n",
		"accel-manifest 1\nstore\t/s\nlink\ta\trelative\n",   /* a link's target is absolute */
		"accel-manifest 1\nstore\t/s\nlink\ta\t/x/../etc\n",  /* of plain components */
		"accel-manifest 1\nstore\t/s\nfile\t.accelx\tb\n", /* reserved prefix */
		"accel-manifest 1\nstore\t/s\nfile\ta\tb\nfile\ta\tc\n", /* twice */
		"accel-manifest 1\nstore\t/s\nfile\ta\tb",         /* unterminated */
		"accel-manifest 1\nstore\trelative\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ac_manifest m;
		struct ac_err err = {0};

		cr_assert_neq(parse(bad[i], &m, &err), 0, "accepted: %s", bad[i]);
		cr_assert(err.msg[0] || !bad[i][0], "no reason for: %s", bad[i]);
		cr_assert_null(m.files);
	}
}

Test(manifest, malformed_entry_is_named)
{
	struct ac_manifest m;
	struct ac_err err;

	cr_assert_eq(parse("accel-manifest 1\nstore\t/s\n\n# c\nfile\ta/../b\tc\n", &m, &err),
		     -EINVAL);
	cr_assert(strstr(err.msg, "line 5: malformed entry"), "%s", err.msg);
}

Test(manifest, embedded_nul_refused)
{
	static const char t[] = "accel-manifest 1\nstore\t/s\nfile\ta\0x\tb\n";
	struct ac_manifest m;

	cr_assert_eq(ac_manifest_parse(t, sizeof(t) - 1, &m, NULL), -EINVAL);
}

Test(control, requests)
{
	cr_assert_eq(ac_control_req_parse("reload", 6), AC_CONTROL_RELOAD);
	cr_assert_eq(ac_control_req_parse("stats\n", 6), AC_CONTROL_STATS);
	cr_assert_eq(ac_control_req_parse("ping", 4), AC_CONTROL_PING);
	cr_assert_eq(ac_control_req_parse("pin", 3), -EINVAL);
	cr_assert_eq(ac_control_req_parse("reloadx", 7), -EINVAL);
	cr_assert_str_eq(ac_control_req_name(AC_CONTROL_STATS), "stats");
}

Test(control, reload_replies)
{
	struct ac_reload_reply r;

	cr_assert_eq(ac_control_reload_parse("ok generation=4 files=10 changed=2 refused=1\n"
					     "refused /.accel/lib-x/libbad.so: not ELF\n",
					     &r),
		     0);
	cr_assert(r.ok);
	cr_assert_eq(r.generation, 4);
	cr_assert_eq(r.refused, 1);
	cr_assert_eq(strncmp(r.first_refused, "refused /.accel/lib-x/libbad.so: not ELF",
			     r.first_refused_len),
		     0);
	cr_assert_eq(ac_control_reload_parse("error Invalid argument: line 3\n", &r), 0);
	cr_assert(!r.ok);
	cr_assert_eq(strncmp(r.error, "Invalid argument: line 3", r.error_len), 0);
	cr_assert_eq(ac_control_reload_parse("garbage", &r), -EPROTO);
}

Test(control, stats)
{
	const char *s = "pid=42\nfiles=7\nnode lookups=3 reads=9 /usr/bin/make\n"
			"node lookups=1 reads=0 /usr/bin/makeinfo\n";
	char buf[32];
	size_t len;
	const char *l;

	cr_assert_str_eq(ac_control_stat(s, AC_STAT_PID, buf, sizeof(buf)), "42");
	cr_assert_str_eq(ac_control_stat(s, AC_STAT_FILES, buf, sizeof(buf)), "7");
	cr_assert_str_eq(ac_control_stat(s, AC_STAT_RSS_KIB, buf, sizeof(buf)), "?");
	l = ac_control_node(s, "/usr/bin/make", &len);
	cr_assert_not_null(l);
	cr_assert_eq(strncmp(l, "lookups=3 reads=9", len), 0);
	cr_assert_eq(len, strlen("lookups=3 reads=9"));
	cr_assert_null(ac_control_node(s, "/usr/bin/sed", &len));
}

/* The daemon builds directories by recursion, one frame a component. */
Test(manifest, path_depth_bounded)
{
	char text[1024] = "accel-manifest 1\nstore\t/s\nfile\t";
	struct ac_manifest m;
	size_t at = strlen(text);

	for (int i = 0; i < AC_MANIFEST_MAX_DEPTH; i++)
		at += (size_t)snprintf(text + at, sizeof(text) - at, "%sd", i ? "/" : "");
	snprintf(text + at, sizeof(text) - at, "\tsrc\n");
	cr_assert_eq(parse(text, &m, NULL), 0, "%d components refused", AC_MANIFEST_MAX_DEPTH);
	ac_manifest_free(&m);
	snprintf(text + at, sizeof(text) - at, "/d\tsrc\n");
	cr_assert_eq(parse(text, &m, NULL), -EINVAL);
}

Test(manifest, stamps_written_and_read_back)
{
	struct ac_plan_entry e[] = {{"usr/bin/make", "pkgs/make_4.3_amd64/usr/bin/make", 0}};
	struct ac_plan_stamp st[] = {
		{"usr/bin/make", "/usr/bin/make", {1700000000, 5, 230000}},
		{"usr/bin/make", "/var/lib/dpkg/info/libc6:armel.list", {1700000001, 0, 9000}}};
	char *programs[] = {"/usr/bin/make"};
	struct ac_plan plan = {.e = e, .n = 1, .programs = programs, .nprograms = 1, .stamps = st,
			       .nstamps = 2};
	char *text = ac_manifest_format(&plan, "/s", NULL, NULL);
	struct ac_manifest m;
	struct ac_err err;

	cr_assert_not_null(text);
	cr_assert_eq(parse(text, &m, &err), 0, "%s", err.msg);
	cr_assert_eq(m.nstamps, 2);
	cr_assert_str_eq(m.stamps[0].view, "usr/bin/make");
	cr_assert_str_eq(m.stamps[0].line, "1700000000 5 230000 /usr/bin/make\n");
	cr_assert_str_eq(m.stamps[1].line, "1700000001 0 9000 /var/lib/dpkg/info/libc6:armel.list\n");
	ac_manifest_free(&m);
	free(text);
	cr_assert_eq(parse(AC_MANIFEST_MAGIC "\nstore\t/s\nstamp\tusr/bin/make\t1 2 /x\n", &m, &err),
		     -EINVAL);
	cr_assert(strstr(err.msg, "line 3"), "%s", err.msg);
	cr_assert_eq(parse(AC_MANIFEST_MAGIC "\nstore\t/s\nstamp\t../x\t1 2 3 /x\n", &m, &err),
		     -EINVAL);
}
