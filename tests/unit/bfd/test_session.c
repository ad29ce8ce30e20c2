/* Tests of the BFD UDP glue and the bfd.h API over loopback: two sessions in this process talk
 * to each other (127.0.0.1 ↔ 127.0.0.2 on a test port), and a hand-driven peer socket checks the
 * wire: source port range, TTL 255 both ways, demultiplexing, detection of a silent peer. Runs
 * the real loop for short spans. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bfd/bfd.h"
#include "bfd/packet.h"
#include "core/log.h"
#include "core/loop.h"

static uint16_t port;

struct watcher {
	int changes;
	struct bfd_event last;
	monotime down_at;
};

static void on_state(void *arg, const struct bfd_event *ev)
{
	struct watcher *w = arg;
	w->changes++;
	w->last = *ev;
	if (ev->state == BFD_STATE_DOWN)
		w->down_at = mono_now();
}

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

static ip_addr lo(uint8_t last)
{
	return ip_addr_v4(0x7f000000u | last);
}

static struct bfd_session *session(uint8_t local, uint8_t peer, uint32_t ms, struct watcher *w)
{
	struct bfd_session_config c = {
		.peer = lo(peer), .local = lo(local),
		.params = { .receive_interval_ms = ms, .transmit_interval_ms = ms, .detect_mult = 3,
			    .port = port },
	};
	return bfd_session_new(&c, on_state, w);
}

static void test_two_sessions_come_up_and_admin_down(void **state)
{
	(void)state;
	struct watcher wa = { 0 }, wb = { 0 };
	struct bfd_session *a = session(1, 2, 20, &wa);
	struct bfd_session *b = session(2, 1, 20, &wb);
	assert_non_null(a);
	assert_non_null(b);
	run_for(300);
	assert_int_equal(bfd_session_state(a), BFD_STATE_UP);
	assert_int_equal(bfd_session_state(b), BFD_STATE_UP);
	assert_int_equal(wa.last.state, BFD_STATE_UP);
	struct bfd_status st;
	bfd_session_status(a, &st);
	assert_int_equal(st.up_count, 1);
	assert_int_equal(st.tx_interval_us, 20000);   /* slow start over: the Poll ended */
	assert_int_equal(st.detect_time_us, 60000);
	assert_true(st.rx_packets > 5);
	assert_int_equal(st.rx_dropped, 0);
	/* b goes: it says AdminDown, a goes Down with "neighbor signaled" and no expiry. */
	bfd_session_free(b);
	run_for(50);
	assert_int_equal(bfd_session_state(a), BFD_STATE_DOWN);
	assert_int_equal(wa.last.diag, BFD_DIAG_NEIGHBOR_DOWN);
	assert_int_equal(wa.last.remote_state, BFD_STATE_ADMIN_DOWN);
	bfd_session_free(a);
}

static void test_params_change_while_up(void **state)
{
	(void)state;
	struct watcher wa = { 0 }, wb = { 0 };
	struct bfd_session *a = session(1, 2, 20, &wa);
	struct bfd_session *b = session(2, 1, 20, &wb);
	run_for(300);
	assert_int_equal(bfd_session_state(a), BFD_STATE_UP);
	/* Slower on a while Up: a Poll Sequence runs (RFC 5880 §6.8.3) and both stay Up. */
	struct bfd_params p = { .receive_interval_ms = 30, .transmit_interval_ms = 30,
				.detect_mult = 3, .port = port };
	assert_true(bfd_session_set_params(a, &p));
	run_for(200);
	struct bfd_status st;
	bfd_session_status(b, &st);
	assert_int_equal(st.state, BFD_STATE_UP);
	assert_int_equal(st.tx_interval_us, 30000);
	assert_int_equal(st.detect_time_us, 90000);
	bfd_session_status(a, &st);
	assert_int_equal(st.state, BFD_STATE_UP);
	assert_int_equal(st.up_count, 1);
	assert_int_equal(wa.last.state, BFD_STATE_UP);
	/* Port and passive mode are not changed on a running session. */
	p.passive = true;
	assert_false(bfd_session_set_params(a, &p));
	bfd_session_free(b);
	bfd_session_free(a);
}

/* A hand-driven peer on 127.0.0.2: receives what the session sends to port, sends crafted
 * packets from its own source port. */
struct raw_peer {
	int rx, tx;
};

static void raw_open(struct raw_peer *r, int ttl)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	sa.sin_addr.s_addr = htonl(0x7f000002);
	r->rx = socket(AF_INET, SOCK_DGRAM, 0);
	int one = 1;
	setsockopt(r->rx, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(r->rx, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one));
	assert_int_equal(bind(r->rx, (struct sockaddr *)&sa, sizeof(sa)), 0);
	r->tx = socket(AF_INET, SOCK_DGRAM, 0);
	sa.sin_port = 0;   /* any source port: the receiver does not care */
	assert_int_equal(bind(r->tx, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(r->tx, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
}

static void raw_close(struct raw_peer *r)
{
	close(r->rx);
	close(r->tx);
}

/* The last packet the session sent, with the TTL and source port it came with. */
static bool raw_recv(struct raw_peer *r, struct bfd_packet *p, int *ttl, uint16_t *sport)
{
	bool got = false;
	for (;;) {
		uint8_t buf[64];
		char control[128];
		struct sockaddr_in from;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
				     .msg_iovlen = 1, .msg_control = control,
				     .msg_controllen = sizeof(control) };
		ssize_t n = recvmsg(r->rx, &mh, MSG_DONTWAIT);
		if (n < 0)
			return got;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL)
				memcpy(ttl, CMSG_DATA(c), sizeof(*ttl));
		*sport = ntohs(from.sin_port);
		rbuf rb = rbuf_make(buf, (size_t)n);
		assert_int_equal(bfd_packet_decode(&rb, p), BFD_RX_OK);
		got = true;
	}
}

