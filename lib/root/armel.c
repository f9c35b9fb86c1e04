// SPDX-License-Identifier: GPL-2.0-or-later
/* ELF kinds and armel roots; see accel/root/armel.h. */
#include "config.h"

#include "accel/root/armel.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "accel/exec/canon.h"

#ifndef EF_ARM_EABIMASK
#define EF_ARM_EABIMASK 0xFF000000
#endif
#define AC_EF_ARM_EABI_VER5 0x05000000
#define AC_EF_ARM_ABI_FLOAT_HARD 0x00000400

enum ac_elf_kind ac_elf_classify(const unsigned char *buf, size_t len)
{
	unsigned int machine, flags;

	if (len < 4 || memcmp(buf, ELFMAG, SELFMAG))
		return len < 4 ? AC_ELF_TRUNCATED : AC_ELF_NOT_ELF;
	if (len < EI_NIDENT)
		return AC_ELF_TRUNCATED;
	if (buf[EI_CLASS] == ELFCLASS64) {
		if (len < sizeof(Elf64_Ehdr))
			return AC_ELF_TRUNCATED;
		if (buf[EI_DATA] != ELFDATA2LSB)
			return AC_ELF_OTHER;
		machine = buf[18] | (unsigned int)buf[19] << 8;
		return machine == EM_X86_64 ? AC_ELF_X86_64 : AC_ELF_OTHER;
	}
	if (buf[EI_CLASS] != ELFCLASS32)
		return AC_ELF_OTHER;
	if (len < sizeof(Elf32_Ehdr))
		return AC_ELF_TRUNCATED;
	if (buf[EI_DATA] != ELFDATA2LSB)
		return buf[EI_DATA] == ELFDATA2MSB && buf[18] == 0 && buf[19] == EM_ARM
			       ? AC_ELF_ARM_OTHER
			       : AC_ELF_OTHER;
	machine = buf[18] | (unsigned int)buf[19] << 8;
	if (machine != EM_ARM)
		return AC_ELF_OTHER;
	/* e_flags of Elf32_Ehdr sits at offset 36. */
	flags = buf[36] | (unsigned int)buf[37] << 8 | (unsigned int)buf[38] << 16 |
		(unsigned int)buf[39] << 24;
	if ((flags & EF_ARM_EABIMASK) != AC_EF_ARM_EABI_VER5)
		return AC_ELF_ARM_OTHER;
	return flags & AC_EF_ARM_ABI_FLOAT_HARD ? AC_ELF_ARMHF : AC_ELF_ARMEL;
}

const char *ac_elf_kind_name(enum ac_elf_kind kind)
{
	switch (kind) {
	case AC_ELF_NOT_ELF: return "not ELF";
	case AC_ELF_TRUNCATED: return "truncated ELF";
	case AC_ELF_ARMEL: return "armel (ARM EABI5 soft-float)";
	case AC_ELF_ARMHF: return "armhf (ARM EABI5 hard-float)";
	case AC_ELF_ARM_OTHER: return "ARM, not EABI5 little-endian";
	case AC_ELF_X86_64: return "x86_64";
	case AC_ELF_OTHER: return "another architecture";
	}
	return "unknown";
}

static int kind_of(int rootfd, const char *loader)
{
	char canon[AC_PATH_MAX];
	unsigned char hdr[sizeof(Elf32_Ehdr)];
	long len = ac_canon(rootfd, NULL, loader, canon, sizeof(canon));
	ssize_t n;
	int fd;

	if (len < 0)
		return (int)len;
	/* canon has no links left, and O_NOFOLLOW covers the last component. */
	fd = openat(rootfd, canon[1] ? canon + 1 : ".", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	n = pread(fd, hdr, sizeof(hdr), 0);
	close(fd);
	if (n < 0)
		return -errno;
	return (int)ac_elf_classify(hdr, (size_t)n);
}

int ac_root_kind(int rootfd)
{
	int kind = kind_of(rootfd, AC_ARMEL_LOADER);

	if (kind == -ENOENT) {
		int hf = kind_of(rootfd, AC_ARMHF_LOADER);

		if (hf >= 0)
			return hf;
	}
	return kind;
}
