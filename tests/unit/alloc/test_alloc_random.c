/*
 * Randomised consistency test: the allocator against a brute-force reference on small pools.
 *
 * The reference knows nothing of interval trees or indexes: to find an address it walks every
 * address of every range in configured order and checks sharing by scanning every Service, which
 * is MetalLB's own algorithm (getIPFromCIDR, checkSharing) written as plainly as possible. Random
 * Services (families and policies, sharing keys, ports, Local selectors, pool annotations,
 * requested IPs) are created and deleted, with restarts in between; after each step both must
 * agree on whether the Service got addresses and which. Seeded and bounded, so it is repeatable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc/alloc.h"
#include "alloc/u128.h"
#include "alloc_fixture.h"
#include "core/xalloc.h"

#define SEEDS 150
#define STEPS 300
#define MAX_REF 64

static uint64_t rng;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* The universe: pools in name order; "m" is autoAssign=false. */
struct rpool {
	const char *name;
	const char *ranges[2];
	size_t nranges;
	bool manual;
	bool buggy;
	ip_range parsed[2];
};

static struct rpool pools[] = {
	{ .name = "a", .ranges = { "10.0.0.250-10.0.1.3", "2001:db8::fffe-2001:db8::1:1" }, .nranges = 2 },
	{ .name = "b", .ranges = { "10.0.2.0/30" }, .nranges = 1 },
	{ .name = "c", .ranges = { "2001:db8:1::/126" }, .nranges = 1 },
	{ .name = "m", .ranges = { "10.0.3.0/31", "2001:db8:3::/127" }, .nranges = 2, .manual = true },
};
#define NPOOLS (sizeof(pools) / sizeof(pools[0]))

struct rsvc {
	bool live;
	char name[16];
	ip_addr ips[2];
	size_t nips;
	struct svc_port ports[2];
	size_t nports;
	const char *share;
	const char *backend;
};

static struct rsvc ref[MAX_REF];
static struct fx_svc views[MAX_REF];

static bool buggy(const struct rpool *p, const ip_addr *ip)
{
	return p->buggy && u128_is_buggy(ip->family, u128_from_addr(ip));
}

static int ref_pool_for(const ip_addr *ip)
{
	for (size_t p = 0; p < NPOOLS; p++) {
		if (buggy(&pools[p], ip))
			continue;
		for (size_t r = 0; r < pools[p].nranges; r++) {
			if (ip_range_contains(&pools[p].parsed[r], ip))
				return (int)p;
		}
	}
	return -1;
}

static bool ref_sharing_ok(size_t self, const ip_addr *ip, const struct rsvc *want)
{
	for (size_t i = 0; i < MAX_REF; i++) {
		if (!ref[i].live || i == self)
			continue;
		for (size_t j = 0; j < ref[i].nips; j++) {
			if (!ip_addr_eq(&ref[i].ips[j], ip))
				continue;
			if (!*want->share || strcmp(ref[i].share, want->share) != 0 ||
			    strcmp(ref[i].backend, want->backend) != 0)
				return false;
			for (size_t x = 0; x < want->nports; x++) {
				for (size_t y = 0; y < ref[i].nports; y++) {
					if (want->ports[x].port == ref[i].ports[y].port &&
					    want->ports[x].protocol == ref[i].ports[y].protocol)
						return false;
				}
			}
		}
	}
	return true;
}

/* First acceptable address of family f in pool p, walking every address. */
static bool ref_lowest(size_t self, const struct rsvc *want, size_t p, enum ip_family f,
		       ip_addr *out)
{
	for (size_t r = 0; r < pools[p].nranges; r++) {
		const ip_range *rg = &pools[p].parsed[r];
		if (rg->first.family != f)
			continue;
		for (u128 v = u128_from_addr(&rg->first); v <= u128_from_addr(&rg->last); v++) {
			ip_addr ip = u128_to_addr(f, v);
			if (buggy(&pools[p], &ip) || !ref_sharing_ok(self, &ip, want))
				continue;
			*out = ip;
			return true;
		}
	}
	return false;
}

struct rreq {
	int fam;            /* 4, 6 or 46 (dual) */
	enum svc_family_policy policy;
	enum ip_family primary;
	int pool;           /* annotation, -1 none */
	ip_addr want[2];
	size_t nwant;
};

static struct rreq reqs[MAX_REF];

static bool ref_select(const struct rreq *rq, bool h4, ip_addr v4, bool h6, ip_addr v6,
		       ip_addr out[2], size_t *n)
{
	*n = 0;
	if (rq->fam == 4 && h4)
		out[(*n)++] = v4;
	else if (rq->fam == 6 && h6)
		out[(*n)++] = v6;
	else if (rq->fam == 46 && rq->policy != SVC_SINGLE_STACK) {
		if (h4)
			out[(*n)++] = v4;
		if (h6)
			out[(*n)++] = v6;
		if (rq->policy == SVC_REQUIRE_DUAL_STACK && *n < 2)
			*n = 0;
	}
	return *n > 0;
}

