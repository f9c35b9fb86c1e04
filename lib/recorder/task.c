// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * task.c - taskhashes, the task store and its archives
 * (accel/recorder/task.h). Errors go to the caller's struct ac_err; the
 * store's handle keeps none.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <sqlite3.h>

#include "accel/base/err.h"
#include "accel/base/util.h" /* ac_mkdir_p, ac_rm_rf */
#include "accel/recorder/sqlite.h"
#include "accel/recorder/task.h"

struct ac_taskstore {
	char dir[PATH_MAX];
	char db_path[PATH_MAX];
	sqlite3 *db;
};

const char *ac_taskstore_db(const struct ac_taskstore *s)
{
	return s->db_path;
}

static int no_memory(struct ac_err *err)
{
	return ac_fail(err, -ENOMEM, "out of memory");
}

/* libarchive's message for a, which it may not have. */
static const char *aerr(struct archive *a)
{
	const char *m = archive_error_string(a);

	return m ? m : "unknown libarchive error";
}

/* ------------------------------------------------------------ taskhash */

static int add_field(struct ac_buf *b, const char *key, const char *val)
{
	char head[64];
	int n, r;

	/* Length-prefixed: an argument holding "\n" cannot fake a field. */
	n = snprintf(head, sizeof(head), "%s=%zu:", key, strlen(val));
	r = ac_buf_add(b, head, (size_t)n);
	r = r ? r : ac_buf_add(b, val, strlen(val));
	return r ? r : ac_buf_add(b, "\n", 1);
}

int ac_taskhash(const struct ac_taskdef *def, struct ac_buf *text, char hex[AC_HASH_HEX])
{
	int r = ac_buf_add(text, "accel-task 1\n", 13);

	r = r ? r : add_field(text, "name", def->name);
	for (size_t i = 0; !r && def->argv[i]; i++)
		r = add_field(text, "arg", def->argv[i]);
	for (size_t i = 0; !r && def->env_names && def->env_names[i]; i++) {
		r = add_field(text, "env", def->env_names[i]);
		r = r ? r
		      : add_field(text, def->env_values[i] ? "value" : "unset",
				  def->env_values[i] ? def->env_values[i] : "");
	}
	r = r ? r : add_field(text, "output", def->output);
	for (size_t i = 0; !r && def->inputs && def->inputs[i]; i++) {
		r = add_field(text, "input", def->inputs[i]);
		r = r ? r : add_field(text, "content", def->input_hashes[i]);
	}
	for (size_t i = 0; !r && def->after_names && def->after_names[i]; i++) {
		r = add_field(text, "after", def->after_names[i]);
		r = r ? r : add_field(text, "unihash", def->after_unihashes[i]);
	}
	if (!r)
		ac_sha256_hex(text->p, text->len, hex);
	return r;
}

int ac_task_input_hash(const char *path, char *out, size_t size, struct ac_err *err)
{
	struct ac_outhash_opts o = {.task = "input"};
	char hex[AC_OUTHASH_HEX];
	struct stat st;
	int r;

	if (stat(path, &st) < 0)
		return ac_fail_errno(err, -errno, "input %s", path);
	if (S_ISDIR(st.st_mode)) {
		r = ac_outhash_tree(path, &o, hex, NULL, err);
		if (r)
			return r;
		r = snprintf(out, size, "dir %s", hex);
	} else if (!S_ISREG(st.st_mode)) {
		return ac_fail(err, -EINVAL, "input %s: neither a file nor a directory", path);
	} else {
		r = ac_sha256_file(path, hex);
		if (r)
			return ac_fail_errno(err, r, "input %s", path);
		r = snprintf(out, size, "file %s %c", hex, st.st_mode & S_IXUSR ? 'x' : '-');
	}
	if (r < 0 || (size_t)r >= size)
		return ac_fail(err, -ENAMETOOLONG, "input %s: its hash needs %d bytes, not %zu",
			       path, r + 1, size);
	return 0;
}

/* ------------------------------------------------------------ store */

