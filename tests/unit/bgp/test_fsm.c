/* Unit tests for the RFC 4271 §8 state machine (bgp/fsm.c) with a fake clock: plain structs,
 * no sockets, no loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "bgp/fsm.h"
#include "core/log.h"

static monotime now;

static void advance(int64_t seconds)
{
	now = mono_add(now, mono_from_s(seconds));
}

static int64_t in_s(const struct bgp_timer_deadline *t)
{
	assert_true(t->on);
	return mono_to_s(mono_sub(t->at, now));
}

static struct bgp_fsm_out ev(struct bgp_fsm *f, enum bgp_event e)
{
	return bgp_fsm_event(f, e, now);
}

static struct bgp_fsm_out open_with_hold(struct bgp_fsm *f, uint16_t hold, bool gr_n)
{
	struct bgp_negotiated neg = { .hold_time = hold, .gr_n = gr_n };
	struct bgp_fsm_input in = { .event = BGP_EV_OPEN, .neg = &neg };
	return bgp_fsm_handle(f, &in, now);
}

/* Fires due timers until none is; returns the union of the actions. */
static unsigned tick_all(struct bgp_fsm *f, struct bgp_fsm_out *last)
{
	unsigned actions = 0;
	bool fired = true;
	while (fired) {
		struct bgp_fsm_out o = bgp_fsm_tick(f, now, &fired);
		if (fired) {
			actions |= o.actions;
			if (last)
				*last = o;
		}
	}
	return actions;
}

static void init(struct bgp_fsm *f, bool passive)
{
	struct bgp_fsm_config cfg = { .peer = "192.0.2.1", .passive = passive };
	now = mono_from_s(1000);
	bgp_fsm_init(f, &cfg);
}

/* Idle → Connect → OpenSent → OpenConfirm → Established with the given negotiated hold time. */
static void establish(struct bgp_fsm *f, uint16_t hold)
{
	struct bgp_fsm_out o = ev(f, BGP_EV_MANUAL_START);
	assert_int_equal(f->state, BGP_ST_CONNECT);
	assert_int_equal(o.actions, BGP_ACT_CONNECT);
	o = ev(f, BGP_EV_TCP_CONNECTED);
	assert_int_equal(f->state, BGP_ST_OPENSENT);
	assert_int_equal(o.actions, BGP_ACT_SEND_OPEN);
	o = open_with_hold(f, hold, false);
	assert_int_equal(f->state, BGP_ST_OPENCONFIRM);
	assert_int_equal(o.actions, BGP_ACT_SEND_KEEPALIVE);
	o = ev(f, BGP_EV_KEEPALIVE);
	assert_int_equal(f->state, BGP_ST_ESTABLISHED);
	assert_int_equal(o.actions, BGP_ACT_ESTABLISHED);
}

static void test_happy_path_and_timers(void **state)
{
	struct bgp_fsm f;
	init(&f, false);
	assert_int_equal(f.state, BGP_ST_IDLE);
	monotime at;
	assert_false(bgp_fsm_next_deadline(&f, &at));

	ev(&f, BGP_EV_MANUAL_START);
	assert_int_equal(in_s(&f.connect_retry), 120);       /* RFC 4271 §10 */
	ev(&f, BGP_EV_TCP_CONNECTED);
	assert_false(f.connect_retry.on);
	assert_int_equal(in_s(&f.hold), 240);                /* §8.2.2: 4 minutes in OpenSent */
	open_with_hold(&f, 9, false);
	assert_int_equal(f.hold_time, 9);
	assert_int_equal(f.keepalive_time, 3);               /* a third of the hold time */
	assert_int_equal(in_s(&f.hold), 9);
	assert_int_equal(in_s(&f.keepalive), 3);
	assert_true(bgp_fsm_next_deadline(&f, &at));
	assert_int_equal(mono_to_s(mono_sub(at, now)), 3);
	ev(&f, BGP_EV_KEEPALIVE);
	assert_int_equal(f.state, BGP_ST_ESTABLISHED);
	assert_int_equal(f.established_count, 1);

	/* Keepalives every 3 s; the peer's keepalives and updates restart the hold timer. */
	advance(3);
	struct bgp_fsm_out o;
	assert_int_equal(tick_all(&f, &o), BGP_ACT_SEND_KEEPALIVE);
	assert_int_equal(in_s(&f.keepalive), 3);
	advance(2);
	ev(&f, BGP_EV_UPDATE);
	assert_int_equal(in_s(&f.hold), 9);
	advance(1);
	ev(&f, BGP_EV_KEEPALIVE);
	assert_int_equal(in_s(&f.hold), 9);
	assert_int_equal(f.state, BGP_ST_ESTABLISHED);
}

