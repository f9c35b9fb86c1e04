// SPDX-License-Identifier: GPL-2.0-or-later
/* The default set of a root; see accel/state/defaults.h. */
#include "config.h"

#include "accel/state/defaults.h"

#include <stdlib.h>
#include <string.h>

#include "accel/base/util.h"
#include "accel/exec/canon.h"

static const char *const default_packages[] = {
	/* the shells, make and the tools every build runs */
	"bash", "dash", "make", "m4", "perl-base", "gzip", "bzip2", "xz-utils", "tar", "sed",
	"grep", "mawk", "gawk", "coreutils", "diffutils", "findutils", "patch", "file",
	/* dpkg (its architecture is told the root's way) */
	"dpkg",
	/* the build systems' own tools, where a build installs them */
	"cmake", "ninja-build", "pkgconf-bin", "bison", "flex", "gettext", "gettext-base",
	"groff-base", "xsltproc", "install-info",
};
static const char *const default_extra[] = {"/usr/bin/dpkg-deb"};
int ac_default_set(const struct ac_rootdb *db, const struct ac_store *s, char ***set, size_t *n)
{
	struct ac_pkg *gcc;
	char **cc = NULL;
	size_t ncc = 0;
	int r;

	for (size_t i = 0; i < sizeof(default_packages) / sizeof(default_packages[0]); i++) {
		struct ac_pkg *p = ac_rootdb_pkg(db, default_packages[i]);

		if (p && (r = ac_rootdb_programs(db, p, set, n)) < 0)
			return r;
	}
	for (size_t i = 0; i < sizeof(default_extra) / sizeof(default_extra[0]); i++) {
		char canon[AC_PATH_MAX];
		struct ac_pkg *owner;

		if (ac_canon(db->rootfd, "/", default_extra[i], canon, sizeof(canon)) > 0 &&
		    !ac_program_check(db, canon, &owner, NULL) && (r = ac_strv_add(set, n, canon)) < 0)
			return r;
	}
	/* The compiler, once it is faithful. */
	if ((r = ac_rootdb_compiler(db, &cc, &ncc, &gcc)) < 0)
		return r;
	for (size_t i = 0; gcc && ac_store_has_toolchain(s, gcc) && i < ncc; i++)
		if ((r = ac_strv_add(set, n, cc[i])) < 0)
			break;
	ac_strv_free(cc, ncc);
	if (r < 0)
		return r;
	if (!*n)
		return 0;
	/* Sorted and without repeats, also against what *set held before. */
	qsort(*set, *n, sizeof(**set), ac_cmp_strp);
	size_t w = 1;

	for (size_t i = 1; i < *n; i++) {
		if (strcmp((*set)[i], (*set)[w - 1]))
			(*set)[w++] = (*set)[i];
		else
			free((*set)[i]);
	}
	*n = w;
	return 0;
}
