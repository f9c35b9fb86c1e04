/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accelctl/commands.h - what accelctl's commands share.
 *
 * main.c holds the one command table (name, function, flags, summary) and
 * the options before the command word; each command parses its own
 * options, --help first, and only then asks for what its flags say it
 * needs (ctl_ready): root privileges, a set-up root.
 */
#ifndef ACCELCTL_COMMANDS_H
#define ACCELCTL_COMMANDS_H

#include <limits.h>
#include <sys/types.h>

#include "accel/state/rootstate.h"

enum ctl_needs {
	CTL_NEEDS_ROOT = 1,  /* euid 0 */
	CTL_NEEDS_STATE = 2, /* a set-up root (--root, or the only one): c->rs */
};

struct ctl_command;

struct ctl {
	const char *root_arg;     /* --root */
	const char *state_dir;    /* --state-dir, or the default */
	const struct ctl_command *cmd;
	char root[PATH_MAX];      /* CTL_NEEDS_STATE: canonical */
	struct ac_rootstate rs;   /* CTL_NEEDS_STATE: open and locked */
};

struct ctl_command {
	const char *name;
	int (*fn)(struct ctl *c, int argc, char **argv); /* argv[0]: the name */
	unsigned needs;        /* enum ctl_needs */
	const char *summary;   /* for the top-level --help */
};

/* Give the command what its table entry needs; dies when it cannot. Call
 * after the command's own options (and --help) are parsed. */
void ctl_ready(struct ctl *c);

/* view.c */
int cmd_enable(struct ctl *c, int argc, char **argv);
int cmd_disable(struct ctl *c, int argc, char **argv);
int cmd_list(struct ctl *c, int argc, char **argv);
int cmd_status(struct ctl *c, int argc, char **argv);
int cmd_reload(struct ctl *c, int argc, char **argv);
/* account.c */
int cmd_account(struct ctl *c, int argc, char **argv);
/* verify.c */
int cmd_verify(struct ctl *c, int argc, char **argv);
/* recorder.c */
int cmd_outhash(struct ctl *c, int argc, char **argv);
int cmd_equiv(struct ctl *c, int argc, char **argv);
int cmd_task(struct ctl *c, int argc, char **argv);

/* Shared by recorder.c and verify.c. */
/* Run argv (PATH searched) and wait: its exit status, 128+N for signal N,
 * 127 if it could not be executed (said on stderr). */
int accel_run(char *const *argv);
/* Is a (absolute, normalised) equal to b or one of its ancestors? */
int accel_path_covers(const char *a, const char *b);

#endif /* ACCELCTL_COMMANDS_H */
