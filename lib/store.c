// SPDX-License-Identifier: GPL-2.0-or-later
/* Root package database, host store and view plans; see accel/store.h. */
#include "config.h"

#include "accel/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pwd.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accel/armel.h"
#include "accel/canon.h"
#include "accel/elfview.h"
#include "accel/util.h"

extern char **environ;

int ac_fail(char *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, AC_ERR_MAX, fmt, ap);
	va_end(ap);
	return code;
}

/* ------------------------------------------------------------ subprocesses */

/*
 * Run argv (no shell) in dir; its stdout goes to *out (malloc'ed, bounded by
 * maxout) when out is given, else to ours (quiet: /dev/null). Returns the
 * exit status (0..255), or -errno if it could not run.
 */
static int run(char *const argv[], const char *dir, char **out, size_t maxout, int quiet)
{
	posix_spawn_file_actions_t fa;
	int pipefd[2] = {-1, -1}, status, r;
	pid_t pid;
	size_t len = 0, cap = 0;
	char *buf = NULL;

	if (out && pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	if (out)
		posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	else if (quiet)
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (dir)
		posix_spawn_file_actions_addchdir_np(&fa, dir);
	r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (out)
		close(pipefd[1]);
	if (r) {
		if (out)
			close(pipefd[0]);
		return -r;
	}
	if (out) {
		for (;;) {
			ssize_t n;

			if (len + 4096 + 1 > cap) {
				char *nb;

				cap = cap ? cap * 2 : 65536;
				if (cap > maxout + 4096 + 1 || !(nb = realloc(buf, cap))) {
					r = -E2BIG;
					break;
				}
				buf = nb;
			}
			n = read(pipefd[0], buf + len, cap - len - 1);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			len += (size_t)n;
		}
		close(pipefd[0]);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (r) {
		free(buf);
		return r;
	}
	if (out) {
		if (!buf && !(buf = malloc(1)))
			return -ENOMEM;
		buf[len] = '\0';
		*out = buf;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* --------------------------------------------------------------- root db */

struct ac_path_owner {
	char *path;
	struct ac_pkg *pkg;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int index_put(struct ac_rootdb *db, const char *path, struct ac_pkg *pkg)
{
	size_t i;

	if ((db->index_used + 1) * 2 > db->index_cap) {
		size_t cap = db->index_cap ? db->index_cap * 2 : 16384;
		struct ac_path_owner *t = calloc(cap, sizeof(*t));

		if (!t)
			return -ENOMEM;
		for (size_t j = 0; j < db->index_cap; j++) {
			if (!db->index[j].path)
				continue;
			for (i = hash_str(db->index[j].path) & (cap - 1); t[i].path; i = (i + 1) & (cap - 1))
				;
			t[i] = db->index[j];
		}
		free(db->index);
		db->index = t;
		db->index_cap = cap;
	}
	for (i = hash_str(path) & (db->index_cap - 1); db->index[i].path;
	     i = (i + 1) & (db->index_cap - 1))
		if (!strcmp(db->index[i].path, path))
			return 0; /* directories are listed by many packages */
	if (!(db->index[i].path = strdup(path)))
		return -ENOMEM;
	db->index[i].pkg = pkg;
	db->index_used++;
	return 0;
}

static struct ac_pkg *index_get(const struct ac_rootdb *db, const char *path)
{
	if (!db->index_cap)
		return NULL;
	for (size_t i = hash_str(path) & (db->index_cap - 1); db->index[i].path;
	     i = (i + 1) & (db->index_cap - 1))
		if (!strcmp(db->index[i].path, path))
			return db->index[i].pkg;
	return NULL;
}

int ac_is_compiler_pkg(const char *name)
{
	static const char *const stems[] = {"gcc-", "cpp-", "g++-"};

	for (size_t i = 0; i < sizeof(stems) / sizeof(stems[0]); i++) {
		size_t l = strlen(stems[i]);

		if (!strncmp(name, stems[i], l) && name[l] &&
		    strspn(name + l, "0123456789") == strlen(name + l))
			return 1;
	}
	return 0;
}

static int cmp_pkg(const void *a, const void *b)
{
	return strcmp(((const struct ac_pkg *)a)->name, ((const struct ac_pkg *)b)->name);
}

struct ac_pkg *ac_rootdb_pkg(const struct ac_rootdb *db, const char *name)
{
	struct ac_pkg key = {.name = (char *)(uintptr_t)name};

	return bsearch(&key, db->pkgs, db->npkgs, sizeof(key), cmp_pkg);
}

/* The root's list file of p (NAME.list or NAME:ARCH.list), opened. */
static FILE *open_list(const struct ac_rootdb *db, const struct ac_pkg *p)
{
	char path[4096];
	int fd;

	for (int i = 0; i < 2; i++) {
		int qualified = i == 0 ? p->ma_same : !p->ma_same;

		snprintf(path, sizeof(path), "var/lib/dpkg/info/%s%s%s.list", p->name,
			 qualified ? ":" : "", qualified ? p->arch : "");
		fd = openat(db->rootfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd >= 0)
			return fdopen(fd, "re");
	}
	return NULL;
}

int ac_rootdb_files(const struct ac_rootdb *db, const struct ac_pkg *p,
		    int (*fn)(void *ctx, const char *path), void *ctx)
{
	FILE *f = open_list(db, p);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int r = 0;

	if (!f)
		return -ENOENT;
	while (!r && (n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (n > 0 && n < AC_PATH_MAX && line[0] == '/')
			r = fn(ctx, line);
	}
	free(line);
	fclose(f);
	return r;
}

struct index_ctx {
	struct ac_rootdb *db;
	struct ac_pkg *pkg;
};

static int index_one(void *ctx, const char *path)
{
	struct index_ctx *c = ctx;

	return index_put(c->db, path, c->pkg);
}

int ac_rootdb_open(struct ac_rootdb *db, const char *root, char *err)
{
	char admindir[4200], *out = NULL, *save = NULL;
	char *argv[] = {"dpkg-query", admindir, "-W", "-f",
			"${Package}\\t${Architecture}\\t${Version}\\t${db:Status-Abbrev}\\t"
			"${Multi-Arch}\\n",
			NULL};
	size_t cap = 0;
	int r;

	memset(db, 0, sizeof(*db));
	snprintf(db->root, sizeof(db->root), "%s", root);
	db->rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (db->rootfd < 0)
		return ac_fail(err, -errno, "ROOT %s: %s", root, strerror(errno));
	if (faccessat(db->rootfd, "var/lib/dpkg/status", R_OK, 0) < 0)
		return ac_fail(err, -ENOENT,
			    "%s has no dpkg database (var/lib/dpkg/status): accel needs the "
			    "root's package versions; make the root with debootstrap",
			    root);
	snprintf(admindir, sizeof(admindir), "--admindir=%s/var/lib/dpkg", root);
	r = run(argv, NULL, &out, 64u << 20, 0);
	if (r)
		return ac_fail(err, r < 0 ? r : -EIO,
			    "dpkg-query %s failed (%s); is dpkg installed on the host?", admindir,
			    r < 0 ? strerror(-r) : "exit status");
	for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[5] = {0}, *s2 = NULL;
		int i = 0;

		for (char *t = strtok_r(line, "\t", &s2); t && i < 5; t = strtok_r(NULL, "\t", &s2))
			f[i++] = t;
		if (i < 4 || strncmp(f[3], "ii", 2))
			continue; /* not installed */
		if (db->npkgs == cap) {
			struct ac_pkg *p;

			cap = cap ? cap * 2 : 512;
			if (!(p = realloc(db->pkgs, cap * sizeof(*p)))) {
				free(out);
				return -ENOMEM;
			}
			db->pkgs = p;
		}
		db->pkgs[db->npkgs] = (struct ac_pkg){
			.name = strdup(f[0]),
			.arch = strdup(f[1]),
			.version = strdup(f[2]),
			.ma_same = i > 4 && !strcmp(f[4], "same"),
			.toolchain = ac_is_compiler_pkg(f[0]),
		};
		if (!db->pkgs[db->npkgs].name || !db->pkgs[db->npkgs].arch ||
		    !db->pkgs[db->npkgs].version) {
			free(out);
			return -ENOMEM;
		}
		db->npkgs++;
	}
	free(out);
	if (db->npkgs)
		qsort(db->pkgs, db->npkgs, sizeof(*db->pkgs), cmp_pkg);
	for (size_t i = 0; i < db->npkgs; i++) {
		struct index_ctx c = {db, &db->pkgs[i]};

		r = ac_rootdb_files(db, &db->pkgs[i], index_one, &c);
		if (r && r != -ENOENT)
			return ac_fail(err, r, "read the file list of %s in %s: %s", db->pkgs[i].name,
				    root, strerror(-r));
	}
	return 0;
}

void ac_rootdb_close(struct ac_rootdb *db)
{
	for (size_t i = 0; i < db->npkgs; i++) {
		free(db->pkgs[i].name);
		free(db->pkgs[i].arch);
		free(db->pkgs[i].version);
		free(db->pkgs[i].store_version);
	}
	free(db->pkgs);
	for (size_t i = 0; i < db->index_cap; i++)
		free(db->index[i].path);
	free(db->index);
	if (db->rootfd >= 0)
		close(db->rootfd);
	memset(db, 0, sizeof(*db));
	db->rootfd = -1;
}

/* Merged /usr: /usr/bin/x is also listed as /bin/x, and the other way. */
static int usr_alias(const char *path, char *out, size_t size)
{
	static const char *const dirs[] = {"bin/", "sbin/", "lib/", "lib32/", "lib64/", "libx32/"};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		size_t l = strlen(dirs[i]);

		if (!strncmp(path, "/usr/", 5) && !strncmp(path + 5, dirs[i], l))
			return (size_t)snprintf(out, size, "%s", path + 4) < size;
		if (path[0] == '/' && !strncmp(path + 1, dirs[i], l))
			return (size_t)snprintf(out, size, "/usr%s", path) < size;
	}
	return 0;
}

struct ac_pkg *ac_rootdb_owner(const struct ac_rootdb *db, const char *path, char *listed,
			       size_t lsize)
{
	char alias[AC_PATH_MAX];
	struct ac_pkg *p = index_get(db, path);

	if (p) {
		snprintf(listed, lsize, "%s", path);
		return p;
	}
	if (usr_alias(path, alias, sizeof(alias)) && (p = index_get(db, alias))) {
		snprintf(listed, lsize, "%s", alias);
		return p;
	}
	return NULL;
}

struct programs_ctx {
	const struct ac_rootdb *db;
	char ***v;
	size_t *n;
	int added;
};

static int add_program(void *ctx, const char *path)
{
	static const char *const bins[] = {"/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/",
					   "/usr/games/"};
	struct programs_ctx *c = ctx;
	char canon[AC_PATH_MAX], err[AC_ERR_MAX];
	struct ac_pkg *owner;
	int r;

	for (size_t i = 0; i < sizeof(bins) / sizeof(bins[0]); i++) {
		size_t l = strlen(bins[i]);

		if (strncmp(path, bins[i], l) || strchr(path + l, '/'))
			continue;
		/* Scripts and other files are not programs accel can serve. */
		if (ac_canon(c->db->rootfd, "/", path, canon, sizeof(canon)) < 0 ||
		    ac_program_check(c->db, canon, &owner, err))
			return 0;
		if ((r = ac_strv_add(c->v, c->n, canon)) < 0)
			return r;
		c->added += r;
		return 0;
	}
	return 0;
}

int ac_rootdb_programs(const struct ac_rootdb *db, const struct ac_pkg *p, char ***v, size_t *n)
{
	struct programs_ctx c = {.db = db, .v = v, .n = n};
	int r = ac_rootdb_files(db, p, add_program, &c);

	return r < 0 ? r : c.added;
}

int ac_rootdb_compiler(const struct ac_rootdb *db, char ***v, size_t *n, struct ac_pkg **driver_pkg)
{
	/* in /usr/bin as TRIPLET-NAME-MAJOR, in /usr/lib/gcc/TRIPLET/MAJOR/, and
	 * binutils' in /usr/bin as TRIPLET-NAME. Not as: gas 2.40 starts a new
	 * frag where its obstack chunk runs out, which depends on the host's
	 * word size, and emits a different line table at such a boundary
	 * (make's src/hash.c: the armel as and the amd64 one give different
	 * .debug_line from the same .s). See kbuild-notes/toolchain.md. */
	static const char *const drivers[] = {"gcc", "g++", "cpp"};
	static const char *const libexec[] = {"cc1", "cc1plus", "collect2", "lto-wrapper", "lto1"};
	static const char *const binutils[] = {"strip", "objcopy", "objdump", "readelf"};
	const size_t nd = sizeof(drivers) / sizeof(drivers[0]);
	const size_t nl = sizeof(libexec) / sizeof(libexec[0]);
	const size_t nb = sizeof(binutils) / sizeof(binutils[0]);
	char driver[AC_PATH_MAX], path[AC_PATH_MAX], canon[AC_PATH_MAX], why[AC_ERR_MAX];
	char triplet[128], major[16];
	const char *base, *dash;
	struct ac_pkg *owner;
	int added = 0, r;

	if (driver_pkg)
		*driver_pkg = NULL;
	/* /usr/bin/gcc -> gcc-12 -> arm-linux-gnueabi-gcc-12 */
	if (ac_canon(db->rootfd, "/", "/usr/bin/gcc", driver, sizeof(driver)) <= 0 ||
	    ac_program_check(db, driver, &owner, why) || !owner->toolchain)
		return 0;
	if (driver_pkg)
		*driver_pkg = owner;
	base = strrchr(driver, '/') + 1;
	dash = strstr(base, "-gcc-");
	if (!dash || (size_t)(dash - base) >= sizeof(triplet) || strlen(dash + 5) >= sizeof(major))
		return 0;
	snprintf(triplet, sizeof(triplet), "%.*s", (int)(dash - base), base);
	snprintf(major, sizeof(major), "%s", dash + 5);
	for (size_t i = 0; i < nd + nl + nb; i++) {
		if (i < nd)
			snprintf(path, sizeof(path), "/usr/bin/%s-%s-%s", triplet, drivers[i], major);
		else if (i < nd + nl)
			snprintf(path, sizeof(path), "/usr/lib/gcc/%s/%s/%s", triplet, major,
				 libexec[i - nd]);
		else
			snprintf(path, sizeof(path), "/usr/bin/%s-%s", triplet, binutils[i - nd - nl]);
		if (ac_canon(db->rootfd, "/", path, canon, sizeof(canon)) <= 0 ||
		    ac_program_check(db, canon, &owner, why))
			continue; /* that part is not installed */
		if ((r = ac_strv_add(v, n, canon)) < 0)
			return r;
		added += r;
	}
	return added;
}

int ac_program_check(const struct ac_rootdb *db, const char *path, struct ac_pkg **pkg, char *err)
{
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC,
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	unsigned char hdr[128];
	char listed[AC_PATH_MAX];
	struct stat st;
	enum ac_elf_kind kind;
	ssize_t n;
	int fd;

	fd = (int)syscall(SYS_openat2, db->rootfd, path, &how, sizeof(how));
	if (fd < 0)
		return ac_fail(err, -errno, "%s%s: %s", db->root, path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
		close(fd);
		return ac_fail(err, -ENOEXEC, "%s is not an executable file in %s", path, db->root);
	}
	n = pread(fd, hdr, sizeof(hdr) - 1, 0);
	close(fd);
	if (n < 0)
		return ac_fail(err, -errno, "read %s%s: %s", db->root, path, strerror(errno));
	hdr[n] = '\0';
	kind = ac_elf_classify(hdr, (size_t)n);
	if (kind != AC_ELF_ARMEL) {
		if (n > 2 && hdr[0] == '#' && hdr[1] == '!')
			return ac_fail(err, -ENOEXEC,
				    "%s is a script (%.*s); enable its interpreter instead", path,
				    (int)strcspn((char *)hdr + 2, "\n"), hdr + 2);
		return ac_fail(err, -ENOEXEC, "%s is not an armel ELF program (it is %s)", path,
			    ac_elf_kind_name(kind));
	}
	*pkg = ac_rootdb_owner(db, path, listed, sizeof(listed));
	if (!*pkg)
		return ac_fail(err, -ENOPKG,
			    "%s belongs to no installed package of %s: accel serves packaged "
			    "programs only (their exact host build)",
			    path, db->root);
	return 0;
}

/* ------------------------------------------------------------------ store */

int ac_store_open(struct ac_store *s, const char *dir, char *err)
{
	int r;

	memset(s, 0, sizeof(*s));
	s->fd = s->lockfd = -1;
	if (dir[0] != '/')
		return ac_fail(err, -EINVAL, "store %s: give an absolute path", dir);
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	if ((r = ac_mkdir_p(AT_FDCWD, dir, 0755)))
		return ac_fail(err, r, "create store %s: %s", dir, strerror(-r));
	s->fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->fd < 0)
		return ac_fail(err, -errno, "store %s: %s", dir, strerror(errno));
	if ((r = ac_mkdir_p(s->fd, "debs", 0755)) || (r = ac_mkdir_p(s->fd, "pkgs", 0755)))
		return ac_fail(err, r, "create %s/pkgs: %s", dir, strerror(-r));
	s->lockfd = ac_lock_file(s->fd, "lock");
	if (s->lockfd < 0)
		return ac_fail(err, s->lockfd, "lock %s/lock: %s", dir, strerror(-s->lockfd));
	return 0;
}

void ac_store_close(struct ac_store *s)
{
	if (s->fd >= 0)
		close(s->fd);
	if (s->lockfd >= 0)
		close(s->lockfd);
	s->fd = s->lockfd = -1;
}

/* Debian's file-name form of a version: the epoch colon is %3a. */
static void version_file(const char *v, char *out, size_t size)
{
	size_t o = 0;

	for (; *v && o + 4 < size; v++) {
		if (*v == ':') {
			memcpy(out + o, "%3a", 3);
			o += 3;
		} else {
			out[o++] = *v;
		}
	}
	out[o] = '\0';
}

static const char *store_version(const struct ac_pkg *p)
{
	return p->store_version ? p->store_version : p->version;
}

int ac_store_pkgdir(const struct ac_pkg *p, char *out, size_t size)
{
	char v[512];
	size_t l;

	version_file(store_version(p), v, sizeof(v));
	if (p->toolchain)
		l = (size_t)snprintf(out, size, "toolchains/gcc-%s_%s", strchr(p->name, '-') + 1, v);
	else
		l = (size_t)snprintf(out, size, "pkgs/%s_%s_amd64", p->name, v);
	return l < size ? 0 : -ENAMETOOLONG;
}

int ac_store_has_toolchain(const struct ac_store *s, const struct ac_pkg *p)
{
	char d[1024], done[1100];

	if (ac_store_pkgdir(p, d, sizeof(d)))
		return 0;
	snprintf(done, sizeof(done), "%s/.complete", d);
	return faccessat(s->fd, done, F_OK, 0) == 0;
}

static int have_pkg(const struct ac_store *s, const struct ac_pkg *p)
{
	char d[1024];

	if (p->toolchain)
		return ac_store_has_toolchain(s, p);
	return !ac_store_pkgdir(p, d, sizeof(d)) && faccessat(s->fd, d, F_OK, 0) == 0;
}

/*
 * A compiler package whose toolchain build is missing: take another built
 * version (the highest) with allow_toolchain_skew, else refuse, saying what
 * differs and what to do (root: for the command). Toolchains are never
 * downloaded.
 */
static int toolchain_missing(struct ac_store *s, struct ac_pkg *p, const char *root, char *err)
{
	const char *major = strchr(p->name, '-') + 1;
	char prefix[64], other[512] = "";
	struct dirent *de;
	DIR *d;
	int fd;

	snprintf(prefix, sizeof(prefix), "gcc-%s_", major);
	fd = openat(s->fd, "toolchains", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && (d = fdopendir(fd))) {
		while ((de = readdir(d))) {
			char done[1024];

			if (strncmp(de->d_name, prefix, strlen(prefix)) || strchr(de->d_name, '.') == de->d_name)
				continue;
			snprintf(done, sizeof(done), "toolchains/%s/.complete", de->d_name);
			if (faccessat(s->fd, done, F_OK, 0) == 0 && strlen(de->d_name) < sizeof(other) &&
			    strverscmp(de->d_name + strlen(prefix), other) > 0)
				snprintf(other, sizeof(other), "%s", de->d_name + strlen(prefix));
		}
		closedir(d);
	} else if (fd >= 0) {
		close(fd);
	}
	for (char *c; (c = strstr(other, "%3a"));) { /* version_file's epoch form */
		*c = ':';
		memmove(c + 1, c + 3, strlen(c + 3) + 1);
	}
	if (other[0] && s->allow_toolchain_skew) {
		free(p->store_version);
		return (p->store_version = strdup(other)) ? 0 : -ENOMEM;
	}
	if (other[0])
		return ac_fail(err, -ENOPKG,
			    "%s: the root has %s but the store's host compiler is gcc-%s %s, so "
			    "objects would differ (at least in the compiler identification in "
			    ".comment); build the exact one with `accel-build-toolchain %s` (about "
			    "15 minutes), or pass --allow-toolchain-skew to use %s",
			    p->name, p->version, major, other, root, other);
	return ac_fail(err, -ENOPKG,
		    "%s %s: the store has no host build of the root's compiler "
		    "(%s/toolchains/gcc-%s_%s); build it once with `accel-build-toolchain %s` "
		    "(about 15 minutes on 2 cores), or import Debian's cross compiler of the "
		    "nearest version with `accel-build-toolchain --debian-cross %s` and pass "
		    "--allow-toolchain-skew, or leave the compiler emulated",
		    p->name, p->version, s->dir, major, p->version, root, root);
}

/* Which amd64 versions apt knows for the packages (apt-cache madison). */
static int check_versions(struct ac_store *s, struct ac_pkg **miss, size_t n, char *err)
{
	char **argv = calloc(n + 3, sizeof(char *)), *out = NULL, *save = NULL;
	int r;

	if (!argv)
		return -ENOMEM;
	argv[0] = "apt-cache";
	argv[1] = "madison";
	for (size_t i = 0; i < n; i++) {
		argv[i + 2] = malloc(strlen(miss[i]->name) + 7);
		if (!argv[i + 2]) {
			r = -ENOMEM;
			goto out;
		}
		sprintf(argv[i + 2], "%s:amd64", miss[i]->name);
	}
	r = run(argv, NULL, &out, 16u << 20, 0);
	if (r < 0) {
		r = ac_fail(err, r, "apt-cache: %s", strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct ac_pkg *p = miss[i];
		char offered[512] = "", first[256] = "";
		int exact = 0;
		char *copy = strdup(out);

		if (!copy) {
			r = -ENOMEM;
			goto out;
		}
		/* "  make |    4.3-4.1 | http://... bookworm/main amd64 Packages" */
		for (char *line = strtok_r(copy, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			char name[256], ver[256];
			const char *tail = strrchr(line, '|');

			if (sscanf(line, " %255[^ |] | %255[^ |]", name, ver) != 2 ||
			    strcmp(name, p->name) || !tail || !strstr(tail, " amd64 Packages"))
				continue;
			if (!strcmp(ver, p->version))
				exact = 1;
			if (!first[0])
				snprintf(first, sizeof(first), "%s", ver);
			if (!strstr(offered, ver) && strlen(offered) + strlen(ver) + 3 < sizeof(offered))
				snprintf(offered + strlen(offered), sizeof(offered) - strlen(offered),
					 "%s%s", offered[0] ? ", " : "", ver);
		}
		free(copy);
		if (exact)
			continue;
		if (!first[0]) {
			r = ac_fail(err, -ENOPKG,
				 "%s: apt knows no amd64 build of it (the root has %s); run "
				 "apt-get update, or disable the programs that need it",
				 p->name, p->version);
			goto out;
		}
		if (!s->allow_skew) {
			r = ac_fail(err, -ENOPKG,
				 "%s: the root has %s (%s) but apt offers only %s for amd64; run "
				 "apt-get update, or pass --allow-skew to use %s",
				 p->name, p->version, p->arch, offered, first);
			goto out;
		}
		free(p->store_version);
		if (!(p->store_version = strdup(first))) {
			r = -ENOMEM;
			goto out;
		}
	}
	r = 0;
out:
	for (size_t i = 0; i < n; i++)
		free(argv[i + 2]);
	free(argv);
	free(out);
	return r;
}

static int unpack(struct ac_store *s, const struct ac_pkg *p, const char *deb, char *err)
{
	char final[1024], tmp[8448], abs_deb[8448];
	char *argv[] = {"dpkg-deb", "-x", abs_deb, tmp, NULL};
	int r;

	ac_store_pkgdir(p, final, sizeof(final));
	snprintf(abs_deb, sizeof(abs_deb), "%s/debs/%s", s->dir, deb);
	snprintf(tmp, sizeof(tmp), "%s/pkgs/.unpack-%s.%ld", s->dir, p->name, (long)getpid());
	ac_rm_rf(AT_FDCWD, tmp);
	r = run(argv, NULL, NULL, 0, 0);
	if (r) {
		ac_rm_rf(AT_FDCWD, tmp);
		return ac_fail(err, r < 0 ? r : -EIO, "dpkg-deb -x %s failed; the store is unchanged",
			    abs_deb);
	}
	/* Appears whole or not at all. */
	if (renameat(AT_FDCWD, tmp, s->fd, final) < 0) {
		r = -errno;
		ac_rm_rf(AT_FDCWD, tmp);
		if (r != -ENOTEMPTY && r != -EEXIST)
			return ac_fail(err, r, "install %s/%s: %s", s->dir, final, strerror(-r));
	}
	return 0;
}

int ac_store_fetch(struct ac_store *s, struct ac_rootdb *db, char *err)
{
	struct ac_pkg **miss = calloc(db->npkgs + 1, sizeof(*miss));
	char dl[4200], **argv = NULL;
	size_t n = 0, nget = 0;
	int r = 0;

	if (!miss)
		return -ENOMEM;
	for (size_t i = 0; i < db->npkgs; i++) {
		struct ac_pkg *p = &db->pkgs[i];

		if (p->wanted && p->toolchain && !have_pkg(s, p) &&
		    (r = toolchain_missing(s, p, db->root, err))) {
			free(miss);
			return r;
		}
	}
	for (size_t i = 0; i < db->npkgs; i++)
		if (db->pkgs[i].wanted && !have_pkg(s, &db->pkgs[i]))
			miss[n++] = &db->pkgs[i];
	if (!n)
		goto out;
	if ((r = check_versions(s, miss, n, err)))
		goto out;
	/* Download into a private directory, keep only complete files. */
	snprintf(dl, sizeof(dl), "%s/debs/.download.%ld", s->dir, (long)getpid());
	ac_rm_rf(AT_FDCWD, dl);
	if (mkdir(dl, 0755) < 0) {
		r = ac_fail(err, -errno, "create %s: %s", dl, strerror(errno));
		goto out;
	}
	/* apt downloads as its own user when it may write there (sandboxed). */
	{
		struct passwd *pw = getpwnam("_apt");

		if (pw && chown(dl, pw->pw_uid, (gid_t)-1) < 0)
			ac_warn("chown %s to _apt: %s", dl, strerror(errno));
	}
	argv = calloc(n + 4, sizeof(char *));
	if (!argv) {
		r = -ENOMEM;
		goto out;
	}
	argv[0] = "apt-get";
	argv[1] = "download";
	/* A progress bar on a terminal, one line per package otherwise. */
	argv[2] = !s->verbose ? "-qq" : isatty(STDOUT_FILENO) ? "-q=0" : "-q";
	for (size_t i = 0; i < n; i++) {
		char v[512], deb[1024];

		if (have_pkg(s, miss[i]))
			continue; /* skew mapped it onto an unpacked version */
		version_file(store_version(miss[i]), v, sizeof(v));
		snprintf(deb, sizeof(deb), "debs/%s_%s_amd64.deb", miss[i]->name, v);
		if (faccessat(s->fd, deb, R_OK, 0) == 0)
			continue; /* downloaded earlier */
		argv[3 + nget] = malloc(strlen(miss[i]->name) + strlen(store_version(miss[i])) + 8);
		if (!argv[3 + nget]) {
			r = -ENOMEM;
			goto out;
		}
		sprintf(argv[3 + nget++], "%s:amd64=%s", miss[i]->name, store_version(miss[i]));
	}
	if (nget) {
		if (s->verbose)
			ac_info("downloading %zu amd64 package%s into %s", nget, nget > 1 ? "s" : "",
				s->dir);
		r = run(argv, dl, NULL, 0, !s->verbose);
		if (r) {
			r = ac_fail(err, r < 0 ? r : -EIO,
				 "apt-get download of %zu amd64 package%s failed (see above); check "
				 "the apt sources, the store is unchanged",
				 nget, nget > 1 ? "s" : "");
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		char v[512], deb[1024], from[8448], to[8448];

		if (have_pkg(s, miss[i]))
			continue;
		version_file(store_version(miss[i]), v, sizeof(v));
		snprintf(deb, sizeof(deb), "%s_%s_amd64.deb", miss[i]->name, v);
		snprintf(from, sizeof(from), "%s/%s", dl, deb);
		snprintf(to, sizeof(to), "%s/debs/%s", s->dir, deb);
		if (access(from, R_OK) == 0 && rename(from, to) < 0) {
			r = ac_fail(err, -errno, "keep %s: %s", to, strerror(errno));
			goto out;
		}
		if ((r = unpack(s, miss[i], deb, err)))
			goto out;
	}
out:
	if (n)
		ac_rm_rf(AT_FDCWD, dl);
	if (argv)
		for (size_t i = 0; i < nget; i++)
			free(argv[3 + i]);
	free(argv);
	free(miss);
	return r;
}

/* ------------------------------------------------------------------- plan */

/* A path inside package directory pkgdir (relative to the store), links
 * resolved inside the package; store-relative result in out. -ENOENT if it
 * is missing or not a regular file (dirs: *isdir set when isdir given). */
static int resolve_in_pkg(const struct ac_store *s, const char *pkgdir, const char *rel,
			  char *out, size_t size, int *isdir)
{
	struct open_how how = {.flags = O_PATH | O_CLOEXEC,
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	char link[64], real[AC_PATH_MAX];
	struct stat st;
	size_t sl = strlen(s->dir);
	int dfd, fd;
	ssize_t n;

	dfd = openat(s->fd, pkgdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	fd = (int)syscall(SYS_openat2, dfd, rel, &how, sizeof(how));
	close(dfd);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || (!S_ISREG(st.st_mode) && !(isdir && S_ISDIR(st.st_mode)))) {
		close(fd);
		return -ENOENT;
	}
	if (isdir)
		*isdir = S_ISDIR(st.st_mode);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, real, sizeof(real) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	real[n] = '\0';
	if (strncmp(real, s->dir, sl) || real[sl] != '/')
		return -EXDEV;
	return (size_t)snprintf(out, size, "%s", real + sl + 1) < size ? 0 : -ENAMETOOLONG;
}

static int plan_add(struct ac_plan *plan, const char *view, const char *source)
{
	for (size_t i = 0; i < plan->n; i++)
		if (!strcmp(plan->e[i].view, view))
			return 0; /* first wins (the same store file in practice) */
	if (plan->n == plan->cap) {
		size_t cap = plan->cap ? plan->cap * 2 : 256;
		struct ac_plan_entry *e = realloc(plan->e, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		plan->e = e;
		plan->cap = cap;
	}
	plan->e[plan->n].view = strdup(view);
	plan->e[plan->n].source = strdup(source);
	if (!plan->e[plan->n].view || !plan->e[plan->n].source)
		return -ENOMEM;
	plan->n++;
	return 1;
}

struct planner {
	struct ac_rootdb *db;
	struct ac_store *s;
	struct ac_plan *plan;
	char *err;
	/* ELF files whose DT_NEEDED are still to be read (store paths). */
	char **queue;
	size_t nqueue, qcap;
	/* sonames already resolved or under way */
	char **sonames;
	size_t nsonames, scap;
	/* packages whose multiarch trees are in the plan */
	struct ac_pkg **trees;
	size_t ntrees, tcap;
};

static int push(char ***v, size_t *n, size_t *cap, const char *s)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		char **nv = realloc(*v, c * sizeof(char *));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	if (!((*v)[*n] = strdup(s)))
		return -ENOMEM;
	++*n;
	return 0;
}

static int have(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return 1;
	return 0;
}

static int is_elf_file(const struct ac_store *s, const char *source)
{
	unsigned char m[4];
	int fd = openat(s->fd, source, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int r;

	if (fd < 0)
		return 0;
	r = pread(fd, m, 4, 0) == 4 && !memcmp(m, "\177ELF", 4);
	close(fd);
	return r;
}

/* Serve a file of a package at view path; ELF files join the queue. */
static int serve(struct planner *pl, const char *view, const char *source)
{
	int r = plan_add(pl->plan, view, source);

	if (r <= 0)
		return r;
	if (is_elf_file(pl->s, source))
		return push(&pl->queue, &pl->nqueue, &pl->qcap, source);
	return 0;
}

/* Every file of a package under the host multiarch directories, links
 * resolved in the package (a linked directory is served as a copy of its
 * tree, as perl's 5.36 -> 5.36.0). */
static int walk_tree(struct planner *pl, const char *pkgdir, const char *rel, int depth)
{
	char path[AC_PATH_MAX], view[AC_PATH_MAX], source[AC_PATH_MAX];
	int dfd, r = 0, isdir = 0;
	DIR *d;
	struct dirent *de;

	if (depth > 16)
		return 0;
	if (resolve_in_pkg(pl->s, pkgdir, rel, source, sizeof(source), &isdir) < 0 || !isdir)
		return 0;
	dfd = openat(pl->s->fd, source, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || !(d = fdopendir(dfd))) {
		if (dfd >= 0)
			close(dfd);
		return 0;
	}
	while (!r && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", rel, de->d_name) >= sizeof(path))
			continue;
		if (resolve_in_pkg(pl->s, pkgdir, path, source, sizeof(source), &isdir) < 0)
			continue; /* dangling, or a link out of the package */
		if (isdir) {
			r = walk_tree(pl, pkgdir, path, depth + 1);
			continue;
		}
		if (ac_view_alias(path, view, sizeof(view)) == 1)
			r = serve(pl, view, source);
	}
	closedir(d);
	return r;
}

static int add_tree(struct planner *pl, struct ac_pkg *p)
{
	char pkgdir[1024];
	int r;

	for (size_t i = 0; i < pl->ntrees; i++)
		if (pl->trees[i] == p)
			return 0;
	if (pl->ntrees == pl->tcap) {
		size_t c = pl->tcap ? pl->tcap * 2 : 32;
		struct ac_pkg **t = realloc(pl->trees, c * sizeof(*t));

		if (!t)
			return -ENOMEM;
		pl->trees = t;
		pl->tcap = c;
	}
	pl->trees[pl->ntrees++] = p;
	ac_store_pkgdir(p, pkgdir, sizeof(pkgdir));
	if ((r = walk_tree(pl, pkgdir, AC_HOST_LIB + 1, 0)))
		return r;
	return walk_tree(pl, pkgdir, AC_HOST_USRLIB + 1, 0);
}

/* The armel package of the root that provides library soname. */
static struct ac_pkg *soname_owner(const struct ac_rootdb *db, const char *soname)
{
	static const char *const dirs[] = {"/lib/arm-linux-gnueabi", "/usr/lib/arm-linux-gnueabi",
					   "/lib", "/usr/lib"};
	char path[AC_PATH_MAX], canon[AC_PATH_MAX], listed[AC_PATH_MAX];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		struct ac_pkg *p;

		snprintf(path, sizeof(path), "%s/%s", dirs[i], soname);
		if ((p = ac_rootdb_owner(db, path, listed, sizeof(listed))))
			return p;
		if (ac_canon(db->rootfd, "/", path, canon, sizeof(canon)) > 0 &&
		    (p = ac_rootdb_owner(db, canon, listed, sizeof(listed))))
			return p;
	}
	return NULL;
}

/* Is a file named soname served already? A package's private libraries
 * (gconv's libJIS.so, found through DT_RUNPATH $ORIGIN) come with its tree. */
static int in_plan(const struct ac_plan *plan, const char *soname)
{
	size_t sl = strlen(soname);

	for (size_t i = 0; i < plan->n; i++) {
		size_t vl = strlen(plan->e[i].view);

		if (vl > sl && plan->e[i].view[vl - sl - 1] == '/' &&
		    !strcmp(plan->e[i].view + vl - sl, soname))
			return 1;
	}
	return 0;
}

/* Read the DT_NEEDED of one queued file; new sonames go to pending. */
static int read_needed(struct planner *pl, const char *source, char ***pending, size_t *npending,
		       size_t *pcap, char ***needers, size_t *nneeders, size_t *ncap)
{
	struct ac_elf_info info;
	char why[256];
	struct stat st;
	void *map;
	int fd = openat(pl->s->fd, source, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), r;

	if (fd < 0)
		return ac_fail(pl->err, -errno, "open %s/%s: %s", pl->s->dir, source, strerror(errno));
	if (fstat(fd, &st) < 0 || st.st_size <= 0) {
		close(fd);
		return ac_fail(pl->err, -ENOEXEC, "%s/%s is empty", pl->s->dir, source);
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return ac_fail(pl->err, -errno, "map %s/%s: %s", pl->s->dir, source, strerror(errno));
	r = ac_elf_inspect(map, (size_t)st.st_size, &info, why, sizeof(why));
	munmap(map, (size_t)st.st_size);
	if (r) /* a damaged host build is no host equivalent */
		return ac_fail(pl->err, r == -ENOEXEC ? -ENOPKG : r, "%s/%s is refused: %s",
			    pl->s->dir, source, r == -ENOEXEC ? why : strerror(-r));
	for (size_t i = 0; i < info.nneeded && !r; i++) {
		const char *so = info.needed[i];

		if (!strcmp(so, AC_HOST_LOADER_SONAME) || have(pl->sonames, pl->nsonames, so) ||
		    in_plan(pl->plan, so))
			continue;
		if (!(r = push(&pl->sonames, &pl->nsonames, &pl->scap, so)) &&
		    !(r = push(pending, npending, pcap, so)))
			r = push(needers, nneeders, ncap, source);
	}
	ac_elf_info_free(&info);
	return r;
}

static const char *const lib_dirs[] = {AC_HOST_LIB + 1, AC_HOST_USRLIB + 1};

/*
 * Companions: host libraries that a host process loads without naming them
 * in DT_NEEDED, so the closure never meets them.
 *   - perl's XS modules (dlopen'ed through @INC): when a perl is enabled,
 *     every installed armel package with files under
 *     /usr/lib/arm-linux-gnueabi/perl* brings its amd64 build's tree.
 *   - LD_PRELOAD libraries named bare and found through LD_LIBRARY_PATH, as
 *     fakeroot does (LD_LIBRARY_PATH=/usr/lib/arm-linux-gnueabi/libfakeroot,
 *     LD_PRELOAD=libfakeroot-sysv.so): the host loader skips the armel file
 *     (wrong ELF class) and goes on to its default directories, where the
 *     view serves the host build of the same package under the same name.
 *     A host process under fakeroot then talks to the same faked daemon (the
 *     SysV message layout is packed and identical on armel and amd64).
 */
#define PERL_DIR "/usr/lib/arm-linux-gnueabi/perl"
#define PRELOAD_DIR "/usr/lib/arm-linux-gnueabi/libfakeroot/"

enum { COMP_PERL = 1, COMP_PRELOAD = 2 };

/* Which companion kinds a package's file list shows (one read of it). */
static int scan_companion(void *ctx, const char *path)
{
	int *kinds = ctx;

	if (!strncmp(path, PERL_DIR, sizeof(PERL_DIR) - 1))
		*kinds |= COMP_PERL;
	else if (!strncmp(path, PRELOAD_DIR, sizeof(PRELOAD_DIR) - 1))
		*kinds |= COMP_PRELOAD;
	return 0;
}

/* The preload libraries of a package, also in the loader's default
 * directory (.accel/usr-lib-x/NAME). */
static int serve_preloads(struct planner *pl, struct ac_pkg *p)
{
	static const char *const names[] = {"libfakeroot-sysv.so", "libfakeroot-tcp.so",
					    "libfakeroot-0.so"};
	char pkgdir[1024], rel[AC_PATH_MAX], source[AC_PATH_MAX], view[AC_PATH_MAX];
	int r;

	ac_store_pkgdir(p, pkgdir, sizeof(pkgdir));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(rel, sizeof(rel), "%s/libfakeroot/%s", AC_HOST_USRLIB + 1, names[i]);
		if (resolve_in_pkg(pl->s, pkgdir, rel, source, sizeof(source), NULL) < 0)
			continue;
		snprintf(rel, sizeof(rel), "%s/%s", AC_HOST_USRLIB + 1, names[i]);
		ac_view_alias(rel, view, sizeof(view));
		if ((r = serve(pl, view, source)) < 0)
			return r;
	}
	return 0;
}

/* Want every companion package, fetch them, serve their trees. */
static int add_companions(struct planner *pl, struct ac_pkg **owners, size_t n)
{
	struct ac_rootdb *db = pl->db;
	int perl = 0, r = 0, *kinds = calloc(db->npkgs + 1, sizeof(*kinds)), any = 0;

	if (!kinds)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		perl |= !strcmp(owners[i]->name, "perl-base") || !strcmp(owners[i]->name, "perl");
	for (size_t i = 0; i < db->npkgs; i++) {
		if (strcmp(db->pkgs[i].arch, "armel"))
			continue;
		ac_rootdb_files(db, &db->pkgs[i], scan_companion, &kinds[i]);
		if (!perl)
			kinds[i] &= ~COMP_PERL;
		if (kinds[i])
			db->pkgs[i].wanted = any = 1;
	}
	if (any)
		r = ac_store_fetch(pl->s, db, pl->err);
	for (size_t i = 0; !r && i < db->npkgs; i++) {
		if (!kinds[i])
			continue;
		if (!(r = add_tree(pl, &db->pkgs[i])) && (kinds[i] & COMP_PRELOAD))
			r = serve_preloads(pl, &db->pkgs[i]);
	}
	free(kinds);
	return r;
}

int ac_plan_build(struct ac_rootdb *db, struct ac_store *s, char *const *programs, size_t n,
		  struct ac_plan *plan, char *err)
{
	struct planner pl = {.db = db, .s = s, .plan = plan, .err = err};
	struct ac_pkg **owners = calloc(n + 1, sizeof(*owners));
	struct ac_pkg *libc = ac_rootdb_pkg(db, "libc6");
	char **pending = NULL, **needers = NULL;
	size_t npending = 0, pcap = 0, nneeders = 0, ncap = 0, progcap = 0;
	char listed[AC_PATH_MAX], pkgdir[1024], source[AC_PATH_MAX];
	int r = 0;

	memset(plan, 0, sizeof(*plan));
	if (!owners)
		return -ENOMEM;
	if (!libc && n) {
		r = ac_fail(err, -ENOPKG, "%s has no libc6 installed: there is no host loader to serve",
			 db->root);
		goto out;
	}
	for (size_t i = 0; i < db->npkgs; i++)
		db->pkgs[i].wanted = 0;
	if (n)
		libc->wanted = 1;
	for (size_t i = 0; i < n; i++) {
		if ((r = ac_program_check(db, programs[i], &owners[i], err)))
			goto out;
		owners[i]->wanted = 1;
	}
	if (n && (r = ac_store_fetch(s, db, err)))
		goto out;

	/* The loader, and each program at its canonical path. */
	if (n) {
		ac_store_pkgdir(libc, pkgdir, sizeof(pkgdir));
		r = resolve_in_pkg(s, pkgdir, "lib/x86_64-linux-gnu/" AC_HOST_LOADER_SONAME, source,
				   sizeof(source), NULL);
		if (r < 0)
			r = resolve_in_pkg(s, pkgdir, "lib64/" AC_HOST_LOADER_SONAME, source,
					   sizeof(source), NULL);
		if (r < 0) {
			r = ac_fail(err, r, "libc6 %s (amd64) in %s has no %s", store_version(libc),
				 s->dir, AC_HOST_LOADER_SONAME);
			goto out;
		}
		if ((r = serve(&pl, AC_VREL_LDSO, source)) < 0)
			goto out;
	}
	for (size_t i = 0; i < n; i++) {
		ac_rootdb_owner(db, programs[i], listed, sizeof(listed));
		ac_store_pkgdir(owners[i], pkgdir, sizeof(pkgdir));
		r = resolve_in_pkg(s, pkgdir, listed + 1, source, sizeof(source), NULL);
		if (r < 0 || !is_elf_file(s, source)) {
			r = ac_fail(err, -ENOPKG,
				 "%s has no host equivalent: %s %s (amd64) does not ship %s as a "
				 "program",
				 programs[i], owners[i]->name, store_version(owners[i]), listed);
			goto out;
		}
		if ((r = serve(&pl, programs[i] + 1, source)) < 0 ||
		    (r = push(&plan->programs, &plan->nprograms, &progcap, programs[i])))
			goto out;
		if ((r = add_tree(&pl, owners[i])))
			goto out;
	}
	if (n && (r = add_companions(&pl, owners, n)))
		goto out;

	/* The DT_NEEDED closure, one download per round. */
	while (pl.nqueue) {
		while (pl.nqueue) {
			char *src = pl.queue[--pl.nqueue];

			r = read_needed(&pl, src, &pending, &npending, &pcap, &needers, &nneeders,
					&ncap);
			free(src);
			if (r)
				goto out;
		}
		for (size_t i = 0; i < npending; i++) {
			struct ac_pkg *p = soname_owner(db, pending[i]);

			if (!p) {
				r = ac_fail(err, -ENOPKG,
					 "%s needs %s, which no package of %s provides for armel; "
					 "disable the program that needs it",
					 needers[i], pending[i], db->root);
				goto out;
			}
			p->wanted = 1;
		}
		if ((r = ac_store_fetch(s, db, err)))
			goto out;
		for (size_t i = 0; i < npending; i++) {
			struct ac_pkg *p = soname_owner(db, pending[i]);
			char rel[AC_PATH_MAX], view[AC_PATH_MAX];
			int found = 0;

			ac_store_pkgdir(p, pkgdir, sizeof(pkgdir));
			for (size_t d = 0; d < 2 && !found; d++) {
				snprintf(rel, sizeof(rel), "%s/%s", lib_dirs[d], pending[i]);
				if (resolve_in_pkg(s, pkgdir, rel, source, sizeof(source), NULL) < 0)
					continue;
				ac_view_alias(rel, view, sizeof(view));
				if ((r = serve(&pl, view, source)) < 0)
					goto out;
				found = 1;
			}
			if (!found) {
				r = ac_fail(err, -ENOPKG,
					 "%s needs %s: the root's %s provides it for armel, but %s %s "
					 "(amd64) has no %s",
					 needers[i], pending[i], p->name, p->name, store_version(p),
					 pending[i]);
				goto out;
			}
			if ((r = add_tree(&pl, p)))
				goto out;
		}
		for (size_t i = 0; i < npending; i++) {
			free(pending[i]);
			free(needers[i]);
		}
		npending = nneeders = 0;
	}
	r = 0;
out:
	for (size_t i = 0; i < npending; i++)
		free(pending[i]);
	for (size_t i = 0; i < nneeders; i++)
		free(needers[i]);
	for (size_t i = 0; i < pl.nqueue; i++)
		free(pl.queue[i]);
	for (size_t i = 0; i < pl.nsonames; i++)
		free(pl.sonames[i]);
	free(pending);
	free(needers);
	free(pl.queue);
	free(pl.sonames);
	free(pl.trees);
	free(owners);
	if (r)
		ac_plan_free(plan);
	return r < 0 ? r : 0;
}

void ac_plan_free(struct ac_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++) {
		free(plan->e[i].view);
		free(plan->e[i].source);
	}
	for (size_t i = 0; i < plan->nprograms; i++)
		free(plan->programs[i]);
	free(plan->e);
	free(plan->programs);
	memset(plan, 0, sizeof(*plan));
}

char *ac_plan_manifest(const struct ac_plan *plan, const char *store, const char *qemu)
{
	size_t cap = 4096 + strlen(store) + (qemu ? strlen(qemu) : 0), len = 0;
	char *out;

	for (size_t i = 0; i < plan->n; i++)
		cap += strlen(plan->e[i].view) + strlen(plan->e[i].source) + 8;
	for (size_t i = 0; i < plan->nprograms; i++)
		cap += strlen(plan->programs[i]) + 16;
	if (!(out = malloc(cap)))
		return NULL;
	len += (size_t)snprintf(out + len, cap - len, "accel-manifest 1\nstore\t%s\n", store);
	if (qemu)
		len += (size_t)snprintf(out + len, cap - len, "qemu\t%s\n", qemu);
	for (size_t i = 0; i < plan->nprograms; i++)
		len += (size_t)snprintf(out + len, cap - len, "# program %s\n", plan->programs[i]);
	for (size_t i = 0; i < plan->n; i++)
		len += (size_t)snprintf(out + len, cap - len, "file\t%s\t%s\n", plan->e[i].view,
					plan->e[i].source);
	return out;
}
