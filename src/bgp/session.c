/*
 * One peer's session glue: the TCP connections (non-blocking connect, RFC 4271 §8.2.1.1 active
 * and passive), framing of the byte stream (§4.1, frame first, then decode), the write queue,
 * the FSM's timers on the loop, TCP-MD5 (RFC 2385), the TTL for eBGP (single hop 1, or the
 * multihop value), and carrying out what the FSM (fsm.c) decides. A second connection from the
 * peer during OpenSent/OpenConfirm is kept pending until its OPEN settles the collision (§6.8).
 */
#include "bgp/session.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bgp/bfd_link.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/xalloc.h"

#define BGP_CONN_IN_CAP (16 * BGP_MAX_MSG_LEN)
#define MIN_HOLD_TIME 3                /* RFC 4271 §4.2: 0 or at least 3 */

static void conn_cb(int fd, int events, void *arg);
static void pending_cb(int fd, int events, void *arg);
static void apply(struct bgp_peer *p, struct bgp_fsm_out o);

/* --- addresses ----------------------------------------------------------------------------------- */

socklen_t bgp_to_sockaddr(const ip_addr *a, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == IP_V6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, a->bytes, 16);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	memcpy(&s4->sin_addr, a->bytes, 4);
	return sizeof(*s4);
}

ip_addr bgp_from_sockaddr(const struct sockaddr_storage *ss)
{
	ip_addr a;
	memset(&a, 0, sizeof(a));
	if (ss->ss_family == AF_INET) {
		a.family = IP_V4;
		memcpy(a.bytes, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		const uint8_t *b = (const uint8_t *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		if (memcmp(b, mapped, 12) == 0) {      /* a v4-mapped peer on a dual-stack socket */
			a.family = IP_V4;
			memcpy(a.bytes, b + 12, 4);
		} else {
			a.family = IP_V6;
			memcpy(a.bytes, b, 16);
		}
	}
	return a;
}

bool bgp_set_md5(int fd, const ip_addr *addr, const char *password)
{
	struct tcp_md5sig md5;
	memset(&md5, 0, sizeof(md5));
	bgp_to_sockaddr(addr, 0, &md5.tcpm_addr);
	size_t len = password ? strlen(password) : 0;
	if (len > TCP_MD5SIG_MAXKEYLEN)
		return false;
	md5.tcpm_keylen = (uint16_t)len;
	if (len)
		memcpy(md5.tcpm_key, password, len);
	return setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &md5, sizeof(md5)) == 0 || len == 0;
}

bool bgp_peer_external(const struct bgp_peer_config *c)
{
	if (c->dynamic_as != BGP_DYNAMIC_AS_NONE)
		return c->dynamic_as == BGP_DYNAMIC_AS_EXTERNAL;
	return c->peer_as != c->local_as;
}

/* Options every session socket gets: TCP-MD5, TTL for external peers, network-control TOS. */
static bool socket_options(struct bgp_peer *p, int fd)
{
	bool v6 = p->cfg.address.family == IP_V6;
	if (p->password && *p->password && !bgp_set_md5(fd, &p->cfg.address, p->password)) {
		log_error("bgp", "cannot set TCP-MD5", "peer=%s errno=%d", p->name, errno);
		return false;
	}
	if (bgp_peer_external(&p->cfg)) {
		int ttl = p->cfg.ebgp_multihop ? p->cfg.ebgp_multihop : 1;
		if (setsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_UNICAST_HOPS : IP_TTL,
			       &ttl, sizeof(ttl)) != 0)
			log_warn("bgp", "cannot set TTL", "peer=%s errno=%d", p->name, errno);
	}
	int tos = 0xc0;   /* CS6, network control */
	setsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_TCLASS : IP_TOS, &tos, sizeof(tos));
	return true;
}

/* --- connections ---------------------------------------------------------------------------------- */

static void conn_init(struct bgp_conn *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static void conn_close(struct bgp_conn *c)
{
	watch_free(c->watch);
	if (c->fd >= 0)
		close(c->fd);
	free(c->in);
	free(c->out);
	conn_init(c);
}

/* Our addresses on the connection: the one the socket has, and the link-local one for an
 * on-link IPv6 peer (RFC 2545 §3). */
static void conn_local(struct bgp_conn *c, const ip_addr *peer)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockname(c->fd, (struct sockaddr *)&ss, &sl) == 0)
		c->local = bgp_from_sockaddr(&ss);
	if (!bgp_link_local_next_hop(&c->local, peer, &c->local_ll))
		memset(&c->local_ll, 0, sizeof(c->local_ll));
}

