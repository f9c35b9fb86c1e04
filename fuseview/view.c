// SPDX-License-Identifier: GPL-2.0-or-later
/* The view's nodes and snapshots; see fuseview/view.h. */
#include "config.h"

#include "view.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "accel/base/util.h"
#include "accel/exec/layout.h"
#include "accel/root/armel.h"
#include "accel/view/manifest.h"

/* The largest file the view serves (a host libLLVM is ~100 MiB). */
#define VIEW_MAX_FILE (1ull << 30)
#define VIEW_MAX_MANIFEST (16u << 20)

static void logf_(struct view *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct view *v, const char *fmt, ...)
{
	va_list ap;

	if (!v->log)
		return;
	va_start(ap, fmt);
	vfprintf(v->log, fmt, ap);
	va_end(ap);
	fputc('\n', v->log);
	fflush(v->log);
}

/* ------------------------------------------------------------------ nodes */

struct node *view_node(struct view *v, uint64_t ino)
{
	struct node *n;

	if (!v->ino_bucket)
		return NULL;
	n = __atomic_load_n(&v->ino_bucket[ino % VIEW_INO_BUCKETS], __ATOMIC_ACQUIRE);
	while (n && n->ino != ino)
		n = n->ino_next;
	return n;
}

struct node *view_node_at(struct view *v, uint64_t i)
{
	if (i >= __atomic_load_n(&v->nnodes, __ATOMIC_ACQUIRE))
		return NULL;
	return v->chunks[i / 1024][i % 1024];
}

/* What a node is, hashed: the same in every server given the same store
 * file. A file's store identity is part of it, so a file fetched again is
 * a new number (its old pages are never served for it). */
static uint64_t node_key(const struct node *n)
{
	static const unsigned char sep = 0xff; /* in no path */
	uint64_t f[7] = {(uint64_t)n->kind, (uint64_t)n->data, n->dev, n->inode, n->mtime_ns,
			 (uint64_t)n->mtime, n->nretell};
	uint64_t h = ac_fnv1a64_add(AC_FNV1A64_INIT, n->path, strlen(n->path));

	h = ac_fnv1a64_add(h, &sep, 1);
	if (n->source)
		h = ac_fnv1a64_add(h, n->source, strlen(n->source));
	h = ac_fnv1a64_add(h, &sep, 1);
	if (n->kind == NODE_FILE && !n->data)
		f[6] ^= n->size << 8;
	return ac_fnv1a64_add(h, f, sizeof(f));
}

/* Give n its inode number and make it findable by it. The root is 1
 * (FUSE_ROOT_ID); another node's number is its key in 2 .. 2^63-1, or
 * the next free one after it (a collision: never seen in practice, and
 * then still the same in a server that makes the nodes in the same
 * order). */
static void node_publish(struct view *v, struct node *n)
{
	uint64_t ino = 1, b;

	if (n->kind != NODE_DIR || *n->path) {
		ino = node_key(n) & INT64_MAX;
		while (ino < 2 || view_node(v, ino))
			ino = ino < 2 || ino == INT64_MAX ? 2 : ino + 1;
	}
	n->ino = ino;
	b = ino % VIEW_INO_BUCKETS;
	n->ino_next = v->ino_bucket[b];
	__atomic_store_n(&v->ino_bucket[b], n, __ATOMIC_RELEASE);
}

/* A node, unpublished (no inode number yet: node_publish). */
static struct node *node_new(struct view *v, enum node_kind kind, const char *path,
			     const char *source)
{
	uint64_t i = v->nnodes;
	struct node *n;
	const char *slash;

	if (i >= VIEW_MAX_NODES)
		return NULL;
	if (!v->chunks[i / 1024] && !(v->chunks[i / 1024] = calloc(1024, sizeof(struct node *))))
		return NULL;
	n = calloc(1, sizeof(*n));
	if (!n || !(n->path = strdup(path)) || (source && !(n->source = strdup(source)))) {
		if (n)
			free(n->path);
		free(n);
		return NULL;
	}
	n->kind = kind;
	n->fd = -1;
	slash = strrchr(n->path, '/');
	n->name = slash ? slash + 1 : n->path;
	n->mode = 0555;
	v->chunks[i / 1024][i % 1024] = n;
	/* Publish after the node is complete: the control thread's stats
	 * read nnodes without the lock. */
	__atomic_store_n(&v->nnodes, i + 1, __ATOMIC_RELEASE);
	return n;
}

/* Nodes are found again by (path, source): the same store file at the same
 * path keeps its inode number across reloads. A linear table would do for a
 * few hundred files; a hash keeps reloads of big closures fast. */
