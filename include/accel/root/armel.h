/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accel/root/armel.h - what kind of ELF a file is, and whether a directory is an
 * armel root.
 *
 * Owns the rule "armel" means here: 32-bit little-endian ARM, EABI version 5,
 * soft-float calling convention (Debian armel), the files the binfmt entry
 * matches (ET_EXEC or ET_DYN, like Debian's qemu-arm mask).
 */
#ifndef ACCEL_ROOT_ARMEL_H
#define ACCEL_ROOT_ARMEL_H

#include <stddef.h>

enum ac_elf_kind {
	AC_ELF_NOT_ELF = 0,
	AC_ELF_TRUNCATED,   /* shorter than an ELF header */
	AC_ELF_ARMEL,       /* ARM EABI5 soft-float: what accel serves */
	AC_ELF_ARMHF,       /* ARM EABI5 hard-float (Debian armhf) */
	AC_ELF_ARM_OTHER,   /* ARM, old ABI or big-endian */
	AC_ELF_X86_64,      /* a host binary */
	AC_ELF_OTHER,       /* any other machine */
};

/* Classify the first len bytes of a file. */
enum ac_elf_kind ac_elf_classify(const unsigned char *buf, size_t len);
const char *ac_elf_kind_name(enum ac_elf_kind kind);

/* The armel dynamic loader; its presence and kind identify an armel root. */
#define AC_ARMEL_LOADER "/lib/ld-linux.so.3"
#define AC_ARMHF_LOADER "/lib/ld-linux-armhf.so.3"

/*
 * Is root (a directory fd) an armel root? Resolves the loader inside the
 * root (links stay inside it) and classifies it. Returns AC_ELF_ARMEL if so;
 * otherwise the kind found (AC_ELF_ARMHF for an armhf root), or -errno when
 * no loader could be read (-ENOENT: none).
 */
int ac_root_kind(int rootfd);

#endif /* ACCEL_ROOT_ARMEL_H */
