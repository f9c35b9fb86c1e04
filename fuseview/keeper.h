/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The view daemon keeps its own server alive, and the kernel never sees it
 * die.
 *
 * accel-fuseview runs as two processes: a keeper, which keeps root's
 * privileges, mounts the view and holds its FUSE connection (/dev/fuse),
 * and the server it forks, which drops every capability, installs its
 * seccomp filter and answers the kernel's requests on that connection.
 * When the server dies by accident (killed, crashed, a seccomp kill), the
 * mount and the connection stay: the kernel queues what programs ask
 * meanwhile, and the next server forked answers it. What the kernel had
 * already handed to the dead server is in the carry (below), shared with
 * every server: the next one answers that request first, so no program
 * sees an error or waits forever. Inode numbers are the same in every
 * server (view.h), so what the kernel cached stays right.
 *
 * A server that ends normally (the view was unmounted: accel-bootstrap
 * --teardown) ends the keeper too, as does SIGTERM, SIGINT or SIGHUP sent
 * to the keeper. A server that dies five times in a row within a second of
 * its start is not started again: the keeper then detaches the view, whose
 * programs fall back to emulation (the dispatcher finds no view).
 */
#ifndef ACCEL_FUSEVIEW_KEEPER_H
#define ACCEL_FUSEVIEW_KEEPER_H

#include <stdint.h>
#include <stdio.h>

/* The receive buffer's size: libfuse reads up to FUSE_MAX_MAX_PAGES (256)
 * pages plus a header page at once. */
#define KEEPER_BUF_SIZE ((size_t)(256 + 1) * 4096)

/* What one server leaves to the next, in memory shared by the keeper and
 * all its servers. The server reads each request straight into buf, after
 * zeroing its header, and marks it answered once its reply is written: a
 * request with a header and not answered was taken from the kernel by a
 * server that died before it replied. */
struct keeper_carry {
	uint32_t init_len;      /* the kernel's INIT request, once */
	uint32_t answered;      /* buf's request has its reply */
	uint32_t tries;         /* servers that started on buf's request */
	unsigned char init[1024];
	unsigned char buf[KEEPER_BUF_SIZE];
};

/* The connection the keeper holds, for serve(). */
struct keeper_conn {
	int fd;                 /* /dev/fuse, mounted */
	struct keeper_carry *carry;
};

struct keeper {
	/* Where the view is mounted: an absolute path, or /proc/self/fd/N of
	 * the mount point directory (what accel-bootstrap passes). */
	const char *mountpoint;
	/* Mount options for the kernel (after fd=, rootmode=, user_id=,
	 * group_id=), the mount flags, its source and type. */
	const char *options, *source, *type;
	unsigned long flags;
	FILE *log;
	/* Written with one zero byte once the first server serves, then
	 * closed; -1 for none. Closed without a byte: it never served. */
	int notify;
	/* Runs in the child: load, call keeper_mounted(up), serve conn;
	 * returns the child's exit status (0: unmounted or told to stop). */
	int (*serve)(void *arg, int up, const struct keeper_conn *conn);
	void *arg;
};

/* Mount the view, then supervise servers until one ends normally or the
 * keeper is told to stop. Returns the keeper's exit status: 0, or 1 if the
 * view could not be mounted, the first server never served or servers
 * kept dying. */
int keeper_run(struct keeper *k);

/* Tell the keeper (fd up, handed to serve) that the server serves. */
void keeper_mounted(int up);

#endif
