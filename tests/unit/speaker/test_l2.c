/*
 * The L2 decision: candidates under every combination of advertisement pool, node and Service
 * selectors, Cluster/Local, endpoint placement and node state (unavailable, excluded, not live, no
 * Node object), against an independent statement of the rule; interfaces and the announceFailed
 * case; shared IPs electing one node; preferred-node weights; legacy default advertisement;
 * every speaker computing the same owners in any input order; and stability of the owners when
 * nodes leave or join, over many IPs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spk_fixture.h"

static const char *const nodes3[] = { "n1", "n2", "n3" };

enum pools_mode { P_ALL, P_NAME, P_NAME_OTHER, P_SEL, P_SEL_OTHER, P_COUNT };
enum sel_mode { S_NONE, S_MATCH, S_NOMATCH, S_COUNT };
enum ep_mode { EP_NONE, EP_N1, EP_N2, EP_COUNT };
enum node_mode { N_OK, N_UNAVAILABLE, N_EXCLUDED, N_EXCLUDED_IGNORED, N_NOT_LIVE, N_NO_OBJECT,
		 N_COUNT };

struct combo {
	enum pools_mode pools;
	enum sel_mode adv_nodes, adv_svcs;
	enum spk_traffic_policy etp;
	enum ep_mode ep;
	enum node_mode n1;
};

/* The candidates, said independently: n1 has zone=a, n2 and n3 zone=b. */
static size_t expect_candidates(const struct combo *c, const char **out)
{
	size_t n = 0;
	for (size_t i = 0; i < 3; i++) {
		bool state = i != 0 || c->n1 == N_OK || c->n1 == N_EXCLUDED_IGNORED;
		bool sel = c->adv_nodes == S_NONE || (c->adv_nodes == S_MATCH && i == 0);
		bool ep = c->etp == SPK_ETP_CLUSTER ? c->ep != EP_NONE
			  : (c->ep == EP_N1 && i == 0) || (c->ep == EP_N2 && i == 1);
		if (state && sel && ep)
			out[n++] = nodes3[i];
	}
	return n;
}

static void build(struct fx *f, const struct combo *c)
{
	struct cfg_pool *pool = fx_pool(f, "pool1", "198.51.100.0/24", CFG_PROTO_NONE);
	fx_label(&pool->meta.labels, "tier", "gold");
	fx_pool(f, "pool2", "203.0.113.0/24", CFG_PROTO_NONE);
	struct cfg_l2_adv *a = fx_l2_adv(f, "adv");
	switch (c->pools) {
	case P_NAME:
		strings_push(&a->pools, "pool1");
		break;
	case P_NAME_OTHER:
		strings_push(&a->pools, "pool2");
		break;
	case P_SEL:
		fx_sel_expr(&a->pool_selectors, "tier", CFG_SEL_IN, "gold");
		break;
	case P_SEL_OTHER:
		fx_sel_expr(&a->pool_selectors, "tier", CFG_SEL_DOES_NOT_EXIST, NULL);
		break;
	default:
		break;
	}
	if (c->adv_nodes == S_MATCH)
		fx_sel(&a->node_selectors, "zone", "a");
	else if (c->adv_nodes == S_NOMATCH)
		fx_sel(&a->node_selectors, "zone", "c");
	if (c->adv_svcs == S_MATCH)
		fx_sel(&a->service_selectors, "app", "web");
	else if (c->adv_svcs == S_NOMATCH)
		fx_sel_expr(&a->service_selectors, "app", CFG_SEL_NOT_IN, "web");

	for (size_t i = 0; i < 3; i++) {
		if (i == 0 && c->n1 == N_NO_OBJECT) {
			f->live[f->nlive++] = "n1";   /* a live speaker without a Node object */
			continue;
		}
		struct spk_node *n = fx_node(f, nodes3[i]);
		fx_label(&n->labels, "zone", i == 0 ? "a" : "b");
		if (i != 0)
			continue;
		if (c->n1 == N_UNAVAILABLE)
			n->network_unavailable = true;
		if (c->n1 == N_EXCLUDED || c->n1 == N_EXCLUDED_IGNORED)
			fx_label(&n->labels, SPK_LABEL_EXCLUDE_LB, "true");
		if (c->n1 == N_NOT_LIVE)
			f->nlive--;
	}
	f->ignore_exclude_lb = c->n1 == N_EXCLUDED_IGNORED;

	struct spk_service *svc = fx_svc(f, "default", "web", c->etp, "198.51.100.7", NULL);
	fx_label(&svc->labels, "app", "web");
	if (c->ep == EP_N1)
		fx_ready(f, svc, "n1");
	else if (c->ep == EP_N2)
		fx_ready(f, svc, "n2");
	fx_ep(f, svc, 1, "n3", SPK_COND_FALSE, SPK_COND_UNSET, "not-ready");
}

