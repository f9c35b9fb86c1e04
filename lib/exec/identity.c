// SPDX-License-Identifier: GPL-2.0-or-later
/* The machine a native process sees; see accel/exec/identity.h. */
#include "config.h"

#include "accel/exec/identity.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/ioctl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "accel/exec/sys.h"

#ifndef __NR_close_range
#define __NR_close_range 436
#endif
#define X32_BIT 0x40000000U
#define NR_UNAME_I386 122 /* newuname; the older two are left alone (glibc never uses them) */
#define PR_SET_NAME_ 15
#define PR_SET_NO_NEW_PRIVS_ 38

/* struct new_utsname: the same six fields of 65 bytes on every ABI. */
struct uts {
	char f[6][65];
};
#define UTS_MACHINE 4

#define STMT(code, k) ((struct sock_filter){(code), 0, 0, (k)})
#define JUMP(code, k, jt, jf) ((struct sock_filter){(code), (jt), (jf), (k)})

int ac_identity_filter(struct sock_filter *insns, size_t max)
{
	/* The jumps are counted by hand: the index of each instruction is
	 * in its comment. */
	const struct sock_filter prog[] = {
		/* 0 */ STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		/* 1 */ JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
		/* 2 */ STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		/* 3 */ JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_uname, 5, 0),
		/* 4 */ JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_uname | X32_BIT, 4, 3),
		/* 5 */ JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, 2),
		/* 6 */ STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		/* 7 */ JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_UNAME_I386, 1, 0),
		/* 8 */ STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* 9: uname; the probe address is answered here */
		/* 9 */ STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		/* 10 */ JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)AC_IDENTITY_PROBE_ADDR, 0, 3),
		/* 11 */ STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]) + 4),
		/* 12 */ JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(AC_IDENTITY_PROBE_ADDR >> 32), 0, 1),
		/* 13 */ STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | AC_IDENTITY_PROBE_ERRNO),
		/* 14 */ STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
	};
	const size_t n = sizeof(prog) / sizeof(prog[0]);

	if (n > max)
		return -E2BIG;
	for (size_t i = 0; i < n; i++)
		insns[i] = prog[i];
	return (int)n;
}

int ac_identity_active(void)
{
	return ac_sys(SYS_uname, (long)AC_IDENTITY_PROBE_ADDR, 0, 0, 0, 0, 0) ==
	       -AC_IDENTITY_PROBE_ERRNO;
}

/* One notification: the host's uname with the root's machine, written into
 * the caller's buffer. The caller is blocked in the system call, so its pid
 * stays its own until the answer is sent (ID_VALID checks it has not been
 * killed in between). A caller whose memory this process may not write (a
 * task that became undumpable) gets the host's answer: better than a
 * failed uname. */
static void answer(int fd, const struct seccomp_notif *req, const char *machine, size_t mlen)
{
	struct seccomp_notif_resp resp;
	struct uts u;
	struct iovec local, remote;
	long n;

	__builtin_memset(&resp, 0, sizeof(resp));
	resp.id = req->id;
	__builtin_memset(&u, 0, sizeof(u));
	if (ac_sys(SYS_uname, (long)&u, 0, 0, 0, 0, 0) < 0) {
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	} else {
		__builtin_memset(u.f[UTS_MACHINE], 0, sizeof(u.f[UTS_MACHINE]));
		__builtin_memcpy(u.f[UTS_MACHINE], machine, mlen);
		if (ac_sys(SYS_ioctl, fd, (long)SECCOMP_IOCTL_NOTIF_ID_VALID, (long)&req->id, 0, 0,
			   0) < 0)
			return; /* gone */
		local.iov_base = &u;
		local.iov_len = sizeof(u);
		remote.iov_base = (void *)(uintptr_t)req->data.args[0];
		remote.iov_len = sizeof(u);
		n = ac_sys(SYS_process_vm_writev, req->pid, (long)&local, 1, (long)&remote, 1, 0);
		if (n == (long)sizeof(u))
			resp.val = 0;
		else if (n >= 0 || n == -EFAULT)
			resp.error = -EFAULT;
		else
			resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	}
	ac_sys(SYS_ioctl, fd, (long)SECCOMP_IOCTL_NOTIF_SEND, (long)&resp, 0, 0, 0);
}

