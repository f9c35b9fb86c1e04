// SPDX-License-Identifier: GPL-2.0-or-later
/* binfmt_misc entries; see accel/root/binfmt.h for the contract. */
#include "config.h"

#include "accel/root/binfmt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "accel/base/util.h"

#ifndef BINFMTFS_MAGIC
#define BINFMTFS_MAGIC 0x42494e4d
#endif

int ac_binfmt_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > AC_BINFMT_MAX_NAME || !strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	/* "register" and "status" are the control files themselves. */
	if (!strcmp(name, "register") || !strcmp(name, "status"))
		return 0;
	return strpbrk(name, "/:\n") == NULL;
}

int ac_binfmt_build(char *buf, size_t size, const char *name, const char *interp,
		    const char *flags)
{
	int n;

	if (!ac_binfmt_name_ok(name) || !interp || interp[0] != '/' || strchr(interp, ':') ||
	    strchr(interp, '\n'))
		return -EINVAL;
	n = snprintf(buf, size, ":%s:M::" AC_ARMEL_MAGIC ":" AC_ARMEL_MASK ":%s:%s", name, interp,
		     flags);
	if (n < 0 || (size_t)n >= size || n > AC_BINFMT_MAX_REGISTER)
		return -E2BIG;
	return 0;
}

/* Copy a status field; refuse values that do not fit instead of cutting. */
static int field(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		return -EINVAL;
	memcpy(dst, src, n + 1);
	return 0;
}

int ac_binfmt_parse_status(const char *text, struct ac_binfmt_entry *e)
{
	const char *line = text;
	int have_state = 0;

	memset(e, 0, sizeof(*e));
	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char l[4200];

		if (len >= sizeof(l))
			return -EINVAL;
		memcpy(l, line, len);
		l[len] = '\0';
		if (!strcmp(l, "enabled")) {
			e->enabled = 1;
			have_state = 1;
		} else if (!strcmp(l, "disabled")) {
			e->enabled = 0;
			have_state = 1;
		} else if (!strncmp(l, "interpreter ", 12)) {
			if (field(e->interpreter, sizeof(e->interpreter), l + 12))
				return -EINVAL;
		} else if (!strncmp(l, "flags: ", 7)) {
			if (field(e->flags, sizeof(e->flags), l + 7))
				return -EINVAL;
		} else if (!strncmp(l, "offset ", 7)) {
			e->offset = (unsigned int)strtoul(l + 7, NULL, 10);
		} else if (!strncmp(l, "magic ", 6)) {
			if (field(e->magic, sizeof(e->magic), l + 6))
				return -EINVAL;
		} else if (!strncmp(l, "mask ", 5)) {
			if (field(e->mask, sizeof(e->mask), l + 5))
				return -EINVAL;
		}
		line = end ? end + 1 : NULL;
	}
	return have_state && e->interpreter[0] ? 0 : -EINVAL;
}

int ac_binfmt_mounted(const char *dir)
{
	struct statfs sfs;

	return statfs(dir, &sfs) == 0 && sfs.f_type == BINFMTFS_MAGIC;
}

int ac_binfmt_ensure_mounted(const char *dir)
{
	if (ac_binfmt_mounted(dir))
		return 0;
	if (mount("binfmt_misc", dir, "binfmt_misc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return -errno;
	return 1;
}

int ac_binfmt_read(const char *dir, const char *name, struct ac_binfmt_entry *e)
{
	char path[4096], text[8192];
	long n;

	if (!ac_binfmt_name_ok(name))
		return -EINVAL;
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	n = ac_read_small(-1, path, text, sizeof(text));
	if (n < 0)
		return (int)n;
	return ac_binfmt_parse_status(text, e);
}

int ac_binfmt_register(const char *dir, const char *name, const char *interp, const char *flags)
{
	char reg[AC_BINFMT_MAX_REGISTER + 64], path[4096];
	int err = ac_binfmt_build(reg, sizeof(reg), name, interp, flags);

	if (err)
		return err;
	if (snprintf(path, sizeof(path), "%s/register", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return ac_write_proc(path, reg, strlen(reg));
}

int ac_binfmt_unregister(const char *dir, const char *name)
{
	char path[4096];

	if (!ac_binfmt_name_ok(name))
		return -EINVAL;
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return ac_write_proc(path, "-1", 2);
}
