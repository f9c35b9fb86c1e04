// SPDX-License-Identifier: GPL-2.0-or-later
/* What the view serves for a set of programs; see accel/view/plan.h. */
#include "config.h"

#include "accel/view/plan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "accel/base/util.h"
#include "accel/exec/canon.h"
#include "accel/exec/layout.h"
#include "accel/view/elfview.h"
#include "accel/view/retell.h"

/* A growable list of strings in which order matters (queues). */
struct strq {
	char **v;
	size_t n, cap;
};

static int push(struct strq *q, const char *s)
{
	if (q->n == q->cap) {
		size_t c = q->cap ? q->cap * 2 : 64;
		char **nv = realloc(q->v, c * sizeof(char *));

		if (!nv)
			return -ENOMEM;
		q->v = nv;
		q->cap = c;
	}
	if (!(q->v[q->n] = strdup(s)))
		return -ENOMEM;
	q->n++;
	return 0;
}

static int has(const struct strq *q, const char *s)
{
	for (size_t i = 0; i < q->n; i++)
		if (!strcmp(q->v[i], s))
			return 1;
	return 0;
}

static void strq_free(struct strq *q)
{
	ac_strv_free(q->v, q->n);
	memset(q, 0, sizeof(*q));
}

/* A whole file, mapped privately (libelf may touch its image). */
struct mapped {
	void *p;
	size_t len;
};

static int map_at(int dirfd, const char *path, int in_root, struct mapped *m)
{
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC,
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	struct stat st;
	int fd, r = 0;

	m->p = NULL;
	m->len = 0;
	fd = in_root ? (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how))
		     : openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode) || st.st_size <= 0)
		r = -ENOEXEC;
	if (!r) {
		m->p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
		if (m->p == MAP_FAILED) {
			r = -errno;
			m->p = NULL;
		} else {
			m->len = (size_t)st.st_size;
		}
	}
	close(fd);
	return r;
}

static void unmap(struct mapped *m)
{
	if (m->p)
		munmap(m->p, m->len);
	m->p = NULL;
}

/* The armel package of the root that provides library soname; its path in
 * the root (canonical) goes to path when not NULL. */
static struct ac_pkg *soname_owner(const struct ac_rootdb *db, const char *soname, char *path,
				   size_t size)
{
	static const char *const dirs[] = {"/lib/arm-linux-gnueabi", "/usr/lib/arm-linux-gnueabi",
					   "/lib", "/usr/lib"};
	char try[AC_PATH_MAX], canon[AC_PATH_MAX], listed[AC_PATH_MAX];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		struct ac_pkg *p;
		long cl;

		snprintf(try, sizeof(try), "%s/%s", dirs[i], soname);
		cl = ac_canon(db->rootfd, "/", try, canon, sizeof(canon));
		if (!(p = ac_rootdb_owner(db, try, listed, sizeof(listed))) && cl > 0)
			p = ac_rootdb_owner(db, canon, listed, sizeof(listed));
		if (p) {
			if (path)
				snprintf(path, size, "%s", cl > 0 ? canon : try);
			return p;
		}
	}
	return NULL;
}

static int perl_enabled(struct ac_pkg *const *owners, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(owners[i]->name, "perl-base") || !strcmp(owners[i]->name, "perl"))
			return 1;
	return 0;
}

/* Which companion kinds package p brings with this set (see plan_build). */
static unsigned companions_of(const struct ac_pkg *p, int perl)
{
	if (strcmp(p->arch, "armel"))
		return 0;
	return p->companions & (perl ? ~0u : ~(unsigned)AC_COMPANION_PERL);
}

/*
 * Programs whose faithful host build is the i386 one: the assembler of
 * binutils. gas lays its frags in obstack chunks whose size depends on the
 * host's word size and evaluates expressions in the host's address width
 * (BFD64 is forced on 64-bit hosts): the amd64 build writes other bytes
 * for some inputs, silently. The i386 build has armel's word sizes, and the
 * view tells its C library armel's obstack defaults (elfview.c
 * plan_obstack). kbuild-notes/toolchain.md has the whole argument.
 */
int ac_plan_served32(const char *pkg, const char *program)
{
	size_t l = strlen(program);

	return !strncmp(pkg, "binutils-", 9) && l > 3 && !strcmp(program + l - 3, "-as");
}

static int served32(const struct ac_pkg *owner, const char *program)
{
	return ac_plan_served32(owner->name, program);
}

/* ----------------------------------------------------------- step 1: want */

struct wanter {
	struct strq queue;   /* armel ELF files of the root still to read */
	struct strq seen;    /* sonames met */
};

/* The root's own ELF files of a companion package (its XS modules). */
static int queue_elf(void *ctx, const char *path)
{
	struct wanter *w = ctx;
	const char *base = strrchr(path, '/');

	if (!base || (!strstr(base, ".so") || has(&w->queue, path)))
		return 0;
	return push(&w->queue, path);
}

