/* Unit tests for the BFD session state machine (bfd/fsm.c) with a fake clock: the RFC 5880
 * §6.8.6 transitions, the Detection Time, timer negotiation, slow start, Poll/Final and jitter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "bfd/fsm.h"
#include "core/log.h"

#define LOCAL_DISCR 0x1111
#define REMOTE_DISCR 0x2222

static monotime now;

static void advance_us(int64_t us)
{
	now = mono_add(now, mono_from_us(us));
}

static void init(struct bfd_fsm *f, uint32_t tx_ms, uint32_t rx_ms, uint8_t mult, bool passive)
{
	now = mono_from_s(1000);
	struct bfd_fsm_config c = {
		.peer = "192.0.2.1", .local_discr = LOCAL_DISCR, .desired_min_tx_us = tx_ms * 1000,
		.required_min_rx_us = rx_ms * 1000, .detect_mult = mult, .passive = passive,
		.jitter_seed = 12345,
	};
	bfd_fsm_init(f, &c, now);
}

/* A packet from the remote. */
static struct bfd_packet remote(enum bfd_state st, uint32_t tx_ms, uint32_t rx_ms, uint8_t mult)
{
	struct bfd_packet p = {
		.version = 1, .state = (uint8_t)st, .detect_mult = mult, .length = 24,
		.my_discr = REMOTE_DISCR, .your_discr = st == BFD_STATE_DOWN ? 0 : LOCAL_DISCR,
		.desired_min_tx_us = tx_ms * 1000, .required_min_rx_us = rx_ms * 1000,
	};
	return p;
}

static struct bfd_fsm_out rx(struct bfd_fsm *f, struct bfd_packet p)
{
	return bfd_fsm_rx(f, &p, now);
}

/* Brings f Up through Down → Init → Up (§6.2 three-way handshake), remote at 100 ms × 3. */
static void bring_up(struct bfd_fsm *f)
{
	struct bfd_fsm_out o = rx(f, remote(BFD_STATE_DOWN, 100, 100, 3));
	assert_int_equal(f->state, BFD_STATE_INIT);
	assert_true(o.actions & BFD_ACT_STATE);
	o = rx(f, remote(BFD_STATE_UP, 100, 100, 3));
	assert_int_equal(f->state, BFD_STATE_UP);
	assert_int_equal(o.from, BFD_STATE_INIT);
}

static void test_initial_packet(void **state)
{
	(void)state;
	struct bfd_fsm f;
	init(&f, 100, 100, 3, false);
	assert_int_equal(f.state, BFD_STATE_DOWN);
	struct bfd_fsm_out o = bfd_fsm_tick(&f, now);
	assert_true(o.actions & BFD_ACT_SEND);   /* the first packet at once */
	struct bfd_packet p;
	bfd_fsm_packet(&f, false, now, &p);
	assert_int_equal(p.state, BFD_STATE_DOWN);
	assert_int_equal(p.my_discr, LOCAL_DISCR);
	assert_int_equal(p.your_discr, 0);
	assert_int_equal(p.detect_mult, 3);
	/* §6.8.3 slow start: at least 1 s advertised while not Up. */
	assert_int_equal(p.desired_min_tx_us, 1000000);
	assert_int_equal(p.required_min_rx_us, 100000);
	assert_int_equal(p.required_min_echo_rx_us, 0);
	assert_false(p.poll || p.final || p.demand || p.cpi);
}

static void test_three_way_handshake(void **state)
{
	(void)state;
	struct bfd_fsm f;
	init(&f, 100, 100, 3, false);
	bring_up(&f);
	assert_int_equal(f.up_count, 1);
	assert_int_equal(f.down_count, 0);
	assert_int_equal(f.local_diag, BFD_DIAG_NONE);
	assert_int_equal(f.remote_discr, REMOTE_DISCR);
}