/* The supervisor: answer until no task of the tree is left (the listener
 * then polls POLLHUP). Never returns. */
__attribute__((noreturn)) static void supervise(int fd, const char *machine, size_t mlen)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		struct seccomp_notif req;
		long r = ac_sys(SYS_ppoll, (long)&p, 1, 0, 0, 0, 0);

		if (r == -EINTR)
			continue;
		if (r < 0 || (p.revents & (POLLHUP | POLLERR | POLLNVAL)))
			ac_exit(0);
		__builtin_memset(&req, 0, sizeof(req));
		r = ac_sys(SYS_ioctl, fd, (long)SECCOMP_IOCTL_NOTIF_RECV, (long)&req, 0, 0, 0);
		if (r == -EINTR || r == -ENOENT) /* ENOENT: the caller was killed meanwhile */
			continue;
		if (r < 0)
			ac_exit(1);
		answer(fd, &req, machine, mlen);
	}
}

/* One message carrying one fd (SCM_RIGHTS) and one byte of data. */
struct fd_msg {
	char byte;
	struct iovec iov;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} c;
	struct msghdr m;
};

static void fd_msg_init(struct fd_msg *f)
{
	__builtin_memset(f, 0, sizeof(*f));
	f->byte = 'L';
	f->iov.iov_base = &f->byte;
	f->iov.iov_len = 1;
	f->m.msg_iov = &f->iov;
	f->m.msg_iovlen = 1;
	f->m.msg_control = f->c.buf;
	f->m.msg_controllen = sizeof(f->c.buf);
}

/* Receive one fd over sock; -errno, or -EPIPE when the sender closed its
 * end without sending. */
static long recv_fd(int sock)
{
	struct fd_msg f;
	struct cmsghdr *h;
	long r;
	int fd;

	fd_msg_init(&f);
	do
		r = ac_sys(SYS_recvmsg, sock, (long)&f.m, MSG_CMSG_CLOEXEC, 0, 0, 0);
	while (r == -EINTR);
	if (r < 0)
		return r;
	h = CMSG_FIRSTHDR(&f.m);
	if (r == 0 || !h || h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS ||
	    h->cmsg_len != CMSG_LEN(sizeof(int)))
		return -EPIPE;
	__builtin_memcpy(&fd, CMSG_DATA(h), sizeof(fd));
	return fd;
}

