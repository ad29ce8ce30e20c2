/*
 * Unit tests for the SWIM + Lifeguard core (swim/core.c) on a simulated network (sim.h):
 * convergence and startup readiness, detection time of a killed member (3 and 8 members), no
 * false positive under 20% packet loss, indirect probes around a cut link, refutation, graceful
 * leave, restart with a higher incarnation, a member with the wrong key, replayed packets, and
 * Lifeguard's local health rising on an isolated member.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim.h"
#include "swim/wire.h"

static void all_alive(struct sim *s)
{
	for (int i = 0; i < s->n; i++)
		for (int j = 0; j < s->n; j++)
			if (i != j && s->node[i].running && s->node[j].running)
				assert_int_equal(sim_view(s, i, j), SWIM_ALIVE);
}

static void test_converge_and_ready(void **state)
{
	(void)state;
	struct sim s;
	sim_init(&s, 5, 1);
	sim_start_all(&s);
	for (int i = 0; i < 5; i++)
		assert_false(swim_ready(s.node[i].core));
	/* Nobody heard yet: every member is dead (not live) in every view. */
	assert_int_equal(sim_view(&s, 0, 1), SWIM_DEAD);
	sim_run(&s, 1000);
	all_alive(&s);
	for (int i = 0; i < 5; i++) {
		assert_true(swim_ready(s.node[i].core));
		assert_int_equal(swim_local_health(s.node[i].core), 0);
	}
	assert_int_equal(sim_count(&s, -1, SWIM_SUSPECT, 0), 0);
	sim_free(&s);
}

/* A member that never answers (runs no speaker) is never alive; readiness still comes after
 * one probe round. */
static void test_silent_member_not_alive(void **state)
{
	(void)state;
	struct sim s;
	sim_init(&s, 4, 2);
	for (int i = 0; i < 3; i++)
		sim_start(&s, i, 1000 + (uint64_t)i);
	sim_run(&s, 1500);
	for (int i = 0; i < 3; i++) {
		assert_true(swim_ready(s.node[i].core));
		assert_int_equal(sim_view(&s, i, 3), SWIM_DEAD);
	}
	assert_int_equal(sim_count(&s, 3, SWIM_ALIVE, 0), 0);
	sim_free(&s);
}

/* Kill a converged member; return the worst time (ms) until every other member saw it dead. */
static int64_t kill_and_measure(int n, uint64_t seed, int victim)
{
	struct sim s;
	sim_init(&s, n, seed);
	sim_start_all(&s);
	sim_run(&s, 2000);
	all_alive(&s);
	int64_t t0 = s.now;
	s.node[victim].running = false;
	int64_t worst = -1;
	for (int step = 0; step < 5000; step++) {
		sim_run(&s, 1);
		if (sim_all_see(&s, victim, SWIM_DEAD)) {
			worst = s.now - t0;
			break;
		}
	}
	/* Nobody else was ever suspected. */
	for (int i = 0; i < n; i++)
		if (i != victim)
			assert_int_equal(sim_count(&s, i, SWIM_SUSPECT, 0), 0);
	sim_free(&s);
	return worst;
}

static void test_detect_dead_three(void **state)
{
	(void)state;
	int64_t worst = 0;
	for (uint64_t seed = 1; seed <= 10; seed++) {
		int64_t t = kill_and_measure(3, seed, (int)(seed % 3));
		assert_true(t > 0);
		if (t > worst)
			worst = t;
	}
	print_message("3 members: worst time to dead everywhere %lld ms\n", (long long)worst);
	/* Two probe periods to reach the victim, one to fail, 300 ms suspicion: well under 1 s. */
	assert_true(worst <= 750);
}

static void test_detect_dead_eight(void **state)
{
	(void)state;
	int64_t worst = 0;
	for (uint64_t seed = 1; seed <= 5; seed++) {
		int64_t t = kill_and_measure(8, seed, 3);
		assert_true(t > 0);
		if (t > worst)
			worst = t;
	}
	print_message("8 members: worst time to dead everywhere %lld ms\n", (long long)worst);
	assert_true(worst <= 2500);
}

/* Lifeguard's dynamic suspicion: with 6 members, 3 confirmations are expected; the timeout
 * starts at 4 x 300 ms and shrinks towards 300 ms as other members confirm. The first member to
 * suspect the killed one declares it dead well before the 1200 ms it would wait alone. */
