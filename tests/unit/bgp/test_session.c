/* Tests of the session glue and the bgp.h API over loopback TCP: a fake router written with the
 * codec takes the speaker's connection (or makes one to it), answers its OPEN, and checks the
 * UPDATEs, withdrawals and NOTIFICATIONs that arrive. Runs the real loop for a few hundred
 * milliseconds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bgp/bgp.h"
#include "bgp/fsm.h"
#include "bgp/session.h"
#include "bgp_test_util.h"
#include "core/log.h"
#include "core/loop.h"

#define N 10000

/* One connection of the fake router. */
struct rconn {
	int fd;
	struct watch *w;
	uint8_t in[1 << 20];
	size_t in_len;
	bool reply_open;               /* answer the speaker's OPEN with ours and a KEEPALIVE */
	uint32_t id;                   /* our BGP identifier on this connection */
	bool got_open, got_eor, got_notification, closed;
	uint32_t speaker_asn;
	uint16_t speaker_hold;         /* Hold Time of the speaker's OPEN */
	size_t updates, announced, withdrawn, keepalives;
	size_t gshut_announced;        /* prefixes announced with GRACEFUL_SHUTDOWN (RFC 8326) */
	size_t v6_announced;           /* IPv6 prefixes in MP_REACH_NLRI */
	ip_addr v6_next_hop;           /* their (global) next hop */
	size_t eors;                   /* End-of-RIB markers */
	uint8_t open_gr_flags;         /* Restart Flags of the speaker's GR capability */
	uint8_t notif_code, notif_subcode;
};

/* The fake router. */
struct router {
	int lfd;
	struct watch *lw;
	uint32_t asn;
	uint16_t hold;
	struct rconn c[2];             /* c[0]: the first connection, c[1]: a second one */
	size_t nconns;
	bool (*done)(struct router *);
	void (*on_open)(struct rconn *);
	bool refresh_on_eor;           /* answer the first End-of-RIB with a ROUTE-REFRESH */
	bool offer_v6;                 /* offer IPv6 unicast too in the OPEN */
	size_t eors;
};

static struct router rt;

static void rconn_send(struct rconn *c, const uint8_t *b, size_t n)
{
	assert_int_equal(send(c->fd, b, n, MSG_NOSIGNAL), (ssize_t)n);
}

static void router_reply_open(struct rconn *c)
{
	struct bgp_open o;
	bgp_open_init(&o, rt.asn, rt.hold, c->id);
	o.caps.mp_seen = true;
	o.caps.families = BGP_FAM_BIT(BGP_FAM_IPV4_UNICAST);
	if (rt.offer_v6)
		o.caps.families |= BGP_FAM_BIT(BGP_FAM_IPV6_UNICAST);
	o.caps.route_refresh = true;
	uint8_t buf[256];
	wbuf w = wbuf_make(buf, sizeof(buf));
	bgp_open_encode(&w, &o);
	bgp_keepalive_encode(&w);
	rconn_send(c, buf, wbuf_len(&w));
}

static void rconn_closed(struct rconn *c)
{
	c->closed = true;
	watch_free(c->w);
	c->w = NULL;
	close(c->fd);
	c->fd = -1;
}