struct node_index {
	size_t cap, used;
	struct node **slot;
};
static struct node_index g_index; /* the control thread's only; one view per process */

static uint64_t hash_key(const char *path, const char *source)
{
	static const unsigned char sep = 0xff; /* in no path */
	uint64_t h = ac_fnv1a64_add(AC_FNV1A64_INIT, path, strlen(path));

	h = ac_fnv1a64_add(h, &sep, 1);
	return source ? ac_fnv1a64_add(h, source, strlen(source)) : h;
}

static int same_key(const struct node *n, const char *path, const char *source)
{
	if (strcmp(n->path, path))
		return 0;
	if (!source || !n->source)
		return !source && !n->source;
	return !strcmp(n->source, source);
}

static struct node *index_find(const char *path, const char *source)
{
	if (!g_index.cap)
		return NULL;
	for (size_t i = hash_key(path, source) & (g_index.cap - 1);; i = (i + 1) & (g_index.cap - 1)) {
		struct node *n = g_index.slot[i];

		if (!n)
			return NULL;
		if (same_key(n, path, source))
			return n;
	}
}

static int index_add(struct node *n)
{
	if ((g_index.used + 1) * 2 > g_index.cap) {
		size_t cap = g_index.cap ? g_index.cap * 2 : 1024;
		struct node **slot = calloc(cap, sizeof(*slot));

		if (!slot)
			return -ENOMEM;
		for (size_t i = 0; i < g_index.cap; i++) {
			struct node *m = g_index.slot[i];

			if (!m)
				continue;
			for (size_t j = hash_key(m->path, m->source) & (cap - 1);; j = (j + 1) & (cap - 1))
				if (!slot[j]) {
					slot[j] = m;
					break;
				}
		}
		free(g_index.slot);
		g_index.slot = slot;
		g_index.cap = cap;
	}
	for (size_t i = hash_key(n->path, n->source) & (g_index.cap - 1);; i = (i + 1) & (g_index.cap - 1))
		if (!g_index.slot[i]) {
			g_index.slot[i] = n;
			g_index.used++;
			return 0;
		}
}

static void index_replace(const struct node *old, struct node *n)
{
	for (size_t i = 0; i < g_index.cap; i++)
		if (g_index.slot[i] == old) {
			g_index.slot[i] = n;
			return;
		}
}

static int open_source(struct view *v, const char *source);

/* Is the store file still the one node n was made from? A package fetched
 * again, or a file changed in place, gets a new node (a new inode number
 * for the kernel); the old one keeps serving execs already under way. */
static int same_file(struct view *v, const struct node *n)
{
	struct stat st;
	int fd, same;

	if (n->kind == NODE_LINK || n->data)
		return 1; /* the target, the content, is part of the node's key */
	if (n->why)
		return 0; /* refused: look again, it may have been repaired */
	fd = open_source(v, n->source);
	if (fd < 0)
		return 0;
	same = fstat(fd, &st) == 0 && st.st_dev == n->dev && st.st_ino == n->inode &&
	       (uint64_t)st.st_size == n->size && st.st_mtime == n->mtime &&
	       (uint64_t)st.st_mtim.tv_nsec == n->mtime_ns;
	close(fd);
	return same;
}

static int open_source(struct view *v, const char *source)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW,
		/* Nothing outside the store, and no link at all: accelctl
		 * resolved links inside their package when it wrote the
		 * manifest. */
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	if (source[0] == '/')
		fd = open(source, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	else
		fd = syscall(SYS_openat2, v->storefd, source, &how, sizeof(how));
	return fd < 0 ? -errno : (int)fd;
}

/*
 * The layout of the toolchain a store file belongs to: a toolchain imported
 * from Debian's cross packages (accel-build-toolchain --debian-cross) says
 * so in toolchains/NAME/.layout ("debian-cross TRIPLET MAJOR"), and its
 * files get the cross layout's patches (ac_cross_plan). 1 and triplet and
 * major filled, 0 for any other file, -errno when .layout is unreadable or
 * malformed.
 */
