// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * accelctl: change and inspect what a set-up armel root runs natively.
 *
 *   accelctl [--root ROOT] [--state-dir DIR] COMMAND [ARG]...
 *
 * enable/disable change the enabled set (STATE/roots/KEY/enabled), re-plan
 * the view (accel/store.h), and make the running view daemon serve it before
 * returning: the next exec sees the change, and no exec sees half of it
 * (the daemon swaps whole snapshots). list and status read state and the
 * daemon's counters.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "accel/binfmt.h"
#include "accel/canon.h"
#include "accel/rootstate.h"
#include "accel/route.h"
#include "accel/store.h"
#include "accel/util.h"
#include "account.h"
#include "reuse.h"

struct ctl {
	const char *root_arg;
	const char *state_dir;
	char root[PATH_MAX];
	struct ac_rootstate rs;
	int group;              /* a NAME named the compiler (gcc) */
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: accelctl [--root ROOT] [--state-dir DIR] COMMAND [ARG]...\n"
		"Choose which programs of a set-up armel root run as their host (x86_64)\n"
		"builds of the same package version.\n"
		"\n"
		"Commands:\n"
		"  enable [-p] [--allow-skew] [--allow-toolchain-skew] NAME...\n"
		"                                      run NAME natively from the next exec on\n"
		"  disable [-p] NAME...                run NAME emulated again\n"
		"  list                                the enabled programs and their use\n"
		"  status                              view daemon, mount, binfmt entry, store\n"
		"  reload                              make the view re-read its manifest\n"
		"  account [-n N] [-o FILE] -- COMMAND run COMMAND; report which programs ran\n"
		"                                      emulated or native, and their CPU time\n"
		"  verify --output DIR -- COMMAND      run COMMAND emulated and accelerated on\n"
		"                                      copies of the working directory; compare\n"
		"                                      DIR's outhashes\n"
		"  outhash DIR                         OEOuthashBasic output hash of DIR\n"
		"  equiv get|report|get-stream         hash equivalence (local or bitbake-hashserv)\n"
		"  task run|gc                         run a task or restore its output (sstate)\n"
		"Each command has its own --help. outhash, equiv and task need no root and\n"
		"run as any user.\n"
		"\n"
		"NAME is a command on the root's PATH (make) or an absolute path inside the\n"
		"root (/usr/bin/make). Options of enable and disable (after the command):\n"
		"  -p, --package         NAMEs are packages of the root: every armel program\n"
		"                        they install in a bin directory\n"
		"      --allow-skew      (enable) accept an amd64 build of another version when\n"
		"                        the root's exact one is not available; stays allowed\n"
		"                        for the root, and status reports it\n"
		"      --allow-toolchain-skew  (enable gcc) accept a host compiler of another\n"
		"                        version than the root's (another gcc source, or Debian's\n"
		"                        cross compiler: accel-build-toolchain --debian-cross);\n"
		"                        its objects differ at least in the .comment identification\n"
		"NAME gcc is the compiler: the gcc, g++ and cpp drivers, cc1, cc1plus,\n"
		"collect2, lto-wrapper, lto1, strip, objcopy, objdump and readelf, served by\n"
		"the host build of the root's exact GCC (accel-build-toolchain ROOT); as, ld,\n"
		"ar, ranlib and nm stay emulated (see accelctl(8)).\n"
		"\n"
		"Options (before the command):\n"
		"  -r, --root ROOT       the root (default: the only set-up root)\n"
		"      --state-dir DIR   accel's state (default %s)\n"
		"  -h, --help            show this help\n"
		"  -V, --version         show the version\n"
		"\n"
		"Exit status: 0 done, 1 system error or (status) a problem found, 2 usage or\n"
		"bad NAME, 3 NAME is not an armel ELF program (or ROOT has no package\n"
		"database), 6 no usable host build of the root's exact version, 7 verify:\n"
		"outputs differ, 8 equiv get: unknown taskhash, 9 hashserv failed.\n",
		ACCEL_STATEDIR);
}

