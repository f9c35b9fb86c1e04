/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accel/view/control.h - the control protocol between accelctl (and
 * accel-bootstrap) and a running view daemon.
 *
 * Transport: a SOCK_SEQPACKET unix socket STATE/roots/KEY/control (mode
 * 0600, root peers only), one request and one reply per connection, each
 * one packet. A request is one word (AC_CONTROL_MAX_REQUEST bytes at most,
 * an optional trailing newline):
 *     reload   read the manifest again and swap in the new set
 *     stats    counters and the files that were used
 *     ping     are you there
 * A reply is text lines of at most AC_CONTROL_MAX_REPLY bytes in all:
 *     reload: "ok generation=G files=F changed=C refused=R" then R lines
 *             "refused /VIEW: WHY"; or "error WHAT[: WHY]..."
 *     stats:  "KEY=VALUE" lines (AC_STAT_* keys), then
 *             "node lookups=L reads=N /VIEW" for each file used
 *     ping:   "ok pid=PID"
 *     other:  "error unknown command 'WORD'"
 * This header is the protocol's one definition: the daemon parses requests
 * and formats replies with it, the clients send and parse with it.
 */
#ifndef ACCEL_VIEW_CONTROL_H
#define ACCEL_VIEW_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include "accel/base/err.h"

#define AC_CONTROL_SOCKET "control"
#define AC_CONTROL_MAX_REQUEST 64
#define AC_CONTROL_MAX_REPLY (1u << 20)
/* A reload of a large closure reads and plans every new file. */
#define AC_CONTROL_TIMEOUT_S 120

enum ac_control_req {
	AC_CONTROL_RELOAD,
	AC_CONTROL_STATS,
	AC_CONTROL_PING,
	AC_CONTROL_NREQ
};

/* The word of a request. */
const char *ac_control_req_name(enum ac_control_req req);
/* Server: which request a packet holds, or -EINVAL. */
int ac_control_req_parse(const char *buf, size_t len);

/* stats keys */
#define AC_STAT_PID "pid"
#define AC_STAT_GENERATION "generation"
#define AC_STAT_FILES "files"
#define AC_STAT_LOOKUPS "lookups"
#define AC_STAT_NEGATIVE "negative"
#define AC_STAT_GETATTRS "getattrs"
#define AC_STAT_READS "reads"
#define AC_STAT_READ_BYTES "read_bytes"
#define AC_STAT_READDIRS "readdirs"
#define AC_STAT_REFUSED "refused"
#define AC_STAT_NODES "nodes"
#define AC_STAT_RSS_KIB "rss_kib"
#define AC_STAT_NODE_PREFIX "node "

/*
 * Client: send req to the daemon whose socket is dir/AC_CONTROL_SOCKET and
 * take its reply (malloc'ed, NUL-terminated). -ECONNREFUSED / -ENOENT: no
 * daemon answers there.
 */
int ac_control_request(const char *dir, enum ac_control_req req, char **reply,
		       struct ac_err *err);

/* A reload reply, parsed. */
struct ac_reload_reply {
	int ok;                  /* "ok ..." */
	unsigned long long generation, files, changed, refused;
	const char *first_refused; /* the first "refused ..." line (into the reply), or NULL */
	size_t first_refused_len;
	const char *error;       /* "error ...": what follows "error " */
	size_t error_len;
};
int ac_control_reload_parse(const char *reply, struct ac_reload_reply *out);
/* The value of KEY in a stats reply into buf ("?" when absent); buf. */
const char *ac_control_stat(const char *stats, const char *key, char *buf, size_t size);
/* The "lookups=L reads=N" part of the node line for view path (absolute,
 * as "/usr/bin/make"), or NULL; *len its length. */
const char *ac_control_node(const char *stats, const char *path, size_t *len);

#endif /* ACCEL_VIEW_CONTROL_H */