static void router_cb(int fd, int events, void *arg)
{
	struct rconn *c = arg;
	ssize_t n = recv(fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
	if (n <= 0) {
		rconn_closed(c);
		if (rt.done(&rt))
			loop_stop();
		return;
	}
	c->in_len += (size_t)n;
	size_t used = 0;
	for (;;) {
		rbuf r = rbuf_make(c->in, c->in_len);
		rbuf_skip(&r, used);
		struct bgp_header h;
		static struct bgp_error err;
		if (bgp_frame(&r, &h, &err) != BGP_FRAME_OK)
			break;
		rbuf msg;
		if (!rbuf_sub(&r, h.len, &msg))
			break;
		used += h.len;
		struct bgp_msg m;
		assert_true(bgp_msg_decode(&msg, &(struct bgp_codec_opts){ .as4 = true }, &m, &err));
		switch (m.type) {
		case BGP_MSG_OPEN:
			c->got_open = true;
			c->speaker_asn = bgp_open_asn(&m.u.open);
			c->speaker_hold = m.u.open.hold_time;
			c->open_gr_flags = m.u.open.caps.gr ? m.u.open.caps.gr_flags : 0;
			if (c->reply_open)
				router_reply_open(c);
			if (rt.on_open)
				rt.on_open(c);
			break;
		case BGP_MSG_KEEPALIVE:
			c->keepalives++;
			break;
		case BGP_MSG_UPDATE: {
			enum bgp_family f;
			if (bgp_update_is_eor(&m.u.update, &f)) {
				c->got_eor = true;
				c->eors++;
				if (rt.refresh_on_eor && rt.eors++ == 0) {
					uint8_t buf[64];
					wbuf w = wbuf_make(buf, sizeof(buf));
					bgp_route_refresh_encode(&w, BGP_AFI_IPV4, BGP_SAFI_UNICAST);
					rconn_send(c, buf, wbuf_len(&w));
				}
			} else {
				c->updates++;
				c->announced += m.u.update.nlri.n;
				if (m.u.update.has_mp_reach &&
				    m.u.update.mp_reach_family == BGP_FAM_IPV6_UNICAST) {
					c->v6_announced += m.u.update.mp_reach.n;
					c->v6_next_hop = m.u.update.mp_next_hop;
				}
				c->withdrawn += m.u.update.withdrawn.n;
				for (size_t k = 0; k < m.u.update.attrs.ncommunities; k++)
					if (m.u.update.attrs.communities[k] ==
					    BGP_COMMUNITY_GRACEFUL_SHUTDOWN)
						c->gshut_announced += m.u.update.nlri.n;
				if (m.u.update.nlri.n > 0) {
					/* eBGP: our AS in AS_PATH, ourselves as next hop. */
					assert_int_equal(m.u.update.attrs.aspath[0].asns[0], 65001);
					assert_int_equal(m.u.update.attrs.next_hop.bytes[0], 127);
				}
			}
			break;
		}
		case BGP_MSG_NOTIFICATION:
			c->got_notification = true;
			c->notif_code = m.u.notification.code;
			c->notif_subcode = m.u.notification.subcode;
			break;
		}
		bgp_msg_free(&m);
	}
	memmove(c->in, c->in + used, c->in_len - used);
	c->in_len -= used;
	if (rt.done(&rt))
		loop_stop();
}

static struct rconn *rconn_new(int fd)
{
	assert_true(rt.nconns < 2);
	struct rconn *c = &rt.c[rt.nconns++];
	c->fd = fd;
	c->w = watch_new(fd, WATCH_READ, router_cb, c);
	return c;
}

static void router_accept(int fd, int events, void *arg)
{
	int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	assert_true(c >= 0);
	rconn_new(c);
}

/* The router connects to the speaker's port. */
static struct rconn *router_connect(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(0x7f000001) };
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return rconn_new(fd);
}

