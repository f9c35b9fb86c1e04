/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accel/exec/sys.h - the system calls shared code may make.
 *
 * Contract: every function returns a non-negative result on success and
 * -errno on failure; none of them touches errno. Code that includes this
 * header compiles twice: freestanding (ACCEL_FREESTANDING, raw syscalls, used
 * by the static dispatcher, which has no libc) and hosted (libc wrappers,
 * used by the other programs and by the unit tests). Only types and macros
 * come from the system headers in the freestanding build.
 */
#ifndef ACCEL_EXEC_SYS_H
#define ACCEL_EXEC_SYS_H

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <sys/types.h>

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U /* Linux 6.3: memfd may be executed under vm.memfd_noexec=1 */
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif
#ifndef AT_STATX_FORCE_SYNC
#define AT_STATX_FORCE_SYNC 0x2000
#endif

/* STATX_TYPE: FUSE ignores the forced sync when nothing is asked for. */
#define AC_STATX_TYPE 0x1U

/* statx(2)'s buffer; only its size matters here (ac_stat_sync). */
struct ac_statx_buf {
	unsigned long long words[32];
};

/* STATX_SIZE | STATX_MTIME */
#define AC_STATX_SIZE_MTIME (0x200U | 0x40U)
#ifndef AT_SYMLINK_NOFOLLOW
#define AT_SYMLINK_NOFOLLOW 0x100
#endif

/* The head of struct statx (linux/stat.h, a stable ABI) as far as
 * ac_stat_size_mtime reads it, padded to the kernel's 256 bytes. */
struct ac_statx {
	unsigned int mask, blksize;
	unsigned long long attributes;
	unsigned int nlink, uid, gid;
	unsigned short mode, spare0;
	unsigned long long ino, size, blocks, attributes_mask;
	struct {
		long long sec;
		unsigned int nsec;
		int reserved;
	} atime, btime, ctime, mtime;
	unsigned long long spare[16];
};
_Static_assert(sizeof(struct ac_statx) == 256, "struct statx is 256 bytes");

#ifdef ACCEL_FREESTANDING