static void test_every_combination(void **state)
{
	(void)state;
	size_t total = 0, elected = 0;
	struct combo c;
	for (c.pools = 0; c.pools < P_COUNT; c.pools++)
	for (c.adv_nodes = 0; c.adv_nodes < S_COUNT; c.adv_nodes++)
	for (c.adv_svcs = 0; c.adv_svcs < S_COUNT; c.adv_svcs++)
	for (int etp = 0; etp < 2; etp++)
	for (c.ep = 0; c.ep < EP_COUNT; c.ep++)
	for (c.n1 = 0; c.n1 < N_COUNT; c.n1++) {
		c.etp = etp ? SPK_ETP_LOCAL : SPK_ETP_CLUSTER;
		struct fx *f = fx_new();
		build(f, &c);
		bool in_l2 = (c.pools == P_ALL || c.pools == P_NAME || c.pools == P_SEL) &&
			     c.adv_svcs != S_NOMATCH;
		const char *cand[3];
		size_t n = expect_candidates(&c, cand);
		ip_addr ip = fx_ip("198.51.100.7");
		size_t w = spk_elect(&ip, cand, NULL, n);
		const char *want = !in_l2 ? NULL : w < n ? cand[w] : "";
		for (size_t s = 0; s < 3; s++) {
			struct spk_decision d;
			fx_decide(f, nodes3[s], &d);
			const char *got = fx_owner(&d, "198.51.100.7");
			if ((got == NULL) != (want == NULL) || (got && strcmp(got, want) != 0))
				fail_msg("combo pools=%d nodes=%d svcs=%d etp=%d ep=%d n1=%d self=%s: "
					 "owner %s, want %s", c.pools, c.adv_nodes, c.adv_svcs, etp,
					 c.ep, c.n1, nodes3[s], got ? got : "(none)",
					 want ? want : "(none)");
			bool mine = want && strcmp(want, nodes3[s]) == 0;
			assert_int_equal(d.nowned, mine);
			if (mine) {
				assert_int_equal(d.owned[0].nifaces, 0);
				assert_int_equal(d.owned[0].nservices, 1);
				assert_string_equal(d.owned[0].services[0].name, "web");
			}
			assert_int_equal(fx_nroutes(&d), 0);
			spk_decision_free(&d);
		}
		elected += want && *want;
		total++;
		fx_free(f);
	}
	assert_int_equal(total, 5 * 3 * 3 * 2 * 3 * 6);
	assert_true(elected > 0);
}

/* One node, one Service at 198.51.100.7: what n1 owns under some advertisements. */
static struct fx *one_node(void)
{
	struct fx *f = fx_new();
	fx_pool(f, "pool", "198.51.100.0/24", CFG_PROTO_NONE);
	struct spk_node *n = fx_node(f, "n1");
	fx_label(&n->labels, "zone", "a");
	struct spk_service *s = fx_svc(f, "ns", "web", SPK_ETP_CLUSTER, "198.51.100.7", NULL);
	fx_ready(f, s, "n1");
	return f;
}

