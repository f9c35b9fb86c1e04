// SPDX-License-Identifier: GPL-2.0-or-later
/* The host store: fetching and unpacking; see accel/store/store.h. */
#include "config.h"

#include "accel/store/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "accel/base/spawn.h"
#include "accel/base/util.h"
#include "accel/exec/canon.h"

/* apt-cache madison's answer for the packages of one plan. */
#define MADISON_MAX (16u << 20)

int ac_store_open(struct ac_store *s, const char *dir, struct ac_err *err)
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

const char *ac_store_version(const struct ac_pkg *p)
{
	return p->store_version ? p->store_version : p->version;
}

int ac_store_pkgdir_arch(const struct ac_pkg *p, const char *arch, char *out, size_t size)
{
	char v[512];
	size_t l;

	version_file(ac_store_version(p), v, sizeof(v));
	if (p->toolchain && !strcmp(arch, "amd64"))
		l = (size_t)snprintf(out, size, "toolchains/gcc-%s_%s", strchr(p->name, '-') + 1, v);
	else
		l = (size_t)snprintf(out, size, "pkgs/%s_%s_%s", p->name, v, arch);
	return l < size ? 0 : -ENAMETOOLONG;
}

int ac_store_pkgdir(const struct ac_pkg *p, char *out, size_t size)
{
	return ac_store_pkgdir_arch(p, "amd64", out, size);
}

int ac_store_has_toolchain(const struct ac_store *s, const struct ac_pkg *p)
{
	char d[1024], done[1100];

	if (ac_store_pkgdir(p, d, sizeof(d)))
		return 0;
	snprintf(done, sizeof(done), "%s/.complete", d);
	return faccessat(s->fd, done, F_OK, 0) == 0;
}

int ac_store_has_arch(const struct ac_store *s, const struct ac_pkg *p, const char *arch)
{
	char d[1024];

	if (p->toolchain && !strcmp(arch, "amd64"))
		return ac_store_has_toolchain(s, p);
	return !ac_store_pkgdir_arch(p, arch, d, sizeof(d)) && faccessat(s->fd, d, F_OK, 0) == 0;
}

int ac_store_has(const struct ac_store *s, const struct ac_pkg *p)
{
	return ac_store_has_arch(s, p, "amd64");
}

/* A package build the store lacks: which package, for which host arch. */
struct miss {
	struct ac_pkg *p;
	const char *arch;
};

/*
 * A compiler package whose toolchain build is missing: take another built
 * version (the highest) with allow_toolchain_skew, else refuse, saying what
 * differs and what to do (root: for the command). Toolchains are never
 * downloaded.
 */
static int toolchain_missing(struct ac_store *s, struct ac_pkg *p, const char *root,
			     struct ac_err *err)
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

/* Which versions apt knows for the packages (apt-cache madison). */
static int check_versions(struct ac_store *s, const struct miss *miss, size_t n,
			  struct ac_err *err)
{
	char **argv = calloc(n + 3, sizeof(char *)), *out = NULL, *save = NULL;
	int r;