int ac_plan_want(struct ac_rootdb *db, char *const *programs, size_t n, struct ac_err *err)
{
	struct wanter w = {0};
	struct ac_pkg **owners = calloc(n + 1, sizeof(*owners));
	struct ac_pkg *libc = ac_rootdb_pkg(db, "libc6");
	int r = 0, perl;

	if (!owners)
		return -ENOMEM;
	for (size_t i = 0; i < db->npkgs; i++)
		db->pkgs[i].wanted = db->pkgs[i].wanted32 = 0;
	if (!n)
		goto out;
	if (!libc) {
		r = ac_fail(err, -ENOPKG, "%s has no libc6 installed: there is no host loader to serve",
			    db->root);
		goto out;
	}
	libc->wanted = 1;
	for (size_t i = 0; i < n && !r; i++) {
		if ((r = ac_program_check(db, programs[i], &owners[i], err)))
			goto out;
		/* A 32-bit program's libraries come through the -EAGAIN rounds. */
		if (served32(owners[i], programs[i])) {
			owners[i]->wanted32 = libc->wanted32 = 1;
			continue;
		}
		owners[i]->wanted = 1;
		r = push(&w.queue, programs[i]);
	}
	perl = perl_enabled(owners, n);
	for (size_t i = 0; i < db->npkgs && !r; i++) {
		if (!companions_of(&db->pkgs[i], perl))
			continue;
		db->pkgs[i].wanted = 1;
		r = ac_rootdb_files(db, &db->pkgs[i], queue_elf, &w);
	}
	/* The closure of the root's own files: what the host builds of the
	 * same versions will need, in all but rare cases (plan_build finds
	 * those). Files that are not ELF, or unreadable, add nothing. */
	for (size_t k = 0; k < w.queue.n && !r; k++) {
		struct ac_elf_info info;
		struct mapped m;

		if (map_at(db->rootfd, w.queue.v[k], 1, &m))
			continue;
		r = ac_elf_needed(m.p, m.len, &info, NULL);
		unmap(&m);
		if (r) {
			r = 0;
			continue;
		}
		for (size_t i = 0; i < info.nneeded && !r; i++) {
			char path[AC_PATH_MAX];
			struct ac_pkg *p;

			if (has(&w.seen, info.needed[i]))
				continue;
			if ((r = push(&w.seen, info.needed[i])))
				break;
			if ((p = soname_owner(db, info.needed[i], path, sizeof(path)))) {
				p->wanted = 1;
				r = push(&w.queue, path);
			}
		}
		ac_elf_info_free(&info);
	}
out:
	strq_free(&w.queue);
	strq_free(&w.seen);
	free(owners);
	return r;
}

/* ---------------------------------------------------------- step 2: build */

struct planner {
	struct ac_rootdb *db;
	const struct ac_store *s;
	struct ac_plan *plan;
	struct ac_err *err;
	struct strq queue;   /* ELF files whose DT_NEEDED are still to be read (store paths) */
	struct strq sonames; /* sonames already resolved or under way */
	/* packages whose multiarch trees are in the plan */
	struct ac_pkg **trees;
	size_t ntrees, tcap;
	int missing;         /* packages the store lacks (wanted set): -EAGAIN */
	/* every served ELF file read: whether it can load code (dlopen), and
	 * the sonames it needs; for the retells (plan_all_retells) */
	struct elfrec {
		char *source;
		char **needed;
		size_t nneeded;
		int self, loads;
	} *recs;
	size_t nrecs, rcap;
	/* packages of the plugins served for binutils (serve_plugins): their
	 * programs are stamped with them too */
	struct ac_pkg *plugin_pkgs[16];
	size_t nplugin_pkgs;
	char unserved[AC_PATH_MAX]; /* a plugin without a host build */
};

static int plan_add(struct ac_plan *plan, const char *view, const char *source, int link)
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
	plan->e[plan->n].link = link;
	if (!plan->e[plan->n].view || !plan->e[plan->n].source) {
		free(plan->e[plan->n].view);
		free(plan->e[plan->n].source);
		return -ENOMEM;
	}
	plan->n++;
	return 1;
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
	int r = plan_add(pl->plan, view, source, 0);

	if (r <= 0)
		return r;
	if (is_elf_file(pl->s, source))
		return push(&pl->queue, source);
	return 0;
}

/* A package the plan needs: 1 if the store has it, else 0 (and it is
 * wanted now: the caller fetches and plans again). */
static int in_store_arch(struct planner *pl, struct ac_pkg *p, int class32)
{
	const char *arch = class32 ? "i386" : "amd64";

	if (ac_store_has_arch(pl->s, p, arch))
		return 1;
	if (!pl->missing)
		ac_fail(pl->err, -EAGAIN, "%s %s (%s) is needed but not in the store %s",
			p->name, ac_store_version(p), arch, pl->s->dir);
	if (class32)
		p->wanted32 = 1;
	else
		p->wanted = 1;
	pl->missing++;
	return 0;
}

static int in_store(struct planner *pl, struct ac_pkg *p)
{
	return in_store_arch(pl, p, 0);
}

/*
 * perl's arch-dependent library trees (perl-base/, perl/, perl5/ under the
 * multiarch directory) hold two kinds of files besides the XS modules:
 * those that describe the target (Config.pm, Config_heavy.pl: archname,
 * cc, install paths, sizes; CORE/config.h for XS code compiled against
 * them) and h2ph's .ph files, which a running perl evaluates as its own
 * ABI (syscall numbers, ioctl codes). A native perl must report and build
 * for the root's target, exactly as the emulated one: where the root's
 * armel file at the same place differs from the host build's, the view
 * links there instead (the link resolves inside the root). .so and .ph
 * files, and ELF files of any name, stay the host's.
 */
static int in_perl_tree(const char *path)
{
	static const char *const dirs[] = {"/perl-base/", "/perl/", "/perl5/"};
	const char *tail = path + sizeof(AC_HOST_USRLIB) - 2;
	size_t len = strlen(path);

	if (strncmp(path, AC_HOST_USRLIB + 1, sizeof(AC_HOST_USRLIB) - 2) ||
	    (len > 3 && (!strcmp(path + len - 3, ".so") || !strcmp(path + len - 3, ".ph"))))
		return 0;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (!strncmp(tail, dirs[i], strlen(dirs[i])))
			return 1;
	return 0;
}

/* The root's armel counterpart of package file path (usr/lib/x86_64-linux-gnu/perl...)
 * when it differs from the store file source: its canonical root path goes
 * to target (1); 0 when the host file is served. */
static int perl_target_file(struct planner *pl, const char *path, const char *source,
			    char *target, size_t size)
{
	char armel[AC_PATH_MAX];
	struct mapped a, h;
	int differ = 0;

	if (!in_perl_tree(path) || is_elf_file(pl->s, source))
		return 0;
	if ((size_t)snprintf(armel, sizeof(armel), "/usr/lib/arm-linux-gnueabi%s",
			     path + sizeof(AC_HOST_USRLIB) - 2) >= sizeof(armel) ||
	    ac_canon(pl->db->rootfd, "/", armel, target, size) <= 0)
		return 0;
	/* Empty or unreadable on either side: the host file is served. */
	if (!map_at(pl->db->rootfd, target, 1, &a)) {
		if (!map_at(pl->s->fd, source, 0, &h)) {
			differ = a.len != h.len || (a.len && memcmp(a.p, h.p, a.len));
			unmap(&h);
		}
		unmap(&a);
	}
	return differ;
}

