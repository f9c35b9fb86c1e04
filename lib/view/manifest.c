// SPDX-License-Identifier: GPL-2.0-or-later
/* The manifest's one writer and one reader; see accel/view/manifest.h. */
#include "config.h"

#include "accel/view/manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accel/base/util.h"
#include "accel/exec/canon.h"
#include "accel/exec/layout.h"
#include "accel/view/retell.h"

char *ac_manifest_format(const struct ac_plan *plan, const char *store, const char *qemu,
			 const char *machine)
{
	size_t cap = 4096 + strlen(store) + (qemu ? strlen(qemu) : 0) +
		     (machine ? strlen(machine) : 0), len = 0;
	char *out;

	for (size_t i = 0; i < plan->n; i++)
		cap += strlen(plan->e[i].view) + strlen(plan->e[i].source) + 8;
	for (size_t i = 0; i < plan->nprograms; i++)
		cap += strlen(plan->programs[i]) + 16;
	for (size_t i = 0; i < plan->nretells; i++)
		cap += strlen(plan->retells[i].view) + strlen(plan->retells[i].from) +
		       strlen(plan->retells[i].to) + 16;
	for (size_t i = 0; i < plan->nstamps; i++)
		cap += strlen(plan->stamps[i].view) + strlen(plan->stamps[i].path) + 80;
	if (!(out = malloc(cap)))
		return NULL;
	len += (size_t)snprintf(out + len, cap - len, AC_MANIFEST_MAGIC "\nstore\t%s\n", store);
	if (qemu)
		len += (size_t)snprintf(out + len, cap - len, "qemu\t%s\n", qemu);
	if (machine)
		len += (size_t)snprintf(out + len, cap - len, "machine\t%s\n", machine);
	for (size_t i = 0; i < plan->nprograms; i++)
		len += (size_t)snprintf(out + len, cap - len, "# program %s\n", plan->programs[i]);
	for (size_t i = 0; i < plan->n; i++)
		len += (size_t)snprintf(out + len, cap - len, "%s\t%s\t%s\n",
					plan->e[i].link ? "link" : "file", plan->e[i].view,
					plan->e[i].source);
	for (size_t i = 0; i < plan->nretells; i++)
		len += (size_t)snprintf(out + len, cap - len, "retell\t%s\t%s\t%s\n",
					plan->retells[i].view, plan->retells[i].from,
					plan->retells[i].to);
	for (size_t i = 0; i < plan->nstamps; i++)
		len += (size_t)snprintf(out + len, cap - len, "stamp\t%s\t%lld %ld %llu %s\n",
					plan->stamps[i].view, plan->stamps[i].st.sec,
					plan->stamps[i].st.nsec, plan->stamps[i].st.size,
					plan->stamps[i].path);
	return out;
}

int ac_manifest_name_ok(const char *s, size_t len)
{
	return len && len < 256 && !(len == 1 && s[0] == '.') &&
	       !(len == 2 && s[0] == '.' && s[1] == '.');
}

/* A relative path of plain components, at most AC_MANIFEST_MAX_DEPTH. */
static int relpath_ok(const char *p)
{
	const char *c = p;
	int depth = 0;

	if (!*p || *p == '/' || strlen(p) >= 4096)
		return 0;
	for (const char *s = p;; s++) {
		if (*s == '/' || !*s) {
			if (!ac_manifest_name_ok(c, (size_t)(s - c)) ||
			    ++depth > AC_MANIFEST_MAX_DEPTH)
				return 0;
			if (!*s)
				return 1;
			c = s + 1;
		}
	}
}

/* View paths: the reserved directory holds only the loader and the library
 * aliases (qemu comes from its own line); nothing else may start with
 * AC_VREL_RESERVED. */
static int viewpath_ok(const char *p)
{
	const size_t rl = sizeof(AC_VREL_RESERVED) - 1;

	if (!relpath_ok(p))
		return 0;
	if (strncmp(p, AC_VREL_RESERVED, rl))
		return 1;
	return !strcmp(p, AC_VREL_LDSO) || !strncmp(p, AC_VREL_LIB "/", sizeof(AC_VREL_LIB)) ||
	       !strncmp(p, AC_VREL_USRLIB "/", sizeof(AC_VREL_USRLIB)) ||
	       !strcmp(p, AC_VREL_LDSO32) || !strncmp(p, AC_VREL_LIB32 "/", sizeof(AC_VREL_LIB32)) ||
	       !strncmp(p, AC_VREL_USRLIB32 "/", sizeof(AC_VREL_USRLIB32)) ||
	       !strncmp(p, AC_VREL_BFD_PLUGINS "/", sizeof(AC_VREL_BFD_PLUGINS));
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct ac_manifest_file *)a)->view,
		      ((const struct ac_manifest_file *)b)->view);
}

