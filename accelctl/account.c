// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * accelctl/account.c: `accelctl account -- COMMAND...`: run a command (a build) and
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

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accel/account/account.h"
#include "accel/account/taskstats.h"
#include "accel/base/spawn.h"
#include "accel/base/util.h"
#include "accel/exec/layout.h"
#include "accel/exec/canon.h"
#include "accel/root/binfmt.h"
#include "accel/root/rootdb.h"
#include "accel/store/store.h"
#include "accel/state/defaults.h"
#include "accel/state/rootstate.h"
#include "accel/view/plan.h"
#include "commands.h"


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
	struct ac_binfmt_entry e;

	if (!ac_binfmt_read(AC_BINFMT_DIR, AC_DEBIAN_BINFMT_NAME, &e))
		rule_file(a, e.interpreter, AC_RUN_EMULATED);
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

	snprintf(path, sizeof(path), "%s/" AC_STATE_QEMU, dir);
	rule_file(rr->a, path, AC_RUN_EMULATED);
	snprintf(path, sizeof(path), "%s%s", root, AC_VIEW_DIR);
	if (statfs(path, &sf) || sf.f_type != FUSE_SUPER_MAGIC || stat(path, &st))
		return 0;
	/* the view's qemu (also its .accel/as/NAME: the same inode) */
	snprintf(path, sizeof(path), "%s%s", root, AC_VIEW_QEMU);
	rule_file(rr->a, path, AC_RUN_EMULATED);
	/* and its other file, for runs that load code the build made */
	snprintf(path, sizeof(path), "%s%s", root, AC_VIEW_QEMU_MADE);
	rule_file(rr->a, path, AC_RUN_EMULATED_MADE);
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

/* ------------------------------------------------------------ origins */

/*
 * An emulated program is either one of a root's packaged programs, which a
 * host build could replace (accelctl enable), or one the build made and
 * ran itself (a test suite, a generator), which only qemu can run. The
 * record names it by comm only (15 bytes, the file's base name), so each
 * set-up root's packaged programs are listed by that name: those in the
 * bin directories, then the compiler's own. A root is listed when account
 * first sees it, while the command runs: a schroot session's root is gone
 * by the time the report is written. Nothing of a root is kept open (an
 * open directory would keep schroot from unmounting the session).
 */
#define MAX_ROOTS 64
#define COMM_MAX 15 /* TASK_COMM_LEN - 1: a longer name arrives cut */

struct known {
	char comm[COMM_MAX + 1];
	char *path, *pkg, *version; /* the canonical path, its package */
	int toolchain, compiler, in_store, assembler;
	size_t root;
};

struct origins {
	char *root[MAX_ROOTS];
	size_t n;
	struct known *k;
	size_t nk, cap;
};

static int known_add(struct origins *o, const char *comm, const char *path,
		     const struct ac_pkg *pkg, int compiler, const char *store)
{
	struct known *k;
	char dir[1024], full[PATH_MAX + 1024];
	struct stat st;

	/* The compiler's programs, named in /usr/bin already (ld, ar): what
	 * would run them natively is the compiler's line. */
	for (size_t i = 0; compiler && i < o->nk; i++)
		if (o->k[i].root == o->n && !strcmp(o->k[i].path, path))
			o->k[i].compiler = 1;
	for (size_t i = 0; i < o->nk; i++)
		if (o->k[i].root == o->n && !strncmp(o->k[i].comm, comm, COMM_MAX))
			return 0; /* an earlier directory's program of that name */
	if (o->nk == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 256;
		struct known *nk = realloc(o->k, cap * sizeof(*nk));

		if (!nk)
			return -ENOMEM;
		o->k = nk;
		o->cap = cap;
	}
	k = &o->k[o->nk];
	memset(k, 0, sizeof(*k));
	snprintf(k->comm, sizeof(k->comm), "%s", comm);
	k->path = strdup(path);
	k->pkg = strdup(pkg->name);
	k->version = strdup(pkg->version);
	if (!k->path || !k->pkg || !k->version) {
		free(k->path);
		free(k->pkg);
		free(k->version);
		return -ENOMEM;
	}
	k->toolchain = pkg->toolchain;
	k->compiler = compiler;
	k->assembler = ac_plan_served32(pkg->name, path);
	ac_store_pkgdir(pkg, dir, sizeof(dir));
	snprintf(full, sizeof(full), "%s/%s", store, dir);
	k->in_store = store[0] && !stat(full, &st);
	k->root = o->n;
	o->nk++;
	return 0;
}