static void test_down_to_up_on_init(void **state)
{
	(void)state;
	struct bfd_fsm f;
	init(&f, 100, 100, 3, false);
	struct bfd_fsm_out o = rx(&f, remote(BFD_STATE_INIT, 100, 100, 3));
	assert_int_equal(f.state, BFD_STATE_UP);
	assert_int_equal(o.from, BFD_STATE_DOWN);
	assert_true(o.actions & BFD_ACT_SEND);
}

static void test_down_ignores_up(void **state)
{
	(void)state;
	struct bfd_fsm f;
	init(&f, 100, 100, 3, false);
	struct bfd_fsm_out o = rx(&f, remote(BFD_STATE_UP, 100, 100, 3));
	assert_int_equal(f.state, BFD_STATE_DOWN);   /* §6.8.6: Down moves only on Down or Init */
	assert_false(o.actions & BFD_ACT_STATE);
}

static void test_init_stays_on_down(void **state)
{
	(void)state;
	struct bfd_fsm f;
	init(&f, 100, 100, 3, false);
	rx(&f, remote(BFD_STATE_DOWN, 100, 100, 3));
	struct bfd_fsm_out o = rx(&f, remote(BFD_STATE_DOWN, 100, 100, 3));
	assert_int_equal(f.state, BFD_STATE_INIT);
	assert_false(o.actions & BFD_ACT_STATE);
	rx(&f, remote(BFD_STATE_INIT, 100, 100, 3));
	assert_int_equal(f.state, BFD_STATE_UP);
}

static void test_up_remote_down(void **state)
{
	(void)state;
	struct bfd_fsm f;
	init(&f, 100, 100, 3, false);
	bring_up(&f);
	struct bfd_fsm_out o = rx(&f, remote(BFD_STATE_DOWN, 1000, 100, 3));
	assert_int_equal(f.state, BFD_STATE_DOWN);
	assert_int_equal(o.from, BFD_STATE_UP);
	assert_int_equal(f.local_diag, BFD_DIAG_NEIGHBOR_DOWN);
	assert_int_equal(f.down_count, 1);
	/* Back to slow start. */
	struct bfd_packet p;
	bfd_fsm_packet(&f, false, now, &p);
	assert_int_equal(p.desired_min_tx_us, 1000000);
	assert_int_equal(p.diag, BFD_DIAG_NEIGHBOR_DOWN);
	assert_false(p.poll);
}

static void test_remote_admin_down(void **state)
{
	(void)state;
	struct bfd_fsm f;
	init(&f, 100, 100, 3, false);
	bring_up(&f);
	rx(&f, remote(BFD_STATE_ADMIN_DOWN, 1000, 100, 3));
	assert_int_equal(f.state, BFD_STATE_DOWN);
	assert_int_equal(f.local_diag, BFD_DIAG_NEIGHBOR_DOWN);
	assert_int_equal(f.remote_state, BFD_STATE_ADMIN_DOWN);
	/* Down stays Down on AdminDown. */
	struct bfd_fsm_out o = rx(&f, remote(BFD_STATE_ADMIN_DOWN, 1000, 100, 3));
	assert_false(o.actions & BFD_ACT_STATE);
	/* Init → Down on AdminDown too; only leaving Up counts as a down event. */
	rx(&f, remote(BFD_STATE_DOWN, 1000, 100, 3));
	assert_int_equal(f.state, BFD_STATE_INIT);
	rx(&f, remote(BFD_STATE_ADMIN_DOWN, 1000, 100, 3));
	assert_int_equal(f.state, BFD_STATE_DOWN);
	assert_int_equal(f.up_count, 1);
	assert_int_equal(f.down_count, 1);
}