static void raw_send(struct raw_peer *r, enum bfd_state st, uint32_t your, uint32_t ms)
{
	struct bfd_packet p = { .state = (uint8_t)st, .detect_mult = 3, .my_discr = 0x77,
				.your_discr = your, .desired_min_tx_us = ms * 1000,
				.required_min_rx_us = ms * 1000 };
	uint8_t buf[24];
	wbuf w = wbuf_make(buf, sizeof(buf));
	bfd_packet_encode(&w, &p);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	sa.sin_addr.s_addr = htonl(0x7f000001);
	assert_int_equal(sendto(r->tx, buf, 24, 0, (struct sockaddr *)&sa, sizeof(sa)), 24);
}

static void test_wire_and_detection(void **state)
{
	(void)state;
	struct raw_peer r;
	raw_open(&r, 255);
	struct watcher wa = { 0 };
	struct bfd_session *a = session(1, 2, 20, &wa);
	run_for(20);
	struct bfd_packet p;
	int ttl = 0;
	uint16_t sport = 0;
	assert_true(raw_recv(&r, &p, &ttl, &sport));
	assert_int_equal(ttl, 255);                       /* RFC 5881 §5 */
	assert_true(sport >= 49152);                      /* RFC 5881 §4 */
	assert_int_equal(p.state, BFD_STATE_DOWN);
	assert_int_equal(p.your_discr, 0);
	uint32_t discr = p.my_discr;
	/* Handshake by hand: Down (your 0) → a goes Init; then Up with a's discriminator. */
	raw_send(&r, BFD_STATE_DOWN, 0, 20);
	run_for(10);
	assert_int_equal(bfd_session_state(a), BFD_STATE_INIT);
	monotime t0 = mono_now();
	raw_send(&r, BFD_STATE_UP, discr, 20);
	run_for(10);
	assert_int_equal(bfd_session_state(a), BFD_STATE_UP);
	uint16_t first_sport = sport;
	assert_true(raw_recv(&r, &p, &ttl, &sport));
	assert_int_equal(sport, first_sport);             /* one source port per session */
	assert_int_equal(p.your_discr, 0x77);
	/* Then silence: Detection Time 3 × 20 ms after the last packet. */
	run_for(150);
	assert_int_equal(bfd_session_state(a), BFD_STATE_DOWN);
	assert_int_equal(wa.last.diag, BFD_DIAG_DETECT_EXPIRED);
	int64_t took = mono_to_ms(mono_sub(wa.down_at, t0));
	printf("detection took %lld ms\n", (long long)took);
	assert_true(took >= 59 && took <= 120);
	bfd_session_free(a);
	raw_close(&r);
}

static void test_ttl_and_demux_checks(void **state)
{
	(void)state;
	struct raw_peer r;
	raw_open(&r, 254);   /* one hop away: GTSM says no */
	struct watcher wa = { 0 };
	struct bfd_session *a = session(1, 2, 20, &wa);
	run_for(10);
	raw_send(&r, BFD_STATE_DOWN, 0, 20);
	run_for(10);
	struct bfd_status st;
	bfd_session_status(a, &st);
	assert_int_equal(st.state, BFD_STATE_DOWN);
	assert_int_equal(st.rx_dropped, 1);
	assert_int_equal(st.rx_packets, 0);
	int ttl = 255;
	setsockopt(r.tx, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	/* An unknown Your Discriminator selects no session. */
	raw_send(&r, BFD_STATE_UP, st.local_discr + 1, 20);
	run_for(10);
	bfd_session_status(a, &st);
	assert_int_equal(st.rx_packets, 0);
	/* The right one does. */
	raw_send(&r, BFD_STATE_DOWN, 0, 20);
	run_for(10);
	bfd_session_status(a, &st);
	assert_int_equal(st.rx_packets, 1);
	assert_int_equal(st.state, BFD_STATE_INIT);
	bfd_session_free(a);
	raw_close(&r);
}

static void test_invalid_configs(void **state)
{
	(void)state;
	struct bfd_session_config c = { .peer = lo(2), .params = { .port = port } };
	c.params.receive_interval_ms = 5;
	assert_null(bfd_session_new(&c, NULL, NULL));
	c.params.receive_interval_ms = 0;
	c.params.detect_mult = 1;
	assert_null(bfd_session_new(&c, NULL, NULL));
	c.params.detect_mult = 0;
	c.ifname = "no-such-if0";
	assert_null(bfd_session_new(&c, NULL, NULL));
	struct bfd_session_config v6 = { .params = { .port = port } };
	assert_true(ip_addr_parse("fe80::1", &v6.peer));
	assert_null(bfd_session_new(&v6, NULL, NULL));   /* link-local needs an interface */
	const char *why = NULL;
	struct bfd_params bad = { .transmit_interval_ms = 60001 };
	assert_false(bfd_params_valid(&bad, &why));
	assert_non_null(why);
}

int main(void)
{
	log_setup(LOGL_WARN, LOG_FORMAT_TEXT, stderr);
	loop_init();
	port = (uint16_t)(20000 + getpid() % 20000);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_sessions_come_up_and_admin_down),
		cmocka_unit_test(test_params_change_while_up),
		cmocka_unit_test(test_wire_and_detection),
		cmocka_unit_test(test_ttl_and_demux_checks),
		cmocka_unit_test(test_invalid_configs),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	loop_free();
	return rc;
}
