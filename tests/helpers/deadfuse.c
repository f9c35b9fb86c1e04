// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * deadfuse MOUNTPOINT: a FUSE file system with one empty root directory,
 * run in the foreground. The integration tests mount it on ROOT/lib-x86 and
 * kill it with SIGKILL: the mount stays, and every access to it fails with
 * ENOTCONN, which is what a crashed view daemon leaves behind.
 */
#define FUSE_USE_VERSION 35
#include <errno.h>
#include <fuse.h>
#include <string.h>
#include <sys/stat.h>

static int dead_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	(void)fi;
	memset(st, 0, sizeof(*st));
	if (strcmp(path, "/"))
		return -ENOENT;
	st->st_mode = S_IFDIR | 0755;
	st->st_nlink = 2;
	return 0;
}

static int dead_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
			struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	(void)off;
	(void)fi;
	(void)flags;
	if (strcmp(path, "/"))
		return -ENOENT;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	return 0;
}

static const struct fuse_operations dead_ops = {
	.getattr = dead_getattr,
	.readdir = dead_readdir,
};

int main(int argc, char **argv)
{
	return fuse_main(argc, argv, &dead_ops, NULL);
}
