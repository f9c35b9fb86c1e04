// SPDX-License-Identifier: GPL-2.0-or-later
/* binfmt_misc entries; see accel/root/binfmt.h for the contract. */
#include "config.h"

#include "accel/root/binfmt.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accel/base/util.h"
#include "accel/exec/dispatch.h"

#ifndef BINFMTFS_MAGIC
#define BINFMTFS_MAGIC 0x42494e4d
#endif

int ac_binfmt_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > AC_BINFMT_MAX_NAME || !strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	/* "register" and "status" are the control files themselves. */
	if (!strcmp(name, "register") || !strcmp(name, "status"))
		return 0;
	return strpbrk(name, "/:\n") == NULL;
}

int ac_binfmt_build(char *buf, size_t size, const char *name, const char *interp,
		    const char *flags)
{
	int n;

	if (!ac_binfmt_name_ok(name) || !interp || interp[0] != '/' || strchr(interp, ':') ||
	    strchr(interp, '\n'))
		return -EINVAL;
	n = snprintf(buf, size, ":%s:M::" AC_ARMEL_MAGIC ":" AC_ARMEL_MASK ":%s:%s", name, interp,
		     flags);
	if (n < 0 || (size_t)n >= size || n > AC_BINFMT_MAX_REGISTER)
		return -E2BIG;
	return 0;
}

/* Copy a status field; refuse values that do not fit instead of cutting. */
static int field(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		return -EINVAL;
	memcpy(dst, src, n + 1);
	return 0;
}

int ac_binfmt_parse_status(const char *text, struct ac_binfmt_entry *e)
{
	const char *line = text;
	int have_state = 0;

	memset(e, 0, sizeof(*e));
	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char l[4200];

		if (len >= sizeof(l))
			return -EINVAL;
		memcpy(l, line, len);
		l[len] = '\0';
		if (!strcmp(l, "enabled")) {
			e->enabled = 1;
			have_state = 1;
		} else if (!strcmp(l, "disabled")) {
			e->enabled = 0;
			have_state = 1;
		} else if (!strncmp(l, "interpreter ", 12)) {
			if (field(e->interpreter, sizeof(e->interpreter), l + 12))
				return -EINVAL;
		} else if (!strncmp(l, "flags: ", 7)) {
			if (field(e->flags, sizeof(e->flags), l + 7))
				return -EINVAL;
		} else if (!strncmp(l, "offset ", 7)) {
			e->offset = (unsigned int)strtoul(l + 7, NULL, 10);
		} else if (!strncmp(l, "magic ", 6)) {
			if (field(e->magic, sizeof(e->magic), l + 6))
				return -EINVAL;
		} else if (!strncmp(l, "mask ", 5)) {
			if (field(e->mask, sizeof(e->mask), l + 5))
				return -EINVAL;
		}
		line = end ? end + 1 : NULL;
	}
	return have_state && e->interpreter[0] ? 0 : -EINVAL;
}

int ac_binfmt_mounted(const char *dir)
{
	struct statfs sfs;

	return statfs(dir, &sfs) == 0 && sfs.f_type == BINFMTFS_MAGIC;
}