static void test_interfaces(void **state)
{
	(void)state;
	static const struct {
		const char *ad1, *ad2;     /* comma-separated interfaces, "" for none, NULL: no ad */
		bool ad2_other_node;       /* ad2's nodeSelectors do not pick n1 */
		const char *want;          /* owned interfaces, space-joined */
	} cases[] = {
		{ "", NULL, false, "" },
		{ "eth1,eth0", NULL, false, "eth0 eth1" },
		{ "eth1", "eth0,eth1", false, "eth0 eth1" },
		{ "eth1", "", false, "" },                  /* one ad says every interface */
		{ "eth1", "", true, "eth1" },               /* ...but it does not pick this node */
		{ "eth1", "eth2", true, "eth1" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx *f = one_node();
		const char *ads[2] = { cases[i].ad1, cases[i].ad2 };
		for (size_t k = 0; k < 2 && ads[k]; k++) {
			struct cfg_l2_adv *a = fx_l2_adv(f, k ? "b" : "a");
			char *list = strdup(ads[k]), *save = NULL;
			for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save))
				strings_push(&a->interfaces, t);
			free(list);
			if (k == 1 && cases[i].ad2_other_node)
				fx_sel(&a->node_selectors, "zone", "b");
		}
		struct spk_decision d;
		fx_decide(f, "n1", &d);
		assert_int_equal(d.nowned, 1);
		char got[64] = "";
		for (size_t k = 0; k < d.owned[0].nifaces; k++) {
			if (k)
				strcat(got, " ");
			strcat(got, d.owned[0].ifaces[k]);
		}
		assert_string_equal(got, cases[i].want);
		spk_decision_free(&d);
		fx_free(f);
	}
}

static void test_announce_failed(void **state)
{
	(void)state;
	static const struct {
		const char *ad;            /* configured interfaces, comma-separated */
		bool has_ifaces;           /* the node's interfaces are known: lo, eth0 */
		bool failed;
	} cases[] = {
		{ "eth9", true, true },
		{ "eth9,eth0", true, false },
		{ "eth0", true, false },
		{ "", true, false },
		{ "eth9", false, false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx *f = one_node();
		struct cfg_l2_adv *a = fx_l2_adv(f, "a");
		char *list = strdup(cases[i].ad), *save = NULL;
		for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save))
			strings_push(&a->interfaces, t);
		free(list);
		f->has_ifaces = cases[i].has_ifaces;
		f->ifaces[f->nifaces++] = "lo";
		f->ifaces[f->nifaces++] = "eth0";
		struct spk_decision d;
		fx_decide(f, "n1", &d);
		assert_string_equal(fx_owner(&d, "198.51.100.7"), "n1");
		assert_int_equal(d.nfailures, cases[i].failed);
		assert_int_equal(d.nowned, !cases[i].failed);
		if (cases[i].failed) {
			assert_int_equal(d.failures[0].nservices, 1);
			assert_string_equal(d.failures[0].services[0].name, "web");
		}
		spk_decision_free(&d);
		fx_free(f);
	}
}

