// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * outhash.c - OEOuthashBasic-compatible output hashes (accel/recorder/outhash.h).
 *
 * Two passes: a sorted walk records every entry (lstat, link target) in the
 * order OE's os.walk loop visits them; a pool of threads then hashes the
 * regular files' contents, and the lines are formatted and hashed in walk
 * order. The content reads dominate on trees of many small files, and
 * several reads in flight keep the disk (or page cache copies) busy while
 * another thread computes a digest.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "accel/base/err.h"
#include "accel/recorder/outhash.h"

/* File contents are read in pieces of this size: large enough that the
 * syscall cost vanishes, small enough for every thread's stack-free buffer. */
#define READ_CHUNK (256 * 1024)
#define MAX_JOBS 64

int ac_buf_add(struct ac_buf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + len + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

void ac_buf_free(struct ac_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

static const char hexdig[] = "0123456789abcdef";

static void to_hex(const unsigned char *d, size_t n, char *hex)
{
	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = hexdig[d[i] >> 4];
		hex[2 * i + 1] = hexdig[d[i] & 15];
	}
	hex[2 * n] = '\0';
}

void ac_sha256_hex(const void *data, size_t len, char hex[AC_OUTHASH_HEX])
{
	unsigned char d[32];
	unsigned int n = 0;

	EVP_Digest(data, len, d, &n, EVP_sha256(), NULL);
	to_hex(d, 32, hex);
}

int ac_is_hash64(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == 64;
}

int ac_outhash_task_owners(const char *task, int owners)
{
	task = task ? task : "";
	if (strstr(task, "package_write_") || !strcmp(task, "package_qa"))
		return 0;
	return owners;
}

int ac_outhash_task_timestamps(const char *task)
{
	return task && !strcmp(task, "package");
}

/* ------------------------------------------------------------ one line */

struct out {
	char *p;
	size_t size, len;
	int over;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->len + n >= o->size) {
		o->over = 1;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void putf(struct out *o, const char *fmt, ...)
{
	char tmp[AC_OUTHASH_NAME_MAX + 32];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		o->over = 1;
		return;
	}
	put(o, tmp, (size_t)n);
}

static char type_char(mode_t m)
{
	if (S_ISDIR(m))
		return 'd';
	if (S_ISCHR(m))
		return 'c';
	if (S_ISBLK(m))
		return 'b';
	if (S_ISSOCK(m))
		return 's';
	if (S_ISLNK(m))
		return 'l';
	if (S_ISFIFO(m))
		return 'p';
	return '-';
}

long ac_outhash_line(const struct ac_outhash_entry *e, const struct ac_outhash_opts *o,
		     const char *owner, const char *group, char *buf, size_t size)
{
	const struct stat *s = &e->st;
	mode_t m = s->st_mode;
	struct out out = {buf, size, 0, 0};
	char perm[11];
	int n = 0;

	if (!size)
		return -ENAMETOOLONG;
	buf[0] = '\0';
	perm[n++] = type_char(m);
	perm[n++] = m & S_IRUSR ? 'r' : '-';
	perm[n++] = m & S_IWUSR ? 'w' : '-';
	if (m & S_ISUID)
		perm[n++] = m & S_IXUSR ? 's' : 'S';
	else
		perm[n++] = m & S_IXUSR ? 'x' : '-';
	if (ac_outhash_task_owners(o->task, o->owners)) {
		/* Group and other bits only count where owners do (pseudo). */
		perm[n++] = m & S_IRGRP ? 'r' : '-';
		perm[n++] = m & S_IWGRP ? 'w' : '-';
		if (m & S_ISGID)
			perm[n++] = m & S_IXGRP ? 's' : 'S';
		else
			perm[n++] = m & S_IXGRP ? 'x' : '-';
		perm[n++] = m & S_IROTH ? 'r' : '-';
		perm[n++] = m & S_IWOTH ? 'w' : '-';
		/* OE prints 't' for the sticky bit whatever the x bit is. */
		if (m & S_ISVTX)
			perm[n++] = 't';
		else
			perm[n++] = m & S_IXOTH ? 'x' : '-';
	}
	put(&out, perm, (size_t)n);
	if (ac_outhash_task_owners(o->task, o->owners)) {
		putf(&out, " %10s", owner);
		putf(&out, " %10s", group);
	}
	if (ac_outhash_task_timestamps(o->task)) {
		/* Python's "%d" % st_mtime truncates the float toward zero. */
		long long t = (long long)s->st_mtim.tv_sec;

		if (t < 0 && s->st_mtim.tv_nsec)
			t++;
		if ((double)s->st_mtim.tv_sec + s->st_mtim.tv_nsec / 1e9 >
		    (double)o->source_date_epoch)
			t = o->source_date_epoch;
		putf(&out, " %10lld", t);
	}
	puts_(&out, " ");
	if (S_ISBLK(m) || S_ISCHR(m)) {
		char dev[32];

		snprintf(dev, sizeof(dev), "%u.%u", major(s->st_rdev), minor(s->st_rdev));
		putf(&out, "%9s", dev);
	} else {
		puts_(&out, "         ");
	}
	puts_(&out, " ");
	if (S_ISREG(m))
		putf(&out, "%10lld", (long long)s->st_size);
	else
		puts_(&out, "          ");
	puts_(&out, " ");
	if (S_ISREG(m)) {
		char hex[AC_OUTHASH_HEX];

		to_hex(e->digest, 32, hex);
		put(&out, hex, 64);
	} else {
		puts_(&out, "                                                                ");
	}
	puts_(&out, " ");
	puts_(&out, e->path);
	if (S_ISLNK(m) && e->link) {
		puts_(&out, " -> ");
		puts_(&out, e->link);
	}
	puts_(&out, "\n");
	return out.over ? -ENAMETOOLONG : (long)out.len;
}

int ac_outhash_header(const struct ac_outhash_opts *o, struct ac_buf *out)
{
	struct ac_buf *b = out;
	int r = 0;

#define ADD(s) (r = r ? r : ac_buf_add(b, (s), strlen(s)))
	ADD("OEOuthashBasic\n");
	if (o->hash_version && *o->hash_version) {
		ADD(o->hash_version);
		ADD("\n");
	}
	if (o->extra && *o->extra) {
		ADD(o->extra);
		ADD("\n");
	}
	ADD("SSTATE_PKGSPEC=");
	ADD(o->pkgspec ? o->pkgspec : "");
	ADD("\n");
	ADD("task=");
	ADD(o->task ? o->task : "");
	ADD("\n");
#undef ADD
	return r;
}

/* ------------------------------------------------------------ names */

struct name {
	unsigned int id;
	char *name;
};

struct names {
	const char *root;
	struct name *v;
	size_t n;
};

/* The first "name:x:ID:" line of root/etc/FILE with field 3 == id. */
static int name_from_file(const char *root, const char *file, unsigned int id, char *out,
			  size_t size)
{
	char path[PATH_MAX], line[1024];
	FILE *f;
	int found = 0;

	if (snprintf(path, sizeof(path), "%s/etc/%s", root, file) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f)) {
		char *name = line, *c1 = strchr(line, ':'), *c2, *end;
		unsigned long v;

		if (!c1 || !(c2 = strchr(c1 + 1, ':')))
			continue;
		*c1 = '\0';
		errno = 0;
		v = strtoul(c2 + 1, &end, 10);
		if (errno || *end != ':' || v != id)
			continue;
		if (strlen(name) >= size)
			continue;
		strcpy(out, name);
		found = 1;
	}
	fclose(f);
	return found ? 0 : -ENOENT;
}