/* The packaged armel programs of db in directory dir of the root. */
static void list_dir(struct origins *o, const struct ac_rootdb *db, const char *dir,
		     const char *store)
{
	char try[PATH_MAX], canon[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int fd = openat(db->rootfd, dir + 1, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		struct ac_pkg *p = NULL;

		if (de->d_name[0] == '.')
			continue;
		snprintf(try, sizeof(try), "%s/%s", dir, de->d_name);
		if (ac_canon(db->rootfd, "/", try, canon, sizeof(canon)) > 0 &&
		    !ac_program_check(db, canon, &p, NULL) && known_add(o, de->d_name, canon, p, 0, store))
			break;
	}
	closedir(d);
}

static int open_origin(void *ctx, const char *root, const char *dir)
{
	static const char *const bins[] = {"/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/games"};
	struct origins *o = ctx;
	struct ac_rootdb db;
	char buf[PATH_MAX], store[PATH_MAX] = "";
	char **cc = NULL;
	size_t ncc = 0;
	struct ac_pkg *gcc;
	FILE *f;

	for (size_t i = 0; i < o->n; i++)
		if (!strcmp(o->root[i], root))
			return 0; /* listed already */
	if (o->n >= MAX_ROOTS || ac_rootdb_open(&db, root, NULL))
		return 0;
	snprintf(buf, sizeof(buf), "%s/" AC_STATE_STORE, dir);
	if ((f = fopen(buf, "re"))) {
		if (fgets(store, sizeof(store), f))
			store[strcspn(store, "\n")] = '\0';
		fclose(f);
	}
	for (size_t i = 0; i < sizeof(bins) / sizeof(bins[0]); i++)
		list_dir(o, &db, bins[i], store);
	if (ac_rootdb_compiler(&db, &cc, &ncc, &gcc) >= 0)
		for (size_t i = 0; i < ncc; i++) {
			struct ac_pkg *p = NULL;

			if (!ac_program_check(&db, cc[i], &p, NULL))
				known_add(o, strrchr(cc[i], '/') + 1, cc[i], p, 1, store);
		}
	ac_strv_free(cc, ncc);
	ac_rootdb_close(&db);
	if ((o->root[o->n] = strdup(root)))
		o->n++;
	return 0;
}

/* Which root program an emulated comm is; NULL: none (the build's own).
 * A name cut at COMM_MAX matches the program whose name starts so. */
static const struct known *root_program(const struct origins *o, const char *comm)
{
	if (!comm[0] || strchr(comm, '/'))
		return NULL;
	for (size_t i = 0; i < o->nk; i++)
		if (strlen(comm) < COMM_MAX ? !strcmp(o->k[i].comm, comm)
					    : !strncmp(o->k[i].comm, comm, COMM_MAX))
			return &o->k[i];
	return NULL;
}

static void origins_close(struct origins *o)
{
	for (size_t i = 0; i < o->nk; i++) {
		free(o->k[i].path);
		free(o->k[i].pkg);
		free(o->k[i].version);
	}
	free(o->k);
	for (size_t i = 0; i < o->n; i++)
		free(o->root[i]);
	memset(o, 0, sizeof(*o));
}

/* What would run the emulated root program k natively, into line. */
static void advice(const struct origins *o, const struct known *k, char *line, size_t size)
{
	char root[PATH_MAX + 16] = "";
	const char *kept;

	if (o->n > 1)
		snprintf(root, sizeof(root), " --root %s", o->root[k->root]);
	if (k->compiler && k->toolchain && !k->in_store)
		snprintf(line, size, "  [%s %s; the host build of the root's GCC first: "
			 "accel-build-toolchain %s, then accelctl%s enable gcc]",
			 k->pkg, k->version, o->root[k->root], root);
	else if (k->compiler)
		snprintf(line, size, "  [%s %s; with the compiler: accelctl%s enable gcc]", k->pkg,
			 k->version, root);
	else if (k->assembler)
		snprintf(line, size, "  [%s %s; its i386 build: accelctl%s enable %s (the kernel must "
			 "run i386 programs and apt know i386: kbuild-notes/toolchain.md)]",
			 k->pkg, k->version, root, k->path);
	else if ((kept = ac_default_unfaithful(k->pkg, k->path)))
		snprintf(line, size, "  [%s %s; kept emulated: %s]", k->pkg, k->version, kept);
	else
		snprintf(line, size, "  [%s %s; accelctl%s enable %s%s]", k->pkg, k->version,
			 root, k->path, k->in_store ? "" : " (fetches it)");
}

/* --------------------------------------------------------------- report */

/* May a program of this kind be in report list 0 (emulated root
 * programs), 1 (the build's own) or 2 (native)? Emulated ones are then
 * told apart by name (root_program). */
static int in_list(int list, int kind)
{
	switch (list) {
	case 0:
		return kind == AC_RUN_EMULATED;
	case 1:
		return kind == AC_RUN_EMULATED || kind == AC_RUN_EMULATED_MADE;
	default:
		return kind == AC_RUN_NATIVE;
	}
}

static void report(FILE *out, const struct ac_account *a, unsigned top, uint64_t lost,
		   int nviews, const struct origins *o)
{
	uint64_t all = 0, runs = 0, root_us = 0, own_us = 0;

	for (int k = 0; k < AC_RUN_KINDS; k++) {
		all += a->cpu_us[k];
		runs += a->runs[k];
	}
	fprintf(out, "accelctl account: %llu processes, %.1f s CPU:",
		(unsigned long long)runs, (double)all / 1e6);
	static const int order[] = {AC_RUN_EMULATED, AC_RUN_NATIVE, AC_RUN_OTHER};

	/* "emulated" is every run under qemu, whatever the reason. */
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		int kind = order[i];
		uint64_t us = a->cpu_us[kind], n = a->runs[kind];

		if (kind == AC_RUN_EMULATED) {
			us += a->cpu_us[AC_RUN_EMULATED_MADE];
			n += a->runs[AC_RUN_EMULATED_MADE];
		}
		fprintf(out, " %s %.1f s (%.1f%%, %llu runs)%s", ac_run_kind_name[kind],
			(double)us / 1e6, all ? 100.0 * (double)us / (double)all : 0.0,
			(unsigned long long)n, i + 1 < sizeof(order) / sizeof(order[0]) ? "," : "\n");
	}
	for (size_t i = 0; i < a->nprog; i++)
		if (a->prog[i].kind == AC_RUN_EMULATED_MADE)
			own_us += a->prog[i].cpu_us;
		else if (a->prog[i].kind == AC_RUN_EMULATED) {
			if (root_program(o, a->prog[i].comm))
				root_us += a->prog[i].cpu_us;
			else
				own_us += a->prog[i].cpu_us;
		}
	fprintf(out, "accelctl account: emulated root programs %.1f s (%.1f%%), emulated "
		     "programs the build made %.1f s (%.1f%%)\n",
		(double)root_us / 1e6, all ? 100.0 * (double)root_us / (double)all : 0.0,
		(double)own_us / 1e6, all ? 100.0 * (double)own_us / (double)all : 0.0);
	if (!nviews)
		fprintf(out, "accelctl account: no set-up root's view is mounted; nothing can "
			     "count as native\n");
	if (lost)
		fprintf(out, "accelctl account: the kernel dropped %llu batches of records; "
			     "totals are low\n",
			(unsigned long long)lost);
	/* Three lists: emulated root programs (with what would run each
	 * natively), emulated programs of the build's own (and root programs
	 * emulated because they load code the build made), native ones. */
	for (int list = 0; list < 3; list++) {
		static const char *const head[] = {
			"top emulated root programs (and what would run each natively):",
			"top emulated programs the build made (not in any root package, or loading "
			"code the build made: only qemu runs them):",
			"top native:"};
		unsigned shown = 0;

		fprintf(out, "%s\n", head[list]);
		fprintf(out, "  %9s %6s %7s  %s\n", "cpu s", "share", "runs", "program");
		for (size_t i = 0; i < a->nprog && shown < top; i++) {
			const struct ac_prog_total *p = &a->prog[i];
			const struct known *k = NULL;
			char line[2 * PATH_MAX + 200] = "";

			if (!in_list(list, p->kind))
				continue;
			if (p->kind == AC_RUN_EMULATED) {
				k = root_program(o, p->comm);
				if ((list == 0) != (k != NULL))
					continue;
			}
			if (k)
				advice(o, k, line, sizeof(line));
			else if (p->kind == AC_RUN_EMULATED_MADE)
				snprintf(line, sizeof(line), "  [a root program loading code the "
					 "build made]");
			fprintf(out, "  %9.2f %5.1f%% %7llu  %s%s\n", (double)p->cpu_us / 1e6,
				all ? 100.0 * (double)p->cpu_us / (double)all : 0.0,
				(unsigned long long)p->runs, p->comm, line);
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

/*
 * Wait for the command, looking for new views meanwhile: a root set up after
 * the command started (a schroot session that sbuild opens) has a view
 * whose device the records can only be told by while it is mounted. The
 * rules are only read at ac_account_finish(), so adding to them while the
 * reader thread appends records is safe. A view mounted and gone between
 * two looks (RESCAN_MS) is missed: its tasks count as "other".
 */
#define RESCAN_MS 250
static int wait_watching(pid_t child, struct ac_account *a, const char *state_dir, int *nviews,
			 struct origins *o)
{
	int pfd = (int)syscall(SYS_pidfd_open, child, 0);

	for (;;) {
		struct pollfd p = {.fd = pfd, .events = POLLIN};
		int n, v;

		if (pfd < 0)
			break; /* no pidfd (Linux < 5.3): the views of the start only */
		n = poll(&p, 1, RESCAN_MS);
		if (n < 0 && errno != EINTR)
			break;
		if ((v = rules(a, state_dir)) > *nviews)
			*nviews = v;
		if (v)
			ac_roots_each(state_dir, open_origin, o);
		if (n > 0)
			break;
	}
	if (pfd >= 0)
		close(pfd);
	return ac_spawn_wait(child);
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

int cmd_account(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{"top", required_argument, NULL, 'n'},
		{"output", required_argument, NULL, 'o'},
		{"tsv", required_argument, NULL, 'T'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct ac_taskstats c = {.fd = -1};
	struct origins o = {.n = 0};
	const char *output = NULL, *tsv = NULL;
	unsigned top = 15;
	FILE *out = stderr;
	pid_t child;
	int ch, status = 0, nviews = 0, r;
	char *end;

	optind = 0; /* a new argv: glibc's getopt starts over */
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
	ctl_ready(ctl);
	if (output && !(out = fopen(output, "we")))
		ac_die_errno(AC_EXIT_USAGE, errno, "--output %s", output);

	nviews = rules(&c.acct, ctl->state_dir);
	if ((r = ac_taskstats_start(&c)) < 0)
		ac_die_errno(AC_EXIT_FAILURE, -r,
			     "cannot listen to the kernel's taskstats (CONFIG_TASKSTATS, root)");
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		ac_die_errno(AC_EXIT_FAILURE, errno, "prctl(PR_SET_CHILD_SUBREAPER)");
	/* Started after the listener: the command's own exec is counted. */
	r = ac_spawn_start(&(struct ac_spawn){.argv = argv + optind}, &child);
	if (r < 0) {
		ac_taskstats_stop(&c);
		fprintf(stderr, "accelctl account: %s: %s\n", argv[optind], strerror(-r));
		return r == -ENOENT ? 127 : 126;
	}
	/* Signals of the terminal go to the command; accelctl reports. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	status = wait_watching(child, &c.acct, ctl->state_dir, &nviews, &o);
	/* Orphans reparented to us and already gone: reap them. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	ac_taskstats_stop(&c);
	if (c.oom || ac_account_finish(&c.acct, (uint32_t)getpid()))
		ac_die(AC_EXIT_FAILURE, "out of memory while accounting");
	ac_roots_each(ctl->state_dir, open_origin, &o);
	report(out, &c.acct, top, c.lost, nviews, &o);
	origins_close(&o);
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
	return status < 0 ? AC_EXIT_FAILURE : status;
}
