/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accel/exec/layout.h - the names accel reserves, defined once.
 *
 * What an armel root sees of accel is the view, mounted at AC_VIEW_DIR:
 * each enabled host program at the canonical path of the armel program it
 * replaces, and accel's own files under AC_RESERVED_DIR of the view. The
 * dispatcher, the view daemon, the planner and the CLIs all name these
 * paths; this header is the only place that spells them. Macros only: it is
 * included by the freestanding dispatcher too.
 *
 * AC_VREL_* are the same names relative to the view's root (the daemon's
 * and the manifest's), AC_VIEW_* absolute as seen inside the root.
 */
#ifndef ACCEL_EXEC_LAYOUT_H
#define ACCEL_EXEC_LAYOUT_H

/* The view: host equivalents of root paths live under this directory. */
#define AC_VIEW_DIR "/lib-x86"
/* The mount point relative to the root's directory. */
#define AC_VIEW_MOUNTPOINT "lib-x86"
/* The view's own files (not host equivalents) live under this directory of
 * the view, so root paths in AC_RESERVED_DIR are never mapped to it. */
#define AC_RESERVED_DIR "/.accel"
#define AC_VREL_RESERVED ".accel"

/* qemu-arm-static, served by the view (bootstrapped roots). */
#define AC_VREL_QEMU AC_VREL_RESERVED "/qemu-arm-static"
#define AC_VIEW_QEMU AC_VIEW_DIR "/" AC_VREL_QEMU
/* The same qemu under any name: AC_VIEW_QEMU_AS "/<comm>". Exec'd by fd,
 * the task keeps the armel program's name (fuseview/view.h). */
#define AC_VREL_QEMU_AS AC_VREL_RESERVED "/as"
#define AC_VIEW_QEMU_AS AC_VIEW_DIR "/" AC_VREL_QEMU_AS
/* The same qemu once more as a file of its own (another inode), under any
 * name in AC_VIEW_QEMU_MADE_AS. The dispatcher runs it for a root program
 * that must be emulated because it would load code the build made
 * (accel/exec/route.h): taskstats names the inode a task executed, so
 * `accelctl account` counts that run with the build's own programs. */
#define AC_VREL_QEMU_MADE AC_VREL_RESERVED "/qemu-arm-static.made"
#define AC_VREL_QEMU_MADE_AS AC_VREL_RESERVED "/made"
#define AC_VIEW_QEMU_MADE AC_VIEW_DIR "/" AC_VREL_QEMU_MADE
#define AC_VIEW_QEMU_MADE_AS AC_VIEW_DIR "/" AC_VREL_QEMU_MADE_AS

/* What uname(2) says the machine is for native processes (qemu's answer,
 * measured by accel-bootstrap): one line. A view without it asks for no
 * identity (accel/exec/identity.h). */
#define AC_VREL_MACHINE AC_VREL_RESERVED "/machine"
#define AC_VIEW_MACHINE AC_VIEW_DIR "/" AC_VREL_MACHINE

/* Per-program links that stand in for /proc/self/exe (accel/view/elfview.h
 * ac_self_plan): AC_VIEW_SELF_DIR plus AC_SELF_ID_LEN characters, exactly
 * as long as "/proc/self/exe". A root path of that shape is never mapped
 * to the view. */
#define AC_VREL_SELF_DIR ".e"
#define AC_VIEW_SELF_DIR AC_VIEW_DIR "/" AC_VREL_SELF_DIR
#define AC_SELF_ID_LEN 3
#define AC_SELF_IDS (64 * 64 * 64)

/* The host loader: PT_INTERP of every served file. At most 27 bytes, the
 * length of /lib64/ld-linux-x86-64.so.2 (the rewrite moves nothing). */
#define AC_VREL_LDSO AC_VREL_RESERVED "/ld.so"
#define AC_VIEW_LDSO AC_VIEW_DIR "/" AC_VREL_LDSO
/* Same-length aliases of the host's multiarch directories. */
#define AC_HOST_USRLIB "/usr/lib/x86_64-linux-gnu"
#define AC_VREL_USRLIB AC_VREL_RESERVED "/usr-lib-x"
#define AC_VIEW_USRLIB AC_VIEW_DIR "/" AC_VREL_USRLIB
#define AC_HOST_LIB "/lib/x86_64-linux-gnu"
#define AC_VREL_LIB AC_VREL_RESERVED "/lib-x"
#define AC_VIEW_LIB AC_VIEW_DIR "/" AC_VREL_LIB
#define AC_HOST_LOADER_SONAME "ld-linux-x86-64.so.2"
/* The same for the host's 32-bit ABI (i386), whose programs the view serves
 * where only they are faithful (accel/view/plan.h: as): PT_INTERP
 * /lib/ld-linux.so.2 (18 bytes) and the two multiarch directories. */
#define AC_HOST32_LDSO "/lib/ld-linux.so.2"
#define AC_VREL_LDSO32 AC_VREL_RESERVED "/l2"
#define AC_VIEW_LDSO32 AC_VIEW_DIR "/" AC_VREL_LDSO32
#define AC_HOST32_USRLIB "/usr/lib/i386-linux-gnu"
#define AC_VREL_USRLIB32 AC_VREL_RESERVED "/usrlib3"
#define AC_VIEW_USRLIB32 AC_VIEW_DIR "/" AC_VREL_USRLIB32
#define AC_HOST32_LIB "/lib/i386-linux-gnu"
#define AC_VREL_LIB32 AC_VREL_RESERVED "/li3"
#define AC_VIEW_LIB32 AC_VIEW_DIR "/" AC_VREL_LIB32
#define AC_HOST32_LOADER_SONAME "ld-linux.so.2"
/* Where the host builds of the root's BFD plugins are served (libdep, the
 * LTO plugin of the root's GCC): host binutils look here instead of the
 * root's /usr/lib/TRIPLET/bfd-plugins (accel/view/elfview.h). */
#define AC_VREL_BFD_PLUGINS AC_VREL_RESERVED "/bfd-plugins"
#define AC_VIEW_BFD_PLUGINS AC_VIEW_DIR "/" AC_VREL_BFD_PLUGINS

/* qemu-arm-static where Debian installs it (the host, or a root with a copy). */
#define AC_DEBIAN_QEMU "/usr/bin/qemu-arm-static"

#endif /* ACCEL_EXEC_LAYOUT_H */
