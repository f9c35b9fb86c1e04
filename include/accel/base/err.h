/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accel/base/err.h - the one shape of an error in library code.
 *
 * A library function that can fail returns 0 (or a count) or -errno, and
 * when it is given a struct ac_err it also says what failed there, in one
 * line that names the thing and, where there is one, the fix (crun's
 * libcrun_error_t, without the chain: accel's messages are written where
 * the failure happens and carry their context). Library code never prints
 * and never exits; the programs print err->msg once (ac_die_err) and exit
 * with the code their man page documents.
 */
#ifndef ACCEL_BASE_ERR_H
#define ACCEL_BASE_ERR_H

#define AC_ERR_MAX 1024

struct ac_err {
	int code;            /* -errno, 0 when nothing failed */
	char msg[AC_ERR_MAX];
};

/* Record a failure in err (which may be NULL) and return code. A message
 * too long for msg is cut at AC_ERR_MAX - 1 bytes: it is for people. */
__attribute__((format(printf, 3, 4))) int ac_fail(struct ac_err *err, int code, const char *fmt,
						  ...);
/* The same with "fmt: strerror(-code)" appended. */
__attribute__((format(printf, 3, 4))) int ac_fail_errno(struct ac_err *err, int code,
							const char *fmt, ...);
/* Clear err (code 0, empty message). */
void ac_err_clear(struct ac_err *err);

#endif /* ACCEL_BASE_ERR_H */
