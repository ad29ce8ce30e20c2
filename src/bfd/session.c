/*
 * BFD over UDP for single-hop peers (RFC 5881) on the loop, and the API of bfd.h.
 *
 * Listening sockets on port 3784 are shared by every session of one address family, local
 * address and port, and demultiplex what they receive (RFC 5880 §6.8.6, RFC 5881 §3): by Your
 * Discriminator when it is set, otherwise by source address and interface. Each session sends
 * from a socket of its own, bound to a source port in 49152-65535 that never changes (RFC 5881
 * §4), with TTL / Hop Limit 255; received packets must carry 255 too (RFC 5881 §5, GTSM).
 * The state machine is fsm.c; this file only moves bytes and timers and calls back.
 */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bfd/bfd.h"
#include "bfd/fsm.h"
#include "bfd/packet.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/xalloc.h"

#define BFD_TTL 255                         /* RFC 5881 §5 */
#define SRC_PORT_MIN 49152                  /* RFC 5881 §4 */
#define SRC_PORT_MAX 65535
#define RX_BURST 64                         /* packets read per wake-up */

struct listener {
	struct listener *next;
	int fd;
	ip_addr addr;                       /* family set; unspecified bytes: wildcard */
	uint16_t port;
	unsigned refs;
	struct watch *watch;
};

struct bfd_session {
	struct bfd_session *next;
	ip_addr peer, local;
	char ifname[IF_NAMESIZE];
	unsigned ifindex;                   /* 0: any */
	struct bfd_params params;
	uint16_t port;
	char name[IP_ADDR_STRLEN + IF_NAMESIZE + 2];
	struct listener *listener;
	int fd;                             /* our sending socket */
	struct timer *timer;
	struct bfd_fsm fsm;
	bfd_state_fn fn;
	void *arg;
	uint64_t rx_dropped;
};

static struct listener *listeners;
static struct bfd_session *sessions;
/* The listener whose callback runs, and whether a state callback freed it meanwhile. */
static struct listener *serving;
static bool serving_gone;

static struct log_ratelimit rl_rx = LOG_RATELIMIT(10, 1);
static struct log_ratelimit rl_tx = LOG_RATELIMIT(10, 1);

/* --- names and parameters ---------------------------------------------------------------- */

const char *bfd_state_name(enum bfd_state s)
{
	switch (s) {
	case BFD_STATE_ADMIN_DOWN: return "AdminDown";
	case BFD_STATE_DOWN: return "Down";
	case BFD_STATE_INIT: return "Init";
	case BFD_STATE_UP: return "Up";
	}
	return "?";
}

const char *bfd_diag_name(enum bfd_diag d)
{
	static const char *const names[] = {
		"none", "detection-time-expired", "echo-failed", "neighbor-signaled-down",
		"forwarding-plane-reset", "path-down", "concatenated-path-down", "admin-down",
		"reverse-concatenated-path-down",
	};
	return (unsigned)d < sizeof(names) / sizeof(names[0]) ? names[d] : "unknown";
}

static bool interval_ok(uint32_t ms)
{
	return ms == 0 || (ms >= 10 && ms <= 60000);
}

bool bfd_params_valid(const struct bfd_params *p, const char **why)
{
	const char *w = NULL;
	if (!interval_ok(p->receive_interval_ms))
		w = "receive interval outside 10..60000 ms";
	else if (!interval_ok(p->transmit_interval_ms))
		w = "transmit interval outside 10..60000 ms";
	else if (p->detect_mult == 1)
		w = "detect multiplier outside 2..255";
	if (w && why)
		*why = w;
	return w == NULL;
}

bool bfd_params_equal(const struct bfd_params *a, const struct bfd_params *b)
{
	return a->receive_interval_ms == b->receive_interval_ms &&
	       a->transmit_interval_ms == b->transmit_interval_ms &&
	       a->detect_mult == b->detect_mult && a->passive == b->passive && a->port == b->port;
}

static uint32_t us_of(uint32_t ms)
{
	return (ms ? ms : BFD_DEFAULT_INTERVAL_MS) * 1000u;
}

static uint8_t mult_of(const struct bfd_params *p)
{
	return p->detect_mult ? p->detect_mult : BFD_DEFAULT_DETECT_MULT;
}

/* --- addresses ----------------------------------------------------------------------------- */

static bool is_link_local(const ip_addr *a)
{
	return a->family == IP_V6 && a->bytes[0] == 0xfe && (a->bytes[1] & 0xc0) == 0x80;
}

static socklen_t to_sockaddr(const ip_addr *a, uint16_t port, unsigned ifindex,
			     struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == IP_V6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, a->bytes, 16);
		if (is_link_local(a))
			s6->sin6_scope_id = ifindex;
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	if (a->family == IP_V4)
		memcpy(&s4->sin_addr, a->bytes, 4);
	return sizeof(*s4);
}