/* -errno of the library to the documented exit codes. */
static int exit_code(int r)
{
	switch (r) {
	case -ENOEXEC:
		return AC_EXIT_NOT_ARMEL;
	case -ENOPKG:
		return AC_EXIT_NO_EQUIVALENT;
	case -ENOENT:
	case -EINVAL:
	case -EXDEV:
	case -ENOTDIR:
	case -ELOOP:
	case -ENAMETOOLONG:
		return AC_EXIT_USAGE;
	default:
		return AC_EXIT_FAILURE;
	}
}

struct only_root {
	int n;
	char found[PATH_MAX];
};

static int only_root(void *ctx, const char *root, const char *dir)
{
	struct only_root *o = ctx;

	(void)dir;
	if (o->n++)
		ac_die(AC_EXIT_USAGE, "several roots are set up (%s, %s, ...); pass --root ROOT",
		       o->found, root);
	snprintf(o->found, sizeof(o->found), "%s", root);
	return 0;
}

/* The root: --root, or the only one set up. */
static void find_root(struct ctl *c)
{
	char err[AC_ERR_MAX];
	int r;

	if (c->root_arg) {
		if (!realpath(c->root_arg, c->root))
			ac_die_errno(AC_EXIT_USAGE, errno, "ROOT %s", c->root_arg);
	} else {
		struct only_root o = {0};

		ac_roots_each(c->state_dir, only_root, &o);
		if (!o.n)
			ac_die(AC_EXIT_USAGE,
			       "no root is set up in %s; run accel-bootstrap ROOT first, or pass "
			       "--root/--state-dir",
			       c->state_dir);
		snprintf(c->root, sizeof(c->root), "%s", o.found);
	}
	r = ac_rootstate_open(&c->rs, c->state_dir, c->root, err);
	if (r)
		ac_die(AC_EXIT_FAILURE, "%s", err);
	if (!ac_rootstate_exists(&c->rs))
		ac_die(AC_EXIT_USAGE, "%s is not set up; run accel-bootstrap %s first", c->root,
		       c->root);
}

/* NAMEs to canonical program paths; dies with a clear message on the first
 * bad one (nothing has changed yet). */
static char **resolve_all(struct ctl *c, const struct ac_rootdb *db, char **names, int n,
			  int packages, size_t *out_n, char **enabled, size_t nenabled)
{
	char canon[AC_PATH_MAX], err[AC_ERR_MAX];
	char **v = NULL;
	size_t nv = 0;
	int r;

	for (int i = 0; i < n; i++) {
		if (packages) {
			struct ac_pkg *p = ac_rootdb_pkg(db, names[i]);

			if (!p)
				ac_die(AC_EXIT_USAGE, "%s: no such package is installed in %s", names[i],
				       c->root);
			r = ac_rootdb_programs(db, p, &v, &nv);
			if (r < 0)
				ac_die_errno(AC_EXIT_FAILURE, -r, "read the file list of %s in %s",
					     names[i], c->root);
			if (r == 0)
				ac_die(AC_EXIT_NOT_ARMEL,
				       "%s installs no armel program in a bin directory (or only ones "
				       "named already)",
				       names[i]);
			continue;
		}
		if (!strcmp(names[i], "gcc")) {
			/* the compiler: drivers, cc1..., strip and friends */
			r = ac_rootdb_compiler(db, &v, &nv, NULL);
			if (r < 0)
				ac_die_errno(AC_EXIT_FAILURE, -r, "list the compiler of %s", c->root);
			if (r == 0 && !nenabled)
				ac_die(AC_EXIT_NOT_ARMEL, "gcc: %s has no armel gcc (/usr/bin/gcc)",
				       c->root);
			c->group = 1;
			continue;
		}
		r = ac_resolve_name(db->rootfd, c->root, names[i], canon, sizeof(canon), err);
		if (r) {
			/* disable: an enabled program since removed from the root
			 * is still named by its recorded path. */
			for (size_t k = 0; k < nenabled; k++)
				if (!strcmp(enabled[k], names[i])) {
					snprintf(canon, sizeof(canon), "%s", names[i]);
					r = 0;
				}
			if (r)
				ac_die(exit_code(r), "%s", err);
		} else {
			struct ac_pkg *owner;

			if ((r = ac_program_check(db, canon, &owner, err)))
				ac_die(exit_code(r), "%s", err);
		}
		if (ac_strv_add(&v, &nv, canon) < 0)
			ac_die(AC_EXIT_FAILURE, "out of memory");
	}
	*out_n = nv;
	return v;
}

