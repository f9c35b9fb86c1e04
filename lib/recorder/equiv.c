// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * equiv.c - hash equivalence in a local SQLite file or at a bitbake-hashserv
 * server (accel/recorder/equiv.h).
 *
 * Errors go to the caller's struct ac_err, passed down to where the failure
 * happens; the handle keeps none.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "accel/base/err.h"
#include "accel/recorder/equiv.h"
#include "accel/recorder/outhash.h"
#include "accel/recorder/sqlite.h"

/* A reply line longer than this is refused: the server never sends one
 * (chunk lines are 32 KiB), so it is not a hashserv. */
#define MAX_LINE (64 * 1024)
/* A reassembled chunked message bigger than this is refused. */
#define MAX_MESSAGE (64 * 1024 * 1024)
/* bitbake's client waits 30 s for each reply. */
#define TIMEOUT_S 30
/* get-stream requests in flight before their replies are read. */
#define STREAM_WINDOW 64

struct ac_equiv {
	sqlite3 *db; /* the local database, or NULL when fd is a server */
	int fd;
	char addr[PATH_MAX]; /* as given: every message names it */
	char rbuf[MAX_LINE];
	size_t rlen;
	size_t consumed; /* bytes of rbuf handed out by recv_line */
};

static int no_memory(struct ac_err *err)
{
	return ac_fail(err, -ENOMEM, "out of memory");
}

int ac_equiv_is_remote(const char *addr)
{
	const char *colon;

	if (!strncmp(addr, "unix://", 7))
		return 1;
	if (addr[0] == '[')
		return strstr(addr, "]:") != NULL;
	colon = strrchr(addr, ':');
	if (!colon || strchr(addr, '/') || !colon[1])
		return 0;
	for (const char *p = colon + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return 1;
}

/* ------------------------------------------------------------ SQLite */

static const char schema[] =
	/* bitbake-hashserv's tables (lib/hashserv/sqlite.py), column for
	 * column, so its server can take the file over. */
	"CREATE TABLE IF NOT EXISTS unihashes_v3 (id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" method TEXT NOT NULL, taskhash TEXT NOT NULL, unihash TEXT NOT NULL,"
	" gc_mark TEXT NOT NULL, UNIQUE(method, taskhash));"
	"CREATE TABLE IF NOT EXISTS outhashes_v2 (id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" method TEXT NOT NULL, taskhash TEXT NOT NULL, outhash TEXT NOT NULL,"
	" created DATETIME, owner TEXT, PN TEXT, PV TEXT, PR TEXT, task TEXT,"
	" outhash_siginfo TEXT, UNIQUE(method, taskhash, outhash));"
	"CREATE TABLE IF NOT EXISTS config (id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" name TEXT NOT NULL, value TEXT, UNIQUE(name));"
	"CREATE INDEX IF NOT EXISTS taskhash_lookup_v4 ON unihashes_v3 (method, taskhash);"
	"CREATE INDEX IF NOT EXISTS unihash_lookup_v1 ON unihashes_v3 (unihash);"
	"CREATE INDEX IF NOT EXISTS outhash_lookup_v3 ON outhashes_v2 (method, outhash);";

/* -ENOENT with err untouched when taskhash has no unihash. */
static int db_unihash(struct ac_equiv *e, const char *method, const char *taskhash,
		      char unihash[AC_HASH_HEX], struct ac_err *err)
{
	const char *t[] = {method, taskhash};

	return ac_sqlite_text(e->db,
			      "SELECT unihash FROM unihashes_v3 WHERE method=?1 AND taskhash=?2",
			      t, 2, unihash, AC_HASH_HEX, "get", err);
}

/* The server's created column: datetime.now() in UTC, isoformat. */
static void iso_now(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06ld+00:00", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
}

