// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * accelctl/view.c: enable, disable, list, status, reload.
 *
 * enable/disable change the enabled set (STATE/roots/KEY/enabled), re-plan
 * the view (accel/state/apply.h), and make the running view daemon serve it
 * before returning: the next exec sees the change, and no exec sees half of
 * it (the daemon swaps whole snapshots). list and status read state and
 * the daemon's counters (accel/view/control.h).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "accel/base/util.h"
#include "accel/exec/canon.h"
#include "accel/exec/layout.h"
#include "accel/root/binfmt.h"
#include "accel/root/rootdb.h"
#include "accel/state/apply.h"
#include "accel/state/defaults.h"
#include "accel/view/control.h"
#include "commands.h"

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

/* ------------------------------------------------------------ enable, disable */

static void change_usage(FILE *out, const char *cmd)
{
	int en = !strcmp(cmd, "enable");

	fprintf(out,
		"Usage: accelctl [--root ROOT] %s [-p]%s NAME...\n"
		"%s\n"
		"\n"
		"NAME is a command on the root's PATH (make), an absolute path inside the\n"
		"root (/usr/bin/make), or gcc: the compiler (the gcc, g++ and cpp drivers,\n"
		"cc1, cc1plus, collect2, lto-wrapper, lto1, strip, objcopy, objdump and\n"
		"readelf, served by the host build of the root's exact GCC made by\n"
		"accel-build-toolchain ROOT; as, ld, ar, ranlib and nm stay emulated).\n"
		"\n"
		"  -p, --package         NAMEs are packages of the root: every armel program\n"
		"                        they install in a bin directory\n",
		cmd, en ? " [--allow-skew] [--allow-toolchain-skew]" : "",
		en ? "Run NAME natively, as the host build of the same package version, from\n"
		     "the next exec on."
		   : "Run NAME emulated again from the next exec on.");
	if (en)
		fprintf(out,
			"      --allow-skew      accept an amd64 build of another version when the\n"
			"                        root's exact one is not available; stays allowed for\n"
			"                        the root, and status reports it\n"
			"      --allow-toolchain-skew  (gcc) accept a host compiler of another\n"
			"                        version than the root's (another gcc source, or\n"
			"                        Debian's cross compiler: accel-build-toolchain\n"
			"                        --debian-cross); its objects differ at least in the\n"
			"                        .comment identification\n");
	fprintf(out, "  -h, --help            show this help\n"
		     "\n"
		     "Nothing changes unless every NAME is good. Exit status: 0 done, 1 system\n"
		     "error, 2 usage or bad NAME, 3 not an armel ELF program, 6 no usable host\n"
		     "build of the root's exact version.\n");
}

struct change {
	int packages;
	unsigned skew;  /* enum ac_skew */
	int group;      /* a NAME named the compiler (gcc) */
	char **names;
	int nnames;
};

