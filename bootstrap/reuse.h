/* SPDX-License-Identifier: GPL-2.0-or-later */
/* reuse.h: accelctl's output-hash commands (reuse.c, verify.c): outhash,
 * equiv, task and verify. Each takes argv with argv[0] = the command word
 * and returns the exit status. */
#ifndef ACCEL_BOOTSTRAP_REUSE_H
#define ACCEL_BOOTSTRAP_REUSE_H

int accel_outhash(int argc, char **argv);
int accel_equiv(int argc, char **argv);
int accel_task(int argc, char **argv);
int accel_verify(const char *state_dir, const char *root, int argc, char **argv);

#endif