/* Every file of a package under the host multiarch directories, links
 * resolved in the package (a linked directory is served as a copy of its
 * tree, as perl's 5.36 -> 5.36.0). */
static int walk_tree(struct planner *pl, const char *pkgdir, const char *rel, int depth)
{
	char path[AC_PATH_MAX], view[AC_PATH_MAX], source[AC_PATH_MAX], target[AC_PATH_MAX];
	int dfd, r = 0, isdir = 0;
	DIR *d;
	struct dirent *de;

	if (depth > 16)
		return 0;
	if (ac_store_resolve(pl->s, pkgdir, rel, source, sizeof(source), &isdir) < 0 || !isdir)
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
		if (ac_store_resolve(pl->s, pkgdir, path, source, sizeof(source), &isdir) < 0)
			continue; /* dangling, or a link out of the package */
		if (isdir) {
			r = walk_tree(pl, pkgdir, path, depth + 1);
			continue;
		}
		if (ac_view_alias(path, view, sizeof(view)) != 1)
			continue;
		if (perl_target_file(pl, path, source, target, sizeof(target)))
			r = plan_add(pl->plan, view, target, 1) < 0 ? -ENOMEM : 0;
		else
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
	if (!in_store(pl, p))
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

/* Is a file named soname served already? A package's private libraries
 * (gconv's libJIS.so, found through DT_RUNPATH $ORIGIN) come with its tree. */
static int is_view32(const char *view)
{
	return !strncmp(view, AC_VREL_LIB32 "/", sizeof(AC_VREL_LIB32)) ||
	       !strncmp(view, AC_VREL_USRLIB32 "/", sizeof(AC_VREL_USRLIB32));
}

static int in_plan(const struct ac_plan *plan, const char *soname, int class32)
{
	size_t sl = strlen(soname);

	for (size_t i = 0; i < plan->n; i++) {
		size_t vl = strlen(plan->e[i].view);

		if (is_view32(plan->e[i].view) != class32)
			continue;
		if (vl > sl && plan->e[i].view[vl - sl - 1] == '/' &&
		    !strcmp(plan->e[i].view + vl - sl, soname))
			return 1;
	}
	return 0;
}

static const char *const lib_dirs[] = {AC_HOST_LIB + 1, AC_HOST_USRLIB + 1};
static const char *const lib_dirs32[] = {AC_HOST32_LIB + 1, AC_HOST32_USRLIB + 1};

/* An i386 library and its package: the library alone (no multiarch tree:
 * the 32-bit programs served, the assembler, load nothing by path; its own
 * package's private libraries come with it, serve_programs). */
static int serve_library32(struct planner *pl, struct ac_pkg *p, const char *soname,
			   const char *source)
{
	char pkgdir[1024], rel[AC_PATH_MAX], view[AC_PATH_MAX], found[AC_PATH_MAX];
	int r;

	if (!in_store_arch(pl, p, 1))
		return 0;
	ac_store_pkgdir_arch(p, "i386", pkgdir, sizeof(pkgdir));
	for (size_t d = 0; d < sizeof(lib_dirs32) / sizeof(lib_dirs32[0]); d++) {
		snprintf(rel, sizeof(rel), "%s/%s", lib_dirs32[d], soname);
		if (ac_store_resolve(pl->s, pkgdir, rel, found, sizeof(found), NULL) < 0)
			continue;
		ac_view_alias(rel, view, sizeof(view));
		r = serve(pl, view, found);
		return r < 0 ? r : 0;
	}
	return ac_fail(pl->err, -ENOPKG,
		       "%s needs %s: the root's %s provides it for armel, but %s %s (i386) has "
		       "no %s",
		       source, soname, p->name, p->name, ac_store_version(p), soname);
}

/*
 * A private library: soname is in none of the root's library directories,
 * but the package of source (a store file, "pkgs/NAME_VERSION_amd64/...")
 * ships it in a directory of its own under /usr/lib, and the root's armel
 * build of that package has the same file there (man-db's
 * /usr/lib/man-db/libman-2.11.2.so, which its programs find through
 * DT_RUNPATH). The host loader skips the armel file that DT_RUNPATH names
 * (wrong ELF class) and goes on to its default directories, where the view
 * serves the host file under the same name. 1 served, 0 none, or -errno.
 */
static int serve_private(struct planner *pl, const char *soname, const char *source)
{
	char pkgdir[1024], rel[AC_PATH_MAX], found[AC_PATH_MAX], view[AC_PATH_MAX];
	char inroot[AC_PATH_MAX], listed[AC_PATH_MAX];
	const char *end = strncmp(source, "pkgs/", 5) ? NULL : strchr(source + 5, '/');
	struct dirent *de;
	DIR *d;
	int dfd, r = 0;

	if (!end || (size_t)(end - source) >= sizeof(pkgdir))
		return 0;
	memcpy(pkgdir, source, (size_t)(end - source));
	pkgdir[end - source] = '\0';
	snprintf(rel, sizeof(rel), "%s/usr/lib", pkgdir);
	dfd = openat(pl->s->fd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 || !(d = fdopendir(dfd))) {
		if (dfd >= 0)
			close(dfd);
		return 0;
	}
	while (!r && (de = readdir(d))) {
		struct ac_pkg *owner;
		size_t nl;

		if (de->d_name[0] == '.' || strstr(de->d_name, "-linux-gnu"))
			continue; /* the multiarch directories are the loader's own */
		if ((size_t)snprintf(inroot, sizeof(inroot), "/usr/lib/%s/%s", de->d_name,
				     soname) >= sizeof(inroot) ||
		    ac_store_resolve(pl->s, pkgdir, inroot + 1, found, sizeof(found), NULL) < 0)
			continue;
		owner = ac_rootdb_owner(pl->db, inroot, listed, sizeof(listed));
		nl = owner ? strlen(owner->name) : 0;
		if (!owner || strncmp(pkgdir + 5, owner->name, nl) || pkgdir[5 + nl] != '_')
			continue; /* not the same package's file in the root */
		snprintf(view, sizeof(view), "%s/%s", AC_VREL_USRLIB, soname);
		r = serve(pl, view, found);
		r = r < 0 ? r : 1;
	}
	closedir(d);
	return r;
}

/* Serve library soname, which source (a store file) needs. */
static int serve_library(struct planner *pl, const char *soname, const char *source, int class32)
{
	char pkgdir[1024], rel[AC_PATH_MAX], view[AC_PATH_MAX], found[AC_PATH_MAX];
	struct ac_pkg *p = soname_owner(pl->db, soname, NULL, 0);
	int r;

	if (!p && !class32 && (r = serve_private(pl, soname, source)))
		return r < 0 ? r : 0;
	if (!p)
		return ac_fail(pl->err, -ENOPKG,
			       "%s needs %s, which no package of %s provides for armel; "
			       "disable the program that needs it",
			       source, soname, pl->db->root);
	if (class32)
		return serve_library32(pl, p, soname, source);
	if (!in_store(pl, p))
		return 0;
	ac_store_pkgdir(p, pkgdir, sizeof(pkgdir));
	for (size_t d = 0; d < sizeof(lib_dirs) / sizeof(lib_dirs[0]); d++) {
		snprintf(rel, sizeof(rel), "%s/%s", lib_dirs[d], soname);
		if (ac_store_resolve(pl->s, pkgdir, rel, found, sizeof(found), NULL) < 0)
			continue;
		ac_view_alias(rel, view, sizeof(view));
		if ((r = serve(pl, view, found)) < 0)
			return r;
		return add_tree(pl, p);
	}
	return ac_fail(pl->err, -ENOPKG,
		       "%s needs %s: the root's %s provides it for armel, but %s %s (amd64) has "
		       "no %s",
		       source, soname, p->name, p->name, ac_store_version(p), soname);
}

/* Remember what the retells need of a served ELF file (struct elfrec). */
static int record_elf(struct planner *pl, const char *source, const struct mapped *m,
		      const struct ac_elf_info *info)
{
	struct elfrec *rec;

	if (pl->nrecs == pl->rcap) {
		size_t c = pl->rcap ? pl->rcap * 2 : 64;

		if (!(rec = realloc(pl->recs, c * sizeof(*rec))))
			return -ENOMEM;
		pl->recs = rec;
		pl->rcap = c;
	}
	rec = &pl->recs[pl->nrecs++];
	memset(rec, 0, sizeof(*rec));
	rec->self = ac_retell_loads_code(m->p, m->len);
	if (!(rec->source = strdup(source)) ||
	    (info->nneeded && !(rec->needed = calloc(info->nneeded, sizeof(char *)))))
		return -ENOMEM;
	for (; rec->nneeded < info->nneeded; rec->nneeded++)
		if (!(rec->needed[rec->nneeded] = strdup(info->needed[rec->nneeded])))
			return -ENOMEM;
	return 0;
}

/* Read the DT_NEEDED of one queued store file and serve what it needs. */
static int read_needed(struct planner *pl, const char *source)
{
	struct ac_elf_info info;
	struct ac_err why;
	struct mapped m;
	int r = map_at(pl->s->fd, source, 0, &m);

	if (r == -ENOEXEC)
		return ac_fail(pl->err, -ENOPKG, "%s/%s is empty", pl->s->dir, source);
	if (r)
		return ac_fail_errno(pl->err, r, "open %s/%s", pl->s->dir, source);
	r = ac_elf_inspect(m.p, m.len, &info, &why);
	if (!r && (r = record_elf(pl, source, &m, &info))) {
		unmap(&m);
		ac_elf_info_free(&info);
		return r;
	}
	unmap(&m);
	if (r) /* a damaged host build is no host equivalent */
		return ac_fail(pl->err, r == -ENOEXEC ? -ENOPKG : r, "%s/%s is refused: %s",
			       pl->s->dir, source, r == -ENOEXEC ? why.msg : strerror(-r));
	for (size_t i = 0; i < info.nneeded && !r; i++) {
		const char *so = info.needed[i];
		char key[300];

		/* the same soname of the other ABI is another library */
		snprintf(key, sizeof(key), "%s%s", info.class32 ? "i386:" : "", so);
		if (!strcmp(so, info.class32 ? AC_HOST32_LOADER_SONAME : AC_HOST_LOADER_SONAME) ||
		    has(&pl->sonames, key) || in_plan(pl->plan, so, info.class32))
			continue;
		if (!(r = push(&pl->sonames, key)))
			r = serve_library(pl, so, source, info.class32);
	}
	ac_elf_info_free(&info);
	return r;
}

/*
 * Companions: host libraries that a host process loads without naming them
 * in DT_NEEDED, so the closure never meets them (the root database marks
 * the packages, enum ac_companion).
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
static int serve_preloads(struct planner *pl, struct ac_pkg *p)
{
	static const char *const names[] = {"libfakeroot-sysv.so", "libfakeroot-tcp.so",
					    "libfakeroot-0.so"};
	char pkgdir[1024], rel[AC_PATH_MAX], source[AC_PATH_MAX], view[AC_PATH_MAX];
	int r;

	ac_store_pkgdir(p, pkgdir, sizeof(pkgdir));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(rel, sizeof(rel), "%s/libfakeroot/%s", AC_HOST_USRLIB + 1, names[i]);
		if (ac_store_resolve(pl->s, pkgdir, rel, source, sizeof(source), NULL) < 0)
			continue;
		snprintf(rel, sizeof(rel), "%s/%s", AC_HOST_USRLIB + 1, names[i]);
		ac_view_alias(rel, view, sizeof(view));
		if ((r = serve(pl, view, source)) < 0)
			return r;
	}
	return 0;
}

static int add_companions(struct planner *pl, struct ac_pkg *const *owners, size_t n)
{
	struct ac_rootdb *db = pl->db;
	int perl = perl_enabled(owners, n), r = 0;

	for (size_t i = 0; !r && i < db->npkgs; i++) {
		unsigned kinds = companions_of(&db->pkgs[i], perl);

		if (!kinds || !in_store(pl, &db->pkgs[i]))
			continue;
		if (!(r = add_tree(pl, &db->pkgs[i])) && (kinds & AC_COMPANION_PRELOAD))
			r = serve_preloads(pl, &db->pkgs[i]);
	}
	return r;
}

/*
 * Code the root's programs load by path, as host builds (kbuild-notes/toolchain.md):
 *   - the plugins in BFD's directories (/usr/lib/bfd-plugins and
 *     /usr/lib/TRIPLET/bfd-plugins), which the armel ar, nm, ranlib and ld
 *     load from there: each file's host build is served under
 *     AC_VREL_BFD_PLUGINS by its name (where the host libbfd looks, elfview.h)
 *     and at its canonical root path;
 *   - GCC's LTO plugin at its canonical path, /usr/lib/gcc/TRIPLET/N/, which
 *     the driver passes to ld and ar by path (-plugin, --plugin): the
 *     dispatcher gives a native program the view's file instead
 *     (accel/exec/plugin.h ac_plugin_rewrite).
 * Returns 0 (served, or nothing to serve), 1 when the file is GCC's and the
 * root's GCC has no host build here (serve_plugins decides), or -errno.
 * Other packages are fetched like any (in_store: -EAGAIN round).
 */
static int serve_root_code(struct planner *pl, const char *path, const char *alias)
{
	char canon[AC_PATH_MAX], listed[AC_PATH_MAX], pkgdir[1024], source[AC_PATH_MAX];
	struct ac_pkg *p;
	int r;

	if (ac_canon(pl->db->rootfd, "/", path, canon, sizeof(canon)) <= 0 ||
	    !(p = ac_rootdb_owner(pl->db, canon, listed, sizeof(listed))) ||
	    strcmp(p->arch, "armel"))
		return 0;
	/* GCC's plugin comes from the host build of the root's GCC, which is
	 * never fetched: without it the plugin is not served (the caller says
	 * what that means). Anything else is fetched like any package. */
	if (p->toolchain && !ac_store_has_toolchain(pl->s, p))
		return 1;
	if (!in_store(pl, p))
		return 0;
	ac_store_pkgdir(p, pkgdir, sizeof(pkgdir));
	if (ac_store_resolve(pl->s, pkgdir, canon + 1, source, sizeof(source), NULL) < 0 ||
	    !is_elf_file(pl->s, source))
		return 0;
	if ((r = serve(pl, canon + 1, source)) < 0)
		return r;
	if (alias) {
		size_t i = 0;

		while (i < pl->nplugin_pkgs && pl->plugin_pkgs[i] != p)
			i++;
		if (i == pl->nplugin_pkgs && i < sizeof(pl->plugin_pkgs) / sizeof(pl->plugin_pkgs[0]))
			pl->plugin_pkgs[pl->nplugin_pkgs++] = p;
	}
	return alias ? serve(pl, alias, source) : 0;
}

/* Returns 0, 1 when a plugin of dir has no host build here, or -errno. */
static int serve_plugin_dir(struct planner *pl, const char *dir)
{
	struct open_how how = {.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	char path[AC_PATH_MAX], alias[AC_PATH_MAX];
	int fd = (int)syscall(SYS_openat2, pl->db->rootfd, dir, &how, sizeof(how)), r = 0;
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return 0;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return 0;
	}
	while (r >= 0 && (de = readdir(d))) {
		int one;

		if (de->d_name[0] == '.' ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= sizeof(path))
			continue;
		snprintf(alias, sizeof(alias), "%s/%s", AC_VREL_BFD_PLUGINS, de->d_name);
		if ((one = serve_root_code(pl, path, alias)) < 0)
			r = one;
		else if (one && !r) {
			r = 1;
			snprintf(pl->unserved, sizeof(pl->unserved), "%s", path);
		}
	}
	closedir(d);
	return r;
}

/* A program that reads or writes objects through BFD's plugins: the
 * archive tools and the linker. */
static int uses_bfd_plugins(const char *program)
{
	static const char *const tails[] = {"-ar", "-nm", "-ranlib", "-ld.bfd"};
	size_t l = strlen(program);

	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		size_t tl = strlen(tails[i]);

		if (l > tl && !strcmp(program + l - tl, tails[i]))
			return 1;
	}
	return 0;
}