int ac_binfmt_ensure_mounted(const char *dir)
{
	if (ac_binfmt_mounted(dir))
		return 0;
	if (mount("binfmt_misc", dir, "binfmt_misc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return -errno;
	return 1;
}

int ac_binfmt_read(const char *dir, const char *name, struct ac_binfmt_entry *e)
{
	char path[4096], text[8192];
	long n;

	if (!ac_binfmt_name_ok(name))
		return -EINVAL;
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	n = ac_read_small(-1, path, text, sizeof(text));
	if (n < 0)
		return (int)n;
	return ac_binfmt_parse_status(text, e);
}

int ac_binfmt_register(const char *dir, const char *name, const char *interp, const char *flags)
{
	char reg[AC_BINFMT_MAX_REGISTER + 64], path[4096];
	int err = ac_binfmt_build(reg, sizeof(reg), name, interp, flags);

	if (err)
		return err;
	if (snprintf(path, sizeof(path), "%s/register", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return ac_write_proc(path, reg, strlen(reg));
}

int ac_binfmt_unregister(const char *dir, const char *name)
{
	char path[4096];

	if (!ac_binfmt_name_ok(name))
		return -EINVAL;
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return ac_write_proc(path, "-1", 2);
}

/*
 * The probe program: an armel (EABI5) ELF of one segment whose code is
 * exit(1): mov r0, #1; mov r7, #1 (__NR_exit); svc 0. It matches the armel
 * magic and mask byte for byte, as every armel program does.
 */
static const unsigned char probe_elf[] = {
	/* Elf32_Ehdr: ident, ET_EXEC, EM_ARM, version 1, entry 0x10054,
	 * phoff 52, shoff 0, flags EABI5, ehsize 52, phentsize 32, phnum 1,
	 * shentsize 40, shnum 0, shstrndx 0 */
	0x7f, 'E', 'L', 'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0x02, 0x00, 0x28, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x54, 0x00, 0x01, 0x00, 0x34, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
	0x34, 0x00, 0x20, 0x00, 0x01, 0x00, 0x28, 0x00,
	0x00, 0x00, 0x00, 0x00,
	/* Elf32_Phdr: PT_LOAD, offset 0, vaddr = paddr = 0x10000, filesz =
	 * memsz = 96, R+X, align 0x1000 */
	0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00,
	0x60, 0x00, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00,
	0x05, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00,
	/* code at 0x10054 */
	0x01, 0x00, 0xa0, 0xe3, 0x01, 0x70, 0xa0, 0xe3, 0x00, 0x00, 0x00, 0xef,
};

int ac_binfmt_probe(const char *dir, struct ac_probe_answer *ans)
{
	char path[4096], buf[512];
	char *const argv[] = {(char *)AC_DISPATCH_PROBE_ARGV0, NULL};
	char *const envp[] = {NULL};
	int fd, p[2], status, err = 0;
	size_t len = 0;
	pid_t pid;

	ans->version[0] = ans->interpreter[0] = '\0';
	if ((size_t)snprintf(path, sizeof(path), "%s/.accel-probe.XXXXXX", dir) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, probe_elf, sizeof(probe_elf)) != (ssize_t)sizeof(probe_elf) ||
	    fchmod(fd, 0700) < 0) {
		err = errno ? -errno : -EIO;
		close(fd);
		unlink(path);
		return err;
	}
	close(fd); /* exec refuses a file open for writing (ETXTBSY) */
	if (pipe2(p, O_CLOEXEC) < 0) {
		err = -errno;
		unlink(path);
		return err;
	}
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (dup2(p[1], STDOUT_FILENO) < 0 || null < 0 || dup2(null, STDIN_FILENO) < 0 ||
		    dup2(null, STDERR_FILENO) < 0)
			_exit(127);
		execve(path, argv, envp);
		_exit(errno == ENOEXEC ? 126 : 127);
	}
	close(p[1]);
	if (pid < 0) {
		err = -errno;
		close(p[0]);
		unlink(path);
		return err;
	}
	/* The answer is one short line; a probe that hangs is killed. */
	for (;;) {
		struct pollfd pf = {.fd = p[0], .events = POLLIN};
		ssize_t n;

		if (poll(&pf, 1, 10000) <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		n = read(p[0], buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == sizeof(buf) - 1)
			break;
	}
	buf[len] = '\0';
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			unlink(path);
			return -errno;
		}
	unlink(path);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 126)
		return AC_PROBE_NONE;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    !strncmp(buf, "accel-dispatch ", 15)) {
		/* "accel-dispatch VERSION INTERPRETER\n" */
		const char *v = buf + 15, *sp = strchr(v, ' ');

		buf[strcspn(buf, "\n")] = '\0';
		if (sp) {
			snprintf(ans->version, sizeof(ans->version), "%.*s", (int)(sp - v), v);
			snprintf(ans->interpreter, sizeof(ans->interpreter), "%s", sp + 1);
		}
		return AC_PROBE_ACCEL;
	}
	return AC_PROBE_OTHER;
}