void ac_manifest_free(struct ac_manifest *m)
{
	for (size_t i = 0; i < m->nfiles; i++) {
		free(m->files[i].view);
		free(m->files[i].source);
	}
	free(m->files);
	ac_strv_free(m->programs, m->nprograms);
	free(m->store);
	free(m->qemu);
	free(m->machine);
	for (size_t i = 0; i < m->nretells; i++) {
		free(m->retells[i].view);
		free(m->retells[i].from);
		free(m->retells[i].to);
	}
	free(m->retells);
	for (size_t i = 0; i < m->nstamps; i++) {
		free(m->stamps[i].view);
		free(m->stamps[i].line);
	}
	free(m->stamps);
	memset(m, 0, sizeof(*m));
}


/* "stamp VIEW STAMP": STAMP must be one well-formed stamp line. */
static int parse_stamp(struct ac_manifest *m, const char *view, const char *stamp,
		       size_t lineno, struct ac_err *err)
{
	size_t len = strlen(stamp), pos = 0;
	char path[AC_PATH_MAX];
	struct ac_manifest_stamp *v;
	struct ac_stamp st;
	char *line;

	if (!viewpath_ok(view) || !(line = malloc(len + 2)))
		return viewpath_ok(view) ? -ENOMEM
					 : ac_fail(err, -EINVAL, "line %zu: malformed stamp entry", lineno);
	memcpy(line, stamp, len);
	line[len] = '\n';
	line[len + 1] = '\0';
	if (ac_stamp_next(line, len + 1, &pos, &st, path, sizeof(path)) != 1) {
		free(line);
		return ac_fail(err, -EINVAL, "line %zu: malformed stamp entry", lineno);
	}
	if (m->nstamps >= AC_MANIFEST_MAX_FILES) {
		free(line);
		return ac_fail(err, -E2BIG, "more than %d stamp entries", AC_MANIFEST_MAX_FILES);
	}
	if (!(v = realloc(m->stamps, (m->nstamps + 1) * sizeof(*v)))) {
		free(line);
		return -ENOMEM;
	}
	m->stamps = v;
	v += m->nstamps;
	v->line = line;
	if (!(v->view = strdup(view))) {
		free(line);
		return -ENOMEM;
	}
	m->nstamps++;
	return 0;
}

/* One line (NUL-terminated, without its newline) into m. */
static int parse_line(char *line, size_t lineno, struct ac_manifest *m, size_t *cap,
		      struct ac_err *err)
{
	char *f[4] = {0}, *save = NULL;
	int nf = 0;

	if (!line[0])
		return 0;
	if (line[0] == '#') {
		if (strncmp(line, "# program /", 11))
			return 0;
		return ac_strv_add(&m->programs, &m->nprograms, line + 10) < 0 ? -ENOMEM : 0;
	}
	for (char *t = strtok_r(line, "\t", &save); t; t = strtok_r(NULL, "\t", &save)) {
		if (nf == 4)
			break;
		f[nf++] = t;
	}
	if (nf == 2 && !strcmp(f[0], "store") && f[1][0] == '/' && !m->store)
		return (m->store = strdup(f[1])) ? 0 : -ENOMEM;
	if (nf == 2 && !strcmp(f[0], "qemu") && f[1][0] == '/' && !m->qemu)
		return (m->qemu = strdup(f[1])) ? 0 : -ENOMEM;
	if (nf == 2 && !strcmp(f[0], "machine") && f[1][0] == '/' && !m->machine)
		return (m->machine = strdup(f[1])) ? 0 : -ENOMEM;
	if (nf == 4 && !strcmp(f[0], "retell")) {
		struct ac_plan_retell *v;

		if (!viewpath_ok(f[1]) || strlen(f[2]) > AC_RETELL_MAX || strlen(f[3]) > AC_RETELL_MAX)
			return ac_fail(err, -EINVAL, "line %zu: malformed retell entry", lineno);
		if (m->nretells >= AC_MANIFEST_MAX_FILES)
			return ac_fail(err, -E2BIG, "more than %d retell entries", AC_MANIFEST_MAX_FILES);
		if (!(v = realloc(m->retells, (m->nretells + 1) * sizeof(*v))))
			return -ENOMEM;
		m->retells = v;
		v += m->nretells;
		v->view = strdup(f[1]);
		v->from = strdup(f[2]);
		v->to = strdup(f[3]);
		m->nretells++;
		return v->view && v->from && v->to ? 0 : -ENOMEM;
	}
	if (nf == 3 && !strcmp(f[0], "stamp"))
		return parse_stamp(m, f[1], f[2], lineno, err);
	if (nf != 3 || !viewpath_ok(f[1]) ||
	    !((!strcmp(f[0], "file") && relpath_ok(f[2])) ||
	      (!strcmp(f[0], "link") && f[2][0] == '/' && relpath_ok(f[2] + 1))))
		return ac_fail(err, -EINVAL, "line %zu: malformed entry", lineno);
	if (m->nfiles >= AC_MANIFEST_MAX_FILES)
		return ac_fail(err, -E2BIG, "more than %d files", AC_MANIFEST_MAX_FILES);
	if (m->nfiles == *cap) {
		size_t c = *cap ? *cap * 2 : 256;
		struct ac_manifest_file *nf2 = realloc(m->files, c * sizeof(*nf2));

		if (!nf2)
			return -ENOMEM;
		m->files = nf2;
		*cap = c;
	}
	m->files[m->nfiles].view = strdup(f[1]);
	m->files[m->nfiles].source = strdup(f[2]);
	m->files[m->nfiles].link = f[0][0] == 'l';
	if (!m->files[m->nfiles].view || !m->files[m->nfiles].source) {
		free(m->files[m->nfiles].view);
		free(m->files[m->nfiles].source);
		return -ENOMEM;
	}
	m->nfiles++;
	return 0;
}

