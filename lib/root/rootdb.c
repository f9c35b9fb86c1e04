// SPDX-License-Identifier: GPL-2.0-or-later
/* The root's package database and names; see accel/root/rootdb.h. */
#include "config.h"

#include "accel/root/rootdb.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "accel/base/spawn.h"
#include "accel/base/util.h"
#include "accel/exec/canon.h"
#include "accel/exec/layout.h"
#include "accel/exec/route.h"
#include "accel/root/armel.h"

/* dpkg-query's answer for a whole buildd root is ~100 KiB; a root with
 * everything Debian has would be tens of MiB. */
#define DPKG_QUERY_MAX (64u << 20)

struct ac_path_owner {
	char *path;
	struct ac_pkg *pkg;
};

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
			for (i = ac_fnv1a64(db->index[j].path) & (cap - 1); t[i].path; i = (i + 1) & (cap - 1))
				;
			t[i] = db->index[j];
		}
		free(db->index);
		db->index = t;
		db->index_cap = cap;
	}
	for (i = ac_fnv1a64(path) & (db->index_cap - 1); db->index[i].path;
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
	for (size_t i = ac_fnv1a64(path) & (db->index_cap - 1); db->index[i].path;
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

#define PERL_DIR "/usr/lib/arm-linux-gnueabi/perl"
#define PRELOAD_DIR "/usr/lib/arm-linux-gnueabi/libfakeroot/"

static int index_one(void *ctx, const char *path)
{
	struct index_ctx *c = ctx;

	if (!strcmp(c->pkg->arch, "armel")) {
		if (!strncmp(path, PERL_DIR, sizeof(PERL_DIR) - 1))
			c->pkg->companions |= AC_COMPANION_PERL;
		else if (!strncmp(path, PRELOAD_DIR, sizeof(PRELOAD_DIR) - 1))
			c->pkg->companions |= AC_COMPANION_PRELOAD;
	}
	return index_put(c->db, path, c->pkg);
}

int ac_rootdb_open(struct ac_rootdb *db, const char *root, struct ac_err *err)
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
	r = ac_spawn_run(&(struct ac_spawn){.argv = argv, .out = AC_SPAWN_CAPTURE,
					    .max_out = DPKG_QUERY_MAX},
			 &out);
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
	char canon[AC_PATH_MAX];
	struct ac_pkg *owner;
	int r;

	for (size_t i = 0; i < sizeof(bins) / sizeof(bins[0]); i++) {
		size_t l = strlen(bins[i]);

		if (strncmp(path, bins[i], l) || strchr(path + l, '/'))
			continue;
		/* Scripts and other files are not programs accel can serve. */
		if (ac_canon(c->db->rootfd, "/", path, canon, sizeof(canon)) < 0 ||
		    ac_program_check(c->db, canon, &owner, NULL))
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
	 * binutils' in /usr/bin as TRIPLET-NAME: the linker and the archive
	 * tools with the host builds of the plugins they load (the view serves
	 * them, the dispatcher hands ld and ar the view's LTO plugin). Not as,
	 * whose faithful host build is the i386 one, which needs what the
	 * compiler does not (a kernel that runs i386 programs, apt's i386
	 * packages): it is enabled on its own (accel/state/defaults.h,
	 * kbuild-notes/toolchain.md). */
	static const char *const drivers[] = {"gcc", "g++", "cpp", "gcc-ar", "gcc-nm", "gcc-ranlib"};
	static const char *const libexec[] = {"cc1", "cc1plus", "collect2", "lto-wrapper", "lto1"};
	static const char *const binutils[] = {"strip", "objcopy", "objdump", "readelf",
					       "ld.bfd", "ar", "nm", "ranlib"};
	const size_t nd = sizeof(drivers) / sizeof(drivers[0]);
	const size_t nl = sizeof(libexec) / sizeof(libexec[0]);
	const size_t nb = sizeof(binutils) / sizeof(binutils[0]);
	char driver[AC_PATH_MAX], path[AC_PATH_MAX], canon[AC_PATH_MAX];
	char triplet[128], major[16];
	const char *base, *dash;
	struct ac_pkg *owner;
	int added = 0, r;

	if (driver_pkg)
		*driver_pkg = NULL;
	/* /usr/bin/gcc -> gcc-12 -> arm-linux-gnueabi-gcc-12 */
	if (ac_canon(db->rootfd, "/", "/usr/bin/gcc", driver, sizeof(driver)) <= 0 ||
	    ac_program_check(db, driver, &owner, NULL) || !owner->toolchain)
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
		    ac_program_check(db, canon, &owner, NULL))
			continue; /* that part is not installed */
		if ((r = ac_strv_add(v, n, canon)) < 0)
			return r;
		added += r;
	}
	return added;
}

int ac_program_check(const struct ac_rootdb *db, const char *path, struct ac_pkg **pkg,
		     struct ac_err *err)
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

int ac_resolve_name(int rootfd, const char *root, const char *name, char *out, size_t size,
		    struct ac_err *err)
{
	static const char *const path[] = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
					   "/usr/bin", "/sbin", "/bin"};
	size_t rl = strlen(root);
	char try[AC_PATH_MAX];
	long len;

	if (!*name)
		return ac_fail(err, -EINVAL, "an empty name; give a command name or an absolute path");
	if (strchr(name, '/')) {
		if (name[0] != '/')
			return ac_fail(err, -EINVAL,
				    "%s: give a command name (make) or an absolute path inside the "
				    "root (/usr/bin/make)",
				    name);
		if (!strncmp(name, root, rl) && name[rl] == '/')
			return ac_fail(err, -EXDEV,
				    "%s is a host path; give the path as seen inside the root: %s",
				    name, name + rl);
		len = ac_canon(rootfd, "/", name, out, size);
		if (len < 0)
			return ac_fail(err, (int)len, "%s: %s inside %s", name, strerror((int)-len), root);
	} else {
		len = -ENOENT;
		for (size_t i = 0; i < sizeof(path) / sizeof(path[0]) && len < 0; i++) {
			struct stat st;

			snprintf(try, sizeof(try), "%s/%s", path[i], name);
			len = ac_canon(rootfd, "/", try, out, size);
			if (len > 0 && (fstatat(rootfd, out + 1, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
					!S_ISREG(st.st_mode) || !(st.st_mode & 0111)))
				len = -ENOENT;
		}
		if (len < 0)
			return ac_fail(err, -ENOENT,
				    "%s: no such command on the root's PATH (/usr/local/sbin:"
				    "/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin); give its absolute "
				    "path",
				    name);
	}
	if (ac_in_view(out) || !strncmp(out, AC_RESERVED_DIR "/", sizeof(AC_RESERVED_DIR)))
		return ac_fail(err, -EINVAL, "%s is inside accel's own view; give an armel program",
			    name);
	return 0;
}
