/*
 * Layer-2 responder glue (see responder.h): per-interface raw sockets on the event loop, the owned
 * address set, and the announcement schedule. Frames are parsed and built by arp.c (RFC 826,
 * RFC 5227 3) and ndp.c (RFC 4861 7.1.1, 7.2.4, 7.2.6); this file decides whom to answer. The
 * solicited-node group of each owned IPv6 address is joined as RFC 4861 7.2.1 asks of a node.
 * Counters are kept per interface and per owned IP (struct ip_stats, shared by the interfaces
 * owning the same IP, so moving an IP between interfaces does not reset its counts).
 */
#include "l2/responder.h"

#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/xalloc.h"
#include "l2/arp.h"
#include "l2/eth.h"
#include "l2/ndp.h"
#include "l2/rawsock.h"

#define COMPONENT "l2"
/* Frames read per wake-up, so one busy interface cannot starve the rest of the loop. */
#define RX_BUDGET 64
#define TX_BUF RAWSOCK_TX_FRAME

struct l2_if;

/* Counters of one owned IP; one per IP, however many interfaces own it. */
struct ip_stats {
	ip_addr ip;
	unsigned refs;             /* owned entries pointing here; freed at zero */
	struct l2_ip_counters c;
	struct ip_stats *next;
};

struct owned {
	ip_addr ip;
	struct l2_if *li;
	struct ip_stats *stats;    /* a reference, dropped in owned_remove() */
	struct timer *timer;       /* next announcement */
	unsigned burst_left;       /* announcements left in the burst */
};

struct l2_if {
	int ifindex;
	char name[IF_NAMESIZE];
	int fd;                    /* -1 while the interface owns nothing */
	struct watch *watch;
	eth_addr mac;
	struct owned **owned;      /* each entry owned by this interface, freed in owned_remove() */
	size_t n_owned, cap_owned;
	struct l2_counters counters;
	struct l2_if *next;
};

static struct {
	struct l2_config cfg;
	struct l2_if *ifs;
	/* One batch each way, reused by every interface: the loop is single-threaded and a batch
	 * is flushed before on_readable returns. Static, not on the stack: 70 KiB. */
	struct rawsock_rx rx;
	struct rawsock_tx tx;
	/* Which IP each queued reply answers for (tx_for[i] goes with tx.frame[i]), so a reply is
	 * counted only once sendmmsg has taken it. Owned entries cannot go away while replies are
	 * queued: the batch is flushed before on_readable returns to the loop. */
	struct ip_stats *tx_for[RAWSOCK_BATCH];
	struct ip_stats *ipstats;
} R;

struct l2_config l2_config_default(void)
{
	struct l2_config cfg = {
		.burst_count = 5,
		.burst_span = mono_from_s(2),
		.refresh = mono_from_s(60),
	};
	return cfg;
}

void l2_responder_init(const struct l2_config *cfg)
{
	R.cfg = *cfg;
	R.ifs = NULL;
	R.ipstats = NULL;
}

/* The counters of ip, created at zero if no interface owns it yet; takes a reference. */
static struct ip_stats *ipstats_get(const ip_addr *ip)
{
	for (struct ip_stats *st = R.ipstats; st; st = st->next) {
		if (ip_addr_eq(&st->ip, ip)) {
			st->refs++;
			return st;
		}
	}
	struct ip_stats *st = XNEW(struct ip_stats);
	st->ip = *ip;
	st->refs = 1;
	st->next = R.ipstats;
	R.ipstats = st;
	return st;
}

/* Drops a reference; the last one forgets the IP's counters. */
static void ipstats_put(struct ip_stats *st)
{
	if (--st->refs > 0)
		return;
	for (struct ip_stats **pp = &R.ipstats; *pp; pp = &(*pp)->next) {
		if (*pp == st) {
			*pp = st->next;
			break;
		}
	}
	free(st);
}