static void open_db(struct ctl *c, struct ac_rootdb *db)
{
	char err[AC_ERR_MAX];
	int r = ac_rootdb_open(db, c->root, err);

	if (r) /* no package database: not a root accel can serve (as accel-bootstrap) */
		ac_die(r == -ENOENT ? AC_EXIT_NOT_ARMEL : exit_code(r), "%s", err);
}

enum { SKEW_PACKAGES = 1, SKEW_TOOLCHAIN = 2 };

static void open_store(struct ctl *c, struct ac_store *s, int allow_skew)
{
	char err[AC_ERR_MAX], dir[PATH_MAX];
	int r;

	if (ac_state_get(&c->rs, "store", dir, sizeof(dir)))
		snprintf(dir, sizeof(dir), "%s/%s", c->state_dir, AC_DEFAULT_STORE_SUBDIR);
	if ((r = ac_store_open(s, dir, err)))
		ac_die(AC_EXIT_FAILURE, "%s", err);
	s->verbose = 1;
	/* Skew allowed once for this root (accel-bootstrap --allow-skew) stays
	 * allowed. */
	snprintf(dir, sizeof(dir), "%s/allow-skew", c->rs.rel);
	s->allow_skew = (allow_skew & SKEW_PACKAGES) || faccessat(c->rs.statefd, dir, F_OK, 0) == 0;
	snprintf(dir, sizeof(dir), "%s/allow-toolchain-skew", c->rs.rel);
	s->allow_toolchain_skew =
		(allow_skew & SKEW_TOOLCHAIN) || faccessat(c->rs.statefd, dir, F_OK, 0) == 0;
}

static int apply(struct ctl *c, struct ac_rootdb *db, struct ac_store *s, char **set, size_t n)
{
	char err[AC_ERR_MAX], qemu[PATH_MAX * 2];
	int r;

	snprintf(qemu, sizeof(qemu), "%s/qemu-arm-static", c->rs.dir);
	r = ac_view_apply(&c->rs, db, s, set, n, access(qemu, F_OK) ? NULL : qemu, err);
	if (r)
		ac_die(exit_code(r), "%s; nothing was changed", err);
	return 0;
}

static int parse_sub(int argc, char **argv, int *packages, int *allow_skew, int skew_ok)
{
	static const struct option opts[] = {
		{"package", no_argument, NULL, 'p'},
		{"allow-skew", no_argument, NULL, 's'},
		{"allow-toolchain-skew", no_argument, NULL, 't'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "p", opts, NULL)) != -1) {
		if (ch == 'p')
			*packages = 1;
		else if (ch == 's' && skew_ok)
			*allow_skew |= SKEW_PACKAGES;
		else if (ch == 't' && skew_ok)
			*allow_skew |= SKEW_TOOLCHAIN;
		else
			ac_die(AC_EXIT_USAGE, "%s: unknown option; see accelctl --help", argv[0]);
	}
	if (optind >= argc)
		ac_die(AC_EXIT_USAGE, "%s: give at least one NAME", argv[0]);
	return optind;
}

static int cmd_enable(struct ctl *c, int argc, char **argv)
{
	struct ac_rootdb db;
	struct ac_store s;
	int packages = 0, skew = 0, first = parse_sub(argc, argv, &packages, &skew, 1);
	char **cur, **add, **set;
	size_t ncur, nadd, n = 0;

	find_root(c);
	open_db(c, &db);
	if (ac_enabled_read(&c->rs, &cur, &ncur))
		ac_die(AC_EXIT_FAILURE, "read %s/enabled", c->rs.dir);
	add = resolve_all(c, &db, argv + first, argc - first, packages, &nadd, NULL, 0);
	set = calloc(ncur + nadd + 1, sizeof(*set));
	if (!set)
		ac_die(AC_EXIT_FAILURE, "out of memory");
	for (size_t i = 0; i < ncur; i++)
		set[n++] = cur[i];
	for (size_t i = 0; i < nadd; i++) {
		int dup = 0;

		for (size_t k = 0; k < ncur; k++)
			dup |= !strcmp(cur[k], add[i]);
		if (!dup)
			set[n++] = add[i];
	}
	qsort(set, n, sizeof(*set), ac_cmp_strp);
	open_store(c, &s, skew);
	apply(c, &db, &s, set, n);
	/* Once allowed for a root, skew stays allowed (until teardown): the
	 * programs enabled with it must keep their host build. */
	if ((skew & SKEW_PACKAGES) && ac_state_put(&c->rs, "allow-skew", "1\n"))
		ac_die(AC_EXIT_FAILURE, "write %s/allow-skew", c->rs.dir);
	if ((skew & SKEW_TOOLCHAIN) && ac_state_put(&c->rs, "allow-toolchain-skew", "1\n"))
		ac_die(AC_EXIT_FAILURE, "write %s/allow-toolchain-skew", c->rs.dir);
	for (size_t i = 0; i < nadd; i++)
		printf("enabled %s\n", add[i]);
	return AC_EXIT_OK;
}

