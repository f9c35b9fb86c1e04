// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of lib/armel.c (ELF kinds) and lib/binfmt.c (entry strings). */
#include "config.h"

#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "accel/root/armel.h"
#include "accel/root/binfmt.h"

static void arm_header(unsigned char *buf, unsigned int flags, unsigned char data)
{
	Elf32_Ehdr eh;

	memset(&eh, 0, sizeof(eh));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS32;
	eh.e_ident[EI_DATA] = data;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_ARM;
	eh.e_flags = flags;
	memcpy(buf, &eh, sizeof(eh));
}

Test(elf, armel_armhf_and_others)
{
	unsigned char b[64];

	arm_header(b, 0x05000200, ELFDATA2LSB); /* what Debian armel gcc emits */
	cr_assert_eq(ac_elf_classify(b, sizeof(Elf32_Ehdr)), AC_ELF_ARMEL);
	arm_header(b, 0x05000000, ELFDATA2LSB);
	cr_assert_eq(ac_elf_classify(b, sizeof(Elf32_Ehdr)), AC_ELF_ARMEL);
	arm_header(b, 0x05000400, ELFDATA2LSB); /* armhf */
	cr_assert_eq(ac_elf_classify(b, sizeof(Elf32_Ehdr)), AC_ELF_ARMHF);
	arm_header(b, 0x00000002, ELFDATA2LSB); /* old ABI */
	cr_assert_eq(ac_elf_classify(b, sizeof(Elf32_Ehdr)), AC_ELF_ARM_OTHER);
	cr_assert_eq(ac_elf_classify(b, 20), AC_ELF_TRUNCATED);
	cr_assert_eq(ac_elf_classify((const unsigned char *)"#!/bin/sh\n", 10), AC_ELF_NOT_ELF);
	cr_assert_eq(ac_elf_classify((const unsigned char *)"\x7f", 1), AC_ELF_TRUNCATED);
}

Test(elf, the_host_qemu_is_x86_64)
{
	unsigned char b[sizeof(Elf64_Ehdr)];
	int fd = open(ACCEL_QEMU_BLOB_PATH, O_RDONLY); /* configure's --with-qemu-arm */

	cr_assert_geq(fd, 0);
	cr_assert_eq(read(fd, b, sizeof(b)), (ssize_t)sizeof(b));
	close(fd);
	cr_assert_eq(ac_elf_classify(b, sizeof(b)), AC_ELF_X86_64);
	cr_assert_str_eq(ac_elf_kind_name(AC_ELF_X86_64), "x86_64");
}

Test(binfmt, register_string_is_debians_magic_and_mask)
{
	char buf[AC_BINFMT_MAX_REGISTER + 64];

	cr_assert_eq(ac_binfmt_build(buf, sizeof(buf), "accel-armel",
				     "/usr/libexec/accel/accel-dispatch", AC_BINFMT_FLAGS),
		     0);
	cr_assert_str_eq(buf,
			 ":accel-armel:M::"
			 "\\x7f\\x45\\x4c\\x46\\x01\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
			 "\\x00\\x00\\x02\\x00\\x28\\x00:"
			 "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff"
			 "\\xff\\xff\\xfe\\xff\\xff\\xff:"
			 "/usr/libexec/accel/accel-dispatch:PF");
}

Test(binfmt, bad_names_and_interpreters_refused)
{
	char buf[AC_BINFMT_MAX_REGISTER + 64], longpath[AC_BINFMT_MAX_REGISTER + 10];

	cr_assert_eq(ac_binfmt_build(buf, sizeof(buf), "a:b", "/x", "PF"), -EINVAL);
	cr_assert_eq(ac_binfmt_build(buf, sizeof(buf), "a/b", "/x", "PF"), -EINVAL);
	cr_assert_eq(ac_binfmt_build(buf, sizeof(buf), "status", "/x", "PF"), -EINVAL);
	cr_assert_eq(ac_binfmt_build(buf, sizeof(buf), "", "/x", "PF"), -EINVAL);
	cr_assert_eq(ac_binfmt_build(buf, sizeof(buf), "ok", "relative", "PF"), -EINVAL);
	cr_assert_eq(ac_binfmt_build(buf, sizeof(buf), "ok", "/a:b", "PF"), -EINVAL);
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	cr_assert_eq(ac_binfmt_build(buf, sizeof(buf), "ok", longpath, "PF"), -E2BIG);
	cr_assert(ac_binfmt_name_ok("accel-test-1234"));
}

Test(binfmt, parse_status_file)
{
	const char *text = "enabled\n"
			   "interpreter /usr/libexec/qemu-binfmt/arm-binfmt-P\n"
			   "flags: POF\n"
			   "offset 0\n"
			   "magic 7f454c4601010100000000000000000002002800\n"
			   "mask ffffffffffffff00fffffffffffffffffeffffff\n";
	struct ac_binfmt_entry e;

	cr_assert_eq(ac_binfmt_parse_status(text, &e), 0);
	cr_assert_eq(e.enabled, 1);
	cr_assert_str_eq(e.interpreter, "/usr/libexec/qemu-binfmt/arm-binfmt-P");
	cr_assert_str_eq(e.flags, "POF");
	cr_assert_str_eq(e.magic, AC_ARMEL_MAGIC_HEX);
	cr_assert_str_eq(e.mask, AC_ARMEL_MASK_HEX);
	cr_assert_eq(ac_binfmt_parse_status("disabled\ninterpreter /x\n", &e), 0);
	cr_assert_eq(e.enabled, 0);
	cr_assert_eq(ac_binfmt_parse_status("garbage", &e), -EINVAL);
}