static long send_fd(int sock, int fd)
{
	struct fd_msg f;
	struct cmsghdr *h;
	long r;

	fd_msg_init(&f);
	h = CMSG_FIRSTHDR(&f.m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	__builtin_memcpy(CMSG_DATA(h), &fd, sizeof(fd));
	do
		r = ac_sys(SYS_sendmsg, sock, (long)&f.m, MSG_NOSIGNAL, 0, 0, 0);
	while (r == -EINTR);
	return r < 0 ? r : 0;
}

static long fork_(void)
{
	return ac_sys(SYS_clone, SIGCHLD, 0, 0, 0, 0, 0);
}

/* The grandchild: shed what it inherited, wait for the listener, serve. */
__attribute__((noreturn)) static void supervisor_main(int sock, const char *machine, size_t mlen)
{
	char copy[AC_IDENTITY_MACHINE_MAX];
	long fd;

	/* The tree's pipes and files must not stay open here: a shell reading
	 * a command's output waits for every writer to close. */
	if (sock > 0)
		ac_sys(__NR_close_range, 0, sock - 1, 0, 0, 0, 0);
	ac_sys(__NR_close_range, sock + 1, ~0U, 0, 0, 0, 0);
	/* Out of the caller's session and process group: a ^C or a kill of
	 * the job's group is for the build's processes; this one leaves by
	 * itself once they are gone. Out of any directory a build would
	 * unmount. */
	ac_sys(SYS_setsid, 0, 0, 0, 0, 0, 0);
	ac_sys(SYS_chdir, (long)"/", 0, 0, 0, 0, 0);
	ac_sys(SYS_prctl, PR_SET_NAME_, (long)AC_IDENTITY_COMM, 0, 0, 0, 0);
	__builtin_memcpy(copy, machine, mlen);
	fd = recv_fd(sock);
	ac_close(sock);
	if (fd < 0)
		ac_exit(0); /* the caller gave up: nothing to serve */
	supervise((int)fd, copy, mlen);
}

static long install_filter(void)
{
	struct sock_filter insns[16];
	struct sock_fprog prog;
	int n = ac_identity_filter(insns, sizeof(insns) / sizeof(insns[0]));
	long fd;

	prog.len = (unsigned short)n;
	prog.filter = insns;
	fd = ac_sys(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
		    (long)&prog, 0, 0, 0);
	if (fd == -EACCES) {
		/* Not privileged: the kernel wants no_new_privs (setuid
		 * programs started later in the tree keep the caller's
		 * credentials; kbuild-notes/identity.md). */
		if (ac_sys(SYS_prctl, PR_SET_NO_NEW_PRIVS_, 1, 0, 0, 0, 0) < 0)
			return -EACCES;
		fd = ac_sys(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			    SECCOMP_FILTER_FLAG_NEW_LISTENER, (long)&prog, 0, 0, 0);
	}
	return fd;
}

int ac_identity_install(const char *machine, size_t len)
{
	int sv[2] = {-1, -1};
	long pid, r, fd;

	if (!len || len > AC_IDENTITY_MACHINE_MAX)
		return -EINVAL;
	/* Before anything is forked: does the kernel answer through a
	 * listener at all (Linux 5.0)? */
	{
		uint32_t action = SECCOMP_RET_USER_NOTIF;

		r = ac_sys(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, (long)&action, 0, 0, 0);
		if (r < 0)
			return r == -EINVAL || r == -EOPNOTSUPP ? -ENOSYS : (int)r;
	}
	r = ac_sys(SYS_socketpair, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, (long)sv, 0, 0);
	if (r < 0)
		return (int)r;
	/* The supervisor must not be under the filter (it would wait for
	 * itself, and the tree would never end for it), so it is forked
	 * first and gets the listener afterwards. A grandchild: this task
	 * becomes the program and must not find an unknown child. */
	pid = fork_();
	if (pid == 0) {
		long g;

		/* Named, so that accounting does not count it as the program. */
		ac_sys(SYS_prctl, PR_SET_NAME_, (long)AC_IDENTITY_COMM, 0, 0, 0, 0);
		g = fork_();

		if (g == 0)
			supervisor_main(sv[1], machine, len);
		ac_exit(g < 0);
	}
	ac_close(sv[1]);
	if (pid < 0) {
		ac_close(sv[0]);
		return (int)pid;
	}
	{
		int st = 0;

		do
			r = ac_sys(SYS_wait4, pid, (long)&st, 0, 0, 0, 0);
		while (r == -EINTR);
		/* ECHILD: SIGCHLD ignored by our caller, already reaped. */
		if (r >= 0 && st != 0) {
			ac_close(sv[0]);
			return -EAGAIN;
		}
	}
	fd = install_filter();
	if (fd < 0) {
		ac_close(sv[0]); /* the supervisor reads EOF and leaves */
		return (int)fd;
	}
	r = send_fd(sv[0], (int)fd);
	ac_close((int)fd);
	ac_close(sv[0]);
	/* Unsent, uname would now fail with ENOSYS: nothing better is left
	 * than saying so. */
	return r < 0 ? (int)r : 0;
}