static const char *fmt_ip(const ip_addr *ip, char buf[IP_ADDR_STRLEN])
{
	if (ip_addr_format(ip, buf, IP_ADDR_STRLEN) < 0)
		strcpy(buf, "?");
	return buf;
}

/* --- sending ------------------------------------------------------------------------------ */

static bool send_frame(struct l2_if *li, const wbuf *w)
{
	static struct log_ratelimit rl = LOG_RATELIMIT(5, 1);
	if (!wbuf_ok(w))
		log_fatal(COMPONENT, "frame does not fit its buffer", "iface=%s", li->name);
	if (rawsock_send(li->fd, w->data, wbuf_len(w)) == 0)
		return true;
	li->counters.errors++;
	log_rl(&rl, LOGL_WARN, COMPONENT, "send failed", "iface=%s error=%s", li->name,
	       strerror(errno));
	return false;
}

static void count_gratuitous(struct owned *o)
{
	o->li->counters.gratuitous_sent++;
	o->stats->c.gratuitous++;
}

static void announce(struct owned *o)
{
	struct l2_if *li = o->li;
	uint8_t buf[TX_BUF];
	wbuf w;
	if (o->ip.family == IP_V4) {
		w = wbuf_make(buf, sizeof(buf));
		arp_build_gratuitous_request(&w, &o->ip, &li->mac);
		if (send_frame(li, &w))
			count_gratuitous(o);
		w = wbuf_make(buf, sizeof(buf));
		arp_build_gratuitous_reply(&w, &o->ip, &li->mac);
		if (send_frame(li, &w))
			count_gratuitous(o);
	} else {
		w = wbuf_make(buf, sizeof(buf));
		ndp_build_unsolicited_na(&w, &o->ip, &li->mac);
		if (send_frame(li, &w))
			count_gratuitous(o);
	}
}

/* Arms the timer for the next announcement: the rest of the burst, then the refresh. */
static void schedule_next(struct owned *o)
{
	if (o->burst_left > 0) {
		monotime gap = mono_from_ns(mono_to_ns(R.cfg.burst_span) / R.cfg.burst_count);
		timer_start(o->timer, gap);
	} else if (!mono_is_zero(R.cfg.refresh)) {
		timer_start(o->timer, R.cfg.refresh);
	}
}

static void on_announce_timer(void *arg)
{
	struct owned *o = arg;
	if (o->burst_left > 0)
		o->burst_left--;
	announce(o);
	schedule_next(o);
}

/* Announces at once and starts the burst over. */
static void start_announcing(struct owned *o)
{
	o->burst_left = R.cfg.burst_count;
	announce(o);
	schedule_next(o);
}

/* --- the owned set ------------------------------------------------------------------------ */

static struct owned *owned_find(const struct l2_if *li, const ip_addr *ip)
{
	for (size_t i = 0; i < li->n_owned; i++)
		if (ip_addr_eq(&li->owned[i]->ip, ip))
			return li->owned[i];
	return NULL;
}

static void group_membership(struct l2_if *li, const ip_addr *ip, bool join)
{
	if (ip->family != IP_V6)
		return;
	ip_addr group = ndp_solicited_node(ip);
	eth_addr mac = ndp_multicast_mac(&group);
	int rc = join ? rawsock_join(li->fd, li->ifindex, &mac)
		      : rawsock_leave(li->fd, li->ifindex, &mac);
	if (rc != 0) {
		char ipbuf[IP_ADDR_STRLEN];
		log_warn(COMPONENT, join ? "cannot join solicited-node group"
					 : "cannot leave solicited-node group",
			 "iface=%s ip=%s error=%s", li->name, fmt_ip(ip, ipbuf), strerror(errno));
	}
}