#define LAYOUT_FILE ".layout"
static int cross_layout(struct view *v, const char *source, char *triplet, char *major)
{
	static const char dir[] = "toolchains/";
	char path[512], text[256], kind[64], extra[2];
	const char *slash;
	ssize_t got;
	int fd;

	if (strncmp(source, dir, sizeof(dir) - 1) ||
	    !(slash = strchr(source + sizeof(dir) - 1, '/')))
		return 0;
	if ((size_t)snprintf(path, sizeof(path), "%.*s/" LAYOUT_FILE, (int)(slash - source),
			     source) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open_source(v, path);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	got = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (got < 0)
		return -errno;
	text[got] = '\0';
	if (sscanf(text, "%63s %63s %63s %1s", kind, triplet, major, extra) != 3 ||
	    strcmp(kind, AC_CROSS_LAYOUT))
		return -EINVAL;
	return 1;
}

/* Open, check and plan one served file; err says what was refused. */
static int file_prepare(struct view *v, struct node *n, const struct manifest_entry *me,
			struct ac_err *err)
{
	int program = me->program;

	n->nretell = me->nretell;
	unsigned char magic[4];
	struct stat st;
	struct ac_elf_info info;
	void *map;
	int fd, r, elf;

	fd = open_source(v, n->source);
	if (fd < 0)
		return ac_fail_errno(err, fd, "cannot open %s in the store", n->source);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = ac_fail(err, -EINVAL, "%s is not a regular file", n->source);
		goto fail;
	}
	if ((uint64_t)st.st_size > VIEW_MAX_FILE) {
		r = ac_fail(err, -EFBIG, "%s is larger than 1 GiB", n->source);
		goto fail;
	}
	n->size = (uint64_t)st.st_size;
	n->mtime = st.st_mtime;
	n->dev = st.st_dev;
	n->inode = st.st_ino;
	n->mtime_ns = (uint64_t)st.st_mtim.tv_nsec;
	/* Never setuid, setgid or writable: programs 0555, data 0444. */
	n->mode = (st.st_mode & 0111) ? 0555 : 0444;
	elf = pread(fd, magic, sizeof(magic), 0) == (ssize_t)sizeof(magic) &&
	      !memcmp(magic, "\177ELF", 4);
	if (!elf) {
		const char *base = strrchr(n->source, '/');

		base = base ? base + 1 : n->source;
		if (strcmp(base, AC_DATA_PATCHED) || !n->size) {
			n->fd = fd; /* data (perl modules, gconv tables): as is */
			return 0;
		}
	} else if (n->source[0] == '/') {
		/* accel's own qemu: a static host program, served unchanged. */
		unsigned char hdr[64];

		if (pread(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr) ||
		    ac_elf_classify(hdr, sizeof(hdr)) != AC_ELF_X86_64) {
			r = ac_fail(err, -ENOEXEC, "%s is not an x86_64 program", n->source);
			goto fail;
		}
		n->fd = fd;
		return 0;
	}
	/* The patch plan of an ELF file, or of a data file naming host paths
	 * (AC_DATA_PATCHED). A private writable mapping: libelf may touch its
	 * image, the file never changes. */
	map = mmap(NULL, n->size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		r = ac_fail_errno(err, -errno, "cannot map %s", n->source);
		goto fail;
	}
	ac_err_clear(err);
	r = elf ? ac_elf_inspect(map, n->size, &info, err) : ac_data_inspect(map, n->size, &info);
	if (!r && elf) {
		char triplet[64], major[64];
		int c = cross_layout(v, n->source, triplet, major);

		if (c > 0)
			c = ac_cross_plan(map, n->size, triplet, major, &info);
		if (c < 0) {
			ac_elf_info_free(&info);
			r = ac_fail_errno(err, c, "%s: the cross layout of its toolchain", n->source);
		}
	}
	/* A program that reads /proc/self/exe gets a self link of its own
	 * (added to the snapshot by build()). */
	if (!r && elf && program &&
	    memmem(map, n->size, AC_PROC_SELF_EXE, sizeof(AC_PROC_SELF_EXE))) {
		char name[sizeof(n->self)], link[sizeof(AC_VIEW_DIR) + sizeof(name)];
		/* Its id is its own (node_key), like its inode number: the
		 * same in a server that follows a dead one. */
		unsigned id = (unsigned)(node_key(n) % AC_SELF_IDS), tried = 0;
		int s;

		while (tried < AC_SELF_IDS && (v->self_used[id / 8] & (1u << (id % 8)))) {
			id = (id + 1) % AC_SELF_IDS;
			tried++;
		}
		if (tried == AC_SELF_IDS)
			goto no_self;
		ac_self_name(id, name);
		snprintf(link, sizeof(link), "%s/%s", AC_VIEW_DIR, name);
		s = ac_self_plan(map, n->size, link, &info);
		if (s < 0) {
			ac_elf_info_free(&info);
			r = ac_fail_errno(err, s, "%s: its /proc/self/exe strings", n->source);
		} else if (s > 0) {
			memcpy(n->self, name, sizeof(name));
			v->self_used[id / 8] |= (unsigned char)(1u << (id % 8));
		}
	}
no_self:
	/* Its compiled-in strings, the root's way; one that cannot be
	 * changed safely stays the host's (logged). */
	if (!r && elf && me->nretell) {
		char (*why)[128] = calloc(me->nretell, sizeof(*why));
		int t = why ? ac_retell_plan(map, n->size, me->retell, me->nretell, &info, why)
			    : -ENOMEM;

		if (t < 0) {
			ac_elf_info_free(&info);
			r = ac_fail_errno(err, t, "%s: its compiled-in strings", n->source);
		}
		for (size_t k = 0; t >= 0 && k < me->nretell; k++)
			if (why[k][0])
				logf_(v, "%s keeps a host string: %s", n->path, why[k]);
		free(why);
	}
	munmap(map, n->size);
	if (r) {
		if (r != -ENOEXEC && !err->msg[0])
			ac_fail_errno(err, r, "%s", n->source);
		goto fail;
	}
	n->npatches = info.npatches;
	n->patches = info.patches;
	info.patches = NULL;
	info.npatches = 0;
	ac_elf_info_free(&info);
	n->fd = fd;
	return 0;
fail:
	close(fd);
	return r;
}