static void conn_adopt(struct bgp_conn *c, int fd, bool outbound, const ip_addr *peer,
		       watch_fn fn, void *arg)
{
	conn_close(c);
	c->fd = fd;
	c->outbound = outbound;
	c->in = xmalloc(BGP_CONN_IN_CAP);
	conn_local(c, peer);
	c->watch = watch_new(fd, WATCH_READ, fn, arg);
}

static void conn_queue(struct bgp_conn *c, const uint8_t *bytes, size_t len)
{
	if (c->fd < 0)
		return;
	if (c->out_cap - c->out_len < len) {
		size_t cap = c->out_cap ? c->out_cap : 4 * BGP_MAX_MSG_LEN;
		while (cap - c->out_len < len)
			cap *= 2;
		c->out = xreallocarray(c->out, cap, 1);
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, bytes, len);
	c->out_len += len;
}

/* Writes what the socket takes; false on a write error. *wrote (if given) says whether any
 * bytes went out. */
static bool conn_flush_n(struct bgp_conn *c, bool *wrote)
{
	if (wrote)
		*wrote = false;
	if (c->fd < 0 || c->connecting)
		return true;
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0)
			return false;
		c->out_off += (size_t)n;
		if (wrote)
			*wrote = true;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	watch_set(c->watch, WATCH_READ | (c->out_len ? WATCH_WRITE : 0));
	return true;
}

static bool conn_flush(struct bgp_conn *c)
{
	return conn_flush_n(c, NULL);
}

/* Counts a message of the peer's by type (sent or received); UPDATEs are counted by the
 * callers, which know whether it was an End-of-RIB. */
static void count_type(struct bgp_peer *p, uint8_t type, bool out)
{
	switch (type) {
	case BGP_MSG_OPEN:
		(*(out ? &p->opens_out : &p->opens_in))++;
		break;
	case BGP_MSG_NOTIFICATION:
		(*(out ? &p->notifications_out : &p->notifications_in))++;
		break;
	case BGP_MSG_KEEPALIVE:
		(*(out ? &p->keepalives_out : &p->keepalives_in))++;
		break;
	case BGP_MSG_ROUTE_REFRESH:
		(*(out ? &p->route_refresh_out : &p->route_refresh_in))++;
		break;
	default:
		break;
	}
}

/* Queues one message of ours of the given type (counted when queued, as the peer would get it
 * unless the connection fails). */
static void send_msg(struct bgp_peer *p, struct bgp_conn *c, uint8_t type, const uint8_t *msg,
		     size_t len)
{
	if (c->fd < 0)
		return;
	conn_queue(c, msg, len);
	p->msgs_out++;
	count_type(p, type, true);
}

static void send_open(struct bgp_peer *p, struct bgp_conn *c)
{
	uint8_t buf[BGP_MAX_MSG_LEN];
	wbuf w = wbuf_make(buf, sizeof(buf));
	bgp_open_encode(&w, &p->local_open);
	send_msg(p, c, BGP_MSG_OPEN, buf, wbuf_len(&w));
}

static void send_notification(struct bgp_peer *p, struct bgp_conn *c, uint8_t code,
			      uint8_t subcode, const uint8_t *data, size_t len, bool hard_reset)
{
	uint8_t buf[BGP_MAX_MSG_LEN];
	wbuf w = wbuf_make(buf, sizeof(buf));
	if (hard_reset)
		bgp_notification_encode_hard_reset(&w, code, subcode, data, len);
	else
		bgp_notification_encode(&w, code, subcode, data, len);
	send_msg(p, c, BGP_MSG_NOTIFICATION, buf, wbuf_len(&w));
	conn_flush(c);   /* best effort: the connection closes next */
	log_info("bgp", "notification sent", "peer=%s code=%u subcode=%u hard_reset=%d reason=%s",
		 p->name, code, subcode, hard_reset, bgp_error_name(code, subcode));
}

/* --- the FSM on the loop --------------------------------------------------------------------------- */