static void parse_change(struct ctl *c, int argc, char **argv, struct change *ch)
{
	static const struct option opts[] = {
		{"package", no_argument, NULL, 'p'},
		{"allow-skew", no_argument, NULL, 's'},
		{"allow-toolchain-skew", no_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int en = !strcmp(argv[0], "enable"), o;

	memset(ch, 0, sizeof(*ch));
	optind = 0; /* a new argv: glibc's getopt starts over */
	while ((o = getopt_long(argc, argv, "ph", opts, NULL)) != -1) {
		switch (o) {
		case 'p':
			ch->packages = 1;
			break;
		case 's':
		case 't':
			if (!en)
				ac_die(AC_EXIT_USAGE, "%s: --%s is an option of enable only", argv[0],
				       o == 's' ? "allow-skew" : "allow-toolchain-skew");
			ch->skew |= o == 's' ? AC_SKEW_PACKAGES : AC_SKEW_TOOLCHAIN;
			break;
		case 'h':
			change_usage(stdout, argv[0]);
			exit(AC_EXIT_OK);
		default:
			fprintf(stderr, "Try 'accelctl %s --help'.\n", argv[0]);
			exit(AC_EXIT_USAGE);
		}
	}
	if (optind >= argc)
		ac_die(AC_EXIT_USAGE, "%s: give at least one NAME", argv[0]);
	ch->names = argv + optind;
	ch->nnames = argc - optind;
	ctl_ready(c);
}

/* NAMEs to canonical program paths; dies with a clear message on the first
 * bad one (nothing has changed yet). enabled: disable's current set, whose
 * programs removed from the root are still named by their recorded path. */
static char **resolve_all(struct ctl *c, const struct ac_rootdb *db, struct change *ch,
			  size_t *out_n, char **enabled, size_t nenabled)
{
	char canon[AC_PATH_MAX];
	struct ac_err err;
	char **v = NULL;
	size_t nv = 0;
	int r;

	for (int i = 0; i < ch->nnames; i++) {
		const char *name = ch->names[i];

		if (ch->packages) {
			struct ac_pkg *p = ac_rootdb_pkg(db, name);

			if (!p)
				ac_die(AC_EXIT_USAGE, "%s: no such package is installed in %s", name,
				       c->root);
			r = ac_rootdb_programs(db, p, &v, &nv);
			if (r < 0)
				ac_die_errno(AC_EXIT_FAILURE, -r, "read the file list of %s in %s",
					     name, c->root);
			if (r == 0)
				ac_die(AC_EXIT_NOT_ARMEL,
				       "%s installs no armel program in a bin directory (or only ones "
				       "named already)",
				       name);
			continue;
		}
		if (!strcmp(name, "gcc")) {
			/* the compiler: drivers, cc1..., strip and friends */
			r = ac_rootdb_compiler(db, &v, &nv, NULL);
			if (r < 0)
				ac_die_errno(AC_EXIT_FAILURE, -r, "list the compiler of %s", c->root);
			if (r == 0 && !nenabled)
				ac_die(AC_EXIT_NOT_ARMEL, "gcc: %s has no armel gcc (/usr/bin/gcc)",
				       c->root);
			ch->group = 1;
			continue;
		}
		r = ac_resolve_name(db->rootfd, c->root, name, canon, sizeof(canon), &err);
		if (r) {
			for (size_t k = 0; k < nenabled; k++)
				if (!strcmp(enabled[k], name)) {
					snprintf(canon, sizeof(canon), "%s", name);
					r = 0;
				}
			if (r)
				ac_die_err(exit_code(r), &err);
		} else {
			struct ac_pkg *owner;

			if ((r = ac_program_check(db, canon, &owner, &err)))
				ac_die_err(exit_code(r), &err);
		}
		if (ac_strv_add(&v, &nv, canon) < 0)
			ac_die(AC_EXIT_FAILURE, "out of memory");
	}
	*out_n = nv;
	return v;
}

static void open_db(struct ctl *c, struct ac_rootdb *db)
{
	struct ac_err err;
	int r = ac_rootdb_open(db, c->root, &err);

	if (r) /* no package database: not a root accel can serve (as accel-bootstrap) */
		ac_die_err(r == -ENOENT ? AC_EXIT_NOT_ARMEL : exit_code(r), &err);
}

/* Make set the root's enabled set; dies (nothing changed) on failure. */
static void apply(struct ctl *c, struct ac_rootdb *db, unsigned skew, char **set, size_t n)
{
	char qemu[PATH_MAX * 2];
	struct ac_store s;
	struct ac_err err;
	int r;

	if (ac_rootstate_store(&c->rs, NULL, skew, &s, &err))
		ac_die_err(AC_EXIT_FAILURE, &err);
	s.verbose = 1;
	s.note = ac_info;
	snprintf(qemu, sizeof(qemu), "%s/" AC_STATE_QEMU, c->rs.dir);
	r = ac_view_apply(&c->rs, db, &s, set, n, access(qemu, F_OK) ? NULL : qemu, &err);
	if (r)
		ac_die(exit_code(r), "%s; nothing was changed", err.msg);
	/* Once allowed for a root, skew stays allowed (until teardown). */
	if (ac_rootstate_allow(&c->rs, skew, &err))
		ac_die_err(AC_EXIT_FAILURE, &err);
	ac_store_close(&s);
}

static int in(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return 1;
	return 0;
}

/* What enable and disable both do first: their options, the root's
 * database and enabled set, and the NAMEs resolved (for disable, enabled
 * programs gone from the root are still named by their recorded path). */
static char **begin_change(struct ctl *c, int argc, char **argv, struct change *ch,
			   struct ac_rootdb *db, char ***cur, size_t *ncur, size_t *nnamed)
{
	int disable = !strcmp(argv[0], "disable");

	parse_change(c, argc, argv, ch);
	open_db(c, db);
	if (ac_enabled_read(&c->rs, cur, ncur))
		ac_die(AC_EXIT_FAILURE, "read %s/" AC_STATE_ENABLED, c->rs.dir);
	return resolve_all(c, db, ch, nnamed, disable ? *cur : NULL, disable ? *ncur : 0);
}

int cmd_enable(struct ctl *c, int argc, char **argv)
{
	struct ac_rootdb db;
	struct change ch;
	char **cur, **add, **set;
	size_t ncur, nadd, n = 0;

	add = begin_change(c, argc, argv, &ch, &db, &cur, &ncur, &nadd);
	/* The assembler's host build is an i386 program (accel/view/plan.h). */
	{
		char as[PATH_MAX], why[256];

		if (ac_default_assembler(&db, as, sizeof(as)) && in(add, nadd, as) &&
		    !in(cur, ncur, as) && !ac_assembler_ready(why, sizeof(why)))
			ac_die(AC_EXIT_NO_EQUIVALENT, "%s: %s; nothing was changed", as, why);
	}
	set = calloc(ncur + nadd + 1, sizeof(*set));
	if (!set)
		ac_die(AC_EXIT_FAILURE, "out of memory");
	for (size_t i = 0; i < ncur; i++)
		set[n++] = cur[i];
	for (size_t i = 0; i < nadd; i++)
		if (!in(cur, ncur, add[i]))
			set[n++] = add[i];
	qsort(set, n, sizeof(*set), ac_cmp_strp);
	apply(c, &db, ch.skew, set, n);
	for (size_t i = 0; i < nadd; i++)
		printf("enabled %s\n", add[i]);
	return AC_EXIT_OK;
}

int cmd_disable(struct ctl *c, int argc, char **argv)
{
	struct ac_rootdb db;
	struct change ch;
	char **cur, **del, **set;
	size_t ncur, ndel, n = 0;

	del = begin_change(c, argc, argv, &ch, &db, &cur, &ncur, &ndel);
	for (size_t i = 0; i < ndel; i++)
		if (!in(cur, ncur, del[i]) && !ch.packages && !ch.group)
			ac_die(AC_EXIT_USAGE, "%s is not enabled; nothing was changed", del[i]);
	set = calloc(ncur + 1, sizeof(*set));
	if (!set)
		ac_die(AC_EXIT_FAILURE, "out of memory");
	for (size_t k = 0; k < ncur; k++)
		if (!in(del, ndel, cur[k]))
			set[n++] = cur[k];
	apply(c, &db, 0, set, n);
	/* The user's set from now on: it no longer follows the packages. */
	if (ac_state_del(&c->rs, AC_STATE_FOLLOW))
		ac_warn("could not remove %s/" AC_STATE_FOLLOW, c->rs.dir);
	for (size_t i = 0; i < ndel; i++)
		printf("disabled %s\n", del[i]);
	return AC_EXIT_OK;
}

/* ------------------------------------------------------- list, status, reload */

/* The options of a command that takes none: --help, and nothing else. */
static void parse_none(struct ctl *c, int argc, char **argv, const char *help)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int o;

	optind = 0;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (o == 'h') {
			printf("Usage: accelctl [--root ROOT] %s\n%s", argv[0], help);
			exit(AC_EXIT_OK);
		}
		fprintf(stderr, "Try 'accelctl %s --help'.\n", argv[0]);
		exit(AC_EXIT_USAGE);
	}
	if (optind < argc)
		ac_die(AC_EXIT_USAGE, "%s takes no arguments (%s); see accelctl %s --help", argv[0],
		       argv[optind], argv[0]);
	ctl_ready(c);
}

