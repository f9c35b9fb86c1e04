/* SPDX-License-Identifier: GPL-2.0-or-later */
/* reuse.h: accelctl's output-hash commands (reuse.c, verify.c): outhash,
 * equiv, task and verify. Each takes argv with argv[0] = the command word
 * and returns the exit status. */
#ifndef ACCEL_BOOTSTRAP_REUSE_H
#define ACCEL_BOOTSTRAP_REUSE_H

#include <sys/types.h>

int accel_outhash(int argc, char **argv);
int accel_equiv(int argc, char **argv);
int accel_task(int argc, char **argv);
int accel_verify(const char *state_dir, const char *root, int argc, char **argv);

/* Shared by reuse.c and verify.c. */
/* Run argv (PATH searched) and wait: its exit status, 128+N for signal N,
 * 127 if it could not be executed (said on stderr). */
int accel_run(char *const *argv);
/* Wait for pid: its status as accel_run() returns it. */
int accel_wait(pid_t pid);
/* Is a (absolute, normalised) equal to b or one of its ancestors? */
int accel_path_covers(const char *a, const char *b);

#endif