static int serve_plugins(struct planner *pl, char *const *programs, struct ac_pkg *const *owners,
			 size_t n)
{
	char dir[AC_PATH_MAX];
	int r = 0, bfd = 0, unserved = 0;

	for (size_t i = 0; i < n && !r; i++) {
		/* binutils-TRIPLET: its libbfd scans /usr/lib/TRIPLET/bfd-plugins
		 * (the assembler reads no objects) */
		if (!strncmp(owners[i]->name, "binutils-", 9) && !bfd &&
		    !served32(owners[i], programs[i])) {
			int a, b;

			bfd = 1;
			snprintf(dir, sizeof(dir), "/usr/lib/%s/bfd-plugins", owners[i]->name + 9);
			a = serve_plugin_dir(pl, "/usr/lib/bfd-plugins");
			b = a < 0 ? a : serve_plugin_dir(pl, dir);
			r = a < 0 ? a : b < 0 ? b : 0;
			unserved = a > 0 || b > 0;
		}
	}
	/* A plugin left out: the host ar would write an LTO archive without its
	 * symbol index, silently. Printing tools (objdump, readelf) and the
	 * copying ones only lose what they say of LTO objects. */
	for (size_t i = 0; unserved && !r && i < pl->plan->nprograms; i++)
		if (uses_bfd_plugins(pl->plan->programs[i]))
			r = ac_fail(pl->err, -ENOPKG,
				    "%s loads %s, whose host build is the root's GCC's: build it "
				    "once with `accel-build-toolchain %s` (about 15 minutes) or "
				    "leave %s emulated",
				    pl->plan->programs[i], pl->unserved, pl->db->root,
				    strrchr(pl->plan->programs[i], '/') + 1);
	/* GCC's own plugin, beside the compiler proper of each served GCC. */
	for (size_t i = 0; i < pl->plan->nprograms && !r; i++) {
		const char *prog = pl->plan->programs[i], *slash = strrchr(prog, '/');

		if (strncmp(prog, "/usr/lib/gcc/", 13) || strcmp(slash, "/collect2"))
			continue;
		snprintf(dir, sizeof(dir), "%.*s/liblto_plugin.so", (int)(slash - prog), prog);
		if ((r = serve_root_code(pl, dir, NULL)) > 0)
			r = 0; /* no toolchain: then collect2 is not served either */
	}
	return r;
}

