// SPDX-License-Identifier: GPL-2.0-or-later
/* The taskstats listener; see accel/account/taskstats.h. */
#include "config.h"

#include "accel/account/taskstats.h"

#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/taskstats.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define NLA_DATA(na) ((void *)((uintptr_t)(na) + NLA_HDRLEN))

static int nl_send(int fd, uint16_t type, uint8_t cmd, uint16_t attr, const void *data,
		   size_t len)
{
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		char buf[256];
	} req = {0};
	struct nlattr *na = (struct nlattr *)req.buf;
	struct sockaddr_nl to = {.nl_family = AF_NETLINK};

	if (len > sizeof(req.buf) - NLA_HDRLEN)
		return -EINVAL;
	req.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	req.n.nlmsg_type = type;
	req.n.nlmsg_flags = NLM_F_REQUEST;
	req.n.nlmsg_pid = (uint32_t)getpid();
	req.g.cmd = cmd;
	req.g.version = 1;
	na->nla_type = attr;
	na->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy(NLA_DATA(na), data, len);
	req.n.nlmsg_len += NLA_ALIGN(na->nla_len);
	if (sendto(fd, &req, req.n.nlmsg_len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}

/* The generic netlink family id of TASKSTATS. */
static int taskstats_family(int fd)
{
	char buf[4096];
	ssize_t n;
	int r = nl_send(fd, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, CTRL_ATTR_FAMILY_NAME,
			TASKSTATS_GENL_NAME, sizeof(TASKSTATS_GENL_NAME));

	if (r)
		return r;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0)
		return -errno;
	for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
	     h = NLMSG_NEXT(h, n)) {
		struct nlattr *na;
		int len;

		if (h->nlmsg_type == NLMSG_ERROR)
			return ((struct nlmsgerr *)NLMSG_DATA(h))->error ?: -EPROTO;
		na = (struct nlattr *)((char *)NLMSG_DATA(h) + GENL_HDRLEN);
		len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(GENL_HDRLEN);
		while (len >= NLA_HDRLEN && na->nla_len >= NLA_HDRLEN && na->nla_len <= len) {
			if (na->nla_type == CTRL_ATTR_FAMILY_ID)
				return *(uint16_t *)NLA_DATA(na);
			len -= NLA_ALIGN(na->nla_len);
			na = (struct nlattr *)((char *)na + NLA_ALIGN(na->nla_len));
		}
	}
	return -ENOENT;
}

static void take_stats(struct ac_taskstats *c, const struct nlattr *na)
{
	struct taskstats ts = {0};
	struct ac_task t = {0};
	size_t len = na->nla_len - NLA_HDRLEN;

	memcpy(&ts, NLA_DATA(na), len < sizeof(ts) ? len : sizeof(ts));
	t.pid = ts.ac_pid;
	t.tgid = ts.version >= 11 ? ts.ac_tgid : ts.ac_pid;
	t.ppid = ts.ac_ppid;
	t.btime = ts.version >= 9 ? ts.ac_btime64 : ts.ac_btime;
	t.utime = ts.ac_utime;
	t.stime = ts.ac_stime;
	if (ts.version >= 13) {
		t.exe_dev = ts.ac_exe_dev;
		t.exe_ino = ts.ac_exe_inode;
	}
	memcpy(t.comm, ts.ac_comm, sizeof(t.comm) - 1);
	if (ac_account_add(&c->acct, &t))
		c->oom = 1;
}

static void parse(struct ac_taskstats *c, const char *buf, ssize_t n)
{
	for (const struct nlmsghdr *h = (const struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
	     h = NLMSG_NEXT(h, n)) {
		const struct nlattr *na;
		int len;

		if (h->nlmsg_type != c->family)
			continue;
		na = (const struct nlattr *)((const char *)NLMSG_DATA(h) + GENL_HDRLEN);
		len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(GENL_HDRLEN);
		while (len >= NLA_HDRLEN && na->nla_len >= NLA_HDRLEN && na->nla_len <= len) {
			/* Per-task records only: the thread-group aggregate sent
			 * at group exit carries no CPU times. */
			if (na->nla_type == TASKSTATS_TYPE_AGGR_PID) {
				const struct nlattr *in = NLA_DATA(na);
				int inlen = na->nla_len - NLA_HDRLEN;

				while (inlen >= NLA_HDRLEN && in->nla_len >= NLA_HDRLEN &&
				       in->nla_len <= inlen) {
					if (in->nla_type == TASKSTATS_TYPE_STATS)
						take_stats(c, in);
					inlen -= NLA_ALIGN(in->nla_len);
					in = (const struct nlattr *)((const char *)in +
								     NLA_ALIGN(in->nla_len));
				}
			}
			len -= NLA_ALIGN(na->nla_len);
			na = (const struct nlattr *)((const char *)na + NLA_ALIGN(na->nla_len));
		}
	}
}

static void *reader(void *arg)
{
	struct ac_taskstats *c = arg;
	static char buf[1 << 16];

	for (;;) {
		int stopping = atomic_load(&c->stop);
		ssize_t n = recv(c->fd, buf, sizeof(buf), stopping ? MSG_DONTWAIT : 0);

		if (n > 0) {
			parse(c, buf, n);
			continue;
		}
		if (n < 0 && errno == ENOBUFS) {
			c->lost++;
			continue;
		}
		if (n < 0 && (errno == EINTR || (errno == EAGAIN && !stopping)))
			continue;
		if (stopping || n == 0 || errno != EAGAIN)
			break;
	}
	return NULL;
}

static int listen_start(struct ac_taskstats *c)
{
	struct sockaddr_nl local = {.nl_family = AF_NETLINK};
	struct timeval tv = {.tv_usec = 100000};
	char mask[64] = "0";
	int size = 64 << 20, r;
	FILE *f;

	c->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (c->fd < 0)
		return -errno;
	/* Bursts of exits must not overflow the socket: 64 MiB (root). */
	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	/* A timeout lets the reader see the stop flag. */
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(c->fd, (struct sockaddr *)&local, sizeof(local)) < 0)
		return -errno;
	r = taskstats_family(c->fd);
	if (r < 0)
		return r;
	c->family = (uint16_t)r;
	if ((f = fopen("/sys/devices/system/cpu/possible", "re"))) {
		if (!fgets(mask, sizeof(mask), f))
			snprintf(mask, sizeof(mask), "0");
		mask[strcspn(mask, "\n")] = '\0';
		fclose(f);
	}
	return nl_send(c->fd, c->family, TASKSTATS_CMD_GET, TASKSTATS_CMD_ATTR_REGISTER_CPUMASK,
		       mask, strlen(mask) + 1);
}

int ac_taskstats_start(struct ac_taskstats *c)
{
	int r;

	c->fd = -1;
	atomic_store(&c->stop, 0);
	if ((r = listen_start(c)) < 0) {
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		return r;
	}
	if ((r = pthread_create(&c->reader, NULL, reader, c))) {
		close(c->fd);
		c->fd = -1;
		return -r;
	}
	return 0;
}

void ac_taskstats_stop(struct ac_taskstats *c)
{
	if (c->fd < 0)
		return;
	atomic_store(&c->stop, 1);
	pthread_join(c->reader, NULL);
	close(c->fd);
	c->fd = -1;
}
