/*
 * The BGP decision: every combination of the selectors (advertisement pools, nodes, peers,
 * Services; peer nodeSelectors) with Cluster/Local, endpoint placement and node exclusion against
 * an independent statement of the rule; then aggregation, merging of advertisements and shared
 * IPs, communities and localPref, the legacy default advertisement, pool lookup, and independence
 * from input order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spk_fixture.h"

enum pools_mode { P_ALL, P_NAME, P_NAME_OTHER, P_SEL, P_SEL_OTHER, P_COUNT };
enum sel_mode { S_NONE, S_MATCH, S_NOMATCH, S_COUNT };
enum ep_mode { EP_NONE, EP_HERE, EP_ELSEWHERE, EP_COUNT };
enum node_mode { N_OK, N_UNAVAILABLE, N_EXCLUDED, N_EXCLUDED_IGNORED, N_COUNT };

struct combo {
	enum pools_mode pools;
	enum sel_mode adv_nodes, adv_peers, adv_svcs, peer_nodes;
	enum spk_traffic_policy etp;
	enum ep_mode ep;
	enum node_mode node;
};

/* The rule, said independently of the code. */
static bool expect_announced(const struct combo *c)
{
	bool pool = c->pools == P_ALL || c->pools == P_NAME || c->pools == P_SEL;
	bool ep = c->etp == SPK_ETP_CLUSTER ? c->ep != EP_NONE : c->ep == EP_HERE;
	bool node = c->node == N_OK || c->node == N_EXCLUDED_IGNORED;
	return pool && c->adv_nodes != S_NOMATCH && c->adv_peers != S_NOMATCH &&
	       c->adv_svcs != S_NOMATCH && c->peer_nodes != S_NOMATCH && ep && node;
}

static void build(struct fx *f, const struct combo *c)
{
	struct cfg_pool *pool = fx_pool(f, "pool1", "198.51.100.0/24", CFG_PROTO_NONE);
	fx_label(&pool->meta.labels, "tier", "gold");
	fx_pool(f, "pool2", "203.0.113.0/24", CFG_PROTO_NONE);

	struct cfg_peer *peer = fx_peer(f, "peer1");
	if (c->peer_nodes == S_MATCH)
		fx_sel_expr(&peer->node_selectors, "zone", CFG_SEL_IN, "a");
	else if (c->peer_nodes == S_NOMATCH)
		fx_sel(&peer->node_selectors, "zone", "b");
	fx_peer(f, "peer2");   /* selects every node */

	struct cfg_bgp_adv *a = fx_bgp_adv(f, "adv");
	switch (c->pools) {
	case P_ALL:
		break;
	case P_NAME:
		strings_push(&a->pools, "pool2");
		strings_push(&a->pools, "pool1");
		break;
	case P_NAME_OTHER:
		strings_push(&a->pools, "pool2");
		break;
	case P_SEL:
		fx_sel(&a->pool_selectors, "tier", "silver");
		fx_sel(&a->pool_selectors, "tier", "gold");
		break;
	case P_SEL_OTHER:
		fx_sel(&a->pool_selectors, "tier", "silver");
		break;
	case P_COUNT:
		break;
	}
	if (c->adv_nodes == S_MATCH)
		fx_sel(&a->node_selectors, "zone", "a");
	else if (c->adv_nodes == S_NOMATCH)
		fx_sel_expr(&a->node_selectors, "zone", CFG_SEL_NOT_IN, "a");
	if (c->adv_peers == S_MATCH) {
		strings_push(&a->peers, "peer1");
		strings_push(&a->peers, "peer2");
	} else if (c->adv_peers == S_NOMATCH) {
		strings_push(&a->peers, "peer3");
	}
	if (c->adv_svcs == S_MATCH)
		fx_sel_expr(&a->service_selectors, "app", CFG_SEL_EXISTS, NULL);
	else if (c->adv_svcs == S_NOMATCH)
		fx_sel(&a->service_selectors, "app", "other");

	struct spk_node *n1 = fx_node(f, "n1");
	fx_label(&n1->labels, "zone", "a");
	if (c->node == N_UNAVAILABLE)
		n1->network_unavailable = true;
	if (c->node == N_EXCLUDED || c->node == N_EXCLUDED_IGNORED)
		fx_label(&n1->labels, SPK_LABEL_EXCLUDE_LB, "");
	f->ignore_exclude_lb = c->node == N_EXCLUDED_IGNORED;
	fx_node(f, "n2");

	struct spk_service *svc = fx_svc(f, "default", "web", c->etp, "198.51.100.7", NULL);
	fx_label(&svc->labels, "app", "web");
	if (c->ep == EP_HERE)
		fx_ready(f, svc, "n1");
	else if (c->ep == EP_ELSEWHERE)
		fx_ready(f, svc, "n2");
	fx_ep(f, svc, 1, "n1", SPK_COND_FALSE, SPK_COND_FALSE, "not-ready-here");
}

