/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accel/root/binfmt.h - the binfmt_misc entry of the dispatcher.
 *
 * Owns: the armel magic and mask (byte for byte Debian's qemu-arm entry, so
 * the dispatcher matches exactly the files Debian's registration matches),
 * the flags accel registers with (kbuild-notes/binfmt-misc.md says why),
 * building and bounding the register string, and parsing an entry's status
 * file. Functions return 0 or -errno and never exit.
 */
#ifndef ACCEL_ROOT_BINFMT_H
#define ACCEL_ROOT_BINFMT_H

#include <stddef.h>

#define AC_BINFMT_DIR "/proc/sys/fs/binfmt_misc"
/* Debian's own entry for armel programs (qemu-user-static). */
#define AC_DEBIAN_BINFMT_NAME "qemu-arm"

/* Debian's /usr/lib/binfmt.d/qemu-arm.conf, in register-string escapes. */
#define AC_ARMEL_MAGIC                                                                           \
	"\\x7f\\x45\\x4c\\x46\\x01\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02"  \
	"\\x00\\x28\\x00"
#define AC_ARMEL_MASK                                                                            \
	"\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe"  \
	"\\xff\\xff\\xff"
/* The same, as the status file prints them. */
#define AC_ARMEL_MAGIC_HEX "7f454c4601010100000000000000000002002800"
#define AC_ARMEL_MASK_HEX "ffffffffffffff00fffffffffffffffffeffffff"

/* P: keep argv[0] (the dispatcher needs it, qemu gets it). F: open the
 * dispatcher now, so it runs in every chroot and mount namespace. Neither O
 * nor C: see kbuild-notes/binfmt-misc.md. */
#define AC_BINFMT_FLAGS "PF"

/* fs/binfmt_misc.c: MAX_REGISTER_LENGTH. Longer strings get -EINVAL. */
#define AC_BINFMT_MAX_REGISTER 1920
/* An entry name is a file name in binfmt_misc: bound it like one. */
#define AC_BINFMT_MAX_NAME 255

struct ac_binfmt_entry {
	int enabled;
	char interpreter[4096];
	char flags[16];
	unsigned int offset;
	char magic[512];
	char mask[512];
};

/* Is name usable as an entry name (no '/', ':', not "." / "..", bounded)? */
int ac_binfmt_name_ok(const char *name);
/* Build ":name:M::magic:mask:interp:flags" into buf; -EINVAL or -E2BIG. */
int ac_binfmt_build(char *buf, size_t size, const char *name, const char *interp,
		    const char *flags);
/* Parse an entry's status file text. Returns 0 or -EINVAL. */
int ac_binfmt_parse_status(const char *text, struct ac_binfmt_entry *e);

/* Is binfmt_misc mounted at dir? 1 yes, 0 no. */
int ac_binfmt_mounted(const char *dir);
/* Mount it at dir if it is not. Returns 1 if this call mounted it, 0 if it
 * was mounted already, -errno on failure. */
int ac_binfmt_ensure_mounted(const char *dir);
/* Read entry name. Returns 0, -ENOENT if there is none, or -errno. */
int ac_binfmt_read(const char *dir, const char *name, struct ac_binfmt_entry *e);
int ac_binfmt_register(const char *dir, const char *name, const char *interp,
		       const char *flags);
int ac_binfmt_unregister(const char *dir, const char *name);

/*
 * Which interpreter the kernel runs armel programs with right now, whatever
 * the entries say: binfmt_misc tries the newest entry first and does not
 * show the order. A tiny armel program is written to a temporary file in
 * dir (a host directory where exec is allowed) and run with argv[0]
 * AC_DISPATCH_PROBE_ARGV0 (accel/exec/dispatch.h): accel's dispatcher
 * answers "accel-dispatch VERSION INTERPRETER" on stdout and exits 0; any
 * other interpreter (Debian's qemu) runs the program, which exits 1.
 * Returns one of enum ac_binfmt_probe (for AC_PROBE_ACCEL the answer in
 * *ans), or -errno.
 */
enum ac_binfmt_probe {
	AC_PROBE_ACCEL = 0, /* an accel dispatcher answered */
	AC_PROBE_OTHER,     /* another interpreter ran the program */
	AC_PROBE_NONE,      /* no entry matches armel programs (ENOEXEC) */
};
struct ac_probe_answer {
	char version[64];      /* the dispatcher's PACKAGE_VERSION */
	char interpreter[4096]; /* its path, as registered */
};
int ac_binfmt_probe(const char *dir, struct ac_probe_answer *ans);

#endif /* ACCEL_ROOT_BINFMT_H */