static void rearm(struct bgp_peer *p)
{
	monotime at;
	if (!bgp_fsm_next_deadline(&p->fsm, &at)) {
		timer_stop(p->timer);
		return;
	}
	monotime left = mono_sub(at, loop_now());
	timer_start(p->timer, mono_before(left, mono_zero()) ? mono_zero() : left);
}

/* Flushes the current connection and tells the FSM whether output is stuck (RFC 9687). */
static bool peer_flush(struct bgp_peer *p)
{
	bool wrote;
	if (!conn_flush_n(&p->cur, &wrote))
		return false;
	bgp_fsm_send_progress(&p->fsm, wrote, p->cur.out_len > 0, loop_now());
	return true;
}

static void fsm_event(struct bgp_peer *p, const struct bgp_fsm_input *in)
{
	apply(p, bgp_fsm_handle(&p->fsm, in, loop_now()));
	bgp_bfd_link_after_event(p);
}

void bgp_session_event(struct bgp_peer *p, const struct bgp_fsm_input *in)
{
	fsm_event(p, in);
}

static void fsm_simple(struct bgp_peer *p, enum bgp_event ev)
{
	struct bgp_fsm_input in = { .event = ev };
	fsm_event(p, &in);
}

static void timer_cb(void *arg)
{
	struct bgp_peer *p = arg;
	bool fired = true;
	while (fired) {
		struct bgp_fsm_out o = bgp_fsm_tick(&p->fsm, loop_now(), &fired);
		if (fired)
			apply(p, o);
	}
	rearm(p);
	bgp_bfd_link_after_event(p);
}

/* --- routes ---------------------------------------------------------------------------------------- */

static void emit_update(void *arg, const uint8_t *msg, size_t len)
{
	struct bgp_peer *p = arg;
	if (p->cur.fd < 0)
		return;
	send_msg(p, &p->cur, BGP_MSG_UPDATE, msg, len);
	p->updates_out++;
}

/* What the Adj-RIB-Out needs of this session. A family goes out only when negotiated and when
 * we have a next hop of that family (no RFC 8950 IPv4-over-IPv6 next hops); the other family
 * than the session's has one only when configured or with dual_stack. */
static void ribout_ctx(const struct bgp_peer *p, struct bgp_ribout_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->opts = p->opts;
	ctx->local_as = p->cfg.local_as;
	ctx->next_hop_v4 = p->cfg.next_hop_v4;
	if (ctx->next_hop_v4.family != IP_V4 && p->cur.local.family == IP_V4)
		ctx->next_hop_v4 = p->cur.local;
	ctx->next_hop_v6 = p->cfg.next_hop_v6;
	if (ctx->next_hop_v6.family != IP_V6 && p->cur.local.family == IP_V6)
		ctx->next_hop_v6 = p->cur.local;
	ctx->next_hop_v6_ll = p->cfg.next_hop_v6_ll;
	/* RFC 2545 §3: with ourselves as the global next hop, our link-local address too when the
	 * peer is on our link. */
	if (ctx->next_hop_v6_ll.family != IP_V6 && p->cfg.next_hop_v6.family != IP_V6 &&
	    ctx->next_hop_v6.family == IP_V6)
		ctx->next_hop_v6_ll = p->cur.local_ll;
	/* dualStackAddressFamily: the other family's routes with our address of that family on the
	 * same interface (the session's own address serves its family). */
	ip_addr other;
	if (p->cfg.dual_stack && bgp_other_family_next_hop(&p->cur.local, &other)) {
		if (other.family == IP_V6 && ctx->next_hop_v6.family != IP_V6)
			ctx->next_hop_v6 = other;
		else if (other.family == IP_V4 && ctx->next_hop_v4.family != IP_V4)
			ctx->next_hop_v4 = other;
	}
	ctx->graceful_shutdown = p->gshut;
	ctx->families = p->neg.families;
	if (ctx->next_hop_v4.family != IP_V4)
		ctx->families &= (uint8_t)~BGP_FAM_BIT(BGP_FAM_IPV4_UNICAST);
	if (ctx->next_hop_v6.family != IP_V6)
		ctx->families &= (uint8_t)~BGP_FAM_BIT(BGP_FAM_IPV6_UNICAST);
}