static void test_every_combination(void **state)
{
	(void)state;
	size_t total = 0, announced = 0;
	struct combo c;
	for (c.pools = 0; c.pools < P_COUNT; c.pools++)
	for (c.adv_nodes = 0; c.adv_nodes < S_COUNT; c.adv_nodes++)
	for (c.adv_peers = 0; c.adv_peers < S_COUNT; c.adv_peers++)
	for (c.adv_svcs = 0; c.adv_svcs < S_COUNT; c.adv_svcs++)
	for (c.peer_nodes = 0; c.peer_nodes < S_COUNT; c.peer_nodes++)
	for (int etp = 0; etp < 2; etp++)
	for (c.ep = 0; c.ep < EP_COUNT; c.ep++)
	for (c.node = 0; c.node < N_COUNT; c.node++) {
		c.etp = etp ? SPK_ETP_LOCAL : SPK_ETP_CLUSTER;
		struct fx *f = fx_new();
		build(f, &c);
		struct spk_decision d;
		fx_decide(f, "n1", &d);
		bool want = expect_announced(&c);
		/* peer1's session runs iff its nodeSelectors pick n1; peer2's always */
		assert_int_equal(fx_peer_of(&d, "peer1") != NULL, c.peer_nodes != S_NOMATCH);
		assert_non_null(fx_peer_of(&d, "peer2"));
		const struct spk_bgp_route *r = fx_route(&d, "peer1", "198.51.100.7/32");
		if ((r != NULL) != want)
			fail_msg("combo pools=%d advnodes=%d advpeers=%d advsvcs=%d peernodes=%d etp=%d "
				 "ep=%d node=%d: announced=%d want=%d", c.pools, c.adv_nodes,
				 c.adv_peers, c.adv_svcs, c.peer_nodes, etp, c.ep, c.node, r != NULL,
				 want);
		/* peer2 gets it under the same rule, its nodeSelectors being empty */
		struct combo c2 = c;
		c2.peer_nodes = S_NONE;
		assert_int_equal(fx_route(&d, "peer2", "198.51.100.7/32") != NULL,
				 expect_announced(&c2));
		assert_int_equal(fx_nroutes(&d), (size_t)want + expect_announced(&c2));
		if (r) {
			assert_int_equal(r->nservices, 1);
			assert_string_equal(r->services[0].namespace, "default");
			assert_string_equal(r->services[0].name, "web");
			assert_false(r->has_local_pref);
			assert_int_equal(r->ncommunities, 0);
		}
		announced += want;
		total++;
		spk_decision_free(&d);
		fx_free(f);
	}
	assert_int_equal(total, 5 * 3 * 3 * 3 * 3 * 2 * 3 * 4);
	assert_true(announced > 0);
}

/* A standard world: pool 198.51.100.0/24 and 2001:db8::/64, peers p1 p2, nodes n1 n2 (ready). */
static struct fx *world(void)
{
	struct fx *f = fx_new();
	fx_pool(f, "v4", "198.51.100.0/24", CFG_PROTO_NONE);
	fx_pool(f, "v6", "2001:db8::/64", CFG_PROTO_NONE);
	fx_peer(f, "p1");
	fx_peer(f, "p2");
	fx_node(f, "n1");
	fx_node(f, "n2");
	return f;
}

static void test_aggregation(void **state)
{
	(void)state;
	struct fx *f = world();
	struct cfg_bgp_adv *a = fx_bgp_adv(f, "agg");
	a->aggregation_length = 24;
	a->aggregation_length_v6 = 64;
	struct spk_service *s1 = fx_svc(f, "ns", "a", SPK_ETP_CLUSTER, "198.51.100.7",
					"2001:db8::7");
	fx_ready(f, s1, "n2");
	struct spk_service *s2 = fx_svc(f, "ns", "b", SPK_ETP_CLUSTER, "198.51.100.200", NULL);
	fx_ready(f, s2, "n2");
	struct spk_decision d;
	fx_decide(f, "n1", &d);
	const struct spk_bgp_route *r = fx_route(&d, "p1", "198.51.100.0/24");
	assert_non_null(r);
	assert_int_equal(r->nservices, 2);   /* both IPs roll up into one route */
	assert_string_equal(r->services[0].name, "a");
	assert_string_equal(r->services[1].name, "b");
	assert_non_null(fx_route(&d, "p1", "2001:db8::/64"));
	assert_non_null(fx_route(&d, "p2", "198.51.100.0/24"));
	assert_int_equal(fx_nroutes(&d), 4);
	spk_decision_free(&d);
	fx_free(f);
}

