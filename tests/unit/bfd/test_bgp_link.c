/* Test of BGP as a BFD client (bgp/bfd_link.c) over loopback. Default (non-strict) mode: BGP
 * connects and reaches Established with BFD never Up; once BFD has been Up, its going Down tears
 * the session down with Cease "BFD Down" (RFC 9384) and the session reconnects after the short
 * idle-hold backoff, with BFD Up again or not; a session in Active waiting for its ConnectRetry
 * timer (120 s) connects when BFD comes Up, and one whose connection was opening when BFD came
 * Up and then failed connects 2 s later. Strict mode (bfd_strict): no connection before BFD is Up, stopped until BFD is Up
 * again; a peer's AdminDown leaves the session alone; new intervals run a Poll Sequence. The
 * router side is a bare TCP listener (answering with OPEN and KEEPALIVE where a test needs
 * Established) and a BFD peer driven by hand from 127.0.0.2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bfd/packet.h"
#include "bgp/bgp.h"
#include "bgp/fsm.h"
#include "bgp/msg.h"
#include "core/log.h"
#include "core/loop.h"

static uint16_t bfd_port;

/* The router: a TCP listener for BGP and two UDP sockets for BFD on 127.0.0.2. */
static struct {
	int listen_fd;
	uint16_t bgp_port;
	int bfd_rx, bfd_tx;
	uint32_t speaker_discr;    /* learned from the speaker's packets */
	struct bfd_packet last;    /* the speaker's last packet */
	bool saw_poll;             /* a packet with P since this was cleared */
	bool talking;              /* send BFD Up every 10 ms */
	enum bfd_state send_state;
	struct timer *tick;
} R;

static void stop_cb(void *arg)
{
	(void)arg;
	loop_stop();
}

static void run_for(int ms)
{
	struct timer *t = timer_new(stop_cb, NULL);
	timer_start(t, mono_from_ms(ms));
	loop_run();
	timer_free(t);
}

static void bfd_send(enum bfd_state st)
{
	struct bfd_packet p = { .state = (uint8_t)st, .detect_mult = 3, .my_discr = 0x99,
				.your_discr = st == BFD_STATE_DOWN ? 0 : R.speaker_discr,
				.desired_min_tx_us = 20000, .required_min_rx_us = 20000 };
	uint8_t buf[24];
	wbuf w = wbuf_make(buf, sizeof(buf));
	bfd_packet_encode(&w, &p);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(bfd_port) };
	sa.sin_addr.s_addr = htonl(0x7f000001);
	sendto(R.bfd_tx, buf, 24, 0, (struct sockaddr *)&sa, sizeof(sa));
}

