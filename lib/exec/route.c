// SPDX-License-Identifier: GPL-2.0-or-later
/* The dispatcher's decision; see accel/exec/route.h for the contract. */
#include "config.h"

#include "accel/exec/route.h"

#include "accel/exec/canon.h"
#include "accel/exec/str.h"

enum ac_parse ac_binfmt_parse(int argc, char **argv, struct ac_binfmt_call *call)
{
	call->filename = NULL;
	call->argv0 = (char *)"";
	call->args = NULL;
	call->nargs = 0;
	if (argc < 2 || !argv[1])
		return AC_PARSE_NO_FILENAME;
	call->filename = argv[1];
	call->args = argv + 2;
	/*
	 * Since Linux 5.18 an exec with an empty argv gets argv = { "" }, so
	 * with P there is always an argv0. Older kernels pass none.
	 */
	if (argc == 2)
		return AC_PARSE_NO_ARGV0;
	call->argv0 = argv[2];
	call->nargs = argc - 2;
	return AC_PARSE_OK;
}

/* Is path dir itself or below it (component-wise)? */
static int under(const char *path, const char *dir)
{
	size_t i;

	for (i = 0; dir[i]; i++)
		if (path[i] != dir[i])
			return 0;
	return path[i] == '\0' || path[i] == '/';
}

int ac_in_view(const char *path)
{
	return under(path, AC_VIEW_DIR);
}

enum ac_route ac_route_decide(const char *canon, long canon_len, char *hostpath, size_t hsize)
{
	size_t len = 0;

	if (canon_len <= 0 || canon[0] != '/')
		return AC_ROUTE_QEMU_NO_CANON;
	if (ac_in_view(canon))
		return AC_ROUTE_QEMU_IN_VIEW;
	if (under(canon, AC_RESERVED_DIR))
		return AC_ROUTE_QEMU_RESERVED;
	if (hsize == 0)
		return AC_ROUTE_QEMU_TOO_LONG;
	hostpath[0] = '\0';
	if (ac_append(hostpath, &len, hsize, AC_VIEW_DIR, sizeof(AC_VIEW_DIR) - 1) ||
	    ac_append(hostpath, &len, hsize, canon, (size_t)canon_len))
		return AC_ROUTE_QEMU_TOO_LONG;
	return AC_ROUTE_HOST;
}

const char *ac_route_name(enum ac_route route)
{
	switch (route) {
	case AC_ROUTE_HOST:
		return "host";
	case AC_ROUTE_QEMU_NO_CANON:
		return "qemu (no canonical path)";
	case AC_ROUTE_QEMU_IN_VIEW:
		return "qemu (binary inside the view)";
	case AC_ROUTE_QEMU_TOO_LONG:
		return "qemu (view path too long)";
	case AC_ROUTE_QEMU_RESERVED:
		return "qemu (path reserved for the view's own files)";
	}
	return "unknown";
}