static const char store_schema[] =
	"CREATE TABLE IF NOT EXISTS accel_tasks (name TEXT PRIMARY KEY, taskhash TEXT NOT NULL,"
	" unihash TEXT NOT NULL, outhash TEXT NOT NULL, updated INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS accel_archives (unihash TEXT NOT NULL, name TEXT NOT NULL,"
	" path TEXT NOT NULL, outhash TEXT NOT NULL, size INTEGER NOT NULL,"
	" created INTEGER NOT NULL, last_used INTEGER NOT NULL, PRIMARY KEY (unihash, name));";

int ac_taskstore_open(const char *dir, struct ac_taskstore **out, struct ac_err *err)
{
	struct ac_taskstore *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return no_memory(err);
	if (snprintf(s->dir, sizeof(s->dir), "%s", dir) >= (int)sizeof(s->dir) ||
	    snprintf(s->db_path, sizeof(s->db_path), "%s/accel.db", dir) >=
		    (int)sizeof(s->db_path)) {
		free(s);
		return ac_fail(err, -ENAMETOOLONG, "%s: store path too long", dir);
	}
	r = ac_mkdir_p(AT_FDCWD, dir, 0755);
	if (r) {
		free(s);
		return ac_fail_errno(err, r, "%s: cannot create the task store", dir);
	}
	r = ac_sqlite_open(s->db_path, store_schema, "the task store's database", &s->db, err);
	if (r) {
		ac_taskstore_close(s);
		return r;
	}
	*out = s;
	return 0;
}

void ac_taskstore_close(struct ac_taskstore *s)
{
	if (!s)
		return;
	sqlite3_close(s->db);
	free(s);
}

int ac_taskstore_last(struct ac_taskstore *s, const char *name, char unihash[AC_HASH_HEX],
		      struct ac_err *err)
{
	const char *t[] = {name};

	int r = ac_sqlite_text(s->db, "SELECT unihash FROM accel_tasks WHERE name=?1", t, 1,
			       unihash, AC_HASH_HEX, s->db_path, err);

	if (r == -ENOENT)
		ac_fail(err, r, "%s: task %s has not run", s->dir, name);
	return r;
}

int ac_taskstore_set_last(struct ac_taskstore *s, const char *name, const char *taskhash,
			  const char *unihash, const char *outhash, struct ac_err *err)
{
	const char *t[] = {name, taskhash, unihash, outhash};
	const long long now = (long long)time(NULL);

	return ac_sqlite_run(s->db,
			     "INSERT OR REPLACE INTO accel_tasks (name, taskhash, unihash, outhash,"
			     " updated) VALUES (?1, ?2, ?3, ?4, ?5)",
			     t, 4, &now, 1, s->db_path, err);
}

int ac_taskstore_lookup(struct ac_taskstore *s, const char *name, const char *unihash,
			char outhash[AC_HASH_HEX], struct ac_err *err)
{
	const char *t[] = {unihash, name};

	int r = ac_sqlite_text(s->db,
			       "SELECT outhash FROM accel_archives WHERE unihash=?1 AND name=?2", t,
			       2, outhash, AC_HASH_HEX, s->db_path, err);

	if (r == -ENOENT)
		ac_fail(err, r, "%s: no archive of task %s for unihash %s", s->dir, name,
			unihash);
	return r;
}

