// SPDX-License-Identifier: GPL-2.0-or-later
/* The dispatcher's decision; see accel/exec/route.h for the contract. */
#include "config.h"

#include "accel/exec/route.h"

#include "accel/exec/canon.h"
#include "accel/exec/str.h"
#include "accel/exec/sys.h"

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

/* A directory of the system's module trees (absolute, no ".." after the
 * prefix: "/usr/lib/../../build" is not one). */
static int system_dir(const char *d, size_t len)
{
	static const char *const trees[] = {"/usr/lib/",   "/usr/share/",  "/usr/local/lib/",
					    "/usr/local/share/", "/etc/", "/lib/",
					    "/usr/lib32/", "/usr/lib64/", "/usr/libx32/"};

	for (size_t i = 0; i < sizeof(trees) / sizeof(trees[0]); i++) {
		size_t tl = ac_strlen(trees[i]);

		if (len < tl || !ac_prefix_eq(d, trees[i], tl))
			continue;
		for (size_t k = 0; k + 2 < len; k++)
			if (d[k] == '/' && d[k + 1] == '.' && d[k + 2] == '.' &&
			    (k + 3 == len || d[k + 3] == '/'))
				return 0;
		return 1;
	}
	return 0;
}

/* Every ':'-separated entry of list a system directory (empty ones skipped)? */
static int system_list(const char *list)
{
	const char *s = list;

	for (const char *p = list;; p++) {
		if (*p == ':' || !*p) {
			if (p > s && !system_dir(s, (size_t)(p - s)))
				return 0;
			if (!*p)
				return 1;
			s = p + 1;
		}
	}
}

static const char *base_name(const char *path)
{
	const char *b = path;

	for (const char *p = path; *p; p++)
		if (*p == '/')
			b = p + 1;
	return b;
}

/* ld, *-ld, *ld.bfd: the root's linker under its names. */
static int is_linker(const char *base)
{
	size_t l = ac_strlen(base);

	return ac_streq(base, "ld") || (l > 3 && ac_streq(base + l - 3, "-ld")) ||
	       (l >= 6 && ac_streq(base + l - 6, "ld.bfd"));
}

static enum ac_emulate linker_env(char *const *envp)
{
	for (char *const *e = envp; e && *e; e++) {
		const char *v = NULL;

		if (ac_prefix_eq(*e, "LD_LIBRARY_PATH=", 16))
			v = *e + 16;
		else if (ac_prefix_eq(*e, "LD_RUN_PATH=", 12))
			v = *e + 12;
		if (v && !system_list(v))
			return AC_EMULATE_LINKER_PATH;
	}
	return AC_EMULATE_NO;
}

/* What a scan of doxygen's configuration found so far. */
struct doxy_scan {
	int clang;     /* CLANG_ASSISTED_PARSING is on (the last setting wins) */
	int unsure;    /* something this scan does not follow: emulate */
	int continued; /* the line before ended in a backslash */
};

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 'a' - 'A' : c;
}

static int word_eq(const char *s, size_t n, const char *word)
{
	size_t i = 0;

	for (; i < n && word[i]; i++)
		if (lower((unsigned char)s[i]) != lower((unsigned char)word[i]))
			return 0;
	return i == n && !word[i];
}

static int tag_char(char c)
{
	int l = lower((unsigned char)c);

	return c == '_' || (l >= 'a' && l <= 'z') || (c >= '0' && c <= '9');
}

/* One line of the configuration (without its newline; cut: longer than
 * the scan keeps). */
