// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * accel-bootstrap: set an armel root up for acceleration, or undo it.
 *
 *   accel-bootstrap [OPTION]... ROOT
 *   accel-bootstrap --teardown [OPTION]... ROOT
 *
 * Set-up: check ROOT is an armel root, mount binfmt_misc if needed, fetch
 * and plan the default set (or the set enabled before) into the root's
 * manifest (lib/state), start the view daemon (accel-fuseview) on
 * ROOT/lib-x86, and register the dispatcher. Teardown undoes exactly what
 * set-up recorded in the state directory. Both are idempotent, and both
 * hold a lock on the state directory, so concurrent runs serialise.
 *
 * Nothing inside ROOT is written, except the /lib-x86 mount point, created
 * only if missing and removed again on teardown.
 */
#include "config.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/seccomp.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "follow.h"

#include "accel/base/spawn.h"
#include "accel/base/util.h"
#include "accel/exec/identity.h"
#include "accel/exec/layout.h"
#include "accel/root/armel.h"
#include "accel/root/binfmt.h"
#include "accel/root/rootdb.h"
#include "accel/state/apply.h"
#include "accel/state/defaults.h"
#include "accel/state/rootstate.h"
#include "accel/store/store.h"

#define VIEW_MOUNTPOINT AC_VIEW_MOUNTPOINT

enum mode {
	MODE_SETUP,
	MODE_TEARDOWN, /* --teardown: undo everything */
	MODE_STOP,     /* --stop: stop what runs, keep the state */
};

struct bootstrap {
	enum mode mode;
	int all;       /* --all: every root with state */
	const char *binfmt_name;
	const char *binfmt_dir;
	const char *dispatcher;
	const char *qemu;
	const char *state_dir;
	const char *store;
	const char *fuseview;
	int allow_skew;
	int no_defaults;
	char root[PATH_MAX];        /* canonical ROOT on the host */
	char mountpoint[PATH_MAX];  /* ROOT/lib-x86 */
	struct ac_rootstate rs;     /* ROOT's state directory, locked */
	char recorded_dispatcher[PATH_MAX];        /* teardown: what set-up used */
	char recorded_name[AC_BINFMT_MAX_NAME + 2];
};

/*
 * What a failing set-up has to undo. A global because the program dies from
 * deep inside (ac_die) and the atexit handler must see it; only set-up arms
 * it, and only after its preflight checks passed.
 */
static struct {
	const struct bootstrap *b;
	int armed, state_created, dir_created, mounted, registered;
} undo;

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: accel-bootstrap [OPTION]... ROOT\n"
		"       accel-bootstrap --stop|--teardown [OPTION]... ROOT\n"
		"       accel-bootstrap [--stop|--teardown] --all [--state-dir DIR]\n"
		"Set the armel root ROOT up for acceleration: fetch the amd64 builds of the\n"
		"root's package versions into the store, start the view (accel-fuseview) at\n"
		"ROOT/lib-x86 with the default set of programs (or the set enabled before),\n"
		"and register the accel dispatcher with binfmt_misc. --teardown undoes it.\n"
		"Both may be run again safely; a set-up root whose view died is restarted,\n"
		"and accel's binfmt_misc entry is put in front of Debian's qemu entry again\n"
		"if that was registered after it.\n"
		"\n"
		"  -t, --teardown          undo what an earlier set-up of ROOT did\n"
		"      --stop              stop ROOT's view, follower and (unless another\n"
		"                          root uses it) entry, as a shutdown does; keep its\n"
		"                          state, so a later set-up brings it back as it was\n"
		"  -a, --all               every root set up before (STATE/roots), each with\n"
		"                          the settings of its last set-up: at boot, after\n"
		"                          a package upgrade; roots that are gone are skipped\n"
		"      --store DIR         the host store (default STATE/store)\n"
		"      --allow-skew        accept amd64 builds of other versions when the root's\n"
		"                          exact version is not available (accelctl status)\n"
		"      --no-default-set    enable nothing at first set-up (accelctl enable)\n"
		"      --fuseview PATH     the view daemon (default %s/accel-fuseview)\n"
		"      --binfmt-name NAME  binfmt_misc entry name (default %s)\n"
		"      --dispatcher PATH   interpreter to register (default %s/accel-dispatch)\n"
		"      --qemu PATH         host qemu-arm-static offered inside ROOT\n"
		"                          (default /usr/bin/qemu-arm-static)\n"
		"      --state-dir DIR     where accel keeps its state (default %s)\n"
		"  -h, --help              show this help\n"
		"  -V, --version           show the version\n"
		"\n"
		"Exit status: 0 done, 1 system error, 2 usage, 3 ROOT is not an armel root,\n"
		"4 binfmt_misc unavailable, 5 something not accel's is in the way, 6 a\n"
		"package of the root has no amd64 build of the same version. With --all,\n"
		"the highest status of any root (a root that is gone or no longer armel\n"
		"is skipped with a warning).\n",
		ACCEL_SBINDIR, ACCEL_BINFMT_NAME, ACCEL_PKGLIBEXECDIR, ACCEL_STATEDIR);
}

enum {
	OPT_BINFMT_NAME = 256,
	OPT_DISPATCHER,
	OPT_QEMU,
	OPT_STATE_DIR,
	OPT_BINFMT_DIR,
	OPT_STORE,
	OPT_FUSEVIEW,
	OPT_ALLOW_SKEW,
	OPT_NO_DEFAULTS,
	OPT_STOP,
};

static void set_once(const char **slot, const char *value, const char *opt)
{
	if (*slot)
		ac_die(AC_EXIT_USAGE, "%s given twice; give it once", opt);
	*slot = value;
}