static int db_report(struct ac_equiv *e, const struct ac_equiv_report *rep,
		     char resolved[AC_HASH_HEX], struct ac_err *err)
{
	char created[64], found[AC_HASH_HEX];
	const char *uni = rep->unihash;
	int r;

	/* IMMEDIATE: the write lock is taken now, so two reporters of the
	 * same outhash are ordered and the second sees the first's row. */
	r = ac_sqlite_exec(e->db, "BEGIN IMMEDIATE", e->addr, err);
	if (r)
		return r;
	iso_now(created, sizeof(created));
	{
		const char *t[] = {rep->method, rep->taskhash, rep->outhash,
				   created,     rep->task,     rep->siginfo};

		r = ac_sqlite_run(e->db,
				  "INSERT OR IGNORE INTO outhashes_v2 (method, taskhash, outhash,"
				  " created, task, outhash_siginfo) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
				  t, 6, NULL, 0, "report", err);
		if (r)
			goto rollback;
	}
	if (sqlite3_changes(e->db) > 0) {
		const char *q[] = {rep->method, rep->outhash, rep->taskhash};

		/* The oldest other taskhash with this outhash decides. */
		r = ac_sqlite_text(e->db,
				   "SELECT unihashes_v3.unihash FROM outhashes_v2 INNER JOIN"
				   " unihashes_v3 ON unihashes_v3.method=outhashes_v2.method AND"
				   " unihashes_v3.taskhash=outhashes_v2.taskhash"
				   " WHERE outhashes_v2.method=?1 AND outhashes_v2.outhash=?2 AND"
				   " outhashes_v2.taskhash!=?3 ORDER BY outhashes_v2.created ASC,"
				   " outhashes_v2.id ASC LIMIT 1",
				   q, 3, found, sizeof(found), "report", err);
		if (!r)
			uni = found;
		else if (r != -ENOENT)
			goto rollback;
		{
			const char *t[] = {rep->method, rep->taskhash, uni};

			r = ac_sqlite_run(e->db,
					  "INSERT OR IGNORE INTO unihashes_v3 (method, taskhash,"
					  " unihash, gc_mark) VALUES (?1, ?2, ?3, COALESCE((SELECT"
					  " value FROM config WHERE name='gc-mark'), ''))",
					  t, 3, NULL, 0, "report", err);
			if (r)
				goto rollback;
		}
	}
	r = db_unihash(e, rep->method, rep->taskhash, resolved, err);
	if (r == -ENOENT) {
		snprintf(resolved, AC_HASH_HEX, "%s", rep->unihash);
		r = 0;
	}
	if (!r)
		r = ac_sqlite_exec(e->db, "COMMIT", e->addr, err);
	if (!r)
		return 0;
rollback:
	/* The failure is in err already; a failed rollback adds nothing. */
	ac_sqlite_exec(e->db, "ROLLBACK", e->addr, NULL);
	return r;
}

static int db_get_all(struct ac_equiv *e, const char *method, const char *taskhash, char **out,
		      struct ac_err *err)
{
	const char *t[] = {method, taskhash};
	sqlite3_stmt *st;
	json_t *row;
	int r;

	r = ac_sqlite_prepare(e->db,
			      "SELECT outhashes_v2.*, unihashes_v3.unihash AS unihash FROM"
			      " outhashes_v2 INNER JOIN unihashes_v3 ON"
			      " unihashes_v3.method=outhashes_v2.method AND"
			      " unihashes_v3.taskhash=outhashes_v2.taskhash WHERE"
			      " outhashes_v2.method=?1 AND outhashes_v2.taskhash=?2 ORDER BY"
			      " outhashes_v2.created ASC LIMIT 1",
			      t, 2, &st, "get", err);
	if (r)
		return r;
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		row = json_object();
		if (!row) {
			r = no_memory(err);
			break;
		}
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			const char *name = sqlite3_column_name(st, i);

