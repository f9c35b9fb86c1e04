// SPDX-License-Identifier: GPL-2.0-or-later
/* Code a native program is handed by path; see accel/exec/plugin.h. */
#include "config.h"

#include "accel/exec/plugin.h"

#include "accel/exec/canon.h"
#include "accel/exec/layout.h"
#include "accel/exec/route.h"
#include "accel/exec/str.h"
#include "accel/exec/sys.h"

/* The options, with whether their path follows in the next argument too
 * (the "=" form always works). */
static const struct {
	const char *name;
	size_t len;
	int separate;
} options[] = {
	{"-plugin", 7, 1},
	{"--plugin", 8, 1},
	{"-fplugin", 8, 0},
};
#define NOPTIONS (sizeof(options) / sizeof(options[0]))

/* Which option a is ("-plugin" alone: *path_next; "-plugin=P": *value = P),
 * or -1. */
static int option_of(const char *a, int *path_next, const char **value)
{
	for (size_t i = 0; i < NOPTIONS; i++) {
		if (!ac_prefix_eq(a, options[i].name, options[i].len))
			continue;
		if (a[options[i].len] == '=') {
			*path_next = 0;
			*value = a + options[i].len + 1;
			return (int)i;
		}
		if (!a[options[i].len] && options[i].separate) {
			*path_next = 1;
			*value = NULL;
			return (int)i;
		}
	}
	return -1;
}

/* The view's host build of path (as the program would open it), into out
 * after prefix: 1 when served, 0 not (or not a path at all). */
static int host_build(const char *path, const char *cwd, const char *prefix, size_t plen,
		      char *out, size_t size, int (*served)(const char *, void *), void *ctx)
{
	char canon[AC_PATH_MAX], here[AC_PATH_MAX];
	size_t len = 0;
	long cl;
	int slash = 0;

	for (const char *p = path; *p; p++)
		slash |= *p == '/';
	/* A bare name is looked up in the program's own directories. */
	if (!slash)
		return 0;
	if (path[0] != '/' && !cwd) {
		if (ac_getcwd(here, sizeof(here)) <= 0)
			return 0;
		cwd = here;
	}
	cl = ac_canon(AT_FDCWD, path[0] == '/' ? NULL : cwd, path, canon, sizeof(canon));
	if (cl <= 0 || ac_in_view(canon))
		return 0;
	if (ac_append(out, &len, size, prefix, plen) ||
	    ac_append(out, &len, size, AC_VIEW_DIR, sizeof(AC_VIEW_DIR) - 1) ||
	    ac_append(out, &len, size, canon, (size_t)cl))
		return 0;
	return served(out + plen, ctx);
}

/* Is the response file at path free of plugin options? 1 yes, 0 no, or
 * unreadable (the program is then emulated: it fails there as it would). A
 * file that does not exist is no response file: ld takes "@x" as a name. */
static int response_file_clean(const char *path)
{
	char buf[4096] = {0};
	size_t have = 0;
	long fd, n;
	int clean = 1;

	fd = ac_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return fd == -ENOENT;
	/* Windows that overlap: an option cut by one is whole in the next. */
	for (;;) {
		n = ac_read((int)fd, buf + have, sizeof(buf) - have);
		if (n == -EINTR)
			continue;
		if (n <= 0) {
			clean = n == 0;
			break;
		}
		have += (size_t)n;
		if (ac_plugin_text_names(buf, have)) {
			clean = 0;
			break;
		}
		if (have > AC_PLUGIN_OVERLAP) {
			ac_memmove(buf, buf + have - AC_PLUGIN_OVERLAP, AC_PLUGIN_OVERLAP);
			have = AC_PLUGIN_OVERLAP;
		}
	}
	ac_close((int)fd);
	return clean;
}

static int word_break(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' ||
	       c == '"' || c == '\'';
}

int ac_plugin_text_names(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (text[i] != '-' || (i && !word_break(text[i - 1])))
			continue;
		for (size_t k = 0; k < NOPTIONS; k++) {
			size_t ol = options[k].len;
			char after = ' '; /* "-plugin" at the window's end may go on: count it */

			if (i + ol > len || !ac_prefix_eq(text + i, options[k].name, ol))
				continue;
			if (i + ol < len)
				after = text[i + ol];
			if (after == '=' || (options[k].separate && word_break(after)))
				return 1;
		}
	}
	return 0;
}

void ac_plugin_restore(struct ac_plugin_undo *undo)
{
	while (undo->n) {
		undo->n--;
		*undo->slot[undo->n] = undo->orig[undo->n];
	}
}

enum ac_plugin ac_plugin_rewrite(char **args, const char *cwd, char *buf, size_t size,
				 struct ac_plugin_undo *undo,
				 int (*served)(const char *hostpath, void *ctx), void *ctx)
{
	size_t used = 0;

	undo->n = 0;
	for (size_t i = 1; args && args[0] && args[i]; i++) {
		const char *a = args[i], *value;
		int next;
		size_t plen;
		char *out = buf + used;

		if (a[0] == '@' && a[1]) {
			if (!response_file_clean(a + 1))
				goto emulate;
			continue;
		}
		if (a[0] != '-' || option_of(a, &next, &value) < 0)
			continue;
		if (next) {
			if (!args[i + 1])
				break; /* the program says what is missing */
			i++;
			value = args[i];
			plen = 0;
		} else {
			plen = (size_t)(value - a);
		}
		/* Passed on by a native program that was given it (collect2 -> ld):
		 * the view's host build already. */
		if (ac_prefix_eq(value, AC_VIEW_DIR "/", sizeof(AC_VIEW_DIR)))
			continue;
		if (undo->n == AC_PLUGIN_ARGS_MAX || used >= size ||
		    !host_build(value, cwd, a, plen, out, size - used, served, ctx))
			goto emulate;
		undo->slot[undo->n] = &args[i];
		undo->orig[undo->n++] = args[i];
		args[i] = out;
		used += ac_strlen(out) + 1;
	}
	return undo->n ? AC_PLUGIN_REWRITTEN : AC_PLUGIN_NONE;
emulate:
	ac_plugin_restore(undo);
	return AC_PLUGIN_EMULATE;
}

void ac_plugin_unview(char **args, char *buf, size_t size)
{
	size_t used = 0;

	for (size_t i = 1; args && args[0] && args[i]; i++) {
		const char *a = args[i], *value;
		int next;
		size_t plen, vl;

		if (a[0] != '-' || option_of(a, &next, &value) < 0)
			continue;
		if (next) {
			if (!args[i + 1])
				break;
			value = args[++i];
		}
		if (!ac_prefix_eq(value, AC_VIEW_DIR "/", sizeof(AC_VIEW_DIR)))
			continue;
		if (next) {
			args[i] += sizeof(AC_VIEW_DIR) - 1;
			continue;
		}
		/* "-plugin=/lib-x86/P" -> "-plugin=/P", copied */
		plen = (size_t)(value - a);
		vl = ac_strlen(value + sizeof(AC_VIEW_DIR) - 1);
		if (used + plen + vl + 1 > size)
			break;
		ac_memmove(buf + used, a, plen);
		ac_memmove(buf + used + plen, value + sizeof(AC_VIEW_DIR) - 1, vl + 1);
		args[i] = buf + used;
		used += plen + vl + 1;
	}
}