static int lookup_name(struct names *ns, int group, unsigned int id, const char **out)
{
	char buf[AC_OUTHASH_NAME_MAX];
	struct name *v;
	int r;

	for (size_t i = 0; i < ns->n; i++)
		if (ns->v[i].id == id) {
			*out = ns->v[i].name;
			return 0;
		}
	if (ns->root) {
		r = name_from_file(ns->root, group ? "group" : "passwd", id, buf, sizeof(buf));
		if (r < 0)
			return r;
	} else if (group) {
		struct group *g = getgrgid(id);

		if (!g || strlen(g->gr_name) >= sizeof(buf))
			return -ENOENT;
		strcpy(buf, g->gr_name);
	} else {
		struct passwd *p = getpwuid(id);

		if (!p || strlen(p->pw_name) >= sizeof(buf))
			return -ENOENT;
		strcpy(buf, p->pw_name);
	}
	v = realloc(ns->v, (ns->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	ns->v = v;
	v[ns->n].id = id;
	v[ns->n].name = strdup(buf);
	if (!v[ns->n].name)
		return -ENOMEM;
	*out = v[ns->n++].name;
	return 0;
}

static void names_free(struct names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->v[i].name);
	free(ns->v);
}

/* ------------------------------------------------------------ walk */

struct item {
	struct ac_outhash_entry e;
	char *path;
	char *link;
	int err; /* -errno of the content read */
};

struct walk {
	int topfd;
	struct item *v;
	size_t n, cap;
	struct ac_err *err;     /* never NULL: ac_outhash_tree gives one */
	int depth;              /* directories open in walk_dir (WALK_MAX_DEPTH) */
	int include_root;
};

static int add_item(struct walk *w, int dfd, const char *name, const char *path,
		    const struct stat *st)
{
	struct item *it;

	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 256;
		struct item *v = realloc(w->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		w->v = v;
		w->cap = cap;
	}
	it = &w->v[w->n];
	memset(it, 0, sizeof(*it));
	it->e.st = *st;
	it->path = strdup(path);
	if (!it->path)
		return -ENOMEM;
	if (S_ISLNK(st->st_mode)) {
		char target[PATH_MAX + 1];
		ssize_t len = readlinkat(dfd, name, target, sizeof(target));

		if (len < 0 || len > PATH_MAX) {
			int r = len < 0 ? -errno : -ENAMETOOLONG;

			free(it->path);
			return ac_fail_errno(w->err, r, "%s: cannot read the link", path);
		}
		target[len] = '\0';
		it->link = strdup(target);
		if (!it->link) {
			free(it->path);
			return -ENOMEM;
		}
	}
	it->e.path = it->path;
	it->e.link = it->link;
	w->n++;
	return 0;
}

struct dent {
	char *name;
	int is_dir;  /* os.walk's entry.is_dir(): follows symlinks */
	int is_link;
	struct stat st;
};

static int cmp_dent(const void *a, const void *b)
{
	return strcmp(((const struct dent *)a)->name, ((const struct dent *)b)->name);
}

static void dents_free(struct dent *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(d[i].name);
	free(d);
}

static int join(char *out, size_t size, const char *dir, const char *name)
{
	if (snprintf(out, size, "%s/%s", dir, name) >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

/* Directory levels walked at most: each level holds a PATH_MAX buffer and
 * an fd, so 512 levels stay within 2.5 MiB of stack whatever RLIMIT_NOFILE
 * allows (a path of PATH_MAX could otherwise nest 2048 deep). */
#define WALK_MAX_DEPTH 512

/* One directory of the walk; dfd is open on it, path is "." or "./a/b". */
static int walk_dir(struct walk *w, int dfd, const char *path, const struct stat *self)
{
	struct dent *d = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	char sub[PATH_MAX];
	DIR *dir;
	int fd, r = 0;

	if (w->include_root || strcmp(path, ".")) {
		r = add_item(w, dfd, ".", path, self);
		if (r < 0)
			return r;
	}
	fd = dup(dfd);
	if (fd < 0 || !(dir = fdopendir(fd))) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		ac_fail_errno(w->err, r, "%s: cannot list", path);
		return r;
	}
	while ((errno = 0, de = readdir(dir))) {
		struct stat tst;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			struct dent *nd = realloc(d, (cap = cap ? cap * 2 : 32) * sizeof(*d));

			if (!nd) {
				r = -ENOMEM;
				goto out;
			}
			d = nd;
		}
		memset(&d[n], 0, sizeof(d[n]));
		d[n].name = strdup(de->d_name);
		if (!d[n].name) {
			r = -ENOMEM;
			goto out;
		}
		n++;
		if (fstatat(dfd, de->d_name, &d[n - 1].st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = -errno;
			ac_fail_errno(w->err, r, "%s/%s", path, de->d_name);
			goto out;
		}
		d[n - 1].is_link = S_ISLNK(d[n - 1].st.st_mode);
		d[n - 1].is_dir = S_ISDIR(d[n - 1].st.st_mode) ||
				  (d[n - 1].is_link && !fstatat(dfd, de->d_name, &tst, 0) &&
				   S_ISDIR(tst.st_mode));
	}
	if (errno) {
		r = -errno;
		ac_fail_errno(w->err, r, "%s: cannot list", path);
		goto out;
	}
	if (n)
		qsort(d, n, sizeof(*d), cmp_dent);
	/* Files and other non-directories (broken links too), then links to
	 * directories, then the real subdirectories: os.walk's order. */
	for (size_t i = 0; i < n && !r; i++) {
		if (d[i].is_dir || !strcmp(d[i].name, "fixmepath"))
			continue;
		r = join(sub, sizeof(sub), path, d[i].name);
		if (!r)
			r = add_item(w, dfd, d[i].name, sub, &d[i].st);
	}
	for (size_t i = 0; i < n && !r; i++) {
		if (!d[i].is_dir || !d[i].is_link)
			continue;
		r = join(sub, sizeof(sub), path, d[i].name);
		if (!r)
			r = add_item(w, dfd, d[i].name, sub, &d[i].st);
	}
	for (size_t i = 0; i < n && !r; i++) {
		int cfd;

		if (!d[i].is_dir || d[i].is_link)
			continue;
		r = join(sub, sizeof(sub), path, d[i].name);
		if (r)
			break;
		cfd = openat(dfd, d[i].name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cfd < 0) {
			r = -errno;
			ac_fail_errno(w->err, r, "%s: cannot open", sub);
			break;
		}
		if (w->depth >= WALK_MAX_DEPTH) {
			/* The reason first: the path may fill the message. */
			r = ac_fail(w->err, -ELOOP, "more than %d directory levels: %s",
				    WALK_MAX_DEPTH, sub);
			close(cfd);
			break;
		}
		w->depth++;
		r = walk_dir(w, cfd, sub, &d[i].st);
		w->depth--;
		close(cfd);
	}
	if (r == -ENAMETOOLONG && !w->err->msg[0])
		ac_fail(w->err, r, "%s: a path below is too long", path);
out:
	closedir(dir);
	dents_free(d, n);
	return r;
}

/* ------------------------------------------------------------ contents */

struct pool {
	struct walk *w;
	EVP_MD *md;
	size_t next; /* next item to claim (atomic) */
};

/* Stream fd through sha256 into digest; buf holds READ_CHUNK bytes. */
static int hash_fd(int fd, const EVP_MD *md, EVP_MD_CTX *ctx, unsigned char *buf,
		   unsigned char digest[32])
{
	ssize_t len;

	if (!EVP_DigestInit_ex2(ctx, md, NULL))
		return -ENOMEM;
	while ((len = read(fd, buf, READ_CHUNK)) != 0) {
		if (len < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		EVP_DigestUpdate(ctx, buf, (size_t)len);
	}
	EVP_DigestFinal_ex(ctx, digest, NULL);
	return 0;
}

static int hash_file(int topfd, struct item *it, const EVP_MD *md, EVP_MD_CTX *ctx,
		     unsigned char *buf)
{
	const char *rel = it->path[1] == '/' ? it->path + 2 : it->path;
	struct stat st;
	int fd, r;

	fd = openat(topfd, rel, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode))
		r = -ESTALE; /* replaced since the walk */
	else
		r = hash_fd(fd, md, ctx, buf, it->e.digest);
	close(fd);
	return r;
}

int ac_sha256_file(const char *path, char hex[AC_OUTHASH_HEX])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *buf = malloc(READ_CHUNK), d[32];
	int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC), r;

	if (fd < 0)
		r = -errno;
	else if (!ctx || !buf)
		r = -ENOMEM;
	else
		r = hash_fd(fd, EVP_sha256(), ctx, buf, d);
	if (!r)
		to_hex(d, 32, hex);
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(ctx);
	free(buf);
	return r;
}

