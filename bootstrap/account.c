// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * account.c: `accelctl account -- COMMAND...`: run a command (a build) and
 * report which programs of its process tree ran emulated and which natively,
 * how many times, and how much CPU time they took.
 *
 * The kernel's taskstats interface (generic netlink family TASKSTATS) sends
 * one record per exiting task to listeners registered for a CPU mask: the
 * task's comm (for an exec through binfmt_misc, the armel program's name,
 * not qemu's), its parent, user and system CPU in microseconds, and since
 * version 13 the device and inode of the file it was executing. That last
 * field says where a process ran: the root's view (native), a qemu-arm
 * (emulated) or anything else. BSD process accounting was the other choice:
 * it has no executable identity and rounds CPU time to 10 ms, which is most
 * of a short sed. See kbuild-notes/taskstats.md.
 *
 * The command runs as a child with accelctl as its subreaper, so daemons it
 * leaves (fakeroot's faked) are still counted as its own.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/taskstats.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accel/account.h"
#include "accel/rootstate.h"
#include "accel/route.h"
#include "accel/util.h"
#include "account.h"

#define FUSE_MAGIC 0x65735546

struct collector {
	int fd;
	uint16_t family;
	struct ac_account acct;
	atomic_int stop;
	uint64_t lost;     /* records the socket dropped (ENOBUFS) */
	int oom;
};

#define NLA_DATA(na) ((void *)((uintptr_t)(na) + NLA_HDRLEN))

static int nl_send(int fd, uint16_t type, uint8_t cmd, uint16_t attr, const void *data,
		   size_t len)
{
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		char buf[256];
	} req = {0};
	struct nlattr *na = (struct nlattr *)req.buf;
	struct sockaddr_nl to = {.nl_family = AF_NETLINK};

	if (len > sizeof(req.buf) - NLA_HDRLEN)
		return -EINVAL;
	req.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	req.n.nlmsg_type = type;
	req.n.nlmsg_flags = NLM_F_REQUEST;
	req.n.nlmsg_pid = (uint32_t)getpid();
	req.g.cmd = cmd;
	req.g.version = 1;
	na->nla_type = attr;
	na->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy(NLA_DATA(na), data, len);
	req.n.nlmsg_len += NLA_ALIGN(na->nla_len);
	if (sendto(fd, &req, req.n.nlmsg_len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}

/* The generic netlink family id of TASKSTATS. */
static int taskstats_family(int fd)
{
	char buf[4096];
	ssize_t n;
	int r = nl_send(fd, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, CTRL_ATTR_FAMILY_NAME,
			TASKSTATS_GENL_NAME, sizeof(TASKSTATS_GENL_NAME));

	if (r)
		return r;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0)
		return -errno;
	for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
	     h = NLMSG_NEXT(h, n)) {
		struct nlattr *na;
		int len;

		if (h->nlmsg_type == NLMSG_ERROR)
			return ((struct nlmsgerr *)NLMSG_DATA(h))->error ?: -EPROTO;
		na = (struct nlattr *)((char *)NLMSG_DATA(h) + GENL_HDRLEN);
		len = (int)h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
		while (len >= NLA_HDRLEN && na->nla_len >= NLA_HDRLEN && na->nla_len <= len) {
			if (na->nla_type == CTRL_ATTR_FAMILY_ID)
				return *(uint16_t *)NLA_DATA(na);
			len -= NLA_ALIGN(na->nla_len);
			na = (struct nlattr *)((char *)na + NLA_ALIGN(na->nla_len));
		}
	}
	return -ENOENT;
}

static void take_stats(struct collector *c, const struct nlattr *na)
{
	struct taskstats ts = {0};
	struct ac_task t = {0};
	size_t len = na->nla_len - NLA_HDRLEN;

	memcpy(&ts, NLA_DATA(na), len < sizeof(ts) ? len : sizeof(ts));
	t.pid = ts.ac_pid;
	t.tgid = ts.version >= 11 ? ts.ac_tgid : ts.ac_pid;
	t.ppid = ts.ac_ppid;
	t.btime = ts.version >= 9 ? ts.ac_btime64 : ts.ac_btime;
	t.utime = ts.ac_utime;
	t.stime = ts.ac_stime;
	if (ts.version >= 13) {
		t.exe_dev = ts.ac_exe_dev;
		t.exe_ino = ts.ac_exe_inode;
	}
	memcpy(t.comm, ts.ac_comm, sizeof(t.comm) - 1);
	if (ac_account_add(&c->acct, &t))
		c->oom = 1;
}

