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
 *  1. ac_retell_pairs() (the planner) finds in the host file (a program or
 *     a library it serves) every whole string that names the host, maps
 *     the names to the root's (in a ':'-separated list element by element,
 *     leaving out the host's other ABIs: i386, x32), and keeps a pair only
 *     when the armel file of the same program or library has the mapped
 *     string: the view never writes a string the emulated program does not
 *     have. Multiarch paths (/usr/lib/x86_64-linux-gnu/...) are retold only
 *     in a file through which no code is loaded (neither the loader, nor
 *     libc, nor a file that, or whose libraries, call dlopen): there they
 *     name data, which a build reads from the root
 *     (pkgconf's .pc directories and system library directories); in the
 *     loader, libc, perl or python they lead to host code and keep the
 *     view's alias (elfview.h), whose patches give way to a retold string.
 *  2. ac_retell_plan() (the view daemon) turns the pairs into patches. The
 *     same length or shorter: in place, NUL-padded. Longer: the string moves
 *     into the zero bytes that end the page of its read-only segment (mapped
 *     with the page, unused), and each reference is pointed at it: a
 *     RIP-relative lea in the code, an R_X86_64_RELATIVE relocation in the
 *     data; the old bytes are cleared. A pair is refused (the host string
 *     stays) when a change of length is not provably local: no reference
 *     found, a reference into the middle of the string, a length constant
 *     next to a reference in the code (perl's STR_WITH_LEN), no room. In
 *     a program at fixed addresses (ET_EXEC: busybox-static, non-PIE
 *     builds) references are also absolute numbers nothing tells apart:
 *     only pairs of the same length are retold there, the others refused.
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
 * Does the x86_64 ELF image buf (len bytes) call or define dlopen (or is it
 * the loader)? 1 or 0; 1 when its dynamic symbols cannot be read.
 */
int ac_retell_loads_code(const unsigned char *buf, size_t len);

/*
 * The pairs for host file host (hlen bytes) against the armel build armel
 * (alen bytes): up to max into pairs. loads_code: a process loads code
 * through the paths this file names (it, or a library it needs, calls
 * dlopen: ac_retell_loads_code over the closure), so its multiarch paths
 * stay. Returns how many, or -errno.
 */
int ac_retell_pairs(const unsigned char *host, size_t hlen, const unsigned char *armel,
		    size_t alen, int loads_code, struct ac_retell *pairs, size_t max);

/*
 * Add to info the patches that retell pairs (n) in the x86_64 ELF image buf
 * (len bytes, already inspected). Returns how many pairs were retold; each
 * refused one gets its reason, one line, in why[i] (size whysize) when why
 * is given.
 */
int ac_retell_plan(const unsigned char *buf, size_t len, const struct ac_retell *pairs,
		   size_t n, struct ac_elf_info *info, char (*why)[128]);

#endif /* ACCEL_VIEW_RETELL_H */