static ip_addr from_sockaddr(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ip_addr_from_bytes(IP_V6, ((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr);
	if (ss->ss_family == AF_INET)
		return ip_addr_from_bytes(IP_V4,
					  (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr);
	return ip_addr_from_bytes(IP_NONE, NULL);
}

/* --- receiving ----------------------------------------------------------------------------- */

/* RFC 5880 §6.8.6: Your Discriminator selects the session; without it, RFC 5881 §3 single hop:
 * the source address and the interface do. Either way the source must be the session's peer. */
static struct bfd_session *demux(const struct listener *l, const struct bfd_packet *p,
				 const ip_addr *src, unsigned ifindex)
{
	for (struct bfd_session *s = sessions; s; s = s->next) {
		if (s->listener != l || !ip_addr_eq(&s->peer, src))
			continue;
		if (s->ifindex && ifindex && s->ifindex != ifindex)
			continue;
		if (p->your_discr ? s->fsm.cfg.local_discr == p->your_discr : true)
			return s;
	}
	return NULL;
}

static void apply(struct bfd_session *s, struct bfd_fsm_out o);

static void handle_packet(struct listener *l, const uint8_t *bytes, size_t len,
			  const ip_addr *src, int ttl, unsigned ifindex)
{
	char text[IP_ADDR_STRLEN];
	rbuf r = rbuf_make(bytes, len);
	struct bfd_packet p;
	enum bfd_rx_check rc = bfd_packet_decode(&r, &p);
	struct bfd_session *s = NULL;
	if (rc == BFD_RX_OK) {
		s = demux(l, &p, src, ifindex);
		if (!s)
			rc = BFD_RX_NO_SESSION;
		else if (ttl != BFD_TTL)
			rc = BFD_RX_BAD_TTL;   /* RFC 5881 §5: without authentication, 255 only */
	}
	if (rc != BFD_RX_OK) {
		if (s)
			s->rx_dropped++;
		ip_addr_format(src, text, sizeof(text));
		log_rl(&rl_rx, LOGL_WARN, "bfd", "packet discarded", "from=%s ttl=%d reason=%s",
		       text, ttl, bfd_rx_check_name(rc));
		return;
	}
	apply(s, bfd_fsm_rx(&s->fsm, &p, loop_now()));
}

static void listener_cb(int fd, int events, void *arg)
{
	struct listener *l = arg;
	serving = l;
	serving_gone = false;
	for (int i = 0; i < RX_BURST && !serving_gone; i++) {
		uint8_t buf[512];
		union {
			char buf[256];
			struct cmsghdr align;
		} control;
		struct sockaddr_storage from;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr mh = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
		};
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (n < 0)
			break;
		int ttl = -1;
		unsigned ifindex = 0;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
			    (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) {
				memcpy(&ttl, CMSG_DATA(c), sizeof(ttl));
			} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;
				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				ifindex = (unsigned)pi.ipi_ifindex;
			} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo pi;
				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				ifindex = pi.ipi6_ifindex;
			}
		}
		ip_addr src = from_sockaddr(&from);
		handle_packet(l, buf, (size_t)n, &src, ttl, ifindex);
	}
	serving = NULL;
	(void)events;
}

static struct listener *listener_get(const ip_addr *local, int family, uint16_t port,
				     unsigned ifindex)
{
	ip_addr addr = local->family != IP_NONE ? *local
						: ip_addr_from_bytes(family, (const uint8_t[16]){ 0 });
	for (struct listener *l = listeners; l; l = l->next)
		if (l->port == port && ip_addr_eq(&l->addr, &addr)) {
			l->refs++;
			return l;
		}
	bool v6 = family == IP_V6;
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (v6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	} else {
		setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	}
	struct sockaddr_storage ss;
	socklen_t sl = to_sockaddr(&addr, port, ifindex, &ss);
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
		char text[IP_ADDR_STRLEN];
		ip_addr_format(&addr, text, sizeof(text));
		log_error("bfd", "cannot listen", "address=%s port=%u errno=%d", text, port, errno);
		close(fd);
		return NULL;
	}
	struct listener *l = XNEW(struct listener);
	l->fd = fd;
	l->addr = addr;
	l->port = port;
	l->refs = 1;
	l->watch = watch_new(fd, WATCH_READ, listener_cb, l);
	l->next = listeners;
	listeners = l;
	return l;
}

static void listener_put(struct listener *l)
{
	if (!l || --l->refs > 0)
		return;
	for (struct listener **pp = &listeners; *pp; pp = &(*pp)->next)
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	if (l == serving)
		serving_gone = true;
	watch_free(l->watch);
	close(l->fd);
	free(l);
}