static void owned_add(struct l2_if *li, const ip_addr *ip)
{
	char ipbuf[IP_ADDR_STRLEN];
	struct owned *o = XNEW(struct owned);
	o->ip = *ip;
	o->li = li;
	o->stats = ipstats_get(ip);
	o->timer = timer_new(on_announce_timer, o);
	if (li->n_owned == li->cap_owned) {
		li->cap_owned = li->cap_owned ? 2 * li->cap_owned : 8;
		li->owned = xreallocarray(li->owned, li->cap_owned, sizeof(*li->owned));
	}
	li->owned[li->n_owned++] = o;
	group_membership(li, ip, true);
	log_info(COMPONENT, "announcing", "iface=%s ip=%s", li->name, fmt_ip(ip, ipbuf));
	start_announcing(o);
}

static void owned_remove(struct l2_if *li, size_t i)
{
	char ipbuf[IP_ADDR_STRLEN];
	struct owned *o = li->owned[i];
	log_info(COMPONENT, "stopped announcing", "iface=%s ip=%s", li->name, fmt_ip(&o->ip, ipbuf));
	group_membership(li, &o->ip, false);
	timer_free(o->timer);
	ipstats_put(o->stats);
	free(o);
	li->owned[i] = li->owned[--li->n_owned];
}

static bool in_list(const ip_addr *ip, const ip_addr *ips, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ip_addr_eq(ip, &ips[i]))
			return true;
	return false;
}

/* --- receiving ---------------------------------------------------------------------------- */

/* Sends the replies queued while reading a batch of requests (one sendmmsg). */
static void flush_replies(struct l2_if *li)
{
	static struct log_ratelimit rl = LOG_RATELIMIT(5, 1);
	size_t queued = R.tx.n;
	if (!queued)
		return;
	size_t sent = rawsock_tx_flush(li->fd, &R.tx);
	li->counters.replies_sent += sent;
	/* sendmmsg sends in order: the first `sent` frames went out. */
	for (size_t i = 0; i < queued; i++) {
		if (i < sent)
			R.tx_for[i]->c.replies++;
		R.tx_for[i] = NULL;
	}
	if (sent < queued) {
		li->counters.errors += queued - sent;
		log_rl(&rl, LOGL_WARN, COMPONENT, "send failed", "iface=%s error=%s dropped=%zu",
		       li->name, strerror(errno), queued - sent);
	}
}

/* A buffer for one reply, sent by flush_replies() with the rest of the batch. */
static wbuf reply_buf(struct l2_if *li)
{
	uint8_t *slot = rawsock_tx_slot(&R.tx);
	if (!slot) {
		flush_replies(li);
		slot = rawsock_tx_slot(&R.tx);
	}
	return wbuf_make(slot, RAWSOCK_TX_FRAME);
}

/* Queues the reply written into reply_buf()'s slot; st: the IP it answers for. */
static void queue_reply(struct l2_if *li, const wbuf *w, struct ip_stats *st)
{
	if (!wbuf_ok(w))
		log_fatal(COMPONENT, "frame does not fit its buffer", "iface=%s", li->name);
	R.tx_for[R.tx.n] = st;
	rawsock_tx_commit(&R.tx, wbuf_len(w));
}

static void count_malformed(struct l2_if *li, const char *why)
{
	static struct log_ratelimit rl = LOG_RATELIMIT(5, 1);
	li->counters.malformed++;
	log_rl(&rl, LOGL_DEBUG, COMPONENT, "ignored frame", "iface=%s reason=%s", li->name, why);
}

