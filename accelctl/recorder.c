// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * accelctl/recorder.c: accelctl outhash, equiv and task
 * (accel/recorder/outhash.h, equiv.h, task.h). These work on any directory and need no set-up root, so
 * they run as any user.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accel/recorder/equiv.h"
#include "accel/recorder/outhash.h"
#include "accel/recorder/task.h"
#include "accel/base/util.h"
#include "accel/base/spawn.h"
#include "commands.h"

#define DEFAULT_STORE ACCEL_STATEDIR "/tasks"
/* Entries per list option of one task (--input, --after, --env): far more
 * than a task declares, and it keeps the lists fixed arrays. */
#define MAX_LIST 256

static long long parse_ll(const char *opt, const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < 0)
		ac_die(AC_EXIT_USAGE, "%s: '%s' is not a non-negative number", opt, s);
	return v;
}

/* ------------------------------------------------------------ outhash */

static void outhash_usage(FILE *out)
{
	fprintf(out,
		"Usage: accelctl outhash [OPTION]... DIR\n"
		"Print the output hash of the tree DIR, as OpenEmbedded's OEOuthashBasic\n"
		"computes it (sha256 over one text line per entry).\n"
		"\n"
		"  -t, --task NAME            the task=NAME line (OE: do_NAME without do_)\n"
		"      --pkgspec SPEC         the SSTATE_PKGSPEC= line\n"
		"      --owners               hash owner and group names and group/other\n"
		"                             permission bits (OE does under pseudo)\n"
		"      --names-root ROOT      owner names from ROOT/etc/passwd and group\n"
		"      --hash-version V       HASHEQUIV_HASH_VERSION line\n"
		"      --extra-sigdata S      HASHEQUIV_EXTRA_SIGDATA line\n"
		"      --source-date-epoch N  clamp of task \"package\" timestamps (default:\n"
		"                             $SOURCE_DATE_EPOCH)\n"
		"  -j, --jobs N               hashing threads (default: one per CPU)\n"
		"      --lines                print the hashed text instead of the hash\n"
		"\n"
		"Exit status: 0 done, 1 a file could not be read or has an owner without a\n"
		"name, 2 usage.\n");
}