ssize_t view_read(struct node *n, void *buf, size_t size, uint64_t off)
{
	ssize_t got;

	if (n->kind != NODE_FILE)
		return -EISDIR;
	if (off >= n->size)
		return 0;
	if (size > n->size - off)
		size = (size_t)(n->size - off);
	if (n->data) {
		memcpy(buf, n->source + off, size);
		return (ssize_t)size;
	}
	got = pread(n->fd, buf, size, (off_t)off);
	if (got < 0)
		return -errno;
	ac_patch_apply(n->patches, n->npatches, off, buf, (size_t)got);
	return got;
}

/* --------------------------------------------------------------- manifest */

static void entries_free(struct manifest_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].view);
		free(e[i].source);
		free(e[i].retell);
	}
	free(e);
}

/* A deep copy of entry o into *e (which it overwrites); -ENOMEM. */
static int entry_copy(struct manifest_entry *e, const struct manifest_entry *o)
{
	*e = *o;
	e->view = strdup(o->view);
	e->source = strdup(o->source);
	e->retell = NULL;
	if (o->nretell && (e->retell = malloc(o->nretell * sizeof(*e->retell))))
		memcpy(e->retell, o->retell, o->nretell * sizeof(*e->retell));
	if (!e->view || !e->source || (o->nretell && !e->retell)) {
		free(e->view);
		free(e->source);
		free(e->retell);
		e->view = e->source = NULL;
		e->retell = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct manifest_entry *)a)->view,
		      ((const struct manifest_entry *)b)->view);
}

/* Read the manifest (accel/view/manifest.h) into a sorted entry list, qemu
 * as the entry AC_VREL_QEMU; store (size ssize) receives its store. */
