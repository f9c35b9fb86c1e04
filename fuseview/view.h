/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuseview/view.h - the tree the accel-fuseview daemon serves.
 *
 * Owns what the daemon makes of the manifest (accel/view/manifest.h: which
 * store file appears at which view path): the nodes (one per view path and store file, never freed
 * while the daemon runs, so an inode the kernel knows stays valid for an exec
 * in flight), and the snapshot (which names exist right now). A node's
 * inode number is a hash of what it is (its kind, view path, source, and
 * the store file's identity), and a self link's name one of the program's:
 * a server that follows a dead one on the same connection (keeper.h) gives
 * every node the kernel still knows the number it had. A reload builds
 * a complete new snapshot and swaps it in under view.lock, so a lookup sees
 * either the old set or the new one, never a mix; the caller then tells the
 * kernel which cached names changed.
 *
 * Functions return 0 or -errno and never exit.
 */
#ifndef ACCEL_FUSEVIEW_VIEW_H
#define ACCEL_FUSEVIEW_VIEW_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "accel/exec/layout.h"
#include "accel/view/elfview.h"
#include "accel/view/retell.h"

/* Nodes ever made: a buildd root with everything enabled needs a few
 * thousand, and each reload adds only the changed files. */
#define VIEW_MAX_NODES (1u << 20)
/* Buckets of the inode number hash (chained through node.ino_next). */
#define VIEW_INO_BUCKETS (1u << 16)
/* A library that leaves the closure stays visible this long, so that a
 * host program exec'd just before the change still finds what it loads. */
#define VIEW_LINGER_SECONDS 5

enum node_kind { NODE_DIR, NODE_FILE, NODE_LINK };

struct node {
	uint64_t ino;
	enum node_kind kind;
	char *path;              /* view path, relative ("" for the root) */
	const char *name;        /* last component of path */
	char *source;            /* store-relative path (files); the target (links);
				  * the content (data files) */
	int data;                /* served from source, not from a store file */
	int fd;                  /* the store file, read-only (files) */
	uint64_t size;
	int64_t mtime;
	uint64_t dev, inode, mtime_ns; /* the store file this node serves */
	unsigned int mode;       /* 0555, 0444 */
	size_t npatches;
	struct ac_patch *patches;
	char *why;               /* refused: the reason (never served) */
	size_t nretell;          /* retell pairs it was prepared with */
	char self[8];            /* its self link's name (a program holding
				  * "/proc/self/exe"), or "" */
	struct node *ino_next;   /* the next node in its inode hash bucket */
	uint64_t lookups;        /* positive lookups answered (request thread) */
	uint64_t reads;
};

struct dirent_ref {
	uint64_t parent;
	const char *name;        /* points into the child node's path */
	struct node *node;
};

struct snapshot {
	uint64_t generation;
	size_t n;
	struct dirent_ref *ents; /* sorted by (parent, name) */
	size_t nfiles;
	/* .accel/as: every name in it is qemu (VIEW_QEMU_AS); .accel/made:
	 * every name is qemu_made, the same qemu as another inode */
	uint64_t as_ino, made_ino;
	struct node *qemu, *qemu_made;
};

/*
 * .accel/as/NAME is qemu-arm-static under any NAME (the same inode, as a hard
 * link). The dispatcher runs qemu for an armel program as
 * /lib-x86/.accel/as/<the program's name>: an exec by file descriptor names
 * the task after the file's dentry, so the emulated `sed` is "sed" in ps,
 * /proc/PID/comm and taskstats, as under Debian's own entry, and not
 * "qemu-arm-static".
 */
#define VIEW_QEMU_AS AC_VREL_QEMU_AS
/* .accel/made/NAME: the same, but for runs emulated because they would load
 * code the build made (AC_VREL_QEMU_MADE: its own node, so its own inode). */
#define VIEW_QEMU_MADE_AS AC_VREL_QEMU_MADE_AS

struct manifest_entry {
	char *view;              /* relative view path */
	char *source;            /* store-relative path, or absolute (qemu), or a link's target */
	int link;
	int data;                /* source is the file's content (a program's
				  * stamps, accel/exec/stamp.h) */
	int program;             /* an enabled program (its "# program" line) */
	struct ac_retell *retell; /* its compiled-in strings told otherwise */
	size_t nretell;
	time_t linger_until;     /* 0: in the manifest; else lingering */
};

struct view_stats {
	uint64_t lookups, negative, reads, read_bytes, getattrs, readdirs;
};

struct view {
	char *manifest_path;
	char *store;             /* store directory (absolute) */
	int storefd;
	FILE *log;

	pthread_mutex_t lock;    /* protects snap, entries, nodes growth */
	struct snapshot *snap;
	size_t nentries;
	struct manifest_entry *entries;
	uint64_t generation;

	/* Nodes in the order made, in fixed chunks so a node pointer read by
	 * the request thread never moves; and by inode number, in buckets the
	 * control thread adds to and the request thread reads without the
	 * lock (a node is published complete, never moved or freed). */
	struct node **chunks[VIEW_MAX_NODES / 1024];
	uint64_t nnodes;
	struct node **ino_bucket;

	struct view_stats stats; /* request thread adds, control thread reads (atomics) */
	uint64_t refused;
	unsigned char *self_used; /* self link ids handed out (ac_self_name) */
};

/* One refused entry, reported back to accelctl. */
struct view_refusal {
	char view[256];
	char why[256];
};

int view_init(struct view *v, const char *manifest_path, FILE *log);

/*
 * Read the manifest again and swap in the new snapshot. changed (size
 * *nchanged, malloc'ed) receives the (parent, name) pairs whose lookup
 * result differs, in the order the kernel should be told: libraries first,
 * programs last. refusals receive up to maxref entries that were refused.
 */
struct name_change {
	uint64_t parent;
	char name[256];
};
int view_reload(struct view *v, struct name_change **changed, size_t *nchanged,
		struct view_refusal *refusals, size_t maxref, size_t *nref);
/* Drop lingering entries whose time is up; same outputs as view_reload.
 * *next receives the next expiry (0: none). */
int view_expire(struct view *v, time_t now, struct name_change **changed, size_t *nchanged,
		time_t *next);

/* The node with inode number ino; NULL if none. */
struct node *view_node(struct view *v, uint64_t ino);
/* The i'th node made (i < nnodes); for listing them all. */
struct node *view_node_at(struct view *v, uint64_t i);
/* Look name up in directory parent in the current snapshot; NULL if absent. */
struct node *view_lookup(struct view *v, uint64_t parent, const char *name);
/* Read from a file node with its patches applied; returns bytes or -errno. */
ssize_t view_read(struct node *n, void *buf, size_t size, uint64_t off);
/* Directory listing: calls fn for entries from index start on until it
 * returns nonzero. */
void view_list(struct view *v, uint64_t dir, size_t start,
	       int (*fn)(void *ctx, size_t index, const struct node *n), void *ctx);

#endif /* ACCEL_FUSEVIEW_VIEW_H */
