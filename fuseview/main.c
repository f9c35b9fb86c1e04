// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * accel-fuseview: the read-only /lib-x86 view of an armel root.
 *
 *   accel-fuseview [-f] [-d] STATEDIR MOUNTPOINT
 *
 * Serves the files listed in STATEDIR/manifest (written by accelctl and
 * accel-bootstrap) from the host store: each enabled host program at the
 * canonical path of the armel program it replaces, its libraries and the
 * host loader under /.accel, ELF files rewritten at read time (accel/view/elfview.h)
 * so that they load from the view only. Nothing else from the store is
 * reachable, and nothing is writable, setuid or a device.
 *
 * Processes: a keeper (keeper.h), which mounts the view, holds its
 * connection and restarts the server below on it when it dies by
 * accident, and the server. The server's threads: the FUSE request
 * loop (single-threaded: requests are cheap and the kernel caches every
 * answer) and a control thread that serves STATEDIR/control (reload,
 * stats, ping) and tells the kernel which cached names changed. Once
 * mounted the server has no capabilities left and runs under a seccomp
 * allowlist.
 */
#define FUSE_USE_VERSION 314
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <linux/fuse.h>
#include <poll.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "accel/state/rootstate.h"
#include "accel/view/control.h"
#include "keeper.h"
#include "view.h"

/* Every answer stays valid until the daemon says otherwise (reload). */
#define CACHE_SECONDS (365.0 * 86400)
#define CONTROL_MAX_REPLY AC_CONTROL_MAX_REPLY
/* The kernel asks for at most max_pages (256 by default) pages per read. */
#define READ_MAX (16u << 20)

enum fv_exit { FV_OK = 0, FV_FAILURE = 1, FV_USAGE = 2 };

struct fuseview {
	struct view view;
	struct fuse_session *se;
	const char *statedir;
	const char *mountpoint;
	int foreground, debug;
	FILE *log;
	int ctlfd;
	int no_open;    /* the kernel opens files without asking (fv_init) */
	time_t started;
};

/* ---------------------------------------------------------------- requests */

static struct fuseview *fv_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static void fill_attr(const struct fuseview *fv, const struct node *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = n->ino;
	st->st_uid = 0;
	st->st_gid = 0;
	st->st_blksize = 4096;
	if (n->kind == NODE_DIR) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
		st->st_mtime = st->st_ctime = st->st_atime = fv->started;
	} else if (n->kind == NODE_LINK) {
		st->st_mode = S_IFLNK | 0777;
		st->st_nlink = 1;
		st->st_size = (off_t)n->size;
		st->st_mtime = st->st_ctime = st->st_atime = fv->started;
	} else {
		st->st_mode = S_IFREG | n->mode;
		st->st_nlink = 1;
		st->st_size = (off_t)n->size;
		st->st_blocks = (blkcnt_t)((n->size + 511) / 512);
		st->st_mtime = st->st_ctime = st->st_atime = n->mtime;
	}
}

static void fv_init(void *userdata, struct fuse_conn_info *conn)
{
	struct fuseview *fv = userdata;

	fv->no_open = !!(conn->capable & FUSE_CAP_NO_OPEN_SUPPORT);
	/* No open and no opendir requests: the kernel then opens cached
	 * inodes by itself and keeps their pages, so programs already looked
	 * up keep running even if this daemon dies. */
	if (conn->capable & FUSE_CAP_NO_OPEN_SUPPORT)
		conn->want |= FUSE_CAP_NO_OPEN_SUPPORT;
	if (conn->capable & FUSE_CAP_NO_OPENDIR_SUPPORT)
		conn->want |= FUSE_CAP_NO_OPENDIR_SUPPORT;
	/* Contents never change under an inode: no revalidation on read. */
	conn->want &= ~(unsigned)FUSE_CAP_AUTO_INVAL_DATA;
	conn->want &= ~(unsigned)(FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE |
				  FUSE_CAP_SPLICE_MOVE);
}

