// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * accelctl/verify.c: accelctl verify - run a command in an armel root emulated and
 * then accelerated, each on a fresh copy of the working directory, and
 * compare the outhashes of its output.
 *
 * "Emulated" must not change the root for anyone else (builds may be
 * running in it), so that run gets a private mount namespace where the
 * root's view (ROOT/lib-x86) is covered by a tmpfs holding only the
 * root's qemu at AC_VIEW_QEMU: the dispatcher finds no host equivalent and runs
 * everything through that qemu, as a root without accel would.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accel/base/spawn.h"
#include "accel/base/util.h"
#include "accel/exec/layout.h"
#include "accel/recorder/outhash.h"
#include "accel/state/rootstate.h"
#include "commands.h"

enum run_kind { RUN_EMULATED, RUN_ACCELERATED };
static const char *const kind_name[] = {"emulated", "accelerated"};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: accelctl [--root ROOT] verify [--keep] --output DIR -- COMMAND...\n"
		"Run COMMAND in the root twice, on two fresh copies of the working directory\n"
		"(which must be inside the root): fully emulated, then accelerated as the\n"
		"root is set up. Compare the outhashes (OEOuthashBasic, owners included,\n"
		"names from the root) of DIR, relative to the working directory.\n"
		"\n"
		"      --output DIR   the output directory to compare (relative)\n"
		"      --keep         keep the two copies and print where they are\n"
		"\n"
		"Prints \"same OUTHASH\", or the lines that differ (- emulated, + accelerated).\n"
		"Exit status: 0 same, 7 different, 1 a run failed or a system error, 2 usage.\n");
}

/* What the emulated run's child does before its exec (accel/base/spawn.h:
 * after fork, before exec; it reports failures as -errno). */
struct run_setup {
	enum run_kind kind;
	const char *root;
	const char *qemu;         /* the root's own qemu (STATE/roots/KEY) */
	const char *dir_in_root;
};

/* Hide the view from this mount namespace only: a tmpfs over ROOT/lib-x86
 * holding only the root's qemu at AC_VIEW_QEMU, bound from the file
 * accel-bootstrap staged for the view to serve. */
