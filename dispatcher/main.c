// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * accel-dispatch: the binfmt_misc interpreter for armel ELF.
 *
 * The kernel runs it (entry flags P and F, see kbuild-notes/binfmt-misc.md)
 * with argv = [us, file, argv0, args...]. It never forks and never returns to
 * the caller: it execs either the host equivalent of the file, found in the
 * root's view at /lib-x86<canonical path>, or qemu-arm on the file, so the pid,
 * exit status and signals are the program's own. The environment is passed on
 * untouched.
 *
 * qemu is reached from any root, including roots accel never saw and roots
 * without /proc, by trying in order: the root's view, Debian's path, and the
 * copy of qemu carried in this image (kbuild-notes/dispatcher-design.md). The
 * last one cannot fail short of the kernel refusing memfd or exec, so every
 * program Debian's registration runs still runs.
 *
 * Freestanding: no libc, no heap, raw syscalls, about two dozen of them per
 * exec in the worst case.
 */
#include "config.h"

#include <elf.h>

#include "accel/exec/canon.h"
#include "accel/exec/dispatch.h"
#include "accel/exec/identity.h"
#include "accel/exec/plugin.h"
#include "accel/exec/route.h"
#include "accel/exec/stamp.h"
#include "accel/exec/str.h"
#include "accel/exec/sys.h"

#ifndef AT_FLAGS_PRESERVE_ARGV0
#define AT_FLAGS_PRESERVE_ARGV0 (1UL << 0) /* linux/binfmts.h, Linux 5.12 */
#endif

extern const char accel_qemu_blob[];
extern const char accel_qemu_blob_end[];

int ac_dispatch_main(long *sp);

/* One exec's state. Lives on the stack: the image has no writable globals. */
struct dispatch {
	int argc;
	char **argv;
	char **envp;
	unsigned long at_flags;
	struct ac_binfmt_call call;
	char *qemu_argv[4]; /* used only when the caller passed no argv0 */
	char *host_argv[2];
	const char *fail_what; /* last qemu that could not be run, for the message */
	long fail_err;
	char cwd[AC_PATH_MAX];
	char canon[AC_PATH_MAX];
	char host[AC_PATH_MAX];
	char stamp_path[AC_PATH_MAX];
	char stamps[AC_STAMPS_MAX];
	char plugins[AC_PLUGIN_ARGS_MAX * (AC_PATH_MAX + 16)]; /* rewritten arguments */
	struct ac_plugin_undo undo;
};

/* A bounded message buffer: messages are diagnostics, so long file names
 * are cut (marked "...") rather than refused. */
struct msg {
	char buf[1024];
	size_t len;
};

static void msg_add(struct msg *m, const char *s)
{
	size_t n = ac_strlen(s);

	if (n > sizeof(m->buf) - 5 - m->len) {
		n = sizeof(m->buf) - 5 - m->len;
		ac_append(m->buf, &m->len, sizeof(m->buf), s, n);
		ac_append(m->buf, &m->len, sizeof(m->buf), "...", 3);
		return;
	}
	ac_append(m->buf, &m->len, sizeof(m->buf), s, n);
}

static const char *errname(long err)
{
	switch (-err) {
	case ENOENT: return "No such file or directory (ENOENT)";
	case EACCES: return "Permission denied (EACCES)";
	case ENOEXEC: return "Exec format error (ENOEXEC)";
	case ENOTDIR: return "Not a directory (ENOTDIR)";
	case ELOOP: return "Too many levels of symbolic links (ELOOP)";
	case ENAMETOOLONG: return "File name too long (ENAMETOOLONG)";
	case ENOTCONN: return "Transport endpoint is not connected (ENOTCONN)";
	case ENOMEM: return "Cannot allocate memory (ENOMEM)";
	case E2BIG: return "Argument list too long (E2BIG)";
	case EPERM: return "Operation not permitted (EPERM)";
	case EMFILE: return "Too many open files (EMFILE)";
	case ENOSYS: return "Function not implemented (ENOSYS)";
	case EINVAL: return "Invalid argument (EINVAL)";
	case EIO: return "Input/output error (EIO)";
	case ETXTBSY: return "Text file busy (ETXTBSY)";
	}
	return "error";
}

static void say(const char *a, const char *b, const char *c, const char *d)
{
	struct msg m = {.len = 0};

	m.buf[0] = '\0';
	msg_add(&m, "accel-dispatch: ");
	msg_add(&m, a);
	if (b)
		msg_add(&m, b);
	if (c)
		msg_add(&m, c);
	if (d)
		msg_add(&m, d);
	m.buf[m.len++] = '\n';
	ac_write(2, m.buf, m.len);
}