static void doxy_line(struct doxy_scan *d, const char *s, size_t n, int cut)
{
	size_t i = 0, t, e = n;
	int continued = d->continued;

	while (e > 0 && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r'))
		e--;
	while (i < e && (s[i] == ' ' || s[i] == '\t'))
		i++;
	d->continued = i < e && s[i] != '#' && s[e - 1] == '\\';
	if (continued || i == e || s[i] == '#')
		return; /* a value's continuation, an empty line, a comment */
	if (s[i] == '@') { /* @INCLUDE, @INCLUDE_PATH: other files decide */
		d->unsure = 1;
		return;
	}
	for (t = i; t < e && tag_char(s[t]); t++)
		;
	if (!word_eq(s + i, t - i, "CLANG_ASSISTED_PARSING"))
		return;
	while (t < e && (s[t] == ' ' || s[t] == '\t'))
		t++;
	if (cut || d->continued || t >= e || s[t] != '=') { /* "+=", cut, or odd */
		d->unsure = 1;
		return;
	}
	for (t++; t < e && (s[t] == ' ' || s[t] == '\t'); t++)
		;
	if (t < e && s[t] == '"' && e - t >= 2 && s[e - 1] == '"') {
		t++;
		e--;
	}
	d->clang = !(t == e || word_eq(s + t, e - t, "NO") || word_eq(s + t, e - t, "FALSE") ||
		     word_eq(s + t, e - t, "0"));
}

/* Would doxygen, run with args in the current directory, parse with
 * libclang? 1 yes or cannot tell, 0 no. */
static int doxygen_clang(char *const *args)
{
	static const char *const defaults[] = {"Doxyfile", "doxyfile"};
	const char *config = NULL;
	char buf[4096] = {0}, line[1024];
	struct doxy_scan d = {0};
	size_t ln = 0, total = 0;
	int cut = 0;
	long fd = -1, r;

	for (size_t i = 1; args && args[0] && args[i]; i++) {
		static const char *const modes[] = {"-v", "--version", "-V", "-h", "--help", "-g",
						    "-s", "-w", "-l", "-u", "-x", "-x_noenv"};

		/* Modes that parse no sources: the version, the help, the
		 * templates (CMake's FindDoxygen runs --version and -s -g). */
		for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++)
			if (ac_streq(args[i], modes[m]))
				return 0;
		if (ac_streq(args[i], "-d") && args[i + 1])
			i++;
		else if (ac_streq(args[i], "-b"))
			continue;
		else if (args[i][0] == '-' || config)
			return 1; /* stdin ("-"), an unknown option, two files */
		else
			config = args[i];
	}
	for (size_t i = 0; fd < 0 && i < (config ? 1 : 2); i++)
		fd = ac_openat(AT_FDCWD, config ? config : defaults[i], O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return 1;
	while ((r = ac_read((int)fd, buf, sizeof(buf))) > 0 && !d.unsure) {
		total += (size_t)r;
		if (total > (8U << 20)) {
			d.unsure = 1;
			break;
		}
		for (long k = 0; k < r; k++) {
			if (buf[k] != '\n') {
				if (ln < sizeof(line))
					line[ln++] = buf[k];
				else
					cut = 1;
				continue;
			}
			doxy_line(&d, line, ln, cut);
			ln = 0;
			cut = 0;
		}
	}
	if (r < 0)
		d.unsure = 1;
	else if (ln)
		doxy_line(&d, line, ln, cut);
	ac_close((int)fd);
	return d.unsure || d.clang;
}

/* A C++ link: the driver (g++) or libtool names libstdc++. */
static int cxx_link(char *const *args)
{
	for (size_t i = 1; args && args[0] && args[i]; i++)
		if (ac_streq(args[i], "-lstdc++"))
			return 1;
	return 0;
}

enum ac_emulate ac_route_needs_emulation(const char *canon, char *const *args, char *const *envp)
{
	const char *base = base_name(canon);

	if (is_linker(base))
		return cxx_link(args) ? AC_EMULATE_LINKER_CXX : linker_env(envp);
	if (ac_streq(base, "doxygen"))
		return doxygen_clang(args) ? AC_EMULATE_HOST_TARGET : AC_EMULATE_NO;
	if (!ac_prefix_eq(base, "perl", 4))
		return AC_EMULATE_NO;
	enum ac_emulate why = AC_EMULATE_NO;

	for (char *const *e = envp; e && *e; e++) {
		const char *v = NULL;

		if (ac_prefix_eq(*e, "DPKG_MAINTSCRIPT_NAME=", 22))
			return AC_EMULATE_MAINTSCRIPT;
		if (ac_prefix_eq(*e, "PERL5LIB=", 9))
			v = *e + 9;
		else if (ac_prefix_eq(*e, "PERLLIB=", 8))
			v = *e + 8;
		if (v && !system_list(v))
			why = AC_EMULATE_BUILD_CODE;
	}
	if (why != AC_EMULATE_NO)
		return why;
	for (size_t i = 1; args && args[0] && args[i]; i++) {
		const char *a = args[i];

		if (a[0] != '-' || !a[1] || ac_streq(a, "--") || ac_prefix_eq(a, "-e", 2) ||
		    ac_prefix_eq(a, "-E", 2))
			break;
		if (ac_prefix_eq(a, "-Mblib", 6) || ac_prefix_eq(a, "-mblib", 6))
			return AC_EMULATE_BUILD_CODE;
		if (ac_prefix_eq(a, "-I", 2)) {
			const char *d = a[2] ? a + 2 : args[i + 1];

			if (!a[2] && d)
				i++;
			if (d && !system_dir(d, ac_strlen(d)))
				return AC_EMULATE_BUILD_CODE;
		}
	}
	return AC_EMULATE_NO;
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
	if (under(canon, AC_RESERVED_DIR) ||
	    (canon_len == (long)(sizeof(AC_VREL_SELF_DIR) + AC_SELF_ID_LEN) &&
	     ac_prefix_eq(canon + 1, AC_VREL_SELF_DIR, sizeof(AC_VREL_SELF_DIR) - 1)))
		return AC_ROUTE_QEMU_RESERVED; /* the view's own files, its self links */
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
