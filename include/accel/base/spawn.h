/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accel/base/spawn.h - running another program, the one way accel does it.
 *
 * posix_spawnp (PATH searched, no shell), the caller's environment, and the
 * exit status as shells report it. What the child's stdout becomes is the
 * caller's choice: inherited, /dev/null, or captured into memory up to a
 * bound. The caller's fds are not inherited unless they lack O_CLOEXEC
 * (accel opens everything O_CLOEXEC).
 */
#ifndef ACCEL_BASE_SPAWN_H
#define ACCEL_BASE_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

enum ac_spawn_out {
	AC_SPAWN_INHERIT = 0, /* stdout is ours */
	AC_SPAWN_QUIET,       /* stdout to /dev/null */
	AC_SPAWN_CAPTURE,     /* stdout into *out (malloc'ed, NUL-terminated) */
};

struct ac_spawn {
	char *const *argv;     /* argv[0] is searched on PATH */
	const char *dir;       /* working directory of the child, or NULL */
	enum ac_spawn_out out;
	size_t max_out;        /* AC_SPAWN_CAPTURE: more is -E2BIG */
	/*
	 * Work the child must do before its exec that posix_spawn cannot
	 * (chroot, a private mount namespace): with setup the child is forked
	 * and runs setup(ctx) first. It returns 0 or -errno; a failure, like a
	 * failed exec, reaches the caller as ac_spawn_*'s -errno (through a
	 * close-on-exec pipe), and setup may print why. Only async-signal-safe
	 * work and what the child alone owns: it runs after fork.
	 */
	int (*setup)(void *ctx);
	void *ctx;
};

/*
 * Run and wait. Returns the exit status (0..255, 128+N for signal N), or
 * -errno when it could not be started (-ENOENT: no such program) or its
 * output exceeded max_out (-E2BIG). *out is set only on success.
 */
int ac_spawn_run(const struct ac_spawn *sp, char **out);
/* Start only; the pid goes to *pid. -errno when it could not start. */
int ac_spawn_start(const struct ac_spawn *sp, pid_t *pid);
/* Wait for pid (EINTR retried): its status as ac_spawn_run returns it. */
int ac_spawn_wait(pid_t pid);

#endif /* ACCEL_BASE_SPAWN_H */