static inline long ac_syscall6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#define AC_SC(nr, a, b, c, d, e, f)                                                              \
	ac_syscall6((nr), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

static inline long ac_readlinkat(int dirfd, const char *path, char *buf, size_t size)
{
	return AC_SC(SYS_readlinkat, dirfd, path, buf, size, 0, 0);
}

static inline long ac_getcwd(char *buf, size_t size)
{
	return AC_SC(SYS_getcwd, buf, size, 0, 0, 0, 0);
}

static inline long ac_openat(int dirfd, const char *path, int flags, int mode)
{
	return AC_SC(SYS_openat, dirfd, path, flags, mode, 0, 0);
}

static inline long ac_read(int fd, void *buf, size_t size)
{
	return AC_SC(SYS_read, fd, buf, size, 0, 0, 0);
}

static inline long ac_write(int fd, const void *buf, size_t size)
{
	return AC_SC(SYS_write, fd, buf, size, 0, 0, 0);
}

static inline long ac_close(int fd)
{
	return AC_SC(SYS_close, fd, 0, 0, 0, 0, 0);
}

/* statx(dirfd, path, flags | AT_STATX_FORCE_SYNC): on FUSE the attributes
 * come from the daemon, never from the kernel's cache, so a dead daemon
 * fails it (ENOTCONN). */
static inline long ac_stat_sync(int dirfd, const char *path, int flags)
{
	struct ac_statx_buf b;

	return AC_SC(SYS_statx, dirfd, path, flags | AT_STATX_FORCE_SYNC, AC_STATX_TYPE, &b, 0);
}

/* statx(dirfd, path, AT_SYMLINK_NOFOLLOW) for size and mtime. */
static inline long ac_stat_size_mtime(int dirfd, const char *path, struct ac_statx *st)
{
	return AC_SC(SYS_statx, dirfd, path, AT_SYMLINK_NOFOLLOW, AC_STATX_SIZE_MTIME, st, 0);
}

static inline long ac_execve(const char *path, char *const argv[], char *const envp[])
{
	return AC_SC(SYS_execve, path, argv, envp, 0, 0, 0);
}

static inline long ac_execveat(int dirfd, const char *path, char *const argv[],
			       char *const envp[], int flags)
{
	return AC_SC(SYS_execveat, dirfd, path, argv, envp, flags, 0);
}

static inline long ac_memfd_create(const char *name, unsigned int flags)
{
	return AC_SC(SYS_memfd_create, name, flags, 0, 0, 0, 0);
}

/* The task's comm (16 bytes, NUL-terminated): prctl(PR_GET_NAME). */
static inline long ac_get_comm(char buf[16])
{
	return AC_SC(SYS_prctl, 16 /* PR_GET_NAME */, buf, 0, 0, 0, 0);
}

/* Any other system call, for the few modules that need one once
 * (accel/exec/identity.h): -errno on failure. */
static inline long ac_sys(long nr, long a, long b, long c, long d, long e, long f)
{
	return ac_syscall6(nr, a, b, c, d, e, f);
}

__attribute__((noreturn)) static inline void ac_exit(int code)
{
	for (;;)
		AC_SC(SYS_exit_group, code, 0, 0, 0, 0, 0);
}

#else /* hosted */

#include <stdlib.h>
#include <unistd.h>

#define AC_RET(expr)                                                                             \
	do {                                                                                     \
		long r_ = (long)(expr);                                                          \
		return r_ < 0 ? -errno : r_;                                                     \
	} while (0)

static inline long ac_readlinkat(int dirfd, const char *path, char *buf, size_t size)
{
	AC_RET(readlinkat(dirfd, path, buf, size));
}

static inline long ac_getcwd(char *buf, size_t size)
{
	/* The raw syscall returns the length including the NUL; keep that. */
	AC_RET(syscall(SYS_getcwd, buf, size));
}

static inline long ac_openat(int dirfd, const char *path, int flags, int mode)
{
	AC_RET(openat(dirfd, path, flags, mode));
}

static inline long ac_read(int fd, void *buf, size_t size)
{
	AC_RET(read(fd, buf, size));
}

static inline long ac_write(int fd, const void *buf, size_t size)
{
	AC_RET(write(fd, buf, size));
}

static inline long ac_close(int fd)
{
	AC_RET(close(fd));
}

static inline long ac_stat_sync(int dirfd, const char *path, int flags)
{
	struct ac_statx_buf b;

	AC_RET(syscall(SYS_statx, dirfd, path, flags | AT_STATX_FORCE_SYNC, AC_STATX_TYPE, &b));
}

static inline long ac_stat_size_mtime(int dirfd, const char *path, struct ac_statx *st)
{
	AC_RET(syscall(SYS_statx, dirfd, path, AT_SYMLINK_NOFOLLOW, AC_STATX_SIZE_MTIME, st));
}

static inline long ac_execve(const char *path, char *const argv[], char *const envp[])
{
	AC_RET(execve(path, argv, envp));
}

static inline long ac_execveat(int dirfd, const char *path, char *const argv[],
			       char *const envp[], int flags)
{
	AC_RET(syscall(SYS_execveat, dirfd, path, argv, envp, flags));
}

static inline long ac_memfd_create(const char *name, unsigned int flags)
{
	AC_RET(syscall(SYS_memfd_create, name, flags));
}

static inline long ac_get_comm(char buf[16])
{
	AC_RET(syscall(SYS_prctl, 16 /* PR_GET_NAME */, buf, 0, 0, 0));
}

static inline long ac_sys(long nr, long a, long b, long c, long d, long e, long f)
{
	AC_RET(syscall(nr, a, b, c, d, e, f));
}

__attribute__((noreturn)) static inline void ac_exit(int code)
{
	_exit(code);
}

#endif /* ACCEL_FREESTANDING */

#endif /* ACCEL_EXEC_SYS_H */