static void parse_args(struct bootstrap *b, int argc, char **argv)
{
	static const struct option opts[] = {
		{"teardown", no_argument, NULL, 't'},
		{"stop", no_argument, NULL, OPT_STOP},
		{"all", no_argument, NULL, 'a'},
		{"binfmt-name", required_argument, NULL, OPT_BINFMT_NAME},
		{"binfmt-dir", required_argument, NULL, OPT_BINFMT_DIR},
		{"dispatcher", required_argument, NULL, OPT_DISPATCHER},
		{"qemu", required_argument, NULL, OPT_QEMU},
		{"state-dir", required_argument, NULL, OPT_STATE_DIR},
		{"store", required_argument, NULL, OPT_STORE},
		{"fuseview", required_argument, NULL, OPT_FUSEVIEW},
		{"allow-skew", no_argument, NULL, OPT_ALLOW_SKEW},
		{"no-default-set", no_argument, NULL, OPT_NO_DEFAULTS},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "tahV", opts, NULL)) != -1) {
		switch (c) {
		case 't':
		case OPT_STOP:
			if (b->mode != MODE_SETUP)
				ac_die(AC_EXIT_USAGE, "give one of --teardown and --stop, once");
			b->mode = c == 't' ? MODE_TEARDOWN : MODE_STOP;
			break;
		case 'a':
			b->all = 1;
			break;
		case OPT_BINFMT_NAME:
			set_once(&b->binfmt_name, optarg, "--binfmt-name");
			break;
		case OPT_BINFMT_DIR:
			set_once(&b->binfmt_dir, optarg, "--binfmt-dir");
			break;
		case OPT_DISPATCHER:
			set_once(&b->dispatcher, optarg, "--dispatcher");
			break;
		case OPT_QEMU:
			set_once(&b->qemu, optarg, "--qemu");
			break;
		case OPT_STATE_DIR:
			set_once(&b->state_dir, optarg, "--state-dir");
			break;
		case OPT_STORE:
			set_once(&b->store, optarg, "--store");
			break;
		case OPT_FUSEVIEW:
			set_once(&b->fuseview, optarg, "--fuseview");
			break;
		case OPT_ALLOW_SKEW:
			b->allow_skew = 1;
			break;
		case OPT_NO_DEFAULTS:
			b->no_defaults = 1;
			break;
		case 'h':
			usage(stdout);
			exit(AC_EXIT_OK);
		case 'V':
			printf("accel-bootstrap %s\n", PACKAGE_VERSION);
			exit(AC_EXIT_OK);
		default:
			fprintf(stderr, "Try 'accel-bootstrap --help'.\n");
			exit(AC_EXIT_USAGE);
		}
	}
	if (b->all && optind != argc)
		ac_die(AC_EXIT_USAGE, "--all takes no ROOT: it works on every root set up before");
	if (!b->all && optind != argc - 1)
		ac_die(AC_EXIT_USAGE, "%s; usage: accel-bootstrap [--teardown] [OPTION]... ROOT",
		       optind >= argc ? "ROOT is missing" : "give exactly one ROOT");
	if (!b->binfmt_dir)
		b->binfmt_dir = AC_BINFMT_DIR;
	if (!b->qemu)
		b->qemu = AC_DEBIAN_QEMU;
	if (!b->state_dir)
		b->state_dir = ACCEL_STATEDIR;
	if (!b->fuseview)
		b->fuseview = ACCEL_SBINDIR "/accel-fuseview";
	if ((b->store && b->store[0] != '/') || b->state_dir[0] != '/' || b->fuseview[0] != '/')
		ac_die(AC_EXIT_USAGE, "--store, --state-dir and --fuseview take absolute paths");
	/* --binfmt-name and --dispatcher stay NULL when not given: teardown
	 * then takes what set-up recorded (apply_defaults()). */
	if (b->binfmt_name && !ac_binfmt_name_ok(b->binfmt_name))
		ac_die(AC_EXIT_USAGE,
		       "--binfmt-name '%s' is not a valid entry name (no '/', ':' or newline; not "
		       "'.', '..', 'register' or 'status')",
		       b->binfmt_name);
	if ((b->dispatcher && b->dispatcher[0] != '/') || b->qemu[0] != '/')
		ac_die(AC_EXIT_USAGE, "--dispatcher and --qemu take absolute paths");
	if (b->dispatcher && strlen(b->dispatcher) > AC_BINFMT_MAX_REGISTER - 128)
		ac_die(AC_EXIT_USAGE, "--dispatcher path is longer than binfmt_misc accepts");
}

/* Canonical ROOT, its state key and mount point; refuse what is no root. */
static void resolve_root(struct bootstrap *b, const char *arg)
{
	struct stat st;

	if (!realpath(arg, b->root)) {
		/* Teardown (or stop) of a root that was removed or moved away: its state
		 * is still found by the absolute path it was set up with. */
		if (!(b->mode != MODE_SETUP && errno == ENOENT && arg[0] == '/'))
			ac_die_errno(AC_EXIT_USAGE, errno, "ROOT %s", arg);
		ac_xsnprintf(b->root, sizeof(b->root), "%s", arg);
		for (size_t n = strlen(b->root); n > 1 && b->root[n - 1] == '/'; n--)
			b->root[n - 1] = '\0';
	} else if (stat(b->root, &st) < 0 || !S_ISDIR(st.st_mode)) {
		ac_die(AC_EXIT_USAGE, "ROOT %s is not a directory", b->root);
	}
	if (!strcmp(b->root, "/"))
		ac_die(AC_EXIT_USAGE, "ROOT is the host's /; give the directory of an armel root");
	ac_xsnprintf(b->mountpoint, sizeof(b->mountpoint), "%s/" VIEW_MOUNTPOINT, b->root);
}

static void check_armel(const struct bootstrap *b)
{
	_cleanup_close_ int rootfd = open(b->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int kind;

	if (rootfd < 0)
		ac_die_errno(AC_EXIT_FAILURE, errno, "open %s", b->root);
	kind = ac_root_kind(rootfd);
	if (kind == AC_ELF_ARMEL)
		return;
	if (kind == AC_ELF_ARMHF)
		ac_die(AC_EXIT_NOT_ARMEL,
		       "%s is an armhf root; accel accelerates armel roots only", b->root);
	if (kind < 0)
		ac_die_errno(AC_EXIT_NOT_ARMEL, -kind,
			     "%s is not an armel root: cannot read its %s (debootstrap "
			     "--arch=armel makes one)",
			     b->root, AC_ARMEL_LOADER);
	ac_die(AC_EXIT_NOT_ARMEL, "%s is not an armel root: its %s is %s", b->root,
	       AC_ARMEL_LOADER, ac_elf_kind_name((enum ac_elf_kind)kind));
}

/* Is path an executable x86_64 ELF file? (The dispatcher must also be static:
 * the kernel resolves an interpreter's own PT_INTERP inside the root.) */
static void check_host_static(const char *path, const char *what)
{
	unsigned char hdr[sizeof(Elf64_Ehdr)];
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf64_Ehdr eh;
	ssize_t n;

	if (fd < 0)
		ac_die_errno(AC_EXIT_FAILURE, errno, "%s %s", what, path);
	n = pread(fd, hdr, sizeof(hdr), 0);
	if (n < 0)
		ac_die_errno(AC_EXIT_FAILURE, errno, "read %s", path);
	if (ac_elf_classify(hdr, (size_t)n) != AC_ELF_X86_64)
		ac_die(AC_EXIT_USAGE, "%s %s is not an x86_64 ELF program", what, path);
	memcpy(&eh, hdr, sizeof(eh));
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (Elf64_Off)i * eh.e_phentsize)) !=
		    (ssize_t)sizeof(ph))
			ac_die(AC_EXIT_USAGE, "%s %s: truncated program headers", what, path);
		if (ph.p_type == PT_INTERP)
			ac_die(AC_EXIT_USAGE,
			       "%s %s is dynamically linked; it must be static to run in any root",
			       what, path);
	}
	if (access(path, X_OK) < 0)
		ac_die_errno(AC_EXIT_USAGE, errno, "%s %s is not executable", what, path);
}