static void test_merge_advertisements(void **state)
{
	(void)state;
	struct fx *f = world();
	struct cfg_bgp_adv *a = fx_bgp_adv(f, "a");
	a->local_pref = 150;
	fx_community(a, false, 65000, 1, 0);
	fx_community(a, true, 64500, 1, 2);
	a = fx_bgp_adv(f, "b");
	a->local_pref = 150;
	fx_community(a, false, 65000, 2, 0);
	fx_community(a, false, 65000, 1, 0);
	fx_community(a, true, 1, 2, 3);
	a = fx_bgp_adv(f, "c");   /* another length: another route */
	a->aggregation_length = 28;
	strings_push(&a->peers, "p2");
	struct spk_service *s = fx_svc(f, "ns", "a", SPK_ETP_CLUSTER, "198.51.100.7", NULL);
	fx_ready(f, s, "n1");
	struct spk_decision d;
	fx_decide(f, "n1", &d);
	const struct spk_bgp_route *r = fx_route(&d, "p1", "198.51.100.7/32");
	assert_non_null(r);
	assert_true(r->has_local_pref);
	assert_int_equal(r->local_pref, 150);
	assert_false(r->local_pref_conflict);
	assert_int_equal(r->ncommunities, 2);
	assert_int_equal(r->communities[0], (65000u << 16) | 1);
	assert_int_equal(r->communities[1], (65000u << 16) | 2);
	assert_int_equal(r->nlarge_communities, 2);
	assert_int_equal(r->large_communities[0].global, 1);
	assert_int_equal(r->large_communities[0].local1, 2);
	assert_int_equal(r->large_communities[0].local2, 3);
	assert_int_equal(r->large_communities[1].global, 64500);
	assert_null(fx_route(&d, "p1", "198.51.100.0/28"));
	assert_non_null(fx_route(&d, "p2", "198.51.100.0/28"));
	assert_int_equal(fx_nroutes(&d), 3);
	spk_decision_free(&d);
	fx_free(f);
}

static void test_local_pref_conflict(void **state)
{
	(void)state;
	static const struct {
		uint32_t a, b;
		bool has;
		uint32_t want;
		bool conflict;
	} cases[] = {
		{ 0, 0, false, 0, false },
		{ 100, 100, true, 100, false },
		{ 100, 200, true, 200, true },
		{ 300, 200, true, 300, true },
		{ 0, 200, true, 200, true },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx *f = world();
		/* node selectors that validation cannot prove overlapping, both picking n1 */
		struct cfg_bgp_adv *a = fx_bgp_adv(f, "a");
		a->local_pref = cases[i].a;
		fx_sel(&a->node_selectors, "zone", "a");
		a = fx_bgp_adv(f, "b");
		a->local_pref = cases[i].b;
		fx_sel(&a->node_selectors, "rack", "1");
		fx_label(&f->nodes[0].labels, "zone", "a");
		fx_label(&f->nodes[0].labels, "rack", "1");
		struct spk_service *s = fx_svc(f, "ns", "a", SPK_ETP_CLUSTER, "198.51.100.7", NULL);
		fx_ready(f, s, "n1");
		struct spk_decision d;
		fx_decide(f, "n1", &d);
		const struct spk_bgp_route *r = fx_route(&d, "p1", "198.51.100.7/32");
		assert_non_null(r);
		assert_int_equal(r->has_local_pref, cases[i].has);
		assert_int_equal(r->local_pref, cases[i].want);
		assert_int_equal(r->local_pref_conflict, cases[i].conflict);
		spk_decision_free(&d);
		fx_free(f);
	}
}

