/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The carried copy of qemu-arm-static: the fallback of last resort when no
 * qemu is reachable by path from the root the exec happened in (a root that
 * was never bootstrapped, with or without /proc). The kernel maps it with the
 * rest of the image; it is only read when it is needed.
 */
#include "config.h"

	.section .rodata.accel_qemu, "a"
	.balign 4096
	.global accel_qemu_blob
	.type accel_qemu_blob, @object
accel_qemu_blob:
	.incbin ACCEL_QEMU_BLOB_PATH
	.global accel_qemu_blob_end
accel_qemu_blob_end:
	.section .note.GNU-stack, "", @progbits