static int outhash_opts(int argc, char **argv, struct ac_outhash_opts *o, int *lines)
{
	static const struct option opts[] = {
		{"task", required_argument, NULL, 't'},
		{"pkgspec", required_argument, NULL, 'P'},
		{"owners", no_argument, NULL, 'O'},
		{"names-root", required_argument, NULL, 'N'},
		{"hash-version", required_argument, NULL, 'H'},
		{"extra-sigdata", required_argument, NULL, 'E'},
		{"source-date-epoch", required_argument, NULL, 'D'},
		{"jobs", required_argument, NULL, 'j'},
		{"lines", no_argument, NULL, 'L'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	int ch;

	optind = 0; /* a new argv: glibc's getopt starts over */
	while ((ch = getopt_long(argc, argv, "t:j:h", opts, NULL)) != -1) {
		switch (ch) {
		case 't':
			o->task = optarg;
			break;
		case 'P':
			o->pkgspec = optarg;
			break;
		case 'O':
			o->owners = 1;
			break;
		case 'N':
			o->names_root = optarg;
			break;
		case 'H':
			o->hash_version = optarg;
			break;
		case 'E':
			o->extra = optarg;
			break;
		case 'D':
			sde = optarg;
			break;
		case 'j':
			o->jobs = (int)parse_ll("--jobs", optarg);
			if (o->jobs < 1 || o->jobs > 64)
				ac_die(AC_EXIT_USAGE, "--jobs: give 1 to 64");
			break;
		case 'L':
			*lines = 1;
			break;
		case 'h':
			outhash_usage(stdout);
			exit(AC_EXIT_OK);
		default:
			fprintf(stderr, "Try 'accelctl outhash --help'.\n");
			exit(AC_EXIT_USAGE);
		}
	}
	if (sde && *sde) {
		o->source_date_epoch = parse_ll("SOURCE_DATE_EPOCH", sde);
		o->have_source_date_epoch = 1;
	}
	return optind;
}

int cmd_outhash(struct ctl *c, int argc, char **argv)
{
	struct ac_outhash_opts o = {0};
	char hex[AC_OUTHASH_HEX];
	struct ac_err why;
	struct ac_buf lines = {0};
	int want_lines = 0, r;
	int i = outhash_opts(argc, argv, &o, &want_lines);

	(void)c; /* needs nothing: any directory, any user */

	if (argc - i != 1)
		ac_die(AC_EXIT_USAGE, "give one directory; see accelctl outhash --help");
	r = ac_outhash_tree(argv[i], &o, hex, want_lines ? &lines : NULL, &why);
	if (r)
		ac_die(r == -EINVAL ? AC_EXIT_USAGE : AC_EXIT_FAILURE, "outhash: %s", why.msg);
	if (want_lines)
		fwrite(lines.p, 1, lines.len, stdout);
	else
		printf("%s\n", hex);
	ac_buf_free(&lines);
	return fflush(stdout) ? AC_EXIT_FAILURE : AC_EXIT_OK;
}

/* ------------------------------------------------------------ equiv */

struct where {
	const char *store;
	const char *db;
	const char *hashserv;
	const char *method;
};

static int equiv_exit(int r)
{
	switch (r) {
	case -ENOENT:
		return AC_EXIT_NOT_FOUND;
	case -EINVAL:
		return AC_EXIT_USAGE;
	case -EPROTO:
		return AC_EXIT_PEER;
	default:
		return AC_EXIT_FAILURE;
	}
}

static struct ac_equiv *equiv_open(const struct where *w)
{
	char db[PATH_MAX];
	struct ac_err why;
	const char *addr = w->hashserv;
	struct ac_equiv *e;
	int r;

	if (!addr) {
		if (w->db)
			addr = w->db;
		else {
			ac_xsnprintf(db, sizeof(db), "%s/accel.db", w->store);
			r = ac_mkdir_p(AT_FDCWD, w->store, 0755);
			if (r)
				ac_die_errno(AC_EXIT_FAILURE, -r, "task store %s", w->store);
			addr = db;
		}
	} else if (!ac_equiv_is_remote(addr)) {
		ac_die(AC_EXIT_USAGE,
		       "--hashserv '%s': give unix://PATH, HOST:PORT or [ADDRESS]:PORT", addr);
	}
	r = ac_equiv_open(addr, &e, &why);
	if (r)
		ac_die(equiv_exit(r), "%s", why.msg);
	return e;
}

static void equiv_usage(FILE *out)
{
	fprintf(out,
		"Usage: accelctl equiv [OPTION]... get [--all] TASKHASH\n"
		"       accelctl equiv [OPTION]... report [--task NAME] [--siginfo FILE]\n"
		"                                  TASKHASH OUTHASH [UNIHASH]\n"
		"       accelctl equiv [OPTION]... get-stream  (TASKHASH lines on stdin)\n"
		"Resolve taskhashes to unihashes with bitbake-hashserv's rules: the first\n"
		"taskhash reported with an outhash keeps its unihash, later ones with the\n"
		"same outhash get it, a mapping never changes.\n"
		"\n"
		"      --store DIR        the task store whose accel.db to use (default %s)\n"
		"      --db FILE          this SQLite database instead\n"
		"      --hashserv ADDR    a bitbake-hashserv server: unix://PATH, HOST:PORT\n"
		"      --method METHOD    the method name (default %s)\n"
		"\n"
		"get prints the unihash (--all: the whole row as JSON); report prints the\n"
		"unihash now in force (UNIHASH proposed, default TASKHASH); get-stream prints\n"
		"one line per input line, empty when unknown.\n"
		"Exit status: 0 done, 1 system error, 2 usage or a malformed hash, 8 get\n"
		"found nothing, 9 the server refused or failed.\n",
		DEFAULT_STORE, AC_EQUIV_METHOD);
}

/* Options shared by equiv and task: returns 1 if ch was one of them. */
static int where_opt(struct where *w, int ch)
{
	switch (ch) {
	case 'S':
		w->store = optarg;
		return 1;
	case 'B':
		w->db = optarg;
		return 1;
	case 'A':
		w->hashserv = optarg;
		return 1;
	case 'M':
		w->method = optarg;
		return 1;
	}
	return 0;
}

#define WHERE_OPTIONS                                                                           \
	{"store", required_argument, NULL, 'S'}, {"db", required_argument, NULL, 'B'},         \
		{"hashserv", required_argument, NULL, 'A'},                                     \
		{"method", required_argument, NULL, 'M'}

static char *read_file(const char *path)
{
	struct ac_buf b = {0};
	char buf[65536];
	size_t n;
	FILE *f = fopen(path, "re");

	if (!f)
		ac_die_errno(AC_EXIT_USAGE, errno, "--siginfo %s", path);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (ac_buf_add(&b, buf, n))
			ac_die(AC_EXIT_FAILURE, "out of memory");
	fclose(f);
	return b.p ? b.p : strdup("");
}

int cmd_equiv(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		WHERE_OPTIONS,
		{"all", no_argument, NULL, 'a'},
		{"siginfo", required_argument, NULL, 'I'},
		{"task", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct where w = {DEFAULT_STORE, NULL, NULL, AC_EQUIV_METHOD};
	const char *siginfo_path = NULL, *task = NULL, *cmd;
	char uni[AC_HASH_HEX];
	struct ac_equiv *e;
	struct ac_err why;
	int all = 0, ch, r;

	(void)c; /* needs nothing: any directory, any user */

	optind = 0; /* a new argv: glibc's getopt starts over */
	/* Options may come before or after the subcommand word. */
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (where_opt(&w, ch))
			continue;
		switch (ch) {
		case 'a':
			all = 1;
			break;
		case 'I':
			siginfo_path = optarg;
			break;
		case 't':
			task = optarg;
			break;
		case 'h':
			equiv_usage(stdout);
			return AC_EXIT_OK;
		default:
			fprintf(stderr, "Try 'accelctl equiv --help'.\n");
			return AC_EXIT_USAGE;
		}
	}
	if (w.db && w.hashserv)
		ac_die(AC_EXIT_USAGE, "--db and --hashserv conflict; give one");
	if (optind >= argc)
		ac_die(AC_EXIT_USAGE, "give get, report or get-stream; see accelctl equiv --help");
	cmd = argv[optind++];
	if (!strcmp(cmd, "get")) {
		if (argc - optind != 1)
			ac_die(AC_EXIT_USAGE, "get takes one TASKHASH");
		e = equiv_open(&w);
		if (all) {
			char *json = NULL;

			r = ac_equiv_get_all(e, w.method, argv[optind], &json, &why);
			if (!r)
				printf("%s\n", json);
			free(json);
		} else {
			r = ac_equiv_get(e, w.method, argv[optind], uni, &why);
			if (!r)
				printf("%s\n", uni);
		}
	} else if (!strcmp(cmd, "report")) {
		struct ac_equiv_report rep = {.method = w.method, .task = task};
		char *siginfo = NULL;

		if (argc - optind != 2 && argc - optind != 3)
			ac_die(AC_EXIT_USAGE, "report takes TASKHASH OUTHASH [UNIHASH]");
		rep.taskhash = argv[optind];
		rep.outhash = argv[optind + 1];
		rep.unihash = argc - optind == 3 ? argv[optind + 2] : rep.taskhash;
		if (siginfo_path)
			rep.siginfo = siginfo = read_file(siginfo_path);
		e = equiv_open(&w);
		r = ac_equiv_report(e, &rep, uni, &why);
		if (!r)
			printf("%s\n", uni);
		free(siginfo);
	} else if (!strcmp(cmd, "get-stream")) {
		char **hashes = NULL, (*out)[AC_HASH_HEX] = NULL, line[512];
		size_t n = 0;

		if (argc != optind)
			ac_die(AC_EXIT_USAGE, "get-stream reads taskhashes from stdin; no arguments");
		while (fgets(line, sizeof(line), stdin)) {
			line[strcspn(line, "\n")] = '\0';
			char **more = realloc(hashes, (n + 1) * sizeof(*hashes));

			if (!more || !(more[n++] = strdup(line)))
				ac_die(AC_EXIT_FAILURE, "out of memory");
			hashes = more;
		}
		e = equiv_open(&w);
		out = calloc(n ? n : 1, sizeof(*out));
		if (!out)
			ac_die(AC_EXIT_FAILURE, "out of memory");
		r = ac_equiv_get_many(e, w.method, (const char *const *)hashes, n, out, &why);
		for (size_t i = 0; !r && i < n; i++)
			printf("%s\n", out[i]);
		for (size_t i = 0; i < n; i++)
			free(hashes[i]);
		free(hashes);
		free(out);
	} else {
		ac_die(AC_EXIT_USAGE, "unknown equiv command '%s'; give get, report or get-stream",
		       cmd);
	}
	if (r && r != -ENOENT)
		fprintf(stderr, "%s: %s\n", ac_progname, why.msg);
	ac_equiv_close(e);
	if (fflush(stdout))
		return AC_EXIT_FAILURE;
	return r ? equiv_exit(r) : AC_EXIT_OK;
}

/* ------------------------------------------------------------ task */

static void task_usage(FILE *out)
{
	fprintf(out,
		"Usage: accelctl task run --name NAME [--input PATH]... [--after NAME]...\n"
		"                         [--env NAME]... [--owners] --output DIR -- COMMAND...\n"
		"       accelctl task gc [--max-size SIZE] [--max-age DAYS]\n"
		"Run COMMAND unless an equivalent run's output can be restored.\n"
		"\n"
		"The taskhash covers NAME, COMMAND and its arguments, the declared --env\n"
		"variables' values, DIR's path, each --input's path and content, and the\n"
		"unihash of each --after task's last run in this store. It resolves to a\n"
		"unihash (see accelctl equiv); if the store has DIR archived under that\n"
		"unihash, DIR is restored from it (checked against its recorded outhash)\n"
		"and COMMAND does not run. Otherwise DIR is emptied, COMMAND runs in the\n"
		"current directory, DIR's outhash is reported and DIR archived under the\n"
		"resolved unihash.\n"
		"\n"
		"      --store DIR        the task store (default %s)\n"
		"      --db FILE          equivalences in this SQLite file (default: the store's)\n"
		"      --hashserv ADDR    equivalences at a bitbake-hashserv server\n"
		"      --method METHOD    the equivalence method (default %s)\n"
		"      --owners           owners count in the outhash (and are archived)\n"
		"      --max-size SIZE    gc: keep at most SIZE bytes (K, M, G suffixes)\n"
		"      --max-age DAYS     gc: drop archives unused for DAYS days\n"
		"\n"
		"Exit status: COMMAND's when it ran and failed (128+N for signal N); else 0\n"
		"done, 1 system error, 2 usage, 9 the hashserv failed.\n",
		DEFAULT_STORE, AC_EQUIV_METHOD);
}

static unsigned long long parse_size(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || s[0] == '-')
		ac_die(AC_EXIT_USAGE, "--max-size: '%s' is not a size (like 500M)", s);
	switch (*end) {
	case 'G':
		v <<= 10;
		/* fall through */
	case 'M':
		v <<= 10;
		/* fall through */
	case 'K':
		v <<= 10;
		end++;
		break;
	}
	if (*end)
		ac_die(AC_EXIT_USAGE, "--max-size: '%s' is not a size (like 500M)", s);
	return v;
}

int accel_path_covers(const char *a, const char *b)
{
	size_t n = strlen(a);

	if (!strcmp(a, "/"))
		return 1;
	return !strncmp(a, b, n) && (b[n] == '\0' || b[n] == '/');
}

static int overlap(const char *a, const char *b)
{
	return accel_path_covers(a, b) || accel_path_covers(b, a);
}

/* The output directory must be something the task may empty: not /, not the
 * working directory or above it, not the store, not an input. */
static void check_output(const char *out, const char *store, const char *const *inputs)
{
	char abs[PATH_MAX], cwd[PATH_MAX], other[PATH_MAX];

	if (!realpath(out, abs)) {
		char dcopy[PATH_MAX], bcopy[PATH_MAX];

		/* Not there yet: its parent must be. */
		ac_xsnprintf(dcopy, sizeof(dcopy), "%s", out);
		ac_xsnprintf(bcopy, sizeof(bcopy), "%s", out);
		if (!realpath(dirname(dcopy), abs))
			ac_die_errno(AC_EXIT_USAGE, errno, "--output %s: its parent", out);
		ac_xsnprintf(abs + strlen(abs), sizeof(abs) - strlen(abs), "/%s", basename(bcopy));
	}
	if (!getcwd(cwd, sizeof(cwd)))
		ac_die_errno(AC_EXIT_FAILURE, errno, "getcwd");
	if (accel_path_covers(abs, cwd))
		ac_die(AC_EXIT_USAGE,
		       "--output %s is the working directory or above it; it is emptied before "
		       "the command runs: give a subdirectory",
		       out);
	if (realpath(store, other) && overlap(abs, other))
		ac_die(AC_EXIT_USAGE, "--output %s and the task store %s overlap; keep them apart",
		       out, store);
	for (size_t i = 0; inputs[i]; i++)
		if (realpath(inputs[i], other) && overlap(abs, other))
			ac_die(AC_EXIT_USAGE,
			       "--output %s and --input %s overlap; an input cannot be an output",
			       out, inputs[i]);
}

int accel_run(char *const *argv)
{
	int r = ac_spawn_run(&(struct ac_spawn){.argv = argv}, NULL);

	if (r < 0) {
		fprintf(stderr, "%s: %s: %s\n", ac_progname, argv[0], strerror(-r));
		return 127;
	}
	return r;
}

static void add_list(const char ***v, size_t *n, const char *s, const char *opt)
{
	if (*n + 2 > MAX_LIST)
		ac_die(AC_EXIT_USAGE, "more than %d %s options", MAX_LIST - 1, opt);
	if (!*v && !(*v = calloc(MAX_LIST, sizeof(**v))))
		ac_die(AC_EXIT_FAILURE, "out of memory");
	(*v)[(*n)++] = s;
}

static int task_run(struct where *w, int argc, char **argv)
{
	static const struct option opts[] = {
		WHERE_OPTIONS,
		{"name", required_argument, NULL, 'n'},
		{"input", required_argument, NULL, 'i'},
		{"after", required_argument, NULL, 'a'},
		{"env", required_argument, NULL, 'e'},
		{"output", required_argument, NULL, 'o'},
		{"owners", no_argument, NULL, 'O'},
		{NULL, 0, NULL, 0},
	};
	const char **inputs = NULL, **after = NULL, **envs = NULL, **env_vals = NULL;
	char **in_hash = NULL, **after_uni = NULL;
	size_t n_in = 0, n_after = 0, n_env = 0;
	const char *name = NULL, *output = NULL;
	struct ac_outhash_opts o = {0};
	struct ac_taskdef def;
	struct ac_taskstore *s;
	struct ac_equiv *e;
	struct ac_buf text = {0}, lines = {0};
	char taskhash[AC_HASH_HEX], unihash[AC_HASH_HEX], resolved[AC_HASH_HEX];
	char outhash[AC_OUTHASH_HEX], recorded[AC_HASH_HEX];
	struct ac_err why;
	int ch, r, status;

	while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (where_opt(w, ch))
			continue;
		switch (ch) {
		case 'n':
			if (name)
				ac_die(AC_EXIT_USAGE, "--name given twice; give it once");
			name = optarg;
			break;
		case 'i':
			add_list(&inputs, &n_in, optarg, "--input");
			break;
		case 'a':
			add_list(&after, &n_after, optarg, "--after");
			break;
		case 'e':
			if (!*optarg || strchr(optarg, '='))
				ac_die(AC_EXIT_USAGE, "--env %s: give a variable name (its value is "
						      "taken from the environment)", optarg);
			add_list(&envs, &n_env, optarg, "--env");
			break;
		case 'o':
			if (output)
				ac_die(AC_EXIT_USAGE, "--output given twice; give it once");
			output = optarg;
			break;
		case 'O':
			o.owners = 1;
			break;
		default:
			fprintf(stderr, "Try 'accelctl task --help'.\n");
			free(inputs);
			free(after);
			free(envs);
			return AC_EXIT_USAGE;
		}
	}
	if (!name || !output || optind >= argc)
		ac_die(AC_EXIT_USAGE, "task run needs --name NAME, --output DIR and -- COMMAND");
	if (!*name || strchr(name, '/') || strchr(name, ':') || strlen(name) > 128)
		ac_die(AC_EXIT_USAGE, "--name '%s': give 1 to 128 characters without / and :", name);
	if (w->db && w->hashserv)
		ac_die(AC_EXIT_USAGE, "--db and --hashserv conflict; give one");
	add_list(&inputs, &n_in, NULL, "--input");
	n_in--;
	add_list(&after, &n_after, NULL, "--after");
	n_after--;
	add_list(&envs, &n_env, NULL, "--env");
	n_env--;
	check_output(output, w->store, inputs);

	r = ac_taskstore_open(w->store, &s, &why);
	if (r)
		ac_die(AC_EXIT_FAILURE, "%s", why.msg);
	if (!w->db && !w->hashserv)
		w->db = ac_taskstore_db(s);
	e = equiv_open(w);

	/* The definition. */
	in_hash = calloc(n_in + 1, sizeof(*in_hash));
	after_uni = calloc(n_after + 1, sizeof(*after_uni));
	env_vals = calloc(n_env + 1, sizeof(*env_vals));
	if (!in_hash || !after_uni || !env_vals)
		ac_die(AC_EXIT_FAILURE, "out of memory");
	for (size_t i = 0; i < n_env; i++)
		env_vals[i] = getenv(envs[i]);
	for (size_t i = 0; i < n_in; i++) {
		char *h = malloc(128);

		if (!h)
			ac_die(AC_EXIT_FAILURE, "out of memory");
		r = ac_task_input_hash(inputs[i], h, 128, &why);
		if (r)
			ac_die(r == -ENOENT || r == -EINVAL ? AC_EXIT_USAGE : AC_EXIT_FAILURE, "%s",
			       why.msg);
		in_hash[i] = h;
	}
	for (size_t i = 0; i < n_after; i++) {
		char *u = malloc(AC_HASH_HEX);

		if (!u)
			ac_die(AC_EXIT_FAILURE, "out of memory");
		r = ac_taskstore_last(s, after[i], u, &why);
		if (r == -ENOENT)
			ac_die(AC_EXIT_USAGE,
			       "task %s runs after %s, which has not run with store %s; run it "
			       "first",
			       name, after[i], w->store);
		if (r)
			ac_die(AC_EXIT_FAILURE, "%s", why.msg);
		after_uni[i] = u;
	}
	def = (struct ac_taskdef){name, (const char *const *)argv + optind, envs, env_vals, output,
				  inputs, (const char *const *)in_hash, after,
				  (const char *const *)after_uni};
	if (ac_taskhash(&def, &text, taskhash))
		ac_die(AC_EXIT_FAILURE, "out of memory");
	o.task = name;

	/* Resolve; restore if an equivalent output is archived. */
	{
		const char *one[1] = {taskhash};
		char got[1][AC_HASH_HEX];

		r = ac_equiv_get_many(e, w->method, one, 1, got, &why);
		if (r)
			ac_die(equiv_exit(r), "%s", why.msg);
		snprintf(unihash, sizeof(unihash), "%s", got[0][0] ? got[0] : taskhash);
	}
	r = ac_taskstore_lookup(s, name, unihash, recorded, &why);
	if (r && r != -ENOENT)
		ac_die(AC_EXIT_FAILURE, "%s", why.msg);
	if (!r) {
		r = ac_taskstore_restore(s, name, unihash, output, &o, &why);
		if (!r) {
			ac_info("task %s: restored %s from sstate:%s:%.16s (taskhash %.16s, outhash "
				"%.16s)",
				name, output, name, unihash, taskhash, recorded);
			ac_taskstore_set_last(s, name, taskhash, unihash, recorded, &why);
			status = AC_EXIT_OK;
			goto out;
		}
		if (r != -EBADMSG)
			ac_die(AC_EXIT_FAILURE, "%s", why.msg);
		ac_warn("task %s: archive damaged, deleted, running the task: %s", name,
			why.msg);
	}

	/* Run. */
	r = ac_rm_rf(AT_FDCWD, output);
	if (!r)
		r = ac_mkdir_p(AT_FDCWD, output, 0755);
	if (r)
		ac_die_errno(AC_EXIT_FAILURE, -r, "--output %s", output);
	status = accel_run(argv + optind);
	if (status) {
		ac_warn("task %s: %s exited with status %d; nothing recorded", name, argv[optind],
			status);
		goto out;
	}
	r = ac_outhash_tree(output, &o, outhash, &lines, &why);
	if (r)
		ac_die(AC_EXIT_FAILURE, "task %s: %s", name, why.msg);
	{
		struct ac_equiv_report rep = {w->method, taskhash, outhash, taskhash, name, lines.p};

		r = ac_equiv_report(e, &rep, resolved, &why);
		if (r)
			ac_die(equiv_exit(r), "%s", why.msg);
	}
	r = ac_taskstore_lookup(s, name, resolved, recorded, &why);
	if (r && r != -ENOENT)
		ac_die(AC_EXIT_FAILURE, "task %s: %s", name, why.msg);
	if (r == -ENOENT) {
		r = ac_taskstore_archive(s, name, resolved, output, outhash, &why);
		if (r)
			ac_die(AC_EXIT_FAILURE, "task %s: archive: %s", name, why.msg);
	}
	ac_taskstore_set_last(s, name, taskhash, resolved, outhash, &why);
	ac_info("task %s: ran %s (taskhash %.16s, outhash %.16s, unihash %.16s%s)", name,
		argv[optind], taskhash, outhash, resolved,
		strcmp(resolved, taskhash) ? ": equivalent to an earlier run" : "");
out:
	ac_buf_free(&text);
	ac_buf_free(&lines);
	for (size_t i = 0; i < n_in; i++)
		free(in_hash[i]);
	for (size_t i = 0; i < n_after; i++)
		free(after_uni[i]);
	free(in_hash);
	free(after_uni);
	free(env_vals);
	free(inputs);
	free(after);
	free(envs);
	ac_equiv_close(e);
	ac_taskstore_close(s);
	return status;
}

