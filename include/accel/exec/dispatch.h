/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accel/exec/dispatch.h - exit codes of accel-dispatch, documented in
 * accel-dispatch(8). The dispatcher execs on success, so it only ever exits
 * with one of these.
 */
#ifndef ACCEL_EXEC_DISPATCH_H
#define ACCEL_EXEC_DISPATCH_H

enum ac_dispatch_exit {
	AC_DISPATCH_EXIT_OK = 0,       /* --help, --version */
	AC_DISPATCH_EXIT_USAGE = 2,    /* run by hand with no file to run */
	AC_DISPATCH_EXIT_NOEXEC = 127, /* nothing could be run: no qemu was executable */
};

/*
 * A program run with this argv[0] is not run: the dispatcher writes
 * "accel-dispatch VERSION INTERPRETER\n" to stdout and exits 0, so a probe
 * (ac_binfmt_probe) learns that accel's entry is the one the kernel tries
 * first. A control character leads it: no program is called that.
 */
#define AC_DISPATCH_PROBE_ARGV0 "\001accel-probe"

#endif /* ACCEL_EXEC_DISPATCH_H */
