/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accel/exec/plugin.h - code a native program is handed by path.
 *
 * Owns the rule for arguments that name a file of code to load: GCC's
 * driver passes its LTO plugin to the linker (collect2 -> ld
 * `-plugin /usr/lib/gcc/TRIPLET/N/liblto_plugin.so`), gcc-ar/nm/ranlib
 * pass it to ar, nm and ranlib (`--plugin PATH`), and cc1 is handed GCC
 * plugins (`-fplugin=PATH`). The root's file there is armel code; a host
 * program dlopens it and fails. When the program runs natively, each such
 * path that the view serves as a host build (/lib-x86 + its canonical path,
 * accel/view/plan.h) is replaced by the view's path in argv; a path the view
 * does not serve, or a response file (@FILE) that names such an option,
 * means the program must be emulated (the file's contents are not
 * rewritten: nothing in the root is written). Only the option's argument
 * changes: every other argument, output paths included, stays. A path in
 * the view already stays for a native program (a native collect2 passes on
 * what it was given) and is given back its root path for an emulated one
 * (ac_plugin_unview): each program gets the plugin of its own kind.
 *
 * Forms: `-plugin P`, `--plugin P`, `-plugin=P`, `--plugin=P`,
 * `-fplugin=P` (P relative to cwd or absolute). `-plugin-opt...`,
 * `-fplugin-arg-...` are options of the plugin, not paths of code.
 *
 * Freestanding: the dispatcher links it; raw syscalls only.
 */
#ifndef ACCEL_EXEC_PLUGIN_H
#define ACCEL_EXEC_PLUGIN_H

#include <stddef.h>

/* Rewritten arguments' room: a few plugins per command line at most. */
#define AC_PLUGIN_ARGS_MAX 4

enum ac_plugin {
	AC_PLUGIN_NONE = 0,  /* no plugin path among the arguments */
	AC_PLUGIN_REWRITTEN, /* every plugin path now names the view's host build */
	AC_PLUGIN_EMULATE,   /* one has no host build, or hides in a response file */
};

/*
 * Go through args (args[0] is argv0; NULL-terminated) and rewrite in place
 * (pointers into buf, size bytes; at most AC_PLUGIN_ARGS_MAX, more is
 * AC_PLUGIN_EMULATE), recording the old pointers in undo. served(hostpath, ctx) says whether the
 * view serves a host build at hostpath; cwd is the caller's working
 * directory as seen in the root (NULL: asked of the kernel when a relative
 * plugin path needs it). Response files are opened (relative to the
 * process's directory) and scanned (ac_plugin_text_names).
 */
struct ac_plugin_undo {
	char **slot[AC_PLUGIN_ARGS_MAX];
	char *orig[AC_PLUGIN_ARGS_MAX];
	size_t n;
};
enum ac_plugin ac_plugin_rewrite(char **args, const char *cwd, char *buf, size_t size,
				 struct ac_plugin_undo *undo,
				 int (*served)(const char *hostpath, void *ctx), void *ctx);
/* Put back what ac_plugin_rewrite changed (before the program is emulated
 * after all: the armel program must get the root's paths). AC_PLUGIN_EMULATE
 * leaves nothing changed. */
void ac_plugin_restore(struct ac_plugin_undo *undo);

/*
 * The other way, for a program that is emulated: a plugin argument that names
 * a view file (/lib-x86/P, passed on by a native program that was given the
 * rewrite, as collect2 passes ld its -plugin) names the root's file P again
 * (pointers into buf for the "=" forms).
 */
void ac_plugin_unview(char **args, char *buf, size_t size);

/*
 * Does text (len bytes of a response file, maybe a window of one) hold one
 * of the plugin options as a whole word? 1 or 0. A window should overlap
 * the previous one by AC_PLUGIN_OVERLAP bytes.
 */
int ac_plugin_text_names(const char *text, size_t len);
#define AC_PLUGIN_OVERLAP 16

#endif /* ACCEL_EXEC_PLUGIN_H */
