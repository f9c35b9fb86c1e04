/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accel/exec/str.h - the few string helpers that freestanding code needs.
 *
 * Contract: plain byte strings, no locale, no allocation. Bounded helpers
 * refuse instead of truncating: they return -ENAMETOOLONG and leave the
 * destination terminated at its previous length.
 */
#ifndef ACCEL_EXEC_STR_H
#define ACCEL_EXEC_STR_H

#include <errno.h>
#include <stddef.h>

static inline size_t ac_strlen(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return (size_t)(p - s);
}

static inline int ac_streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/* Do the first n bytes of a and b match (neither may end before n)? */
static inline int ac_prefix_eq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i] || !a[i])
			return 0;
	return 1;
}

static inline void ac_memmove(char *dst, const char *src, size_t n)
{
	if (dst < src) {
		for (size_t i = 0; i < n; i++)
			dst[i] = src[i];
	} else {
		while (n--)
			dst[n] = src[n];
	}
}

/*
 * Append n bytes of src to the string in dst (current length *len, buffer
 * size size). Returns 0, or -ENAMETOOLONG if the result and its NUL would
 * not fit; dst is unchanged then.
 */
static inline int ac_append(char *dst, size_t *len, size_t size, const char *src, size_t n)
{
	if (n >= size - *len)
		return -ENAMETOOLONG;
	ac_memmove(dst + *len, src, n);
	*len += n;
	dst[*len] = '\0';
	return 0;
}

#endif /* ACCEL_EXEC_STR_H */