static void say_probe(const char *self)
{
	struct msg m = {.len = 0};

	msg_add(&m, "accel-dispatch " PACKAGE_VERSION " ");
	msg_add(&m, self);
	m.buf[m.len++] = '\n';
	ac_write(1, m.buf, m.len);
}

static void usage(int fd)
{
	static const char text[] =
		"Usage: accel-dispatch FILE ARGV0 [ARG]...\n"
		"binfmt_misc interpreter for armel ELF programs (entry flags PF).\n"
		"Runs the host equivalent /lib-x86<canonical path of FILE> when the root\n"
		"has one, and qemu-arm on FILE otherwise, with ARGV0 as argv[0].\n"
		"Not meant to be run by hand; see accel-dispatch(8) and accel-bootstrap(8).\n"
		"  --help     show this text\n"
		"  --version  show the version\n"
		"Exit status: 127 if nothing could be run, 2 for usage errors.\n";

	ac_write(fd, text, sizeof(text) - 1);
}

static unsigned long auxv_get(char **envp, unsigned long type)
{
	char **p = envp;
	Elf64_auxv_t *av;

	while (*p)
		p++;
	for (av = (Elf64_auxv_t *)(void *)(p + 1); av->a_type != AT_NULL; av++)
		if (av->a_type == type)
			return av->a_un.a_val;
	return 0;
}

/* Is the open file a static-enough x86_64 ELF we may hand the exec to? A copy
 * of the armel qemu package inside a root would bring us straight back here. */
static int is_host_elf(int fd)
{
	Elf64_Ehdr eh;
	long n = ac_read(fd, &eh, sizeof(eh));

	return n == (long)sizeof(eh) && eh.e_ident[EI_MAG0] == ELFMAG0 &&
	       eh.e_ident[EI_MAG1] == ELFMAG1 && eh.e_ident[EI_MAG2] == ELFMAG2 &&
	       eh.e_ident[EI_MAG3] == ELFMAG3 && eh.e_ident[EI_CLASS] == ELFCLASS64 &&
	       eh.e_ident[EI_DATA] == ELFDATA2LSB && eh.e_machine == EM_X86_64;
}

/* Try one qemu by path; returns only on failure. The exec goes through the fd
 * that was checked, so the file cannot be swapped in between. */
static void try_qemu_path(struct dispatch *d, char **qargv, const char *path)
{
	long fd = ac_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	long r;

	if (fd < 0) {
		d->fail_what = path;
		d->fail_err = fd;
		return;
	}
	/* The view's copy only from a live view (see ac_dispatch_main). */
	if (ac_in_view(path) && (r = ac_stat_sync((int)fd, "", AT_EMPTY_PATH)) < 0) {
		d->fail_what = path;
		d->fail_err = r;
		ac_close((int)fd);
		return;
	}
	if (!is_host_elf((int)fd)) {
		d->fail_what = path;
		d->fail_err = -ENOEXEC;
		ac_close((int)fd);
		return;
	}
	r = ac_execveat((int)fd, "", qargv, d->envp, AT_EMPTY_PATH);
	d->fail_what = path;
	d->fail_err = r;
	ac_close((int)fd);
}

/* The carried copy: into a memfd, exec that. Returns only on failure. */
static void try_qemu_carried(struct dispatch *d, char **qargv)
{
	const char *p = accel_qemu_blob;
	long fd, r;

	d->fail_what = "the carried copy of qemu (memfd)";
	fd = ac_memfd_create("accel-qemu-arm", MFD_CLOEXEC | MFD_EXEC);
	if (fd == -EINVAL) /* before Linux 6.3 MFD_EXEC is unknown; exec is allowed */
		fd = ac_memfd_create("accel-qemu-arm", MFD_CLOEXEC);
	if (fd < 0) {
		d->fail_err = fd;
		return;
	}
	while (p < accel_qemu_blob_end) {
		r = ac_write((int)fd, p, (size_t)(accel_qemu_blob_end - p));
		if (r == -EINTR)
			continue;
		if (r <= 0) {
			d->fail_err = r ? r : -EIO;
			ac_close((int)fd);
			return;
		}
		p += r;
	}
	r = ac_execveat((int)fd, "", qargv, d->envp, AT_EMPTY_PATH);
	d->fail_err = r;
	ac_close((int)fd);
}

