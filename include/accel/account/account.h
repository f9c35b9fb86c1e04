/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accel/account/account.h - where the time of a build goes: which programs ran
 * emulated and which natively, how often, and how much CPU they took.
 *
 * The records come from the kernel's taskstats (one per exiting task,
 * thread or process, with its comm, parent, CPU times in microseconds and
 * the identity (device, inode) of the file it was executing; see
 * kbuild-notes/taskstats.md). This part is the pure bookkeeping: which
 * records belong to one command's process tree, how each is classified by
 * its executable, and the per-program totals. It does no I/O.
 */
#ifndef ACCEL_ACCOUNT_ACCOUNT_H
#define ACCEL_ACCOUNT_ACCOUNT_H

#include <stddef.h>
#include <stdint.h>

enum ac_run_kind {
	AC_RUN_OTHER = 0,  /* a host program that is not part of the root */
	AC_RUN_EMULATED,   /* an armel program under qemu-arm */
	AC_RUN_NATIVE,     /* a host equivalent served by the root's view */
	AC_RUN_EMULATED_MADE, /* a root's armel program emulated because it would
			       * load code the build made (its view's
			       * AC_VIEW_QEMU_MADE): counted with the build's own */
	AC_RUN_KINDS
};

extern const char *const ac_run_kind_name[AC_RUN_KINDS];

struct ac_task {
	uint32_t pid, tgid, ppid; /* ppid: the thread group's parent at exit */
	uint64_t btime;           /* start, seconds since the epoch */
	uint64_t utime, stime;    /* CPU, microseconds */
	uint64_t exe_dev, exe_ino;
	char comm[32];
	/* filled by ac_account_finish */
	uint32_t seq;             /* arrival (exit) order */
	int kind;
	int member;               /* 1: inside the command's tree */
};

struct ac_exe_rule {
	uint64_t dev, ino; /* ino 0: every file of dev */
	int kind;
};

struct ac_prog_total {
	char comm[32];
	int kind;
	uint64_t runs;     /* processes (thread-group leaders) */
	uint64_t cpu_us;   /* all their threads */
};

struct ac_account {
	struct ac_task *t;
	size_t n, cap;
	struct ac_exe_rule *rules;
	size_t nrules, rcap;
	/* results of ac_account_finish */
	struct ac_prog_total *prog;  /* sorted by cpu_us, largest first */
	size_t nprog;
	uint64_t cpu_us[AC_RUN_KINDS];
	uint64_t runs[AC_RUN_KINDS];
	uint64_t members;            /* tasks in the tree */
};

/* Files executed from (dev, ino) are of kind; ino 0 covers the whole
 * device. An exact (dev, ino) rule wins over a device rule. A rule given
 * again is kept once. */
int ac_account_rule(struct ac_account *a, uint64_t dev, uint64_t ino, int kind);
/* Append one exited task (in exit order). */
int ac_account_add(struct ac_account *a, const struct ac_task *t);
/*
 * Keep the tasks that descend from process top (its children, and orphans
 * reparented to it as a subreaper), classify them and total them per
 * (kind, comm). A parent is matched by pid, exiting after its child and
 * started no later, so reused pids do not join foreign processes.
 */
int ac_account_finish(struct ac_account *a, uint32_t top);
void ac_account_free(struct ac_account *a);

#endif /* ACCEL_ACCOUNT_ACCOUNT_H */