			switch (sqlite3_column_type(st, i)) {
			case SQLITE_INTEGER:
				json_object_set_new(row, name,
						    json_integer(sqlite3_column_int64(st, i)));
				break;
			case SQLITE_NULL:
				json_object_set_new(row, name, json_null());
				break;
			default:
				json_object_set_new(
					row, name,
					json_string((const char *)sqlite3_column_text(st, i)));
			}
		}
		*out = json_dumps(row, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(row);
		r = *out ? 0 : no_memory(err);
		break;
	case SQLITE_DONE:
		r = -ENOENT;
		break;
	default:
		r = ac_sqlite_fail(e->db, "get", err);
	}
	sqlite3_finalize(st);
	return r;
}

/* ------------------------------------------------------------ hashserv */

char *ac_hashserv_frame(const char *json, size_t *outlen)
{
	size_t len = strlen(json), piece = AC_HASHSERV_MAX_CHUNK - 1;
	static const char head[] = "{\"chunk-stream\": null}\n";
	struct ac_buf b = {0};
	int r = 0;

	if (len < piece) {
		r = ac_buf_add(&b, json, len);
		r = r ? r : ac_buf_add(&b, "\n", 1);
	} else {
		r = ac_buf_add(&b, head, sizeof(head) - 1);
		for (size_t off = 0, n; !r && off < len; off += n) {
			n = len - off < piece ? len - off : piece;
			/* The server strips trailing whitespace off every line
			 * it reads, chunk lines too, and joins chunks of any
			 * length: never end a chunk on a space (a run of more
			 * than a chunk of spaces cannot be kept whole). */
			while (off + n < len && n > 1 && json[off + n - 1] == ' ')
				n--;
			if (json[off + n - 1] == ' ' && off + n < len)
				n = len - off < piece ? len - off : piece;
			r = ac_buf_add(&b, json + off, n);
			r = r ? r : ac_buf_add(&b, "\n", 1);
		}
		r = r ? r : ac_buf_add(&b, "\n", 1);
	}
	if (r) {
		ac_buf_free(&b);
		return NULL;
	}
	*outlen = b.len;
	return b.p;
}

