/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The view daemon keeps its own server alive.
 *
 * accel-fuseview runs as two processes: a keeper, which keeps root's
 * privileges and does nothing but wait, and the server it forks, which
 * mounts the view, drops every capability, installs its seccomp filter and
 * serves. When the server dies by accident (killed, crashed, a seccomp
 * kill), the keeper detaches the dead mount and forks a new server, which
 * mounts the view again and re-reads the manifest: the view is back within
 * milliseconds, and the execs in between find the dead view (ENOTCONN) and
 * fall back to emulation. A server that ends normally (its mount was
 * unmounted: accel-bootstrap --teardown) ends the keeper too, as does
 * SIGTERM, SIGINT or SIGHUP sent to the keeper. A server that dies five
 * times in a row within a second of its start is not started again.
 */
#ifndef ACCEL_FUSEVIEW_KEEPER_H
#define ACCEL_FUSEVIEW_KEEPER_H

#include <stdio.h>

struct keeper {
	/* Where the server mounts: an absolute path, or /proc/self/fd/N of
	 * the mount point directory (what accel-bootstrap passes). */
	const char *mountpoint;
	FILE *log;
	/* Written with one zero byte once the first server is mounted, then
	 * closed; -1 for none. Closed without a byte: it never mounted. */
	int notify;
	/* Runs in the child: mount, call keeper_mounted(up), serve; returns
	 * the child's exit status (0: unmounted or told to stop). */
	int (*serve)(void *arg, int up);
	void *arg;
};

/* Supervise servers until one ends normally or the keeper is told to
 * stop. Returns the keeper's exit status: 0, or 1 if the first server
 * never mounted or servers kept dying. */
int keeper_run(struct keeper *k);

/* Tell the keeper (fd up, handed to serve) that the view is mounted. */
void keeper_mounted(int up);

#endif