static bool ref_allocate(size_t self, const struct rreq *rq, ip_addr out[2], size_t *n)
{
	struct rsvc *want = &ref[self];
	if (rq->nwant) {
		int fam = rq->nwant == 2 ? 46 : rq->want[0].family == IP_V4 ? 4 : 6;
		if (fam != rq->fam)
			return false;
		int p = ref_pool_for(&rq->want[0]);
		if (p < 0 || (rq->nwant == 2 && ref_pool_for(&rq->want[1]) != p))
			return false;
		for (size_t i = 0; i < rq->nwant; i++) {
			if (!ref_sharing_ok(self, &rq->want[i], want))
				return false;
		}
		if (rq->pool >= 0 && rq->pool != p)
			return false;
		memcpy(out, rq->want, sizeof(ip_addr) * rq->nwant);
		*n = rq->nwant;
		return true;
	}
	ip_addr v4 = { 0 }, v6 = { 0 };
	if (rq->pool >= 0) {
		bool h4 = ref_lowest(self, want, (size_t)rq->pool, IP_V4, &v4);
		bool h6 = ref_lowest(self, want, (size_t)rq->pool, IP_V6, &v6);
		return ref_select(rq, h4, v4, h6, v6, out, n);
	}
	bool prefer = rq->fam == 46 && rq->policy == SVC_PREFER_DUAL_STACK;
	int first_primary = -1, first_secondary = -1;
	for (size_t p = 0; p < NPOOLS; p++) {
		if (pools[p].manual)
			continue;
		bool h4 = ref_lowest(self, want, p, IP_V4, &v4);
		bool h6 = ref_lowest(self, want, p, IP_V6, &v6);
		if ((rq->fam == 4 && h4) || (rq->fam == 6 && h6) || (h4 && h6))
			return ref_select(rq, h4, v4, h6, v6, out, n);
		if (!prefer)
			continue;
		bool hp = rq->primary == IP_V4 ? h4 : h6, hs = rq->primary == IP_V4 ? h6 : h4;
		if (hp && first_primary < 0)
			first_primary = (int)p;
		if (hs && first_secondary < 0)
			first_secondary = (int)p;
	}
	int p = first_primary >= 0 ? first_primary : first_secondary;
	if (p < 0)
		return false;
	bool h4 = ref_lowest(self, want, (size_t)p, IP_V4, &v4);
	bool h6 = ref_lowest(self, want, (size_t)p, IP_V6, &v6);
	return ref_select(rq, h4, v4, h6, v6, out, n);
}

/* Syncs Service i in the allocator and the reference and checks they agree. */
static void sync_and_compare(struct alloc *a, uint64_t seed, int step, size_t i)
{
	struct rsvc *r = &ref[i];
	const struct rreq *rq = &reqs[i];
	r->nips = 0;   /* the reference recomputes from scratch, as a sync of a pending one */
	ip_addr want[2];
	size_t nwant = 0;
	bool ok = ref_allocate(i, rq, want, &nwant);
	/* IPv4 first, as the allocator reports them. */
	if (nwant == 2 && want[0].family == IP_V6) {
		ip_addr t = want[0];
		want[0] = want[1];
		want[1] = t;
	}
	struct alloc_result res;
	fx_sync(a, &views[i], &res);
	if (ok != (res.outcome == ALLOC_ASSIGNED) || (ok && res.nips != nwant)) {
		char x[IP_ADDR_STRLEN] = "";
		if (ok)
			ip_addr_format(&want[0], x, sizeof(x));
		print_error("seed %llu step %d %s: reference %s (%zu IPs, %s), allocator %s (%s); "
			    "request fam=%d policy=%d pool=%d nwant=%zu share=%s backend=%s "
			    "buggy=%d,%d\n",
			    (unsigned long long)seed, step, r->name, ok ? "assigns" : "fails",
			    nwant, x, res.outcome == ALLOC_ASSIGNED ? "assigns" : "fails",
			    res.nevents ? res.events[0].message : "", rq->fam, (int)rq->policy,
			    rq->pool, rq->nwant, r->share, r->backend, pools[0].buggy,
			    pools[1].buggy);
		fail();
	}
	for (size_t k = 0; ok && k < nwant; k++) {
		if (!ip_addr_eq(&res.ips[k], &want[k])) {
			char x[IP_ADDR_STRLEN], y[IP_ADDR_STRLEN];
			ip_addr_format(&want[k], x, sizeof(x));
			ip_addr_format(&res.ips[k], y, sizeof(y));
			print_error("seed %llu step %d %s: reference %s, allocator %s\n",
				    (unsigned long long)seed, step, r->name, x, y);
			fail();
		}
	}
	alloc_result_free(&res);
	r->live = true;
	r->nips = ok ? nwant : 0;
	memcpy(r->ips, want, sizeof(want));
}