static void fv_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuseview *fv = fv_of(req);
	struct fuse_entry_param e;
	struct node *n = view_lookup(&fv->view, parent, name);

	memset(&e, 0, sizeof(e));
	__atomic_add_fetch(&fv->view.stats.lookups, 1, __ATOMIC_RELAXED);
	/* A negative answer is cached too (ino 0): the common case, a program
	 * that is not accelerated, costs one request per name, once. */
	e.entry_timeout = CACHE_SECONDS;
	e.attr_timeout = CACHE_SECONDS;
	if (!n) {
		__atomic_add_fetch(&fv->view.stats.negative, 1, __ATOMIC_RELAXED);
		fuse_reply_entry(req, &e);
		return;
	}
	__atomic_add_fetch(&n->lookups, 1, __ATOMIC_RELAXED);
	e.ino = n->ino;
	e.generation = 1;
	fill_attr(fv, n, &e.attr);
	fuse_reply_entry(req, &e);
}

static void fv_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fuseview *fv = fv_of(req);
	struct node *n = view_node(&fv->view, ino);
	struct stat st;

	(void)fi;
	__atomic_add_fetch(&fv->view.stats.getattrs, 1, __ATOMIC_RELAXED);
	if (!n) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_attr(fv, n, &st);
	fuse_reply_attr(req, &st, CACHE_SECONDS);
}

/* ENOSYS here makes the kernel stop sending opens for good (see fv_init);
 * kernels that cannot get an open with the page cache kept. */
static void fv_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fuseview *fv = fv_of(req);

	(void)ino;
	if (fv->no_open) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EROFS);
		return;
	}
	fi->keep_cache = 1;
	fuse_reply_open(req, fi);
}

static void fv_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fuseview *fv = fv_of(req);

	(void)ino;
	if (fv->no_open) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	fuse_reply_open(req, fi);
}

static void fv_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct fuseview *fv = fv_of(req);
	struct node *n = view_node(&fv->view, ino);
	char *buf;
	ssize_t got;

	(void)fi;
	if (!n || n->kind != NODE_FILE || n->why) {
		fuse_reply_err(req, n ? EISDIR : ENOENT);
		return;
	}
	if (off < 0 || size > READ_MAX) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	buf = malloc(size ? size : 1);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	got = view_read(n, buf, size, (uint64_t)off);
	if (got < 0) {
		fuse_reply_err(req, (int)-got);
	} else {
		__atomic_add_fetch(&fv->view.stats.reads, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&fv->view.stats.read_bytes, (uint64_t)got, __ATOMIC_RELAXED);
		__atomic_add_fetch(&n->reads, 1, __ATOMIC_RELAXED);
		fuse_reply_buf(req, buf, (size_t)got);
	}
	free(buf);
}

struct dirfill {
	fuse_req_t req;
	char *buf;
	size_t size, used;
};

static int dirfill_add(void *ctx, size_t index, const struct node *n)
{
	struct dirfill *d = ctx;
	struct stat st;
	size_t need;

	memset(&st, 0, sizeof(st));
	st.st_ino = n->ino;
	st.st_mode = n->kind == NODE_DIR ? S_IFDIR : n->kind == NODE_LINK ? S_IFLNK : S_IFREG;
	/* Offsets 1 and 2 are "." and ".."; entry i is at offset i + 3. */
	need = fuse_add_direntry(d->req, d->buf + d->used, d->size - d->used, n->name, &st,
				 (off_t)index + 3);
	if (need > d->size - d->used)
		return 1;
	d->used += need;
	return 0;
}

static void fv_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct fuseview *fv = fv_of(req);
	struct node *n = view_node(&fv->view, ino);
	struct dirfill d = {.req = req, .size = size};
	struct stat st;

	(void)fi;
	__atomic_add_fetch(&fv->view.stats.readdirs, 1, __ATOMIC_RELAXED);
	if (!n || n->kind != NODE_DIR) {
		fuse_reply_err(req, n ? ENOTDIR : ENOENT);
		return;
	}
	if (size > 1u << 20 || !(d.buf = malloc(size ? size : 1))) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFDIR;
	for (off_t o = off; o < 2; o++) {
		size_t need = fuse_add_direntry(req, d.buf + d.used, size - d.used,
						o ? ".." : ".", &st, o + 1);

		if (need > size - d.used)
			break;
		d.used += need;
	}
	view_list(&fv->view, ino, off > 2 ? (size_t)off - 2 : 0, dirfill_add, &d);
	fuse_reply_buf(req, d.buf, d.used);
	free(d.buf);
}