int cmd_list(struct ctl *c, int argc, char **argv)
{
	char **cur, *stats = NULL;
	size_t ncur;

	parse_none(c, argc, argv,
		   "The enabled programs of the root, one per line, with how often the view\n"
		   "looked each up and read it (lookups=L reads=N) while its daemon runs.\n"
		   "Exit status: 0, 1 system error, 2 usage.\n");
	if (ac_enabled_read(&c->rs, &cur, &ncur))
		ac_die(AC_EXIT_FAILURE, "read %s/" AC_STATE_ENABLED, c->rs.dir);
	ac_control_request(c->rs.dir, AC_CONTROL_STATS, &stats, NULL);
	for (size_t i = 0; i < ncur; i++) {
		size_t len = 0;
		const char *l = stats ? ac_control_node(stats, cur[i], &len) : NULL;

		if (l)
			printf("%s\t%.*s\n", cur[i], (int)len, l);
		else
			printf("%s\n", cur[i]);
	}
	free(stats);
	return AC_EXIT_OK;
}

/* Other armel entries: the kernel tries the newest first, so one registered
 * after ours shadows it. */
static void other_entries(const char *ours)
{
	struct dirent *de;
	DIR *d = opendir(AC_BINFMT_DIR);

	while (d && (de = readdir(d))) {
		struct ac_binfmt_entry o;

		if (de->d_name[0] == '.' || !strcmp(de->d_name, ours) ||
		    !strcmp(de->d_name, "status") || !strcmp(de->d_name, "register") ||
		    ac_binfmt_read(AC_BINFMT_DIR, de->d_name, &o) || !o.enabled ||
		    strcmp(o.magic, AC_ARMEL_MAGIC_HEX))
			continue;
		printf("          also enabled for armel: %s (%s); if it was registered after %s "
		       "it runs instead of accel: disable it or run accel-bootstrap again\n",
		       de->d_name, o.interpreter, ours);
	}
	if (d)
		closedir(d);
}