static int hide_view(const struct run_setup *rs)
{
	char view[PATH_MAX], dir[PATH_MAX + 16], qemu[PATH_MAX + 32];
	struct stat st;
	int fd;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	snprintf(view, sizeof(view), "%s%s", rs->root, AC_VIEW_DIR);
	if (stat(view, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0; /* no view: everything is emulated already */
	if (mount("accel-verify", view, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=1m") < 0)
		return -errno;
	snprintf(dir, sizeof(dir), "%s%s", view, AC_RESERVED_DIR);
	snprintf(qemu, sizeof(qemu), "%s%s", rs->root, AC_VIEW_QEMU);
	if (mkdir(dir, 0755) < 0 || (fd = open(qemu, O_CREAT | O_WRONLY | O_CLOEXEC, 0755)) < 0)
		return -errno;
	close(fd);
	if (mount(rs->qemu, qemu, NULL, MS_BIND, NULL) < 0)
		return -errno;
	return 0;
}

static int enter_root(void *ctx)
{
	const struct run_setup *rs = ctx;
	int r;

	if (rs->kind == RUN_EMULATED && (r = hide_view(rs)))
		return r;
	if (chroot(rs->root) < 0 || chdir(rs->dir_in_root) < 0)
		return -errno;
	return 0;
}

/* The command's exit status, or -errno when it could not start there. */
static int run_in_root(struct run_setup *rs, char **argv)
{
	return ac_spawn_run(&(struct ac_spawn){.argv = argv, .setup = enter_root, .ctx = rs}, NULL);
}

struct line_set {
	char **v;
	size_t n;
};

static void split_lines(char *text, struct line_set *s)
{
	for (char *p = text, *nl; p && *p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		s->v = realloc(s->v, (s->n + 1) * sizeof(*s->v));
		if (!s->v)
			ac_die(AC_EXIT_FAILURE, "out of memory");
		s->v[s->n++] = p;
	}
}

static int has_line(const struct line_set *sorted, const char *l)
{
	return bsearch(&l, sorted->v, sorted->n, sizeof(char *), ac_cmp_strp) != NULL;
}

/* Lines of a missing from b, in a's (walk) order. */
static void print_missing(const char *sign, const struct line_set *a, const struct line_set *b)
{
	struct line_set sorted = {malloc((b->n + 1) * sizeof(char *)), b->n};

	if (!sorted.v)
		ac_die(AC_EXIT_FAILURE, "out of memory");
	if (b->n) /* b->v is NULL for no lines: memcpy's source must not be */
		memcpy(sorted.v, b->v, b->n * sizeof(char *));
	qsort(sorted.v, sorted.n, sizeof(char *), ac_cmp_strp);
	for (size_t i = 0; i < a->n; i++)
		if (!has_line(&sorted, a->v[i]))
			printf("%s%s\n", sign, a->v[i]);
	free(sorted.v);
}

struct in_root {
	const char *cwd;         /* find the root that holds cwd, */
	const char *root;        /* or this one */
	char found[PATH_MAX];
	char dir[PATH_MAX];      /* its state directory */
};

static int root_of_cwd(void *ctx, const char *root, const char *dir)
{
	struct in_root *r = ctx;

	if (r->root ? !strcmp(root, r->root)
		    : accel_path_covers(root, r->cwd) && strcmp(root, r->cwd)) {
		snprintf(r->found, sizeof(r->found), "%s", root);
		snprintf(r->dir, sizeof(r->dir), "%s", dir);
	}
	return 0;
}

int cmd_verify(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"keep", no_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct ac_outhash_opts o = {.task = "verify", .owners = 1};
	char root[PATH_MAX], cwd[PATH_MAX], tmp[PATH_MAX], copy[2][PATH_MAX], out[PATH_MAX];
	char hex[2][AC_OUTHASH_HEX], qemu[PATH_MAX + 32];
	struct in_root f = {0};
	struct ac_err why;
	struct ac_buf lines[2] = {{0}, {0}};
	const char *output = NULL;
	int keep = 0, ch, r, status;

	optind = 0; /* a new argv: glibc's getopt starts over */
	while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			output = optarg;
			break;
		case 'k':
			keep = 1;
			break;
		case 'h':
			usage(stdout);
			return AC_EXIT_OK;
		default:
			fprintf(stderr, "Try 'accelctl verify --help'.\n");
			return AC_EXIT_USAGE;
		}
	}
	if (!output || optind >= argc)
		ac_die(AC_EXIT_USAGE, "verify needs --output DIR and -- COMMAND");
	if (output[0] == '/' || strstr(output, ".."))
		ac_die(AC_EXIT_USAGE,
		       "--output %s: give a path relative to the working directory, without ..",
		       output);
	ctl_ready(c);
	if (!getcwd(cwd, sizeof(cwd)))
		ac_die_errno(AC_EXIT_FAILURE, errno, "getcwd");
	f.cwd = cwd;
	if (c->root_arg) {
		if (!realpath(c->root_arg, root))
			ac_die_errno(AC_EXIT_USAGE, errno, "--root %s", c->root_arg);
		f.root = root;
	}
	/* No lock: the command may run for long, while accelctl changes the set. */
	if ((ac_roots_each(c->state_dir, root_of_cwd, &f) < 0 || !f.found[0]) && !c->root_arg)
		ac_die(AC_EXIT_USAGE,
		       "the working directory %s is in no set-up root; pass --root ROOT", cwd);
	/* The emulated run serves the root's own qemu in the hidden view; a
	 * root that was never set up has no view to hide (the host's qemu is
	 * named only for a view whose state is gone). */
	if (f.found[0]) {
		snprintf(root, sizeof(root), "%s", f.found);
		ac_xsnprintf(qemu, sizeof(qemu), "%s/" AC_STATE_QEMU, f.dir);
	} else {
		ac_xsnprintf(qemu, sizeof(qemu), "%s", AC_DEBIAN_QEMU);
	}
	if (!accel_path_covers(root, cwd) || !strcmp(root, cwd))
		ac_die(AC_EXIT_USAGE,
		       "the working directory %s is not inside the root %s; cd into a directory "
		       "of the root",
		       cwd, root);
	o.names_root = root;

	/* Two copies beside the working directory, in the root. */
	ac_xsnprintf(tmp, sizeof(tmp), "%s", cwd);
	*strrchr(tmp, '/') = '\0';
	ac_xsnprintf(tmp + strlen(tmp), sizeof(tmp) - strlen(tmp), "/.accel-verify-XXXXXX");
	if (!mkdtemp(tmp))
		ac_die_errno(AC_EXIT_FAILURE, errno, "%s", tmp);
	status = AC_EXIT_FAILURE;
	for (int k = 0; k < 2; k++) {
		char *cp[] = {(char *)"cp", (char *)"-a", "--", cwd, copy[k], NULL};

		ac_xsnprintf(copy[k], sizeof(copy[k]), "%s/%s", tmp, kind_name[k]);
		if (accel_run(cp)) {
			ac_warn("copying %s to %s failed", cwd, copy[k]);
			goto out;
		}
	}
	for (int k = 0; k < 2; k++) {
		struct run_setup setup = {(enum run_kind)k, root, qemu, copy[k] + strlen(root)};

		r = run_in_root(&setup, argv + optind);
		if (r < 0)
			ac_warn("the %s run of %s could not start in %s: %s", kind_name[k],
				argv[optind], copy[k], strerror(-r));
		if (r) {
			ac_warn("the %s run of %s exited with status %d (in %s)", kind_name[k],
				argv[optind], r, copy[k]);
			keep = 1;
			goto out;
		}
		ac_xsnprintf(out, sizeof(out), "%s/%s", copy[k], output);
		r = ac_outhash_tree(out, &o, hex[k], &lines[k], &why);
		if (r) {
			ac_warn("the %s run's output: %s", kind_name[k], why.msg);
			keep = 1;
			goto out;
		}
	}
	if (!strcmp(hex[0], hex[1])) {
		printf("same %s\n", hex[0]);
		status = AC_EXIT_OK;
	} else {
		struct line_set s[2] = {{NULL, 0}, {NULL, 0}};

		printf("different: emulated %s, accelerated %s\n", hex[0], hex[1]);
		split_lines(lines[0].p, &s[0]);
		split_lines(lines[1].p, &s[1]);
		print_missing("- ", &s[0], &s[1]);
		print_missing("+ ", &s[1], &s[0]);
		free(s[0].v);
		free(s[1].v);
		status = AC_EXIT_DIFFERENT;
	}
out:
	ac_buf_free(&lines[0]);
	ac_buf_free(&lines[1]);
	if (keep)
		ac_info("kept the runs' copies in %s", tmp);
	else if ((r = ac_rm_rf(AT_FDCWD, tmp)))
		ac_warn("removing %s: %s", tmp, strerror(-r));
	fflush(stdout);
	return status;
}