/* A link's target never changes under its inode (a new target is a new
 * node). The kernel asks each time (no FUSE_CAP_CACHE_SYMLINKS): links are
 * few (perl's Config files), and a later link may answer per caller. */
static void fv_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct fuseview *fv = fv_of(req);
	struct node *n = view_node(&fv->view, ino);

	if (!n || n->kind != NODE_LINK) {
		fuse_reply_err(req, n ? EINVAL : ENOENT);
		return;
	}
	fuse_reply_readlink(req, n->source);
}

static const struct fuse_lowlevel_ops fv_ops = {
	.init = fv_init,
	.lookup = fv_lookup,
	.getattr = fv_getattr,
	.open = fv_open,
	.opendir = fv_opendir,
	.read = fv_read,
	.readlink = fv_readlink,
	.readdir = fv_readdir,
};

/* ----------------------------------------------------------------- control */

struct reply {
	char *buf;
	size_t len;
};

__attribute__((format(printf, 2, 3))) static void say(struct reply *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->len >= CONTROL_MAX_REPLY - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(r->buf + r->len, CONTROL_MAX_REPLY - r->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->len += (size_t)n < CONTROL_MAX_REPLY - r->len ? (size_t)n
								 : CONTROL_MAX_REPLY - r->len - 1;
}

/* Tell the kernel which cached names changed. Called from the control
 * thread only: never from a request, so the kernel's directory locks that
 * a notification takes are never held by a request we would wait for. */
static void invalidate(struct fuseview *fv, const struct name_change *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = fuse_lowlevel_notify_inval_entry(fv->se, c[i].parent, c[i].name,
							 strlen(c[i].name));

		if (r && r != -ENOENT && fv->view.log)
			fprintf(fv->view.log, "invalidate %s: %s\n", c[i].name, strerror(-r));
	}
}