static void test_local_admin_down(void **state)
{
	(void)state;
	struct bfd_fsm f;
	init(&f, 100, 100, 3, false);
	bring_up(&f);
	struct bfd_fsm_out o = bfd_fsm_admin(&f, true, now);
	assert_true(o.actions & BFD_ACT_SEND);
	assert_int_equal(f.state, BFD_STATE_ADMIN_DOWN);
	assert_int_equal(f.local_diag, BFD_DIAG_ADMIN_DOWN);
	assert_false(f.detect_on);
	/* §6.8.6: packets are discarded in AdminDown. */
	o = rx(&f, remote(BFD_STATE_INIT, 100, 100, 3));
	assert_int_equal(f.state, BFD_STATE_ADMIN_DOWN);
	assert_false(o.actions & BFD_ACT_STATE);
	bfd_fsm_admin(&f, false, now);
	assert_int_equal(f.state, BFD_STATE_DOWN);
}

static void test_detection_time_expiry(void **state)
{
	(void)state;
	struct bfd_fsm f;
	init(&f, 100, 100, 3, false);
	bring_up(&f);
	/* §6.8.4: 3 × max(our RequiredMinRx 100 ms, remote DesiredMinTx 100 ms) = 300 ms. */
	assert_int_equal(bfd_fsm_detect_time_us(&f), 300000);
	advance_us(299000);
	struct bfd_fsm_out o = bfd_fsm_tick(&f, now);
	assert_false(o.actions & BFD_ACT_STATE);
	assert_int_equal(f.state, BFD_STATE_UP);
	advance_us(1000);
	o = bfd_fsm_tick(&f, now);
	assert_true(o.actions & BFD_ACT_STATE);
	assert_int_equal(f.state, BFD_STATE_DOWN);
	assert_int_equal(f.local_diag, BFD_DIAG_DETECT_EXPIRED);
	assert_int_equal(f.remote_discr, 0);   /* §6.8.1 */
	assert_int_equal(f.down_count, 1);
	/* Up again and down again: two of each. */
	bring_up(&f);
	assert_int_equal(f.up_count, 2);
	advance_us(400000);
	bfd_fsm_tick(&f, now);
	assert_int_equal(f.state, BFD_STATE_DOWN);
	assert_int_equal(f.down_count, 2);
}

static void test_detection_rearmed_by_packets(void **state)
{
	(void)state;
	struct bfd_fsm f;
	init(&f, 100, 100, 3, false);
	bring_up(&f);
	for (int i = 0; i < 20; i++) {
		advance_us(250000);
		rx(&f, remote(BFD_STATE_UP, 100, 100, 3));
		bfd_fsm_tick(&f, now);
		assert_int_equal(f.state, BFD_STATE_UP);
	}
}

static void test_detection_uses_remote_mult_and_tx(void **state)
{
	(void)state;
	struct bfd_fsm f;
	init(&f, 100, 50, 3, false);
	rx(&f, remote(BFD_STATE_DOWN, 200, 100, 5));
	/* 5 × max(50 ms, 200 ms). */
	assert_int_equal(bfd_fsm_detect_time_us(&f), 1000000);
	rx(&f, remote(BFD_STATE_INIT, 20, 100, 2));
	/* 2 × max(50 ms, 20 ms). */
	assert_int_equal(bfd_fsm_detect_time_us(&f), 100000);
}

static void test_no_detection_in_down(void **state)
{
	(void)state;
	struct bfd_fsm f;
	init(&f, 100, 100, 3, false);
	rx(&f, remote(BFD_STATE_ADMIN_DOWN, 1000, 100, 3));
	assert_int_equal(f.remote_discr, REMOTE_DISCR);
	advance_us(3000001);
	struct bfd_fsm_out o = bfd_fsm_tick(&f, now);
	assert_false(o.actions & BFD_ACT_STATE);
	assert_int_equal(f.state, BFD_STATE_DOWN);
	assert_int_equal(f.remote_discr, 0);   /* still forgotten after a Detection Time */
}