static ip_addr random_ip(void)
{
	/* Mostly inside the pools, sometimes just outside. */
	static const char *const bases[] = { "10.0.0.250", "10.0.1.0", "10.0.2.0", "10.0.3.0",
					     "2001:db8::fffe", "2001:db8:1::", "2001:db8:3::" };
	ip_addr ip;
	assert_true(ip_addr_parse(bases[rnd(7)], &ip));
	ip_addr out = ip;
	ip_addr_add(&ip, rnd(6), &out);
	return out;
}

static struct cfg_model *make_model(void)
{
	struct cfg_model *m = model_new();
	for (size_t p = 0; p < NPOOLS; p++) {
		struct cfg_pool *cp = fx_pool(m, pools[p].name, pools[p].ranges, pools[p].nranges);
		cp->auto_assign = !pools[p].manual;
		cp->avoid_buggy_ips = pools[p].buggy;
		for (size_t r = 0; r < pools[p].nranges; r++)
			pools[p].parsed[r] = cp->addrs[r].range;
	}
	return m;
}

static void one_seed(uint64_t seed)
{
	rng = seed * 0x9e3779b97f4a7c15ull + 1;
	memset(ref, 0, sizeof(ref));
	pools[0].buggy = rnd(2);
	pools[1].buggy = rnd(2);
	pools[1].ranges[0] = "10.0.2.0/30";
	struct cfg_model *m = make_model();
	struct alloc *a = alloc_new();
	alloc_set_pools(a, m, NULL);
	static const char *const shares[] = { "", "k1", "k2" };
	static const char *const ports[] = { "TCP/1", "TCP/2", "UDP/1", "TCP/1,UDP/1" };

	for (int step = 0; step < STEPS; step++) {
		size_t i = rnd(MAX_REF);
		struct rsvc *r = &ref[i];
		if (r->live) {
			if (rnd(3) == 0 && r->nips == 0) {
				/* A pending Service tried again: whatever was freed may serve it. */
				sync_and_compare(a, seed, step, i);
			} else if (r->nips > 0 && rnd(2) == 0) {
				/* Re-sync unchanged: must keep its IPs, and a PreferDualStack Service with
				 * one IP gets the other family from its pool if one is free now. */
				const struct rreq *rq = &reqs[i];
				ip_addr add;
				if (rq->fam == 46 && rq->policy == SVC_PREFER_DUAL_STACK && r->nips == 1 &&
				    rq->nwant == 0 &&
				    ref_lowest(i, r, (size_t)ref_pool_for(&r->ips[0]),
					       r->ips[0].family == IP_V4 ? IP_V6 : IP_V4, &add)) {
					r->ips[r->nips++] = add;
					if (add.family == IP_V4) {
						r->ips[1] = r->ips[0];
						r->ips[0] = add;
					}
				}
				fx_sync(a, &views[i], NULL);
				ip_addr ips[2];
				size_t n = alloc_service_ips(a, views[i].ns, views[i].name, ips, NULL);
				assert_int_equal(n, r->nips);
				for (size_t k = 0; k < n; k++)
					assert_true(ip_addr_eq(&ips[k], &r->ips[k]));
			} else {
				alloc_release(a, views[i].ns, views[i].name);
				fx_svc_free(&views[i]);
				r->live = false;
				r->nips = 0;
			}
			continue;
		}
		if (rnd(25) == 0) {
			/* Config change: pool b shrinks or grows, pool a flips avoidBuggyIPs. Services
			 * whose addresses left every pool are cleared (and pending); nothing else moves. */
			pools[1].ranges[0] = strcmp(pools[1].ranges[0], "10.0.2.0/30") == 0
					     ? "10.0.2.0/31" : "10.0.2.0/30";
			if (rnd(2))
				pools[0].buggy = !pools[0].buggy;
			struct cfg_model *next = make_model();
			struct alloc_keys cleared;
			alloc_set_pools(a, next, &cleared);
			model_free(m);
			m = next;
			char want[1024] = "", got[1024] = "";
			for (size_t k = 0; k < MAX_REF; k++) {
				if (!ref[k].live || !ref[k].nips)
					continue;
				int p0 = ref_pool_for(&ref[k].ips[0]);
				if (p0 >= 0 && (ref[k].nips == 1 || ref_pool_for(&ref[k].ips[1]) == p0))
					continue;
				ref[k].nips = 0;
				snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s ",
					 views[k].name);
			}
			for (size_t k = 0; k < cleared.n; k++)
				snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s ",
					 strchr(cleared.v[k], '/') + 1);
			/* Same set (the allocator sorts by key, the reference by slot). */
			size_t nw = 0, ng = 0;
			for (char *c = want; *c; c++)
				nw += *c == ' ';
			for (char *c = got; *c; c++)
				ng += *c == ' ';
			bool same = nw == ng;
			for (char *w = want, *sp; same && (sp = strchr(w, ' ')); w = sp + 1) {
				char name[32];
				snprintf(name, sizeof(name), "%.*s ", (int)(sp - w), w);
				same = strstr(got, name) != NULL;
			}
			if (!same) {
				print_error("seed %llu step %d: cleared want [%s] got [%s]\n",
					    (unsigned long long)seed, step, want, got);
				fail();
			}
			/* The controller syncs each cleared Service again at once, in that order. */
			for (size_t c = 0; c < cleared.n; c++) {
				for (size_t k = 0; k < MAX_REF; k++) {
					if (ref[k].live &&
					    strcmp(views[k].name, strchr(cleared.v[c], '/') + 1) == 0)
						sync_and_compare(a, seed, step, k);
				}
			}
			alloc_keys_free(&cleared);
		}
		if (rnd(20) == 0) {
			/* Restart: a new allocator imports every status; nothing may move. */
			alloc_free(a);
			a = alloc_new();
			alloc_set_pools(a, m, NULL);
			for (size_t k = 0; k < MAX_REF; k++) {
				if (ref[k].live && ref[k].nips)
					assert_true(alloc_import(a, &views[k].v));
			}
			for (size_t k = 0; k < MAX_REF; k++) {
				if (ref[k].live && !ref[k].nips)
					sync_and_compare(a, seed, step, k);
			}
		}
		/* A new Service. */
		snprintf(r->name, sizeof(r->name), "s%zu-%d", i, step);
		struct fx_svc *s = &views[i];
		fx_svc_init(s, "ns", r->name);
		struct rreq rq = { .pool = -1, .primary = IP_V4 };
		switch (rnd(7)) {
		case 0: rq.fam = 4; fx_families(s, SVC_SINGLE_STACK, "4"); break;
		case 1: rq.fam = 6; fx_families(s, SVC_SINGLE_STACK, "6"); rq.primary = IP_V6; break;
		case 2: rq.fam = 46; fx_families(s, SVC_REQUIRE_DUAL_STACK, "46"); break;
		case 3: rq.fam = 46; fx_families(s, SVC_PREFER_DUAL_STACK, "46"); break;
		case 4: rq.fam = 46; fx_families(s, SVC_PREFER_DUAL_STACK, "64"); rq.primary = IP_V6; break;
		case 5: rq.fam = 46; fx_families(s, SVC_REQUIRE_DUAL_STACK, "64"); rq.primary = IP_V6; break;
		default: rq.fam = 4; fx_families(s, SVC_PREFER_DUAL_STACK, "4"); break;
		}
		r->share = shares[rnd(3)];
		if (*r->share)
			fx_annotate(s, ALLOC_ANN_ALLOW_SHARED, r->share);
		fx_ports(s, ports[rnd(4)]);
		r->nports = s->v.nports;
		memcpy(r->ports, s->ports, sizeof(r->ports));
		r->backend = "";
		if (rnd(3) == 0) {
			s->v.traffic_policy = SVC_TRAFFIC_LOCAL;
			bool x = rnd(2);
			labels_set(&s->v.selector, "app", x ? "x" : "y");
			r->backend = x ? "app=x" : "app=y";
		}
		rq.policy = s->v.family_policy;
		if (rnd(5) == 0) {
			rq.pool = (int)rnd(NPOOLS);
			fx_annotate(s, ALLOC_ANN_ADDRESS_POOL, pools[rq.pool].name);
		}
		if (rnd(5) == 0) {
			char text[2 * IP_ADDR_STRLEN + 2];
			rq.want[0] = random_ip();
			rq.nwant = 1;
			ip_addr_format(&rq.want[0], text, sizeof(text));
			if (rnd(2)) {
				rq.want[1] = random_ip();
				if (rq.want[1].family != rq.want[0].family) {
					size_t o = strlen(text);
					text[o++] = ',';
					ip_addr_format(&rq.want[1], text + o, sizeof(text) - o);
					rq.nwant = 2;
				}
			}
			fx_annotate(s, ALLOC_ANN_LB_IPS, text);
		}
		reqs[i] = rq;
		sync_and_compare(a, seed, step, i);
	}
	for (size_t k = 0; k < MAX_REF; k++) {
		if (ref[k].live)
			fx_svc_free(&views[k]);
	}
	alloc_free(a);
	model_free(m);
}

static void test_matches_brute_force_reference(void **state)
{
	for (uint64_t seed = 1; seed <= SEEDS; seed++)
		one_seed(seed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_brute_force_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
