/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * accel/recorder/sqlite.h - the recorder's SQLite plumbing, shared by the
 * equivalence database (equiv.c) and the task store (task.c).
 *
 * Owns: how a recorder database is opened (created if missing, WAL,
 * synchronous NORMAL, writers from other processes waited for, a schema
 * applied) and the few statement shapes both need: run SQL text, run one
 * statement with text (and number) parameters, read one text value.
 *
 * Functions return 0 or -errno: -EIO when SQLite failed, with err saying
 * "WHAT: SQLite's message" (what names the database or the operation);
 * -ENOMEM out of memory. err may be NULL.
 */
#ifndef ACCEL_RECORDER_SQLITE_H
#define ACCEL_RECORDER_SQLITE_H

#include <stddef.h>

#include <sqlite3.h>

#include "accel/base/err.h"

/* Writers of another process are waited for this long before SQLITE_BUSY:
 * a report's transaction is short, a task store's gc is not much longer. */
#define AC_SQLITE_BUSY_MS (60 * 1000)

/*
 * Open (create) the database at path into *out, WAL and synchronous
 * NORMAL, then run schema (CREATE ... IF NOT EXISTS statements). noun says
 * what the file is: "PATH: cannot open NOUN: why". On failure *out is NULL.
 */
int ac_sqlite_open(const char *path, const char *schema, const char *noun, sqlite3 **out,
		   struct ac_err *err);

/* Run sql (one or more statements, no parameters). */
int ac_sqlite_exec(sqlite3 *db, const char *sql, const char *what, struct ac_err *err);

/* Record db's last error as "what: message"; returns -EIO. */
int ac_sqlite_fail(sqlite3 *db, const char *what, struct ac_err *err);

/* Prepare sql into *st with texts[0..n-1] bound to ?1..?n (a NULL text
 * binds NULL). The caller finalizes *st. */
int ac_sqlite_prepare(sqlite3 *db, const char *sql, const char *const *texts, int n,
		      sqlite3_stmt **st, const char *what, struct ac_err *err);

/* Run one statement that returns no rows: texts bound to ?1..?n, then
 * nums[0..m-1] to ?n+1..?n+m. */
int ac_sqlite_run(sqlite3 *db, const char *sql, const char *const *texts, int n,
		  const long long *nums, int m, const char *what, struct ac_err *err);

/* The first column of the first row of sql (texts bound to ?1..?n) into
 * out (size bytes, NULL read as ""). -ENOENT when there is no row (err
 * untouched: the caller knows what was missing); a value that does not fit
 * is refused with -EIO. */
int ac_sqlite_text(sqlite3 *db, const char *sql, const char *const *texts, int n, char *out,
		   size_t size, const char *what, struct ac_err *err);

#endif /* ACCEL_RECORDER_SQLITE_H */