static void open_state(struct bootstrap *b)
{
	struct ac_err err;

	if (ac_rootstate_open(&b->rs, b->state_dir, b->root, &err))
		ac_die_err(AC_EXIT_FAILURE, &err);
}

/* A one-line state file into buf; returns buf, or NULL if it is missing. */
static const char *state_get(const struct bootstrap *b, const char *file, char *buf, size_t size)
{
	return ac_state_get(&b->rs, file, buf, size) || !buf[0] ? NULL : buf;
}

/* Settings not given on the command line: on teardown and stop what set-up
 * recorded (they undo exactly that), else the built-in defaults. */
static void apply_defaults(struct bootstrap *b)
{
	if (b->mode != MODE_SETUP && !b->dispatcher)
		b->dispatcher = state_get(b, AC_STATE_DISPATCHER, b->recorded_dispatcher,
					  sizeof(b->recorded_dispatcher));
	if (b->mode != MODE_SETUP && !b->binfmt_name)
		b->binfmt_name = state_get(b, AC_STATE_BINFMT_NAME, b->recorded_name,
					   sizeof(b->recorded_name));
	if (!b->dispatcher)
		b->dispatcher = ACCEL_PKGLIBEXECDIR "/accel-dispatch";
	if (!b->binfmt_name)
		b->binfmt_name = ACCEL_BINFMT_NAME;
}

static int state_has(const struct bootstrap *b, const char *file)
{
	return ac_state_has(&b->rs, file);
}

static void state_put(const struct bootstrap *b, const char *file, const char *text)
{
	int err = ac_state_put(&b->rs, file, text);

	if (err)
		ac_die_errno(AC_EXIT_FAILURE, err, "write %s/%s", b->rs.dir, file);
}

/* What is at ROOT/lib-x86 now. */
enum view_state {
	VIEW_NONE,   /* nothing mounted */
	VIEW_ALIVE,  /* our FUSE view, answering */
	VIEW_DEAD,   /* our FUSE view, daemon gone (ENOTCONN) */
	VIEW_OTHER,  /* a mount that is not accel's */
};

static enum view_state view_state(const struct bootstrap *b)
{
	char mroot[PATH_MAX], fstype[64];
	struct statfs st;
	int r = ac_mount_lookup(b->mountpoint, mroot, sizeof(mroot), fstype, sizeof(fstype));

	if (r < 0)
		ac_die_errno(AC_EXIT_FAILURE, r, "read /proc/self/mountinfo");
	if (r == 0)
		return VIEW_NONE;
	if (strcmp(fstype, "fuse.accel"))
		return VIEW_OTHER;
	/* statfs always asks the daemon (stat may be answered from the
	 * kernel's cache): ENOTCONN once it is gone. */
	return statfs(b->mountpoint, &st) < 0 ? VIEW_DEAD : VIEW_ALIVE;
}

/* Put the host qemu into STATE/roots/KEY/qemu-arm-static, atomically; the
 * view serves it at AC_VIEW_QEMU. */
static void stage_qemu(const struct bootstrap *b)
{
	char dst[PATH_MAX], tmp[PATH_MAX];
	int err;

	ac_xsnprintf(dst, sizeof(dst), "%s/" AC_STATE_QEMU, b->rs.rel);
	ac_xsnprintf(tmp, sizeof(tmp), "%s/." AC_STATE_QEMU ".%ld", b->rs.rel, (long)getpid());
	unlinkat(b->rs.statefd, tmp, 0);
	if (linkat(AT_FDCWD, b->qemu, b->rs.statefd, tmp, AT_SYMLINK_FOLLOW) < 0) {
		/* Another file system: copy. */
		_cleanup_close_ int in = open(b->qemu, O_RDONLY | O_CLOEXEC);
		_cleanup_close_ int out = -1;
		char buf[1 << 16];
		ssize_t n;

		if (in < 0)
			ac_die_errno(AC_EXIT_FAILURE, errno, "open %s", b->qemu);
		out = openat(b->rs.statefd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
		if (out < 0)
			ac_die_errno(AC_EXIT_FAILURE, errno, "create %s/%s", b->rs.state_dir, tmp);
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (write(out, buf, (size_t)n) != n)
				ac_die_errno(AC_EXIT_FAILURE, errno, "copy %s", b->qemu);
		if (n < 0 || fsync(out) < 0)
			ac_die_errno(AC_EXIT_FAILURE, errno, "copy %s", b->qemu);
	}
	if (renameat(b->rs.statefd, tmp, b->rs.statefd, dst) < 0) {
		err = errno;
		unlinkat(b->rs.statefd, tmp, 0);
		ac_die_errno(AC_EXIT_FAILURE, err, "install %s/%s", b->rs.state_dir, dst);
	}
}

/*
 * What an emulated program is told the machine is: the root's uname, run
 * under the qemu the view will serve (qemu answers from its CPU model,
 * armv7l for Debian's). Native processes are told the same
 * (accel/exec/identity.h); STATE/roots/KEY/machine, served by the view.
 */
static void stage_machine(const struct bootstrap *b)
{
	char prog[PATH_MAX], text[AC_IDENTITY_MACHINE_MAX + 2], qemu[PATH_MAX], root[PATH_MAX];
	char opt_l[] = "-L", opt_m[] = "-m";
	char *argv[] = {qemu, opt_l, root, prog, opt_m, NULL};
	struct ac_spawn sp = {.argv = argv, .out = AC_SPAWN_CAPTURE, .max_out = 4096};
	char *out = NULL;
	size_t len;
	int r;

	ac_xsnprintf(qemu, sizeof(qemu), "%s", b->qemu);
	ac_xsnprintf(root, sizeof(root), "%s", b->root);
	/* coreutils' /bin/uname (a merged-/usr root has it in /usr/bin too). */
	ac_xsnprintf(prog, sizeof(prog), "%s/bin/uname", b->root);
	if (access(prog, F_OK) < 0)
		ac_xsnprintf(prog, sizeof(prog), "%s/usr/bin/uname", b->root);
	if (access(prog, F_OK) < 0)
		ac_die(AC_EXIT_NOT_ARMEL, "%s has no /bin/uname (coreutils): cannot tell the "
		       "machine qemu reports; install coreutils in the root", b->root);
	r = ac_spawn_run(&sp, &out);
	if (r != 0)
		ac_die(AC_EXIT_FAILURE, "%s -L %s %s -m failed (%s): cannot tell the machine "
		       "qemu reports", b->qemu, b->root, prog, r < 0 ? strerror(-r) : "exit status");
	len = strcspn(out, "\n");
	for (size_t i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", out[i]))
			len = 0;
	if (!len || len > AC_IDENTITY_MACHINE_MAX)
		ac_die(AC_EXIT_FAILURE, "%s -m under %s said \"%.40s\": not a machine name", prog,
		       b->qemu, out);
	ac_xsnprintf(text, sizeof(text), "%.*s\n", (int)len, out);
	free(out);
	state_put(b, AC_STATE_MACHINE, text);
	{
		unsigned int action = SECCOMP_RET_USER_NOTIF;

		if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) < 0)
			ac_warn("this kernel has no seccomp user notification (Linux 5.0, "
				"CONFIG_SECCOMP_FILTER): native programs cannot be told the "
				"machine is %.*s, so every program of %s will run emulated",
				(int)len, text, b->root);
	}
}