/* STORE/sstate/ab/cd/sstate:NAME:UNIHASH.tar.zst, relative to the store. */
static int archive_rel(const char *name, const char *unihash, char *out, size_t size)
{
	if (snprintf(out, size, "sstate/%.2s/%.2s/sstate:%s:%s.tar.zst", unihash, unihash + 2,
		     name, unihash) >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

/* Drop an archive and its row; err (may be NULL) says why that failed. */
static int forget(struct ac_taskstore *s, const char *name, const char *unihash,
		  struct ac_err *err)
{
	const char *t[] = {unihash, name};
	char rel[PATH_MAX], path[PATH_MAX * 2];

	if (!archive_rel(name, unihash, rel, sizeof(rel))) {
		snprintf(path, sizeof(path), "%s/%s", s->dir, rel);
		unlink(path);
	}
	return ac_sqlite_run(s->db, "DELETE FROM accel_archives WHERE unihash=?1 AND name=?2", t, 2,
			     NULL, 0, s->db_path, err);
}

/* Copy every entry read from disk to w (the top "." left out). */
static int copy_entries(struct archive *r, struct archive *w, struct ac_err *err)
{
	struct archive_entry *ent;
	char buf[65536];
	int rc;

	for (;;) {
		ent = archive_entry_new();
		rc = archive_read_next_header2(r, ent);
		if (rc == ARCHIVE_EOF) {
			archive_entry_free(ent);
			return 0;
		}
		if (rc < ARCHIVE_WARN) {
			ac_fail(err, -EIO, "%s", aerr(r));
			archive_entry_free(ent);
			return -EIO;
		}
		archive_read_disk_descend(r);
		if (!strcmp(archive_entry_pathname(ent), ".")) {
			archive_entry_free(ent);
			continue;
		}
		if (archive_write_header(w, ent) < ARCHIVE_WARN) {
			ac_fail(err, -EIO, "%s", aerr(w));
			archive_entry_free(ent);
			return -EIO;
		}
		if (archive_entry_filetype(ent) == AE_IFREG && archive_entry_size(ent) > 0) {
			la_ssize_t n;

			while ((n = archive_read_data(r, buf, sizeof(buf))) > 0)
				if (archive_write_data(w, buf, (size_t)n) != n) {
					ac_fail(err, -EIO, "%s", aerr(w));
					archive_entry_free(ent);
					return -EIO;
				}
			if (n < 0) {
				ac_fail(err, -EIO, "%s", aerr(r));
				archive_entry_free(ent);
				return -EIO;
			}
		}
		archive_entry_free(ent);
	}
}

int ac_taskstore_archive(struct ac_taskstore *s, const char *name, const char *unihash,
			 const char *dir, const char *outhash, struct ac_err *err)
{
	char rel[PATH_MAX], path[PATH_MAX * 2], tmp[PATH_MAX * 2 + 16], *slash;
	struct archive *rd = NULL, *wr = NULL;
	struct stat st;
	int fd = -1, cwd = -1, dfd = -1, r;

	r = archive_rel(name, unihash, rel, sizeof(rel));
	if (r)
		return ac_fail(err, r, "task name %s too long", name);
	snprintf(path, sizeof(path), "%s/%s", s->dir, rel);
	slash = strrchr(path, '/');
	*slash = '\0';
	r = ac_mkdir_p(AT_FDCWD, path, 0755);
	*slash = '/';
	if (r)
		return ac_fail_errno(err, r, "%s", path);
	snprintf(tmp, sizeof(tmp), "%.*s/.tmp-XXXXXX", (int)(slash - path), path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return ac_fail_errno(err, -errno, "%s", tmp);
	/* Entries are named ./x relative to dir: work from inside it. */
	cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0 || dfd < 0 || fchdir(dfd) < 0) {
		r = -errno;
		ac_fail_errno(err, r, "%s", dir);
		goto out;
	}
	rd = archive_read_disk_new();
	wr = archive_write_new();
	archive_read_disk_set_symlink_physical(rd);
	archive_read_disk_set_standard_lookup(rd);
	archive_write_set_format_pax_restricted(wr);
	archive_write_add_filter_zstd(wr);
	/* zstd frames carry a checksum of their content. */
	archive_write_set_filter_option(wr, "zstd", "compression-level", "6");
	if (archive_write_open_fd(wr, fd) != ARCHIVE_OK || archive_read_disk_open(rd, ".") !=
								    ARCHIVE_OK) {
		r = ac_fail(err, -EIO, "%s: %s", tmp,
			    archive_error_string(wr) ? aerr(wr) : aerr(rd));
		goto out;
	}
	r = copy_entries(rd, wr, err);
	if (!r && archive_write_close(wr) != ARCHIVE_OK)
		r = ac_fail(err, -EIO, "%s: %s", tmp, aerr(wr));
	if (!r && (fsync(fd) < 0 || fstat(fd, &st) < 0)) {
		r = -errno;
		ac_fail_errno(err, r, "%s", tmp);
	}
	if (!r && rename(tmp, path) < 0) {
		r = -errno;
		ac_fail_errno(err, r, "%s", path);
	}
	if (!r) {
		const char *t[] = {unihash, name, rel, outhash};
		const long long nums[] = {(long long)st.st_size, (long long)time(NULL)};

		r = ac_sqlite_run(s->db,
				  "INSERT OR REPLACE INTO accel_archives (unihash, name, path,"
				  " outhash, size, created, last_used) VALUES (?1, ?2, ?3, ?4,"
				  " ?5, ?6, ?6)",
				  t, 4, nums, 2, s->db_path, err);
	}
out:
	if (cwd >= 0 && fchdir(cwd) < 0 && !r)
		r = ac_fail_errno(err, -errno, "cannot return to the working directory");
	if (rd)
		archive_read_free(rd);
	if (wr)
		archive_write_free(wr);
	if (r)
		unlink(tmp);
	close(fd);
	if (cwd >= 0)
		close(cwd);
	if (dfd >= 0)
		close(dfd);
	return r;
}

static int extract(const char *archive, const char *into, struct ac_err *err)
{
	struct archive *rd = archive_read_new(), *wr = archive_write_disk_new();
	struct archive_entry *ent;
	int flags = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR |
		    ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
		    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
	char target[PATH_MAX * 2], buf[65536];
	int r = 0, rc;

	if (geteuid() == 0)
		flags |= ARCHIVE_EXTRACT_OWNER;
	archive_read_support_filter_zstd(rd);
	archive_read_support_format_tar(rd);
	archive_write_disk_set_options(wr, flags);
	archive_write_disk_set_standard_lookup(wr);
	if (archive_read_open_filename(rd, archive, 65536) != ARCHIVE_OK) {
		r = ac_fail(err, -EBADMSG, "%s", aerr(rd));
		goto out;
	}
	while ((rc = archive_read_next_header(rd, &ent)) == ARCHIVE_OK) {
		const char *p = archive_entry_pathname(ent);
		const char *hl = archive_entry_hardlink(ent);
		la_ssize_t n;

		if (snprintf(target, sizeof(target), "%s/%s", into, p) >= (int)sizeof(target)) {
			r = ac_fail(err, -EBADMSG, "%s: name too long", p);
			goto out;
		}
		archive_entry_set_pathname(ent, target);
		if (hl) {
			if (snprintf(target, sizeof(target), "%s/%s", into, hl) >=
			    (int)sizeof(target)) {
				r = ac_fail(err, -EBADMSG, "%s: link target name too long", p);
				goto out;
			}
			archive_entry_set_hardlink(ent, target);
		}
		if (archive_write_header(wr, ent) < ARCHIVE_WARN) {
			r = ac_fail(err, -EBADMSG, "%s", aerr(wr));
			goto out;
		}
		while ((n = archive_read_data(rd, buf, sizeof(buf))) > 0)
			if (archive_write_data(wr, buf, (size_t)n) != n) {
				r = ac_fail(err, -EIO, "%s", aerr(wr));
				goto out;
			}
		if (n < 0) {
			r = ac_fail(err, -EBADMSG, "%s", aerr(rd));
			goto out;
		}
		if (archive_write_finish_entry(wr) < ARCHIVE_WARN) {
			r = ac_fail(err, -EIO, "%s", aerr(wr));
			goto out;
		}
	}
	if (rc != ARCHIVE_EOF)
		r = ac_fail(err, -EBADMSG, "%s", aerr(rd));
out:
	/* Directory modes and times are applied at close. */
	if (archive_write_close(wr) != ARCHIVE_OK && !r)
		r = ac_fail(err, -EIO, "%s", aerr(wr));
	archive_read_free(rd);
	archive_write_free(wr);
	return r;
}

int ac_taskstore_restore(struct ac_taskstore *s, const char *name, const char *unihash,
			 const char *dir, const struct ac_outhash_opts *o, struct ac_err *err)
{
	char rel[PATH_MAX], path[PATH_MAX * 2], tmp[PATH_MAX + 32], copy[PATH_MAX];
	char want[AC_HASH_HEX], got[AC_OUTHASH_HEX];
	struct ac_err inner = {0}; /* extract's or the outhash's, put after path */
	struct stat st;
	int r;

	r = ac_taskstore_lookup(s, name, unihash, want, err);
	if (r)
		return r;
	r = archive_rel(name, unihash, rel, sizeof(rel));
	if (r)
		return ac_fail(err, r, "task name %s too long", name);
	snprintf(path, sizeof(path), "%s/%s", s->dir, rel);
	if (stat(path, &st) < 0) {
		ac_fail(err, -EBADMSG, "%s: %s", path, strerror(errno));
		forget(s, name, unihash, NULL);
		return -EBADMSG;
	}
	/* Beside dir: on the same file system, so the swap is a rename. */
	if (snprintf(copy, sizeof(copy), "%s", dir) >= (int)sizeof(copy) ||
	    snprintf(tmp, sizeof(tmp), "%s/.accel-restore-XXXXXX", dirname(copy)) >=
		    (int)sizeof(tmp))
		return ac_fail(err, -ENAMETOOLONG, "%s: path too long to restore beside", dir);
	if (!mkdtemp(tmp))
		return ac_fail_errno(err, -errno, "%s", tmp);
	r = extract(path, tmp, &inner);
	if (!r) {
		r = ac_outhash_tree(tmp, o, got, NULL, &inner);
		if (!r && strcmp(got, want))
			r = ac_fail(&inner, -EBADMSG,
				    "outhash %.16s... where %.16s... was recorded", got, want);
	}
	if (r) {
		ac_rm_rf(AT_FDCWD, tmp);
		ac_fail(err, r, "%s: %s", path, inner.msg);
		if (r == -EBADMSG)
			forget(s, name, unihash, NULL);
		return r;
	}
	/* The extracted tree's top has the archived directory's mode. */
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_EXCHANGE) == 0) {
		r = ac_rm_rf(AT_FDCWD, tmp);
	} else if (errno == ENOENT) {
		r = rename(tmp, dir) < 0 ? -errno : 0;
	} else {
		r = -errno;
	}
	if (r) {
		ac_fail_errno(err, r, "%s", dir);
		ac_rm_rf(AT_FDCWD, tmp);
		return r;
	}
	{
		const char *t[] = {unihash, name};
		const long long now = (long long)time(NULL);

		ac_sqlite_run(s->db,
			      "UPDATE accel_archives SET last_used=?3 WHERE unihash=?1 AND name=?2", t,
			      2, &now, 1, s->db_path, NULL);
	}
	return 0;
}