static void established(struct bgp_peer *p)
{
	struct bgp_ribout_ctx ctx;
	ribout_ctx(p, &ctx);
	bgp_ribout_reset(&p->ribout);
	size_t msgs = bgp_ribout_sync(&p->ribout, &ctx, emit_update, p);
	/* RFC 4724 §2: End-of-RIB after the initial routes (recommended even without GR). */
	for (int f = 0; f < BGP_FAM_COUNT; f++) {
		if (!(p->neg.families & BGP_FAM_BIT(f)))
			continue;
		uint8_t buf[64];
		wbuf w = wbuf_make(buf, sizeof(buf));
		bgp_eor_encode(&w, (enum bgp_family)f);
		send_msg(p, &p->cur, BGP_MSG_UPDATE, buf, wbuf_len(&w));
	}
	log_info("bgp", "session established", "peer=%s asn=%u hold=%u updates=%zu prefixes=%zu "
		 "restarting=%d", p->name, p->neg.peer_as, p->neg.hold_time, msgs,
		 bgp_ribout_advertised(&p->ribout),
		 (p->local_open.caps.gr_flags & BGP_GR_FLAG_RESTART) != 0);
	/* RFC 4724 §4.1: Restart State is set only in the OPEN of the first session after the
	 * restart; the routes and End-of-RIB are out, so later sessions are ordinary ones. */
	p->local_open.caps.gr_flags &= (uint8_t)~BGP_GR_FLAG_RESTART;
}

void bgp_session_readvertise(struct bgp_peer *p)
{
	if (p->fsm.state != BGP_ST_ESTABLISHED)
		return;
	struct bgp_ribout_ctx ctx;
	ribout_ctx(p, &ctx);
	for (int f = 0; f < BGP_FAM_COUNT; f++)
		if (ctx.families & BGP_FAM_BIT(f))
			bgp_ribout_refresh(&p->ribout, &ctx, (enum bgp_family)f, emit_update, p);
	if (!peer_flush(p)) {
		fsm_simple(p, BGP_EV_TCP_FAILS);
		return;
	}
	rearm(p);
}

void bgp_session_routes_changed(struct bgp_peer *p)
{
	if (p->fsm.state != BGP_ST_ESTABLISHED)
		return;
	struct bgp_ribout_ctx ctx;
	ribout_ctx(p, &ctx);
	bgp_ribout_sync(&p->ribout, &ctx, emit_update, p);
	if (!peer_flush(p)) {
		fsm_simple(p, BGP_EV_TCP_FAILS);
		return;
	}
	rearm(p);
}

/* --- actions ----------------------------------------------------------------------------------- */

static void connect_peer(struct bgp_peer *p)
{
	int fd = socket(p->cfg.address.family == IP_V6 ? AF_INET6 : AF_INET,
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || !socket_options(p, fd)) {
		if (fd >= 0)
			close(fd);
		fsm_simple(p, BGP_EV_TCP_FAILS);
		return;
	}
	/* A VRF: the connection (and the route to the peer) lives in the VRF's table. */
	if (p->vrf && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, p->vrf,
				 (socklen_t)strlen(p->vrf)) != 0) {
		static struct log_ratelimit rl = LOG_RATELIMIT(5, 1);
		log_rl(&rl, LOGL_WARN, "bgp", "cannot bind to the VRF", "peer=%s vrf=%s errno=%d",
		       p->name, p->vrf, errno);
		close(fd);
		fsm_simple(p, BGP_EV_TCP_FAILS);
		return;
	}
	struct sockaddr_storage ss;
	if (p->cfg.source.family != IP_NONE) {
		socklen_t sl = bgp_to_sockaddr(&p->cfg.source, 0, &ss);
		if (bind(fd, (struct sockaddr *)&ss, sl) != 0)
			log_warn("bgp", "cannot bind source address", "peer=%s errno=%d", p->name, errno);
	}
	socklen_t sl = bgp_to_sockaddr(&p->cfg.address, p->cfg.port ? p->cfg.port : BGP_PORT, &ss);
	int rc = connect(fd, (struct sockaddr *)&ss, sl);
	if (rc != 0 && errno != EINPROGRESS) {
		close(fd);
		fsm_simple(p, BGP_EV_TCP_FAILS);
		return;
	}
	conn_adopt(&p->cur, fd, true, &p->cfg.address, conn_cb, p);
	p->cur.connecting = true;
	watch_set(p->cur.watch, WATCH_WRITE);
}

