// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of lib/exec/plugin.c: code paths handed to a native program. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accel/exec/layout.h"
#include "accel/exec/plugin.h"

/* The "view" of these tests serves exactly one path. */
static const char *served_path;

static int served(const char *hostpath, void *ctx)
{
	(void)ctx;
	return served_path && !strcmp(hostpath, served_path);
}

/* A real file whose canonical path the test knows: this test's directory. */
static char plugin[4096], view_plugin[4096 + 16];

static void setup(void)
{
	char tmpl[] = "/tmp/accel-plugin-XXXXXX";
	char *dir = mkdtemp(tmpl);
	FILE *f;

	cr_assert(dir);
	cr_assert(realpath(dir, plugin));
	strcat(plugin, "/liblto_plugin.so");
	f = fopen(plugin, "w");
	cr_assert(f);
	fclose(f);
	snprintf(view_plugin, sizeof(view_plugin), AC_VIEW_DIR "%s", plugin);
	served_path = view_plugin;
}

static void teardown(void)
{
	char *slash;

	unlink(plugin);
	slash = strrchr(plugin, '/');
	*slash = '\0';
	rmdir(plugin);
}

TestSuite(plugin, .init = setup, .fini = teardown);

Test(plugin, every_form_names_the_view_s_host_build)
{
	char eq[4200], feq[4200], deq[4200];
	char buf[AC_PLUGIN_ARGS_MAX * 4200];
	struct ac_plugin_undo undo;

	snprintf(eq, sizeof(eq), "-plugin=%s", plugin);
	snprintf(deq, sizeof(deq), "--plugin=%s", plugin);
	snprintf(feq, sizeof(feq), "-fplugin=%s", plugin);
	char *args[] = {"ld", "-plugin", plugin, "-plugin-opt=/usr/lib/gcc/x/lto-wrapper", "-o",
			"out", eq, deq, feq, NULL};
	char *orig[sizeof(args) / sizeof(args[0])];

	memcpy(orig, args, sizeof(args));
	cr_assert_eq(ac_plugin_rewrite(args, "/", buf, sizeof(buf), &undo, served, NULL),
		     AC_PLUGIN_REWRITTEN);
	cr_assert_str_eq(args[2], view_plugin);
	cr_assert_eq(args[3], orig[3], "the plugin's options are not paths of code");
	cr_assert_eq(args[5], orig[5], "output paths stay");
	cr_assert_eq(strncmp(args[6], "-plugin=" AC_VIEW_DIR, 8 + sizeof(AC_VIEW_DIR) - 1), 0);
	cr_assert_str_eq(args[6] + 8, view_plugin);
	cr_assert_str_eq(args[7] + 9, view_plugin);
	cr_assert_str_eq(args[8] + 9, view_plugin);
	ac_plugin_restore(&undo);
	for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++)
		cr_assert_eq(args[i], orig[i], "argument %zu put back", i);
}

Test(plugin, relative_paths_resolve_from_the_working_directory)
{
	char dir[4096], buf[8192];
	struct ac_plugin_undo undo;

	snprintf(dir, sizeof(dir), "%s", plugin);
	*strrchr(dir, '/') = '\0';
	char *args[] = {"ar", "--plugin", "./liblto_plugin.so", "rcs", "x.a", NULL};

	cr_assert_eq(ac_plugin_rewrite(args, dir, buf, sizeof(buf), &undo, served, NULL),
		     AC_PLUGIN_REWRITTEN);
	cr_assert_str_eq(args[2], view_plugin);
}

Test(plugin, code_without_a_host_build_is_emulated)
{
	char buf[8192];
	struct ac_plugin_undo undo;
	char *args[] = {"ld", "-plugin", plugin, "-plugin", "/usr/lib/nonexistent/plugin.so", NULL};
	char *orig1 = args[2];
	char *bare[] = {"cc1", "-fplugin=annobin", NULL};
	char *none[] = {"ld", "-o", "a.out", "x.o", "-plugin-opt=-pass-through=-lc", NULL};
	char *dangling[] = {"ld", "-plugin", NULL};

	cr_assert_eq(ac_plugin_rewrite(args, "/", buf, sizeof(buf), &undo, served, NULL),
		     AC_PLUGIN_EMULATE);
	cr_assert_eq(args[2], orig1, "the first rewrite is undone");
	cr_assert_eq(ac_plugin_rewrite(bare, "/", buf, sizeof(buf), &undo, served, NULL),
		     AC_PLUGIN_EMULATE, "a bare name is the program's own directory: root code");
	cr_assert_eq(ac_plugin_rewrite(none, "/", buf, sizeof(buf), &undo, served, NULL),
		     AC_PLUGIN_NONE);
	cr_assert_eq(ac_plugin_rewrite(dangling, "/", buf, sizeof(buf), &undo, served, NULL),
		     AC_PLUGIN_NONE, "no path given: the program itself says so");
}