/* A view path (relative) against a "# program" path (absolute). */
static int cmp_program(const void *key, const void *elem)
{
	return strcmp((const char *)key, *(char *const *)elem + 1);
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int manifest_load(const char *path, char *store, size_t ssize,
			 struct manifest_entry **out, size_t *nout, struct ac_err *err)
{
	struct ac_manifest m;
	struct manifest_entry *e;
	size_t n = 0;
	int r;

	*out = NULL;
	*nout = 0;
	if ((r = ac_manifest_read(AT_FDCWD, path, &m, err)))
		return r;
	if ((size_t)snprintf(store, ssize, "%s", m.store) >= ssize) {
		ac_manifest_free(&m);
		return ac_fail(err, -ENAMETOOLONG, "manifest %s: store path too long", path);
	}
	e = calloc(m.nfiles + m.nstamps + 4, sizeof(*e));
	if (!e) {
		ac_manifest_free(&m);
		return -ENOMEM;
	}
	if (m.qemu) {
		e[n].view = strdup(AC_VREL_QEMU_MADE);
		e[n].source = strdup(m.qemu);
		if (!e[n].view || !e[n].source)
			r = -ENOMEM;
		n++;
		e[n].view = strdup(AC_VREL_QEMU);
		e[n].source = m.qemu;
		m.qemu = NULL;
		if (!e[n++].view)
			r = -ENOMEM;
	}
	if (m.machine && !r) {
		e[n].view = strdup(AC_VREL_MACHINE);
		e[n].source = m.machine;
		m.machine = NULL;
		if (!e[n++].view)
			r = -ENOMEM;
	}
	if (m.nprograms)
		qsort(m.programs, m.nprograms, sizeof(*m.programs), cmp_strp);
	/* Take the strings over from m. */
	for (size_t i = 0; i < m.nfiles; i++, n++) {
		e[n].view = m.files[i].view;
		e[n].source = m.files[i].source;
		e[n].link = m.files[i].link;
		e[n].program = !e[n].link && m.nprograms &&
			       bsearch(e[n].view, m.programs, m.nprograms, sizeof(*m.programs),
				       cmp_program);
		for (size_t k = 0; !e[n].link && k < m.nretells && !r; k++) {
			struct ac_retell *t;

			if (strcmp(m.retells[k].view, e[n].view))
				continue;
			if (!(t = realloc(e[n].retell, (e[n].nretell + 1) * sizeof(*t)))) {
				r = -ENOMEM;
				break;
			}
			e[n].retell = t;
			snprintf(t[e[n].nretell].from, sizeof(t->from), "%s", m.retells[k].from);
			snprintf(t[e[n].nretell].to, sizeof(t->to), "%s", m.retells[k].to);
			e[n].nretell++;
		}
		m.files[i].view = m.files[i].source = NULL;
	}
	/* Each program's stamps, one data file (the manifest keeps them
	 * grouped by program). */
	for (size_t i = 0, j; i < m.nstamps && !r; i = j) {
		size_t len = 0;
		char *text;

		for (j = i; j < m.nstamps && !strcmp(m.stamps[j].view, m.stamps[i].view); j++)
			len += strlen(m.stamps[j].line);
		if (!m.nprograms || !bsearch(m.stamps[i].view, m.programs, m.nprograms,
					     sizeof(*m.programs), cmp_program))
			continue; /* stamps of no program: nothing to check them for */
		if (!(text = malloc(len + 1)) ||
		    asprintf(&e[n].view, "%s/%s", AC_VREL_STAMP_DIR, m.stamps[i].view) < 0) {
			free(text);
			e[n].view = NULL;
			r = -ENOMEM;
			break;
		}
		len = 0;
		for (size_t k = i; k < j; k++) {
			size_t l = strlen(m.stamps[k].line);

			memcpy(text + len, m.stamps[k].line, l);
			len += l;
		}
		text[len] = '\0';
		e[n].source = text;
		e[n++].data = 1;
	}
	ac_manifest_free(&m);
	if (r) {
		entries_free(e, n);
		return r;
	}
	qsort(e, n, sizeof(*e), cmp_entry);
	*out = e;
	*nout = n;
	return 0;
}

/* --------------------------------------------------------------- snapshot */

static int cmp_dirent(const void *a, const void *b)
{
	const struct dirent_ref *x = a, *y = b;

	if (x->parent != y->parent)
		return x->parent < y->parent ? -1 : 1;
	return strcmp(x->name, y->name);
}

struct builder {
	struct dirent_ref *ents;
	size_t n, cap;
};

static int builder_add(struct builder *b, uint64_t parent, struct node *n)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 1024;
		struct dirent_ref *e = realloc(b->ents, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		b->ents = e;
		b->cap = cap;
	}
	b->ents[b->n++] = (struct dirent_ref){.parent = parent, .name = n->name, .node = n};
	return 0;
}

/* The directory node for path (creating it and recording its entry in its
 * parent); the root is inode 1. */
static struct node *dir_node(struct view *v, struct builder *b, const char *path, int *err)
{
	struct node *n = index_find(path, NULL), *parent;
	char buf[4096];
	char *slash;

	if (!*path)
		return view_node(v, 1);
	if (!n) {
		if (!(n = node_new(v, NODE_DIR, path, NULL)) || index_add(n)) {
			*err = -ENOMEM;
			return NULL;
		}
		node_publish(v, n);
	}
	snprintf(buf, sizeof(buf), "%s", path);
	slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
	parent = dir_node(v, b, slash ? buf : "", err);
	if (!parent || (*err = builder_add(b, parent->ino, n)))
		return NULL;
	return n;
}

/* A new symbolic link node at path with target (in the index); NULL and
 * *err on failure. */
static struct node *link_new(struct view *v, const char *path, const char *target,
			     const struct node *stale, int *err)
{
	struct node *l = node_new(v, NODE_LINK, path, target);

	if (!l) {
		*err = -ENOMEM;
		return NULL;
	}
	l->size = strlen(target);
	l->mode = 0777;
	node_publish(v, l);
	if (stale)
		index_replace(stale, l);
	else if ((*err = index_add(l)))
		return NULL;
	return l;
}