static void apply(struct bgp_peer *p, struct bgp_fsm_out o)
{
	if (o.actions & BGP_ACT_SEND_NOTIFICATION)
		send_notification(p, &p->cur, o.code, o.subcode, o.data, o.data_len, o.hard_reset);
	if (o.actions & BGP_ACT_CLOSE)
		conn_close(&p->cur);
	if (o.actions & BGP_ACT_SWITCH) {
		/* The pending connection becomes the current one, with the current callback. */
		p->cur = p->pending;
		conn_init(&p->pending);
		watch_free(p->cur.watch);
		p->cur.watch = watch_new(p->cur.fd, WATCH_READ, conn_cb, p);
	}
	if (o.actions & BGP_ACT_CONNECT)
		connect_peer(p);
	if (o.actions & BGP_ACT_SEND_OPEN)
		send_open(p, &p->cur);
	if (o.actions & BGP_ACT_SEND_KEEPALIVE) {
		uint8_t buf[BGP_HEADER_LEN];
		wbuf w = wbuf_make(buf, sizeof(buf));
		bgp_keepalive_encode(&w);
		send_msg(p, &p->cur, BGP_MSG_KEEPALIVE, buf, wbuf_len(&w));
	}
	if (o.actions & BGP_ACT_ESTABLISHED)
		established(p);
	if (o.actions & BGP_ACT_DOWN) {
		bgp_ribout_reset(&p->ribout);
		log_info("bgp", "session down", "peer=%s", p->name);
	}
	/* Idle refuses connections (RFC 4271 §8.2.2): a pending one goes too. */
	if (p->fsm.state == BGP_ST_IDLE && p->pending.fd >= 0)
		conn_close(&p->pending);
	if (p->cur.fd >= 0 && !peer_flush(p)) {
		fsm_simple(p, BGP_EV_TCP_FAILS);
		return;
	}
	rearm(p);
}

/* --- received messages ---------------------------------------------------------------------------- */

static struct log_ratelimit rl_remote = LOG_RATELIMIT(20, 1);

/* The FSM event for a decode error (RFC 4271 §8.1.4 Events 21, 22, 28). */
static enum bgp_event error_event(const struct bgp_error *err)
{
	switch (err->code) {
	case BGP_ERR_OPEN:
		return BGP_EV_OPEN_ERR;
	case BGP_ERR_UPDATE:
		return BGP_EV_UPDATE_ERR;
	default:
		return BGP_EV_HEADER_ERR;
	}
}

/* Checks a received OPEN against the peer's configuration; fills *neg when it is good. */
static bool open_ok(struct bgp_peer *p, const struct bgp_open *o, struct bgp_negotiated *neg,
		    struct bgp_error *err)
{
	struct bgp_open_policy pol = {
		.local_as = p->cfg.local_as,
		.local_id = p->cfg.router_id,
		.peer_as = p->cfg.peer_as,
		.peer_as_kind = p->cfg.dynamic_as == BGP_DYNAMIC_AS_INTERNAL ? BGP_PEER_AS_INTERNAL :
				p->cfg.dynamic_as == BGP_DYNAMIC_AS_EXTERNAL ? BGP_PEER_AS_EXTERNAL :
				BGP_PEER_AS_ANY,
		.min_hold_time = MIN_HOLD_TIME,
	};
	if (!bgp_open_check(o, &pol, err))
		return false;
	bgp_negotiate(&p->local_open, o, neg);
	return true;
}

static void take_negotiated(struct bgp_peer *p, const struct bgp_negotiated *neg)
{
	p->neg = *neg;
	p->opts.as4 = neg->as4;
	p->opts.ibgp = neg->peer_as == p->cfg.local_as;
}