static void test_tx_interval_negotiation(void **state)
{
	(void)state;
	struct bfd_fsm f;
	init(&f, 100, 100, 3, false);
	/* Not Up: at least 1 s whatever the remote allows. */
	rx(&f, remote(BFD_STATE_DOWN, 100, 10, 3));
	assert_int_equal(bfd_fsm_tx_interval_us(&f), 1000000);
	rx(&f, remote(BFD_STATE_UP, 100, 10, 3));
	assert_int_equal(f.state, BFD_STATE_UP);
	/* Up: max(our Desired Min TX 100 ms, the remote's Required Min RX). */
	assert_int_equal(bfd_fsm_tx_interval_us(&f), 100000);
	rx(&f, remote(BFD_STATE_UP, 100, 250, 3));
	assert_int_equal(bfd_fsm_tx_interval_us(&f), 250000);
}

static void test_slow_start_poll_final(void **state)
{
	(void)state;
	struct bfd_fsm f;
	init(&f, 100, 100, 3, false);
	bring_up(&f);
	/* §6.8.3: leaving slow start is a change of Desired Min TX, so a Poll Sequence runs. */
	assert_true(f.poll);
	struct bfd_packet p;
	bfd_fsm_packet(&f, false, now, &p);
	assert_true(p.poll);
	assert_int_equal(p.desired_min_tx_us, 100000);
	/* A decrease applies at once. */
	assert_int_equal(f.tx_use_us, 100000);
	struct bfd_packet fin = remote(BFD_STATE_UP, 100, 100, 3);
	fin.final = true;
	rx(&f, fin);
	assert_false(f.poll);
	bfd_fsm_packet(&f, false, now, &p);
	assert_false(p.poll);
}

static void test_poll_answered_with_final(void **state)
{
	(void)state;
	struct bfd_fsm f;
	init(&f, 100, 100, 3, false);
	bring_up(&f);
	struct bfd_packet poll = remote(BFD_STATE_UP, 50, 50, 3);
	poll.poll = true;
	struct bfd_fsm_out o = rx(&f, poll);
	assert_true(o.actions & BFD_ACT_SEND_FINAL);
	struct bfd_packet p;
	bfd_fsm_packet(&f, true, now, &p);
	assert_true(p.final);
	assert_false(p.poll);   /* §6.5: never both, even while our own Poll runs */
	/* A Poll is answered in Down too. */
	init(&f, 100, 100, 3, false);
	poll = remote(BFD_STATE_DOWN, 50, 50, 3);
	poll.poll = true;
	o = rx(&f, poll);
	assert_true(o.actions & BFD_ACT_SEND_FINAL);
}

static void test_tx_increase_waits_for_final(void **state)
{
	(void)state;
	struct bfd_fsm f;
	init(&f, 100, 100, 3, false);
	bring_up(&f);
	struct bfd_packet fin = remote(BFD_STATE_UP, 100, 100, 3);
	fin.final = true;
	rx(&f, fin);
	bfd_fsm_set_params(&f, 500000, 100000, 3, now);
	assert_true(f.poll);
	assert_int_equal(f.tx_adv_us, 500000);
	assert_int_equal(f.tx_use_us, 100000);   /* §6.8.3: not before the Final */
	assert_int_equal(bfd_fsm_tx_interval_us(&f), 100000);
	rx(&f, fin);
	assert_false(f.poll);
	assert_int_equal(bfd_fsm_tx_interval_us(&f), 500000);
}

static void test_rx_decrease_waits_for_final(void **state)
{
	(void)state;
	struct bfd_fsm f;
	init(&f, 100, 300, 3, false);
	bring_up(&f);
	struct bfd_packet fin = remote(BFD_STATE_UP, 100, 100, 3);
	fin.final = true;
	rx(&f, fin);
	assert_int_equal(bfd_fsm_detect_time_us(&f), 900000);
	bfd_fsm_set_params(&f, 100000, 100000, 3, now);
	struct bfd_packet p;
	bfd_fsm_packet(&f, false, now, &p);
	assert_true(p.poll);
	assert_int_equal(p.required_min_rx_us, 100000);
	/* §6.8.3: the old value keeps the Detection Time until the Final. */
	assert_int_equal(bfd_fsm_detect_time_us(&f), 900000);
	rx(&f, fin);
	assert_int_equal(bfd_fsm_detect_time_us(&f), 300000);
}