static uint16_t router_listen(void)
{
	rt.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	assert_int_equal(bind(rt.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(rt.lfd, 4), 0);
	socklen_t sl = sizeof(sa);
	getsockname(rt.lfd, (struct sockaddr *)&sa, &sl);
	rt.lw = watch_new(rt.lfd, WATCH_READ, router_accept, NULL);
	return ntohs(sa.sin_port);
}

static void router_reset(void)
{
	memset(&rt, 0, sizeof(rt));
	rt.lfd = -1;
	rt.asn = 65000;
	rt.hold = 9;
	for (size_t i = 0; i < 2; i++) {
		rt.c[i].fd = -1;
		rt.c[i].reply_open = true;
		rt.c[i].id = 0x0a000001;
	}
}

static void router_close(void)
{
	for (size_t i = 0; i < 2; i++) {
		watch_free(rt.c[i].w);
		if (rt.c[i].fd >= 0)
			close(rt.c[i].fd);
	}
	watch_free(rt.lw);
	if (rt.lfd >= 0)
		close(rt.lfd);
}

static bool timed_out;
static void timeout_cb(void *arg)
{
	timed_out = true;
	loop_stop();
}

/* Runs the loop until rt.done() or 5 s. */
static void run(bool (*done)(struct router *))
{
	rt.done = done;
	if (done(&rt))
		return;
	timed_out = false;
	struct timer *t = timer_new(timeout_cb, NULL);
	timer_start(t, mono_from_s(5));
	loop_run();
	timer_free(t);
	assert_false(timed_out);
}

static bool eor_seen(struct router *r) { return r->c[0].got_eor; }
static bool ten_withdrawn(struct router *r) { return r->c[0].withdrawn >= 10; }
static bool closed(struct router *r) { return r->c[0].closed; }

static struct bgp_peer_config peer_config(uint16_t port)
{
	struct bgp_peer_config c;
	memset(&c, 0, sizeof(c));
	c.address = v4(127, 0, 0, 1);
	c.port = port;
	c.peer_as = 65000;
	c.local_as = 65001;
	c.router_id = 0x0a000002;
	c.hold_time = 9;
	c.connect_retry_time = 1;
	return c;
}

static struct bgp_route routes[N];

static void test_active_session_sends_packed_routes(void **state)
{
	router_reset();
	uint16_t port = router_listen();
	struct bgp_speaker *s = bgp_speaker_new();
	struct bgp_peer_config cfg = peer_config(port);
	assert_true(bgp_set_peers(s, &cfg, 1));
	struct bgp_peer *p = bgp_find_peer(s, &cfg.address, port);
	assert_non_null(p);
	static const uint32_t comm[] = { 0xfde90001 };
	static const struct bgp_route_attrs attrs = { .ncommunities = 1, .communities = comm };
	for (size_t i = 0; i < N; i++) {
		routes[i].prefix = pfx4(0x0ac80000u + (uint32_t)i, 32);
		routes[i].attrs = &attrs;
	}
	bgp_peer_set_routes(p, routes, N);

	run(eor_seen);
	assert_true(rt.c[0].got_open);
	assert_int_equal(rt.c[0].speaker_asn, 65001);
	assert_int_equal(rt.c[0].announced, N);
	/* 23 + ORIGIN 4 + AS_PATH 9 + NEXT_HOP 7 + COMMUNITIES 7 = 50: 809 /32s per UPDATE. */
	assert_int_equal(rt.c[0].updates, (N + 808) / 809);
	struct bgp_peer_status st;
	bgp_peer_status(p, &st);
	assert_int_equal(st.state, BGP_ST_ESTABLISHED);
	assert_string_equal(st.state_name, "Established");
	assert_int_equal(st.prefixes_advertised, N);
	assert_int_equal(st.established_count, 1);

	/* Ten fewer routes: ten withdrawals, nothing announced again. */
	size_t before = rt.c[0].announced;
	bgp_peer_set_routes(p, routes + 10, N - 10);
	run(ten_withdrawn);
	assert_int_equal(rt.c[0].withdrawn, 10);
	assert_int_equal(rt.c[0].announced, before);

	/* The peer is removed: Cease / Peer De-configured, then the connection closes. */
	assert_true(bgp_set_peers(s, NULL, 0));
	run(closed);
	assert_true(rt.c[0].got_notification);
	assert_int_equal(rt.c[0].notif_code, BGP_ERR_CEASE);
	assert_int_equal(rt.c[0].notif_subcode, BGP_CEASE_PEER_DECONFIGURED);
	assert_int_equal(bgp_peer_count(s), 0);
	bgp_speaker_free(s);
	router_close();
}

static void test_bad_peer_as_is_refused(void **state)
{
	router_reset();
	rt.asn = 65099;   /* not the AS we expect */
	uint16_t port = router_listen();
	struct bgp_speaker *s = bgp_speaker_new();
	struct bgp_peer_config cfg = peer_config(port);
	assert_true(bgp_set_peers(s, &cfg, 1));
	run(closed);
	/* RFC 4271 §6.2: OPEN Message Error / Bad Peer AS. */
	assert_true(rt.c[0].got_notification);
	assert_int_equal(rt.c[0].notif_code, BGP_ERR_OPEN);
	assert_int_equal(rt.c[0].notif_subcode, BGP_OPEN_BAD_PEER_AS);
	struct bgp_peer_status st;
	bgp_peer_status(bgp_peer_at(s, 0), &st);
	assert_int_equal(st.state, BGP_ST_IDLE);
	assert_int_equal(st.last_sent_code, BGP_ERR_OPEN);
	/* The router's OPEN came, ours went, then the NOTIFICATION. */
	assert_int_equal(st.opens_in, 1);
	assert_int_equal(st.opens_out, 1);
	assert_int_equal(st.notifications_out, 1);
	assert_int_equal(st.notifications_in, 0);
	assert_int_equal(st.keepalives_out, 0);
	bgp_speaker_free(s);
	router_close();
}

static void test_invalid_config_changes_nothing(void **state)
{
	struct bgp_speaker *s = bgp_speaker_new();
	struct bgp_peer_config cfgs[2] = { peer_config(1790), peer_config(1790) };
	assert_false(bgp_set_peers(s, cfgs, 2));       /* duplicate */
	cfgs[1].port = 1791;
	cfgs[1].hold_time = 2;
	assert_false(bgp_set_peers(s, cfgs, 2));       /* RFC 4271 §4.2 */
	cfgs[1].hold_time = 0;
	cfgs[1].router_id = 0;
	assert_false(bgp_set_peers(s, cfgs, 2));
	assert_int_equal(bgp_peer_count(s), 0);
	bgp_speaker_free(s);
}

static void run_for(int64_t ms);

static void test_invalid_as_and_hold_configs(void **state)
{
	struct bgp_speaker *s = bgp_speaker_new();
	struct bgp_peer_config c = peer_config(1790);
	c.peer_as = 0;
	assert_false(bgp_set_peers(s, &c, 1));         /* no AS and not dynamic */
	c.peer_as = 65000;
	c.dynamic_as = BGP_DYNAMIC_AS_EXTERNAL;
	assert_false(bgp_set_peers(s, &c, 1));         /* both */
	c = peer_config(1790);
	c.no_hold_time = true;
	assert_false(bgp_set_peers(s, &c, 1));         /* hold 9 and hold 0 */
	assert_int_equal(bgp_peer_count(s), 0);
	bgp_speaker_free(s);
}

/* A dynamic-AS peer: the AS comes from the router's OPEN, and must be of the configured kind. */
static void dynamic_case(enum bgp_dynamic_as kind, uint32_t local_as, uint32_t router_as,
			 bool up)
{
	router_reset();
	rt.asn = router_as;
	uint16_t port = router_listen();
	struct bgp_speaker *s = bgp_speaker_new();
	struct bgp_peer_config cfg = peer_config(port);
	cfg.peer_as = 0;
	cfg.dynamic_as = kind;
	cfg.local_as = local_as;
	assert_true(bgp_set_peers(s, &cfg, 1));
	struct bgp_peer *p = bgp_peer_at(s, 0);
	struct bgp_peer_status st;
	bgp_peer_status(p, &st);
	assert_int_equal(st.peer_as, 0);               /* not known before the OPEN */
	run(up ? eor_seen : closed);
	bgp_peer_status(p, &st);
	if (up) {
		assert_int_equal(st.state, BGP_ST_ESTABLISHED);
		assert_int_equal(st.peer_as, router_as);
		assert_false(rt.c[0].got_notification);
	} else {
		/* RFC 4271 §6.2: OPEN Message Error / Bad Peer AS. */
		assert_true(rt.c[0].got_notification);
		assert_int_equal(rt.c[0].notif_code, BGP_ERR_OPEN);
		assert_int_equal(rt.c[0].notif_subcode, BGP_OPEN_BAD_PEER_AS);
		assert_int_equal(st.state, BGP_ST_IDLE);
		assert_int_equal(st.last_sent_code, BGP_ERR_OPEN);
		assert_int_equal(st.last_sent_subcode, BGP_OPEN_BAD_PEER_AS);
	}
	bgp_speaker_free(s);
	router_close();
}

static void test_dynamic_internal_peer(void **state)
{
	dynamic_case(BGP_DYNAMIC_AS_INTERNAL, 65000, 65000, true);
	dynamic_case(BGP_DYNAMIC_AS_INTERNAL, 65000, 65099, false);
}

static void test_dynamic_external_peer(void **state)
{
	dynamic_case(BGP_DYNAMIC_AS_EXTERNAL, 65001, 65099, true);
	dynamic_case(BGP_DYNAMIC_AS_EXTERNAL, 65000, 65000, false);
}

/* The configured keepalive interval is used (it is below the hold time, RFC 4271 §4.4). */
static void test_keepalive_time_is_used(void **state)
{
	router_reset();
	rt.hold = 30;
	uint16_t port = router_listen();
	struct bgp_speaker *s = bgp_speaker_new();
	struct bgp_peer_config cfg = peer_config(port);
	cfg.hold_time = 30;
	cfg.keepalive_time = 1;
	assert_true(bgp_set_peers(s, &cfg, 1));
	run(eor_seen);
	assert_int_equal(rt.c[0].speaker_hold, 30);
	struct bgp_peer_status st;
	bgp_peer_status(bgp_peer_at(s, 0), &st);
	assert_int_equal(st.hold_time, 30);
	assert_int_equal(st.keepalive_time, 1);
	/* One a second, not one every ten (30 / 3). */
	size_t before = rt.c[0].keepalives;
	run_for(2500);
	assert_true(rt.c[0].keepalives >= before + 2);
	bgp_speaker_free(s);
	router_close();
}

/* Hold time 0 is proposed as such (not replaced by the default), and agreed: no hold timer and
 * no keepalives (RFC 4271 §4.2, §4.4). */
static void test_hold_time_zero(void **state)
{
	router_reset();
	rt.hold = 0;
	uint16_t port = router_listen();
	struct bgp_speaker *s = bgp_speaker_new();
	struct bgp_peer_config cfg = peer_config(port);
	cfg.hold_time = 0;
	cfg.no_hold_time = true;
	assert_true(bgp_set_peers(s, &cfg, 1));
	run(eor_seen);
	assert_int_equal(rt.c[0].speaker_hold, 0);
	struct bgp_peer_status st;
	bgp_peer_status(bgp_peer_at(s, 0), &st);
	assert_int_equal(st.state, BGP_ST_ESTABLISHED);
	assert_int_equal(st.hold_time, 0);
	assert_int_equal(st.keepalive_time, 0);
	size_t before = rt.c[0].keepalives;
	run_for(1500);
	assert_int_equal(rt.c[0].keepalives, before);
	bgp_speaker_free(s);
	router_close();
}

/* A VRF binds the connection to that device: an unknown one lets nothing out (and is retried),
 * "lo" (loopback traffic runs over it) connects; a name too long for a device is refused. */
static void test_vrf_binds_the_connection(void **state)
{
	router_reset();
	uint16_t port = router_listen();
	struct bgp_speaker *s = bgp_speaker_new();
	struct bgp_peer_config cfg = peer_config(port);
	cfg.vrf = "ingot-novrf0";
	assert_true(bgp_set_peers(s, &cfg, 1));
	run_for(1500);
	assert_int_equal(rt.nconns, 0);
	struct bgp_peer_status st;
	bgp_peer_status(bgp_peer_at(s, 0), &st);
	assert_int_not_equal(st.state, BGP_ST_ESTABLISHED);

	cfg.vrf = "lo";   /* a changed VRF restarts the session */
	assert_true(bgp_set_peers(s, &cfg, 1));
	run(eor_seen);
	bgp_peer_status(bgp_peer_at(s, 0), &st);
	assert_int_equal(st.state, BGP_ST_ESTABLISHED);

	cfg.vrf = "a-name-longer-than-a-device";
	assert_false(bgp_set_peers(s, &cfg, 1));
	bgp_speaker_free(s);
	router_close();
}

static bool both_eors(struct router *r) { return r->c[0].eors >= 2; }

/* An IPv4 session and an IPv6 route: it stays off the session unless dual_stack, and then goes
 * in MP_REACH_NLRI with this host's IPv6 address on the session's interface (::1 on lo). */
static void dual_stack_case(bool dual_stack)
{
	router_reset();
	rt.offer_v6 = true;
	uint16_t port = router_listen();
	struct bgp_speaker *s = bgp_speaker_new();
	struct bgp_peer_config cfg = peer_config(port);
	cfg.dual_stack = dual_stack;
	assert_true(bgp_set_peers(s, &cfg, 1));
	static const struct bgp_route v6 = { .prefix = { .addr = { .family = IP_V6,
		.bytes = { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 } }, .len = 128 } };
	bgp_peer_set_routes(bgp_peer_at(s, 0), &v6, 1);
	run(both_eors);   /* End-of-RIB for IPv4 and IPv6: the initial routes are out */
	if (dual_stack) {
		assert_int_equal(rt.c[0].v6_announced, 1);
		ip_addr lo6 = { .family = IP_V6, .bytes = { [15] = 1 } };
		assert_true(ip_addr_eq(&rt.c[0].v6_next_hop, &lo6));
	} else {
		assert_int_equal(rt.c[0].v6_announced, 0);
	}
	bgp_speaker_free(s);
	router_close();
}

static void test_dual_stack_sends_the_other_family(void **state)
{
	/* Needs ::1 on lo (hosts with IPv6 switched off have none). */
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in6 lo6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	bool have_v6 = fd >= 0 && bind(fd, (struct sockaddr *)&lo6, sizeof(lo6)) == 0;
	if (fd >= 0)
		close(fd);
	if (!have_v6)
		skip();
	dual_stack_case(false);
	dual_stack_case(true);
}

static void test_passive_session_accepts_the_router(void **state)
{
	router_reset();
	struct bgp_speaker *s = bgp_speaker_new();
	ip_addr lo = v4(127, 0, 0, 1);
	uint16_t port = 0;
	assert_true(bgp_speaker_listen(s, &lo, 0, &port));
	assert_true(port != 0);
	struct bgp_peer_config cfg = peer_config(0);
	cfg.passive = true;
	assert_true(bgp_set_peers(s, &cfg, 1));
	static const struct bgp_route one = { .prefix = { .addr = { .family = IP_V4,
		.bytes = { 192, 0, 2, 7 } }, .len = 32 } };
	bgp_peer_set_routes(bgp_peer_at(s, 0), &one, 1);
	/* The router connects; the speaker sends its OPEN first. */
	router_connect(port);
	run(eor_seen);
	assert_true(rt.c[0].got_open);
	assert_int_equal(rt.c[0].announced, 1);
	bgp_speaker_free(s);   /* sends Cease to the router */
	router_close();
}

static void test_silent_router_dropped_at_hold_expiry(void **state)
{
	/* The router answers the OPEN, then says nothing: with hold time 3 the speaker keeps
	 * sending keepalives and drops it with Hold Timer Expired (RFC 4271 §6.5) after 3 s. */
	router_reset();
	rt.hold = 3;
	uint16_t port = router_listen();
	struct bgp_speaker *s = bgp_speaker_new();
	struct bgp_peer_config cfg = peer_config(port);
	monotime t0 = loop_now();
	assert_true(bgp_set_peers(s, &cfg, 1));
	run(closed);
	int64_t ms = mono_to_ms(mono_sub(loop_now(), t0));
	assert_true(ms >= 3000 && ms < 4500);
	assert_true(rt.c[0].got_notification);
	assert_int_equal(rt.c[0].notif_code, BGP_ERR_HOLD_TIMER);
	assert_int_equal(rt.c[0].notif_subcode, 0);
	assert_true(rt.c[0].keepalives >= 3);     /* OpenConfirm's, then one a second */
	struct bgp_peer_status st;
	bgp_peer_status(bgp_peer_at(s, 0), &st);
	assert_int_equal(st.state, BGP_ST_IDLE);
	assert_int_equal(st.last_sent_code, BGP_ERR_HOLD_TIMER);
	bgp_speaker_free(s);
	router_close();
}

static uint16_t speaker_port;

/* When the speaker's OPEN arrives on the first connection (left unanswered), the router opens
 * a second connection to the speaker: a collision (RFC 4271 §6.8). */
static void connect_back(struct rconn *c)
{
	if (c == &rt.c[0])
		router_connect(speaker_port);
}

static bool second_established(struct router *r)
{
	return r->c[1].got_eor && r->c[0].closed;
}

static bool second_closed(struct router *r)
{
	return r->c[1].closed;
}

static void collision_setup(uint32_t second_id, struct bgp_speaker **sp)
{
	router_reset();
	rt.c[0].reply_open = false;
	rt.c[1].id = second_id;
	rt.on_open = connect_back;
	uint16_t port = router_listen();
	struct bgp_speaker *s = bgp_speaker_new();
	ip_addr lo = v4(127, 0, 0, 1);
	assert_true(bgp_speaker_listen(s, &lo, 0, &speaker_port));
	struct bgp_peer_config cfg = peer_config(port);
	assert_true(bgp_set_peers(s, &cfg, 1));
	static const struct bgp_route one = { .prefix = { .addr = { .family = IP_V4,
		.bytes = { 192, 0, 2, 7 } }, .len = 32 } };
	bgp_peer_set_routes(bgp_peer_at(s, 0), &one, 1);
	*sp = s;
}

static void test_collision_router_connection_wins(void **state)
{
	/* The router's identifier (10.0.0.9) is higher than ours (10.0.0.2): the connection we
	 * initiated gets Cease / Connection Collision Resolution and the router's carries on. */
	struct bgp_speaker *s;
	collision_setup(0x0a000009, &s);
	run(second_established);
	assert_true(rt.c[0].got_notification);
	assert_int_equal(rt.c[0].notif_code, BGP_ERR_CEASE);
	assert_int_equal(rt.c[0].notif_subcode, BGP_CEASE_COLLISION);
	assert_int_equal(rt.c[1].announced, 1);
	assert_false(rt.c[1].got_notification);
	struct bgp_peer_status st;
	bgp_peer_status(bgp_peer_at(s, 0), &st);
	assert_int_equal(st.state, BGP_ST_ESTABLISHED);
	bgp_speaker_free(s);
	router_close();
}

static void test_collision_our_connection_wins(void **state)
{
	/* The router's identifier (10.0.0.1) is lower: its new connection is closed with Cease /
	 * Connection Collision Resolution, ours stays in OpenSent. */
	struct bgp_speaker *s;
	collision_setup(0x0a000001, &s);
	run(second_closed);
	assert_true(rt.c[1].got_notification);
	assert_int_equal(rt.c[1].notif_code, BGP_ERR_CEASE);
	assert_int_equal(rt.c[1].notif_subcode, BGP_CEASE_COLLISION);
	assert_false(rt.c[0].closed);
	struct bgp_peer_status st;
	bgp_peer_status(bgp_peer_at(s, 0), &st);
	assert_int_equal(st.state, BGP_ST_OPENSENT);
	bgp_speaker_free(s);
	router_close();
}

static bool never(struct router *r) { return false; }

/* Runs the loop for ms milliseconds. */
static void run_for(int64_t ms)
{
	rt.done = never;
	struct timer *t = timer_new(timeout_cb, NULL);
	timer_start(t, mono_from_ms(ms));
	loop_run();
	timer_free(t);
}

static void md5_case(const char *router_key, const char *speaker_key, bool up)
{
	router_reset();
	uint16_t port = router_listen();
	ip_addr lo = v4(127, 0, 0, 1);
	assert_true(bgp_set_md5(rt.lfd, &lo, router_key));
	struct bgp_speaker *s = bgp_speaker_new();
	struct bgp_peer_config cfg = peer_config(port);
	cfg.password = speaker_key;
	assert_true(bgp_set_peers(s, &cfg, 1));
	struct bgp_peer_status st;
	if (up) {
		run(eor_seen);
		bgp_peer_status(bgp_peer_at(s, 0), &st);
		assert_int_equal(st.state, BGP_ST_ESTABLISHED);
	} else {
		/* RFC 2385: segments with a wrong digest are dropped; no connection forms. */
		run_for(1500);
		assert_int_equal(rt.nconns, 0);
		bgp_peer_status(bgp_peer_at(s, 0), &st);
		assert_int_equal(st.state, BGP_ST_CONNECT);
	}
	bgp_speaker_free(s);
	router_close();
}

static void test_md5_right_password(void **state)
{
	md5_case("s3cret", "s3cret", true);
}

static void test_md5_wrong_password(void **state)
{
	md5_case("s3cret", "wrong", false);
}

/* Hostile input: a message with a broken marker after our OPEN. */
static void send_bad_marker(struct rconn *c)
{
	uint8_t bad[19];
	memset(bad, 0xff, sizeof(bad));
	bad[3] = 0x00;
	bad[16] = 0x00;
	bad[17] = 19;
	bad[18] = BGP_MSG_KEEPALIVE;
	rconn_send(c, bad, sizeof(bad));
}

static void test_bad_marker_gets_notification(void **state)
{
	router_reset();
	rt.c[0].reply_open = false;
	rt.on_open = send_bad_marker;
	uint16_t port = router_listen();
	struct bgp_speaker *s = bgp_speaker_new();
	struct bgp_peer_config cfg = peer_config(port);
	assert_true(bgp_set_peers(s, &cfg, 1));
	run(closed);
	/* RFC 4271 §6.1: Connection Not Synchronized. */
	assert_true(rt.c[0].got_notification);
	assert_int_equal(rt.c[0].notif_code, BGP_ERR_HEADER);
	assert_int_equal(rt.c[0].notif_subcode, BGP_HDR_NOT_SYNC);
	bgp_speaker_free(s);
	router_close();
}

/* After OPEN + KEEPALIVE: an UPDATE with an invalid ORIGIN (treat-as-withdraw, the session
 * stays), then one whose Withdrawn Routes Length overruns the message (session reset). */
static void send_bad_updates(struct rconn *c)
{
	const uint8_t taw[] = {
		MARKER, 0x00, 0x2f, 0x02, 0x00, 0x00, 0x00, 0x14,
		0x40, 0x01, 0x01, 0x07,
		0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, 0xfd, 0xe8,
		0x40, 0x03, 0x04, 0x7f, 0x00, 0x00, 0x01,
		0x18, 0xc6, 0x33, 0x64,
	};
	const uint8_t reset[] = { MARKER, 0x00, 0x17, 0x02, 0x00, 0x09, 0x00, 0x00 };
	rconn_send(c, taw, sizeof(taw));
	rconn_send(c, reset, sizeof(reset));
}

static void test_update_errors_per_rfc7606(void **state)
{
	router_reset();
	rt.on_open = send_bad_updates;
	uint16_t port = router_listen();
	struct bgp_speaker *s = bgp_speaker_new();
	struct bgp_peer_config cfg = peer_config(port);
	assert_true(bgp_set_peers(s, &cfg, 1));
	run(closed);
	assert_true(rt.c[0].got_notification);
	assert_int_equal(rt.c[0].notif_code, BGP_ERR_UPDATE);
	assert_int_equal(rt.c[0].notif_subcode, BGP_UPD_MALFORMED_ATTR_LIST);
	struct bgp_peer_status st;
	bgp_peer_status(bgp_peer_at(s, 0), &st);
	assert_int_equal(st.updates_in, 1);          /* the treat-as-withdraw one went through */
	assert_int_equal(st.established_count, 1);
	assert_int_equal(st.last_sent_code, BGP_ERR_UPDATE);
	bgp_speaker_free(s);
	router_close();
}

static bool refreshed(struct router *r) { return r->c[0].announced >= 2; }

static void test_route_refresh_is_answered(void **state)
{
	/* RFC 2918 §4: a ROUTE-REFRESH gets the Adj-RIB-Out of that family again. */
	router_reset();
	rt.refresh_on_eor = true;
	uint16_t port = router_listen();
	struct bgp_speaker *s = bgp_speaker_new();
	struct bgp_peer_config cfg = peer_config(port);
	assert_true(bgp_set_peers(s, &cfg, 1));
	static const struct bgp_route one = { .prefix = { .addr = { .family = IP_V4,
		.bytes = { 192, 0, 2, 7 } }, .len = 32 } };
	bgp_peer_set_routes(bgp_peer_at(s, 0), &one, 1);
	run(refreshed);
	assert_int_equal(rt.c[0].announced, 2);
	struct bgp_peer_status st;
	bgp_peer_status(bgp_peer_at(s, 0), &st);
	assert_int_equal(st.state, BGP_ST_ESTABLISHED);
	assert_int_equal(st.updates_out, 2);
	bgp_speaker_free(s);
	router_close();
}

/* Right after its OPEN and KEEPALIVE, the router sends two more KEEPALIVEs and a ROUTE-REFRESH. */
static void send_keepalives_and_refresh(struct rconn *c)
{
	uint8_t buf[128];
	wbuf w = wbuf_make(buf, sizeof(buf));
	bgp_keepalive_encode(&w);
	bgp_keepalive_encode(&w);
	bgp_route_refresh_encode(&w, BGP_AFI_IPV4, BGP_SAFI_UNICAST);
	rconn_send(c, buf, wbuf_len(&w));
}

static bool two_keepalives(struct router *r) { return r->c[0].keepalives >= 2 && r->c[0].eors; }

/* The counters by message type agree with what the router sent and saw, both ways. */
static void test_message_counters_by_type(void **state)
{
	router_reset();
	rt.hold = 30;
	rt.on_open = send_keepalives_and_refresh;
	uint16_t port = router_listen();
	struct bgp_speaker *s = bgp_speaker_new();
	struct bgp_peer_config cfg = peer_config(port);
	cfg.hold_time = 30;
	cfg.keepalive_time = 1;
	assert_true(bgp_set_peers(s, &cfg, 1));
	static const struct bgp_route one = { .prefix = { .addr = { .family = IP_V4,
		.bytes = { 192, 0, 2, 7 } }, .len = 32 } };
	bgp_peer_set_routes(bgp_peer_at(s, 0), &one, 1);
	/* One KEEPALIVE in OpenConfirm, the next a second later (keepalive_time 1). */
	run(two_keepalives);
	uint8_t buf[64];
	wbuf w = wbuf_make(buf, sizeof(buf));
	bgp_notification_encode(&w, BGP_ERR_CEASE, BGP_CEASE_ADMIN_SHUTDOWN, NULL, 0);
	rconn_send(&rt.c[0], buf, wbuf_len(&w));
	/* The speaker closes after the NOTIFICATION: everything it sent has been read by then. */
	run(closed);
	struct bgp_peer_status st;
	bgp_peer_status(bgp_peer_at(s, 0), &st);
	assert_int_equal(st.established_count, 1);
	assert_int_equal(st.opens_in, 1);
	assert_int_equal(st.opens_out, 1);
	assert_int_equal(st.keepalives_in, 3);
	assert_int_equal(st.route_refresh_in, 1);
	assert_int_equal(st.route_refresh_out, 0);
	assert_int_equal(st.notifications_in, 1);
	assert_int_equal(st.notifications_out, 0);
	assert_int_equal(st.msgs_in, 1 + 3 + 1 + 1);
	assert_true(rt.c[0].keepalives >= 2);
	assert_int_equal(st.keepalives_out, rt.c[0].keepalives);
	/* The route, once more for the ROUTE-REFRESH, and End-of-RIB (not counted as an UPDATE). */
	assert_int_equal(rt.c[0].updates, 2);
	assert_int_equal(st.updates_out, 2);
	assert_int_equal(st.msgs_out, 1 + rt.c[0].keepalives + rt.c[0].updates + rt.c[0].eors);
	assert_int_equal(st.prefixes_pending, 0);
	bgp_speaker_free(s);
	router_close();
}

static bool one_withdrawn(struct router *r) { return r->c[0].withdrawn >= 1; }

static void test_graceful_shutdown_reannounces_then_withdraws(void **state)
{
	/* RFC 8326 §3: the route goes out again with GRACEFUL_SHUTDOWN, and is withdrawn only
	 * after the wait; the session stays up. */
	router_reset();
	uint16_t port = router_listen();
	struct bgp_speaker *s = bgp_speaker_new();
	struct bgp_peer_config cfg = peer_config(port);
	assert_true(bgp_set_peers(s, &cfg, 1));
	static const struct bgp_route one = { .prefix = { .addr = { .family = IP_V4,
		.bytes = { 192, 0, 2, 8 } }, .len = 32 } };
	struct bgp_peer *p = bgp_peer_at(s, 0);
	bgp_peer_set_routes(p, &one, 1);
	run(eor_seen);
	assert_int_equal(rt.c[0].gshut_announced, 0);
	monotime t0 = mono_now();
	bgp_peer_graceful_shutdown(p, 1);
	run(one_withdrawn);
	assert_true(mono_to_ms(mono_since(t0)) >= 900);
	assert_int_equal(rt.c[0].announced, 2);
	assert_int_equal(rt.c[0].gshut_announced, 1);
	struct bgp_peer_status st;
	bgp_peer_status(p, &st);
	assert_int_equal(st.state, BGP_ST_ESTABLISHED);
	assert_true(st.graceful_shutdown);
	assert_int_equal(st.prefixes_advertised, 0);
	bgp_speaker_free(s);
	router_close();
}

static void test_restarting_speaker_sets_restart_state_once(void **state)
{
	/* RFC 4724 §4.1: Restart State in the first OPEN after a restart, with the N bit of
	 * RFC 8538 §2; the routes and End-of-RIB follow, and later OPENs go without it. */
	router_reset();
	uint16_t port = router_listen();
	struct bgp_speaker *s = bgp_speaker_new();
	struct bgp_peer_config cfg = peer_config(port);
	cfg.graceful_restart = true;
	cfg.gr_time = 120;
	cfg.gr_restarting = true;
	assert_true(bgp_set_peers(s, &cfg, 1));
	run(eor_seen);
	assert_true(rt.c[0].open_gr_flags & BGP_GR_FLAG_RESTART);
	assert_true(rt.c[0].open_gr_flags & BGP_GR_FLAG_NOTIFICATION);
	assert_false(bgp_peer_at(s, 0)->local_open.caps.gr_flags & BGP_GR_FLAG_RESTART);
	bgp_speaker_free(s);
	router_close();
}

int main(void)
{
	log_setup(LOGL_ERROR, LOG_FORMAT_TEXT, stderr);
	loop_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_active_session_sends_packed_routes),
		cmocka_unit_test(test_bad_peer_as_is_refused),
		cmocka_unit_test(test_invalid_config_changes_nothing),
		cmocka_unit_test(test_invalid_as_and_hold_configs),
		cmocka_unit_test(test_dynamic_internal_peer),
		cmocka_unit_test(test_dynamic_external_peer),
		cmocka_unit_test(test_keepalive_time_is_used),
		cmocka_unit_test(test_hold_time_zero),
		cmocka_unit_test(test_vrf_binds_the_connection),
		cmocka_unit_test(test_dual_stack_sends_the_other_family),
		cmocka_unit_test(test_passive_session_accepts_the_router),
		cmocka_unit_test(test_silent_router_dropped_at_hold_expiry),
		cmocka_unit_test(test_collision_router_connection_wins),
		cmocka_unit_test(test_collision_our_connection_wins),
		cmocka_unit_test(test_graceful_shutdown_reannounces_then_withdraws),
		cmocka_unit_test(test_restarting_speaker_sets_restart_state_once),
		cmocka_unit_test(test_md5_right_password),
		cmocka_unit_test(test_md5_wrong_password),
		cmocka_unit_test(test_bad_marker_gets_notification),
		cmocka_unit_test(test_update_errors_per_rfc7606),
		cmocka_unit_test(test_route_refresh_is_answered),
		cmocka_unit_test(test_message_counters_by_type),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	loop_free();
	return rc;
}