static void parse(struct collector *c, const char *buf, ssize_t n)
{
	for (const struct nlmsghdr *h = (const struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
	     h = NLMSG_NEXT(h, n)) {
		const struct nlattr *na;
		int len;

		if (h->nlmsg_type != c->family)
			continue;
		na = (const struct nlattr *)((const char *)NLMSG_DATA(h) + GENL_HDRLEN);
		len = (int)h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
		while (len >= NLA_HDRLEN && na->nla_len >= NLA_HDRLEN && na->nla_len <= len) {
			/* Per-task records only: the thread-group aggregate sent
			 * at group exit carries no CPU times. */
			if (na->nla_type == TASKSTATS_TYPE_AGGR_PID) {
				const struct nlattr *in = NLA_DATA(na);
				int inlen = na->nla_len - NLA_HDRLEN;

				while (inlen >= NLA_HDRLEN && in->nla_len >= NLA_HDRLEN &&
				       in->nla_len <= inlen) {
					if (in->nla_type == TASKSTATS_TYPE_STATS)
						take_stats(c, in);
					inlen -= NLA_ALIGN(in->nla_len);
					in = (const struct nlattr *)((const char *)in +
								     NLA_ALIGN(in->nla_len));
				}
			}
			len -= NLA_ALIGN(na->nla_len);
			na = (const struct nlattr *)((const char *)na + NLA_ALIGN(na->nla_len));
		}
	}
}

static void *reader(void *arg)
{
	struct collector *c = arg;
	static char buf[1 << 16];

	for (;;) {
		int stopping = atomic_load(&c->stop);
		ssize_t n = recv(c->fd, buf, sizeof(buf), stopping ? MSG_DONTWAIT : 0);

		if (n > 0) {
			parse(c, buf, n);
			continue;
		}
		if (n < 0 && errno == ENOBUFS) {
			c->lost++;
			continue;
		}
		if (n < 0 && (errno == EINTR || (errno == EAGAIN && !stopping)))
			continue;
		if (stopping || n == 0 || errno != EAGAIN)
			break;
	}
	return NULL;
}

static int collector_start(struct collector *c)
{
	struct sockaddr_nl local = {.nl_family = AF_NETLINK};
	struct timeval tv = {.tv_usec = 100000};
	char mask[64] = "0";
	int size = 64 << 20, r;
	FILE *f;

	c->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (c->fd < 0)
		return -errno;
	/* Bursts of exits must not overflow the socket: 64 MiB (root). */
	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	/* A timeout lets the reader see the stop flag. */
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(c->fd, (struct sockaddr *)&local, sizeof(local)) < 0)
		return -errno;
	r = taskstats_family(c->fd);
	if (r < 0)
		return r;
	c->family = (uint16_t)r;
	if ((f = fopen("/sys/devices/system/cpu/possible", "re"))) {
		if (!fgets(mask, sizeof(mask), f))
			snprintf(mask, sizeof(mask), "0");
		mask[strcspn(mask, "\n")] = '\0';
		fclose(f);
	}
	return nl_send(c->fd, c->family, TASKSTATS_CMD_GET, TASKSTATS_CMD_ATTR_REGISTER_CPUMASK,
		       mask, strlen(mask) + 1);
}

/* ------------------------------------------------------ classification */

static void rule_file(struct ac_account *a, const char *path, int kind)
{
	struct stat st;

	if (stat(path, &st) == 0)
		ac_account_rule(a, st.st_dev, st.st_ino, kind);
}

/* The qemu of Debian's binfmt entry, if registered. */
static void rule_binfmt_qemu(struct ac_account *a)
{
	char line[512];
	FILE *f = fopen("/proc/sys/fs/binfmt_misc/qemu-arm", "re");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "interpreter ", 12)) {
			line[strcspn(line, "\n")] = '\0';
			rule_file(a, line + 12, AC_RUN_EMULATED);
		}
	if (f)
		fclose(f);
}

struct root_rules {
	struct ac_account *a;
	int nviews;
};