static void test_rx_increase_at_once(void **state)
{
	(void)state;
	struct bfd_fsm f;
	init(&f, 100, 100, 3, false);
	bring_up(&f);
	advance_us(100000);
	bfd_fsm_set_params(&f, 100000, 400000, 3, now);
	assert_int_equal(bfd_fsm_detect_time_us(&f), 1200000);
	assert_true(f.poll);
	/* Counted from the last packet, 100 ms ago. */
	assert_int_equal(mono_to_us(mono_sub(f.detect_at, now)), 1100000);
}

static void test_params_while_down(void **state)
{
	(void)state;
	struct bfd_fsm f;
	init(&f, 100, 100, 3, false);
	bfd_fsm_set_params(&f, 2000000, 50000, 5, now);
	assert_false(f.poll);   /* nothing to wait for outside Up */
	struct bfd_packet p;
	bfd_fsm_packet(&f, false, now, &p);
	assert_int_equal(p.desired_min_tx_us, 2000000);
	assert_int_equal(p.required_min_rx_us, 50000);
	assert_int_equal(p.detect_mult, 5);
}

/* Intervals between periodic packets over many rounds, in per cent of the negotiated one. */
static void jitter_bounds(uint8_t mult, int lo, int hi)
{
	struct bfd_fsm f;
	init(&f, 100, 100, mult, false);
	bring_up(&f);
	int seen_lo = 100, seen_hi = 0;
	struct bfd_packet p;
	bfd_fsm_packet(&f, false, now, &p);
	for (int i = 0; i < 2000; i++) {
		monotime at;
		assert_true(bfd_fsm_next_deadline(&f, &at));
		monotime gap = mono_sub(f.next_tx, now);
		int pct = (int)(mono_to_us(gap) * 100 / 100000);
		if (pct < seen_lo)
			seen_lo = pct;
		if (pct > seen_hi)
			seen_hi = pct;
		assert_true(mono_to_us(gap) >= 75000);
		assert_true(mono_to_us(gap) <= (hi == 90 ? 90000 : 100000));
		now = f.next_tx;
		rx(&f, remote(BFD_STATE_UP, 100, 100, 3));   /* keep it Up */
		struct bfd_fsm_out o = bfd_fsm_tick(&f, now);
		assert_true(o.actions & BFD_ACT_SEND);
		bfd_fsm_packet(&f, false, now, &p);
	}
	assert_true(seen_lo <= lo + 2);
	assert_true(seen_hi >= hi - 2);
}

static void test_jitter_75_100(void **state)
{
	(void)state;
	jitter_bounds(3, 75, 100);   /* §6.8.7 */
}

static void test_jitter_75_90_with_mult_1(void **state)
{
	(void)state;
	jitter_bounds(1, 75, 90);    /* §6.8.7: Detect Mult 1 */
}

static void test_slow_start_interval_while_down(void **state)
{
	(void)state;
	struct bfd_fsm f;
	init(&f, 100, 100, 3, false);
	struct bfd_packet p;
	bfd_fsm_tick(&f, now);
	bfd_fsm_packet(&f, false, now, &p);
	int64_t gap = mono_to_us(mono_sub(f.next_tx, now));
	assert_true(gap >= 750000 && gap <= 1000000);
}