/*
 * made: the program is emulated because it would load code the build made
 * (ac_route_needs_emulation), not because the root has no host equivalent.
 * It then runs the view's other qemu file (AC_VIEW_QEMU_MADE_AS), whose
 * inode tells accounting why.
 */
__attribute__((noreturn)) static void run_qemu(struct dispatch *d, int made)
{
	char **qargv;

	/* qemu in Debian's binfmt-P mode takes the very vector the kernel gave
	 * us; only argv[0] (our own path) changes. */
	if (d->argc >= 3) {
		qargv = d->argv;
		qargv[0] = (char *)AC_QEMU_ARGV0;
	} else {
		d->qemu_argv[0] = (char *)AC_QEMU_ARGV0;
		d->qemu_argv[1] = d->call.filename;
		d->qemu_argv[2] = (char *)"";
		d->qemu_argv[3] = NULL;
		qargv = d->qemu_argv;
	}
	/* The view's qemu under the name the kernel gave this task (the armel
	 * program's, or the script's): an exec by fd names the task after the
	 * file, so ps, /proc/PID/comm and taskstats see "sed", as under
	 * Debian's entry, and not "qemu-arm-static". */
	{
		char path[sizeof(AC_VIEW_QEMU_MADE_AS) + 17];
		const char *dir = made ? AC_VIEW_QEMU_MADE_AS "/" : AC_VIEW_QEMU_AS "/";
		size_t dlen = made ? sizeof(AC_VIEW_QEMU_MADE_AS) : sizeof(AC_VIEW_QEMU_AS);
		char *p = path + dlen;

		ac_memmove(path, dir, dlen);
		if (ac_get_comm(p) == 0 && p[0] && !(p[0] == '.' && (!p[1] || p[1] == '.'))) {
			p[15] = '\0';
			try_qemu_path(d, qargv, path);
		}
	}
	try_qemu_path(d, qargv, AC_VIEW_QEMU);
	try_qemu_path(d, qargv, AC_DEBIAN_QEMU);
	try_qemu_carried(d, qargv);

	say("cannot run ", d->call.filename, ": no qemu-arm could be executed; last tried ",
	    d->fail_what);
	say("  ", errname(d->fail_err), "; check vm.memfd_noexec and re-run accel-bootstrap", NULL);
	ac_exit(AC_DISPATCH_EXIT_NOEXEC);
}

/*
 * May the host equivalent run? Only with the root's identity: the first
 * native program of a process tree puts the tree under the uname filter
 * (accel/exec/identity.h), with the machine the view says. A view that says
 * none asks for no identity. Where the filter cannot be installed the
 * program is emulated: slower, but what it sees is the root's.
 */
static int identity_ready(void)
{
	char machine[AC_IDENTITY_MACHINE_MAX + 2];
	long fd, n;

	if (ac_identity_active())
		return 1;
	fd = ac_openat(AT_FDCWD, AC_VIEW_MACHINE, O_RDONLY | O_CLOEXEC, 0);
	if (fd == -ENOENT)
		return 1;
	if (fd < 0)
		return 0;
	n = ac_read((int)fd, machine, sizeof(machine));
	ac_close((int)fd);
	while (n > 0 && (machine[n - 1] == '\n' || machine[n - 1] == '\0'))
		n--;
	if (n <= 0 || n > AC_IDENTITY_MACHINE_MAX)
		return 0;
	return ac_identity_install(machine, (size_t)n) == 0;
}

/*
 * Is the root still what the view planned the program against? The view
 * serves the plan's stamps beside each program (accel/exec/stamp.h); a
 * program whose file or whose packages changed since (an upgrade the
 * follower has not re-planned yet, a fresh build root that upgraded a
 * package of the base its view was prepared from) is emulated. Read from
 * the kernel's page cache once read; the files compared are the root's.
 */
