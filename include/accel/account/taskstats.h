/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accel/account/taskstats.h - the kernel's record of every exiting task.
 *
 * A listener on the generic netlink family TASKSTATS registered for every
 * possible CPU gets one record per exiting task (thread or process): its
 * comm, parent, CPU times in microseconds and, since version 13, the
 * device and inode of the file it was executing (kbuild-notes/taskstats.md).
 * ac_taskstats_start() registers and starts a reader thread that adds every
 * record to acct (accel/account/account.h) until ac_taskstats_stop(), which
 * drains what is queued. Root only (CAP_NET_ADMIN for the CPU mask).
 */
#ifndef ACCEL_ACCOUNT_TASKSTATS_H
#define ACCEL_ACCOUNT_TASKSTATS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "accel/account/account.h"

struct ac_taskstats {
	int fd;
	uint16_t family;
	struct ac_account acct;  /* the records, in exit order */
	atomic_int stop;
	uint64_t lost;           /* records the socket dropped (ENOBUFS) */
	int oom;                 /* a record could not be kept */
	pthread_t reader;
};

/* 0 or -errno (-ENOENT: no TASKSTATS family, the kernel lacks it). */
int ac_taskstats_start(struct ac_taskstats *c);
void ac_taskstats_stop(struct ac_taskstats *c);

#endif /* ACCEL_ACCOUNT_TASKSTATS_H */