static long rss_kib(void)
{
	char buf[128];
	long pages = 0, resident = 0;
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (sscanf(buf, "%ld %ld", &pages, &resident) != 2)
		return -1;
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void cmd_reload(struct fuseview *fv, struct reply *r)
{
	struct view_refusal ref[64];
	struct name_change *changed = NULL;
	size_t nchanged = 0, nref = 0;
	int err = view_reload(&fv->view, &changed, &nchanged, ref, 64, &nref);

	if (err) {
		say(r, "error %s", strerror(-err));
		for (size_t i = 0; i < nref; i++)
			say(r, ": %s", ref[i].why);
		say(r, "\n");
		free(changed);
		return;
	}
	invalidate(fv, changed, nchanged);
	say(r, "ok generation=%llu files=%zu changed=%zu refused=%zu\n",
	    (unsigned long long)fv->view.snap->generation, fv->view.snap->nfiles, nchanged, nref);
	for (size_t i = 0; i < nref; i++)
		say(r, "refused /%s: %s\n", ref[i].view, ref[i].why);
	free(changed);
}

static void cmd_stats(struct fuseview *fv, struct reply *r)
{
	const struct view_stats *s = &fv->view.stats;
	uint64_t nn = __atomic_load_n(&fv->view.nnodes, __ATOMIC_ACQUIRE);

	pthread_mutex_lock(&fv->view.lock);
	say(r, AC_STAT_PID "=%ld\n" AC_STAT_GENERATION "=%llu\n" AC_STAT_FILES "=%zu\n",
	    (long)getpid(), (unsigned long long)fv->view.snap->generation, fv->view.snap->nfiles);
	pthread_mutex_unlock(&fv->view.lock);
	say(r,
	    AC_STAT_LOOKUPS "=%llu\n" AC_STAT_NEGATIVE "=%llu\n" AC_STAT_GETATTRS "=%llu\n"
	    AC_STAT_READS "=%llu\n" AC_STAT_READ_BYTES "=%llu\n" AC_STAT_READDIRS "=%llu\n"
	    AC_STAT_REFUSED "=%llu\n" AC_STAT_NODES "=%llu\n" AC_STAT_RSS_KIB "=%ld\n",
	    (unsigned long long)__atomic_load_n(&s->lookups, __ATOMIC_RELAXED),
	    (unsigned long long)__atomic_load_n(&s->negative, __ATOMIC_RELAXED),
	    (unsigned long long)__atomic_load_n(&s->getattrs, __ATOMIC_RELAXED),
	    (unsigned long long)__atomic_load_n(&s->reads, __ATOMIC_RELAXED),
	    (unsigned long long)__atomic_load_n(&s->read_bytes, __ATOMIC_RELAXED),
	    (unsigned long long)__atomic_load_n(&s->readdirs, __ATOMIC_RELAXED),
	    (unsigned long long)fv->view.refused, (unsigned long long)nn, rss_kib());
	for (uint64_t i = 0; i < nn; i++) {
		const struct node *n = view_node_at(&fv->view, i);
		uint64_t l = __atomic_load_n(&n->lookups, __ATOMIC_RELAXED);
		uint64_t rd = __atomic_load_n(&n->reads, __ATOMIC_RELAXED);

		if (n->kind == NODE_FILE && (l || rd))
			say(r, AC_STAT_NODE_PREFIX "lookups=%llu reads=%llu /%s\n", (unsigned long long)l,
			    (unsigned long long)rd, n->path);
	}
}

static void serve_client(struct fuseview *fv, int fd)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	struct reply r = {.len = 0};
	char cmd[AC_CONTROL_MAX_REQUEST + 1];
	ssize_t n;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 || cred.uid != 0)
		return; /* root only (the socket is 0600 too) */
	n = recv(fd, cmd, sizeof(cmd) - 1, 0);
	if (n <= 0)
		return;
	cmd[n] = '\0';
	if (!(r.buf = malloc(CONTROL_MAX_REPLY)))
		return;
	switch (ac_control_req_parse(cmd, (size_t)n)) {
	case AC_CONTROL_RELOAD:
		cmd_reload(fv, &r);
		break;
	case AC_CONTROL_STATS:
		cmd_stats(fv, &r);
		break;
	case AC_CONTROL_PING:
		say(&r, "ok pid=%ld\n", (long)getpid());
		break;
	default:
		cmd[strcspn(cmd, "\n")] = '\0';
		say(&r, "error unknown command '%.*s'\n", AC_CONTROL_MAX_REQUEST, cmd);
		break;
	}
	if (send(fd, r.buf, r.len, MSG_NOSIGNAL) < 0 && fv->view.log)
		fprintf(fv->view.log, "control reply: %s\n", strerror(errno));
	free(r.buf);
}

static void *control_thread(void *arg)
{
	struct fuseview *fv = arg;
	time_t next = 0;

	for (;;) {
		struct pollfd p = {.fd = fv->ctlfd, .events = POLLIN};
		time_t now = time(NULL);
		int timeout = next ? (int)(next > now ? (next - now) * 1000 : 0) : -1;
		int r = poll(&p, 1, timeout);

		if (r < 0 && errno != EINTR)
			break;
		if (r > 0) {
			int c = accept4(fv->ctlfd, NULL, NULL, SOCK_CLOEXEC);

			if (c >= 0) {
				serve_client(fv, c);
				close(c);
			}
		}
		/* Lingering libraries whose time is up leave the view. */
		{
			struct name_change *changed = NULL;
			size_t nchanged = 0;

			if (!view_expire(&fv->view, time(NULL), &changed, &nchanged, &next))
				invalidate(fv, changed, nchanged);
			free(changed);
		}
	}
	return NULL;
}

static int control_open(struct fuseview *fv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/" AC_CONTROL_SOCKET,
			     fv->statedir) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "accel-fuseview: %s/" AC_CONTROL_SOCKET ": path too long for a socket\n",
			fv->statedir);
		return -ENAMETOOLONG;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(sa.sun_path); /* a stale socket of a dead daemon */
	/* 0600 from birth: no window where others could connect. */
	mode_t old = umask(077);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));

	umask(old);
	if (r < 0 || listen(fd, 16) < 0) {
		r = -errno;
		fprintf(stderr, "accel-fuseview: control socket %s: %s\n", sa.sun_path,
			strerror(errno));
		close(fd);
		return r;
	}
	fv->ctlfd = fd;
	return 0;
}

/* -------------------------------------------------------------- privileges */