static void handle_arp(struct l2_if *li, rbuf frame)
{
	static struct log_ratelimit conflict_rl = LOG_RATELIMIT(5, 1);
	struct arp_request req;
	enum arp_verdict v = arp_parse(frame, &li->mac, &req);
	switch (v) {
	case ARP_REQUEST:
		break;
	case ARP_ERR_ANNOUNCEMENT:
		if (owned_find(li, &req.target_ip)) {
			char ipbuf[IP_ADDR_STRLEN], macbuf[ETH_ADDR_STRLEN];
			li->counters.conflicts++;
			eth_addr_format(&req.sender_mac, macbuf);
			log_rl(&conflict_rl, LOGL_WARN, COMPONENT, "another station claims our address",
			       "iface=%s ip=%s mac=%s", li->name, fmt_ip(&req.target_ip, ipbuf), macbuf);
		}
		return;
	case ARP_ERR_OWN:
		return;
	default:
		count_malformed(li, arp_verdict_name(v));
		return;
	}
	li->counters.requests_seen++;
	struct owned *o = owned_find(li, &req.target_ip);
	if (!o)
		return;
	o->stats->c.requests++;
	wbuf w = reply_buf(li);
	arp_build_reply(&w, &req, &li->mac);
	queue_reply(li, &w, o->stats);
}

static void handle_ns(struct l2_if *li, rbuf frame)
{
	struct ndp_solicit ns;
	enum ndp_verdict v = ndp_parse_ns(frame, &li->mac, &ns);
	if (v == NDP_ERR_OWN)
		return;
	if (v != NDP_SOLICIT) {
		count_malformed(li, ndp_verdict_name(v));
		return;
	}
	li->counters.requests_seen++;
	struct owned *o = owned_find(li, &ns.target);
	if (!o)
		return;
	o->stats->c.requests++;
	wbuf w = reply_buf(li);
	ndp_build_na(&w, &ns, &li->mac);
	queue_reply(li, &w, o->stats);
}

static void handle_frame(struct l2_if *li, rbuf frame)
{
	rbuf peek = frame;
	struct eth_hdr eth;
	if (!eth_parse(&peek, &eth)) {
		count_malformed(li, "truncated");
		return;
	}
	if (eth.type == ETHERTYPE_ARP)
		handle_arp(li, frame);
	else if (eth.type == ETHERTYPE_IPV6)
		handle_ns(li, frame);
	else
		count_malformed(li, "unexpected EtherType");
}

static void on_readable(int fd, int events, void *arg)
{
	static struct log_ratelimit rl = LOG_RATELIMIT(5, 1);
	struct l2_if *li = arg;
	for (int done = 0; done < RX_BUDGET;) {
		int want = RX_BUDGET - done < RAWSOCK_BATCH ? RX_BUDGET - done : RAWSOCK_BATCH;
		int n = rawsock_recv_batch(fd, &R.rx, want);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			/* ENETDOWN and friends: reported once per event, the socket stays usable. */
			li->counters.errors++;
			log_rl(&rl, LOGL_WARN, COMPONENT, "receive failed", "iface=%s error=%s",
			       li->name, strerror(errno));
			return;
		}
		for (int i = 0; i < n; i++)
			if (R.rx.len[i] > 0)
				handle_frame(li, rbuf_make(R.rx.frame[i], R.rx.len[i]));
		flush_replies(li);
		done += n;
		if (n < want)
			return;   /* a short batch read everything there was */
	}
}

/* --- interfaces --------------------------------------------------------------------------- */

static struct l2_if *find_if(int ifindex)
{
	for (struct l2_if *li = R.ifs; li; li = li->next)
		if (li->ifindex == ifindex)
			return li;
	return NULL;
}

static struct l2_if *get_if(int ifindex)
{
	struct l2_if *li = find_if(ifindex);
	if (li)
		return li;
	li = XNEW(struct l2_if);
	li->ifindex = ifindex;
	li->fd = -1;
	li->next = R.ifs;
	R.ifs = li;
	return li;
}