static int view_status(struct ctl *c)
{
	char mp[PATH_MAX + 16], mroot[PATH_MAX], fstype[64], v[5][64], *stats = NULL;
	struct statfs sfs;
	int r;

	snprintf(mp, sizeof(mp), "%s%s", c->root, AC_VIEW_DIR);
	r = ac_mount_lookup(mp, mroot, sizeof(mroot), fstype, sizeof(fstype));
	if (r <= 0) {
		printf("view:     %s is not mounted; run accel-bootstrap %s\n", mp, c->root);
		return 1;
	}
	if (statfs(mp, &sfs) < 0) { /* always reaches the daemon */
		printf("view:     %s (%s) is dead (%s); run accel-bootstrap %s to restart it\n", mp,
		       fstype, strerror(errno), c->root);
		return 1;
	}
	if (ac_control_request(c->rs.dir, AC_CONTROL_STATS, &stats, NULL)) {
		printf("view:     %s (%s) is mounted but its daemon does not answer on %s/"
		       AC_CONTROL_SOCKET "\n",
		       mp, fstype, c->rs.dir);
		return 1;
	}
	printf("view:     %s (%s), daemon pid %s, generation %s, %s files served\n", mp, fstype,
	       ac_control_stat(stats, AC_STAT_PID, v[0], 64),
	       ac_control_stat(stats, AC_STAT_GENERATION, v[1], 64),
	       ac_control_stat(stats, AC_STAT_FILES, v[2], 64));
	printf("          lookups %s (%s negative), reads %s, refused %s, rss %s KiB\n",
	       ac_control_stat(stats, AC_STAT_LOOKUPS, v[0], 64),
	       ac_control_stat(stats, AC_STAT_NEGATIVE, v[1], 64),
	       ac_control_stat(stats, AC_STAT_READS, v[2], 64),
	       ac_control_stat(stats, AC_STAT_REFUSED, v[3], 64),
	       ac_control_stat(stats, AC_STAT_RSS_KIB, v[4], 64));
	free(stats);
	return 0;
}