static void test_silent_peer_dropped_at_hold_expiry(void **state)
{
	/* The MetalLB #777 case: the peer stops talking; we keep sending keepalives and drop it
	 * when the hold timer fires. */
	struct bgp_fsm f;
	init(&f, false);
	establish(&f, 9);
	unsigned actions = 0;
	struct bgp_fsm_out last = { 0 };
	for (int i = 0; i < 9; i++) {
		advance(1);
		actions |= tick_all(&f, &last);
		if (f.state != BGP_ST_ESTABLISHED)
			break;
	}
	assert_int_equal(f.state, BGP_ST_IDLE);
	assert_true(actions & BGP_ACT_SEND_KEEPALIVE);
	assert_int_equal(last.actions,
			 BGP_ACT_SEND_NOTIFICATION | BGP_ACT_CLOSE | BGP_ACT_DOWN);
	assert_int_equal(last.code, BGP_ERR_HOLD_TIMER);
	assert_int_equal(last.subcode, 0);
	assert_false(last.hard_reset);
	assert_int_equal(mono_to_s(mono_sub(now, mono_from_s(1000))), 9);
	assert_false(f.hold.on);
	assert_false(f.keepalive.on);
	assert_int_equal(f.connect_retry_counter, 1);
	/* And it comes back on its own after the idle hold time. */
	assert_int_equal(in_s(&f.idle_hold), 2);
	advance(2);
	assert_int_equal(tick_all(&f, NULL), BGP_ACT_CONNECT);
	assert_int_equal(f.state, BGP_ST_CONNECT);
}

static void test_hold_time_zero_means_no_timers(void **state)
{
	struct bgp_fsm f;
	init(&f, false);
	establish(&f, 0);
	assert_int_equal(f.keepalive_time, 0);
	assert_false(f.hold.on);
	assert_false(f.keepalive.on);
	monotime at;
	assert_false(bgp_fsm_next_deadline(&f, &at));
	advance(100000);
	assert_int_equal(tick_all(&f, NULL), 0);
	assert_int_equal(f.state, BGP_ST_ESTABLISHED);
}

static void test_hold_time_negotiation(void **state)
{
	/* RFC 4271 §4.2: the smaller of the two; the FSM keeps what bgp_negotiate() agreed. */
	struct bgp_open local, remote;
	bgp_open_init(&local, 65001, 90, 1);
	bgp_open_init(&remote, 65002, 30, 2);
	struct bgp_negotiated neg;
	bgp_negotiate(&local, &remote, &neg);
	assert_int_equal(neg.hold_time, 30);
	struct bgp_fsm f;
	init(&f, false);
	ev(&f, BGP_EV_MANUAL_START);
	ev(&f, BGP_EV_TCP_CONNECTED);
	struct bgp_fsm_input in = { .event = BGP_EV_OPEN, .neg = &neg };
	bgp_fsm_handle(&f, &in, now);
	assert_int_equal(f.hold_time, 30);
	assert_int_equal(f.keepalive_time, 10);
	/* A configured keepalive interval counts while it is below the hold time. */
	struct bgp_fsm g;
	init(&g, false);
	g.cfg.keepalive_time = 4;
	ev(&g, BGP_EV_MANUAL_START);
	ev(&g, BGP_EV_TCP_CONNECTED);
	bgp_fsm_handle(&g, &in, now);
	assert_int_equal(g.keepalive_time, 4);
	init(&g, false);
	g.cfg.keepalive_time = 30;
	ev(&g, BGP_EV_MANUAL_START);
	ev(&g, BGP_EV_TCP_CONNECTED);
	bgp_fsm_handle(&g, &in, now);
	assert_int_equal(g.keepalive_time, 10);
	/* RFC 4271 §6.2: 1 and 2 never reach the FSM: the decoder refuses them (2/6). */
	const uint8_t bytes[] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0x00, 0x1d, 0x01, 0x04, 0xfd, 0xea, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x02, 0x00,
	};
	rbuf r = rbuf_make(bytes, sizeof(bytes));
	struct bgp_msg m;
	static struct bgp_error err;
	assert_false(bgp_msg_decode(&r, &(struct bgp_codec_opts){ 0 }, &m, &err));
	assert_int_equal(err.code, 2);
	assert_int_equal(err.subcode, 6);
	in = (struct bgp_fsm_input){ .event = BGP_EV_OPEN_ERR, .error = &err };
	struct bgp_fsm_out o = bgp_fsm_handle(&f, &in, now);
	assert_int_equal(f.state, BGP_ST_IDLE);
	assert_true(o.actions & BGP_ACT_SEND_NOTIFICATION);
	assert_int_equal(o.code, 2);
	assert_int_equal(o.subcode, 6);
}

