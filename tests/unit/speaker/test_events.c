/*
 * Events from decisions: nodeAssigned per protocol with MetalLB's text, announceFailed with
 * MetalLB's text, nothing repeated when the previous decision already had it (everything when
 * there is none), and a stable order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spk_fixture.h"

/* n1 alone: L2 pool 198.51.100.0/24 (interfaces: l2ifs), BGP pool 203.0.113.0/24 to p1. */
static struct fx *world(const char *l2if)
{
	struct fx *f = fx_new();
	fx_pool(f, "l2", "198.51.100.0/24", CFG_PROTO_NONE);
	fx_pool(f, "bgp", "203.0.113.0/24", CFG_PROTO_NONE);
	struct cfg_l2_adv *l = fx_l2_adv(f, "l2");
	strings_push(&l->pools, "l2");
	if (l2if)
		strings_push(&l->interfaces, l2if);
	strings_push(&fx_bgp_adv(f, "bgp")->pools, "bgp");
	fx_peer(f, "p1");
	fx_node(f, "n1");
	f->has_ifaces = true;
	f->ifaces[f->nifaces++] = "eth0";
	return f;
}

static void check(const struct spk_events *ev, size_t i, const char *svc, enum spk_event_type type,
		  const char *reason, const char *message)
{
	assert_true(i < ev->n);
	char name[128];
	snprintf(name, sizeof(name), "%s/%s", ev->v[i].service.namespace, ev->v[i].service.name);
	assert_string_equal(name, svc);
	assert_int_equal(ev->v[i].type, type);
	assert_string_equal(ev->v[i].reason, reason);
	assert_string_equal(ev->v[i].message, message);
}

static void test_node_assigned(void **state)
{
	(void)state;
	struct fx *f = world(NULL);
	struct spk_service *s = fx_svc(f, "ns", "zeta", SPK_ETP_CLUSTER, "198.51.100.1",
				       "203.0.113.1");
	fx_ready(f, s, "n1");
	s = fx_svc(f, "ns", "alpha", SPK_ETP_CLUSTER, "203.0.113.2", NULL);
	fx_ready(f, s, "n1");
	s = fx_svc(f, "ns", "idle", SPK_ETP_CLUSTER, "203.0.113.3", NULL);   /* no endpoint */
	struct spk_decision d;
	fx_decide(f, "n1", &d);
	struct spk_events ev;
	spk_events(NULL, &d, &ev);
	assert_int_equal(ev.n, 3);
	check(&ev, 0, "ns/alpha", SPK_EVENT_NORMAL, SPK_REASON_NODE_ASSIGNED,
	      "announcing from node \"n1\" with protocol \"bgp\"");
	check(&ev, 1, "ns/zeta", SPK_EVENT_NORMAL, SPK_REASON_NODE_ASSIGNED,
	      "announcing from node \"n1\" with protocol \"bgp\"");
	check(&ev, 2, "ns/zeta", SPK_EVENT_NORMAL, SPK_REASON_NODE_ASSIGNED,
	      "announcing from node \"n1\" with protocol \"layer2\"");
	spk_events_free(&ev);

	/* the same decision again: nothing new */
	spk_events(&d, &d, &ev);
	assert_int_equal(ev.n, 0);
	spk_events_free(&ev);

	/* idle gets an endpoint: only it is new */
	struct spk_decision d2;
	fx_ready(f, &f->svcs[2], "n1");
	fx_decide(f, "n1", &d2);
	spk_events(&d, &d2, &ev);
	assert_int_equal(ev.n, 1);
	check(&ev, 0, "ns/idle", SPK_EVENT_NORMAL, SPK_REASON_NODE_ASSIGNED,
	      "announcing from node \"n1\" with protocol \"bgp\"");
	spk_events_free(&ev);

	/* withdrawing posts nothing */
	spk_events(&d2, &d, &ev);
	assert_int_equal(ev.n, 0);
	spk_events_free(&ev);
	spk_decision_free(&d2);
	spk_decision_free(&d);
	fx_free(f);
}

