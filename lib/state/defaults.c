// SPDX-License-Identifier: GPL-2.0-or-later
/* The default set of a root; see accel/state/defaults.h. */
#include "config.h"

#include "accel/state/defaults.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accel/base/spawn.h"
#include "accel/base/util.h"
#include "accel/exec/canon.h"
#include "accel/view/plan.h"

/*
 * Does the kernel run i386 programs (CONFIG_IA32_EMULATION, not switched
 * off with ia32_emulation=0)? The smallest static i386 ELF program, run
 * from a memfd: `mov $1, %eax; mov $42, %ebx; int $0x80` (exit 42).
 */
static int runs_i386(void)
{
	static const unsigned char prog[] = {
		/* Elf32_Ehdr: ELFCLASS32, LSB, ET_EXEC, EM_386, entry 0x08048054,
		 * phoff 52, ehsize 52, phentsize 32, phnum 1 */
		0x7f, 'E', 'L', 'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		2, 0, 3, 0, 1, 0, 0, 0, 0x54, 0x80, 0x04, 0x08, 52, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 52, 0, 32, 0, 1, 0, 0, 0, 0, 0, 0, 0,
		/* Elf32_Phdr: PT_LOAD, offset 0, vaddr 0x08048000, 96 bytes, R+X */
		1, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x80, 0x04, 0x08, 0x00, 0x80, 0x04, 0x08,
		96, 0, 0, 0, 96, 0, 0, 0, 5, 0, 0, 0, 0x00, 0x10, 0, 0,
		/* code at 84 */
		0xb8, 1, 0, 0, 0, 0xbb, 42, 0, 0, 0, 0xcd, 0x80,
	};
	char *const argv[] = {"accel-i386-probe", NULL}, *const envp[] = {NULL};
	int fd = memfd_create("accel-i386-probe", MFD_CLOEXEC), status = 0;
	pid_t pid;

	if (fd < 0)
		return 0;
	if (write(fd, prog, sizeof(prog)) != (ssize_t)sizeof(prog)) {
		close(fd);
		return 0;
	}
	pid = fork();
	if (pid == 0) {
		fexecve(fd, argv, envp);
		_exit(127);
	}
	close(fd);
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 42;
}

/* Does apt know the i386 architecture (dpkg --add-architecture i386)? */
static int apt_knows_i386(void)
{
	char *const argv[] = {"dpkg", "--print-foreign-architectures", NULL};
	char *out = NULL;
	int yes = 0;

	if (ac_spawn_run(&(struct ac_spawn){.argv = argv, .out = AC_SPAWN_CAPTURE,
					    .max_out = 4096},
			 &out) == 0 && out) {
		for (char *save = NULL, *a = strtok_r(out, "\n", &save); a;
		     a = strtok_r(NULL, "\n", &save))
			yes |= !strcmp(a, "i386");
	}
	free(out);
	return yes;
}

int ac_assembler_ready(char *why, size_t size)
{
	if (!runs_i386()) {
		snprintf(why, size, "this kernel runs no i386 programs (CONFIG_IA32_EMULATION, or "
				    "ia32_emulation=0 on its command line): as stays emulated");
		return 0;
	}
	if (!apt_knows_i386()) {
		snprintf(why, size, "apt has no i386 packages: run `dpkg --add-architecture i386 && "
				    "apt-get update`, then accel-bootstrap again, for a native as");
		return 0;
	}
	return 1;
}

int ac_default_assembler(const struct ac_rootdb *db, char *out, size_t size)
{
	struct ac_pkg *owner;

	return ac_canon(db->rootfd, "/", "/usr/bin/as", out, size) > 0 &&
	       !ac_program_check(db, out, &owner, NULL) && ac_plan_served32(owner->name, out);
}

static const char *const default_packages[] = {
	/* the shells, make and the tools every build runs */
	"bash", "dash", "make", "m4", "perl-base", "gzip", "bzip2", "xz-utils", "tar", "sed",
	"grep", "mawk", "gawk", "coreutils", "diffutils", "findutils", "patch", "file",
	/* dpkg (its architecture is told the root's way) */
	"dpkg",
	/* the build systems' own tools, where a build installs them */
	"cmake", "ninja-build", "pkgconf-bin", "bison", "flex", "gettext", "gettext-base",
	"groff-base", "xsltproc", "install-info",
	/* what debhelper runs besides them: fakeroot's daemon (its SysV and TCP
	 * messages have one layout on armel and amd64), dwz (equal output on
	 * armel files), hostname */
	"fakeroot", "dwz", "hostname",
	/* doxygen (emulated when its configuration turns libclang on:
	 * accel/exec/route.h) */
	"doxygen",
};
/* Single programs of packages whose other programs are not checked
 * (util-linux's setarch and lscpu, man-db's man). Left out: getconf, whose
 * answers (LONG_BIT) are the ABI's. */
static const char *const default_extra[] = {"/usr/bin/dpkg-deb", "/usr/bin/getopt",
					    "/usr/bin/man-recode"};
const char *ac_default_unfaithful(const char *pkg, const char *path)
{
	static const struct {
		const char *pkg, *prog, *why; /* a package, a program name prefix */
	} kept[] = {
		{NULL, "python3", "a host python's word size, float rounding or struct alignment "
				  "differ (kbuild-notes/identity.md)"},
		{"libc-bin", "getconf", "its answers (LONG_BIT) are the ABI's"},
		{"doxygen", NULL, "with CLANG_ASSISTED_PARSING its libclang parses for the "
				  "host's target (accel/exec/route.h)"},
	};
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;

	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		if ((!kept[i].pkg || !strcmp(pkg, kept[i].pkg)) &&
		    (!kept[i].prog || !strncmp(base, kept[i].prog, strlen(kept[i].prog))))
			return kept[i].why;
	return NULL;
}

int ac_default_set(const struct ac_rootdb *db, const struct ac_store *s, char ***set, size_t *n,
		   char *why, size_t why_size)
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
	/* binutils' assembler, where this machine can run its i386 build. */
	{
		char as[AC_PATH_MAX];

		why[0] = '\0';
		if (ac_default_assembler(db, as, sizeof(as)) && ac_assembler_ready(why, why_size) &&
		    (r = ac_strv_add(set, n, as)) < 0)
			return r;
	}
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
