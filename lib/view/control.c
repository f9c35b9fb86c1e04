// SPDX-License-Identifier: GPL-2.0-or-later
/* The view daemon's control protocol; see accel/view/control.h. */
#include "config.h"

#include "accel/view/control.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static const char *const req_names[AC_CONTROL_NREQ] = {
	[AC_CONTROL_RELOAD] = "reload",
	[AC_CONTROL_STATS] = "stats",
	[AC_CONTROL_PING] = "ping",
};

const char *ac_control_req_name(enum ac_control_req req)
{
	return req < AC_CONTROL_NREQ ? req_names[req] : "?";
}

int ac_control_req_parse(const char *buf, size_t len)
{
	if (len && buf[len - 1] == '\n')
		len--;
	for (int i = 0; i < AC_CONTROL_NREQ; i++)
		if (strlen(req_names[i]) == len && !memcmp(buf, req_names[i], len))
			return i;
	return -EINVAL;
}

int ac_control_request(const char *dir, enum ac_control_req req, char **reply,
		       struct ac_err *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = AC_CONTROL_TIMEOUT_S};
	const char *word = ac_control_req_name(req);
	char *buf;
	ssize_t n;
	int fd, r;

	*reply = NULL;
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/" AC_CONTROL_SOCKET, dir) >=
	    sizeof(sa.sun_path))
		return ac_fail(err, -ENAMETOOLONG, "%s/" AC_CONTROL_SOCKET ": too long for a socket",
			       dir);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ac_fail_errno(err, -errno, "socket");
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(fd, word, strlen(word), MSG_NOSIGNAL) < 0) {
		r = ac_fail_errno(err, -errno, "the view daemon at %s", sa.sun_path);
		close(fd);
		return r;
	}
	if (!(buf = malloc(AC_CONTROL_MAX_REPLY + 1))) {
		close(fd);
		return -ENOMEM;
	}
	n = recv(fd, buf, AC_CONTROL_MAX_REPLY, 0);
	r = n < 0 ? -errno : 0;
	close(fd);
	if (r || n == 0) {
		free(buf);
		return ac_fail_errno(err, r ? r : -ECONNRESET, "the view daemon at %s (%s)",
				     sa.sun_path, word);
	}
	buf[n] = '\0';
	*reply = buf;
	return 0;
}

int ac_control_reload_parse(const char *reply, struct ac_reload_reply *out)
{
	const char *l;

	memset(out, 0, sizeof(*out));
	if (!strncmp(reply, "error ", 6)) {
		out->error = reply + 6;
		out->error_len = strcspn(reply + 6, "\n");
		return 0;
	}
	if (sscanf(reply, "ok generation=%llu files=%llu changed=%llu refused=%llu",
		   &out->generation, &out->files, &out->changed, &out->refused) != 4)
		return -EPROTO;
	out->ok = 1;
	if ((l = strstr(reply, "\nrefused "))) {
		out->first_refused = l + 1;
		out->first_refused_len = strcspn(l + 1, "\n");
	}
	return 0;
}

/* The line after l, or NULL. */
static const char *next_line(const char *l)
{
	const char *nl = strchr(l, '\n');

	return nl && nl[1] ? nl + 1 : NULL;
}

const char *ac_control_stat(const char *stats, const char *key, char *buf, size_t size)
{
	size_t kl = strlen(key);

	for (const char *l = stats && *stats ? stats : NULL; l; l = next_line(l))
		if (!strncmp(l, key, kl) && l[kl] == '=') {
			snprintf(buf, size, "%.*s", (int)strcspn(l + kl + 1, "\n"), l + kl + 1);
			return buf;
		}
	snprintf(buf, size, "?");
	return buf;
}

const char *ac_control_node(const char *stats, const char *path, size_t *len)
{
	const size_t np = sizeof(AC_STAT_NODE_PREFIX) - 1;
	size_t pl = strlen(path);

	for (const char *l = stats && *stats ? stats : NULL; l; l = next_line(l)) {
		size_t ll = strcspn(l, "\n");

		if (!strncmp(l, AC_STAT_NODE_PREFIX, np) && ll > pl + np &&
		    !strncmp(l + ll - pl, path, pl) && l[ll - pl - 1] == ' ') {
			*len = ll - pl - 1 - np;
			return l + np;
		}
	}
	return NULL;
}
