/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accel/exec/route.h - what the dispatcher does with one exec.
 *
 * Owns: reading the argument vector binfmt_misc builds for an entry with the
 * P flag, the paths of the view and of the qemu fallbacks, and the decision
 * "host equivalent or qemu". Pure functions over strings: the syscalls that
 * carry a decision out live in dispatcher/main.c.
 */
#ifndef ACCEL_EXEC_ROUTE_H
#define ACCEL_EXEC_ROUTE_H

#include <stddef.h>

#include "accel/exec/layout.h"

/*
 * argv[0] given to qemu. Debian's qemu recognises the "-binfmt-P" suffix and
 * then reads argv as binfmt_misc's P flag lays it out: [qemu, file, argv0,
 * args...], without option parsing. This is the string Debian's own
 * registration passes, so qemu runs exactly as under that registration.
 */
#define AC_QEMU_ARGV0 "/usr/libexec/qemu-binfmt/arm-binfmt-P"

/* argv of a binfmt_misc interpreter registered with flag P. */
struct ac_binfmt_call {
	char *filename;       /* argv[1]: the path given to execve, maybe relative */
	char *argv0;          /* argv[2]: the caller's argv[0] ("" if none) */
	char **args;          /* argv + 2: argv0 and the caller's arguments */
	int nargs;            /* entries in args, without the final NULL */
};

enum ac_parse {
	AC_PARSE_OK = 0,
	AC_PARSE_NO_FILENAME, /* argc < 2: not started by binfmt_misc */
	AC_PARSE_NO_ARGV0,    /* argc == 2: the caller passed an empty argv */
};

enum ac_parse ac_binfmt_parse(int argc, char **argv, struct ac_binfmt_call *call);

enum ac_route {
	AC_ROUTE_HOST = 0,       /* exec the host equivalent in hostpath */
	AC_ROUTE_QEMU_NO_CANON,  /* no canonical path (error from ac_canon) */
	AC_ROUTE_QEMU_IN_VIEW,   /* the binary lives in the view itself: never loop */
	AC_ROUTE_QEMU_TOO_LONG,  /* the view path would exceed AC_PATH_MAX */
	AC_ROUTE_QEMU_RESERVED,  /* /.accel/...: the view keeps its own files there */
};

/*
 * Decide from the result of ac_canon() (canon_len: its return value). On
 * AC_ROUTE_HOST, hostpath (size hsize) holds AC_VIEW_DIR + canon; whether that
 * file exists is left to execve, which answers it in the same syscall.
 */
enum ac_route ac_route_decide(const char *canon, long canon_len, char *hostpath, size_t hsize);

/*
 * A host interpreter cannot load the armel modules a build makes itself
 * (perl's XS modules under blib/arch, dlopen'ed by a perl the tests run):
 * the host loader refuses their ELF class. Such a run must be emulated.
 * For perl (a program named perl*), it is when the module path names a
 * directory outside the system's trees (/usr/lib, /usr/share,
 * /usr/local/lib, /usr/local/share, /etc, /lib, /usr/lib32, /usr/lib64,
 * /usr/libx32): PERL5LIB or PERLLIB in envp, or
 * -I, -Mblib or -mblib among the switches in args (args[0] is argv0; the
 * switches end at the script, "-e"/"-E" or "--"). Emulating a run that
 * loads only pure-perl modules costs time, never a different answer.
 *
 * A perl that dpkg runs for a maintainer script (DPKG_MAINTSCRIPT_NAME in
 * envp, which dpkg exports to the scripts and their children) is emulated
 * too: the packages being configured were unpacked after the view was
 * planned, so their arch-dependent modules are not served yet (sbuild
 * installs build dependencies into a session set up just before:
 * libxml-libxml-perl's postinst loads XML::LibXML).
 *
 * The linker (a program named ld, *-ld or *ld.bfd): the host build of the
 * root's binutils is a cross linker, which looks for the libraries that
 * shared libraries need (DT_NEEDED) without LD_LIBRARY_PATH and LD_RUN_PATH,
 * where the armel (native) one searches them first (ld/ldelf.c,
 * ldelf_handle_dt_needed, "native only"). With either naming a directory
 * outside the system's library trees, ld is emulated. A C++ link (-lstdc++
 * among args, as g++ and libtool pass it) is emulated too: BFD's string
 * hash is computed in unsigned long, so the amd64 linker files symbols of
 * about 100 characters and more (C++ mangled names) in other buckets than
 * the 32-bit armel one, and the order of .dynsym and .symtab follows that
 * table (kbuild-notes/toolchain.md, "ld: BFD's hash and long names").
 *
 * doxygen: with CLANG_ASSISTED_PARSING on, libclang parses the sources for
 * its default target, the host's in the host build (the predefined macros
 * and the types of the system headers change what is documented and what
 * links where). doxygen runs natively only when its configuration, read
 * here (the file named among args, else ./Doxyfile or ./doxyfile), leaves
 * that off (absent, NO, FALSE or 0; the last setting wins); a configuration
 * read from standard input, one with @INCLUDE, a value with a variable or
 * an unknown option is emulated; the modes that parse no sources (the
 * version, the help, the templates: -v, --version, -V, -h, --help, -g, -s,
 * -w, -l, -u, -x, -x_noenv; their output is the same) are native.
 */
enum ac_emulate {
	AC_EMULATE_NO = 0,     /* the host program may run */
	AC_EMULATE_BUILD_CODE, /* it would load code the build made */
	AC_EMULATE_MAINTSCRIPT, /* a dpkg maintainer script's perl */
	AC_EMULATE_LINKER_PATH, /* ld, told where libraries are by the environment */
	AC_EMULATE_LINKER_CXX, /* ld linking C++ (long symbol names: BFD's hash) */
	AC_EMULATE_HOST_TARGET, /* doxygen parsing with libclang (the host's target) */
};
enum ac_emulate ac_route_needs_emulation(const char *canon, char *const *args, char *const *envp);

/* Is path inside AC_VIEW_DIR (component-wise: "/lib-x86x" is not)? */
int ac_in_view(const char *path);

const char *ac_route_name(enum ac_route route);

#endif /* ACCEL_EXEC_ROUTE_H */