static int if_open(struct l2_if *li)
{
	if (!if_indextoname((unsigned)li->ifindex, li->name)) {
		log_warn(COMPONENT, "no such interface", "ifindex=%d", li->ifindex);
		return -1;
	}
	li->fd = rawsock_open(li->ifindex);
	if (li->fd < 0) {
		log_warn(COMPONENT, "cannot open packet socket", "iface=%s error=%s", li->name,
			 strerror(errno));
		return -1;
	}
	if (rawsock_hwaddr(li->fd, li->ifindex, &li->mac) != 0) {
		log_warn(COMPONENT, "interface has no Ethernet address", "iface=%s error=%s", li->name,
			 strerror(errno));
		close(li->fd);
		li->fd = -1;
		return -1;
	}
	li->watch = watch_new(li->fd, WATCH_READ, on_readable, li);
	char macbuf[ETH_ADDR_STRLEN];
	eth_addr_format(&li->mac, macbuf);
	log_info(COMPONENT, "responding", "iface=%s mac=%s", li->name, macbuf);
	return 0;
}

/* Folds the kernel's drop count (reset on each read) into the counters. */
static void collect_drops(struct l2_if *li)
{
	if (li->fd >= 0)
		li->counters.dropped += rawsock_drops(li->fd);
}

static void if_close(struct l2_if *li)
{
	while (li->n_owned > 0)
		owned_remove(li, li->n_owned - 1);
	free(li->owned);
	li->owned = NULL;
	li->cap_owned = 0;
	if (li->fd >= 0) {
		collect_drops(li);
		watch_free(li->watch);
		li->watch = NULL;
		close(li->fd);
		li->fd = -1;
		log_info(COMPONENT, "no longer responding", "iface=%s", li->name);
	}
}

int l2_set_owned(int ifindex, const ip_addr *ips, size_t n)
{
	struct l2_if *li = get_if(ifindex);
	if (n > 0 && li->fd < 0 && if_open(li) != 0)
		return -1;
	/* Drop first, so an address that moved away is not answered for a moment longer. */
	for (size_t i = li->n_owned; i-- > 0;)
		if (!in_list(&li->owned[i]->ip, ips, n))
			owned_remove(li, i);
	for (size_t i = 0; i < n; i++) {
		if (ips[i].family != IP_V4 && ips[i].family != IP_V6)
			log_fatal(COMPONENT, "owned address without a family", "iface=%s", li->name);
		if (!owned_find(li, &ips[i]))
			owned_add(li, &ips[i]);
	}
	if (li->n_owned == 0)
		if_close(li);
	return 0;
}

void l2_interface_changed(int ifindex)
{
	struct l2_if *li = find_if(ifindex);
	if (!li || li->fd < 0)
		return;
	eth_addr mac;
	if (rawsock_hwaddr(li->fd, ifindex, &mac) == 0 && !eth_addr_eq(&mac, &li->mac)) {
		char macbuf[ETH_ADDR_STRLEN];
		eth_addr_format(&mac, macbuf);
		log_info(COMPONENT, "interface address changed", "iface=%s mac=%s", li->name, macbuf);
		li->mac = mac;
	}
	for (size_t i = 0; i < li->n_owned; i++)
		start_announcing(li->owned[i]);
}

bool l2_counters_get(int ifindex, struct l2_counters *out)
{
	struct l2_if *li = find_if(ifindex);
	if (!li)
		return false;
	collect_drops(li);
	*out = li->counters;
	return true;
}

void l2_counters_total(struct l2_counters *out)
{
	memset(out, 0, sizeof(*out));
	for (struct l2_if *li = R.ifs; li; li = li->next) {
		collect_drops(li);
		out->requests_seen += li->counters.requests_seen;
		out->replies_sent += li->counters.replies_sent;
		out->gratuitous_sent += li->counters.gratuitous_sent;
		out->malformed += li->counters.malformed;
		out->conflicts += li->counters.conflicts;
		out->errors += li->counters.errors;
		out->dropped += li->counters.dropped;
	}
}

void l2_owned_foreach(l2_owned_fn fn, void *arg)
{
	for (struct ip_stats *st = R.ipstats; st; st = st->next)
		fn(arg, &st->ip, &st->c);
}

void l2_responder_shutdown(void)
{
	while (R.ifs) {
		struct l2_if *li = R.ifs;
		R.ifs = li->next;
		if_close(li);
		free(li);
	}
}