/* Once mounted, nothing needs a capability: store files are root's and
 * readable, the control socket exists. Drop them all, for good. */
static int drop_capabilities(void)
{
	cap_t none = cap_init();
	int r = 0;

	if (!none)
		return -errno;
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++)
		if (cap_drop_bound(c) < 0 && errno != EINVAL) {
			r = -errno;
			break;
		}
	if (!r && cap_reset_ambient() < 0 && errno != EINVAL)
		r = -errno;
	if (!r && cap_set_proc(none) < 0)
		r = -errno;
	cap_free(none);
	if (!r && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		r = -errno;
	return r;
}

static void scmp_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

/* What the daemon does after start-up, and nothing else: serve /dev/fuse,
 * read store files, answer on its control socket, log. No exec, no new
 * sockets or mounts, no ptrace. Anything else kills the daemon; the view
 * then fails closed (ENOTCONN), and the dispatcher falls back to qemu. */
static int install_seccomp(void)
{
	static const char *const allowed[] = {
		"read", "readv", "pread64", "write", "writev", "close", "lseek", "fcntl",
		"openat", "openat2", "fstat", "newfstatat", "statx",
		"mmap", "munmap", "mremap", "mprotect", "madvise", "brk",
		"futex", "poll", "ppoll", "accept", "accept4", "recvfrom", "recvmsg",
		"sendto", "sendmsg", "getsockopt",
		"rt_sigreturn", "rt_sigprocmask", "rt_sigaction", "restart_syscall",
		"clock_gettime", "clock_nanosleep", "nanosleep", "gettimeofday", "time",
		"getpid", "gettid", "tgkill", "getrandom", "sched_yield", "sched_getaffinity",
		"set_robust_list", "rseq", "exit", "exit_group",
		/* glibc: qsort sizes its buffer from sysinfo; sysconf reads limits */
		"sysinfo", "prlimit64", "getrlimit", "uname",
	};
	__attribute__((cleanup(scmp_releasep))) scmp_filter_ctx ctx =
		seccomp_init(SCMP_ACT_KILL_PROCESS);
	int r;

	if (!ctx)
		return -ENOMEM;
	/* Both threads get the filter. */
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)))
		return r;
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		int nr = seccomp_syscall_resolve_name(allowed[i]);

		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)))
			return r;
	}
	return seccomp_load(ctx);
}

/* ------------------------------------------------------------------- main */

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: accel-fuseview [-f] [-d] STATEDIR MOUNTPOINT\n"
		"Serve the host programs enabled for an armel root, read-only, at MOUNTPOINT\n"
		"(ROOT/lib-x86), as listed in STATEDIR/manifest. accel-bootstrap starts and\n"
		"stops it; accelctl changes what it serves (STATEDIR/control).\n"
		"\n"
		"  -f, --foreground   stay in the foreground (log to stderr)\n"
		"  -d, --debug        foreground, and log every FUSE request\n"
		"  -h, --help         show this help\n"
		"  -V, --version      show the version\n"
		"\n"
		"Exit status: 0 unmounted, 1 system error, 2 usage.\n");
}

struct fv_opts {
	int foreground, debug, help, version;
	char *args[3];
	int nargs;
};

static const struct fuse_opt fv_optspec[] = {
	{"-f", offsetof(struct fv_opts, foreground), 1},
	{"--foreground", offsetof(struct fv_opts, foreground), 1},
	{"-d", offsetof(struct fv_opts, debug), 1},
	{"--debug", offsetof(struct fv_opts, debug), 1},
	{"-h", offsetof(struct fv_opts, help), 1},
	{"--help", offsetof(struct fv_opts, help), 1},
	{"-V", offsetof(struct fv_opts, version), 1},
	{"--version", offsetof(struct fv_opts, version), 1},
	FUSE_OPT_END,
};

static int fv_optproc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	struct fv_opts *o = data;

	(void)outargs;
	if (key == FUSE_OPT_KEY_NONOPT) {
		if (o->nargs >= 2) {
			fprintf(stderr, "accel-fuseview: unexpected argument '%s'; give STATEDIR "
					"MOUNTPOINT\n", arg);
			return -1;
		}
		o->args[o->nargs++] = strdup(arg);
		return 0;
	}
	fprintf(stderr, "accel-fuseview: unknown option '%s'; see --help\n", arg);
	return -1;
}