static void *hash_worker(void *arg)
{
	struct pool *p = arg;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *buf = malloc(READ_CHUNK);

	for (;;) {
		size_t i = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED);
		struct item *it;

		if (i >= p->w->n)
			break;
		it = &p->w->v[i];
		if (!S_ISREG(it->e.st.st_mode))
			continue;
		it->err = ctx && buf ? hash_file(p->w->topfd, it, p->md, ctx, buf) : -ENOMEM;
	}
	EVP_MD_CTX_free(ctx);
	free(buf);
	return NULL;
}

static int hash_contents(struct walk *w, int jobs)
{
	struct pool p = {w, NULL, 0};
	pthread_t th[MAX_JOBS];
	size_t files = 0;
	int started = 0;

	p.md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (!p.md)
		return -ENOSYS;
	for (size_t i = 0; i < w->n; i++)
		files += S_ISREG(w->v[i].e.st.st_mode);
	if (jobs <= 0) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);

		jobs = c > 0 ? (int)c : 1;
	}
	if (jobs > MAX_JOBS)
		jobs = MAX_JOBS;
	if ((size_t)jobs > files)
		jobs = files ? (int)files : 1;
	/* The calling thread is one of the workers. */
	for (int i = 1; i < jobs; i++)
		if (!pthread_create(&th[started], NULL, hash_worker, &p))
			started++;
	hash_worker(&p);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	EVP_MD_free(p.md);
	return 0;
}