static int stamps_hold(struct dispatch *d)
{
	static const char dir[] = AC_VIEW_STAMP_DIR;
	size_t len = 0;
	long fd, n, got = 0;

	if (ac_append(d->stamp_path, &len, sizeof(d->stamp_path), dir, sizeof(dir) - 1) ||
	    ac_append(d->stamp_path, &len, sizeof(d->stamp_path), d->canon, ac_strlen(d->canon)))
		return 0;
	fd = ac_openat(AT_FDCWD, d->stamp_path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	while ((size_t)got < sizeof(d->stamps) &&
	       ((n = ac_read((int)fd, d->stamps + got, sizeof(d->stamps) - (size_t)got)) > 0 ||
		n == -EINTR))
		if (n > 0)
			got += n;
	ac_close((int)fd);
	if (n < 0 || (size_t)got == sizeof(d->stamps))
		return 0; /* unread, or more than a stamp text may be */
	return ac_stamps_hold(AT_FDCWD, d->stamps, (size_t)got) == 1;
}

/* Does the view serve a file at path (a host build of a plugin)? */
static int view_serves(const char *path, void *ctx)
{
	struct ac_statx st = {0};

	(void)ctx;
	return ac_stat_size_mtime(AT_FDCWD, path, &st) == 0 && (st.mode & 0170000) == 0100000;
}

int ac_dispatch_main(long *sp)
{
	struct dispatch d;
	const char *cwd = NULL;
	int made = 0;
	long len;

	d.argc = (int)sp[0];
	d.argv = (char **)(sp + 1);
	d.envp = d.argv + d.argc + 1;
	d.at_flags = auxv_get(d.envp, AT_FLAGS);
	d.fail_what = "nothing";
	d.fail_err = -ENOENT;

	/* Options exist only when a person runs us: the kernel sets the
	 * preserve-argv0 flag in our auxv whenever it runs us for entry P. */
	if (!(d.at_flags & AT_FLAGS_PRESERVE_ARGV0) && d.argc == 2) {
		if (ac_streq(d.argv[1], "--help")) {
			usage(1);
			return AC_DISPATCH_EXIT_OK;
		}
		if (ac_streq(d.argv[1], "--version")) {
			static const char v[] = "accel-dispatch " PACKAGE_VERSION "\n";

			ac_write(1, v, sizeof(v) - 1);
			return AC_DISPATCH_EXIT_OK;
		}
	}

	switch (ac_binfmt_parse(d.argc, d.argv, &d.call)) {
	case AC_PARSE_NO_FILENAME:
		say("no file to run: this is a binfmt_misc interpreter", NULL, NULL, NULL);
		usage(2);
		return AC_DISPATCH_EXIT_USAGE;
	case AC_PARSE_NO_ARGV0:
		d.host_argv[0] = (char *)"";
		d.host_argv[1] = NULL;
		d.call.args = d.host_argv;
		break;
	case AC_PARSE_OK:
		break;
	}

	if (ac_streq(d.call.args[0], AC_DISPATCH_PROBE_ARGV0)) {
		/* ac_binfmt_probe: we are the entry the kernel tries first. */
		say_probe(d.argv[0]);
		return AC_DISPATCH_EXIT_OK;
	}
	if (d.call.filename[0] != '/') {
		/* getcwd(2) works without /proc; a cwd outside the root comes
		 * back as "(unreachable)..." and fails the canonicalisation. */
		if (ac_getcwd(d.cwd, sizeof(d.cwd)) > 0)
			cwd = d.cwd;
	}
	len = ac_canon(AT_FDCWD, cwd, d.call.filename, d.canon, sizeof(d.canon));
	if (ac_route_decide(d.canon, len, d.host, sizeof(d.host)) == AC_ROUTE_HOST) {
		/*
		 * ENOENT when the root has no view or the binary no equivalent
		 * (the kernel answers from its cache), ENOTCONN when the view's
		 * daemon died: emulate. The forced sync costs one round trip
		 * to a live daemon and is what catches a dead one: exec and the
		 * loader would be served from the kernel's cache, and a page
		 * it has dropped since kills the program with SIGBUS.
		 */
		enum ac_emulate why = ac_route_needs_emulation(d.canon, d.call.args, d.envp);

		if (why != AC_EMULATE_NO)
			made = why == AC_EMULATE_BUILD_CODE;
		else if (ac_stat_sync(AT_FDCWD, d.host, 0) == 0 && stamps_hold(&d) &&
			 ac_plugin_rewrite(d.call.args, cwd, d.plugins, sizeof(d.plugins), &d.undo,
					   view_serves, NULL) != AC_PLUGIN_EMULATE) {
			if (identity_ready())
				ac_execve(d.host, d.call.args, d.envp);
			ac_plugin_restore(&d.undo); /* qemu gets the root's paths */
		}
	}
	/* An armel program loads the root's plugins, even where a native
	 * program before it was given the view's. */
	ac_plugin_unview(d.call.args, d.plugins, sizeof(d.plugins));
	run_qemu(&d, made);
}