static void test_no_periodic_when_remote_min_rx_zero(void **state)
{
	(void)state;
	struct bfd_fsm f;
	init(&f, 100, 100, 3, false);
	bring_up(&f);
	rx(&f, remote(BFD_STATE_UP, 100, 0, 3));
	advance_us(200000);
	struct bfd_fsm_out o = bfd_fsm_tick(&f, now);
	assert_false(o.actions & BFD_ACT_SEND);   /* §6.8.7 */
	monotime at;
	assert_true(bfd_fsm_next_deadline(&f, &at));
	assert_true(mono_before(now, at));         /* no busy loop */
}

static void test_remote_demand_mode(void **state)
{
	(void)state;
	struct bfd_fsm f;
	init(&f, 100, 100, 3, false);
	bring_up(&f);
	struct bfd_packet d = remote(BFD_STATE_UP, 100, 100, 3);
	d.demand = true;
	d.final = true;   /* ends our Poll Sequence */
	rx(&f, d);
	advance_us(200000);
	struct bfd_fsm_out o = bfd_fsm_tick(&f, now);
	assert_false(o.actions & BFD_ACT_SEND);   /* §6.8.7: Demand mode active on the remote */
}

static void test_passive_waits_for_remote(void **state)
{
	(void)state;
	struct bfd_fsm f;
	init(&f, 100, 100, 3, true);
	for (int i = 0; i < 5; i++) {
		struct bfd_fsm_out o = bfd_fsm_tick(&f, now);
		assert_false(o.actions & BFD_ACT_SEND);   /* §6.8.7: passive, RemoteDiscr 0 */
		advance_us(1000000);
	}
	struct bfd_fsm_out o = rx(&f, remote(BFD_STATE_DOWN, 100, 100, 3));
	assert_true(o.actions & BFD_ACT_SEND);
	assert_int_equal(f.state, BFD_STATE_INIT);
}

static void test_next_deadline(void **state)
{
	(void)state;
	struct bfd_fsm f;
	init(&f, 100, 100, 3, false);
	monotime at;
	assert_true(bfd_fsm_next_deadline(&f, &at));
	assert_int_equal(mono_to_ns(at), mono_to_ns(now));
	bring_up(&f);
	struct bfd_packet p;
	bfd_fsm_packet(&f, false, now, &p);
	assert_true(bfd_fsm_next_deadline(&f, &at));
	assert_true(mono_to_us(mono_sub(at, now)) <= 100000);
}

int main(void)
{
	log_setup(LOGL_WARN, LOG_FORMAT_TEXT, stderr);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_initial_packet),
		cmocka_unit_test(test_three_way_handshake),
		cmocka_unit_test(test_down_to_up_on_init),
		cmocka_unit_test(test_down_ignores_up),
		cmocka_unit_test(test_init_stays_on_down),
		cmocka_unit_test(test_up_remote_down),
		cmocka_unit_test(test_remote_admin_down),
		cmocka_unit_test(test_local_admin_down),
		cmocka_unit_test(test_detection_time_expiry),
		cmocka_unit_test(test_detection_rearmed_by_packets),
		cmocka_unit_test(test_detection_uses_remote_mult_and_tx),
		cmocka_unit_test(test_no_detection_in_down),
		cmocka_unit_test(test_tx_interval_negotiation),
		cmocka_unit_test(test_slow_start_poll_final),
		cmocka_unit_test(test_poll_answered_with_final),
		cmocka_unit_test(test_tx_increase_waits_for_final),
		cmocka_unit_test(test_rx_decrease_waits_for_final),
		cmocka_unit_test(test_rx_increase_at_once),
		cmocka_unit_test(test_params_while_down),
		cmocka_unit_test(test_jitter_75_100),
		cmocka_unit_test(test_jitter_75_90_with_mult_1),
		cmocka_unit_test(test_slow_start_interval_while_down),
		cmocka_unit_test(test_no_periodic_when_remote_min_rx_zero),
		cmocka_unit_test(test_remote_demand_mode),
		cmocka_unit_test(test_passive_waits_for_remote),
		cmocka_unit_test(test_next_deadline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