static int cmd_disable(struct ctl *c, int argc, char **argv)
{
	struct ac_rootdb db;
	struct ac_store s;
	int packages = 0, skew = 0, first = parse_sub(argc, argv, &packages, &skew, 0);
	char **cur, **del, **set;
	size_t ncur, ndel, n = 0;

	find_root(c);
	open_db(c, &db);
	if (ac_enabled_read(&c->rs, &cur, &ncur))
		ac_die(AC_EXIT_FAILURE, "read %s/enabled", c->rs.dir);
	del = resolve_all(c, &db, argv + first, argc - first, packages, &ndel, cur, ncur);
	for (size_t i = 0; i < ndel; i++) {
		int found = 0;

		for (size_t k = 0; k < ncur; k++)
			found |= !strcmp(cur[k], del[i]);
		if (!found && !packages && !c->group)
			ac_die(AC_EXIT_USAGE, "%s is not enabled; nothing was changed", del[i]);
	}
	set = calloc(ncur + 1, sizeof(*set));
	if (!set)
		ac_die(AC_EXIT_FAILURE, "out of memory");
	for (size_t k = 0; k < ncur; k++) {
		int gone = 0;

		for (size_t i = 0; i < ndel; i++)
			gone |= !strcmp(cur[k], del[i]);
		if (!gone)
			set[n++] = cur[k];
	}
	open_store(c, &s, 0);
	apply(c, &db, &s, set, n);
	for (size_t i = 0; i < ndel; i++)
		printf("disabled %s\n", del[i]);
	return AC_EXIT_OK;
}

/* "node lookups=N reads=M /path" line of the daemon's stats for path. */
static const char *node_line(const char *stats, const char *path, size_t *len)
{
	size_t pl = strlen(path);

	for (const char *l = stats; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		size_t ll = strcspn(l, "\n");

		if (!strncmp(l, "node ", 5) && ll > pl && !strncmp(l + ll - pl, path, pl) &&
		    l[ll - pl - 1] == ' ') {
			*len = ll - pl - 1 - 5;
			return l + 5;
		}
	}
	return NULL;
}

static int cmd_list(struct ctl *c, int argc, char **argv)
{
	char **cur, *stats = NULL;
	size_t ncur;

	(void)argv;
	if (argc > 1)
		ac_die(AC_EXIT_USAGE, "list takes no arguments");
	find_root(c);
	if (ac_enabled_read(&c->rs, &cur, &ncur))
		ac_die(AC_EXIT_FAILURE, "read %s/enabled", c->rs.dir);
	ac_view_request(&c->rs, "stats", &stats);
	for (size_t i = 0; i < ncur; i++) {
		size_t len = 0;
		const char *l = stats ? node_line(stats, cur[i], &len) : NULL;

		if (l)
			printf("%s\t%.*s\n", cur[i], (int)len, l);
		else
			printf("%s\n", cur[i]);
	}
	free(stats);
	return AC_EXIT_OK;
}

static const char *stat_value(const char *stats, const char *key, char *buf, size_t size)
{
	size_t kl = strlen(key);

	for (const char *l = stats; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, key, kl) && l[kl] == '=') {
			snprintf(buf, size, "%.*s", (int)strcspn(l + kl + 1, "\n"), l + kl + 1);
			return buf;
		}
	snprintf(buf, size, "?");
	return buf;
}