static void dispatch(struct bgp_peer *p, struct bgp_msg *m)
{
	static struct bgp_error err;
	struct bgp_fsm_input in = { .event = BGP_EV_KEEPALIVE };
	struct bgp_negotiated neg;
	switch (m->type) {
	case BGP_MSG_OPEN:
		/* Only the first OPEN is checked and negotiated; any later one is the FSM's
		 * unexpected message (the session keeps what it agreed). */
		in.event = BGP_EV_OPEN;
		in.neg = &p->neg;
		if (p->fsm.state != BGP_ST_OPENSENT)
			break;
		if (!open_ok(p, &m->u.open, &neg, &err)) {
			in.event = BGP_EV_OPEN_ERR;
			in.error = &err;
			break;
		}
		take_negotiated(p, &neg);
		break;
	case BGP_MSG_UPDATE:
		/* Outbound only: validated (RFC 7606), counted, discarded. */
		p->updates_in++;
		in.event = BGP_EV_UPDATE;
		break;
	case BGP_MSG_NOTIFICATION: {
		const struct bgp_notification *n = &m->u.notification;
		log_rl(&rl_remote, LOGL_WARN, "bgp", "notification received",
		       "peer=%s code=%u subcode=%u hard_reset=%d reason=%s", p->name, n->code,
		       n->subcode, n->hard_reset, bgp_error_name(n->code, n->subcode));
		in.event = BGP_EV_NOTIF;
		in.code = n->code;
		in.subcode = n->subcode;
		break;
	}
	case BGP_MSG_ROUTE_REFRESH: {
		/* RFC 2918 §4: resend the family if we advertised it; counts as an UPDATE for the
		 * hold timer. */
		enum bgp_family f;
		in.event = BGP_EV_UPDATE;
		if (p->fsm.state == BGP_ST_ESTABLISHED &&
		    bgp_family_from_afi_safi(m->u.route_refresh.afi, m->u.route_refresh.safi, &f) &&
		    (p->neg.families & BGP_FAM_BIT(f))) {
			struct bgp_ribout_ctx ctx;
			ribout_ctx(p, &ctx);
			bgp_ribout_refresh(&p->ribout, &ctx, f, emit_update, p);
		}
		break;
	}
	default:
		in.event = BGP_EV_KEEPALIVE;
		break;
	}
	fsm_event(p, &in);
}

/* Frames and handles what is buffered on the current connection. Returns false once the
 * connection is gone. */
static bool process_input(struct bgp_peer *p)
{
	static struct bgp_error err;
	struct bgp_conn *c = &p->cur;
	size_t used = 0;
	while (c->fd >= 0) {
		rbuf r = rbuf_make(c->in, c->in_len);
		rbuf_skip(&r, used);
		struct bgp_header h;
		enum bgp_frame_rc rc = bgp_frame(&r, &h, &err);
		if (rc == BGP_FRAME_NEED_MORE)
			break;
		if (rc == BGP_FRAME_ERROR) {
			log_rl(&rl_remote, LOGL_WARN, "bgp", "bad message header", "peer=%s reason=%s",
			       p->name, bgp_error_name(err.code, err.subcode));
			struct bgp_fsm_input in = { .event = BGP_EV_HEADER_ERR, .error = &err };
			fsm_event(p, &in);
			return false;
		}
		rbuf msg;
		if (!rbuf_sub(&r, h.len, &msg))
			break;   /* the rest of the message is still on its way */
		used += h.len;
		p->msgs_in++;
		count_type(p, h.type, false);   /* a message that fails to decode counts too */
		struct bgp_msg m;
		if (!bgp_msg_decode(&msg, &p->opts, &m, &err)) {
			log_rl(&rl_remote, LOGL_WARN, "bgp", "bad message", "peer=%s code=%u subcode=%u "
			       "reason=%s", p->name, err.code, err.subcode,
			       bgp_error_name(err.code, err.subcode));
			struct bgp_fsm_input in = { .event = error_event(&err), .error = &err };
			fsm_event(p, &in);
			return false;
		}
		if (m.type == BGP_MSG_UPDATE && m.u.update.disposition != BGP_DISP_NONE)
			log_rl(&rl_remote, LOGL_WARN, "bgp", "malformed UPDATE handled per RFC 7606",
			       "peer=%s code=%u subcode=%u withdraw=%d", p->name, err.code,
			       err.subcode, m.u.update.disposition == BGP_DISP_TREAT_AS_WITHDRAW);
		dispatch(p, &m);
		bgp_msg_free(&m);
	}
	if (c->fd >= 0 && used > 0) {
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
	}
	return c->fd >= 0;
}