static void test_backoff_doubles_and_caps(void **state)
{
	struct bgp_fsm f;
	init(&f, false);
	ev(&f, BGP_EV_MANUAL_START);
	const int64_t want[] = { 2, 4, 8, 16, 32, 64, 120, 120, 120 };
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(f.state, BGP_ST_CONNECT);
		struct bgp_fsm_out o = ev(&f, BGP_EV_TCP_FAILS);
		assert_int_equal(f.state, BGP_ST_IDLE);
		assert_int_equal(o.actions, BGP_ACT_CLOSE);
		assert_int_equal(in_s(&f.idle_hold), want[i]);
		advance(want[i] - 1);
		assert_int_equal(tick_all(&f, NULL), 0);     /* not yet */
		advance(1);
		assert_int_equal(tick_all(&f, NULL), BGP_ACT_CONNECT);
	}
}

static void test_backoff_resets_after_stable_session(void **state)
{
	struct bgp_fsm f;
	init(&f, false);
	establish(&f, 0);
	ev(&f, BGP_EV_TCP_FAILS);                 /* flap right away */
	assert_int_equal(in_s(&f.idle_hold), 2);
	advance(2);
	tick_all(&f, NULL);
	ev(&f, BGP_EV_TCP_CONNECTED);
	open_with_hold(&f, 0, false);
	ev(&f, BGP_EV_KEEPALIVE);
	ev(&f, BGP_EV_NOTIF);                     /* flaps again quickly: backoff grows */
	assert_int_equal(in_s(&f.idle_hold), 4);
	advance(4);
	tick_all(&f, NULL);
	ev(&f, BGP_EV_TCP_CONNECTED);
	open_with_hold(&f, 0, false);
	ev(&f, BGP_EV_KEEPALIVE);
	advance(3600);                            /* stays up for an hour */
	ev(&f, BGP_EV_TCP_FAILS);
	assert_int_equal(in_s(&f.idle_hold), 2);  /* back to the start */
	assert_int_equal(f.established_count, 3);
}

static void test_manual_stop(void **state)
{
	struct bgp_fsm f;
	init(&f, false);
	establish(&f, 90);
	struct bgp_fsm_out o = ev(&f, BGP_EV_MANUAL_STOP);
	assert_int_equal(f.state, BGP_ST_IDLE);
	assert_int_equal(o.actions, BGP_ACT_SEND_NOTIFICATION | BGP_ACT_CLOSE | BGP_ACT_DOWN);
	assert_int_equal(o.code, BGP_ERR_CEASE);
	assert_int_equal(o.subcode, BGP_CEASE_ADMIN_SHUTDOWN);
	assert_false(o.hard_reset);
	assert_false(f.idle_hold.on);             /* no automatic restart */
	advance(1000);
	assert_int_equal(tick_all(&f, NULL), 0);
	assert_int_equal(f.state, BGP_ST_IDLE);
	/* In Connect there is no NOTIFICATION to send. */
	ev(&f, BGP_EV_MANUAL_START);
	o = ev(&f, BGP_EV_MANUAL_STOP);
	assert_int_equal(o.actions, BGP_ACT_CLOSE);
	/* In Idle it cancels a pending restart. */
	ev(&f, BGP_EV_MANUAL_START);
	ev(&f, BGP_EV_TCP_FAILS);
	assert_true(f.idle_hold.on);
	ev(&f, BGP_EV_MANUAL_STOP);
	assert_false(f.idle_hold.on);
}

static void test_manual_stop_with_n_bit_is_hard_reset(void **state)
{
	/* RFC 8538 §5: Administrative Shutdown goes out as Hard Reset when N was negotiated. */
	struct bgp_fsm f;
	init(&f, false);
	ev(&f, BGP_EV_MANUAL_START);
	ev(&f, BGP_EV_TCP_CONNECTED);
	open_with_hold(&f, 90, true);
	ev(&f, BGP_EV_KEEPALIVE);
	struct bgp_fsm_out o = ev(&f, BGP_EV_MANUAL_STOP);
	assert_true(o.hard_reset);
	assert_int_equal(o.code, BGP_ERR_CEASE);
	assert_int_equal(o.subcode, BGP_CEASE_ADMIN_SHUTDOWN);
	/* A hold timer expiry stays a plain NOTIFICATION (graceful). */
	init(&f, false);
	ev(&f, BGP_EV_MANUAL_START);
	ev(&f, BGP_EV_TCP_CONNECTED);
	open_with_hold(&f, 3, true);
	ev(&f, BGP_EV_KEEPALIVE);
	advance(3);
	struct bgp_fsm_out last;
	tick_all(&f, &last);
	assert_int_equal(last.code, BGP_ERR_HOLD_TIMER);
	assert_false(last.hard_reset);
}

