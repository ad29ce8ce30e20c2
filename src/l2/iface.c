/*
 * rtnetlink glue for interface following (see iface.h). Subscribes first and dumps second, on two
 * sockets, so no change between the two is missed: events that raced the dump are applied after
 * it, and every update is idempotent (rtnetlink(7); NLM_F_DUMP_INTR per netlink(7) restarts a dump).
 */
#include "l2/iface.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/log.h"
#include "core/loop.h"
#include "l2/iface_nl.h"

#define COMPONENT "l2"
#define DUMP_TRIES 5
/* Bigger than any netlink message the kernel sends (netlink(7) suggests 32 KiB for recvmsg). */
#define NL_BUF 32768
#define EVENT_BUDGET 16
/* Room for bursts of events (many VLANs created at once) before the kernel drops any. */
#define EVENT_RCVBUF (1 << 20)

static struct {
	struct mnl_socket *events;
	struct watch *watch;
	struct l2_link_table table;
	l2_iface_fn fn;
	void *arg;
	uint32_t seq;
} I;

static void notify(enum l2_iface_change change, int ifindex)
{
	if (I.fn)
		I.fn(change, ifindex, I.arg);
}

/* Applies one RTM_* message to the table; returns whether it changed. With `report`, tells the
 * callback too (not during a dump: the caller reports a resync instead). */
static void apply(const struct nlmsghdr *nlh, bool report)
{
	struct l2_link_info link;
	struct l2_if_addr addr;
	int ifindex;
	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
		if (l2_nl_parse_link(nlh, &link) && l2_table_set_link(&I.table, &link) && report)
			notify(L2_IFACE_LINK, link.ifindex);
		break;
	case RTM_DELLINK:
		if (l2_nl_parse_link(nlh, &link) && l2_table_del_link(&I.table, link.ifindex) && report)
			notify(L2_IFACE_LINK_GONE, link.ifindex);
		break;
	case RTM_NEWADDR:
		if (l2_nl_parse_addr(nlh, &ifindex, &addr) && l2_table_add_addr(&I.table, ifindex, &addr) &&
		    report)
			notify(L2_IFACE_ADDR, ifindex);
		break;
	case RTM_DELADDR:
		if (l2_nl_parse_addr(nlh, &ifindex, &addr) && l2_table_del_addr(&I.table, ifindex, &addr) &&
		    report)
			notify(L2_IFACE_ADDR, ifindex);
		break;
	}
}

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	apply(nlh, false);
	return MNL_CB_OK;
}

/* One RTM_GETLINK or RTM_GETADDR dump on a private socket, applied to the table. */
static int dump_once(struct mnl_socket *nl, uint16_t type)
{
	static _Alignas(struct nlmsghdr) char buf[NL_BUF];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++I.seq;
	struct rtgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	unsigned portid = mnl_socket_get_portid(nl);
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -1;
		int rc = mnl_cb_run(buf, (size_t)n, I.seq, portid, dump_cb, NULL);
		if (rc < 0)
			return -1;      /* EINTR: NLM_F_DUMP_INTR, the caller starts over */
		if (rc == MNL_CB_STOP)
			return 0;
	}
}

/* Rebuilds the table from scratch: links first, so addresses find their link. */
static int dump_all(void)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl)
		return -1;
	int rc = -1;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto out;
	for (int i = 0; i < DUMP_TRIES; i++) {
		l2_table_clear(&I.table);
		if (dump_once(nl, RTM_GETLINK) == 0 && dump_once(nl, RTM_GETADDR) == 0) {
			rc = 0;
			break;
		}
		if (errno != EINTR)
			break;
	}
out:;
	int saved = errno;
	mnl_socket_close(nl);
	errno = saved;
	return rc;
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	apply(nlh, true);
	return MNL_CB_OK;
}

static void resync(void)
{
	if (dump_all() != 0) {
		log_error(COMPONENT, "cannot re-read interfaces", "error=%s", strerror(errno));
		return;
	}
	log_warn(COMPONENT, "interface events were lost; re-read all interfaces", "links=%zu",
		 I.table.n);
	notify(L2_IFACE_RESYNC, 0);
}

static void on_event(int fd, int events, void *arg)
{
	static _Alignas(struct nlmsghdr) char buf[NL_BUF];
	for (int i = 0; i < EVENT_BUDGET; i++) {
		ssize_t n = mnl_socket_recvfrom(I.events, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			if (errno == ENOBUFS) {
				resync();
				continue;
			}
			log_error(COMPONENT, "interface events failed", "error=%s", strerror(errno));
			return;
		}
		/* Events carry sequence 0 and come from the kernel (port 0). */
		if (mnl_cb_run(buf, (size_t)n, 0, 0, event_cb, NULL) < 0)
			log_warn(COMPONENT, "bad interface event", "error=%s", strerror(errno));
	}
}

int l2_iface_start(l2_iface_fn fn, void *arg)
{
	I.fn = fn;
	I.arg = arg;
	I.seq = (uint32_t)time(NULL);
	I.events = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!I.events)
		goto fail;
	int rcvbuf = EVENT_RCVBUF;
	(void)setsockopt(mnl_socket_get_fd(I.events), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (mnl_socket_bind(I.events, RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
			    MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	if (dump_all() != 0)
		goto fail;
	I.watch = watch_new(mnl_socket_get_fd(I.events), WATCH_READ, on_event, NULL);
	log_info(COMPONENT, "following interfaces", "links=%zu", I.table.n);
	return 0;
fail:
	log_error(COMPONENT, "cannot use rtnetlink", "error=%s", strerror(errno));
	l2_iface_stop();
	return -1;
}

void l2_iface_stop(void)
{
	if (I.watch) {
		watch_free(I.watch);
		I.watch = NULL;
	}
	if (I.events) {
		mnl_socket_close(I.events);
		I.events = NULL;
	}
	l2_table_clear(&I.table);
	I.fn = NULL;
}

const struct l2_link_table *l2_iface_table(void)
{
	return &I.table;
}

size_t l2_iface_select(const struct l2_iface_policy *p, const ip_addr *service, int *out,
		       size_t max)
{
	return l2_select_interfaces(&I.table, p, service, out, max);
}