/* ------------------------------------------------------------------ serve */

/* Mount options: read-only, no setuid, no devices, visible to every user of
 * the root (allow_other), permissions checked by the kernel from our modes. */
#define FV_SOURCE "accel-view"
#define FV_TYPE "fuse.accel"
#define FV_KERNEL_OPTIONS "allow_other,default_permissions"
#define FV_FLAGS (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOATIME)

/* Requests the kernel wants no reply to. */
static int no_reply(uint32_t opcode)
{
	return opcode == FUSE_FORGET || opcode == FUSE_BATCH_FORGET || opcode == FUSE_INTERRUPT;
}

/*
 * A server that follows a dead one (keeper.h): the kernel's INIT happened
 * once, long ago, so hand libfuse a copy (its reply finds no one waiting:
 * ENOENT, which libfuse ignores) to get the same session. Then answer the
 * request the dead server took and never answered. A request that a
 * server already started on and died again is answered EIO: it kills
 * servers, and one program failing is better than every later one.
 */
static void carry_resume(struct fuseview *fv, const struct keeper_conn *conn)
{
	struct keeper_carry *c = conn->carry;
	const struct fuse_in_header *in = (const void *)c->buf;
	int taken = !c->answered && in->unique && in->len >= sizeof(*in) &&
		    in->len <= sizeof(c->buf);

	if (taken && in->opcode == FUSE_INIT && !c->init_len && in->len <= sizeof(c->init)) {
		/* The first server died on INIT: the kernel still waits. */
		memcpy(c->init, c->buf, in->len);
		c->init_len = in->len;
		taken = 0;
	}
	if (c->init_len) {
		unsigned char init[sizeof(c->init)];
		struct fuse_buf fb = {.mem = init, .size = c->init_len};

		memcpy(init, c->init, c->init_len);
		fuse_session_process_buf(fv->se, &fb);
	}
	if (!taken) {
		c->answered = 1;
		return;
	}
	if (c->tries++ == 0) {
		struct fuse_buf fb = {.mem = c->buf, .size = in->len};

		fprintf(fv->log, "accel-fuseview: answering request %llu (opcode %u) of the "
				 "server before\n", (unsigned long long)in->unique, in->opcode);
		fuse_session_process_buf(fv->se, &fb);
	} else if (!no_reply(in->opcode)) {
		struct fuse_out_header out = {
			.len = sizeof(out), .error = -EIO, .unique = in->unique};

		fprintf(fv->log, "accel-fuseview: request %llu (opcode %u) killed a server: "
				 "answered EIO\n", (unsigned long long)in->unique, in->opcode);
		if (write(conn->fd, &out, sizeof(out)) < 0 && errno != ENOENT)
			fprintf(fv->log, "accel-fuseview: reply: %s\n", strerror(errno));
	}
	c->answered = 1;
}

/* libfuse's fuse_session_loop, reading into the carry when there is one. */
static int serve_loop(struct fuseview *fv, struct keeper_carry *c)
{
	struct fuse_buf fb = {.mem = c ? c->buf : NULL};
	struct fuse_in_header *in = c ? (void *)c->buf : NULL;
	int r = 0;

	while (!fuse_session_exited(fv->se)) {
		if (c) {
			/* A header after the read: the request is ours. */
			memset(in, 0, sizeof(*in));
			c->tries = 0;
			__atomic_store_n(&c->answered, 0, __ATOMIC_RELEASE);
		}
		r = fuse_session_receive_buf(fv->se, &fb);
		if (r == -EINTR)
			continue;
		if (r <= 0)
			break;
		if (c && in->opcode == FUSE_INIT && !c->init_len && (size_t)r <= sizeof(c->init)) {
			memcpy(c->init, c->buf, (size_t)r);
			c->init_len = (uint32_t)r;
		}
		fuse_session_process_buf(fv->se, &fb);
		if (c)
			__atomic_store_n(&c->answered, 1, __ATOMIC_RELEASE);
	}
	if (c)
		c->answered = 1;
	else
		free(fb.mem);
	return r > 0 ? 0 : r;
}

