/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accel/exec/identity.h - what a native process learns of the machine it
 * runs on.
 *
 * An emulated program asks uname(2) and qemu answers with the root's
 * machine (armv7l); the same program run natively would get x86_64. Before
 * the dispatcher runs the first native program of a process tree, it puts
 * the tree under a seccomp filter that hands every uname(2) to a supervisor
 * process, which answers with the host's uname and the root's machine
 * (kbuild-notes/identity.md says why this mechanism and what it costs).
 * The filter is inherited by every child and kept across exec, so
 * grandchildren, statically linked programs, programs that make the system
 * call themselves, and native -> emulated -> native chains all get the same
 * answer; qemu, itself under the filter, puts its own machine over it,
 * which is the same string.
 *
 * Freestanding-safe: raw system calls only, no heap, no globals. Functions
 * return 0 or -errno.
 */
#ifndef ACCEL_EXEC_IDENTITY_H
#define ACCEL_EXEC_IDENTITY_H

#include <stddef.h>

/* The answer's machine field: at most this many bytes (utsname's 65 with
 * its NUL). */
#define AC_IDENTITY_MACHINE_MAX 64

/*
 * The probe: uname(2) on this address (a kernel one: EFAULT without the
 * filter) fails with AC_IDENTITY_PROBE_ERRNO under accel's filter, and
 * that answer comes from the filter itself, without the supervisor.
 */
#define AC_IDENTITY_PROBE_ADDR 0xffffffffacce1000UL
#define AC_IDENTITY_PROBE_ERRNO 55 /* ENOANO: uname(2) never says it */

/* The supervisor's name in ps and /proc/PID/comm. */
#define AC_IDENTITY_COMM "accel-identity"

/* Is this task under accel's filter? 1 or 0. */
int ac_identity_active(void);

/*
 * Put this task (and so everything it will start) under the filter, with a
 * supervisor answering machine (len bytes, 1..AC_IDENTITY_MACHINE_MAX, no
 * NUL). The supervisor is a grandchild that leaves this task's process
 * group and session, keeps no file of this task open, and exits once no
 * task of the tree is left: the caller gets no child to wait for.
 * Root installs the filter with its own privilege; any other user sets
 * no_new_privs first (as the kernel requires). On failure nothing is
 * installed (-ENOSYS: the kernel has no seccomp user notification).
 */
int ac_identity_install(const char *machine, size_t len);

/* The filter as a classic BPF program: its instructions go to *insns (at
 * most max); returns how many, or -E2BIG. For the unit tests. */
struct sock_filter;
int ac_identity_filter(struct sock_filter *insns, size_t max);

#endif /* ACCEL_EXEC_IDENTITY_H */
