// SPDX-License-Identifier: GPL-2.0-or-later
/* Stamps of served programs; see accel/exec/stamp.h for the contract. */
#include "config.h"

#include "accel/exec/stamp.h"

#include "accel/exec/sys.h"

/* A decimal number ending at a space; *i moves past the space. */
static int number(const char *t, size_t len, size_t *i, unsigned long long max,
		  unsigned long long *out)
{
	unsigned long long v = 0;
	size_t start = *i;

	while (*i < len && t[*i] >= '0' && t[*i] <= '9') {
		unsigned d = (unsigned)(t[*i] - '0');

		if (v > (max - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
		++*i;
	}
	if (*i == start || *i - start > 20 || *i >= len || t[*i] != ' ')
		return -EINVAL;
	++*i;
	*out = v;
	return 0;
}

int ac_stamp_next(const char *text, size_t len, size_t *pos, struct ac_stamp *st, char *path,
		  size_t psize)
{
	unsigned long long sec, nsec, size;
	size_t i = *pos, n = 0;

	if (i >= len)
		return 0;
	if (number(text, len, &i, 0x7fffffffffffffffULL, &sec) ||
	    number(text, len, &i, 999999999ULL, &nsec) || number(text, len, &i, ~0ULL, &size))
		return -EINVAL;
	if (i >= len || text[i] != '/')
		return -EINVAL;
	while (i < len && text[i] != '\n') {
		if (!text[i] || n + 1 >= psize)
			return -EINVAL;
		path[n++] = text[i++];
	}
	if (i >= len)
		return -EINVAL; /* every line ends in '\n' */
	path[n] = '\0';
	st->sec = (long long)sec;
	st->nsec = (long)nsec;
	st->size = size;
	*pos = i + 1;
	return 1;
}

int ac_stamp_same(const struct ac_stamp *want, const struct ac_stamp *have)
{
	return want->size == have->size && want->sec == have->sec &&
	       (want->nsec == have->nsec || !want->nsec || !have->nsec);
}

int ac_stamps_hold(int dirfd, const char *text, size_t len)
{
	char path[4096];
	size_t pos = 0;
	int r, lines = 0;

	while ((r = ac_stamp_next(text, len, &pos, &(struct ac_stamp){0}, path, sizeof(path))) == 1)
		lines++;
	if (r < 0 || !lines)
		return -EINVAL;
	pos = 0;
	for (;;) {
		struct ac_stamp want, have;
		struct ac_statx stx = {0};

		if (ac_stamp_next(text, len, &pos, &want, path, sizeof(path)) != 1)
			return 1;
		if (ac_stat_size_mtime(dirfd, dirfd == AT_FDCWD ? path : path + 1, &stx) < 0 ||
		    (stx.mask & AC_STATX_SIZE_MTIME) != AC_STATX_SIZE_MTIME)
			return 0;
		have.sec = stx.mtime.sec;
		have.nsec = (long)stx.mtime.nsec;
		have.size = stx.size;
		if (!ac_stamp_same(&want, &have))
			return 0;
	}
}