/* Reads into the buffer; false on end of stream or error. */
static bool conn_read(struct bgp_conn *c)
{
	for (;;) {
		ssize_t n = recv(c->fd, c->in + c->in_len, BGP_CONN_IN_CAP - c->in_len, 0);
		if (n > 0) {
			c->in_len += (size_t)n;
			return true;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
	}
}

static void conn_cb(int fd, int events, void *arg)
{
	struct bgp_peer *p = arg;
	struct bgp_conn *c = &p->cur;
	if (c->connecting) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0) {
			log_debug("bgp", "connect failed", "peer=%s errno=%d", p->name, soerr);
			fsm_simple(p, BGP_EV_TCP_FAILS);
			return;
		}
		c->connecting = false;
		conn_local(c, &p->cfg.address);
		watch_set(c->watch, WATCH_READ);
		fsm_simple(p, BGP_EV_TCP_CONNECTED);
		return;
	}
	if (events & WATCH_WRITE) {
		if (!peer_flush(p)) {
			fsm_simple(p, BGP_EV_TCP_FAILS);
			return;
		}
		rearm(p);
	}
	if (events & WATCH_READ) {
		if (!conn_read(c)) {
			fsm_simple(p, BGP_EV_TCP_FAILS);
			return;
		}
		process_input(p);
	}
}

/* --- collisions (RFC 4271 §6.8) -------------------------------------------------------------- */

static void pending_decide(struct bgp_peer *p)
{
	static struct bgp_error err;
	struct bgp_negotiated neg;
	struct bgp_conn *c = &p->pending;
	if (!open_ok(p, &c->open, &neg, &err)) {
		send_notification(p, c, err.code, err.subcode, err.data, err.data_len, false);
		conn_close(c);
		return;
	}
	bool keep = (p->fsm.state == BGP_ST_OPENSENT || p->fsm.state == BGP_ST_OPENCONFIRM) &&
		    bgp_fsm_collision_keep_pending(&p->fsm, p->cur.outbound, p->cfg.router_id,
						   c->open.bgp_id, p->cfg.local_as, neg.peer_as);
	if (!keep) {
		send_notification(p, c, BGP_ERR_CEASE, BGP_CEASE_COLLISION, NULL, 0, false);
		conn_close(c);
		return;
	}
	take_negotiated(p, &neg);
	struct bgp_fsm_input in = { .event = BGP_EV_COLLISION_SWITCH, .neg = &p->neg };
	fsm_event(p, &in);
}

static void pending_cb(int fd, int events, void *arg)
{
	static struct bgp_error err;
	struct bgp_peer *p = arg;
	struct bgp_conn *c = &p->pending;
	if ((events & WATCH_WRITE) && !conn_flush(c)) {
		conn_close(c);
		return;
	}
	if (!(events & WATCH_READ))
		return;
	if (!conn_read(c)) {
		conn_close(c);
		return;
	}
	rbuf r = rbuf_make(c->in, c->in_len);
	struct bgp_header h;
	enum bgp_frame_rc rc = bgp_frame(&r, &h, &err);
	if (rc == BGP_FRAME_NEED_MORE || (rc == BGP_FRAME_OK && rbuf_left(&r) < h.len))
		return;
	rbuf msg;
	struct bgp_msg m;
	if (rc == BGP_FRAME_ERROR || !rbuf_sub(&r, h.len, &msg) ||
	    !bgp_msg_decode(&msg, &p->opts, &m, &err)) {
		send_notification(p, c, err.code, err.subcode, err.data, err.data_len, false);
		conn_close(c);
		return;
	}
	p->msgs_in++;
	count_type(p, m.type, false);
	if (m.type != BGP_MSG_OPEN) {
		/* RFC 6608 §4: anything but OPEN first is unexpected in OpenSent. */
		if (m.type != BGP_MSG_NOTIFICATION)
			send_notification(p, c, BGP_ERR_FSM, BGP_FSM_UNEXPECTED_OPENSENT, NULL, 0,
					  false);
		bgp_msg_free(&m);
		conn_close(c);
		return;
	}
	c->open = m.u.open;
	c->open_received = true;
	/* Whatever followed the OPEN stays buffered for when this becomes the connection. */
	size_t rest = rbuf_left(&r);
	memmove(c->in, c->in + (c->in_len - rest), rest);
	c->in_len = rest;
	pending_decide(p);
	if (p->cur.fd >= 0 && p->cur.in_len > 0 && p->pending.fd < 0)
		process_input(p);
}