/*
 * The server (keeper.h): everything from reading the manifest to serving.
 * Runs in a child of the keeper, once per start of the view, on the
 * keeper's connection; with -d, alone, mounting the view itself.
 */
static int serve(void *arg, int up, const struct keeper_conn *conn)
{
	struct fuseview *fv = arg;
	struct fuse_args mount_args = FUSE_ARGS_INIT(0, NULL);
	FILE *log = fv->log;
	char path[4096];
	pthread_t ctl;
	int err, ret = FV_FAILURE;

	snprintf(path, sizeof(path), "%s/" AC_STATE_MANIFEST, fv->statedir);
	if (view_init(&fv->view, path, log))
		return FV_FAILURE;
	{
		struct view_refusal ref[64];
		struct name_change *changed = NULL;
		size_t nchanged, nref = 0;

		err = view_reload(&fv->view, &changed, &nchanged, ref, 64, &nref);
		free(changed);
		if (err) {
			fprintf(log, "accel-fuseview: %s: %s\n", path,
				nref ? ref[0].why : strerror(-err));
			return FV_FAILURE;
		}
		for (size_t i = 0; i < nref; i++)
			fprintf(log, "accel-fuseview: refused /%s: %s\n", ref[i].view, ref[i].why);
	}
	if (control_open(fv))
		return FV_FAILURE;

	if (fuse_opt_add_arg(&mount_args, "accel-fuseview") ||
	    fuse_opt_add_arg(&mount_args, "-o") ||
	    fuse_opt_add_arg(&mount_args, "ro,nosuid,nodev,noatime," FV_KERNEL_OPTIONS
					  ",fsname=" FV_SOURCE ",subtype=accel") ||
	    (fv->debug && fuse_opt_add_arg(&mount_args, "-d")))
		return FV_FAILURE;
	fv->se = fuse_session_new(&mount_args, &fv_ops, sizeof(fv_ops), fv);
	if (!fv->se)
		return FV_FAILURE;
	/* /dev/fd/N: libfuse takes the keeper's mounted connection as is. */
	if (conn)
		snprintf(path, sizeof(path), "/dev/fd/%d", conn->fd);
	if (fuse_session_mount(fv->se, conn ? path : fv->mountpoint)) {
		fprintf(log, "accel-fuseview: cannot mount on %s\n", fv->mountpoint);
		goto out_destroy;
	}
	if (fuse_set_signal_handlers(fv->se))
		goto out_unmount;
	if ((err = drop_capabilities())) {
		fprintf(log, "accel-fuseview: drop capabilities: %s\n", strerror(-err));
		goto out_unmount;
	}
	if ((err = pthread_create(&ctl, NULL, control_thread, fv))) {
		fprintf(log, "accel-fuseview: control thread: %s\n", strerror(err));
		goto out_unmount;
	}
	if ((err = install_seccomp())) {
		fprintf(log, "accel-fuseview: seccomp: %s\n", strerror(-err));
		goto out_unmount;
	}
	if (conn)
		carry_resume(fv, conn);
	keeper_mounted(up);
	fprintf(log, "accel-fuseview: serving %s (%zu files, pid %ld)\n", fv->mountpoint,
		fv->view.snap->nfiles, (long)getpid());
	err = serve_loop(fv, conn ? conn->carry : NULL);
	/* Unmounted (teardown) or told to stop (SIGTERM, SIGINT, SIGHUP): a
	 * normal end. */
	ret = err && err != -EINTR && !fuse_session_exited(fv->se) ? FV_FAILURE : FV_OK;
	fprintf(log, "accel-fuseview: %s is gone or stopped (%s); exiting\n", fv->mountpoint,
		err ? strerror(err < 0 ? -err : err) : "unmounted");
	/* No capability is left to unmount with: accel-bootstrap --teardown
	 * unmounts, which is what ends the loop (or the keeper, told to
	 * stop). Exit without the thread. */
	fflush(log);
	_exit(ret);
out_unmount:
	fuse_session_unmount(fv->se);
out_destroy:
	fuse_session_destroy(fv->se);
	return ret;
}

/*
 * Leave the caller (accel-bootstrap) once the view is mounted, as a daemon:
 * the parent waits on a pipe for the keeper's byte and exits 0, or 1 when
 * the pipe closes without one. Returns the write end in the daemon.
 */