/* ------------------------------------------------------------ tree */

int ac_outhash_tree(const char *dir, const struct ac_outhash_opts *o, char hex[AC_OUTHASH_HEX],
		    struct ac_buf *lines, struct ac_err *err)
{
	struct ac_err local; /* when the caller passed none: the checks below read it */
	struct walk w = {.topfd = -1};
	struct names users = {o->names_root, NULL, 0}, groups = {o->names_root, NULL, 0};
	struct ac_buf head = {0};
	EVP_MD_CTX *ctx = NULL;
	unsigned char d[32];
	struct stat st;
	char line[PATH_MAX * 2 + 2 * AC_OUTHASH_NAME_MAX + 256];
	int owners = ac_outhash_task_owners(o->task, o->owners);
	int r;

	if (!err)
		err = &local;
	w.err = err;
	ac_err_clear(err);
	if (ac_outhash_task_timestamps(o->task) && !o->have_source_date_epoch) {
		return ac_fail(err, -EINVAL, "task \"package\" hashes timestamps: give "
					     "SOURCE_DATE_EPOCH to clamp them to");
	}
	w.include_root = !ac_outhash_task_timestamps(o->task);
	w.topfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w.topfd < 0 || fstat(w.topfd, &st) < 0) {
		r = ac_fail_errno(err, -errno, "%s", dir);
		goto out;
	}
	r = walk_dir(&w, w.topfd, ".", &st);
	if (r < 0)
		goto out;
	r = hash_contents(&w, o->jobs);
	if (r < 0) {
		ac_fail(err, r, "no sha256 in libcrypto");
		goto out;
	}
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex2(ctx, EVP_sha256(), NULL)) {
		r = -ENOMEM;
		goto out;
	}
	r = ac_outhash_header(o, &head);
	if (r < 0)
		goto out;
	EVP_DigestUpdate(ctx, head.p, head.len);
	if (lines && (r = ac_buf_add(lines, head.p, head.len)) < 0)
		goto out;
	for (size_t i = 0; i < w.n; i++) {
		struct item *it = &w.v[i];
		const char *user = NULL, *group = NULL;
		long len;

		if (it->err) {
			r = it->err;
			ac_fail(err, r, "%s: cannot read: %s", it->path,
				r == -ESTALE ? "changed while hashed" : strerror(-r));
			goto out;
		}
		if (owners) {
			r = lookup_name(&users, 0, it->e.st.st_uid, &user);
			if (!r)
				r = lookup_name(&groups, 1, it->e.st.st_gid, &group);
			if (r == -ENOMEM)
				goto out;
			if (r < 0) {
				r = ac_fail(err, -ENOENT,
					    "%s: owned by uid %u, gid %u, which have no names in %s%s",
					    it->path, (unsigned)it->e.st.st_uid,
					    (unsigned)it->e.st.st_gid,
					    o->names_root ? o->names_root : "the host's user database",
					    o->names_root ? "/etc/passwd and /etc/group" : "");
				goto out;
			}
		}
		len = ac_outhash_line(&it->e, o, user, group, line, sizeof(line));
		if (len < 0) {
			r = (int)len;
			ac_fail(err, r, "%s: line too long", it->path);
			goto out;
		}
		EVP_DigestUpdate(ctx, line, (size_t)len);
		if (lines && (r = ac_buf_add(lines, line, (size_t)len)) < 0)
			goto out;
	}
	EVP_DigestFinal_ex(ctx, d, NULL);
	to_hex(d, 32, hex);
	r = 0;
out:
	if (r == -ENOMEM && !err->msg[0])
		ac_fail(err, r, "out of memory");
	EVP_MD_CTX_free(ctx);
	ac_buf_free(&head);
	names_free(&users);
	names_free(&groups);
	for (size_t i = 0; i < w.n; i++) {
		free(w.v[i].path);
		free(w.v[i].link);
	}
	free(w.v);
	if (w.topfd >= 0)
		close(w.topfd);
	return r;
}