static int send_all(struct ac_equiv *e, const char *p, size_t len, struct ac_err *err)
{
	while (len) {
		ssize_t n = send(e->fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return ac_fail(err, -EPROTO, "%s: send: %s", e->addr, strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One line without its "\n" into *line (points into rbuf until the next
 * call). */
static int recv_line(struct ac_equiv *e, char **line, size_t *len, struct ac_err *err)
{
	char *nl;

	*line = NULL;
	*len = 0;
	/* Drop the line handed out last time. */
	if (e->consumed) {
		memmove(e->rbuf, e->rbuf + e->consumed, e->rlen - e->consumed);
		e->rlen -= e->consumed;
		e->consumed = 0;
	}
	while (!(nl = memchr(e->rbuf, '\n', e->rlen))) {
		ssize_t n;

		if (e->rlen == sizeof(e->rbuf))
			return ac_fail(err, -EPROTO,
				       "%s: a reply line longer than %d bytes: not a hashserv",
				       e->addr, MAX_LINE);
		n = recv(e->fd, e->rbuf + e->rlen, sizeof(e->rbuf) - e->rlen, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return ac_fail(err, -EPROTO, "%s: %s", e->addr,
				       n == 0		   ? "the server closed the connection"
				       : errno == EAGAIN ? "no reply within 30 s"
							 : strerror(errno));
		e->rlen += (size_t)n;
	}
	*nl = '\0';
	*line = e->rbuf;
	*len = (size_t)(nl - e->rbuf);
	e->consumed = *len + 1;
	return 0;
}

static int send_msg(struct ac_equiv *e, json_t *msg, struct ac_err *err)
{
	/* ASCII only (as Python's json.dumps): the server cuts and counts
	 * chunks in characters, so a byte is a character. */
	char *text = msg ? json_dumps(msg, JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII) : NULL;
	char *framed;
	size_t len;
	int r;

	if (!text)
		return no_memory(err);
	framed = ac_hashserv_frame(text, &len);
	free(text);
	if (!framed)
		return no_memory(err);
	r = send_all(e, framed, len, err);
	free(framed);
	return r;
}

/* The next message, chunk-stream reassembled; *out is NULL for JSON null. */
static int recv_msg(struct ac_equiv *e, json_t **out, struct ac_err *err)
{
	struct ac_buf b = {0};
	json_error_t jerr;
	json_t *m;
	char *line;
	size_t len;
	int r;

	r = recv_line(e, &line, &len, err);
	if (r)
		return r;
	m = json_loadb(line, len, JSON_DECODE_ANY, &jerr);
	if (!m)
		return ac_fail(err, -EPROTO, "%s: a reply that is not JSON: %s", e->addr,
			       jerr.text);
	if (json_is_object(m) && json_object_get(m, "chunk-stream")) {
		json_decref(m);
		for (;;) {
			r = recv_line(e, &line, &len, err);
			if (r) {
				ac_buf_free(&b);
				return r;
			}
			if (!len)
				break;
			if (b.len + len > MAX_MESSAGE) {
				ac_buf_free(&b);
				return ac_fail(err, -EPROTO, "%s: a chunked reply over %d bytes",
					       e->addr, MAX_MESSAGE);
			}
			if (ac_buf_add(&b, line, len)) {
				ac_buf_free(&b);
				return no_memory(err);
			}
		}
		m = json_loadb(b.p ? b.p : "", b.len, JSON_DECODE_ANY, &jerr);
		ac_buf_free(&b);
		if (!m)
			return ac_fail(err, -EPROTO, "%s: a chunked reply that is not JSON: %s",
				       e->addr, jerr.text);
	}
	if (json_is_object(m)) {
		json_t *ie = json_object_get(m, "invoke-error");

		if (ie) {
			const char *msg = json_string_value(json_object_get(ie, "message"));

			ac_fail(err, -EPROTO, "%s: the server refused: %s", e->addr,
				msg ? msg : "?");
			json_decref(m);
			return -EPROTO;
		}
	}
	if (json_is_null(m)) {
		json_decref(m);
		m = NULL;
	}
	*out = m;
	return 0;
}

/* Send msg (taken over: freed here, NULL when json_pack failed) and read
 * the reply. */
static int invoke(struct ac_equiv *e, json_t *msg, json_t **reply, struct ac_err *err)
{
	int r = send_msg(e, msg, err);

	json_decref(msg);
	return r ? r : recv_msg(e, reply, err);
}

static int connect_server(struct ac_equiv *e, const char *addr, struct ac_err *err)
{
	static const char hello[] = "OEHASHEQUIV 1.1\nneeds-headers: false\n\n";
	struct timeval tv = {TIMEOUT_S, 0};
	int fd = -1;

	if (!strncmp(addr, "unix://", 7)) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};

		if (strlen(addr + 7) >= sizeof(sa.sun_path))
			return ac_fail(err, -ENAMETOOLONG, "%s: socket path longer than %zu bytes",
				       addr, sizeof(sa.sun_path) - 1);
		strcpy(sa.sun_path, addr + 7);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			ac_fail(err, -EPROTO,
				"%s: cannot connect: %s (is bitbake-hashserv running there?)", addr,
				strerror(errno));
			if (fd >= 0)
				close(fd);
			return -EPROTO;
		}
	} else {
		char host[256], *port;
		struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
		int g, saved = 0;

		if (snprintf(host, sizeof(host), "%s", addr[0] == '[' ? addr + 1 : addr) >=
		    (int)sizeof(host))
			return ac_fail(err, -ENAMETOOLONG, "%s: address too long", addr);
		port = strrchr(host, ':');
		*port++ = '\0';
		if (addr[0] == '[')
			port[-2] = '\0';
		g = getaddrinfo(host, port, &hints, &res);
		if (g)
			return ac_fail(err, -EPROTO, "%s: %s", addr, gai_strerror(g));
		for (ai = res; ai; ai = ai->ai_next) {
			fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
			if (fd >= 0 && !connect(fd, ai->ai_addr, ai->ai_addrlen))
				break;
			saved = errno; /* close and freeaddrinfo may change it */
			if (fd >= 0)
				close(fd);
			fd = -1;
		}
		freeaddrinfo(res);
		if (fd < 0)
			return ac_fail(err, -EPROTO,
				       "%s: cannot connect: %s (is bitbake-hashserv running there?)",
				       addr, strerror(saved));
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	e->fd = fd;
	return send_all(e, hello, sizeof(hello) - 1, err);
}

/* ------------------------------------------------------------ interface */

int ac_equiv_open(const char *addr, struct ac_equiv **out, struct ac_err *err)
{
	struct ac_equiv *e;
	int r;

	if (strlen(addr) >= sizeof(e->addr))
		return ac_fail(err, -ENAMETOOLONG, "%.64s...: longer than %zu bytes", addr,
			       sizeof(e->addr) - 1);
	e = calloc(1, sizeof(*e));
	if (!e)
		return no_memory(err);
	e->fd = -1;
	strcpy(e->addr, addr);
	if (ac_equiv_is_remote(addr))
		r = connect_server(e, addr, err);
	else
		r = ac_sqlite_open(addr, schema, "the equivalence database", &e->db, err);
	if (r) {
		ac_equiv_close(e);
		return r;
	}
	*out = e;
	return 0;
}

void ac_equiv_close(struct ac_equiv *e)
{
	if (!e)
		return;
	if (e->db)
		sqlite3_close(e->db);
	if (e->fd >= 0)
		close(e->fd);
	free(e);
}

static int check_hash(const char *what, const char *h, struct ac_err *err)
{
	if (h && ac_is_hash64(h))
		return 0;
	return ac_fail(err, -EINVAL, "%s '%s' is not 64 lowercase hex digits", what, h ? h : "");
}

static int unknown(const struct ac_equiv *e, const char *method, const char *taskhash,
		   struct ac_err *err)
{
	return ac_fail(err, -ENOENT, "%s: no unihash for taskhash %s (method %s)", e->addr,
		       taskhash, method);
}

static json_t *get_msg(const char *method, const char *taskhash, int all)
{
	return json_pack("{s:{s:s,s:s,s:b}}", "get", "taskhash", taskhash, "method", method,
			 "all", all);
}

int ac_equiv_get(struct ac_equiv *e, const char *method, const char *taskhash,
		 char unihash[AC_HASH_HEX], struct ac_err *err)
{
	json_t *reply = NULL;
	const char *u;
	int r = check_hash("taskhash", taskhash, err);

	if (r)
		return r;
	if (e->db) {
		r = db_unihash(e, method, taskhash, unihash, err);
		return r == -ENOENT ? unknown(e, method, taskhash, err) : r;
	}
	r = invoke(e, get_msg(method, taskhash, 0), &reply, err);
	if (r)
		return r;
	if (!reply)
		return unknown(e, method, taskhash, err);
	u = json_string_value(json_object_get(reply, "unihash"));
	if (!u || !ac_is_hash64(u))
		r = ac_fail(err, -EPROTO, "%s: a get reply without a valid unihash", e->addr);
	else
		snprintf(unihash, AC_HASH_HEX, "%s", u);
	json_decref(reply);
	return r;
}

int ac_equiv_get_all(struct ac_equiv *e, const char *method, const char *taskhash, char **json,
		     struct ac_err *err)
{
	json_t *reply = NULL;
	int r = check_hash("taskhash", taskhash, err);

	if (r)
		return r;
	if (e->db) {
		r = db_get_all(e, method, taskhash, json, err);
		return r == -ENOENT ? unknown(e, method, taskhash, err) : r;
	}
	r = invoke(e, get_msg(method, taskhash, 1), &reply, err);
	if (r)
		return r;
	if (!reply)
		return unknown(e, method, taskhash, err);
	*json = json_dumps(reply, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(reply);
	return *json ? 0 : no_memory(err);
}

int ac_equiv_get_many(struct ac_equiv *e, const char *method, const char *const *taskhashes,
		      size_t n, char (*unihashes)[AC_HASH_HEX], struct ac_err *err)
{
	json_t *reply = NULL;
	char *line;
	size_t len, sent = 0, got = 0;
	int r;

	for (size_t i = 0; i < n; i++) {
		r = check_hash("taskhash", taskhashes[i], err);
		if (r)
			return r;
	}
	if (e->db) {
		for (size_t i = 0; i < n; i++) {
			r = db_unihash(e, method, taskhashes[i], unihashes[i], err);
			if (r == -ENOENT)
				unihashes[i][0] = '\0';
			else if (r)
				return r;
		}
		return 0;
	}
	r = invoke(e, json_pack("{s:n}", "get-stream"), &reply, err);
	if (r)
		return r;
	if (!json_is_string(reply) || strcmp(json_string_value(reply), "ok")) {
		json_decref(reply);
		return ac_fail(err, -EPROTO, "%s: get-stream was not accepted", e->addr);
	}
	json_decref(reply);
	/* Requests go out in windows, so neither side's socket buffer can
	 * fill while the other waits (bitbake's client pipelines as well). */
	while (got < n) {
		while (sent < n && sent - got < STREAM_WINDOW) {
			char req[512];
			int l = snprintf(req, sizeof(req), "%s %s\n", method, taskhashes[sent]);

			if (l >= (int)sizeof(req))
				return ac_fail(err, -EINVAL, "method name too long");
			r = send_all(e, req, (size_t)l, err);
			if (r)
				return r;
			sent++;
		}
		r = recv_line(e, &line, &len, err);
		if (r)
			return r;
		if (len && (len != 64 || (line[64] = '\0', !ac_is_hash64(line))))
			return ac_fail(err, -EPROTO, "%s: a get-stream reply that is not a unihash",
				       e->addr);
		memcpy(unihashes[got], line, len);
		unihashes[got][len] = '\0';
		got++;
	}
	r = send_all(e, "END\n", 4, err);
	if (r)
		return r;
	r = recv_line(e, &line, &len, err);
	if (r)
		return r;
	if (len != 2 || memcmp(line, "ok", 2))
		return ac_fail(err, -EPROTO, "%s: get-stream did not end with ok", e->addr);
	return 0;
}

int ac_equiv_report(struct ac_equiv *e, const struct ac_equiv_report *rep,
		    char resolved[AC_HASH_HEX], struct ac_err *err)
{
	json_t *msg, *reply = NULL;
	const char *u;
	int r;

	if ((r = check_hash("taskhash", rep->taskhash, err)) ||
	    (r = check_hash("outhash", rep->outhash, err)) ||
	    (r = check_hash("unihash", rep->unihash, err)))
		return r;
	if (e->db)
		return db_report(e, rep, resolved, err);
	msg = json_pack("{s:{s:s,s:s,s:s,s:s}}", "report", "taskhash", rep->taskhash, "method",
			rep->method, "outhash", rep->outhash, "unihash", rep->unihash);
	if (!msg)
		return no_memory(err);
	if (rep->task)
		json_object_set_new(json_object_get(msg, "report"), "task", json_string(rep->task));
	if (rep->siginfo)
		json_object_set_new(json_object_get(msg, "report"), "outhash_siginfo",
				    json_string(rep->siginfo));
	r = invoke(e, msg, &reply, err);
	if (r)
		return r;
	u = json_string_value(json_object_get(reply, "unihash"));
	if (!u || !ac_is_hash64(u))
		r = ac_fail(err, -EPROTO, "%s: a report reply without a valid unihash", e->addr);
	else
		snprintf(resolved, AC_HASH_HEX, "%s", u);
	json_decref(reply);
	return r;
}
