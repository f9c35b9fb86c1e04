// SPDX-License-Identifier: GPL-2.0-or-later
/* The error shape of library code; see accel/base/err.h. */
#include "config.h"

#include "accel/base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int vfail(struct ac_err *err, int code, int with_errno, const char *fmt, va_list ap)
{
	int n;

	if (!err)
		return code;
	err->code = code;
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	if (with_errno && n >= 0 && (size_t)n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, ": %s", strerror(-code));
	return code;
}

int ac_fail(struct ac_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(err, code, 0, fmt, ap);
	va_end(ap);
	return code;
}

int ac_fail_errno(struct ac_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(err, code, 1, fmt, ap);
	va_end(ap);
	return code;
}

void ac_err_clear(struct ac_err *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}
