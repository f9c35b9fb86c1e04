/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accel/view/plan.h - what the view serves for a set of enabled programs.
 *
 * Owns the closure rule: for armel programs (canonical paths inside the
 * root), their host equivalents at the same paths, the host loader, the
 * transitive DT_NEEDED closure of host libraries (a package's private
 * library in a directory of its own under /usr/lib, which DT_RUNPATH names,
 * is served in the view's library directory: the host loader skips the
 * armel file at the root's path and finds it there; man-db's libman), the
 * host multiarch files of every package involved (gconv, perl modules),
 * and companions (host
 * libraries loaded without DT_NEEDED: perl XS modules, fakeroot's preload
 * library), and the code binutils and GCC load by path (the plugins of
 * BFD's directories under AC_VREL_BFD_PLUGINS and at their root paths, GCC's
 * LTO plugin beside collect2), as (view path, store path) pairs. A plan
 * that serves ar, nm, ranlib or ld is refused (-ENOPKG) when a plugin of
 * BFD's directories has no host build (the root's GCC not built).
 *
 * One kind of program is served from its i386 build instead: binutils'
 * assembler (TRIPLET-as), whose amd64 build writes other bytes (64-bit
 * expressions, frag layout by word size: kbuild-notes/toolchain.md). It gets
 * the i386 loader at AC_VREL_LDSO32, the i386 libraries of its DT_NEEDED
 * closure under AC_VREL_LIB32 and AC_VREL_USRLIB32 (fetched as NAME:i386 of
 * the same versions, pkgs/NAME_VERSION_i386), and its own package's i386
 * libraries (libbfd-VERSION-TARGET.so); no other multiarch tree. The view
 * tells that C library armel's obstack defaults (accel/view/elfview.h).
 *
 * Planning is two steps, so that nothing is fetched while planning:
 *   1. ac_plan_want() marks in the root database every package the plan
 *      will need, read from the root's own armel files (a program's host
 *      build is the same source and version, so it needs the same
 *      libraries); the caller fetches those (accel/store/store.h);
 *   2. ac_plan_build() plans from what the store holds, reading only the
 *      store. Should a host build need a library its armel build does not,
 *      it marks that package and returns -EAGAIN: fetch and build again.
 * ac_plan_make() does both (fetch, build, at most AC_PLAN_ROUNDS times).
 *
 * Functions return 0 or -errno and name in err the program or library
 * that has no host equivalent (-ENOPKG).
 */
#ifndef ACCEL_VIEW_PLAN_H
#define ACCEL_VIEW_PLAN_H

#include <stddef.h>

#include "accel/base/err.h"
#include "accel/exec/stamp.h"
#include "accel/root/rootdb.h"
#include "accel/store/store.h"

/* Fetch rounds of ac_plan_make: the root's closure is the first guess, and
 * each further round adds what a host build needs beyond it. */
#define AC_PLAN_ROUNDS 8

struct ac_plan_entry {
	char *view;    /* relative to the view's root */
	char *source;  /* relative to the store; or, with link set, the absolute
			* root path the view's entry is a symbolic link to */
	int link;
};

/* A compiled-in string of a served program, told the root's way
 * (accel/view/retell.h). */
#define AC_PLAN_MAX_RETELLS 16 /* per program */
struct ac_plan_retell {
	char *view;
	char *from, *to;
};

/* A root file a served program was planned against (accel/exec/stamp.h):
 * the armel program itself, and the dpkg file list of each package of its
 * closure (its own, its libraries', the companions'). */
struct ac_plan_stamp {
	char *view;             /* the program's view path */
	char *path;             /* absolute in the root */
	struct ac_stamp st;
};

struct ac_plan {
	struct ac_plan_entry *e;
	size_t n, cap;
	char **programs;        /* enabled programs, canonical root paths */
	size_t nprograms;
	struct ac_plan_retell *retells;
	size_t nretells;
	struct ac_plan_stamp *stamps; /* grouped by program, in plan order */
	size_t nstamps;
};

/* Step 1: check every program (ac_program_check) and set wanted on the
 * packages the plan needs (and clear it on all others). */
int ac_plan_want(struct ac_rootdb *db, char *const *programs, size_t n, struct ac_err *err);
/* Step 2: the plan, from the store only. -EAGAIN: a package it needs is not
 * in the store (its wanted is set now). */
int ac_plan_build(struct ac_rootdb *db, const struct ac_store *s, char *const *programs,
		  size_t n, struct ac_plan *plan, struct ac_err *err);
/* Both, fetching between them. */
int ac_plan_make(struct ac_rootdb *db, struct ac_store *s, char *const *programs, size_t n,
		 struct ac_plan *plan, struct ac_err *err);
void ac_plan_free(struct ac_plan *plan);
/* Is program (a canonical root path) of package pkg served as its i386
 * build (binutils' TRIPLET-as)? */
int ac_plan_served32(const char *pkg, const char *program);

#endif /* ACCEL_VIEW_PLAN_H */