static int cmd_status(struct ctl *c, int argc, char **argv)
{
	char buf[PATH_MAX], name[AC_BINFMT_MAX_NAME + 2], mp[PATH_MAX + 16], mroot[PATH_MAX];
	char fstype[64], v[6][64];
	char **cur, *stats = NULL, *skew;
	struct ac_binfmt_entry e;
	struct statfs sfs;
	size_t ncur;
	int problems = 0, r;
	DIR *d;

	(void)argv;
	if (argc > 1)
		ac_die(AC_EXIT_USAGE, "status takes no arguments");
	find_root(c);
	printf("root:     %s\nstate:    %s\n", c->root, c->rs.dir);

	if (ac_state_get(&c->rs, "store", buf, sizeof(buf)))
		snprintf(buf, sizeof(buf), "%s/%s", c->state_dir, AC_DEFAULT_STORE_SUBDIR);
	{
		char pk[PATH_MAX + 8];
		size_t npk = 0;

		snprintf(pk, sizeof(pk), "%s/pkgs", buf);
		if ((d = opendir(pk))) {
			struct dirent *de;

			while ((de = readdir(d)))
				npk += de->d_name[0] != '.';
			closedir(d);
		}
		printf("store:    %s (%zu packages)\n", buf, npk);
	}

	if (ac_state_get(&c->rs, "binfmt-name", name, sizeof(name)))
		snprintf(name, sizeof(name), "%s", ACCEL_BINFMT_NAME);
	r = ac_binfmt_read(AC_BINFMT_DIR, name, &e);
	if (r) {
		printf("binfmt:   %s: %s\n", name, r == -ENOENT ? "not registered" : strerror(-r));
		problems++;
	} else {
		printf("binfmt:   %s %s, interpreter %s, flags %s\n", name,
		       e.enabled ? "enabled" : "DISABLED", e.interpreter, e.flags);
		problems += !e.enabled;
	}
	/* Other armel entries: the kernel tries the newest first, so one
	 * registered after ours shadows it. */
	if ((d = opendir(AC_BINFMT_DIR))) {
		struct dirent *de;

		while ((de = readdir(d))) {
			struct ac_binfmt_entry o;

			if (de->d_name[0] == '.' || !strcmp(de->d_name, name) ||
			    !strcmp(de->d_name, "status") || !strcmp(de->d_name, "register") ||
			    ac_binfmt_read(AC_BINFMT_DIR, de->d_name, &o) || !o.enabled ||
			    strcmp(o.magic, AC_ARMEL_MAGIC_HEX))
				continue;
			printf("          also enabled for armel: %s (%s); if it was registered "
			       "after %s it runs instead of accel: disable it or run "
			       "accel-bootstrap again\n",
			       de->d_name, o.interpreter, name);
		}
		closedir(d);
	}

	snprintf(mp, sizeof(mp), "%s%s", c->root, AC_VIEW_DIR);
	r = ac_mount_lookup(mp, mroot, sizeof(mroot), fstype, sizeof(fstype));
	if (r <= 0) {
		printf("view:     %s is not mounted; run accel-bootstrap %s\n", mp, c->root);
		problems++;
	} else if (statfs(mp, &sfs) < 0) { /* always reaches the daemon */
		printf("view:     %s (%s) is dead (%s); run accel-bootstrap %s to restart it\n", mp,
		       fstype, strerror(errno), c->root);
		problems++;
	} else if (ac_view_request(&c->rs, "stats", &stats)) {
		printf("view:     %s (%s) is mounted but its daemon does not answer on %s/control\n",
		       mp, fstype, c->rs.dir);
		problems++;
	} else {
		printf("view:     %s (%s), daemon pid %s, generation %s, %s files served\n", mp,
		       fstype, stat_value(stats, "pid", v[0], 64),
		       stat_value(stats, "generation", v[1], 64), stat_value(stats, "files", v[2], 64));
		printf("          lookups %s (%s negative), reads %s, refused %s, rss %s KiB\n",
		       stat_value(stats, "lookups", v[0], 64), stat_value(stats, "negative", v[1], 64),
		       stat_value(stats, "reads", v[2], 64), stat_value(stats, "refused", v[3], 64),
		       stat_value(stats, "rss_kib", v[4], 64));
	}
	if (ac_enabled_read(&c->rs, &cur, &ncur))
		ncur = 0;
	printf("enabled:  %zu programs (accelctl list)\n", ncur);
	skew = malloc(1 << 20);
	{
		char p[128];
		long n;

		snprintf(p, sizeof(p), "%s/skew", c->rs.rel);
		n = skew ? ac_read_small(c->rs.statefd, p, skew, 1 << 20) : -ENOMEM;
		if (n <= 0) {
			printf("skew:     none (every host program is the root's exact version)\n");
		} else {
			char *save = NULL;

			for (char *l = strtok_r(skew, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
				char pn[256], rv[256], sv[256];

				if (sscanf(l, "%255s %255s %255s", pn, rv, sv) == 3)
					printf("skew:     %s: root %s, host build %s (%s)\n", pn, rv, sv,
					       ac_is_compiler_pkg(pn) ? "--allow-toolchain-skew"
								      : "--allow-skew");
			}
		}
	}
	free(skew);
	free(stats);
	return problems ? AC_EXIT_FAILURE : AC_EXIT_OK;
}

static int cmd_reload(struct ctl *c, int argc, char **argv)
{
	char *reply = NULL;
	int r;

	(void)argv;
	if (argc > 1)
		ac_die(AC_EXIT_USAGE, "reload takes no arguments");
	find_root(c);
	r = ac_view_request(&c->rs, "reload", &reply);
	if (r)
		ac_die_errno(AC_EXIT_FAILURE, -r, "the view daemon of %s", c->root);
	fputs(reply, stdout);
	r = strncmp(reply, "ok ", 3) ? AC_EXIT_FAILURE : AC_EXIT_OK;
	free(reply);
	return r;
}

static const struct {
	const char *name;
	int (*fn)(struct ctl *c, int argc, char **argv);
} commands[] = {
	{"enable", cmd_enable}, {"disable", cmd_disable}, {"list", cmd_list},
	{"status", cmd_status}, {"reload", cmd_reload},
};

/* Commands over any directory: no root, no state, any user. */
static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} plain_commands[] = {
	{"outhash", accel_outhash},
	{"equiv", accel_equiv},
	{"task", accel_task},
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"root", required_argument, NULL, 'r'},
		{"state-dir", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct ctl c = {0};
	int ch;

	ac_set_progname(argv[0]);
	umask(022);
	/* Options up to the command word only ("+"): the rest are its own. */
	while ((ch = getopt_long(argc, argv, "+r:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			if (c.root_arg)
				ac_die(AC_EXIT_USAGE, "--root given twice; give it once");
			c.root_arg = optarg;
			break;
		case 'S':
			if (c.state_dir)
				ac_die(AC_EXIT_USAGE, "--state-dir given twice; give it once");
			c.state_dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return AC_EXIT_OK;
		case 'V':
			printf("accelctl %s\n", PACKAGE_VERSION);
			return AC_EXIT_OK;
		default:
			fprintf(stderr, "Try 'accelctl --help'.\n");
			return AC_EXIT_USAGE;
		}
	}
	if (!c.state_dir)
		c.state_dir = ACCEL_STATEDIR;
	if (optind >= argc)
		ac_die(AC_EXIT_USAGE, "give a command (enable, disable, list, status, reload, account, verify, "
				      "outhash, equiv, task); see "
				      "accelctl --help");
	for (size_t i = 0; i < sizeof(plain_commands) / sizeof(plain_commands[0]); i++)
		if (!strcmp(argv[optind], plain_commands[i].name))
			return plain_commands[i].fn(argc - optind, argv + optind);
	if (geteuid() != 0)
		ac_die(AC_EXIT_USAGE, "must run as root (it changes what a root's view serves)");
	if (!strcmp(argv[optind], "verify"))
		return accel_verify(c.state_dir, c.root_arg, argc - optind, argv + optind);
	if (!strcmp(argv[optind], "account"))
		return accel_account(c.state_dir, argc - optind, argv + optind);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[optind], commands[i].name))
			return commands[i].fn(&c, argc - optind, argv + optind);
	ac_die(AC_EXIT_USAGE, "unknown command '%s'; see accelctl --help", argv[optind]);
}