	if (!argv)
		return -ENOMEM;
	argv[0] = "apt-cache";
	argv[1] = "madison";
	for (size_t i = 0; i < n; i++) {
		argv[i + 2] = malloc(strlen(miss[i].p->name) + strlen(miss[i].arch) + 2);
		if (!argv[i + 2]) {
			r = -ENOMEM;
			goto out;
		}
		sprintf(argv[i + 2], "%s:%s", miss[i].p->name, miss[i].arch);
	}
	r = ac_spawn_run(&(struct ac_spawn){.argv = argv, .out = AC_SPAWN_CAPTURE,
					    .max_out = MADISON_MAX},
			 &out);
	if (r < 0) {
		r = ac_fail(err, r, "apt-cache: %s", strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct ac_pkg *p = miss[i].p;
		const char *arch = miss[i].arch;
		char offered[512] = "", first[256] = "", packages[64];
		int exact = 0;
		char *copy = strdup(out);

		if (!copy) {
			r = -ENOMEM;
			goto out;
		}
		/* "  make |    4.3-4.1 | http://... bookworm/main amd64 Packages" */
		snprintf(packages, sizeof(packages), " %s Packages", arch);
		for (char *line = strtok_r(copy, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			char name[256], ver[256];
			const char *tail = strrchr(line, '|');
			size_t nl = strlen(p->name);

			/* a foreign architecture's lines name it: "libc6:i386 | ..." */
			if (sscanf(line, " %255[^ |] | %255[^ |]", name, ver) != 2 ||
			    strncmp(name, p->name, nl) ||
			    (name[nl] && (name[nl] != ':' || strcmp(name + nl + 1, arch))) || !tail ||
			    !strstr(tail, packages))
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
		if (!first[0] && strcmp(arch, "amd64")) {
			r = ac_fail(err, -ENOPKG,
				 "%s: apt knows no %s build of it (the root has %s); run `dpkg "
				 "--add-architecture %s && apt-get update`, or disable the programs "
				 "that need it",
				 p->name, arch, p->version, arch);
			goto out;
		}
		if (!first[0]) {
			r = ac_fail(err, -ENOPKG,
				 "%s: apt knows no amd64 build of it (the root has %s); run "
				 "apt-get update, or disable the programs that need it",
				 p->name, p->version);
			goto out;
		}
		/* One store_version for both builds: an i386 build skews only to
		 * the version its amd64 build took, if that one did. */
		if (strcmp(arch, "amd64")) {
			const char *sv = p->store_version;
			int has = 0;

			for (const char *at = offered; sv && s->allow_skew && (at = strstr(at, sv)); at++)
				has |= (at == offered || at[-1] == ' ') &&
				       (!at[strlen(sv)] || at[strlen(sv)] == ',');
			if (has)
				continue;
			r = ac_fail(err, -ENOPKG,
				 "%s: the root has %s (%s) but apt offers only %s for %s; run "
				 "apt-get update, or disable the programs that need it",
				 p->name, p->version, p->arch, offered, arch);
			goto out;
		}
		if (!s->allow_skew) {
			r = ac_fail(err, -ENOPKG,
				 "%s: the root has %s (%s) but apt offers only %s for %s; run "
				 "apt-get update, or pass --allow-skew to use %s",
				 p->name, p->version, p->arch, offered, arch, first);
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

static int unpack(struct ac_store *s, const struct ac_pkg *p, const char *arch, const char *deb,
		  struct ac_err *err)
{
	char final[1024], tmp[8448], abs_deb[8448];
	char *argv[] = {"dpkg-deb", "-x", abs_deb, tmp, NULL};
	int r;

	ac_store_pkgdir_arch(p, arch, final, sizeof(final));
	snprintf(abs_deb, sizeof(abs_deb), "%s/debs/%s", s->dir, deb);
	snprintf(tmp, sizeof(tmp), "%s/pkgs/.unpack-%s-%s.%ld", s->dir, p->name, arch,
		 (long)getpid());
	ac_rm_rf(AT_FDCWD, tmp);
	r = ac_spawn_run(&(struct ac_spawn){.argv = argv}, NULL);
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

int ac_store_fetch(struct ac_store *s, struct ac_rootdb *db, struct ac_err *err)
{
	struct miss *miss = calloc(2 * db->npkgs + 1, sizeof(*miss));
	char dl[4200], **argv = NULL;
	size_t n = 0, nget = 0;
	int r = 0;

	if (!miss)
		return -ENOMEM;
	for (size_t i = 0; i < db->npkgs; i++) {
		struct ac_pkg *p = &db->pkgs[i];

		if (p->wanted && p->toolchain && !ac_store_has(s, p) &&
		    (r = toolchain_missing(s, p, db->root, err))) {
			free(miss);
			return r;
		}
	}
	for (size_t i = 0; i < db->npkgs; i++) {
		if (db->pkgs[i].wanted && !ac_store_has(s, &db->pkgs[i]))
			miss[n++] = (struct miss){&db->pkgs[i], "amd64"};
		if (db->pkgs[i].wanted32 && !ac_store_has_arch(s, &db->pkgs[i], "i386"))
			miss[n++] = (struct miss){&db->pkgs[i], "i386"};
	}
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

		/* If this fails apt downloads unsandboxed as root, and says so. */
		if (pw && chown(dl, pw->pw_uid, (gid_t)-1) < 0 && s->note)
			s->note("cannot give %s to _apt: apt downloads as root", dl);
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
		const struct ac_pkg *p = miss[i].p;
		char v[512], deb[1024];

		if (ac_store_has_arch(s, p, miss[i].arch))
			continue; /* skew mapped it onto an unpacked version */
		version_file(ac_store_version(p), v, sizeof(v));
		snprintf(deb, sizeof(deb), "debs/%s_%s_%s.deb", p->name, v, miss[i].arch);
		if (faccessat(s->fd, deb, R_OK, 0) == 0)
			continue; /* downloaded earlier */
		argv[3 + nget] = malloc(strlen(p->name) + strlen(ac_store_version(p)) + 8);
		if (!argv[3 + nget]) {
			r = -ENOMEM;
			goto out;
		}
		sprintf(argv[3 + nget++], "%s:%s=%s", p->name, miss[i].arch, ac_store_version(p));
	}
	if (nget) {
		if (s->note)
			s->note("downloading %zu host package%s into %s", nget, nget > 1 ? "s" : "",
				s->dir);
		r = ac_spawn_run(&(struct ac_spawn){.argv = argv, .dir = dl,
						    .out = s->verbose ? AC_SPAWN_INHERIT : AC_SPAWN_QUIET},
				 NULL);
		if (r) {
			r = ac_fail(err, r < 0 ? r : -EIO,
				 "apt-get download of %zu host package%s failed (see above); check "
				 "the apt sources, the store is unchanged",
				 nget, nget > 1 ? "s" : "");
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		char v[512], deb[1024], from[8448], to[8448];

		if (ac_store_has_arch(s, miss[i].p, miss[i].arch))
			continue;
		version_file(ac_store_version(miss[i].p), v, sizeof(v));
		snprintf(deb, sizeof(deb), "%s_%s_%s.deb", miss[i].p->name, v, miss[i].arch);
		snprintf(from, sizeof(from), "%s/%s", dl, deb);
		snprintf(to, sizeof(to), "%s/debs/%s", s->dir, deb);
		if (access(from, R_OK) == 0 && rename(from, to) < 0) {
			r = ac_fail(err, -errno, "keep %s: %s", to, strerror(errno));
			goto out;
		}
		if ((r = unpack(s, miss[i].p, miss[i].arch, deb, err)))
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

int ac_store_resolve(const struct ac_store *s, const char *pkgdir, const char *rel,
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