/* One retell line of the plan (copies of the strings). */
static int add_retell(struct ac_plan *plan, const char *view, const char *from, const char *to)
{
	struct ac_plan_retell *v = realloc(plan->retells, (plan->nretells + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	plan->retells = v;
	v += plan->nretells;
	v->view = strdup(view);
	v->from = strdup(from);
	v->to = strdup(to);
	plan->nretells++;
	return v->view && v->from && v->to ? 0 : -ENOMEM;
}

/* The compiled-in strings of a served file (view path, its host build:
 * source) that its armel build in the root (armel, an absolute path) tells
 * otherwise (accel/view/retell.h). */
static int plan_retells(struct planner *pl, const char *view, const char *source,
			const char *armel_path, int loads_code)
{
	struct ac_retell pairs[AC_PLAN_MAX_RETELLS];
	struct mapped host, armel;
	int n, r = 0;

	if (map_at(pl->s->fd, source, 0, &host))
		return 0; /* unreadable here: the daemon refuses it later */
	if (map_at(pl->db->rootfd, armel_path, 1, &armel)) {
		unmap(&host);
		return 0;
	}
	n = ac_retell_pairs(host.p, host.len, armel.p, armel.len, loads_code, pairs,
			    AC_PLAN_MAX_RETELLS);
	if (n == -E2BIG)
		n = AC_PLAN_MAX_RETELLS; /* the first ones */
	unmap(&host);
	unmap(&armel);
	for (int i = 0; i < n && !r; i++)
		r = add_retell(pl->plan, view, pairs[i].from, pairs[i].to);
	return r;
}

/* The i386 loader, for the 32-bit programs (served32). */
static int serve_loader32(struct planner *pl, struct ac_pkg *libc)
{
	char pkgdir[1024], source[AC_PATH_MAX];
	int r;

	if (!in_store_arch(pl, libc, 1))
		return 0;
	ac_store_pkgdir_arch(libc, "i386", pkgdir, sizeof(pkgdir));
	r = ac_store_resolve(pl->s, pkgdir, "lib/i386-linux-gnu/" AC_HOST32_LOADER_SONAME, source,
			     sizeof(source), NULL);
	if (r < 0)
		return ac_fail(pl->err, -ENOPKG, "libc6 %s (i386) in %s has no %s",
			       ac_store_version(libc), pl->s->dir, AC_HOST32_LOADER_SONAME);
	return serve(pl, AC_VREL_LDSO32, source);
}

/* The loader, and each program at its canonical path. */
static int serve_programs(struct planner *pl, char *const *programs, size_t n,
			  struct ac_pkg **owners)
{
	struct ac_pkg *libc = ac_rootdb_pkg(pl->db, "libc6");
	char listed[AC_PATH_MAX], pkgdir[1024], source[AC_PATH_MAX];
	size_t progcap = 0;
	int r, loader32 = 0;

	if (!libc)
		return ac_fail(pl->err, -ENOPKG,
			       "%s has no libc6 installed: there is no host loader to serve",
			       pl->db->root);
	if (in_store(pl, libc)) {
		ac_store_pkgdir(libc, pkgdir, sizeof(pkgdir));
		r = ac_store_resolve(pl->s, pkgdir, "lib/x86_64-linux-gnu/" AC_HOST_LOADER_SONAME,
				     source, sizeof(source), NULL);
		if (r < 0)
			r = ac_store_resolve(pl->s, pkgdir, "lib64/" AC_HOST_LOADER_SONAME, source,
					     sizeof(source), NULL);
		if (r < 0)
			return ac_fail(pl->err, r, "libc6 %s (amd64) in %s has no %s",
				       ac_store_version(libc), pl->s->dir, AC_HOST_LOADER_SONAME);
		if ((r = serve(pl, AC_VREL_LDSO, source)) < 0)
			return r;
	}
	for (size_t i = 0; i < n; i++) {
		int class32;

		if ((r = ac_program_check(pl->db, programs[i], &owners[i], pl->err)))
			return r;
		class32 = served32(owners[i], programs[i]);
		if (class32 && !loader32 && (r = serve_loader32(pl, libc)) < 0)
			return r;
		loader32 |= class32;
		if (!in_store_arch(pl, owners[i], class32))
			continue;
		ac_rootdb_owner(pl->db, programs[i], listed, sizeof(listed));
		ac_store_pkgdir_arch(owners[i], class32 ? "i386" : "amd64", pkgdir, sizeof(pkgdir));
		r = ac_store_resolve(pl->s, pkgdir, listed + 1, source, sizeof(source), NULL);
		if (r < 0 || !is_elf_file(pl->s, source))
			return ac_fail(pl->err, -ENOPKG,
				       "%s has no host equivalent: %s %s (%s) does not ship %s as "
				       "a program",
				       programs[i], owners[i]->name, ac_store_version(owners[i]),
				       class32 ? "i386" : "amd64", listed);
		if ((r = serve(pl, programs[i] + 1, source)) < 0)
			return r;
		if (pl->plan->nprograms == progcap) {
			size_t c = progcap ? progcap * 2 : 64;
			char **v = realloc(pl->plan->programs, c * sizeof(*v));

			if (!v)
				return -ENOMEM;
			pl->plan->programs = v;
			progcap = c;
		}
		if (!(pl->plan->programs[pl->plan->nprograms] = strdup(programs[i])))
			return -ENOMEM;
		pl->plan->nprograms++;
		if (class32) {
			/* its package's private libraries (libbfd-VERSION-TARGET.so) */
			if ((r = walk_tree(pl, pkgdir, AC_HOST32_LIB + 1, 0)) ||
			    (r = walk_tree(pl, pkgdir, AC_HOST32_USRLIB + 1, 0)))
				return r;
		} else if ((r = add_tree(pl, owners[i]))) {
			return r;
		}
	}
	return 0;
}

static struct elfrec *rec_of(struct planner *pl, const char *source)
{
	for (size_t i = 0; i < pl->nrecs; i++)
		if (!strcmp(pl->recs[i].source, source))
			return &pl->recs[i];
	return NULL;
}

/* The served library named soname (in the host library directories). */
static const char *source_of_soname(const struct ac_plan *plan, const char *soname)
{
	static const char *const dirs[] = {AC_VREL_USRLIB "/", AC_VREL_LIB "/",
					   AC_VREL_USRLIB32 "/", AC_VREL_LIB32 "/"};

	for (size_t i = 0; i < plan->n; i++)
		for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++)
			if (!plan->e[i].link && !strncmp(plan->e[i].view, dirs[d], strlen(dirs[d])) &&
			    !strcmp(plan->e[i].view + strlen(dirs[d]), soname))
				return plan->e[i].source;
	return NULL;
}

/* Can a process load code through a path that a served file names? When
 * the file or a library it needs (libc and the loader aside, which define
 * dlopen for every process) calls dlopen: libkrb5 names its plugin
 * directory and libkrb5support opens it. Sets loads on every record: its
 * own answer, then what its libraries add, until nothing changes. */
static void closure_loads(struct planner *pl)
{
	int changed = 1;

	for (size_t i = 0; i < pl->nrecs; i++)
		pl->recs[i].loads = pl->recs[i].self;
	while (changed) {
		changed = 0;
		for (size_t i = 0; i < pl->nrecs; i++) {
			struct elfrec *rec = &pl->recs[i];

			for (size_t k = 0; k < rec->nneeded && !rec->loads; k++) {
				const char *src;
				struct elfrec *dep;

				if (!strcmp(rec->needed[k], AC_HOST_LOADER_SONAME) ||
				    !strcmp(rec->needed[k], AC_HOST32_LOADER_SONAME) ||
				    !strcmp(rec->needed[k], "libc.so.6"))
					continue;
				if ((src = source_of_soname(pl->plan, rec->needed[k])) &&
				    (dep = rec_of(pl, src)) && dep->loads)
					rec->loads = changed = 1;
			}
		}
	}
}

static int is_needed(const struct planner *pl, const char *name)
{
	for (size_t i = 0; i < pl->nrecs; i++)
		for (size_t k = 0; k < pl->recs[i].nneeded; k++)
			if (!strcmp(pl->recs[i].needed[k], name))
				return 1;
	return 0;
}

/*
 * The retells of the finished plan (accel/view/retell.h): each program, and
 * each library a served file needs, against its armel build in the root
 * (the program's own path; the library's name in the root's multiarch
 * directory). Another view path of the same file (a tree's libfoo.so.1.2.3
 * beside the soname) is told the same.
 */
static int plan_all_retells(struct planner *pl)
{
	static const struct {
		const char *view, *root;
	} libdirs[] = {
		{AC_VREL_USRLIB "/", "/usr/lib/arm-linux-gnueabi/"},
		{AC_VREL_LIB "/", "/lib/arm-linux-gnueabi/"},
		{AC_VREL_USRLIB32 "/", "/usr/lib/arm-linux-gnueabi/"},
		{AC_VREL_LIB32 "/", "/lib/arm-linux-gnueabi/"},
	};
	struct ac_plan *plan = pl->plan;
	size_t n = plan->n;
	size_t *first = calloc(n + 1, sizeof(*first)), *last = calloc(n + 1, sizeof(*last));
	int r = 0;

	if (!first || !last) {
		free(first);
		free(last);
		return -ENOMEM;
	}
	closure_loads(pl);
	for (size_t i = 0; i < n && !r; i++) {
		const struct ac_plan_entry *e = &plan->e[i];
		char armel[AC_PATH_MAX] = "";
		const char *base = strrchr(e->view, '/');
		struct elfrec *rec;

		first[i] = last[i] = plan->nretells;
		if (e->link || !(rec = rec_of(pl, e->source)))
			continue;
		for (size_t k = 0; k < plan->nprograms && !armel[0]; k++)
			if (!strcmp(plan->programs[k] + 1, e->view))
				snprintf(armel, sizeof(armel), "%s", plan->programs[k]);
		for (size_t d = 0; d < sizeof(libdirs) / sizeof(libdirs[0]) && !armel[0]; d++)
			if (!strncmp(e->view, libdirs[d].view, strlen(libdirs[d].view)) && base &&
			    is_needed(pl, base + 1))
				snprintf(armel, sizeof(armel), "%s%s", libdirs[d].root,
					 e->view + strlen(libdirs[d].view));
		if (armel[0])
			r = plan_retells(pl, e->view, e->source, armel, rec->loads);
		last[i] = plan->nretells;
	}
	/* the same file at its other view paths */
	for (size_t i = 0; i < n && !r; i++) {
		size_t from = n;

		if (first[i] != last[i] || plan->e[i].link || !rec_of(pl, plan->e[i].source))
			continue;
		for (size_t j = 0; j < n && from == n; j++)
			if (first[j] != last[j] && !strcmp(plan->e[j].source, plan->e[i].source))
				from = j;
		for (size_t k = from < n ? first[from] : 0; from < n && k < last[from] && !r; k++)
			r = add_retell(plan, plan->e[i].view, plan->retells[k].from,
				       plan->retells[k].to);
	}
	free(first);
	free(last);
	return r;
}

static void recs_free(struct planner *pl)
{
	for (size_t i = 0; i < pl->nrecs; i++) {
		free(pl->recs[i].source);
		ac_strv_free(pl->recs[i].needed, pl->recs[i].nneeded);
	}
	free(pl->recs);
}

/* ---------------------------------------------------------------- stamps */

static int add_stamp(struct planner *pl, const char *view, const char *path)
{
	struct ac_plan *plan = pl->plan;
	struct ac_plan_stamp *t;
	struct stat st;

	for (size_t i = plan->nstamps; i-- > 0 && !strcmp(plan->stamps[i].view, view);)
		if (!strcmp(plan->stamps[i].path, path))
			return 0;
	/* A file the root lacks (a package without a file list) stamps nothing. */
	if (fstatat(pl->db->rootfd, path + 1, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	if (!(t = realloc(plan->stamps, (plan->nstamps + 1) * sizeof(*t))))
		return -ENOMEM;
	plan->stamps = t;
	t += plan->nstamps;
	t->st.sec = st.st_mtim.tv_sec;
	t->st.nsec = st.st_mtim.tv_nsec;
	t->st.size = (unsigned long long)st.st_size;
	t->view = strdup(view);
	t->path = strdup(path);
	if (!t->view || !t->path) {
		free(t->view);
		free(t->path);
		return -ENOMEM;
	}
	plan->nstamps++;
	return 0;
}

static int stamp_pkg(struct planner *pl, const char *view, const struct ac_pkg *p)
{
	char path[AC_PATH_MAX];

	snprintf(path, sizeof(path), "/var/lib/dpkg/info/%s%s.list", p->name,
		 p->ma_same ? ":armel" : "");
	return add_stamp(pl, view, path);
}

/*
 * What program (served at its canonical path) was planned against: the
 * armel file, the file lists of its package and of the packages of its
 * armel DT_NEEDED closure (the host build of the same versions loads the
 * same libraries), and of the companion packages (loaded without
 * DT_NEEDED). The closure is walked per program: a program is emulated
 * when its own packages change, not when another's do.
 */
static int stamp_program(struct planner *pl, const char *program, int perl)
{
	struct strq queue = {0}, seen = {0};
	const char *view = program + 1;
	char listed[AC_PATH_MAX];
	struct ac_pkg *p = ac_rootdb_owner(pl->db, program, listed, sizeof(listed));
	int r = add_stamp(pl, view, program);

	if (!r && p)
		r = stamp_pkg(pl, view, p);
	/* binutils load the plugins of BFD's directories: a changed plugin
	 * package (gcc-N upgraded, binutils not) is a changed program */
	for (size_t i = 0; p && !strncmp(p->name, "binutils-", 9) && i < pl->nplugin_pkgs && !r; i++)
		if (pl->plugin_pkgs[i] != p)
			r = stamp_pkg(pl, view, pl->plugin_pkgs[i]);
	for (size_t i = 0; i < pl->db->npkgs && !r; i++)
		if (companions_of(&pl->db->pkgs[i], perl))
			r = stamp_pkg(pl, view, &pl->db->pkgs[i]);
	if (!r)
		r = push(&queue, program);
	for (size_t k = 0; k < queue.n && !r; k++) {
		struct ac_elf_info info;
		struct mapped m;

		if (map_at(pl->db->rootfd, queue.v[k], 1, &m))
			continue;
		r = ac_elf_needed(m.p, m.len, &info, NULL);
		unmap(&m);
		if (r) {
			r = 0;
			continue;
		}
		for (size_t i = 0; i < info.nneeded && !r; i++) {
			char path[AC_PATH_MAX];

			if (has(&seen, info.needed[i]))
				continue;
			if ((r = push(&seen, info.needed[i])))
				break;
			if ((p = soname_owner(pl->db, info.needed[i], path, sizeof(path))) &&
			    !(r = stamp_pkg(pl, view, p)))
				r = push(&queue, path);
		}
		ac_elf_info_free(&info);
	}
	strq_free(&queue);
	strq_free(&seen);
	return r;
}

static int plan_stamps(struct planner *pl, struct ac_pkg *const *owners, size_t n)
{
	int perl = perl_enabled(owners, n), r = 0;

	for (size_t i = 0; i < pl->plan->nprograms && !r; i++)
		r = stamp_program(pl, pl->plan->programs[i], perl);
	return r;
}

int ac_plan_build(struct ac_rootdb *db, const struct ac_store *s, char *const *programs,
		  size_t n, struct ac_plan *plan, struct ac_err *err)
{
	struct planner pl = {.db = db, .s = s, .plan = plan, .err = err};
	struct ac_pkg **owners = calloc(n + 1, sizeof(*owners));
	int r = 0;

	memset(plan, 0, sizeof(*plan));
	if (!owners)
		return -ENOMEM;
	if (n && !(r = serve_programs(&pl, programs, n, owners)) &&
	    !(r = add_companions(&pl, owners, n)))
		r = serve_plugins(&pl, programs, owners, n);
	/* The DT_NEEDED closure: each served ELF file in turn. */
	while (!r && pl.queue.n) {
		char *src = pl.queue.v[--pl.queue.n];

		r = read_needed(&pl, src);
		free(src);
	}
	if (!r && pl.missing)
		r = -EAGAIN; /* err names the first */
	if (!r)
		r = plan_all_retells(&pl);
	if (!r)
		r = plan_stamps(&pl, owners, n);
	recs_free(&pl);
	strq_free(&pl.queue);
	strq_free(&pl.sonames);
	free(pl.trees);
	free(owners);
	if (r)
		ac_plan_free(plan);
	return r < 0 ? r : 0;
}

int ac_plan_make(struct ac_rootdb *db, struct ac_store *s, char *const *programs, size_t n,
		 struct ac_plan *plan, struct ac_err *err)
{
	int r = ac_plan_want(db, programs, n, err);

	for (int round = 0; !r && round < AC_PLAN_ROUNDS; round++) {
		if ((r = ac_store_fetch(s, db, err)))
			break;
		r = ac_plan_build(db, s, programs, n, plan, err);
		if (r != -EAGAIN)
			return r;
		r = 0;
	}
	return r ? r : ac_fail(err, -ELOOP, "the plan still lacks packages after %d fetches",
			       AC_PLAN_ROUNDS);
}

void ac_plan_free(struct ac_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++) {
		free(plan->e[i].view);
		free(plan->e[i].source);
	}
	for (size_t i = 0; i < plan->nprograms; i++)
		free(plan->programs[i]);
	for (size_t i = 0; i < plan->nretells; i++) {
		free(plan->retells[i].view);
		free(plan->retells[i].from);
		free(plan->retells[i].to);
	}
	for (size_t i = 0; i < plan->nstamps; i++) {
		free(plan->stamps[i].view);
		free(plan->stamps[i].path);
	}
	free(plan->e);
	free(plan->programs);
	free(plan->retells);
	free(plan->stamps);
	memset(plan, 0, sizeof(*plan));
}