/* Reads what the speaker's BFD sent; remembers its discriminator. */
static void bfd_drain(void)
{
	uint8_t buf[64];
	ssize_t n;
	while ((n = recv(R.bfd_rx, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		rbuf r = rbuf_make(buf, (size_t)n);
		struct bfd_packet p;
		if (bfd_packet_decode(&r, &p) == BFD_RX_OK) {
			R.speaker_discr = p.my_discr;
			R.last = p;
			R.saw_poll |= p.poll;
		}
	}
}

static void tick_cb(void *arg)
{
	(void)arg;
	bfd_drain();
	if (R.talking && R.speaker_discr)
		bfd_send(R.send_state);
	timer_start(R.tick, mono_from_ms(10));
}

static void router_open(void)
{
	/* Nothing carried over from the previous test. */
	R.talking = false;
	R.saw_poll = false;
	R.speaker_discr = 0;
	R.send_state = BFD_STATE_DOWN;
	memset(&R.last, 0, sizeof(R.last));
	struct sockaddr_in sa = { .sin_family = AF_INET };
	sa.sin_addr.s_addr = htonl(0x7f000002);
	R.listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int one = 1;
	setsockopt(R.listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(R.listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(R.listen_fd, 8), 0);
	socklen_t sl = sizeof(sa);
	getsockname(R.listen_fd, (struct sockaddr *)&sa, &sl);
	R.bgp_port = ntohs(sa.sin_port);
	R.bfd_rx = socket(AF_INET, SOCK_DGRAM, 0);
	sa.sin_port = htons(bfd_port);
	assert_int_equal(bind(R.bfd_rx, (struct sockaddr *)&sa, sizeof(sa)), 0);
	R.bfd_tx = socket(AF_INET, SOCK_DGRAM, 0);
	sa.sin_port = 0;
	assert_int_equal(bind(R.bfd_tx, (struct sockaddr *)&sa, sizeof(sa)), 0);
	int ttl = 255;
	setsockopt(R.bfd_tx, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	R.tick = timer_new(tick_cb, NULL);
	timer_start(R.tick, mono_from_ms(10));
}

static void router_close(void)
{
	timer_free(R.tick);
	close(R.listen_fd);
	close(R.bfd_rx);
	close(R.bfd_tx);
}

/* Accepts every pending BGP connection; returns how many there were. */
static int bgp_accept_all(void)
{
	int n = 0, fd;
	while ((fd = accept(R.listen_fd, NULL, NULL)) >= 0) {
		n++;
		close(fd);   /* the speaker sees its connection fail and retries in time */
	}
	return n;
}

/* Waits up to ms for a connection from the speaker; -1 when none came. */
static int bgp_accept_within(int ms)
{
	monotime t0 = mono_now();
	for (;;) {
		int fd = accept(R.listen_fd, NULL, NULL);
		if (fd >= 0 || mono_to_ms(mono_since(t0)) >= ms)
			return fd;
		run_for(5);
	}
}

static struct bgp_peer_status peer_status(struct bgp_speaker *s)
{
	struct bgp_peer_status st;
	bgp_peer_status(bgp_peer_at(s, 0), &st);
	return st;
}

static void test_strict_waits_for_bfd_and_drops_with_it(void **state)
{
	(void)state;
	router_open();
	struct bgp_speaker *s = bgp_speaker_new();
	struct bgp_peer_config c = {
		.port = R.bgp_port, .peer_as = 64512, .local_as = 64513, .router_id = 0x01020304,
		.hold_time = 90, .connect_retry_time = 1, .bfd = true, .bfd_strict = true,
		.bfd_params = { .receive_interval_ms = 20, .transmit_interval_ms = 20,
				.detect_mult = 3, .port = bfd_port },
	};
	c.address = ip_addr_v4(0x7f000002);
	c.source = ip_addr_v4(0x7f000001);
	assert_true(bgp_set_peers(s, &c, 1));

	/* BFD not Up: no connection attempt at all. */
	run_for(300);
	assert_int_equal(bgp_accept_all(), 0);
	assert_int_equal(peer_status(s).state, BGP_ST_IDLE);
	assert_int_not_equal(R.speaker_discr, 0);   /* its BFD talks, slowly */

	/* The router's BFD answers: the speaker's BFD comes Up, BGP connects. */
	bfd_send(BFD_STATE_DOWN);
	R.send_state = BFD_STATE_UP;
	R.talking = true;
	run_for(200);
	struct bgp_peer_status st = peer_status(s);
	assert_true(st.state == BGP_ST_CONNECT || st.state == BGP_ST_OPENSENT ||
		    st.state == BGP_ST_ACTIVE || st.state == BGP_ST_IDLE);
	int first = bgp_accept_all();
	run_for(50);
	first += bgp_accept_all();
	assert_true(first >= 1);

	/* The router falls silent: BFD Down after 3 × 20 ms, BGP stopped with Cease/10. */
	R.talking = false;
	run_for(200);
	st = peer_status(s);
	assert_int_equal(st.state, BGP_ST_IDLE);
	/* Stays down: no new connection for longer than the idle hold and connect retry times. */
	bgp_accept_all();
	run_for(2500);
	assert_int_equal(bgp_accept_all(), 0);
	assert_int_equal(peer_status(s).state, BGP_ST_IDLE);

	/* BFD back Up: BGP starts again. */
	bfd_send(BFD_STATE_DOWN);
	R.talking = true;
	run_for(300);
	run_for(50);
	assert_true(bgp_accept_all() >= 1);

	/* The router takes BFD administratively down: BGP is not stopped for that. */
	R.send_state = BFD_STATE_ADMIN_DOWN;
	run_for(100);
	R.talking = false;
	/* Still trying to connect (each connection the router drops in OpenSent backs off 2 s,
	 * doubling). */
	int fd = bgp_accept_within(6000);
	assert_true(fd >= 0);
	close(fd);
	bgp_speaker_free(s);
	router_close();
}

/* A peer config with BFD at 50 ms x 3 towards the router on 127.0.0.2 (the router sends every
 * 10 ms: a 150 ms detection time leaves room for a loaded machine). */
static struct bgp_peer_config link_config(bool strict)
{
	struct bgp_peer_config c = {
		.port = R.bgp_port, .peer_as = 64512, .local_as = 64513, .router_id = 0x01020304,
		.hold_time = 90, .bfd = true, .bfd_strict = strict,
		.bfd_params = { .receive_interval_ms = 50, .transmit_interval_ms = 50,
				.detect_mult = 3, .port = bfd_port },
	};
	c.address = ip_addr_v4(0x7f000002);
	c.source = ip_addr_v4(0x7f000001);
	return c;
}

/* The router's side of the handshake: its OPEN (AS 64512) and a KEEPALIVE. */
static void router_open_session(int fd)
{
	uint8_t buf[128];
	wbuf w = wbuf_make(buf, sizeof(buf));
	struct bgp_open o;
	bgp_open_init(&o, 64512, 90, 0x05060708);
	bgp_open_encode(&w, &o);
	bgp_keepalive_encode(&w);
	assert_int_equal(send(fd, buf, wbuf_len(&w), MSG_NOSIGNAL), (ssize_t)wbuf_len(&w));
}

static bool wait_state(struct bgp_speaker *s, int state, int ms)
{
	monotime t0 = mono_now();
	while (peer_status(s).state != state && mono_to_ms(mono_since(t0)) < ms)
		run_for(5);
	return peer_status(s).state == state;
}

/* BFD starts Up: the router's BFD answers from now on. */
static void router_bfd_up(void)
{
	/* The speaker's discriminator comes with its first packet (slow start: one a second). */
	for (int i = 0; i < 200 && !R.speaker_discr; i++)
		run_for(10);
	assert_int_not_equal(R.speaker_discr, 0);
	bfd_send(BFD_STATE_DOWN);
	R.send_state = BFD_STATE_UP;
	R.talking = true;
}

static void test_established_without_bfd(void **state)
{
	(void)state;
	router_open();
	struct bgp_speaker *s = bgp_speaker_new();
	struct bgp_peer_config c = link_config(false);
	assert_true(bgp_set_peers(s, &c, 1));
	/* The router's BFD says nothing (it starts BFD only once BGP is up): BGP connects anyway. */
	int fd = bgp_accept_within(500);
	assert_true(fd >= 0);
	router_open_session(fd);
	assert_true(wait_state(s, BGP_ST_ESTABLISHED, 1000));
	/* BFD never having been Up, its Down state (slow start) does not touch the session. */
	run_for(1500);
	assert_int_equal(peer_status(s).state, BGP_ST_ESTABLISHED);
	assert_int_not_equal(R.speaker_discr, 0);
	assert_int_not_equal(R.last.state, BFD_STATE_UP);
	/* The BFD session is there, never Up, sending its slow-start packets. */
	struct bgp_peer_status st = peer_status(s);
	assert_true(st.has_bfd);
	assert_int_not_equal(st.bfd.state, BFD_STATE_UP);
	assert_int_equal(st.bfd.up_count, 0);
	assert_int_equal(st.bfd.down_count, 0);
	assert_true(st.bfd.tx_packets >= 1);
	close(fd);
	bgp_speaker_free(s);
	router_close();
}

static void test_bfd_down_drops_then_up_reconnects(void **state)
{
	(void)state;
	router_open();
	struct bgp_speaker *s = bgp_speaker_new();
	struct bgp_peer_config c = link_config(false);
	assert_true(bgp_set_peers(s, &c, 1));
	int fd = bgp_accept_within(500);
	assert_true(fd >= 0);
	router_open_session(fd);
	assert_true(wait_state(s, BGP_ST_ESTABLISHED, 1000));
	router_bfd_up();
	run_for(200);
	assert_int_equal(R.last.state, BFD_STATE_UP);
	assert_int_equal(peer_status(s).state, BGP_ST_ESTABLISHED);
	struct bfd_status bs;
	assert_true(bgp_peer_bfd_status(bgp_peer_at(s, 0), &bs));
	assert_int_equal(bs.state, BFD_STATE_UP);
	assert_int_equal(bs.up_count, 1);
	assert_int_equal(bs.down_count, 0);
	assert_true(bs.rx_packets >= 1 && bs.tx_packets >= 1);

	/* BFD Down (the router falls silent): the session goes at once, Cease/BFD Down. */
	R.talking = false;
	assert_true(wait_state(s, BGP_ST_IDLE, 1000));
	struct bgp_peer_status st = peer_status(s);
	assert_int_equal(st.last_sent_code, 6);
	assert_int_equal(st.last_sent_subcode, 10);
	assert_true(st.has_bfd);
	assert_int_not_equal(st.bfd.state, BFD_STATE_UP);
	assert_int_equal(st.bfd.up_count, 1);
	assert_int_equal(st.bfd.down_count, 1);
	close(fd);
	monotime t0 = mono_now();
	/* While BFD is Down the session waits: no connection within the backoff (1.5-2 s). */
	assert_int_equal(bgp_accept_within(800), -1);
	assert_int_equal(peer_status(s).state, BGP_ST_IDLE);
	/* BFD Up again this soon after the teardown: the router may still be clearing the old
	 * session, so the backoff (at most idle_hold_time, 2 s) still runs out first. */
	router_bfd_up();
	fd = bgp_accept_within(3500);
	int64_t took = mono_to_ms(mono_since(t0));
	printf("reconnected %lld ms after the BFD teardown, BFD Up again meanwhile\n",
	       (long long)took);
	assert_true(fd >= 0);
	assert_true(took >= 1400 && took <= 4000);   /* margin for a loaded machine */
	router_open_session(fd);
	assert_true(wait_state(s, BGP_ST_ESTABLISHED, 1000));
	close(fd);
	bgp_speaker_free(s);
	router_close();
}

static void test_bfd_down_backoff_bounds_the_wait(void **state)
{
	(void)state;
	router_open();
	struct bgp_speaker *s = bgp_speaker_new();
	struct bgp_peer_config c = link_config(false);
	assert_true(bgp_set_peers(s, &c, 1));
	int fd = bgp_accept_within(500);
	assert_true(fd >= 0);
	router_open_session(fd);
	assert_true(wait_state(s, BGP_ST_ESTABLISHED, 1000));
	router_bfd_up();
	run_for(200);
	R.talking = false;
	assert_true(wait_state(s, BGP_ST_IDLE, 1000));
	close(fd);
	/* BFD stays Down (the router may have dropped its BFD session with its BGP session, as a
	 * dynamic neighbour does): BGP tries again after the idle-hold backoff, 1.5-2 s. */
	monotime t0 = mono_now();
	fd = bgp_accept_within(3000);
	int64_t took = mono_to_ms(mono_since(t0));
	printf("reconnected %lld ms after the BFD teardown with BFD still Down\n", (long long)took);
	assert_true(fd >= 0);
	assert_true(took >= 1400 && took <= 4000);   /* margin for a loaded machine */
	close(fd);
	bgp_speaker_free(s);
	router_close();
}

/* The router takes the connection and drops it before its OPEN (BFD Down all along): no
 * ConnectRetry wait (120 s) in Active for BFD to cut short any more, the idle-hold backoff
 * reconnects (fsm.c, OpenSent TcpConnectionFails). */
static void test_connection_dropped_in_opensent_retries_soon(void **state)
{
	(void)state;
	router_open();
	struct bgp_speaker *s = bgp_speaker_new();
	struct bgp_peer_config c = link_config(false);   /* ConnectRetry: the default 120 s */
	assert_true(bgp_set_peers(s, &c, 1));
	int fd = bgp_accept_within(500);
	assert_true(fd >= 0);
	run_for(20);
	close(fd);
	assert_true(wait_state(s, BGP_ST_IDLE, 500));
	monotime t0 = mono_now();
	fd = bgp_accept_within(4000);
	int64_t took = mono_to_ms(mono_since(t0));
	printf("connected again %lld ms after the drop in OpenSent, BFD Down, ConnectRetry 120 s\n",
	       (long long)took);
	assert_true(fd >= 0);
	assert_true(took >= 1000 && took <= 4000);   /* 1.5-2 s backoff, margin for a loaded machine */
	close(fd);
	bgp_speaker_free(s);
	router_close();
}

static void test_opening_connection_failing_after_bfd_up_retries_soon(void **state)
{
	(void)state;
	router_open();
	struct bgp_speaker *s = bgp_speaker_new();
	struct bgp_peer_config c = link_config(false);   /* ConnectRetry: the default 120 s */
	assert_true(bgp_set_peers(s, &c, 1));
	/* A connection made before BFD is Up (to a frozen router, say): OpenSent. */
	int fd = bgp_accept_within(500);
	assert_true(fd >= 0);
	assert_true(wait_state(s, BGP_ST_OPENSENT, 500));
	router_bfd_up();
	run_for(200);
	assert_int_equal(R.last.state, BFD_STATE_UP);
	assert_int_equal(peer_status(s).state, BGP_ST_OPENSENT);
	/* The router drops it: OpenSent goes to Idle and connects again after the idle-hold
	 * backoff (2 s), not in 90-120 s. */
	close(fd);
	assert_true(wait_state(s, BGP_ST_IDLE, 500));
	monotime t0 = mono_now();
	fd = bgp_accept_within(4000);
	int64_t took = mono_to_ms(mono_since(t0));
	printf("connected again %lld ms after the failure, ConnectRetry 120 s\n", (long long)took);
	assert_true(fd >= 0);
	assert_true(took >= 1500 && took <= 4000);
	close(fd);
	/* A second failure backs off longer (the idle-hold doubles). */
	assert_true(wait_state(s, BGP_ST_IDLE, 500));
	assert_int_equal(bgp_accept_within(500), -1);
	bgp_speaker_free(s);
	router_close();
}

static void test_bfd_down_tears_down_an_open_session(void **state)
{
	(void)state;
	router_open();
	struct bgp_speaker *s = bgp_speaker_new();
	struct bgp_peer_config c = {
		.port = R.bgp_port, .peer_as = 64512, .local_as = 64513, .router_id = 0x01020304,
		.hold_time = 90, .bfd = true,
		.bfd_params = { .receive_interval_ms = 20, .transmit_interval_ms = 20,
				.detect_mult = 3, .port = bfd_port },
	};
	c.address = ip_addr_v4(0x7f000002);
	c.source = ip_addr_v4(0x7f000001);
	assert_true(bgp_set_peers(s, &c, 1));
	run_for(50);
	bfd_send(BFD_STATE_DOWN);
	R.send_state = BFD_STATE_UP;
	R.talking = true;
	run_for(100);
	/* Keep the connection open: the speaker sends its OPEN and waits in OpenSent. */
	int fd = -1;
	for (int i = 0; i < 20 && fd < 0; i++) {
		fd = accept(R.listen_fd, NULL, NULL);
		if (fd < 0)
			run_for(20);
	}
	assert_true(fd >= 0);
	run_for(50);
	assert_int_equal(peer_status(s).state, BGP_ST_OPENSENT);
	/* New BFD intervals: applied with a Poll Sequence, the BGP session is not restarted. */
	c.bfd_params.receive_interval_ms = 40;
	c.bfd_params.transmit_interval_ms = 40;
	R.saw_poll = false;
	assert_true(bgp_set_peers(s, &c, 1));
	run_for(100);
	assert_int_equal(peer_status(s).state, BGP_ST_OPENSENT);
	assert_int_equal(R.last.desired_min_tx_us, 40000);
	assert_int_equal(R.last.required_min_rx_us, 40000);
	assert_true(R.saw_poll);
	assert_int_equal(accept(R.listen_fd, NULL, NULL), -1);   /* no new connection */
	R.talking = false;
	monotime t0 = mono_now();
	while (peer_status(s).state != BGP_ST_IDLE && mono_to_ms(mono_since(t0)) < 500)
		run_for(5);
	int64_t took = mono_to_ms(mono_since(t0));
	printf("BGP torn down %lld ms after the last BFD packet\n", (long long)took);
	struct bgp_peer_status st = peer_status(s);
	assert_int_equal(st.state, BGP_ST_IDLE);
	assert_int_equal(st.last_sent_code, 6);       /* Cease */
	assert_int_equal(st.last_sent_subcode, 10);   /* BFD Down, RFC 9384 */
	assert_true(took <= 200);   /* 3 × 40 ms after the last packet, plus scheduling */
	close(fd);
	bgp_speaker_free(s);
	router_close();
}

int main(void)
{
	log_setup(LOGL_WARN, LOG_FORMAT_TEXT, stderr);
	loop_init();
	bfd_port = (uint16_t)(20000 + (getpid() + 7919) % 20000);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_established_without_bfd),
		cmocka_unit_test(test_bfd_down_drops_then_up_reconnects),
		cmocka_unit_test(test_bfd_down_backoff_bounds_the_wait),
		cmocka_unit_test(test_connection_dropped_in_opensent_retries_soon),
		cmocka_unit_test(test_opening_connection_failing_after_bfd_up_retries_soon),
		cmocka_unit_test(test_strict_waits_for_bfd_and_drops_with_it),
		cmocka_unit_test(test_bfd_down_tears_down_an_open_session),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	loop_free();
	return rc;
}