static void test_passive(void **state)
{
	struct bgp_fsm f;
	init(&f, true);
	struct bgp_fsm_out o = ev(&f, BGP_EV_MANUAL_START);
	assert_int_equal(f.state, BGP_ST_ACTIVE);
	assert_int_equal(o.actions, 0);
	assert_int_equal(bgp_fsm_incoming(&f), BGP_IN_ACCEPT);
	advance(120);
	assert_int_equal(tick_all(&f, NULL), 0);   /* never connects */
	assert_int_equal(f.state, BGP_ST_ACTIVE);
	o = ev(&f, BGP_EV_TCP_CONNECTED);
	assert_int_equal(f.state, BGP_ST_OPENSENT);
	assert_int_equal(o.actions, BGP_ACT_SEND_OPEN);
	/* TCP failure in OpenSent goes back to Active (§8.2.2). */
	o = ev(&f, BGP_EV_TCP_FAILS);
	assert_int_equal(f.state, BGP_ST_ACTIVE);
	assert_int_equal(o.actions, BGP_ACT_CLOSE);
	assert_true(f.connect_retry.on);
}

/* The peer closes the connection before its OPEN (a router still clearing our last session):
 * not the 120 s ConnectRetry wait of Active, but the idle-hold backoff. */
static void test_opensent_failure_backs_off(void **state)
{
	struct bgp_fsm f;
	init(&f, false);
	ev(&f, BGP_EV_MANUAL_START);
	ev(&f, BGP_EV_TCP_CONNECTED);
	assert_int_equal(f.state, BGP_ST_OPENSENT);
	struct bgp_fsm_out o = ev(&f, BGP_EV_TCP_FAILS);
	assert_int_equal(o.actions, BGP_ACT_CLOSE);
	assert_int_equal(f.state, BGP_ST_IDLE);
	int64_t wait = in_s(&f.idle_hold);
	assert_true(wait >= 1 && wait <= 2);
	advance(wait);
	assert_int_equal(tick_all(&f, NULL), BGP_ACT_CONNECT);
	assert_int_equal(f.state, BGP_ST_CONNECT);
	/* It keeps failing: the backoff grows instead of hammering the router. */
	ev(&f, BGP_EV_TCP_CONNECTED);
	ev(&f, BGP_EV_TCP_FAILS);
	assert_true(in_s(&f.idle_hold) >= 3);
}

static void test_connect_retry(void **state)
{
	struct bgp_fsm f;
	init(&f, false);
	ev(&f, BGP_EV_MANUAL_START);
	advance(120);
	struct bgp_fsm_out o;
	assert_int_equal(tick_all(&f, &o), BGP_ACT_CLOSE | BGP_ACT_CONNECT);
	assert_int_equal(f.state, BGP_ST_CONNECT);
	assert_int_equal(in_s(&f.connect_retry), 120);
}

static void test_automatic_stop(void **state)
{
	/* RFC 4271 §8.2.2 Event 8 (BFD Down): Cease with the given subcode, counter up, Idle with
	 * the backoff running, so the session restarts on its own. */
	struct bgp_fsm f;
	init(&f, false);
	establish(&f, 90);
	struct bgp_fsm_input in = { .event = BGP_EV_AUTOMATIC_STOP, .subcode = 10 };
	struct bgp_fsm_out o = bgp_fsm_handle(&f, &in, now);
	assert_int_equal(f.state, BGP_ST_IDLE);
	assert_int_equal(o.actions, BGP_ACT_SEND_NOTIFICATION | BGP_ACT_CLOSE | BGP_ACT_DOWN);
	assert_int_equal(o.code, BGP_ERR_CEASE);
	assert_int_equal(o.subcode, 10);
	assert_false(f.stopped);
	assert_int_equal(f.connect_retry_counter, 1);
	assert_int_equal(in_s(&f.idle_hold), 2);
	/* Ignored in Idle (§8.2.2): the restart stays scheduled. */
	o = bgp_fsm_handle(&f, &in, now);
	assert_int_equal(o.actions, 0);
	assert_true(f.idle_hold.on);
	advance(2);
	assert_int_equal(tick_all(&f, NULL), BGP_ACT_CONNECT);
	assert_int_equal(f.state, BGP_ST_CONNECT);
	/* In Connect: no NOTIFICATION (no OPEN went out), to Idle with the backoff. */
	o = bgp_fsm_handle(&f, &in, now);
	assert_int_equal(o.actions, BGP_ACT_CLOSE);
	assert_int_equal(f.state, BGP_ST_IDLE);
	assert_true(f.idle_hold.on);
}

