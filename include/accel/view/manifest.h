/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accel/view/manifest.h - the manifest: which store file the view serves at
 * which view path. The one writer (accelctl and accel-bootstrap, from a
 * plan) and the one reader (the view daemon, and accelctl reading the old
 * manifest back) of STATE/roots/KEY/manifest.
 *
 * The format, a text file of lines ending in '\n', fields separated by one
 * tab:
 *     accel-manifest 1                  first line, always
 *     store<TAB>/ABS/STORE              the store the sources are in
 *     qemu<TAB>/ABS/qemu-arm-static     optional: served at AC_VREL_QEMU
 *     machine<TAB>/ABS/machine          optional: served at AC_VREL_MACHINE
 *     # program /usr/bin/make           an enabled program (a comment)
 *     file<TAB>VIEW<TAB>SOURCE          VIEW relative to the view's root,
 *                                       SOURCE relative to the store
 *     link<TAB>VIEW<TAB>/TARGET         VIEW is a symbolic link to TARGET,
 *                                       an absolute path in the root
 *     retell<TAB>VIEW<TAB>FROM<TAB>TO   the file at VIEW tells its string
 *                                       FROM as TO (accel/view/retell.h)
 *     stamp<TAB>VIEW<TAB>STAMP          the program at VIEW was planned
 *                                       against a root file as STAMP says
 *                                       (a line of accel/exec/stamp.h
 *                                       without its newline)
 * Empty lines and other comments are ignored. VIEW and SOURCE are relative
 * paths of plain components (no "", "." or ".."; no leading '/'); a VIEW
 * under AC_VREL_RESERVED must be the loader, qemu or one of the library
 * aliases. Every VIEW appears once. Bounds: AC_MANIFEST_MAX_DEPTH components
 * a path, AC_MANIFEST_MAX bytes, lines of
 * AC_MANIFEST_MAX_LINE, AC_MANIFEST_MAX_FILES files.
 *
 * Functions return 0 or -errno (-EINVAL: not a valid manifest, err says
 * which line and why).
 */
#ifndef ACCEL_VIEW_MANIFEST_H
#define ACCEL_VIEW_MANIFEST_H

#include <stddef.h>

#include "accel/base/err.h"
#include "accel/view/plan.h"

#define AC_MANIFEST_MAGIC "accel-manifest 1"
/* A buildd root with everything enabled needs a few thousand files. */
#define AC_MANIFEST_MAX (16u << 20)
#define AC_MANIFEST_MAX_LINE 8192
#define AC_MANIFEST_MAX_FILES 65536
/* Components of one path: the view daemon builds directories by recursion
 * (fuseview/view.c dir_node), a 4 KiB frame each; real paths have ~10. */
#define AC_MANIFEST_MAX_DEPTH 64

struct ac_manifest_file {
	char *view;   /* relative to the view's root */
	char *source; /* relative to the store; a link's absolute root path */
	int link;
};

struct ac_manifest_stamp {
	char *view;
	char *line; /* "SEC NSEC SIZE /PATH\n" */
};

struct ac_manifest {
	char *store;                    /* absolute */
	char *qemu;                     /* absolute, or NULL */
	char *machine;                  /* absolute, or NULL */
	char **programs;                /* the "# program" lines, in order */
	size_t nprograms;
	struct ac_manifest_file *files; /* sorted by view */
	size_t nfiles;
	struct ac_plan_retell *retells; /* in order */
	size_t nretells;
	struct ac_manifest_stamp *stamps; /* in order */
	size_t nstamps;
};

/* The text of the manifest for plan (malloc'ed; NULL: out of memory). */
char *ac_manifest_format(const struct ac_plan *plan, const char *store, const char *qemu,
			 const char *machine);
/* Parse text (len bytes, need not be NUL-terminated) into m. */
int ac_manifest_parse(const char *text, size_t len, struct ac_manifest *m, struct ac_err *err);
/* Read and parse the file path (relative to dirfd). -ENOENT: none. */
int ac_manifest_read(int dirfd, const char *path, struct ac_manifest *m, struct ac_err *err);
void ac_manifest_free(struct ac_manifest *m);
/* Is view served by m (bsearch)? */
int ac_manifest_has(const struct ac_manifest *m, const char *view);
/* One path component the view may serve: not empty, ".", "..", nor longer
 * than 255 bytes (the .accel/as names are checked with it too). */
int ac_manifest_name_ok(const char *s, size_t len);

#endif /* ACCEL_VIEW_MANIFEST_H */