/* --- sending ------------------------------------------------------------------------------- */

static uint32_t random_u32(void)
{
	uint32_t v = 0;
	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v))
		v = (uint32_t)mono_to_ns(mono_now()) * 2654435761u;
	return v;
}

/* RFC 5881 §4: a source port in 49152-65535, the same for the whole session; TTL 255 (§5). */
static int tx_socket(struct bfd_session *s)
{
	bool v6 = s->peer.family == IP_V6;
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int ttl = BFD_TTL;
	int tos = 0xc0;   /* CS6, network control */
	if (setsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_UNICAST_HOPS : IP_TTL, &ttl,
		       sizeof(ttl)) != 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_TCLASS : IP_TOS, &tos, sizeof(tos));
	if (s->ifname[0] &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, s->ifname, (socklen_t)strlen(s->ifname)) != 0)
		log_warn("bfd", "cannot bind to interface", "peer=%s errno=%d", s->name, errno);
	ip_addr local = s->local.family != IP_NONE
				? s->local
				: ip_addr_from_bytes(s->peer.family, (const uint8_t[16]){ 0 });
	uint32_t span = SRC_PORT_MAX - SRC_PORT_MIN + 1;
	uint32_t start = random_u32() % span;
	for (uint32_t i = 0; i < span; i++) {
		struct sockaddr_storage ss;
		uint16_t port = (uint16_t)(SRC_PORT_MIN + (start + i) % span);
		socklen_t sl = to_sockaddr(&local, port, s->ifindex, &ss);
		if (bind(fd, (struct sockaddr *)&ss, sl) == 0)
			return fd;
		if (errno != EADDRINUSE)
			break;
	}
	log_error("bfd", "cannot bind a source port", "peer=%s errno=%d", s->name, errno);
	close(fd);
	return -1;
}

static void send_packet(struct bfd_session *s, bool final)
{
	struct bfd_packet p;
	bfd_fsm_packet(&s->fsm, final, loop_now(), &p);
	uint8_t buf[BFD_PKT_LEN];
	wbuf w = wbuf_make(buf, sizeof(buf));
	bfd_packet_encode(&w, &p);
	struct sockaddr_storage ss;
	socklen_t sl = to_sockaddr(&s->peer, s->port, s->ifindex, &ss);
	if (sendto(s->fd, buf, wbuf_len(&w), 0, (struct sockaddr *)&ss, sl) < 0)
		log_rl(&rl_tx, LOGL_DEBUG, "bfd", "send failed", "peer=%s errno=%d", s->name, errno);
}

/* --- the state machine on the loop ------------------------------------------------------------ */

static void rearm(struct bfd_session *s)
{
	monotime at;
	if (!bfd_fsm_next_deadline(&s->fsm, &at)) {
		timer_stop(s->timer);
		return;
	}
	monotime left = mono_sub(at, loop_now());
	timer_start(s->timer, mono_before(left, mono_zero()) ? mono_zero() : left);
}

/* Carries out what the FSM decided; the callback goes last because it may free the session. */
static void apply(struct bfd_session *s, struct bfd_fsm_out o)
{
	if (o.actions & BFD_ACT_SEND_FINAL)
		send_packet(s, true);
	if (o.actions & BFD_ACT_SEND)
		send_packet(s, false);
	rearm(s);
	if ((o.actions & BFD_ACT_STATE) && s->fn) {
		struct bfd_event ev = {
			.state = s->fsm.state,
			.old_state = o.from,
			.diag = s->fsm.local_diag,
			.remote_state = s->fsm.remote_state,
		};
		s->fn(s->arg, &ev);
	}
}

static void timer_cb(void *arg)
{
	struct bfd_session *s = arg;
	apply(s, bfd_fsm_tick(&s->fsm, loop_now()));
}

/* --- sessions -------------------------------------------------------------------------------- */

static uint32_t new_discriminator(void)
{
	for (;;) {
		uint32_t d = random_u32();
		bool used = d == 0;   /* §6.8.1: bfd.LocalDiscr is non-zero and unique */
		for (struct bfd_session *s = sessions; s && !used; s = s->next)
			used = s->fsm.cfg.local_discr == d;
		if (!used)
			return d;
	}
}