static void test_suspicion_shrinks_with_confirmations(void **state)
{
	(void)state;
	struct sim s;
	sim_init(&s, 6, 12);
	sim_start_all(&s);
	sim_run(&s, 2000);
	all_alive(&s);
	int64_t t0 = s.now;
	s.node[5].running = false;
	sim_run(&s, 3000);
	const struct sim_event *first = NULL;
	for (size_t i = 0; i < s.nev && !first; i++)
		if (s.ev[i].at >= t0 && s.ev[i].to == SWIM_SUSPECT && strcmp(s.ev[i].name, "n5") == 0)
			first = &s.ev[i];
	assert_non_null(first);
	int64_t dead_at = -1;
	for (size_t i = 0; i < s.nev; i++)
		if (s.ev[i].observer == first->observer && s.ev[i].to == SWIM_DEAD &&
		    strcmp(s.ev[i].name, "n5") == 0)
			dead_at = s.ev[i].at;
	assert_true(dead_at > 0);
	int64_t waited = dead_at - first->at;
	print_message("first suspecter n%d: suspect -> dead in %lld ms (alone: 1200 ms)\n",
		      first->observer, (long long)waited);
	assert_true(waited >= 300);
	assert_true(waited < 1200);
	sim_free(&s);
}

/* 20% loss on every packet: suspicions may happen, but indirect probes and refutation keep
 * every member from being declared dead. */
static void test_no_false_positive_under_loss(void **state)
{
	(void)state;
	struct sim s;
	sim_init(&s, 6, 7);
	sim_start_all(&s);
	sim_run(&s, 2000);
	all_alive(&s);
	s.loss = 0.20;
	sim_run(&s, 60000);
	size_t dead = sim_count(&s, -1, SWIM_DEAD, 2000), sus = sim_count(&s, -1, SWIM_SUSPECT, 2000);
	print_message("20%% loss, 60 s, 6 members: %zu suspicions, %zu deaths\n", sus, dead);
	assert_int_equal(dead, 0);
	s.loss = 0;
	sim_run(&s, 3000);
	all_alive(&s);
	sim_free(&s);
}

/* n0 cannot reach n1 directly (both ways), everyone else can: indirect probes keep n1 alive in
 * n0's view, and nobody is ever suspected. */
static void test_indirect_probe_cut_link(void **state)
{
	(void)state;
	struct sim s;
	sim_init(&s, 4, 3);
	sim_start_all(&s);
	sim_run(&s, 1000);
	s.cut[0][1] = s.cut[1][0] = true;
	sim_run(&s, 10000);
	assert_int_equal(sim_count(&s, -1, SWIM_SUSPECT, 0), 0);
	all_alive(&s);
	sim_free(&s);
}

/* n2 isolated until someone suspects it, then healed: it refutes with a higher incarnation and
 * is never declared dead. */
static void test_refutation(void **state)
{
	(void)state;
	struct sim s;
	sim_init(&s, 5, 4);
	sim_start_all(&s);
	sim_run(&s, 1000);
	uint64_t inc0 = swim_incarnation(s.node[2].core);
	for (int i = 0; i < 5; i++)
		s.cut[i][2] = s.cut[2][i] = true;
	int64_t t0 = s.now;
	while (sim_first(&s, 2, SWIM_SUSPECT, t0) < 0 && s.now - t0 < 3000)
		sim_run(&s, 1);
	assert_true(sim_first(&s, 2, SWIM_SUSPECT, t0) >= 0);
	for (int i = 0; i < 5; i++)
		s.cut[i][2] = s.cut[2][i] = false;
	sim_run(&s, 2000);
	assert_int_equal(sim_count(&s, 2, SWIM_DEAD, 0), 0);
	assert_true(swim_incarnation(s.node[2].core) > inc0);
	all_alive(&s);
	struct swim_stats st;
	swim_get_stats(s.node[2].core, &st);
	assert_true(st.refutations >= 1);
	sim_free(&s);
}

/* A graceful leave is seen everywhere at once (one hop), not after a suspicion timeout. */
static void test_leave(void **state)
{
	(void)state;
	struct sim s;
	sim_init(&s, 4, 5);
	sim_start_all(&s);
	sim_run(&s, 1000);
	int64_t t0 = s.now;
	swim_leave(s.node[1].core, mono_from_ms(s.now));
	sim_run(&s, 2);
	s.node[1].running = false;
	assert_true(sim_all_see(&s, 1, SWIM_LEFT));
	assert_true(sim_first(&s, 1, SWIM_LEFT, t0) - t0 <= 2);
	sim_run(&s, 3000);
	assert_true(sim_all_see(&s, 1, SWIM_LEFT));
	assert_int_equal(sim_count(&s, 1, SWIM_SUSPECT, 0), 0);
	sim_free(&s);
}

/* A killed member restarted (new nonce, higher incarnation) is alive again everywhere. */
static void test_restart(void **state)
{
	(void)state;
	struct sim s;
	sim_init(&s, 3, 6);
	sim_start_all(&s);
	sim_run(&s, 1000);
	s.node[2].running = false;
	sim_run(&s, 2000);
	assert_true(sim_all_see(&s, 2, SWIM_DEAD));
	sim_start(&s, 2, 5000);
	sim_run(&s, 1000);
	all_alive(&s);
	sim_free(&s);
}

/* A member with the wrong key is never alive for the others, and they count its packets as
 * authentication failures; it sees nobody alive either. */
