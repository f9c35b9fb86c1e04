/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accel/recorder/equiv.h - hash equivalence: which unihash a taskhash resolves to.
 *
 * Owns: the resolution rules of bitbake-hashserv and two places that keep
 * them. A local SQLite file (WAL, one transaction per report, so several
 * processes may report at once) uses the server's own tables (unihashes_v3,
 * outhashes_v2), so bitbake-hashserv --database can serve it as it is. A
 * remote bitbake-hashserv (unix://PATH, HOST:PORT or [V6]:PORT) is spoken
 * to in its protocol: "OEHASHEQUIV 1.1", headers, then one JSON document per
 * line, messages of 32 KiB and more in "chunk-stream" framing.
 *
 * The rules: the first taskhash reported with an outhash keeps the unihash
 * it proposed; a later taskhash whose outhash matches the oldest reported
 * one gets that one's unihash; a taskhash's unihash, once set, never
 * changes. Functions return 0 or -errno and say what failed in err
 * (accel/base/err.h; may be NULL).
 * -ENOENT: no such taskhash. -EPROTO: the server refused or broke the
 * protocol. -EINVAL: a hash that is not 64 lowercase hex digits.
 */
#ifndef ACCEL_RECORDER_EQUIV_H
#define ACCEL_RECORDER_EQUIV_H

#include <stddef.h>

#include "accel/base/err.h"

#define AC_EQUIV_METHOD "accel.outhash.OEOuthashBasic"
#define AC_HASH_HEX 65
/* bitbake's client splits at 32 KiB; the server reads lines of 64 KiB. */
#define AC_HASHSERV_MAX_CHUNK (32 * 1024)

struct ac_equiv;

/* addr: unix://PATH, HOST:PORT or [V6]:PORT; anything else a file path of
 * the local database (created with its parents' permission). */
int ac_equiv_open(const char *addr, struct ac_equiv **out, struct ac_err *err);
void ac_equiv_close(struct ac_equiv *e);
/* Is addr a server address rather than a database path? */
int ac_equiv_is_remote(const char *addr);

/* The unihash of taskhash (64 hex + NUL), or -ENOENT. */
int ac_equiv_get(struct ac_equiv *e, const char *method, const char *taskhash,
		 char unihash[AC_HASH_HEX], struct ac_err *err);
/* The whole joined row as one line of JSON (malloc'd), or -ENOENT. */
int ac_equiv_get_all(struct ac_equiv *e, const char *method, const char *taskhash, char **json,
		     struct ac_err *err);
/* Many at once (get-stream): unihashes[i] is "" when unknown. */
int ac_equiv_get_many(struct ac_equiv *e, const char *method, const char *const *taskhashes,
		      size_t n, char (*unihashes)[AC_HASH_HEX], struct ac_err *err);

struct ac_equiv_report {
	const char *method;
	const char *taskhash;
	const char *outhash;
	const char *unihash;  /* proposed: usually the taskhash */
	const char *task;     /* optional: the task's name */
	const char *siginfo;  /* optional: the outhash's hashed lines */
};
/* Report an outhash; resolved receives the unihash now in force. */
int ac_equiv_report(struct ac_equiv *e, const struct ac_equiv_report *rep,
		    char resolved[AC_HASH_HEX], struct ac_err *err);

/* Pieces of one message as the wire carries them: the JSON text plus "\n"
 * when shorter than AC_HASHSERV_MAX_CHUNK - 1 characters, else the
 * chunk-stream header, pieces of at most AC_HASHSERV_MAX_CHUNK - 1
 * characters each ending in "\n" (a piece never ends on a space, which the
 * server would strip), and an empty line. Returns the framed text
 * (malloc'd). */
char *ac_hashserv_frame(const char *json, size_t *outlen);

#endif /* ACCEL_RECORDER_EQUIV_H */
