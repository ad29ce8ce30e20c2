/* Unit tests for the leader-election state machine (controller/leader.h) on a fake clock: create,
 * renew, take-over only after a whole lease duration without change measured on our own clock
 * (whatever times the record holds), a released Lease taken at once, losing leadership on the
 * renew deadline or to another holder, and the release record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "controller/leader.h"

struct changes {
	int started, stopped;
};

static void on_change(void *arg, bool leading)
{
	struct changes *c = arg;
	if (leading)
		c->started++;
	else
		c->stopped++;
}

static monotime at(double s)
{
	return mono_from_ns((int64_t)(s * 1e9));
}

static struct k8s_lease_spec record(const char *holder, const char *renew, long transitions)
{
	struct k8s_lease_spec r;
	memset(&r, 0, sizeof(r));
	snprintf(r.holder, sizeof(r.holder), "%s", holder);
	snprintf(r.renew_time, sizeof(r.renew_time), "%s", renew);
	snprintf(r.acquire_time, sizeof(r.acquire_time), "%s", "2026-11-25T10:00:00.000000Z");
	r.duration_s = 15;
	r.transitions = transitions;
	return r;
}

static void test_timing(void **state)
{
	struct le_timing t;
	le_timing_default(&t);
	assert_int_equal(mono_to_ms(t.lease_duration), 15000);
	assert_int_equal(mono_to_ms(t.renew_deadline), 10000);
	assert_int_equal(mono_to_ms(t.retry_period), 2000);
	assert_true(le_timing_valid(&t));
	t.renew_deadline = mono_from_ms(2400);           /* must exceed 1.2 x retry */
	assert_false(le_timing_valid(&t));
	t.renew_deadline = mono_from_ms(2500);
	assert_true(le_timing_valid(&t));
	t.renew_deadline = t.lease_duration;
	assert_false(le_timing_valid(&t));
}

static void test_create_then_renew(void **state)
{
	struct le_timing t;
	le_timing_default(&t);
	struct changes ch = { 0 };
	struct le e;
	le_init(&e, "a", &t, on_change, &ch);
	struct k8s_lease_spec out;
	assert_int_equal(le_decide(&e, at(0), "T0", NULL, &out), LE_CREATE);
	assert_string_equal(out.holder, "a");
	assert_int_equal(out.duration_s, 15);
	assert_string_equal(out.acquire_time, "T0");
	assert_string_equal(out.renew_time, "T0");
	assert_int_equal(e.state, LE_CANDIDATE);
	le_write_done(&e, at(0.1), true, &out);
	assert_int_equal(e.state, LE_LEADER);
	assert_int_equal(ch.started, 1);

	struct k8s_lease_spec cur = out;
	assert_int_equal(le_decide(&e, at(2), "T2", &cur, &out), LE_UPDATE);
	assert_string_equal(out.holder, "a");
	assert_string_equal(out.acquire_time, "T0");       /* not a new acquisition */
	assert_string_equal(out.renew_time, "T2");
	assert_int_equal(out.transitions, 0);
	le_write_done(&e, at(2.1), true, &out);
	assert_int_equal(ch.started, 1);
	assert_int_equal(ch.stopped, 0);
}

static void test_take_over_after_a_lease_duration_on_our_clock(void **state)
{
	struct le_timing t;
	le_timing_default(&t);
	struct changes ch = { 0 };
	struct le e;
	le_init(&e, "b", &t, on_change, &ch);
	struct k8s_lease_spec out;
	/* A's record says it renewed in 1970: a skewed clock must not make us take over early */
	struct k8s_lease_spec a = record("a", "1970-01-01T00:00:00.000000Z", 3);
	assert_int_equal(le_decide(&e, at(100), "N", &a, &out), LE_NONE);
	assert_int_equal(le_decide(&e, at(109.9), "N", &a, &out), LE_NONE);
	/* A renews at 110 (the record changes): the clock starts again from when we saw it */
	struct k8s_lease_spec a2 = record("a", "1970-01-01T00:00:10.000000Z", 3);
	assert_int_equal(le_decide(&e, at(110), "N", &a2, &out), LE_NONE);
	assert_int_equal(le_decide(&e, at(124.9), "N", &a2, &out), LE_NONE);
	assert_int_equal(ch.started, 0);
	assert_int_equal(le_decide(&e, at(125), "T125", &a2, &out), LE_UPDATE);
	assert_string_equal(out.holder, "b");
	assert_string_equal(out.acquire_time, "T125");
	assert_string_equal(out.renew_time, "T125");
	assert_int_equal(out.transitions, 4);
	/* a 409 (someone else won the race) leaves us a candidate */
	le_write_done(&e, at(125.1), false, &out);
	assert_int_equal(e.state, LE_CANDIDATE);
	assert_int_equal(ch.started, 0);
}