struct bfd_session *bfd_session_new(const struct bfd_session_config *cfg, bfd_state_fn fn,
				    void *arg)
{
	char text[IP_ADDR_STRLEN];
	const char *why = NULL;
	ip_addr_format(&cfg->peer, text, sizeof(text));
	if (cfg->peer.family != IP_V4 && cfg->peer.family != IP_V6)
		why = "peer address";
	else if (cfg->local.family != IP_NONE && cfg->local.family != cfg->peer.family)
		why = "local address family differs";
	else if (cfg->ifname && strlen(cfg->ifname) >= IF_NAMESIZE)
		why = "interface name too long";
	else
		bfd_params_valid(&cfg->params, &why);
	unsigned ifindex = 0;
	if (!why && cfg->ifname && *cfg->ifname && !(ifindex = if_nametoindex(cfg->ifname)))
		why = "no such interface";
	if (!why && is_link_local(&cfg->peer) && !ifindex)
		why = "link-local peer needs an interface";
	if (why) {
		log_error("bfd", "invalid session", "peer=%s reason=%s", text, why);
		return NULL;
	}
	struct bfd_session *s = XNEW(struct bfd_session);
	s->peer = cfg->peer;
	s->local = cfg->local;
	if (cfg->ifname)
		strcpy(s->ifname, cfg->ifname);
	s->ifindex = ifindex;
	s->params = cfg->params;
	s->port = cfg->params.port ? cfg->params.port : BFD_PORT;
	if (s->ifname[0])
		snprintf(s->name, sizeof(s->name), "%s%%%s", text, s->ifname);
	else
		snprintf(s->name, sizeof(s->name), "%s", text);
	s->fn = fn;
	s->arg = arg;
	s->fd = tx_socket(s);
	s->listener = s->fd >= 0 ? listener_get(&s->local, s->peer.family, s->port, ifindex) : NULL;
	if (!s->listener) {
		if (s->fd >= 0)
			close(s->fd);
		free(s);
		return NULL;
	}
	struct bfd_fsm_config fc = {
		.peer = s->name,
		.local_discr = new_discriminator(),
		.desired_min_tx_us = us_of(cfg->params.transmit_interval_ms),
		.required_min_rx_us = us_of(cfg->params.receive_interval_ms),
		.detect_mult = mult_of(&cfg->params),
		.passive = cfg->params.passive,
		.jitter_seed = random_u32(),
	};
	bfd_fsm_init(&s->fsm, &fc, loop_now());
	s->timer = timer_new(timer_cb, s);
	s->next = sessions;
	sessions = s;
	log_info("bfd", "session created", "peer=%s discriminator=%u tx_ms=%u rx_ms=%u mult=%u "
		 "passive=%d", s->name, fc.local_discr, fc.desired_min_tx_us / 1000,
		 fc.required_min_rx_us / 1000, fc.detect_mult, fc.passive);
	rearm(s);
	return s;
}

void bfd_session_free(struct bfd_session *s)
{
	if (!s)
		return;
	/* §6.8.16: AdminDown tells the peer this is no failure (its clients stay up). */
	struct bfd_fsm_out o = bfd_fsm_admin(&s->fsm, true, loop_now());
	if ((o.actions & BFD_ACT_SEND) && s->fsm.remote_discr)
		send_packet(s, false);
	for (struct bfd_session **pp = &sessions; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	timer_free(s->timer);
	close(s->fd);
	listener_put(s->listener);
	free(s);
}

bool bfd_session_set_params(struct bfd_session *s, const struct bfd_params *p)
{
	const char *why = NULL;
	if (!bfd_params_valid(p, &why) || (p->port ? p->port : BFD_PORT) != s->port ||
	    p->passive != s->params.passive) {
		log_error("bfd", "cannot change session parameters", "peer=%s reason=%s", s->name,
			  why ? why : "port or passive mode differ");
		return false;
	}
	s->params = *p;
	bfd_fsm_set_params(&s->fsm, us_of(p->transmit_interval_ms), us_of(p->receive_interval_ms),
			   mult_of(p), loop_now());
	rearm(s);
	return true;
}

void bfd_session_status(const struct bfd_session *s, struct bfd_status *out)
{
	memset(out, 0, sizeof(*out));
	const struct bfd_fsm *f = &s->fsm;
	out->state = f->state;
	out->remote_state = f->remote_state;
	out->local_diag = f->local_diag;
	out->remote_diag = f->remote_diag;
	out->local_discr = f->cfg.local_discr;
	out->remote_discr = f->remote_discr;
	out->tx_interval_us = bfd_fsm_tx_interval_us(f);
	out->detect_time_us = f->remote_detect_mult ? bfd_fsm_detect_time_us(f) : 0;
	out->rx_packets = f->rx_packets;
	out->tx_packets = f->tx_packets;
	out->rx_dropped = s->rx_dropped;
	out->up_count = f->up_count;
	out->down_count = f->down_count;
}

enum bfd_state bfd_session_state(const struct bfd_session *s)
{
	return s->fsm.state;
}