int ac_manifest_parse(const char *text, size_t len, struct ac_manifest *m, struct ac_err *err)
{
	char line[AC_MANIFEST_MAX_LINE + 1];
	size_t lineno = 0, cap = 0;
	int r = 0;

	memset(m, 0, sizeof(*m));
	if (len > AC_MANIFEST_MAX)
		return ac_fail(err, -E2BIG, "larger than %u bytes", AC_MANIFEST_MAX);
	for (size_t at = 0; at < len && !r;) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t ll = nl ? (size_t)(nl - (text + at)) : len - at;

		lineno++;
		if (!nl || ll > AC_MANIFEST_MAX_LINE) {
			r = ac_fail(err, -EINVAL, "line %zu: too long or unterminated", lineno);
			break;
		}
		if (memchr(text + at, '\0', ll)) {
			r = ac_fail(err, -EINVAL, "line %zu: a NUL byte", lineno);
			break;
		}
		memcpy(line, text + at, ll);
		line[ll] = '\0';
		at += ll + 1;
		if (lineno == 1) {
			if (strcmp(line, AC_MANIFEST_MAGIC))
				r = ac_fail(err, -EINVAL, "not an accel manifest (no '%s' line)",
					    AC_MANIFEST_MAGIC);
			continue;
		}
		r = parse_line(line, lineno, m, &cap, err);
	}
	if (!r && !lineno)
		r = ac_fail(err, -EINVAL, "empty");
	if (!r && !m->store)
		r = ac_fail(err, -EINVAL, "names no store");
	if (!r && m->nfiles)
		qsort(m->files, m->nfiles, sizeof(*m->files), cmp_file);
	for (size_t i = 1; !r && i < m->nfiles; i++)
		if (!strcmp(m->files[i].view, m->files[i - 1].view))
			r = ac_fail(err, -EINVAL, "%s is listed twice", m->files[i].view);
	if (r)
		ac_manifest_free(m);
	return r;
}

int ac_manifest_read(int dirfd, const char *path, struct ac_manifest *m, struct ac_err *err)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd, r = 0;

	memset(m, 0, sizeof(*m));
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return ac_fail_errno(err, -errno, "manifest %s", path);
	if (fstat(fd, &st) < 0)
		r = ac_fail_errno(err, -errno, "manifest %s", path);
	else if (!S_ISREG(st.st_mode))
		r = ac_fail(err, -EINVAL, "manifest %s is not a regular file", path);
	else if ((unsigned long long)st.st_size > AC_MANIFEST_MAX)
		r = ac_fail(err, -E2BIG, "manifest %s is larger than %u bytes", path,
			    AC_MANIFEST_MAX);
	else if (!(buf = malloc((size_t)st.st_size + 1)))
		r = -ENOMEM;
	/* Sized by fstat: the file is replaced by rename, never changed. */
	while (!r && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? ac_fail_errno(err, -errno, "read manifest %s", path)
				  : ac_fail(err, -EIO, "manifest %s shrank while read", path);
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	if (!r) {
		r = ac_manifest_parse(buf, got, m, err);
		if (r && err) {
			char msg[AC_ERR_MAX];

			snprintf(msg, sizeof(msg), "%s", err->msg);
			ac_fail(err, r, "manifest %s: %s", path, msg);
		}
	}
	free(buf);
	return r;
}

int ac_manifest_has(const struct ac_manifest *m, const char *view)
{
	struct ac_manifest_file key = {.view = (char *)(uintptr_t)view};

	return m->nfiles && bsearch(&key, m->files, m->nfiles, sizeof(key), cmp_file);
}