/* collect2 native, given the view's plugin, passes it on to ld: native, ld
 * keeps it; emulated, ld gets the root's file back. */
Test(plugin, a_passed_on_view_path_stays_native_and_goes_back_emulated)
{
	char buf[8192], eq[4200];
	struct ac_plugin_undo undo;
	char *args[] = {"ld", "-plugin", view_plugin, "-o", "/lib-x86/x", NULL};
	char *orig2 = args[2];

	snprintf(eq, sizeof(eq), "--plugin=%s", view_plugin);
	cr_assert_eq(ac_plugin_rewrite(args, "/", buf, sizeof(buf), &undo, served, NULL),
		     AC_PLUGIN_NONE);
	cr_assert_eq(args[2], orig2);
	ac_plugin_unview(args, buf, sizeof(buf));
	cr_assert_str_eq(args[2], plugin);
	cr_assert_str_eq(args[4], "/lib-x86/x", "only plugin arguments change");
	char *eqargs[] = {"ar", eq, "rcs", "x.a", NULL};

	ac_plugin_unview(eqargs, buf, sizeof(buf));
	cr_assert_eq(strncmp(eqargs[1], "--plugin=", 9), 0);
	cr_assert_str_eq(eqargs[1] + 9, plugin);
}

Test(plugin, response_files_that_name_a_plugin_are_emulated)
{
	char rsp[4200], clean[4200], buf[8192], arg[4300], arg2[4300];
	struct ac_plugin_undo undo;
	FILE *f;

	snprintf(rsp, sizeof(rsp), "%s.rsp", plugin);
	snprintf(clean, sizeof(clean), "%s.clean", plugin);
	/* The option at a 4096-byte window's edge is still found. */
	f = fopen(rsp, "w");
	for (int i = 0; i < 4090; i++)
		fputc(i % 80 ? 'x' : ' ', f);
	fprintf(f, " -plugin %s\n", plugin);
	fclose(f);
	f = fopen(clean, "w");
	for (int i = 0; i < 3000; i++)
		fprintf(f, "obj%d.o -plugin-opt=-fresolution=x.res -fplugin-arg-a-b ", i);
	fclose(f);
	snprintf(arg, sizeof(arg), "@%s", rsp);
	snprintf(arg2, sizeof(arg2), "@%s", clean);
	char *with[] = {"ld", arg, NULL};
	char *without[] = {"ld", arg2, NULL};
	char *missing[] = {"ld", "@/nonexistent/rsp", NULL};

	cr_assert_eq(ac_plugin_rewrite(with, "/", buf, sizeof(buf), &undo, served, NULL),
		     AC_PLUGIN_EMULATE);
	cr_assert_eq(ac_plugin_rewrite(without, "/", buf, sizeof(buf), &undo, served, NULL),
		     AC_PLUGIN_NONE);
	cr_assert_eq(ac_plugin_rewrite(missing, "/", buf, sizeof(buf), &undo, served, NULL),
		     AC_PLUGIN_NONE, "not a file: ld takes it as a name");
	unlink(rsp);
	unlink(clean);
}

Test(plugin, text_matches_whole_options_only)
{
	cr_assert(ac_plugin_text_names("-plugin /x.so", 13));
	cr_assert(ac_plugin_text_names("a \"--plugin=/x\"", 15));
	cr_assert(ac_plugin_text_names("\t-fplugin=/p.so", 15));
	cr_assert(!ac_plugin_text_names("-plugin-opt=/x", 14));
	cr_assert(!ac_plugin_text_names("x-plugin /x", 11));
	cr_assert(!ac_plugin_text_names("-fplugin-arg-x-y", 16));
	cr_assert(!ac_plugin_text_names("-fuse-linker-plugin", 19));
}