static void test_connect_now(void **state)
{
	struct bgp_fsm f;
	init(&f, false);
	/* Idle and stopped (never started, or ManualStop): stays so. */
	assert_int_equal(ev(&f, BGP_EV_CONNECT_NOW).actions, 0);
	assert_int_equal(f.state, BGP_ST_IDLE);
	/* Idle in a long backoff (third failure: 8 s): at least idle_hold_time (2 s) into the
	 * wait, it starts now. */
	ev(&f, BGP_EV_MANUAL_START);
	for (int i = 0; i < 3; i++) {
		ev(&f, BGP_EV_TCP_FAILS);
		advance(in_s(&f.idle_hold));
		tick_all(&f, NULL);
	}
	ev(&f, BGP_EV_TCP_FAILS);
	assert_int_equal(in_s(&f.idle_hold), 16);
	advance(3);
	struct bgp_fsm_out o = ev(&f, BGP_EV_CONNECT_NOW);
	assert_int_equal(o.actions, BGP_ACT_CONNECT);
	assert_int_equal(f.state, BGP_ST_CONNECT);
	assert_false(f.idle_hold.on);
	/* Sooner than that the wait is only cut to 2 s after it began: a peer that just closed
	 * the session gets the time to clear it. */
	ev(&f, BGP_EV_TCP_FAILS);
	assert_int_equal(in_s(&f.idle_hold), 32);
	advance(1);
	assert_int_equal(ev(&f, BGP_EV_CONNECT_NOW).actions, 0);
	assert_int_equal(f.state, BGP_ST_IDLE);
	assert_int_equal(in_s(&f.idle_hold), 1);
	advance(1);
	assert_int_equal(tick_all(&f, NULL), BGP_ACT_CONNECT);
	assert_int_equal(f.state, BGP_ST_CONNECT);
	/* Connect: after 2 s the attempt is dropped and made again, ConnectRetry restarted. */
	advance(60);
	o = ev(&f, BGP_EV_CONNECT_NOW);
	assert_int_equal(o.actions, BGP_ACT_CLOSE | BGP_ACT_CONNECT);
	assert_int_equal(f.state, BGP_ST_CONNECT);
	assert_int_equal(in_s(&f.connect_retry), 120);
	/* ... and an attempt younger than 2 s is given until then. */
	advance(1);
	assert_int_equal(ev(&f, BGP_EV_CONNECT_NOW).actions, 0);
	assert_int_equal(in_s(&f.connect_retry), 1);
	/* Idle after a failed OpenSent, in the (grown) backoff: cut to 2 s after the failure, or
	 * now when that is past. */
	ev(&f, BGP_EV_TCP_CONNECTED);
	ev(&f, BGP_EV_TCP_FAILS);
	assert_int_equal(f.state, BGP_ST_IDLE);
	assert_true(in_s(&f.idle_hold) > 2);
	assert_int_equal(ev(&f, BGP_EV_CONNECT_NOW).actions, 0);
	assert_int_equal(in_s(&f.idle_hold), 2);
	advance(2);
	assert_int_equal(tick_all(&f, NULL), BGP_ACT_CONNECT);
	assert_int_equal(f.state, BGP_ST_CONNECT);
	ev(&f, BGP_EV_TCP_CONNECTED);
	ev(&f, BGP_EV_TCP_FAILS);
	advance(5);
	o = ev(&f, BGP_EV_CONNECT_NOW);
	assert_int_equal(o.actions, BGP_ACT_CONNECT);
	assert_int_equal(f.state, BGP_ST_CONNECT);
	assert_int_equal(in_s(&f.connect_retry), 120);
	/* From OpenSent on: nothing to do. */
	ev(&f, BGP_EV_TCP_CONNECTED);
	assert_int_equal(ev(&f, BGP_EV_CONNECT_NOW).actions, 0);
	assert_int_equal(f.state, BGP_ST_OPENSENT);
	open_with_hold(&f, 90, false);
	ev(&f, BGP_EV_KEEPALIVE);
	assert_int_equal(ev(&f, BGP_EV_CONNECT_NOW).actions, 0);
	assert_int_equal(f.state, BGP_ST_ESTABLISHED);
	/* Idle after ManualStop: stays stopped. */
	ev(&f, BGP_EV_MANUAL_STOP);
	advance(10);
	assert_int_equal(ev(&f, BGP_EV_CONNECT_NOW).actions, 0);
	assert_int_equal(f.state, BGP_ST_IDLE);
	/* Passive in Active: only the peer connects. */
	init(&f, true);
	ev(&f, BGP_EV_MANUAL_START);
	advance(10);
	assert_int_equal(ev(&f, BGP_EV_CONNECT_NOW).actions, 0);
	assert_int_equal(f.state, BGP_ST_ACTIVE);
	assert_int_equal(in_s(&f.connect_retry), 110);
}

static void test_unexpected_messages(void **state)
{
	/* RFC 6608 §4: the subcode names the state. */
	struct bgp_fsm f;
	init(&f, false);
	ev(&f, BGP_EV_MANUAL_START);
	ev(&f, BGP_EV_TCP_CONNECTED);
	struct bgp_fsm_out o = ev(&f, BGP_EV_UPDATE);
	assert_int_equal(f.state, BGP_ST_IDLE);
	assert_int_equal(o.code, BGP_ERR_FSM);
	assert_int_equal(o.subcode, BGP_FSM_UNEXPECTED_OPENSENT);

	init(&f, false);
	ev(&f, BGP_EV_MANUAL_START);
	ev(&f, BGP_EV_TCP_CONNECTED);
	open_with_hold(&f, 90, false);
	o = ev(&f, BGP_EV_UPDATE);
	assert_int_equal(o.code, BGP_ERR_FSM);
	assert_int_equal(o.subcode, BGP_FSM_UNEXPECTED_OPENCONFIRM);

	init(&f, false);
	establish(&f, 90);
	o = open_with_hold(&f, 90, false);
	assert_int_equal(o.code, BGP_ERR_FSM);
	assert_int_equal(o.subcode, BGP_FSM_UNEXPECTED_ESTABLISHED);
	assert_true(o.actions & BGP_ACT_DOWN);
	assert_int_equal(f.last_sent_code, BGP_ERR_FSM);
}