/* Services sharing an IP pool their candidates and elect one node; each speaker agrees. */
static void test_shared_ip(void **state)
{
	(void)state;
	static const struct {
		enum spk_traffic_policy ea, eb;
		const char *epa, *epb;
		const char *cands;         /* expected candidates, by last digit */
	} cases[] = {
		{ SPK_ETP_LOCAL, SPK_ETP_LOCAL, "n1", "n2", "12" },
		{ SPK_ETP_LOCAL, SPK_ETP_LOCAL, "n3", "n3", "3" },
		{ SPK_ETP_LOCAL, SPK_ETP_CLUSTER, "n1", NULL, "1" },
		{ SPK_ETP_LOCAL, SPK_ETP_CLUSTER, NULL, "n1", "123" },
		{ SPK_ETP_CLUSTER, SPK_ETP_CLUSTER, NULL, NULL, "" },
		{ SPK_ETP_CLUSTER, SPK_ETP_CLUSTER, "n2", NULL, "123" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (uint32_t k = 0; k < 20; k++) {   /* several IPs, so different nodes win */
			struct fx *f = fx_new();
			fx_pool(f, "pool", "198.51.100.0/24", CFG_PROTO_NONE);
			fx_l2_adv(f, "all");
			for (size_t n = 0; n < 3; n++)
				fx_node(f, nodes3[n]);
			ip_addr ipa = ip_addr_v4(0xc6336400u + k);
			char ip[IP_ADDR_STRLEN];
			ip_addr_format(&ipa, ip, sizeof(ip));
			const char *ipc = fx_str(f, "%s", ip);
			struct spk_service *a = fx_svc(f, "ns", "a", cases[i].ea, ipc, NULL);
			struct spk_service *b = fx_svc(f, "other", "b", cases[i].eb, ipc, NULL);
			if (cases[i].epa)
				fx_ready(f, a, cases[i].epa);
			if (cases[i].epb)
				fx_ready(f, b, cases[i].epb);
			const char *cand[3];
			size_t nc = 0;
			for (const char *p = cases[i].cands; *p; p++)
				cand[nc++] = nodes3[*p - '1'];
			size_t w = spk_elect(&ipa, cand, NULL, nc);
			const char *want = w < nc ? cand[w] : "";
			for (size_t s = 0; s < 3; s++) {
				struct spk_decision d;
				fx_decide(f, nodes3[s], &d);
				assert_int_equal(d.nelections, 1);
				assert_string_equal(fx_owner(&d, ip), want);
				bool mine = strcmp(want, nodes3[s]) == 0;
				assert_int_equal(d.nowned, mine);
				if (mine) {
					/* the owner lists the Services it can serve */
					const struct spk_l2_owned *o = &d.owned[0];
					for (size_t q = 0; q < o->nservices; q++) {
						const struct spk_service *sv =
							strcmp(o->services[q].name, "a") == 0 ? a : b;
						assert_true(sv->traffic_policy == SPK_ETP_CLUSTER ||
							    spk_service_serving(sv, nodes3[s]));
					}
					assert_true(o->nservices >= 1);
				}
				spk_decision_free(&d);
			}
			fx_free(f);
		}
	}
}

/* Shared IP, Services picked by different advertisements with different node selectors. */
static void test_shared_ip_service_selectors(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	fx_pool(f, "pool", "198.51.100.0/24", CFG_PROTO_NONE);
	struct cfg_l2_adv *a = fx_l2_adv(f, "for-a");
	fx_sel(&a->service_selectors, "app", "a");
	fx_sel(&a->node_selectors, "kubernetes.io/hostname", "n1");
	a = fx_l2_adv(f, "for-b");
	fx_sel(&a->service_selectors, "app", "b");
	fx_sel(&a->node_selectors, "kubernetes.io/hostname", "n3");
	strings_push(&a->interfaces, "eth3");
	for (size_t n = 0; n < 3; n++)
		fx_label(&fx_node(f, nodes3[n])->labels, "kubernetes.io/hostname", nodes3[n]);
	for (uint32_t k = 0; k < 16; k++) {
		ip_addr ipa = ip_addr_v4(0xc6336400u + k);
		char ip[IP_ADDR_STRLEN];
		ip_addr_format(&ipa, ip, sizeof(ip));
		const char *ipc = fx_str(f, "%s", ip);
		struct spk_service *s = fx_svc(f, "ns", fx_str(f, "a%u", k), SPK_ETP_CLUSTER, ipc,
					       NULL);
		fx_label(&s->labels, "app", "a");
		fx_ready(f, s, "n2");
		s = fx_svc(f, "ns", fx_str(f, "b%u", k), SPK_ETP_CLUSTER, ipc, NULL);
		fx_label(&s->labels, "app", "b");
		fx_ready(f, s, "n2");
	}
	size_t wins[3] = { 0 };
	for (size_t s = 0; s < 3; s++) {
		struct spk_decision d;
		fx_decide(f, nodes3[s], &d);
		assert_int_equal(d.nelections, 16);
		for (size_t e = 0; e < d.nelections; e++) {
			const char *cand[] = { "n1", "n3" };
			assert_string_equal(d.elections[e].owner,
					    cand[spk_elect(&d.elections[e].ip, cand, NULL, 2)]);
		}
		wins[s] = d.nowned;
		for (size_t o = 0; o < d.nowned; o++) {
			/* n1 announces for a* on every interface, n3 for b* on eth3 */
			assert_int_equal(d.owned[o].nservices, 1);
			assert_int_equal(d.owned[o].services[0].name[0], s == 0 ? 'a' : 'b');
			assert_int_equal(d.owned[o].nifaces, s == 0 ? 0 : 1);
		}
		spk_decision_free(&d);
	}
	assert_int_equal(wins[1], 0);
	assert_int_equal(wins[0] + wins[2], 16);
	assert_true(wins[0] > 0 && wins[2] > 0);
	fx_free(f);
}

static void test_preferred_nodes(void **state)
{
	(void)state;
	struct fx *f = fx_new_sized(64);
	fx_pool(f, "pool", "198.51.100.0/24", CFG_PROTO_NONE);
	struct cfg_l2_adv *a = fx_l2_adv(f, "a");
	fx_preferred(a, 50, "role", "edge");
	fx_preferred(a, 10, "rack", "r1");
	fx_sel_expr(&a->node_selectors, "pool", CFG_SEL_DOES_NOT_EXIST, NULL);
	struct spk_node *n;
	n = fx_node(f, "n1");            /* weight 10 */
	fx_label(&n->labels, "rack", "r1");
	n = fx_node(f, "n2");            /* weight 50 */
	fx_label(&n->labels, "role", "edge");
	n = fx_node(f, "n3");            /* weight 60 but not eligible under nodeSelectors */
	fx_label(&n->labels, "role", "edge");
	fx_label(&n->labels, "rack", "r1");
	fx_label(&n->labels, "pool", "x");
	n = fx_node(f, "n4");            /* weight 60 */
	fx_label(&n->labels, "role", "edge");
	fx_label(&n->labels, "rack", "r1");
	for (size_t k = 0; k < 30; k++) {
		struct spk_service *s = fx_svc(f, "ns", fx_str(f, "s%zu", k), SPK_ETP_CLUSTER,
					       fx_str(f, "198.51.100.%zu", k + 1), NULL);
		fx_ready(f, s, "n1");
	}
	struct spk_decision d;
	fx_decide(f, "n4", &d);
	assert_int_equal(d.nelections, 30);
	assert_int_equal(d.nowned, 30);   /* n4 has the highest weight: it wins them all */
	spk_decision_free(&d);

	/* without n4, n2 (50) beats n1 (10) everywhere */
	f->nlive = 3;
	f->live[2] = "n3";
	fx_decide(f, "n2", &d);
	assert_int_equal(d.nowned, 30);
	spk_decision_free(&d);
	fx_free(f);
}

static void test_legacy_default(void **state)
{
	(void)state;
	static const struct {
		enum cfg_protocol proto;
		bool elected;
	} cases[] = {
		{ CFG_PROTO_LAYER2, true },
		{ CFG_PROTO_BGP, false },
		{ CFG_PROTO_NONE, false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx *f = fx_new();
		fx_pool(f, "legacy", "192.0.2.0/24", cases[i].proto);
		fx_node(f, "n1");
		struct spk_service *s = fx_svc(f, "ns", "a", SPK_ETP_CLUSTER, "192.0.2.5", NULL);
		fx_ready(f, s, "n1");
		struct spk_decision d;
		fx_decide(f, "n1", &d);
		assert_int_equal(d.nowned, cases[i].elected);
		assert_int_equal(d.nelections, cases[i].elected);
		if (cases[i].elected)
			assert_int_equal(d.owned[0].nifaces, 0);
		spk_decision_free(&d);
		fx_free(f);
	}
}

static void test_all_live_and_dual_stack(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	fx_pool(f, "ds", "198.51.100.0/24", CFG_PROTO_NONE);
	struct cfg_pool *p = &f->m->pools[0];
	p->addrs = cfg_grow(p->addrs, p->naddrs, sizeof(*p->addrs));
	ip_range_parse("2001:db8::/64", &p->addrs[p->naddrs++].range, NULL);
	fx_l2_adv(f, "all");
	for (size_t n = 0; n < 3; n++)
		fx_node(f, nodes3[n]);
	f->nlive = 0;   /* no member list... */
	struct spk_service *s = fx_svc(f, "ns", "ds", SPK_ETP_CLUSTER, "198.51.100.7",
				       "2001:db8::7");
	fx_ready(f, s, "n1");
	struct spk_decision d;
	fx_decide(f, "n1", &d);
	assert_string_equal(fx_owner(&d, "198.51.100.7"), "");   /* ...no live speaker */
	spk_decision_free(&d);
	f->all_live = true;   /* ...every Node counts as live */
	size_t owned = 0;
	for (size_t n = 0; n < 3; n++) {
		fx_decide(f, nodes3[n], &d);
		assert_int_equal(d.nelections, 2);
		for (size_t e = 0; e < 2; e++)
			assert_string_equal(d.elections[e].owner,
					    nodes3[spk_elect(&d.elections[e].ip, nodes3, NULL, 3)]);
		owned += d.nowned;
		spk_decision_free(&d);
	}
	assert_int_equal(owned, 2);   /* each family's IP has exactly one owner */
	fx_free(f);
}

#define MANY 1200
#define NODES 8

static struct fx *many(void)
{
	struct fx *f = fx_new_sized(MANY);
	fx_pool(f, "pool", "10.0.0.0/16", CFG_PROTO_NONE);
	fx_l2_adv(f, "all");
	for (size_t n = 0; n <= NODES; n++)   /* the last one is added by the tests */
		fx_node(f, fx_str(f, "node-%zu", n));
	f->nlive = NODES;
	for (size_t k = 0; k < MANY; k++) {
		struct spk_service *s = fx_svc(f, "ns", fx_str(f, "s%zu", k), SPK_ETP_CLUSTER,
					       fx_str(f, "10.0.%zu.%zu", k / 200, k % 200 + 1), NULL);
		fx_ready(f, s, "node-0");
	}
	return f;
}

static char **owners(struct fx *f)
{
	struct spk_decision d;
	fx_decide(f, "node-0", &d);
	assert_int_equal(d.nelections, MANY);
	char **o = calloc(MANY, sizeof(*o));
	for (size_t i = 0; i < MANY; i++)
		o[i] = strdup(d.elections[i].owner);
	spk_decision_free(&d);
	return o;
}

static void free_owners(char **o)
{
	for (size_t i = 0; i < MANY; i++)
		free(o[i]);
	free(o);
}

static void test_stability(void **state)
{
	(void)state;
	struct fx *f = many();
	char **before = owners(f);

	/* node-3 leaves: only its IPs move, to the other nodes */
	const char *gone = f->live[3];
	f->live[3] = f->live[NODES - 1];
	f->nlive = NODES - 1;
	char **after = owners(f);
	size_t moved = 0, had = 0;
	for (size_t i = 0; i < MANY; i++) {
		if (strcmp(before[i], gone) == 0) {
			had++;
			assert_string_not_equal(after[i], gone);
			moved++;
		} else {
			assert_string_equal(after[i], before[i]);
		}
	}
	assert_int_equal(moved, had);
	free_owners(after);

	/* back to NODES, then a ninth joins: about 1/9 move, all to it */
	f->live[NODES - 1] = f->live[3];
	f->live[3] = gone;
	f->nlive = NODES + 1;
	after = owners(f);
	moved = 0;
	size_t per[NODES] = { 0 };
	for (size_t i = 0; i < MANY; i++) {
		per[strtoul(before[i] + 5, NULL, 10)]++;
		if (strcmp(after[i], before[i]) != 0) {
			assert_string_equal(after[i], f->nodes[NODES].name);
			moved++;
		}
	}
	double want = (double)MANY / (NODES + 1);   /* 133; binomial sd about 11 */
	assert_true(moved > want * 0.7 && moved < want * 1.3);
	for (size_t n = 0; n < NODES; n++)         /* 150 each; sd about 11 */
		assert_true(per[n] > 100 && per[n] < 200);
	free_owners(after);
	free_owners(before);
	fx_free(f);
}

/* Every speaker, given the same inputs in any order, computes the same owners. */
static void test_every_speaker_agrees(void **state)
{
	(void)state;
	struct fx *f = fx_new_sized(200);
	fx_pool(f, "pool", "10.0.0.0/16", CFG_PROTO_NONE);
	struct cfg_l2_adv *a = fx_l2_adv(f, "local");
	fx_sel(&a->node_selectors, "l2", "yes");
	for (size_t n = 0; n < 7; n++) {
		struct spk_node *node = fx_node(f, fx_str(f, "node-%zu", n));
		if (n != 5)
			fx_label(&node->labels, "l2", "yes");
		if (n == 6)
			node->network_unavailable = true;
	}
	for (size_t k = 0; k < 150; k++) {
		struct spk_service *s = fx_svc(f, fx_str(f, "ns%zu", k % 4), fx_str(f, "s%zu", k),
					       k % 3 ? SPK_ETP_CLUSTER : SPK_ETP_LOCAL,
					       fx_str(f, "10.0.1.%zu", k % 120 + 1), NULL);
		fx_ready(f, s, fx_str(f, "node-%zu", k % 7));
		if (k % 4 == 0)
			fx_ready(f, s, fx_str(f, "node-%zu", (k + 2) % 7));
	}
	char *ref = NULL;
	size_t owned = 0;
	for (size_t n = 0; n < 7; n++) {
		const char *self = f->nodes[n].name;
		for (unsigned seed = 0; seed < 5; seed++) {
			char *dump = fx_dump_shuffled(f, self, seed * 7 + (unsigned)n);
			char *el = strstr(dump, "elect ");
			char *own = strstr(dump, "own ");
			if (own)
				*own = '\0';
			if (!ref)
				ref = strdup(el);
			assert_string_equal(el, ref);
			free(dump);
		}
		struct spk_decision d;
		fx_decide(f, self, &d);
		owned += d.nowned;
		if (n >= 5)
			assert_int_equal(d.nowned, 0);   /* not selected; NetworkUnavailable */
		spk_decision_free(&d);
	}
	/* each elected IP is owned by exactly one speaker */
	size_t elected = 0;
	for (const char *p = ref; (p = strstr(p, "elect ")); p++)
		elected += strstr(p, " -\n") != strchr(p, '\n') - 2;
	assert_int_equal(owned, elected);
	assert_true(elected > 50);
	free(ref);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_combination),
		cmocka_unit_test(test_interfaces),
		cmocka_unit_test(test_announce_failed),
		cmocka_unit_test(test_shared_ip),
		cmocka_unit_test(test_shared_ip_service_selectors),
		cmocka_unit_test(test_preferred_nodes),
		cmocka_unit_test(test_legacy_default),
		cmocka_unit_test(test_all_live_and_dual_stack),
		cmocka_unit_test(test_stability),
		cmocka_unit_test(test_every_speaker_agrees),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