int cmd_task(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		WHERE_OPTIONS,
		{"max-size", required_argument, NULL, 'z'},
		{"max-age", required_argument, NULL, 'g'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct where w = {DEFAULT_STORE, NULL, NULL, AC_EQUIV_METHOD};
	unsigned long long max_size = 0;
	long long max_age = 0;
	struct ac_err why;
	struct ac_taskstore *s;
	int ch, r;

	(void)c; /* needs nothing: any directory, any user */

	optind = 0; /* a new argv: glibc's getopt starts over */
	if (argc >= 2 && !strcmp(argv[1], "run")) {
		return task_run(&w, argc - 1, argv + 1);
	}
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (where_opt(&w, ch))
			continue;
		switch (ch) {
		case 'z':
			max_size = parse_size(optarg);
			break;
		case 'g':
			max_age = parse_ll("--max-age", optarg);
			break;
		case 'h':
			task_usage(stdout);
			return AC_EXIT_OK;
		default:
			fprintf(stderr, "Try 'accelctl task --help'.\n");
			return AC_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		ac_die(AC_EXIT_USAGE, "give run or gc; see accelctl task --help");
	if (!strcmp(argv[optind], "gc")) {
		struct ac_gc_result res;

		if (!max_size && !max_age)
			ac_die(AC_EXIT_USAGE, "gc needs --max-size SIZE or --max-age DAYS");
		r = ac_taskstore_open(w.store, &s, &why);
		if (r)
			ac_die(AC_EXIT_FAILURE, "%s", why.msg);
		r = ac_taskstore_gc(s, max_size, (time_t)max_age * 86400, &res, &why);
		if (r)
			ac_die(AC_EXIT_FAILURE, "gc: %s", why.msg);
		printf("removed %zu archives (%llu bytes), kept %zu (%llu bytes)\n", res.removed,
		       res.freed, res.kept, res.left);
		ac_taskstore_close(s);
		return AC_EXIT_OK;
	}
	ac_die(AC_EXIT_USAGE, "unknown task command '%s'; give run or gc", argv[optind]);
}