static void test_errors_and_notifications(void **state)
{
	struct bgp_fsm f;
	init(&f, false);
	establish(&f, 90);
	/* An UPDATE error that resets the session sends exactly what the decoder said. */
	static struct bgp_error err = { .code = 3, .subcode = 1, .disposition = BGP_DISP_SESSION_RESET,
					.data_len = 2, .data = { 0xab, 0xcd } };
	struct bgp_fsm_input in = { .event = BGP_EV_UPDATE_ERR, .error = &err };
	struct bgp_fsm_out o = bgp_fsm_handle(&f, &in, now);
	assert_int_equal(f.state, BGP_ST_IDLE);
	assert_int_equal(o.code, 3);
	assert_int_equal(o.subcode, 1);
	assert_int_equal(o.data_len, 2);
	assert_memory_equal(o.data, err.data, 2);

	/* A received NOTIFICATION is never answered (§6.4). */
	init(&f, false);
	establish(&f, 90);
	in = (struct bgp_fsm_input){ .event = BGP_EV_NOTIF, .code = 6, .subcode = 4 };
	o = bgp_fsm_handle(&f, &in, now);
	assert_int_equal(f.state, BGP_ST_IDLE);
	assert_int_equal(o.actions, BGP_ACT_CLOSE | BGP_ACT_DOWN);
	assert_int_equal(f.last_recv_code, 6);
	assert_int_equal(f.last_recv_subcode, 4);
	assert_int_equal(f.connect_retry_counter, 1);
	/* Version error (Event 24) does not count as a failure. */
	init(&f, false);
	ev(&f, BGP_EV_MANUAL_START);
	ev(&f, BGP_EV_TCP_CONNECTED);
	in = (struct bgp_fsm_input){ .event = BGP_EV_NOTIF, .code = 2, .subcode = 1 };
	bgp_fsm_handle(&f, &in, now);
	assert_int_equal(f.state, BGP_ST_IDLE);
	assert_int_equal(f.connect_retry_counter, 0);
	/* Events in Connect that cannot happen there send it to Idle. */
	init(&f, false);
	ev(&f, BGP_EV_MANUAL_START);
	o = ev(&f, BGP_EV_KEEPALIVE);
	assert_int_equal(f.state, BGP_ST_IDLE);
	assert_int_equal(o.actions, BGP_ACT_CLOSE);
	/* Events in Idle change nothing. */
	init(&f, false);
	o = ev(&f, BGP_EV_TCP_CONNECTED);
	assert_int_equal(o.actions, 0);
	assert_int_equal(f.state, BGP_ST_IDLE);
	assert_int_equal(bgp_fsm_incoming(&f), BGP_IN_REFUSE);
}

static void test_collision(void **state)
{
	struct bgp_fsm f;
	init(&f, false);
	ev(&f, BGP_EV_MANUAL_START);
	assert_int_equal(bgp_fsm_incoming(&f), BGP_IN_ACCEPT);
	ev(&f, BGP_EV_TCP_CONNECTED);
	assert_int_equal(bgp_fsm_incoming(&f), BGP_IN_COLLISION);
	/* §6.8: our identifier lower → our connection closes, the pending one stays. */
	assert_true(bgp_fsm_collision_keep_pending(&f, true, 1, 2, 65001, 65002));
	assert_false(bgp_fsm_collision_keep_pending(&f, true, 2, 1, 65001, 65002));
	/* RFC 6286 §2.3: equal identifiers, the larger AS keeps its connection. */
	assert_true(bgp_fsm_collision_keep_pending(&f, true, 7, 7, 65001, 65002));
	assert_false(bgp_fsm_collision_keep_pending(&f, true, 7, 7, 65003, 65002));
	/* Both connections from the peer: the new one. */
	assert_true(bgp_fsm_collision_keep_pending(&f, false, 2, 1, 65001, 65002));

	/* The pending connection wins in OpenSent. */
	struct bgp_negotiated neg = { .hold_time = 30 };
	struct bgp_fsm_input in = { .event = BGP_EV_COLLISION_SWITCH, .neg = &neg };
	struct bgp_fsm_out o = bgp_fsm_handle(&f, &in, now);
	assert_int_equal(o.actions, BGP_ACT_SEND_NOTIFICATION | BGP_ACT_CLOSE | BGP_ACT_SWITCH |
					    BGP_ACT_SEND_KEEPALIVE);
	assert_int_equal(o.code, BGP_ERR_CEASE);
	assert_int_equal(o.subcode, BGP_CEASE_COLLISION);
	assert_int_equal(f.state, BGP_ST_OPENCONFIRM);
	assert_int_equal(in_s(&f.hold), 30);
	/* ... and in OpenConfirm. */
	advance(5);
	neg.hold_time = 60;
	o = bgp_fsm_handle(&f, &in, now);
	assert_int_equal(f.state, BGP_ST_OPENCONFIRM);
	assert_true(o.actions & BGP_ACT_SWITCH);
	assert_int_equal(in_s(&f.hold), 60);
	assert_int_equal(in_s(&f.keepalive), 20);
	/* The current connection loses: Cease / Collision, Idle. */
	o = ev(&f, BGP_EV_OPEN_COLLISION_DUMP);
	assert_int_equal(f.state, BGP_ST_IDLE);
	assert_int_equal(o.subcode, BGP_CEASE_COLLISION);
	/* With an Established session the new connection always loses. */
	init(&f, false);
	establish(&f, 90);
	assert_int_equal(bgp_fsm_incoming(&f), BGP_IN_COLLISION);
	assert_false(bgp_fsm_collision_keep_pending(&f, true, 1, 2, 65001, 65002));
}