/* A set-up root: its view is native, its qemu emulated. */
static int rule_root(void *ctx, const char *root, const char *dir)
{
	struct root_rules *rr = ctx;
	char path[PATH_MAX + 64];
	struct statfs sf;
	struct stat st;

	snprintf(path, sizeof(path), "%s/qemu-arm-static", dir);
	rule_file(rr->a, path, AC_RUN_EMULATED);
	snprintf(path, sizeof(path), "%s%s", root, AC_VIEW_DIR);
	if (statfs(path, &sf) || sf.f_type != FUSE_MAGIC || stat(path, &st))
		return 0;
	/* the view's qemu (also its .accel/as/NAME: the same inode) */
	snprintf(path, sizeof(path), "%s%s", root, AC_VIEW_QEMU);
	rule_file(rr->a, path, AC_RUN_EMULATED);
	ac_account_rule(rr->a, st.st_dev, 0, AC_RUN_NATIVE);
	rr->nviews++;
	return 0;
}

/* How each executable counts; returns how many views were found. */
static int rules(struct ac_account *a, const char *state_dir)
{
	struct root_rules rr = {.a = a};
	struct stat st;
	int fd;

	rule_file(a, AC_DEBIAN_QEMU, AC_RUN_EMULATED);
	rule_binfmt_qemu(a);
	ac_roots_each(state_dir, rule_root, &rr);
	/* The dispatcher's carried qemu runs from a memfd: every memfd lives
	 * on the kernel's one internal shmem mount. */
	fd = memfd_create("accel-account", MFD_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0)
		ac_account_rule(a, st.st_dev, 0, AC_RUN_EMULATED);
	if (fd >= 0)
		close(fd);
	return rr.nviews;
}

/* --------------------------------------------------------------- report */

static void report(FILE *out, const struct ac_account *a, unsigned top, uint64_t lost,
		   int nviews)
{
	uint64_t all = 0, runs = 0;

	for (int k = 0; k < AC_RUN_KINDS; k++) {
		all += a->cpu_us[k];
		runs += a->runs[k];
	}
	fprintf(out, "accelctl account: %llu processes, %.1f s CPU:",
		(unsigned long long)runs, (double)all / 1e6);
	static const int order[] = {AC_RUN_EMULATED, AC_RUN_NATIVE, AC_RUN_OTHER};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		int kind = order[i];

		fprintf(out, " %s %.1f s (%.1f%%, %llu runs)%s", ac_run_kind_name[kind],
			(double)a->cpu_us[kind] / 1e6,
			all ? 100.0 * (double)a->cpu_us[kind] / (double)all : 0.0,
			(unsigned long long)a->runs[kind], i + 1 < sizeof(order) / sizeof(order[0]) ? "," : "\n");
	}
	if (!nviews)
		fprintf(out, "accelctl account: no set-up root's view is mounted; nothing can "
			     "count as native\n");
	if (lost)
		fprintf(out, "accelctl account: the kernel dropped %llu batches of records; "
			     "totals are low\n",
			(unsigned long long)lost);
	for (int k = AC_RUN_EMULATED; k <= AC_RUN_NATIVE; k++) {
		unsigned shown = 0;

		fprintf(out, "top %s:%s\n", ac_run_kind_name[k],
			k == AC_RUN_EMULATED ? " (accelctl enable NAME runs NAME natively)" : "");
		fprintf(out, "  %9s %6s %7s  %s\n", "cpu s", "share", "runs", "program");
		for (size_t i = 0; i < a->nprog && shown < top; i++) {
			const struct ac_prog_total *p = &a->prog[i];

			if (p->kind != k)
				continue;
			fprintf(out, "  %9.2f %5.1f%% %7llu  %s\n", (double)p->cpu_us / 1e6,
				all ? 100.0 * (double)p->cpu_us / (double)all : 0.0,
				(unsigned long long)p->runs, p->comm);
			shown++;
		}
	}
}