void bgp_session_incoming(struct bgp_peer *p, int fd)
{
	if (!socket_options(p, fd)) {
		close(fd);
		return;
	}
	switch (bgp_fsm_incoming(&p->fsm)) {
	case BGP_IN_REFUSE:
		close(fd);
		return;
	case BGP_IN_ACCEPT:
		/* §8.2.2 Connect/Active, Event 17: take it (an outgoing attempt is dropped). */
		conn_adopt(&p->cur, fd, false, &p->cfg.address, conn_cb, p);
		fsm_simple(p, BGP_EV_TCP_CONNECTED);
		return;
	case BGP_IN_COLLISION:
		/* §6.8: send our OPEN, wait for the peer's, then decide. */
		conn_adopt(&p->pending, fd, false, &p->cfg.address, pending_cb, p);
		send_open(p, &p->pending);
		if (!conn_flush(&p->pending))
			conn_close(&p->pending);
		return;
	}
}

/* --- life cycle --------------------------------------------------------------------------------- */

struct bgp_peer *bgp_session_new(struct bgp_speaker *s, const struct bgp_peer_config *cfg)
{
	struct bgp_peer *p = XNEW(struct bgp_peer);
	p->speaker = s;
	p->cfg = *cfg;
	p->password = cfg->password ? xstrdup(cfg->password) : NULL;
	p->cfg.password = p->password;
	p->vrf = cfg->vrf && *cfg->vrf ? xstrdup(cfg->vrf) : NULL;
	p->cfg.vrf = p->vrf;
	ip_addr_format(&cfg->address, p->name, sizeof(p->name));
	conn_init(&p->cur);
	conn_init(&p->pending);
	bgp_ribout_init(&p->ribout);

	/* RFC 4271 §4.2: 0 is a valid proposal (MetalLB's holdTime: 0s); otherwise 90 by default. */
	uint16_t hold = cfg->no_hold_time ? 0 : cfg->hold_time ? cfg->hold_time : 90;
	bgp_open_init(&p->local_open, cfg->local_as, hold, cfg->router_id);
	struct bgp_caps *caps = &p->local_open.caps;
	caps->mp_seen = true;
	caps->families = BGP_FAM_BIT(BGP_FAM_IPV4_UNICAST) | BGP_FAM_BIT(BGP_FAM_IPV6_UNICAST);
	caps->route_refresh = true;
	if (cfg->graceful_restart) {
		/* RFC 4724 §3 with the RFC 8538 §2 N bit; forwarding survives a restart of ours
		 * (the kernel forwards, not this process). */
		caps->gr = true;
		caps->gr_flags = BGP_GR_FLAG_NOTIFICATION;
		if (cfg->gr_restarting)
			caps->gr_flags |= BGP_GR_FLAG_RESTART;   /* RFC 4724 §4.1 */
		caps->gr_time = cfg->gr_time;
		caps->gr_families = caps->families;
		caps->gr_forwarding = caps->families;
	}
	struct bgp_fsm_config fc = {
		.peer = p->name,
		.hold_time = hold,
		.connect_retry_time = cfg->connect_retry_time,
		.keepalive_time = cfg->keepalive_time,
		.passive = cfg->passive,
		/* Differs between nodes and between runs. */
		.jitter_seed = ((uint32_t)mono_to_ns(mono_now()) ^ cfg->router_id ^
				((uint32_t)cfg->address.bytes[3] << 24)) | 1,
	};
	bgp_fsm_init(&p->fsm, &fc);
	p->timer = timer_new(timer_cb, p);
	if (bgp_bfd_link_open(p))
		fsm_simple(p, BGP_EV_MANUAL_START);
	return p;
}

void bgp_session_free(struct bgp_peer *p, uint8_t cease_subcode)
{
	if (!p)
		return;
	bgp_bfd_link_close(p);
	struct bgp_fsm_input in = { .event = BGP_EV_MANUAL_STOP, .subcode = cease_subcode };
	fsm_event(p, &in);
	conn_close(&p->cur);
	conn_close(&p->pending);
	timer_free(p->timer);
	if (p->gshut_timer)
		timer_free(p->gshut_timer);
	bgp_ribout_free(&p->ribout);
	free(p->password);
	free(p->vrf);
	free(p);
}