int ac_taskstore_gc(struct ac_taskstore *s, unsigned long long max_bytes, time_t max_age,
		    struct ac_gc_result *res, struct ac_err *err)
{
	struct row {
		char unihash[AC_HASH_HEX];
		char *name;
		long long size, last_used;
	} *v = NULL;
	size_t n = 0;
	unsigned long long total = 0;
	sqlite3_stmt *st;
	time_t now = time(NULL);
	int r, rc;

	memset(res, 0, sizeof(*res));
	r = ac_sqlite_prepare(s->db,
			      "SELECT unihash, name, size, last_used FROM accel_archives ORDER BY"
			      " last_used ASC, created ASC",
			      NULL, 0, &st, s->db_path, err);
	if (r)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct row *nv = realloc(v, (n + 1) * sizeof(*v));
		const char *uh = (const char *)sqlite3_column_text(st, 0);
		const char *nm = (const char *)sqlite3_column_text(st, 1);

		if (!nv) {
			r = no_memory(err);
			break;
		}
		v = nv;
		/* A row that names no archive this store could have written:
		 * leave it, forget() could not find its file. */
		if (!uh || strlen(uh) != AC_HASH_HEX - 1 || !nm)
			continue;
		memcpy(v[n].unihash, uh, AC_HASH_HEX);
		v[n].name = strdup(nm);
		if (!v[n].name) {
			r = no_memory(err);
			break;
		}
		v[n].size = sqlite3_column_int64(st, 2);
		v[n].last_used = sqlite3_column_int64(st, 3);
		total += (unsigned long long)v[n].size;
		n++;
	}
	if (!r && rc != SQLITE_DONE)
		r = ac_sqlite_fail(s->db, s->db_path, err);
	sqlite3_finalize(st);
	for (size_t i = 0; !r && i < n; i++) {
		int old = max_age && now - v[i].last_used > max_age;
		int big = max_bytes && total > max_bytes;

		if (old || big) {
			r = forget(s, v[i].name, v[i].unihash, err);
			total -= (unsigned long long)v[i].size;
			res->removed++;
			res->freed += (unsigned long long)v[i].size;
		} else {
			res->kept++;
		}
	}
	res->left = total;
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
	return r;
}