int cmd_status(struct ctl *c, int argc, char **argv)
{
	char buf[PATH_MAX], name[AC_BINFMT_MAX_NAME + 2], pk[PATH_MAX + 8];
	struct ac_binfmt_entry e;
	struct ac_probe_answer probe;
	char **cur, *skew = NULL;
	size_t ncur, npk = 0;
	int problems = 0, r;
	DIR *d;

	parse_none(c, argc, argv,
		   "The root's state: its store, its binfmt_misc entry (and other armel entries\n"
		   "that may shadow it), its view and daemon, the enabled set and any version\n"
		   "skew. Exit status: 0 all well, 1 a problem found (said), 2 usage.\n");
	printf("root:     %s\nstate:    %s\n", c->root, c->rs.dir);
	if (ac_state_get(&c->rs, AC_STATE_STORE, buf, sizeof(buf)))
		snprintf(buf, sizeof(buf), "%s/%s", c->state_dir, AC_DEFAULT_STORE_SUBDIR);
	snprintf(pk, sizeof(pk), "%s/pkgs", buf);
	if ((d = opendir(pk))) {
		struct dirent *de;

		while ((de = readdir(d)))
			npk += de->d_name[0] != '.';
		closedir(d);
	}
	printf("store:    %s (%zu packages)\n", buf, npk);

	if (ac_state_get(&c->rs, AC_STATE_BINFMT_NAME, name, sizeof(name)))
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
	other_entries(name);
	/* What the kernel really runs armel programs with: an exec probe. */
	r = ac_binfmt_probe(c->rs.dir, &probe);
	if (r == AC_PROBE_ACCEL)
		printf("exec:     armel programs reach accel's dispatcher (%s, version %s)\n",
		       probe.interpreter, probe.version);
	else if (r == AC_PROBE_OTHER)
		printf("exec:     armel programs reach another interpreter first (Debian's qemu-arm "
		       "registered after %s?); run accel-bootstrap %s again\n", name, c->root);
	else if (r == AC_PROBE_NONE)
		printf("exec:     no binfmt_misc entry runs armel programs\n");
	else
		printf("exec:     the probe could not run (%s)\n", strerror(-r));
	problems += r != AC_PROBE_ACCEL;
	if (ac_state_has(&c->rs, AC_STATE_STOPPED))
		printf("stopped:  accel-bootstrap --stop was run; accel-bootstrap %s starts it\n",
		       c->root);
	problems += view_status(c);
	if (ac_enabled_read(&c->rs, &cur, &ncur))
		ncur = 0;
	printf("enabled:  %zu programs (accelctl list)\n", ncur);
	if (ac_state_read(&c->rs, AC_STATE_SKEW, 1u << 20, &skew) || !skew[0]) {
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
	free(skew);
	return problems ? AC_EXIT_FAILURE : AC_EXIT_OK;
}

int cmd_reload(struct ctl *c, int argc, char **argv)
{
	struct ac_reload_reply rep;
	struct ac_err err;
	char *reply = NULL;
	int r;

	parse_none(c, argc, argv,
		   "Make the root's view daemon read its manifest again and serve it; print the\n"
		   "daemon's answer. Exit status: 0 served, 1 refused or no daemon, 2 usage.\n");
	if (ac_control_request(c->rs.dir, AC_CONTROL_RELOAD, &reply, &err))
		ac_die_err(AC_EXIT_FAILURE, &err);
	fputs(reply, stdout);
	r = !ac_control_reload_parse(reply, &rep) && rep.ok ? AC_EXIT_OK : AC_EXIT_FAILURE;
	free(reply);
	return r;
}