static int detach_from_caller(void)
{
	int p[2], null;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		fprintf(stderr, "accel-fuseview: daemon: %s\n", strerror(errno));
		return -1;
	}
	if (pid > 0) {
		char c;
		ssize_t n;

		close(p[1]);
		while ((n = read(p[0], &c, 1)) < 0 && errno == EINTR)
			;
		_exit(n == 1 ? FV_OK : FV_FAILURE);
	}
	close(p[0]);
	if (setsid() < 0 || chdir("/") < 0)
		return -1;
	/* A daemon keeps no terminal: its messages go to the log. */
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0 ||
	    dup2(null, STDERR_FILENO) < 0) {
		close(p[1]);
		return -1;
	}
	close(null);
	return p[1];
}

/*
 * A daemon keeps none of its caller's files: a pipe its caller reads to the
 * end (out=$(accel-bootstrap ...)) would never end, a lock its caller took
 * would never be released. Only the mount point may be one, given as
 * /proc/self/fd/N (accel-bootstrap mounts through the directory it opened).
 */
static void close_inherited(const char *mountpoint)
{
	static const char fdpath[] = "/proc/self/fd/";
	unsigned keep = 0;

	if (!strncmp(mountpoint, fdpath, sizeof(fdpath) - 1)) {
		char *end;
		unsigned long n = strtoul(mountpoint + sizeof(fdpath) - 1, &end, 10);

		if (!*end && n >= 3 && n < 1u << 20)
			keep = (unsigned)n;
	}
	if (keep) {
		if (keep > 3)
			close_range(3, keep - 1, 0);
		close_range(keep + 1, ~0U, 0);
	} else {
		close_range(3, ~0U, 0);
	}
}

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fv_opts o = {0};
	static struct fuseview fv; /* static: reached by fuse_req_userdata only */
	struct keeper k = {.notify = -1, .serve = serve, .arg = &fv};
	char path[4096];
	FILE *log;

	if (fuse_opt_parse(&args, &o, fv_optspec, fv_optproc) < 0)
		return FV_USAGE;
	if (o.help) {
		usage(stdout);
		return FV_OK;
	}
	if (o.version) {
		printf("accel-fuseview %s (libfuse %s)\n", PACKAGE_VERSION, fuse_pkgversion());
		return FV_OK;
	}
	if (o.nargs != 2 || o.args[0][0] != '/' || o.args[1][0] != '/') {
		fprintf(stderr, "accel-fuseview: give STATEDIR and MOUNTPOINT as absolute paths; "
				"see --help\n");
		return FV_USAGE;
	}
	/* One open store file per served file: take what the system allows. */
	{
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	close_inherited(o.args[1]);
	fv.statedir = o.args[0];
	fv.mountpoint = o.args[1];
	fv.foreground = o.foreground || o.debug;
	fv.debug = o.debug;
	fv.started = time(NULL);
	fv.ctlfd = -1;

	if (fv.foreground) {
		log = stderr;
	} else {
		snprintf(path, sizeof(path), "%s/" AC_STATE_LOG, fv.statedir);
		log = fopen(path, "ae");
		if (!log) {
			fprintf(stderr, "accel-fuseview: log %s: %s\n", path, strerror(errno));
			return FV_FAILURE;
		}
		setvbuf(log, NULL, _IOLBF, 0);
	}
	fv.log = log;
	/* -d: one server in the foreground, nobody keeping it. */
	if (fv.debug)
		return serve(&fv, -1, NULL);
	if (!fv.foreground && (k.notify = detach_from_caller()) < 0)
		return FV_FAILURE;
	snprintf(path, sizeof(path), "%s/" AC_STATE_PID, fv.statedir);
	{
		FILE *pf = fopen(path, "we");

		if (pf) {
			fprintf(pf, "%ld\n", (long)getpid());
			fclose(pf);
		}
	}
	k.mountpoint = fv.mountpoint;
	k.source = FV_SOURCE;
	k.type = FV_TYPE;
	k.options = FV_KERNEL_OPTIONS;
	k.flags = FV_FLAGS;
	k.log = log;
	return keeper_run(&k);
}
