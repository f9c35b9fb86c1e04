/* SPDX-License-Identifier: GPL-2.0-or-later */
/* account.h: accelctl's `account` command (account.c). */
#ifndef ACCEL_BOOTSTRAP_ACCOUNT_H
#define ACCEL_BOOTSTRAP_ACCOUNT_H

/* argv[0] is "account"; returns the exit status. */
int accel_account(const char *state_dir, int argc, char **argv);

#endif