static void test_wrong_key(void **state)
{
	(void)state;
	struct sim s;
	sim_init(&s, 4, 8);
	sim_key(s.node[3].key, 0x13);
	sim_start_all(&s);
	sim_run(&s, 5000);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(sim_view(&s, i, 3), SWIM_DEAD);
		assert_int_equal(sim_view(&s, 3, i), SWIM_DEAD);
		struct swim_stats st;
		swim_get_stats(s.node[i].core, &st);
		assert_true(st.auth_failures > 0);
	}
	assert_int_equal(sim_count(&s, 3, SWIM_ALIVE, 0), 0);
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			if (i != j)
				assert_int_equal(sim_view(&s, i, j), SWIM_ALIVE);
	sim_free(&s);
}

/* Every packet delivered once more: all dropped as replays. After a member died, replaying its
 * old packets does not bring it back; nor does replaying its LEAVE after a restart. */
static void test_replay(void **state)
{
	(void)state;
	struct sim s;
	sim_init(&s, 3, 9);
	s.record = true;
	sim_start_all(&s);
	sim_run(&s, 1000);
	struct swim_stats before;
	swim_get_stats(s.node[0].core, &before);
	size_t replayed = 0;
	for (size_t i = 0; i < s.nrec; i++) {
		if (s.rec[i].to != 0)
			continue;
		sim_deliver(&s, &s.rec[i]);
		replayed++;
	}
	struct swim_stats after;
	swim_get_stats(s.node[0].core, &after);
	assert_true(replayed > 10);
	assert_int_equal(after.replays - before.replays, replayed);
	assert_int_equal(after.received, before.received);

	/* n2 dies; its recorded packets replayed to n0 do not revive it. */
	size_t upto = s.nrec;
	s.node[2].running = false;
	sim_run(&s, 2000);
	assert_int_equal(sim_view(&s, 0, 2), SWIM_DEAD);
	for (size_t i = 0; i < upto; i++)
		if (s.rec[i].to == 0 && s.rec[i].from == 2)
			sim_deliver(&s, &s.rec[i]);
	sim_run(&s, 1);
	assert_int_equal(sim_view(&s, 0, 2), SWIM_DEAD);

	/* n1 leaves, restarts; its old LEAVE replayed must not mark the new life left. */
	size_t leave_from = s.nrec;
	swim_leave(s.node[1].core, mono_from_ms(s.now));
	sim_run(&s, 2);
	assert_int_equal(sim_view(&s, 0, 1), SWIM_LEFT);
	sim_start(&s, 1, 9000);
	sim_run(&s, 1000);
	assert_int_equal(sim_view(&s, 0, 1), SWIM_ALIVE);
	for (size_t i = leave_from; i < s.nrec; i++)
		if (s.rec[i].to == 0 && s.rec[i].from == 1)
			sim_deliver(&s, &s.rec[i]);
	assert_int_equal(sim_view(&s, 0, 1), SWIM_ALIVE);
	sim_free(&s);
}

/* Lifeguard: a member cut off from everyone sees its probes fail without NACKs and raises its
 * local health multiplier (probing more slowly); once healed it comes back to 0. */
static void test_local_health(void **state)
{
	(void)state;
	struct sim s;
	sim_init(&s, 5, 10);
	sim_start_all(&s);
	sim_run(&s, 1000);
	for (int i = 1; i < 5; i++)
		s.cut[0][i] = s.cut[i][0] = true;
	sim_run(&s, 1500);
	assert_true(swim_local_health(s.node[0].core) >= 2);
	for (int i = 1; i < 5; i++)
		s.cut[0][i] = s.cut[i][0] = false;
	sim_run(&s, 20000);
	assert_int_equal(swim_local_health(s.node[0].core), 0);
	all_alive(&s);
	sim_free(&s);
}

/* Unknown senders and garbage: counted, never a member. */
static void test_garbage(void **state)
{
	(void)state;
	struct sim s;
	sim_init(&s, 2, 11);
	sim_start_all(&s);
	uint8_t junk[100] = { 1, 2, 3 };
	struct swim_addr from = sim_addr(1);
	swim_input(s.node[0].core, &from, junk, sizeof(junk), mono_from_ms(0));
	swim_input(s.node[0].core, &from, junk, 3, mono_from_ms(0));
	struct swim_stats st;
	swim_get_stats(s.node[0].core, &st);
	assert_int_equal(st.auth_failures, 2);
	assert_int_equal(sim_view(&s, 0, 1), SWIM_DEAD);
	sim_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_converge_and_ready),
		cmocka_unit_test(test_silent_member_not_alive),
		cmocka_unit_test(test_detect_dead_three),
		cmocka_unit_test(test_detect_dead_eight),
		cmocka_unit_test(test_suspicion_shrinks_with_confirmations),
		cmocka_unit_test(test_no_false_positive_under_loss),
		cmocka_unit_test(test_indirect_probe_cut_link),
		cmocka_unit_test(test_refutation),
		cmocka_unit_test(test_leave),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_local_health),
		cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