static void test_announce_failed(void **state)
{
	(void)state;
	struct fx *f = world("bond0");
	struct spk_service *s = fx_svc(f, "ns", "web", SPK_ETP_CLUSTER, "198.51.100.1", NULL);
	fx_ready(f, s, "n1");
	s = fx_svc(f, "other", "shared", SPK_ETP_CLUSTER, "198.51.100.1", NULL);
	fx_ready(f, s, "n1");
	struct spk_decision d;
	fx_decide(f, "n1", &d);
	assert_int_equal(d.nowned, 0);
	assert_int_equal(d.nfailures, 1);
	struct spk_events ev;
	spk_events(NULL, &d, &ev);
	assert_int_equal(ev.n, 2);   /* no nodeAssigned: nothing is announced */
	const char *msg = "the interfaces specified by LB IP \"198.51.100.1\" doesn't exist in "
			  "assigned node \"n1\" with protocol \"layer2\"";
	check(&ev, 0, "ns/web", SPK_EVENT_WARNING, SPK_REASON_ANNOUNCE_FAILED, msg);
	check(&ev, 1, "other/shared", SPK_EVENT_WARNING, SPK_REASON_ANNOUNCE_FAILED, msg);
	spk_events_free(&ev);
	spk_events(&d, &d, &ev);
	assert_int_equal(ev.n, 0);
	spk_events_free(&ev);

	/* the interface appears: the IP is announced and nodeAssigned follows */
	f->ifaces[f->nifaces++] = "bond0";
	struct spk_decision d2;
	fx_decide(f, "n1", &d2);
	assert_int_equal(d2.nowned, 1);
	assert_string_equal(d2.owned[0].ifaces[0], "bond0");
	spk_events(&d, &d2, &ev);
	assert_int_equal(ev.n, 2);
	check(&ev, 0, "ns/web", SPK_EVENT_NORMAL, SPK_REASON_NODE_ASSIGNED,
	      "announcing from node \"n1\" with protocol \"layer2\"");
	check(&ev, 1, "other/shared", SPK_EVENT_NORMAL, SPK_REASON_NODE_ASSIGNED,
	      "announcing from node \"n1\" with protocol \"layer2\"");
	spk_events_free(&ev);
	spk_decision_free(&d2);
	spk_decision_free(&d);
	fx_free(f);
}

/* A previous decision outlives the inputs it came from (it holds copies). */
static void test_decision_outlives_inputs(void **state)
{
	(void)state;
	struct fx *f = world(NULL);
	struct spk_service *s = fx_svc(f, "ns", "web", SPK_ETP_CLUSTER, "198.51.100.1", NULL);
	fx_ready(f, s, "n1");
	struct spk_decision prev;
	fx_decide(f, "n1", &prev);
	fx_free(f);

	f = world(NULL);
	s = fx_svc(f, "ns", "web", SPK_ETP_CLUSTER, "198.51.100.1", NULL);
	fx_ready(f, s, "n1");
	s = fx_svc(f, "ns", "new", SPK_ETP_CLUSTER, "198.51.100.2", NULL);
	fx_ready(f, s, "n1");
	struct spk_decision next;
	fx_decide(f, "n1", &next);
	struct spk_events ev;
	spk_events(&prev, &next, &ev);
	assert_int_equal(ev.n, 1);
	check(&ev, 0, "ns/new", SPK_EVENT_NORMAL, SPK_REASON_NODE_ASSIGNED,
	      "announcing from node \"n1\" with protocol \"layer2\"");
	spk_events_free(&ev);
	spk_decision_free(&prev);
	spk_decision_free(&next);
	spk_decision_free(&next);   /* freeing twice is harmless: the decision is zeroed */
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_node_assigned),
		cmocka_unit_test(test_announce_failed),
		cmocka_unit_test(test_decision_outlives_inputs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