static void write_tsv(FILE *f, const struct ac_account *a)
{
	fprintf(f, "pid\ttgid\tppid\tkind\tutime_us\tstime_us\texe_dev\texe_ino\tcomm\n");
	for (size_t i = 0; i < a->n; i++) {
		const struct ac_task *t = &a->t[i];

		if (t->member <= 0)
			continue;
		fprintf(f, "%u\t%u\t%u\t%s\t%llu\t%llu\t%u:%u\t%llu\t%s\n", t->pid, t->tgid,
			t->ppid, ac_run_kind_name[t->kind], (unsigned long long)t->utime,
			(unsigned long long)t->stime, major(t->exe_dev), minor(t->exe_dev),
			(unsigned long long)t->exe_ino, t->comm);
	}
}

static void usage_account(FILE *out)
{
	fprintf(out,
		"Usage: accelctl account [-n N] [-o FILE] [--tsv FILE] -- COMMAND [ARG]...\n"
		"Run COMMAND and report, for its whole process tree, which programs ran\n"
		"emulated (qemu-arm) and which natively (a root's view), how many times, and\n"
		"their CPU time, largest first (kernel taskstats).\n"
		"  -n, --top N       programs shown per kind (default 15)\n"
		"  -o, --output FILE the report goes to FILE (default: standard error)\n"
		"      --tsv FILE    also write one line per task to FILE\n"
		"Exit status: COMMAND's (128+N if a signal N ended it); 1 if accounting could\n"
		"not start; 2 usage.\n");
}

int accel_account(const char *state_dir, int argc, char **argv)
{
	static const struct option opts[] = {
		{"top", required_argument, NULL, 'n'},
		{"output", required_argument, NULL, 'o'},
		{"tsv", required_argument, NULL, 'T'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct collector c = {.fd = -1};
	const char *output = NULL, *tsv = NULL;
	unsigned top = 15;
	pthread_t th;
	FILE *out = stderr;
	pid_t child;
	int ch, status = 0, nviews = 0, r, pipefd[2];
	char *end;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "+n:o:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			errno = 0;
			top = (unsigned)strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || top > 100000)
				ac_die(AC_EXIT_USAGE, "--top %s: give a number of programs", optarg);
			break;
		case 'o':
			output = optarg;
			break;
		case 'T':
			tsv = optarg;
			break;
		case 'h':
			usage_account(stdout);
			return AC_EXIT_OK;
		default:
			fprintf(stderr, "Try 'accelctl account --help'.\n");
			return AC_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		ac_die(AC_EXIT_USAGE, "account: give a command to run after --");
	if (output && !(out = fopen(output, "we")))
		ac_die_errno(AC_EXIT_USAGE, errno, "--output %s", output);

	if ((r = collector_start(&c)) < 0)
		ac_die_errno(AC_EXIT_FAILURE, -r,
			     "cannot listen to the kernel's taskstats (CONFIG_TASKSTATS, root)");
	nviews = rules(&c.acct, state_dir);
	if (pthread_create(&th, NULL, reader, &c))
		ac_die(AC_EXIT_FAILURE, "cannot start the taskstats reader thread");
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	/* The child waits for the go: its own exec must be counted too. */
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		ac_die_errno(AC_EXIT_FAILURE, errno, "pipe");
	child = fork();
	if (child < 0)
		ac_die_errno(AC_EXIT_FAILURE, errno, "fork");
	if (child == 0) {
		char go;

		close(pipefd[1]);
		if (read(pipefd[0], &go, 1) != 1)
			_exit(127);
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "accelctl account: %s: %s\n", argv[optind], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	close(pipefd[0]);
	if (write(pipefd[1], "g", 1) != 1)
		ac_die_errno(AC_EXIT_FAILURE, errno, "start %s", argv[optind]);
	close(pipefd[1]);
	/* Signals of the terminal go to the command; accelctl reports. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	/* Orphans reparented to us and already gone: reap them. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	atomic_store(&c.stop, 1);
	pthread_join(th, NULL);
	close(c.fd);
	if (c.oom || ac_account_finish(&c.acct, (uint32_t)getpid()))
		ac_die(AC_EXIT_FAILURE, "out of memory while accounting");
	report(out, &c.acct, top, c.lost, nviews);
	if (out != stderr)
		fclose(out);
	if (tsv) {
		FILE *f = fopen(tsv, "we");

		if (!f)
			ac_die_errno(AC_EXIT_FAILURE, errno, "--tsv %s", tsv);
		write_tsv(f, &c.acct);
		fclose(f);
	}
	ac_account_free(&c.acct);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
