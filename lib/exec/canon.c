// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Canonical paths inside a root; see accel/exec/canon.h for the contract.
 *
 * One readlinkat() per path component: EINVAL means "exists, not a link",
 * which is all the dispatcher needs to know, and it is the cheapest lookup
 * the kernel offers (no struct stat to fill). ".." is applied to the already
 * resolved prefix, after any link in it was followed, as POSIX requires.
 */
#include "config.h"

#include "accel/exec/canon.h"

#include "accel/exec/str.h"
#include "accel/exec/sys.h"

/* Ask the kernel about out (an absolute path inside the root). */
static long readlink_in_root(int rootfd, const char *abs, char *buf, size_t size)
{
	if (rootfd == AT_FDCWD)
		return ac_readlinkat(AT_FDCWD, abs, buf, size);
	/* Relative to the root fd. Every component before the last one was
	 * checked to be a non-link already, so the kernel cannot leave it. */
	return ac_readlinkat(rootfd, abs[1] ? abs + 1 : ".", buf, size);
}

long ac_canon(int rootfd, const char *cwd, const char *path, char *out, size_t outsz)
{
	char rest[AC_PATH_MAX]; /* what is still to be resolved */
	char link[AC_PATH_MAX]; /* a link target, then target + remainder */
	size_t restlen = 0, olen = 0, p = 0;
	unsigned int links = 0;
	int err;

	if (!path || !path[0] || outsz < 2)
		return -EINVAL;
	rest[0] = '\0';
	if (path[0] != '/') {
		if (!cwd || cwd[0] != '/')
			return -EINVAL;
		if ((err = ac_append(rest, &restlen, sizeof(rest), cwd, ac_strlen(cwd))) ||
		    (err = ac_append(rest, &restlen, sizeof(rest), "/", 1)))
			return err;
	}
	if ((err = ac_append(rest, &restlen, sizeof(rest), path, ac_strlen(path))))
		return err;

	out[0] = '\0';
	while (p < restlen) {
		size_t q, n, before;
		long r;

		while (p < restlen && rest[p] == '/')
			p++;
		for (q = p; q < restlen && rest[q] != '/'; q++)
			;
		n = q - p;
		if (n == 0)
			break;
		if (n == 1 && rest[p] == '.') {
			p = q;
			continue;
		}
		if (n == 2 && rest[p] == '.' && rest[p + 1] == '.') {
			/* At the top, ".." stays at the top, as in a chroot. */
			while (olen > 0 && out[olen - 1] != '/')
				olen--;
			if (olen > 0)
				olen--;
			out[olen] = '\0';
			p = q;
			continue;
		}

		before = olen;
		if ((err = ac_append(out, &olen, outsz, "/", 1)) ||
		    (err = ac_append(out, &olen, outsz, rest + p, n))) {
			out[before] = '\0';
			return err;
		}

		r = readlink_in_root(rootfd, out, link, sizeof(link));
		if (r == -EINVAL) { /* exists and is not a symlink */
			p = q;
			continue;
		}
		if (r < 0)
			return r;
		if (r == 0) /* an empty link resolves to nothing */
			return -ENOENT;
		if ((size_t)r >= sizeof(link))
			return -ENAMETOOLONG;
		if (++links > AC_MAXSYMLINKS)
			return -ELOOP;

		/* New remainder: the link target, then what followed the link. */
		{
			size_t llen = (size_t)r;

			link[llen] = '\0';
			if ((err = ac_append(link, &llen, sizeof(link), rest + q, restlen - q)))
				return err;
			ac_memmove(rest, link, llen + 1);
			restlen = llen;
		}
		p = 0;
		/* A relative target is resolved from the link's directory, an
		 * absolute one from the top of the root. */
		olen = rest[0] == '/' ? 0 : before;
		out[olen] = '\0';
	}

	if (olen == 0) {
		out[0] = '/';
		out[1] = '\0';
		olen = 1;
	}
	return (long)olen;
}