static void test_names(void **state)
{
	assert_string_equal(bgp_state_name(BGP_ST_OPENCONFIRM), "OpenConfirm");
	assert_string_equal(bgp_event_name(BGP_EV_HOLD_EXPIRES), "HoldTimer_Expires");
	assert_string_equal(bgp_state_name((enum bgp_state)42), "?");
}

static void test_send_hold_timer(void **state)
{
	/* RFC 9687: output stuck for the larger of 8 minutes and twice the hold time (here 480 s
	 * with hold 90) drops the session with error code 8. Progress restarts the timer. */
	struct bgp_fsm f;
	init(&f, false);
	establish(&f, 90);
	bgp_fsm_send_progress(&f, false, true, now);
	assert_int_equal(in_s(&f.send_hold), 480);
	advance(400);
	bgp_fsm_send_progress(&f, false, true, now);   /* still stuck: the timer keeps running */
	assert_int_equal(in_s(&f.send_hold), 80);
	bgp_fsm_send_progress(&f, true, true, now);    /* some bytes went out */
	assert_int_equal(in_s(&f.send_hold), 480);
	bgp_fsm_send_progress(&f, true, false, now);   /* all out */
	assert_false(f.send_hold.on);
	/* Stuck for good; the peer keeps its own keepalives coming. */
	bgp_fsm_send_progress(&f, false, true, now);
	struct bgp_fsm_out last = { 0 };
	unsigned actions = 0;
	for (int i = 0; i < 480 && f.state == BGP_ST_ESTABLISHED; i += 30) {
		advance(30);
		ev(&f, BGP_EV_KEEPALIVE);
		actions |= tick_all(&f, &last);
	}
	assert_int_equal(f.state, BGP_ST_IDLE);
	assert_true(actions & BGP_ACT_DOWN);
	assert_int_equal(last.code, BGP_ERR_SEND_HOLD_TIMER);
	assert_int_equal(last.subcode, 0);
	assert_false(f.send_hold.on);
	/* Twice a long hold time wins over 8 minutes; nothing runs before an OPEN went out. */
	init(&f, false);
	establish(&f, 600);
	bgp_fsm_send_progress(&f, false, true, now);
	assert_int_equal(in_s(&f.send_hold), 1200);
	init(&f, false);
	ev(&f, BGP_EV_MANUAL_START);
	bgp_fsm_send_progress(&f, false, true, now);
	assert_false(f.send_hold.on);
}