static void test_released_lease_taken_at_once(void **state)
{
	struct le_timing t;
	le_timing_default(&t);
	struct le e;
	le_init(&e, "b", &t, NULL, NULL);
	struct k8s_lease_spec out;
	struct k8s_lease_spec released = record("", "T", 5);
	released.duration_s = 1;
	assert_int_equal(le_decide(&e, at(1), "T1", &released, &out), LE_UPDATE);
	assert_string_equal(out.holder, "b");
	assert_int_equal(out.transitions, 6);
	assert_int_equal(out.duration_s, 15);
	le_write_done(&e, at(1.05), true, &out);
	assert_int_equal(e.state, LE_LEADER);
}

static void test_leader_loses_on_deadline_and_to_another_holder(void **state)
{
	struct le_timing t;
	le_timing_default(&t);
	struct changes ch = { 0 };
	struct le e;
	le_init(&e, "a", &t, on_change, &ch);
	struct k8s_lease_spec out;
	le_decide(&e, at(0), "T0", NULL, &out);
	le_write_done(&e, at(0), true, &out);
	assert_int_equal(ch.started, 1);
	/* renew attempts fail (API server gone): still leader until the deadline */
	le_write_done(&e, at(2), false, &out);
	le_check(&e, at(9.9));
	assert_int_equal(e.state, LE_LEADER);
	le_check(&e, at(10));
	assert_int_equal(e.state, LE_CANDIDATE);
	assert_int_equal(ch.stopped, 1);

	/* leading again, then the Lease shows another holder: stop at once */
	struct k8s_lease_spec mine = out;
	le_decide(&e, at(20), "T20", &mine, &out);
	le_write_done(&e, at(20), true, &out);
	assert_int_equal(e.state, LE_LEADER);
	assert_int_equal(ch.started, 2);
	struct k8s_lease_spec other = record("c", "T21", out.transitions + 1);
	assert_int_equal(le_decide(&e, at(21), "T21", &other, &out), LE_NONE);
	assert_int_equal(e.state, LE_CANDIDATE);
	assert_int_equal(ch.stopped, 2);
}

static void test_release_record(void **state)
{
	struct le_timing t;
	le_timing_default(&t);
	struct changes ch = { 0 };
	struct le e;
	le_init(&e, "a", &t, on_change, &ch);
	struct k8s_lease_spec cur = record("old", "T", 7), out;
	cur.holder[0] = '\0';
	le_decide(&e, at(0), "T0", &cur, &out);
	le_write_done(&e, at(0), true, &out);
	le_resign(&e);
	assert_int_equal(e.state, LE_CANDIDATE);
	assert_int_equal(ch.stopped, 1);
	struct k8s_lease_spec rel;
	le_release_spec(&e, "TR", &rel);
	assert_string_equal(rel.holder, "");
	assert_int_equal(rel.duration_s, 1);
	assert_int_equal(rel.transitions, 8);        /* the count we wrote when we took it */
	assert_string_equal(rel.renew_time, "TR");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timing),
		cmocka_unit_test(test_create_then_renew),
		cmocka_unit_test(test_take_over_after_a_lease_duration_on_our_clock),
		cmocka_unit_test(test_released_lease_taken_at_once),
		cmocka_unit_test(test_leader_loses_on_deadline_and_to_another_holder),
		cmocka_unit_test(test_release_record),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