/* Program n's self link, /lib-x86/.eXXX -> its root path (the view path
 * is the program's canonical root path). Kept across reloads like any
 * node: the same name and target find the same node. */
static int add_self_link(struct view *v, struct builder *b, const struct node *n)
{
	char target[4096];
	struct node *l, *root;
	int err = 0;

	if ((size_t)snprintf(target, sizeof(target), "/%s", n->path) >= sizeof(target))
		return 0;
	l = index_find(n->self, target);
	if ((!l || l->kind != NODE_LINK) && !(l = link_new(v, n->self, target, NULL, &err)))
		return err;
	if (!(root = dir_node(v, b, "", &err)))
		return err ? err : -ENOMEM;
	return builder_add(b, root->ino, l);
}

static int build(struct view *v, const struct manifest_entry *e, size_t ne, struct snapshot **out,
		 struct view_refusal *ref, size_t maxref, size_t *nref)
{
	struct builder b = {0};
	struct snapshot *s;
	struct node *qemu = NULL, *as = NULL, *qemu_made = NULL, *made = NULL;
	size_t nfiles = 0, w = 0;
	int err = 0;

	for (size_t i = 0; i < ne && !err; i++) {
		struct node *n = index_find(e[i].view, e[i].source), *dir, *stale = NULL;
		struct ac_err why = {0};
		char parent[4096];
		char *slash;

		if (n && !same_file(v, n)) {
			stale = n;
			n = NULL;
		}
		if (n && ((n->kind == NODE_LINK) != !!e[i].link ||
			  (n->kind == NODE_FILE && n->nretell != e[i].nretell))) {
			stale = n;
			n = NULL;
		}
		if (!n && e[i].link && !(n = link_new(v, e[i].view, e[i].source, stale, &err)))
			break;
		if (!n) {
			if (!(n = node_new(v, NODE_FILE, e[i].view, e[i].source))) {
				err = -ENOMEM;
				break;
			}
			if (e[i].data) {
				n->data = 1;
				n->size = strlen(n->source);
				n->mode = 0444;
			}
			/* A refused node stays, unreachable, with its reason: it
			 * is not examined again, and its inode is never reused. */
			else if (file_prepare(v, n, &e[i], &why) < 0 &&
			    !(n->why = strdup(why.msg))) {
				err = -ENOMEM;
				break;
			}
			node_publish(v, n);
			if (stale)
				index_replace(stale, n);
			else if ((err = index_add(n)))
				break;
			if (n->why) {
				v->refused++;
				logf_(v, "refused %s: %s", e[i].view, n->why);
			}
		}
		if (n->why) {
			if (nref && *nref < maxref) {
				snprintf(ref[*nref].view, sizeof(ref[0].view), "%s", e[i].view);
				snprintf(ref[*nref].why, sizeof(ref[0].why), "%s", n->why);
				++*nref;
			}
			continue;
		}
		snprintf(parent, sizeof(parent), "%s", e[i].view);
		slash = strrchr(parent, '/');
		if (slash)
			*slash = '\0';
		dir = dir_node(v, &b, slash ? parent : "", &err);
		if (!dir)
			break;
		if ((err = builder_add(&b, dir->ino, n)))
			break;
		if (!strcmp(e[i].view, AC_VREL_QEMU))
			qemu = n;
		if (!strcmp(e[i].view, AC_VREL_QEMU_MADE))
			qemu_made = n;
		nfiles++;
		if (n->self[0] && (err = add_self_link(v, &b, n)))
			break;
	}
	if (!err && qemu && !(as = dir_node(v, &b, VIEW_QEMU_AS, &err)) && !err)
		err = -ENOMEM;
	if (!err && qemu_made && !(made = dir_node(v, &b, VIEW_QEMU_MADE_AS, &err)) && !err)
		err = -ENOMEM;
	if (err) {
		free(b.ents);
		return err;
	}
	/* Directories were added once per file below them: keep one entry;
	 * a name that is both a file and a directory keeps the directory. */
	if (b.n)
		qsort(b.ents, b.n, sizeof(*b.ents), cmp_dirent);
	for (size_t i = 0; i < b.n; i++) {
		if (w && !cmp_dirent(&b.ents[w - 1], &b.ents[i])) {
			if (b.ents[i].node->kind == NODE_DIR)
				b.ents[w - 1] = b.ents[i];
			if (b.ents[i].node != b.ents[w - 1].node)
				logf_(v, "conflict at %s: kept the directory", b.ents[i].node->path);
			continue;
		}
		b.ents[w++] = b.ents[i];
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		free(b.ents);
		return -ENOMEM;
	}
	s->n = w;
	s->ents = b.ents;
	s->nfiles = nfiles;
	if (qemu) {
		s->qemu = qemu;
		s->as_ino = as->ino;
	}
	if (qemu_made) {
		s->qemu_made = qemu_made;
		s->made_ino = made->ino;
	}
	*out = s;
	return 0;
}