/* Deterministic xorshift, so a failure can be replayed. */
static uint32_t rnd_state = 2463534242u;
static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/* What must hold after every step, whatever the events were. */
static void check_invariants(const struct bgp_fsm *f, enum bgp_state before,
			     const struct bgp_fsm_out *o)
{
	switch (f->state) {
	case BGP_ST_IDLE:
		assert_false(f->hold.on || f->keepalive.on || f->connect_retry.on ||
			     f->send_hold.on);
		/* Liveness: unless stopped by hand, the session restarts by itself. */
		assert_int_equal(f->idle_hold.on, !f->stopped);
		break;
	case BGP_ST_CONNECT:
	case BGP_ST_ACTIVE:
		assert_true(f->connect_retry.on);
		assert_false(f->hold.on || f->keepalive.on || f->idle_hold.on);
		break;
	case BGP_ST_OPENSENT:
		assert_true(f->hold.on);
		break;
	case BGP_ST_OPENCONFIRM:
	case BGP_ST_ESTABLISHED:
		assert_int_equal(f->hold.on, f->hold_time != 0);
		assert_int_equal(f->keepalive.on, f->keepalive_time != 0);
		assert_false(f->connect_retry.on || f->idle_hold.on);
		break;
	}
	assert_true(f->idle_hold_cur >= f->cfg.idle_hold_time &&
		    f->idle_hold_cur <= f->cfg.idle_hold_max);
	bool entered = before != BGP_ST_ESTABLISHED && f->state == BGP_ST_ESTABLISHED;
	bool left = before == BGP_ST_ESTABLISHED && f->state != BGP_ST_ESTABLISHED;
	assert_int_equal((o->actions & BGP_ACT_ESTABLISHED) != 0, entered);
	assert_int_equal((o->actions & BGP_ACT_DOWN) != 0, left);
	if (before != BGP_ST_IDLE && f->state == BGP_ST_IDLE)
		assert_true(o->actions & BGP_ACT_CLOSE);
	/* A NOTIFICATION goes out only on a connection that sent an OPEN. */
	if (o->actions & BGP_ACT_SEND_NOTIFICATION)
		assert_true(before >= BGP_ST_OPENSENT);
}

static void test_random_event_sequences(void **state)
{
	static struct bgp_error err = { .code = 3, .subcode = 1,
					.disposition = BGP_DISP_SESSION_RESET };
	const uint16_t holds[] = { 0, 3, 9, 90 };
	for (int run = 0; run < 20; run++) {
		struct bgp_fsm f;
		init(&f, run % 3 == 0);
		for (int step = 0; step < 10000; step++) {
			enum bgp_state before = f.state;
			struct bgp_fsm_out o;
			if (rnd() % 4 == 0) {
				advance(rnd() % 10);
				bool fired;
				o = bgp_fsm_tick(&f, now, &fired);
			} else {
				struct bgp_negotiated neg = { .hold_time = holds[rnd() % 4],
							      .gr_n = rnd() % 2 };
				struct bgp_fsm_input in = {
					.event = (enum bgp_event)(rnd() % (BGP_EV_CONNECT_NOW + 1)),
					.neg = &neg, .error = &err, .code = 6, .subcode = 2,
				};
				o = bgp_fsm_handle(&f, &in, now);
				if (rnd() % 8 == 0)
					bgp_fsm_send_progress(&f, rnd() % 2, rnd() % 2, now);
			}
			check_invariants(&f, before, &o);
		}
	}
}

static void test_jitter(void **state)
{
	/* RFC 4271 §10: with a seed, ConnectRetry, keepalive and idle hold fall in 75-100 %. */
	struct bgp_fsm_config cfg = { .peer = "192.0.2.1", .jitter_seed = 12345 };
	now = mono_from_s(1000);
	struct bgp_fsm f;
	bgp_fsm_init(&f, &cfg);
	bool differ = false;
	int64_t first = -1;
	for (int i = 0; i < 50; i++) {
		ev(&f, BGP_EV_MANUAL_START);
		int64_t ms = mono_to_ms(mono_sub(f.connect_retry.at, now));
		assert_true(ms >= 90000 && ms <= 120000);
		if (first < 0)
			first = ms;
		differ |= ms != first;
		ev(&f, BGP_EV_TCP_CONNECTED);
		open_with_hold(&f, 90, false);
		ms = mono_to_ms(mono_sub(f.keepalive.at, now));
		assert_true(ms >= 22500 && ms <= 30000);
		ev(&f, BGP_EV_TCP_FAILS);
		ms = mono_to_ms(mono_sub(f.idle_hold.at, now));
		assert_true(ms >= 1500 && ms <= 120000);
		ev(&f, BGP_EV_MANUAL_STOP);
	}
	assert_true(differ);
}

int main(void)
{
	log_setup(LOGL_WARN, LOG_FORMAT_TEXT, stderr);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_happy_path_and_timers),
		cmocka_unit_test(test_silent_peer_dropped_at_hold_expiry),
		cmocka_unit_test(test_hold_time_zero_means_no_timers),
		cmocka_unit_test(test_hold_time_negotiation),
		cmocka_unit_test(test_backoff_doubles_and_caps),
		cmocka_unit_test(test_backoff_resets_after_stable_session),
		cmocka_unit_test(test_manual_stop),
		cmocka_unit_test(test_manual_stop_with_n_bit_is_hard_reset),
		cmocka_unit_test(test_passive),
		cmocka_unit_test(test_opensent_failure_backs_off),
		cmocka_unit_test(test_connect_retry),
		cmocka_unit_test(test_automatic_stop),
		cmocka_unit_test(test_connect_now),
		cmocka_unit_test(test_unexpected_messages),
		cmocka_unit_test(test_errors_and_notifications),
		cmocka_unit_test(test_collision),
		cmocka_unit_test(test_send_hold_timer),
		cmocka_unit_test(test_random_event_sequences),
		cmocka_unit_test(test_jitter),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