/* Services sharing an IP: announced when any of them qualifies; the route names those that do. */
static void test_shared_ip(void **state)
{
	(void)state;
	static const struct {
		enum spk_traffic_policy ea, eb;
		const char *epa, *epb;     /* node of the one ready endpoint, or NULL */
		const char *want;          /* services on the route, "" for no route */
	} cases[] = {
		{ SPK_ETP_CLUSTER, SPK_ETP_CLUSTER, "n2", NULL, "a" },
		{ SPK_ETP_CLUSTER, SPK_ETP_CLUSTER, "n2", "n2", "ab" },
		{ SPK_ETP_CLUSTER, SPK_ETP_CLUSTER, NULL, NULL, "" },
		{ SPK_ETP_LOCAL, SPK_ETP_LOCAL, "n2", "n1", "b" },
		{ SPK_ETP_LOCAL, SPK_ETP_LOCAL, "n2", "n2", "" },
		{ SPK_ETP_LOCAL, SPK_ETP_CLUSTER, "n2", "n2", "b" },
		{ SPK_ETP_LOCAL, SPK_ETP_CLUSTER, "n1", NULL, "a" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx *f = world();
		fx_bgp_adv(f, "all");
		struct spk_service *b = fx_svc(f, "ns", "b", cases[i].eb, "198.51.100.9", NULL);
		struct spk_service *a = fx_svc(f, "ns", "a", cases[i].ea, "198.51.100.9", NULL);
		if (cases[i].epa)
			fx_ready(f, a, cases[i].epa);
		if (cases[i].epb)
			fx_ready(f, b, cases[i].epb);
		struct spk_decision d;
		fx_decide(f, "n1", &d);
		const struct spk_bgp_route *r = fx_route(&d, "p1", "198.51.100.9/32");
		char got[4] = "";
		for (size_t k = 0; r && k < r->nservices && k < 3; k++)
			got[k] = r->services[k].name[0];
		assert_string_equal(got, cases[i].want);
		assert_int_equal(fx_nroutes(&d), *cases[i].want ? 2 : 0);
		spk_decision_free(&d);
		fx_free(f);
	}
}

static void test_legacy_default(void **state)
{
	(void)state;
	static const struct {
		enum cfg_protocol proto;
		bool other_adv;           /* a BGPAdvertisement naming another pool only */
		bool own_adv;             /* a BGPAdvertisement naming this pool, aggregation 30 */
		const char *want;         /* prefix announced, or NULL */
	} cases[] = {
		{ CFG_PROTO_BGP, false, false, "192.0.2.5/32" },
		{ CFG_PROTO_BGP, true, false, "192.0.2.5/32" },
		{ CFG_PROTO_BGP, false, true, "192.0.2.4/30" },
		{ CFG_PROTO_LAYER2, false, false, NULL },
		{ CFG_PROTO_NONE, false, false, NULL },
		{ CFG_PROTO_NONE, true, false, NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx *f = fx_new();
		fx_pool(f, "legacy", "192.0.2.0/24", cases[i].proto);
		fx_pool(f, "other", "198.51.100.0/24", CFG_PROTO_NONE);
		fx_peer(f, "p1");
		fx_node(f, "n1");
		if (cases[i].other_adv)
			strings_push(&fx_bgp_adv(f, "other")->pools, "other");
		if (cases[i].own_adv) {
			struct cfg_bgp_adv *a = fx_bgp_adv(f, "own");
			strings_push(&a->pools, "legacy");
			a->aggregation_length = 30;
		}
		struct spk_service *s = fx_svc(f, "ns", "a", SPK_ETP_CLUSTER, "192.0.2.5", NULL);
		fx_ready(f, s, "n1");
		struct spk_decision d;
		fx_decide(f, "n1", &d);
		assert_int_equal(fx_nroutes(&d), cases[i].want ? 1 : 0);
		if (cases[i].want) {
			const struct spk_bgp_route *r = fx_route(&d, "p1", cases[i].want);
			assert_non_null(r);
			assert_false(r->has_local_pref);
			assert_int_equal(r->ncommunities + r->nlarge_communities, 0);
		}
		spk_decision_free(&d);
		fx_free(f);
	}
}

static void test_pool_lookup(void **state)
{
	(void)state;
	static const struct {
		const char *annotation, *ip;
		bool announced;
	} cases[] = {
		{ NULL, "198.51.100.7", true },
		{ "v4", "198.51.100.7", true },
		{ "v6", "198.51.100.7", true },        /* stale annotation: the IP decides */
		{ "gone", "198.51.100.7", true },
		{ NULL, "192.0.2.1", false },          /* in no pool */
		{ "v4", "192.0.2.1", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx *f = world();
		strings_push(&fx_bgp_adv(f, "only-v4")->pools, "v4");
		struct spk_service *s = fx_svc(f, "ns", "a", SPK_ETP_CLUSTER, cases[i].ip, NULL);
		s->pool = cases[i].annotation;
		fx_ready(f, s, "n1");
		struct spk_decision d;
		fx_decide(f, "n1", &d);
		assert_int_equal(fx_nroutes(&d), cases[i].announced ? 2 : 0);
		spk_decision_free(&d);
		fx_free(f);
	}
}

static void test_unknown_node(void **state)
{
	(void)state;
	struct fx *f = world();
	struct cfg_peer *p = fx_peer(f, "zoned");
	fx_sel(&p->node_selectors, "zone", "a");
	fx_bgp_adv(f, "all");
	struct spk_service *s = fx_svc(f, "ns", "a", SPK_ETP_CLUSTER, "198.51.100.7", NULL);
	fx_ready(f, s, "n1");
	struct spk_decision d;
	fx_decide(f, "n9", &d);   /* no Node object */
	assert_int_equal(d.npeers, 2);   /* the peers that select every node */
	assert_int_equal(fx_nroutes(&d), 0);
	assert_string_equal(d.node_name, "n9");
	spk_decision_free(&d);
	fx_free(f);
}

static void test_order_independent(void **state)
{
	(void)state;
	struct fx *f = world();
	struct cfg_bgp_adv *a = fx_bgp_adv(f, "a");
	fx_community(a, false, 1, 2, 0);
	a = fx_bgp_adv(f, "b");
	a->aggregation_length = 26;
	strings_push(&a->peers, "p2");
	fx_community(a, false, 3, 4, 0);
	for (size_t i = 0; i < 40; i++) {
		const char *ip = fx_str(f, "198.51.100.%zu", i % 25);
		struct spk_service *s = fx_svc(f, fx_str(f, "ns%zu", i % 3), fx_str(f, "s%zu", i),
					       i % 2 ? SPK_ETP_LOCAL : SPK_ETP_CLUSTER, ip,
					       i % 5 ? NULL : "2001:db8::5");
		fx_ready(f, s, i % 3 ? "n1" : "n2");
	}
	struct spk_decision d;
	fx_decide(f, "n1", &d);
	char *want = fx_dump(&d);
	assert_true(fx_nroutes(&d) > 10);
	for (unsigned seed = 1; seed <= 20; seed++) {
		char *got = fx_dump_shuffled(f, "n1", seed);
		assert_string_equal(got, want);
		free(got);
	}
	free(want);
	spk_decision_free(&d);
	fx_free(f);
}

/* Node exclusion for both protocols: the label counts by presence, whatever its value;
 * ignore_exclude_lb lifts the label rule only, never NetworkUnavailable. */
static void test_node_exclusion_both_protocols(void **state)
{
	(void)state;
	static const struct {
		bool unavailable;
		const char *label;         /* value of the exclude label, NULL: absent */
		bool ignore;
		bool announced;
	} cases[] = {
		{ false, NULL, false, true },
		{ false, "", false, false },
		{ false, "false", false, false },
		{ false, "true", true, true },
		{ false, NULL, true, true },
		{ true, NULL, false, false },
		{ true, NULL, true, false },
		{ true, "true", true, false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx *f = fx_new();
		fx_pool(f, "bgp", "198.51.100.0/24", CFG_PROTO_BGP);
		fx_pool(f, "l2", "192.0.2.0/24", CFG_PROTO_LAYER2);
		fx_peer(f, "p1");
		struct spk_node *n = fx_node(f, "n1");
		n->network_unavailable = cases[i].unavailable;
		if (cases[i].label)
			fx_label(&n->labels, SPK_LABEL_EXCLUDE_LB, cases[i].label);
		f->ignore_exclude_lb = cases[i].ignore;
		struct spk_service *s = fx_svc(f, "ns", "a", SPK_ETP_LOCAL, "198.51.100.1",
					       "192.0.2.1");
		fx_ready(f, s, "n1");
		struct spk_decision d;
		fx_decide(f, "n1", &d);
		assert_int_equal(d.npeers, 1);   /* the session runs either way */
		assert_int_equal(fx_nroutes(&d), cases[i].announced);
		assert_int_equal(d.nowned, cases[i].announced);
		assert_string_equal(fx_owner(&d, "192.0.2.1"), cases[i].announced ? "n1" : "");
		spk_decision_free(&d);
		fx_free(f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_combination),
		cmocka_unit_test(test_aggregation),
		cmocka_unit_test(test_merge_advertisements),
		cmocka_unit_test(test_local_pref_conflict),
		cmocka_unit_test(test_shared_ip),
		cmocka_unit_test(test_legacy_default),
		cmocka_unit_test(test_pool_lookup),
		cmocka_unit_test(test_unknown_node),
		cmocka_unit_test(test_node_exclusion_both_protocols),
		cmocka_unit_test(test_order_independent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