static void snapshot_free(struct snapshot *s)
{
	if (s) {
		free(s->ents);
		free(s);
	}
}

static const struct dirent_ref *snap_find(const struct snapshot *s, uint64_t parent,
					  const char *name)
{
	size_t lo = 0, hi = s ? s->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct dirent_ref *d = &s->ents[mid];
		int c = d->parent != parent ? (d->parent < parent ? -1 : 1) : strcmp(d->name, name);

		if (!c)
			return d;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct node *view_lookup(struct view *v, uint64_t parent, const char *name)
{
	const struct dirent_ref *d;
	struct node *n;

	pthread_mutex_lock(&v->lock);
	d = snap_find(v->snap, parent, name);
	n = d ? d->node : NULL;
	/* .accel/as/NAME, .accel/made/NAME: qemu under any name */
	if (!n && v->snap && ac_manifest_name_ok(name, strlen(name))) {
		if (v->snap->qemu && parent == v->snap->as_ino)
			n = v->snap->qemu;
		else if (v->snap->qemu_made && parent == v->snap->made_ino)
			n = v->snap->qemu_made;
	}
	pthread_mutex_unlock(&v->lock);
	return n;
}

void view_list(struct view *v, uint64_t dir, size_t start,
	       int (*fn)(void *ctx, size_t index, const struct node *n), void *ctx)
{
	const struct snapshot *s;
	size_t lo = 0, hi;

	pthread_mutex_lock(&v->lock);
	s = v->snap;
	hi = s ? s->n : 0;
	while (lo < hi) { /* first entry of dir */
		size_t mid = lo + (hi - lo) / 2;

		if (s->ents[mid].parent < dir)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo + start; s && i < s->n && s->ents[i].parent == dir; i++)
		if (fn(ctx, i - lo, s->ents[i].node))
			break;
	pthread_mutex_unlock(&v->lock);
}

/* Which names resolve differently between two snapshots: reserved
 * entries (loader, libraries) first, so a program never appears before
 * what it loads. */
static int diff(const struct snapshot *a, const struct snapshot *b, struct name_change **out,
		size_t *nout)
{
	size_t i = 0, j = 0, na = a ? a->n : 0, nb = b ? b->n : 0, n = 0;
	struct name_change *c = malloc((na + nb + 1) * sizeof(*c));
	size_t first = 0;

	if (!c)
		return -ENOMEM;
	while (i < na || j < nb) {
		const struct dirent_ref *x = i < na ? &a->ents[i] : NULL;
		const struct dirent_ref *y = j < nb ? &b->ents[j] : NULL;
		const struct dirent_ref *d;
		int cmp = !x ? 1 : !y ? -1 : cmp_dirent(x, y);

		if (cmp == 0) {
			i++, j++;
			if (x->node == y->node)
				continue;
			d = y;
		} else if (cmp < 0) {
			d = x, i++;
		} else {
			d = y, j++;
		}
		c[n].parent = d->parent;
		snprintf(c[n].name, sizeof(c[n].name), "%s", d->name);
		if (!strncmp(d->node->path, AC_VREL_RESERVED, sizeof(AC_VREL_RESERVED) - 1)) {
			struct name_change t = c[n];

			c[n] = c[first];
			c[first++] = t;
		}
		n++;
	}
	*out = c;
	*nout = n;
	return 0;
}

/* Swap in a snapshot of entries e (taken over by the view). */
static int install(struct view *v, struct manifest_entry *e, size_t ne,
		   struct name_change **changed, size_t *nchanged, struct view_refusal *ref,
		   size_t maxref, size_t *nref)
{
	struct snapshot *s, *old;
	int err = build(v, e, ne, &s, ref, maxref, nref);

	if (err) {
		entries_free(e, ne);
		return err;
	}
	pthread_mutex_lock(&v->lock);
	old = v->snap;
	s->generation = ++v->generation;
	v->snap = s;
	entries_free(v->entries, v->nentries);
	v->entries = e;
	v->nentries = ne;
	pthread_mutex_unlock(&v->lock);
	/* Only this (the control) thread replaces snapshots; the request
	 * thread reads them under the lock, so old is ours now. */
	err = changed ? diff(old, s, changed, nchanged) : 0;
	snapshot_free(old);
	return err;
}

int view_reload(struct view *v, struct name_change **changed, size_t *nchanged,
		struct view_refusal *ref, size_t maxref, size_t *nref)
{
	struct manifest_entry *e, *all;
	struct ac_err why;
	char store[4096];
	size_t ne, n;
	time_t now = time(NULL);
	int err;

	*nchanged = 0;
	*changed = NULL;
	if (nref)
		*nref = 0;
	err = manifest_load(v->manifest_path, store, sizeof(store), &e, &ne, &why);
	if (err) {
		logf_(v, "reload: %s", why.msg);
		if (nref && maxref) {
			snprintf(ref[0].view, sizeof(ref[0].view), "(manifest)");
			snprintf(ref[0].why, sizeof(ref[0].why), "%.255s", why.msg);
			*nref = 1;
		}
		return err;
	}
	if (strcmp(store, v->store)) {
		logf_(v, "reload: the manifest names store %s, the daemon serves %s", store,
		      v->store);
		entries_free(e, ne);
		return -EXDEV;
	}
	/* Reserved entries that leave linger a little (VIEW_LINGER_SECONDS). */
	all = realloc(e, (ne + v->nentries + 1) * sizeof(*e));
	if (!all) {
		entries_free(e, ne);
		return -ENOMEM;
	}
	e = all;
	n = ne;
	for (size_t i = 0; i < v->nentries; i++) {
		const struct manifest_entry *o = &v->entries[i];
		struct manifest_entry key = {.view = o->view};

		if (o->data || strncmp(o->view, AC_VREL_RESERVED "/", sizeof(AC_VREL_RESERVED)) ||
		    !strcmp(o->view, AC_VREL_QEMU) || !strcmp(o->view, AC_VREL_QEMU_MADE) ||
		    bsearch(&key, e, ne, sizeof(*e), cmp_entry))
			continue;
		if (entry_copy(&e[n], o)) {
			entries_free(e, n);
			return -ENOMEM;
		}
		e[n].linger_until = o->linger_until ? o->linger_until : now + VIEW_LINGER_SECONDS;
		n++;
	}
	qsort(e, n, sizeof(*e), cmp_entry);
	return install(v, e, n, changed, nchanged, ref, maxref, nref);
}

int view_expire(struct view *v, time_t now, struct name_change **changed, size_t *nchanged,
		time_t *next)
{
	struct manifest_entry *e;
	size_t n = 0;
	int any = 0;

	*next = 0;
	*nchanged = 0;
	*changed = NULL;
	for (size_t i = 0; i < v->nentries; i++) {
		time_t t = v->entries[i].linger_until;

		if (t && t <= now)
			any = 1;
		else if (t && (!*next || t < *next))
			*next = t;
	}
	if (!any)
		return 0;
	e = calloc(v->nentries + 1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (size_t i = 0; i < v->nentries; i++) {
		time_t t = v->entries[i].linger_until;

		if (t && t <= now)
			continue;
		if (entry_copy(&e[n], &v->entries[i])) {
			entries_free(e, n);
			return -ENOMEM;
		}
		n++;
	}
	return install(v, e, n, changed, nchanged, NULL, 0, NULL);
}

int view_init(struct view *v, const char *manifest_path, FILE *log)
{
	struct manifest_entry *e;
	struct ac_err why;
	char store[4096];
	size_t ne;
	struct node *root;
	int err;

	memset(v, 0, sizeof(*v));
	v->storefd = -1;
	v->log = log;
	pthread_mutex_init(&v->lock, NULL);
	if (!(v->manifest_path = strdup(manifest_path)))
		return -ENOMEM;
	err = manifest_load(manifest_path, store, sizeof(store), &e, &ne, &why);
	if (err) {
		fprintf(stderr, "accel-fuseview: %s\n", why.msg);
		return err;
	}
	entries_free(e, ne);
	if (!(v->store = strdup(store)))
		return -ENOMEM;
	v->storefd = open(store, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (v->storefd < 0) {
		err = -errno;
		fprintf(stderr, "accel-fuseview: store %s: %s\n", store, strerror(errno));
		return err;
	}
	v->ino_bucket = calloc(VIEW_INO_BUCKETS, sizeof(struct node *));
	v->self_used = calloc(AC_SELF_IDS / 8, 1);
	root = node_new(v, NODE_DIR, "", NULL);
	if (!v->ino_bucket || !v->self_used || !root)
		return -ENOMEM;
	node_publish(v, root);
	return 0;
}