enum view_plan {
	VIEW_IS_MOUNTED, /* our view is there and answering */
	VIEW_RESTART,    /* our view is there but dead: replace it */
	VIEW_CREATE,     /* no ROOT/lib-x86: create it, remove it on teardown */
	VIEW_COVER,      /* an empty ROOT/lib-x86 of the root's own */
};

/* Decide what to do at ROOT/lib-x86 and refuse what is in the way, before
 * anything is written anywhere. */
static enum view_plan preflight_view(const struct bootstrap *b)
{
	_cleanup_close_ int rootfd = -1, dfd = -1;
	struct stat st;
	char buf[4096];
	long n;

	switch (view_state(b)) {
	case VIEW_ALIVE:
		return VIEW_IS_MOUNTED;
	case VIEW_DEAD:
		return VIEW_RESTART;
	case VIEW_OTHER:
		ac_die(AC_EXIT_CONFLICT,
		       "%s is a mount point that accel did not make; unmount it first",
		       b->mountpoint);
	case VIEW_NONE:
		break;
	}
	rootfd = open(b->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		ac_die_errno(AC_EXIT_FAILURE, errno, "open %s", b->root);
	if (fstatat(rootfd, VIEW_MOUNTPOINT, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			ac_die_errno(AC_EXIT_FAILURE, errno, "%s", b->mountpoint);
		return VIEW_CREATE;
	}
	if (!S_ISDIR(st.st_mode))
		ac_die(AC_EXIT_CONFLICT, "%s exists and is not a directory; accel will not replace it",
		       b->mountpoint);
	if (state_has(b, AC_STATE_CREATED_MOUNTPOINT))
		return VIEW_CREATE; /* ours from an earlier run */
	/* A directory of the root's own: only an empty one may be covered. */
	dfd = openat(rootfd, VIEW_MOUNTPOINT, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		ac_die_errno(AC_EXIT_FAILURE, errno, "open %s", b->mountpoint);
	while ((n = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			const char *name = buf + off + 19; /* linux_dirent64.d_name */
			unsigned short reclen;

			memcpy(&reclen, buf + off + 16, sizeof(reclen));
			if (strcmp(name, ".") && strcmp(name, ".."))
				ac_die(AC_EXIT_CONFLICT,
				       "%s is not empty; accel will not hide its files (move them away)",
				       b->mountpoint);
			off += reclen;
		}
	}
	if (n < 0)
		ac_die_errno(AC_EXIT_FAILURE, errno, "read %s", b->mountpoint);
	return VIEW_COVER;
}

/* Stop the view daemon recorded in the state, if it still runs. It exits by
 * itself once its mount is gone; a signal is the fallback. */
static void stop_daemon(const struct bootstrap *b)
{
	char path[PATH_MAX];
	pid_t pid;

	ac_xsnprintf(path, sizeof(path), "%s/" AC_STATE_PID, b->rs.rel);
	if ((pid = ac_pidfile_running(b->rs.statefd, path, "accel-fuseview")) <= 0)
		return;
	if (ac_wait_gone(pid, 2000))
		return;
	kill(pid, SIGTERM);
	if (!ac_wait_gone(pid, 3000))
		kill(pid, SIGKILL);
}

/* Unmount the view (lazily if a process still runs from it). */
static void unmount_view(const struct bootstrap *b)
{
	if (umount2(b->mountpoint, UMOUNT_NOFOLLOW) < 0) {
		if (errno == EINVAL || errno == ENOENT)
			return;
		if (errno != EBUSY)
			ac_die_errno(AC_EXIT_FAILURE, errno, "unmount %s", b->mountpoint);
		/* A process still runs from the view: detach it now, the
		 * kernel frees it when that process is gone. */
		ac_warn("%s is busy; detaching it lazily", b->mountpoint);
		if (umount2(b->mountpoint, UMOUNT_NOFOLLOW | MNT_DETACH) < 0)
			ac_die_errno(AC_EXIT_FAILURE, errno, "unmount %s", b->mountpoint);
	}
}

/* Start accel-fuseview on ROOT/lib-x86; it returns once mounted. */
static void start_view(struct bootstrap *b, enum view_plan plan)
{
	char target[64];
	_cleanup_close_ int rootfd = -1, mfd = -1;
	int status;

	if (plan == VIEW_IS_MOUNTED)
		return;
	if (plan == VIEW_RESTART) {
		char path[PATH_MAX];

		/* The daemon's keeper (fuseview/keeper.h) mounts a new server
		 * within a second of the old one's death: give it that. */
		ac_xsnprintf(path, sizeof(path), "%s/" AC_STATE_PID, b->rs.rel);
		if (ac_pidfile_running(b->rs.statefd, path, "accel-fuseview") > 0) {
			for (int i = 0; i < 150 && view_state(b) == VIEW_DEAD; i++)
				nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
			if (view_state(b) == VIEW_ALIVE)
				return;
		}
		ac_warn("the view of %s had died; restarting it", b->root);
		if (umount2(b->mountpoint, UMOUNT_NOFOLLOW | MNT_DETACH) < 0 && errno != EINVAL)
			ac_warn("unmount the dead view at %s: %s", b->mountpoint, strerror(errno));
		stop_daemon(b);
	}
	rootfd = open(b->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		ac_die_errno(AC_EXIT_FAILURE, errno, "open %s", b->root);
	if (plan == VIEW_CREATE) {
		/* Record before creating: a crash in between leaves an empty
		 * directory that teardown still removes. */
		state_put(b, AC_STATE_CREATED_MOUNTPOINT, "1\n");
		if (mkdirat(rootfd, VIEW_MOUNTPOINT, 0755) < 0 && errno != EEXIST)
			ac_die_errno(AC_EXIT_FAILURE, errno, "create %s", b->mountpoint);
		undo.dir_created = 1;
	}
	/* Mount on the directory we opened without following links, never on
	 * whatever a symlink planted in the root would point at: the daemon
	 * inherits this fd and mounts on /proc/self/fd/N. */
	mfd = openat(rootfd, VIEW_MOUNTPOINT, O_PATH | O_DIRECTORY | O_NOFOLLOW);
	if (mfd < 0)
		ac_die_errno(AC_EXIT_FAILURE, errno, "open %s", b->mountpoint);
	ac_xsnprintf(target, sizeof(target), "/proc/self/fd/%d", mfd);
	{
		char daemon[PATH_MAX];
		char *const argv[] = {daemon, b->rs.dir, target, NULL};

		ac_xsnprintf(daemon, sizeof(daemon), "%s", b->fuseview);

		/* The daemon inherits mfd (opened without O_CLOEXEC for it);
		 * fuse_daemonize's parent exits once the view is mounted. */
		status = ac_spawn_run(&(struct ac_spawn){.argv = argv}, NULL);
	}
	if (status < 0)
		ac_die_errno(AC_EXIT_FAILURE, status, "run %s", b->fuseview);
	if (status)
		ac_die(AC_EXIT_FAILURE, "%s could not mount the view on %s (see %s/" AC_STATE_LOG ")",
		       b->fuseview, b->mountpoint, b->rs.dir);
	undo.mounted = 1;
	if (view_state(b) != VIEW_ALIVE)
		ac_die(AC_EXIT_FAILURE, "the view on %s does not answer (see %s/" AC_STATE_LOG ")",
		       b->mountpoint, b->rs.dir);
}

/* Plan the view (fetching into the store) and write its manifest: the set
 * enabled before, or the default set (accel/state/defaults.h). */
static void plan_view(struct bootstrap *b)
{
	struct ac_rootdb db;
	struct ac_store store;
	struct ac_err err;
	char qemu[PATH_MAX * 2];
	char **set = NULL;
	size_t n = 0;
	int r;

	if ((r = ac_rootdb_open(&db, b->root, &err)))
		ac_die_err(r == -ENOENT ? AC_EXIT_NOT_ARMEL : AC_EXIT_FAILURE, &err);
	if (ac_rootstate_store(&b->rs, b->store, b->allow_skew ? AC_SKEW_PACKAGES : 0, &store,
			       &err))
		ac_die_err(AC_EXIT_FAILURE, &err);
	store.verbose = 1;
	store.note = ac_info;
	/* The set enabled before; the default set at the first set-up, and
	 * again, with what was enabled besides, while it follows the root's
	 * packages (bootstrap/follow.h). */
	if (state_has(b, AC_STATE_ENABLED) && (r = ac_enabled_read(&b->rs, &set, &n)))
		ac_die_errno(AC_EXIT_FAILURE, -r, "read %s/" AC_STATE_ENABLED, b->rs.dir);
	if (!b->no_defaults &&
	    (!state_has(b, AC_STATE_ENABLED) || state_has(b, AC_STATE_FOLLOW))) {
		char why[256];

		if ((r = ac_default_set(&db, &store, &set, &n, why, sizeof(why))))
			ac_die_errno(AC_EXIT_FAILURE, -r, "the default set of %s", b->root);
		if (why[0])
			ac_info("%s", why);
		state_put(b, AC_STATE_FOLLOW, "1\n");
	}
	ac_xsnprintf(qemu, sizeof(qemu), "%s/" AC_STATE_QEMU, b->rs.dir);
	if ((r = ac_view_apply(&b->rs, &db, &store, set, n, qemu, &err)))
		ac_die_err(r == -ENOPKG ? AC_EXIT_NO_EQUIVALENT : AC_EXIT_FAILURE, &err);
	if (b->allow_skew && ac_rootstate_allow(&b->rs, AC_SKEW_PACKAGES, &err))
		ac_die_err(AC_EXIT_FAILURE, &err);
	ac_info("%zu programs of %s run natively", n, b->root);
	ac_strv_free(set, n);
	ac_store_close(&store);
	ac_rootdb_close(&db);
}

enum entry_state {
	ENTRY_ABSENT,   /* register it */
	ENTRY_ENABLED,  /* ours, in place: nothing to do */
	ENTRY_DISABLED, /* ours, switched off: enable it */
};

/* Mount binfmt_misc if needed (left mounted: other entries live there) and
 * refuse an entry of our name that is not ours. */
static enum entry_state preflight_entry(const struct bootstrap *b)
{
	struct ac_binfmt_entry e;
	int err = ac_binfmt_ensure_mounted(b->binfmt_dir);

	if (err < 0)
		ac_die_errno(AC_EXIT_KERNEL, err,
			     "mount binfmt_misc on %s (is CONFIG_BINFMT_MISC set? are we root?)",
			     b->binfmt_dir);
	if (err == 1)
		ac_info("mounted binfmt_misc on %s", b->binfmt_dir);

	err = ac_binfmt_read(b->binfmt_dir, b->binfmt_name, &e);
	if (err == 0) {
		if (strcmp(e.interpreter, b->dispatcher))
			ac_die(AC_EXIT_CONFLICT,
			       "binfmt_misc entry %s exists with interpreter %s; tear the other "
			       "set-up down or pass --binfmt-name",
			       b->binfmt_name, e.interpreter);
		if (strcmp(e.magic, AC_ARMEL_MAGIC_HEX) || strcmp(e.mask, AC_ARMEL_MASK_HEX) ||
		    strcmp(e.flags, AC_BINFMT_FLAGS))
			ac_die(AC_EXIT_CONFLICT,
			       "binfmt_misc entry %s exists with another magic, mask or flags (%s); it "
			       "is not accel's: pass another --binfmt-name",
			       b->binfmt_name, e.flags);
		return e.enabled ? ENTRY_ENABLED : ENTRY_DISABLED;
	}
	if (err != -ENOENT)
		ac_die_errno(AC_EXIT_KERNEL, err, "read binfmt_misc entry %s", b->binfmt_name);
	return ENTRY_ABSENT;
}

static void register_entry(const struct bootstrap *b, enum entry_state state)
{
	char path[PATH_MAX];
	int err;

	if (state == ENTRY_ENABLED)
		return;
	if (state == ENTRY_DISABLED) {
		ac_xsnprintf(path, sizeof(path), "%s/%s", b->binfmt_dir, b->binfmt_name);
		if ((err = ac_write_proc(path, "1", 1)))
			ac_die_errno(AC_EXIT_KERNEL, err, "enable %s", path);
		return;
	}
	err = ac_binfmt_register(b->binfmt_dir, b->binfmt_name, b->dispatcher, AC_BINFMT_FLAGS);
	if (err)
		ac_die_errno(AC_EXIT_KERNEL, err, "register binfmt_misc entry %s", b->binfmt_name);
	undo.registered = 1;
	ac_info("registered binfmt_misc entry %s -> %s (flags %s)", b->binfmt_name, b->dispatcher,
		AC_BINFMT_FLAGS);
}

static void undo_setup(void)
{
	const struct bootstrap *b = undo.b;

	if (!undo.armed)
		return;
	if (undo.registered)
		ac_binfmt_unregister(b->binfmt_dir, b->binfmt_name);
	if (undo.mounted) {
		(void)umount2(b->mountpoint, UMOUNT_NOFOLLOW | MNT_DETACH); /* best effort */
		stop_daemon(b);
	}
	if (undo.dir_created)
		rmdir(b->mountpoint);
	if (undo.state_created)
		ac_rm_rf(b->rs.statefd, b->rs.rel);
	ac_warn("set-up of %s failed; what it had done is undone", b->root);
}

/*
 * The command line of this set-up, every setting spelled out (they are all
 * absolute paths), as the follower and --all run it again: into argv
 * (at least SETUP_ARGV_MAX + 1 slots; copies, freed with free_argv), after
 * argv[0] = self. Returns the count, or -ENOMEM.
 */
#define SETUP_ARGV_MAX 20

struct settings {
	const char *state_dir, *store, *binfmt_name, *dispatcher, *fuseview, *qemu, *root;
	int allow_skew;
};

static void free_argv(char **argv, int n)
{
	for (int i = 0; i < n; i++)
		free(argv[i]);
}

static int setup_argv(const char *self, const struct settings *st, char **argv)
{
	const char *a[SETUP_ARGV_MAX];
	int n = 0;

	a[n++] = self;
	a[n++] = "--state-dir";
	a[n++] = st->state_dir;
	if (st->store) {
		a[n++] = "--store";
		a[n++] = st->store;
	}
	a[n++] = "--binfmt-name";
	a[n++] = st->binfmt_name;
	a[n++] = "--dispatcher";
	a[n++] = st->dispatcher;
	a[n++] = "--fuseview";
	a[n++] = st->fuseview;
	a[n++] = "--qemu";
	a[n++] = st->qemu;
	if (st->allow_skew)
		a[n++] = "--allow-skew";
	a[n++] = st->root;
	for (int i = 0; i < n; i++)
		if (!(argv[i] = strdup(a[i]))) {
			free_argv(argv, i);
			return -ENOMEM;
		}
	argv[n] = NULL;
	return n;
}

/* This program, to run again (the follower, --all). */
static int self_path(char *self, size_t size)
{
	ssize_t len = readlink("/proc/self/exe", self, size - 1);

	if (len <= 0)
		return -1;
	self[len] = '\0';
	return 0;
}

/* The follower of the root's packages, running this set-up again. */
static void start_follower(const struct bootstrap *b)
{
	char self[PATH_MAX];
	char *argv[SETUP_ARGV_MAX + 1];
	const struct settings st = {
		.state_dir = b->state_dir, .store = b->store, .binfmt_name = b->binfmt_name,
		.dispatcher = b->dispatcher, .fuseview = b->fuseview, .qemu = b->qemu,
		.root = b->root, .allow_skew = b->allow_skew,
	};
	int n, err;

	if (self_path(self, sizeof(self))) {
		ac_warn("cannot find my own program (/proc/self/exe); %s's default set will not "
			"follow its packages", b->root);
		return;
	}
	if ((n = setup_argv(self, &st, argv)) < 0)
		ac_die(AC_EXIT_FAILURE, "out of memory");
	if ((err = follow_start(b->root, b->mountpoint, b->rs.dir, argv)))
		ac_warn("cannot start the follower of %s's packages: %s", b->root, strerror(-err));
	free_argv(argv, n);
}

/*
 * binfmt_misc tries the newest entry first. Ours was registered after
 * Debian's qemu entry, but a qemu-user-static upgrade (or systemd-binfmt,
 * binfmt-support) may have registered that one again since: then every
 * armel program runs under qemu directly, silently. And flag F pins the
 * dispatcher file that was there at registration: after an upgrade of
 * accel the old one would go on running. The probe (ac_binfmt_probe) says
 * who answers; unless it is an accel dispatcher of this version, register
 * ours again, which puts it in front and opens the file now installed.
 */
static void put_entry_in_front(const struct bootstrap *b)
{
	struct ac_probe_answer ans;
	int r = ac_binfmt_probe(b->rs.dir, &ans);

	if (r < 0) {
		ac_warn("cannot probe which binfmt_misc entry runs armel programs (%s); "
			"the order of the entries is not checked", strerror(-r));
		return;
	}
	if (r == AC_PROBE_ACCEL && !strcmp(ans.version, PACKAGE_VERSION))
		return;
	if (r == AC_PROBE_ACCEL)
		ac_info("armel programs reach accel-dispatch %s (%s); registering %s again for "
			"version %s", ans.version, ans.interpreter, b->binfmt_name, PACKAGE_VERSION);
	else
		ac_info("another binfmt_misc entry (Debian's qemu-arm?) is tried before %s; "
			"registering %s again in front of it", b->binfmt_name, b->binfmt_name);
	if ((r = ac_binfmt_unregister(b->binfmt_dir, b->binfmt_name)) ||
	    (r = ac_binfmt_register(b->binfmt_dir, b->binfmt_name, b->dispatcher,
				    AC_BINFMT_FLAGS)))
		ac_die_errno(AC_EXIT_KERNEL, r, "register binfmt_misc entry %s again",
			     b->binfmt_name);
	if (ac_binfmt_probe(b->rs.dir, &ans) != AC_PROBE_ACCEL)
		ac_warn("armel programs still do not reach %s after registering it again",
			b->binfmt_name);
}

static void do_setup(struct bootstrap *b)
{
	char text[PATH_MAX + 64];
	enum view_plan plan;
	enum entry_state entry;
	int err;

	check_armel(b);
	apply_defaults(b);
	check_host_static(b->dispatcher, "dispatcher");
	check_host_static(b->qemu, "qemu");
	if (access(b->fuseview, X_OK) < 0)
		ac_die_errno(AC_EXIT_USAGE, errno, "view daemon %s", b->fuseview);
	open_state(b);
	entry = preflight_entry(b);
	plan = preflight_view(b);

	/* From here on, a failure undoes what this run did. */
	undo.b = b;
	undo.state_created = faccessat(b->rs.statefd, b->rs.rel, F_OK, AT_SYMLINK_NOFOLLOW) < 0;
	undo.armed = 1;
	atexit(undo_setup);
	if ((err = ac_mkdir_p(b->rs.statefd, b->rs.rel, 0755)))
		ac_die_errno(AC_EXIT_FAILURE, err, "create %s", b->rs.dir);
	ac_xsnprintf(text, sizeof(text), "%s\n", b->root);
	state_put(b, AC_STATE_ROOT, text);
	ac_xsnprintf(text, sizeof(text), "%s\n", b->binfmt_name);
	state_put(b, AC_STATE_BINFMT_NAME, text);
	ac_xsnprintf(text, sizeof(text), "%s\n", b->dispatcher);
	state_put(b, AC_STATE_DISPATCHER, text);
	ac_xsnprintf(text, sizeof(text), "%s\n", b->fuseview);
	state_put(b, AC_STATE_FUSEVIEW, text);
	ac_xsnprintf(text, sizeof(text), "%s\n", b->qemu);
	state_put(b, AC_STATE_HOST_QEMU, text);
	stage_qemu(b);
	stage_machine(b);
	/* Store and manifest first (the long part: downloads), then the view
	 * (a running one re-reads the manifest), then the entry. */
	plan_view(b);
	start_view(b, plan);
	if (plan != VIEW_IS_MOUNTED)
		ac_view_warm(&b->rs);
	register_entry(b, entry);
	if (entry == ENTRY_ENABLED)
		put_entry_in_front(b);
	undo.armed = 0;
	if (state_has(b, AC_STATE_STOPPED) && ac_state_del(&b->rs, AC_STATE_STOPPED))
		ac_warn("could not remove %s/" AC_STATE_STOPPED, b->rs.dir);
	if (state_has(b, AC_STATE_FOLLOW))
		start_follower(b);
	ac_info("%s is set up (view %s, entry %s)", b->root, b->mountpoint, b->binfmt_name);
}

/*
 * Call fn for every other set-up root's state with the content of its
 * state file `file` (a line, newline dropped); stop at the first nonzero
 * answer and return it.
 */
static int each_other_root(const struct bootstrap *b, const char *file,
			   int (*fn)(const struct bootstrap *b, const char *key, const char *value))
{
	char path[PATH_MAX], value[PATH_MAX];
	_cleanup_close_ int fd = openat(b->rs.statefd, "roots", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir;
	struct dirent *de;
	int r = 0;

	if (fd < 0)
		return 0;
	dir = fdopendir(fd);
	if (!dir)
		return 0;
	fd = -1; /* owned by dir now */
	while (!r && (de = readdir(dir))) {
		long n;

		if (de->d_name[0] == '.' || !strcmp(de->d_name, b->rs.key))
			continue;
		ac_xsnprintf(path, sizeof(path), "roots/%s/%s", de->d_name, file);
		n = ac_read_small(b->rs.statefd, path, value, sizeof(value));
		if (n <= 0)
			continue;
		if (value[n - 1] == '\n')
			value[n - 1] = '\0';
		r = fn(b, de->d_name, value);
	}
	closedir(dir);
	return r;
}

static int uses_entry(const struct bootstrap *b, const char *key, const char *name)
{
	char path[PATH_MAX];

	ac_xsnprintf(path, sizeof(path), "roots/%s/" AC_STATE_STOPPED, key);
	return !strcmp(name, b->binfmt_name) &&
	       faccessat(b->rs.statefd, path, F_OK, AT_SYMLINK_NOFOLLOW) < 0;
}

/* Do other set-up roots still use the entry (stopped ones do not)? */
static int entry_in_use(const struct bootstrap *b)
{
	return each_other_root(b, AC_STATE_BINFMT_NAME, uses_entry);
}

/*
 * Another set-up root whose directory is this root's (two schroot sessions
 * bind-mount one chroot directory) also has its view on the mount point
 * this root created: it takes the duty of removing it at its teardown.
 */
static int take_mountpoint(const struct bootstrap *b, const char *key, const char *root)
{
	struct stat mine, other;
	char path[PATH_MAX];

	if (stat(b->root, &mine) || stat(root, &other) || mine.st_dev != other.st_dev ||
	    mine.st_ino != other.st_ino)
		return 0;
	ac_xsnprintf(path, sizeof(path), "roots/%s/" AC_STATE_CREATED_MOUNTPOINT, key);
	if (ac_write_atomic(b->rs.statefd, path, "1\n", 2, 0644))
		return 0;
	ac_info("%s is still the mount point of %s's view: left for its teardown", b->mountpoint,
		root);
	return 1;
}

/* Unregister our entry unless another running root uses it. */
static void release_entry(const struct bootstrap *b)
{
	struct ac_binfmt_entry e;
	int err;

	if (entry_in_use(b) || !ac_binfmt_mounted(b->binfmt_dir) ||
	    ac_binfmt_read(b->binfmt_dir, b->binfmt_name, &e))
		return;
	if (strcmp(e.interpreter, b->dispatcher)) {
		ac_warn("binfmt_misc entry %s runs %s, not %s: left alone", b->binfmt_name,
			e.interpreter, b->dispatcher);
	} else if ((err = ac_binfmt_unregister(b->binfmt_dir, b->binfmt_name))) {
		ac_die_errno(AC_EXIT_KERNEL, err, "unregister binfmt_misc entry %s", b->binfmt_name);
	} else {
		ac_info("unregistered binfmt_misc entry %s", b->binfmt_name);
	}
}

/* Stop what runs for the root and remove the mount point accel made: what
 * --stop and --teardown share. The root is then as it was before set-up. */
static void stop_root(struct bootstrap *b)
{
	follow_stop(b->rs.dir);
	if (view_state(b) != VIEW_NONE && view_state(b) != VIEW_OTHER)
		unmount_view(b);
	stop_daemon(b);
	if (state_has(b, AC_STATE_CREATED_MOUNTPOINT)) {
		if (unlinkat(AT_FDCWD, b->mountpoint, AT_REMOVEDIR) < 0 && errno != ENOENT &&
		    !(errno == EBUSY && each_other_root(b, AC_STATE_ROOT, take_mountpoint)))
			ac_die_errno(AC_EXIT_FAILURE, errno,
				     "remove %s (accel created it; is something mounted there?)",
				     b->mountpoint);
	}
}

static void do_teardown(struct bootstrap *b)
{
	int err;

	open_state(b);
	apply_defaults(b);
	stop_root(b);
	release_entry(b);
	if ((err = ac_rm_rf(b->rs.statefd, b->rs.rel)))
		ac_die_errno(AC_EXIT_FAILURE, err, "remove %s", b->rs.dir);
	ac_info("%s is torn down", b->root);
}

static void do_stop(struct bootstrap *b)
{
	open_state(b);
	if (!state_has(b, AC_STATE_ROOT))
		ac_die(AC_EXIT_USAGE, "%s is not set up (no state in %s)", b->root, b->rs.dir);
	apply_defaults(b);
	state_put(b, AC_STATE_STOPPED, "1\n");
	stop_root(b);
	release_entry(b);
	ac_info("%s is stopped (its state is kept: accel-bootstrap ROOT or --all starts it)",
		b->root);
}

/* A recorded setting of the root with state key `key`, or dflt. */
static const char *recorded(int statefd, const char *key, const char *file, char *buf,
			    size_t size, const char *dflt)
{
	char path[PATH_MAX];
	long n;

	ac_xsnprintf(path, sizeof(path), "roots/%s/%s", key, file);
	n = ac_read_small(statefd, path, buf, size);
	if (n <= 0)
		return dflt;
	if (buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return buf[0] ? buf : dflt;
}

/*
 * --all: run this program once per root with state, with the settings of
 * that root's last set-up (set-up), or with --stop/--teardown. Each run
 * takes its root's lock. Returns the highest exit status.
 */
static int do_all(const struct bootstrap *b)
{
	char self[PATH_MAX];
	_cleanup_close_ int sfd = open(b->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int rfd = -1;
	struct dirent *de;
	DIR *roots;
	int worst = AC_EXIT_OK, count = 0;

	if (sfd < 0) {
		if (errno == ENOENT)
			return AC_EXIT_OK; /* nothing was ever set up */
		ac_die_errno(AC_EXIT_FAILURE, errno, "open %s", b->state_dir);
	}
	if (self_path(self, sizeof(self)))
		ac_die(AC_EXIT_FAILURE, "cannot find my own program (/proc/self/exe)");
	rfd = openat(sfd, "roots", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0) {
		if (errno == ENOENT)
			return AC_EXIT_OK;
		ac_die_errno(AC_EXIT_FAILURE, errno, "open %s/roots", b->state_dir);
	}
	if (!(roots = fdopendir(rfd)))
		ac_die_errno(AC_EXIT_FAILURE, errno, "read %s/roots", b->state_dir);
	rfd = -1; /* owned by roots now */
	while ((de = readdir(roots))) {
		char root[PATH_MAX], store[PATH_MAX], name[AC_BINFMT_MAX_NAME + 2];
		char disp[PATH_MAX], fv[PATH_MAX], qemu[PATH_MAX], skew[16];
		char *argv[SETUP_ARGV_MAX + 1];
		struct stat st;
		int n, status;

		if (de->d_name[0] == '.')
			continue;
		if (!recorded(sfd, de->d_name, AC_STATE_ROOT, root, sizeof(root), NULL))
			continue; /* not a root's state (or half made) */
		count++;
		if (b->mode == MODE_SETUP && (stat(root, &st) < 0 || !S_ISDIR(st.st_mode))) {
			ac_warn("%s is gone: skipped (accel-bootstrap --teardown %s forgets it)",
				root, root);
			continue;
		}
		if (b->mode == MODE_SETUP) {
			struct settings set = {
				.state_dir = b->state_dir,
				.store = recorded(sfd, de->d_name, AC_STATE_STORE, store,
						  sizeof(store), NULL),
				.binfmt_name = recorded(sfd, de->d_name, AC_STATE_BINFMT_NAME, name,
							sizeof(name), ACCEL_BINFMT_NAME),
				.dispatcher = recorded(sfd, de->d_name, AC_STATE_DISPATCHER, disp,
						       sizeof(disp),
						       ACCEL_PKGLIBEXECDIR "/accel-dispatch"),
				.fuseview = recorded(sfd, de->d_name, AC_STATE_FUSEVIEW, fv,
						     sizeof(fv), ACCEL_SBINDIR "/accel-fuseview"),
				.qemu = recorded(sfd, de->d_name, AC_STATE_HOST_QEMU, qemu,
						 sizeof(qemu), AC_DEBIAN_QEMU),
				.allow_skew = recorded(sfd, de->d_name, AC_STATE_ALLOW_SKEW, skew,
						       sizeof(skew), NULL) != NULL,
				.root = root,
			};
			n = setup_argv(self, &set, argv);
		} else {
			const char *a[] = {self, b->mode == MODE_STOP ? "--stop" : "--teardown",
					   "--state-dir", b->state_dir, root};

			n = 0;
			for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++, n++)
				if (!(argv[n] = strdup(a[i])))
					ac_die(AC_EXIT_FAILURE, "out of memory");
			argv[n] = NULL;
		}
		if (n < 0)
			ac_die(AC_EXIT_FAILURE, "out of memory");
		status = ac_spawn_run(&(struct ac_spawn){.argv = argv}, NULL);
		free_argv(argv, n);
		if (status < 0)
			ac_die_errno(AC_EXIT_FAILURE, status, "run %s", self);
		if (b->mode == MODE_SETUP && status == AC_EXIT_NOT_ARMEL) {
			ac_warn("%s is no longer an armel root (a session's root not recovered?): "
				"skipped", root);
			continue;
		}
		if (status > worst)
			worst = status;
	}
	closedir(roots);
	ac_info("%d roots: %s", count,
		worst ? "some failed (see above)" :
		b->mode == MODE_SETUP ? "set up" : b->mode == MODE_STOP ? "stopped" : "torn down");
	return worst;
}

int main(int argc, char **argv)
{
	struct bootstrap b = {.rs = {.statefd = -1, .lockfd = -1}};

	ac_set_progname(argv[0]);
	/* What we create must be readable by every user inside the root. */
	umask(022);
	parse_args(&b, argc, argv);
	if (geteuid() != 0)
		ac_die(AC_EXIT_USAGE, "must run as root (it mounts and registers binfmt_misc)");
	if (b.all)
		return do_all(&b);
	resolve_root(&b, argv[optind]);
	if (b.mode == MODE_TEARDOWN)
		do_teardown(&b);
	else if (b.mode == MODE_STOP)
		do_stop(&b);
	else
		do_setup(&b);
	return AC_EXIT_OK;
}
