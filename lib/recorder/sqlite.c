// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sqlite.c - opening recorder databases and running their statements
 * (accel/recorder/sqlite.h).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "accel/recorder/sqlite.h"

int ac_sqlite_fail(sqlite3 *db, const char *what, struct ac_err *err)
{
	return ac_fail(err, -EIO, "%s: %s", what, sqlite3_errmsg(db));
}

int ac_sqlite_exec(sqlite3 *db, const char *sql, const char *what, struct ac_err *err)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		ac_fail(err, -EIO, "%s: %s", what, msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

int ac_sqlite_open(const char *path, const char *schema, const char *noun, sqlite3 **out,
		   struct ac_err *err)
{
	sqlite3 *db = NULL;
	int r;

	*out = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		/* Without a handle SQLite could not even allocate one. */
		r = db ? -EIO : -ENOMEM;
		ac_fail(err, r, "%s: cannot open %s: %s", path, noun,
			db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return r;
	}
	/* Writers from other processes wait for each other instead of
	 * failing with SQLITE_BUSY. */
	sqlite3_busy_timeout(db, AC_SQLITE_BUSY_MS);
	r = ac_sqlite_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;", path,
			   err);
	if (!r && schema)
		r = ac_sqlite_exec(db, schema, path, err);
	if (r) {
		sqlite3_close(db);
		return r;
	}
	*out = db;
	return 0;
}

int ac_sqlite_prepare(sqlite3 *db, const char *sql, const char *const *texts, int n,
		      sqlite3_stmt **st, const char *what, struct ac_err *err)
{
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return ac_sqlite_fail(db, what, err);
	}
	for (int k = 0; k < n; k++)
		if (sqlite3_bind_text(*st, k + 1, texts[k], -1, SQLITE_STATIC) != SQLITE_OK) {
			ac_sqlite_fail(db, what, err);
			sqlite3_finalize(*st);
			*st = NULL;
			return -EIO;
		}
	return 0;
}

int ac_sqlite_run(sqlite3 *db, const char *sql, const char *const *texts, int n,
		  const long long *nums, int m, const char *what, struct ac_err *err)
{
	sqlite3_stmt *st;
	int r = ac_sqlite_prepare(db, sql, texts, n, &st, what, err);

	if (r)
		return r;
	for (int k = 0; k < m && !r; k++)
		if (sqlite3_bind_int64(st, n + k + 1, nums[k]) != SQLITE_OK)
			r = ac_sqlite_fail(db, what, err);
	if (!r && sqlite3_step(st) != SQLITE_DONE)
		r = ac_sqlite_fail(db, what, err);
	sqlite3_finalize(st);
	return r;
}

int ac_sqlite_text(sqlite3 *db, const char *sql, const char *const *texts, int n, char *out,
		   size_t size, const char *what, struct ac_err *err)
{
	sqlite3_stmt *st;
	const char *v;
	int r = ac_sqlite_prepare(db, sql, texts, n, &st, what, err);

	if (r)
		return r;
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		v = (const char *)sqlite3_column_text(st, 0);
		v = v ? v : "";
		if (strlen(v) >= size) {
			r = ac_fail(err, -EIO, "%s: a stored value of %zu bytes where at most %zu "
					       "fit (a damaged database?)",
				    what, strlen(v), size - 1);
			break;
		}
		strcpy(out, v);
		break;
	case SQLITE_DONE:
		r = -ENOENT;
		break;
	default:
		r = ac_sqlite_fail(db, what, err);
	}
	sqlite3_finalize(st);
	return r;
}
