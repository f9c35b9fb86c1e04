/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accel/view/retell.h - compiled-in identity: the strings of a host program
 * that name the host architecture, told as the root's build of the same
 * program tells them.
 *
 * A host program carries strings that its armel build has in another form:
 * GNU make's MAKE_HOST "x86_64-pc-linux-gnu" where the armel make has
 * "arm-unknown-linux-gnueabi", bash's $HOSTTYPE and $MACHTYPE, perl's
 * "built for" banner, dpkg-deb's "(amd64)". Two steps, both over the
 * bytes only:
 *
 *  1. ac_retell_pairs() (the planner) finds in the host file every whole
 *     string that names the host (AC_RETELL_TOKENS), maps the names to the
 *     root's, and keeps a pair only when the armel file of the same program
 *     has the mapped string: the view never writes a string the emulated
 *     program does not have.
 *  2. ac_retell_plan() (the view daemon) turns the pairs into patches. The
 *     same length or shorter: in place, NUL-padded. Longer: the string moves
 *     into the zero bytes that end the page of its read-only segment (mapped
 *     with the page, unused), and each reference is pointed at it: a
 *     RIP-relative lea in the code, an R_X86_64_RELATIVE relocation in the
 *     data; the old bytes are cleared. A pair is refused (the host string
 *     stays) when a change of length is not provably local: no reference
 *     found, a reference into the middle of the string, a length constant
 *     next to a reference in the code (perl's STR_WITH_LEN), no room.
 *
 * Functions return 0 or a count, or -errno; they never print.
 */
#ifndef ACCEL_VIEW_RETELL_H
#define ACCEL_VIEW_RETELL_H

#include <stddef.h>

#include "accel/view/elfview.h"

/* Longest string retold (a manifest field). */
#define AC_RETELL_MAX 200

struct ac_retell {
	char from[AC_RETELL_MAX + 1];
	char to[AC_RETELL_MAX + 1];
};

/*
 * The pairs for host file host (hlen bytes) against the armel build armel
 * (alen bytes): up to max into pairs. Returns how many, or -errno.
 */
int ac_retell_pairs(const unsigned char *host, size_t hlen, const unsigned char *armel,
		    size_t alen, struct ac_retell *pairs, size_t max);

/*
 * Add to info the patches that retell pairs (n) in the x86_64 ELF image buf
 * (len bytes, already inspected). Returns how many pairs were retold; each
 * refused one gets its reason, one line, in why[i] (size whysize) when why
 * is given.
 */
int ac_retell_plan(const unsigned char *buf, size_t len, const struct ac_retell *pairs,
		   size_t n, struct ac_elf_info *info, char (*why)[128]);

#endif /* ACCEL_VIEW_RETELL_H */
