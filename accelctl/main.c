// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * accelctl: change and inspect what a set-up armel root runs natively, and
 * the output-hash recorder's commands.
 *
 *   accelctl [--root ROOT] [--state-dir DIR] COMMAND [ARG]...
 *
 * This file: the options before the command word, the one command table
 * (what each command needs: root privileges, a set-up root), and giving a
 * command what it needs once it has parsed its own options. The commands
 * live in view.c (enable, disable, list, status, reload), account.c,
 * verify.c and recorder.c (outhash, equiv, task).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accel/base/util.h"
#include "commands.h"

static const struct ctl_command commands[] = {
	{"enable", cmd_enable, CTL_NEEDS_ROOT | CTL_NEEDS_STATE,
	 "enable [-p] [--allow-skew] [--allow-toolchain-skew] NAME...\n"
	 "\trun NAME natively from the next exec on"},
	{"disable", cmd_disable, CTL_NEEDS_ROOT | CTL_NEEDS_STATE,
	 "disable [-p] NAME...\trun NAME emulated again"},
	{"list", cmd_list, CTL_NEEDS_ROOT | CTL_NEEDS_STATE,
	 "list\t\t\tthe enabled programs and their use"},
	{"status", cmd_status, CTL_NEEDS_ROOT | CTL_NEEDS_STATE,
	 "status\t\t\tview daemon, mount, binfmt entry, store"},
	{"reload", cmd_reload, CTL_NEEDS_ROOT | CTL_NEEDS_STATE,
	 "reload\t\t\tmake the view re-read its manifest"},
	{"account", cmd_account, CTL_NEEDS_ROOT,
	 "account [-n N] [-o FILE] -- COMMAND\n"
	 "\trun COMMAND; report which programs ran emulated or native, and their CPU"},
	{"verify", cmd_verify, CTL_NEEDS_ROOT,
	 "verify --output DIR -- COMMAND\n"
	 "\trun COMMAND emulated and accelerated on copies of the working directory;\n"
	 "\tcompare DIR's outhashes"},
	{"outhash", cmd_outhash, 0, "outhash DIR\t\tOEOuthashBasic output hash of DIR"},
	{"equiv", cmd_equiv, 0,
	 "equiv get|report|get-stream\thash equivalence (local or bitbake-hashserv)"},
	{"task", cmd_task, 0, "task run|gc\t\trun a task or restore its output (sstate)"},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fprintf(out, "Usage: accelctl [--root ROOT] [--state-dir DIR] COMMAND [ARG]...\n"
		     "Choose which programs of a set-up armel root run as their host (x86_64)\n"
		     "builds of the same package version; hash and reuse build outputs.\n"
		     "\n"
		     "Commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %s\n", commands[i].summary);
	fprintf(out,
		"Each command has its own --help (accelctl COMMAND --help). outhash, equiv\n"
		"and task need no root and run as any user; the others run as root.\n"
		"\n"
		"NAME is a command on the root's PATH (make) or an absolute path inside the\n"
		"root (/usr/bin/make); gcc names the compiler (see accelctl enable --help).\n"
		"\n"
		"Options (before the command):\n"
		"  -r, --root ROOT       the root (default: the only set-up root)\n"
		"      --state-dir DIR   accel's state (default %s)\n"
		"  -h, --help            show this help\n"
		"  -V, --version         show the version\n"
		"\n"
		"Exit status: 0 done, 1 system error or (status) a problem found, 2 usage or\n"
		"bad NAME, 3 NAME is not an armel ELF program (or ROOT has no package\n"
		"database), 6 no usable host build of the root's exact version, 7 verify:\n"
		"outputs differ, 8 equiv get: unknown taskhash, 9 hashserv failed.\n",
		ACCEL_STATEDIR);
}

struct only_root {
	int n;
	char found[PATH_MAX];
};

static int only_root(void *ctx, const char *root, const char *dir)
{
	struct only_root *o = ctx;

	(void)dir;
	if (o->n++)
		ac_die(AC_EXIT_USAGE, "several roots are set up (%s, %s, ...); pass --root ROOT",
		       o->found, root);
	snprintf(o->found, sizeof(o->found), "%s", root);
	return 0;
}

/* The root: --root, or the only one set up; its state open and locked. */
static void find_root(struct ctl *c)
{
	struct ac_err err;

	if (c->root_arg) {
		if (!realpath(c->root_arg, c->root))
			ac_die_errno(AC_EXIT_USAGE, errno, "ROOT %s", c->root_arg);
	} else {
		struct only_root o = {0};

		ac_roots_each(c->state_dir, only_root, &o);
		if (!o.n)
			ac_die(AC_EXIT_USAGE,
			       "no root is set up in %s; run accel-bootstrap ROOT first, or pass "
			       "--root/--state-dir",
			       c->state_dir);
		snprintf(c->root, sizeof(c->root), "%s", o.found);
	}
	if (ac_rootstate_open(&c->rs, c->state_dir, c->root, &err))
		ac_die_err(AC_EXIT_FAILURE, &err);
	if (!ac_rootstate_exists(&c->rs))
		ac_die(AC_EXIT_USAGE, "%s is not set up; run accel-bootstrap %s first", c->root,
		       c->root);
}

void ctl_ready(struct ctl *c)
{
	if ((c->cmd->needs & CTL_NEEDS_ROOT) && geteuid() != 0)
		ac_die(AC_EXIT_USAGE, "%s: must run as root (it changes or watches what a root's "
				      "view serves)",
		       c->cmd->name);
	if (c->cmd->needs & CTL_NEEDS_STATE)
		find_root(c);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"root", required_argument, NULL, 'r'},
		{"state-dir", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct ctl c = {.rs = {.statefd = -1, .lockfd = -1}};
	int ch;

	ac_set_progname(argv[0]);
	umask(022);
	/* Options up to the command word only ("+"): the rest are its own. */
	while ((ch = getopt_long(argc, argv, "+r:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			if (c.root_arg)
				ac_die(AC_EXIT_USAGE, "--root given twice; give it once");
			c.root_arg = optarg;
			break;
		case 'S':
			if (c.state_dir)
				ac_die(AC_EXIT_USAGE, "--state-dir given twice; give it once");
			c.state_dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return AC_EXIT_OK;
		case 'V':
			printf("accelctl %s\n", PACKAGE_VERSION);
			return AC_EXIT_OK;
		default:
			fprintf(stderr, "Try 'accelctl --help'.\n");
			return AC_EXIT_USAGE;
		}
	}
	if (!c.state_dir)
		c.state_dir = ACCEL_STATEDIR;
	if (optind >= argc)
		ac_die(AC_EXIT_USAGE, "give a command; see accelctl --help");
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(argv[optind], commands[i].name)) {
			c.cmd = &commands[i];
			return commands[i].fn(&c, argc - optind, argv + optind);
		}
	ac_die(AC_EXIT_USAGE, "unknown command '%s'; see accelctl --help", argv[optind]);
}
