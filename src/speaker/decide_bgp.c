/*
 * The BGP decision: the sessions this node runs and the routes it announces on each.
 *
 * A peer's session runs on this node when the peer's nodeSelectors pick it (none: every node).
 * This node announces a Service IP to such a peer when
 *   - the node is known and not excluded (NetworkUnavailable, exclude-from-external-LB label);
 *   - the IP belongs to a pool and an advertisement applies to the pool (select.c), picks this
 *     node (nodeSelectors; none: every node), the peer (peers; none: every peer) and the Service
 *     (serviceSelectors; none: every Service);
 *   - the Service has a serving endpoint anywhere (externalTrafficPolicy Cluster) or on this node
 *     (Local): MetalLB's bgp_controller ShouldAnnounce.
 * The route is the IP masked to the advertisement's aggregation length (v4 or v6), with its
 * localPref and communities. Routes with one prefix towards one peer are merged, whichever
 * advertisements and Services they come from (MetalLB native Set / mergeCommunities): this is
 * also how Services sharing an IP merge, the prefix being announced if any of them qualifies.
 */
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "speaker/speaker_int.h"

struct entry {
	size_t slot;                     /* index in out->peers */
	ip_prefix prefix;
	const struct cfg_bgp_adv *adv;
	size_t svc;                      /* index in in->services */
};

static int entry_cmp(const void *pa, const void *pb)
{
	const struct entry *a = pa, *b = pb;
	if (a->slot != b->slot)
		return a->slot < b->slot ? -1 : 1;
	return ip_prefix_cmp(&a->prefix, &b->prefix);
}

static int u32_cmp(const void *pa, const void *pb)
{
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	return (a > b) - (a < b);
}

static int large_cmp(const void *pa, const void *pb)
{
	const struct spk_large_community *a = pa, *b = pb;
	if (a->global != b->global)
		return a->global < b->global ? -1 : 1;
	if (a->local1 != b->local1)
		return a->local1 < b->local1 ? -1 : 1;
	return (a->local2 > b->local2) - (a->local2 < b->local2);
}

static int svc_ptr_cmp(const void *pa, const void *pb)
{
	return spk_service_cmp(*(const struct spk_service *const *)pa,
			       *(const struct spk_service *const *)pb);
}

static size_t dedupe(void *array, size_t n, size_t elem, int (*cmp)(const void *, const void *))
{
	if (n == 0)
		return 0;
	qsort(array, n, elem, cmp);
	char *base = array;
	size_t k = 1;
	for (size_t i = 1; i < n; i++) {
		if (cmp(base + (k - 1) * elem, base + i * elem) != 0) {
			if (k != i)
				memcpy(base + k * elem, base + i * elem, elem);
			k++;
		}
	}
	return k;
}

/* One route from the entries e[0..n), all with one peer and one prefix. */
static void build_route(const struct spk_inputs *in, const struct entry *e, size_t n,
			struct spk_bgp_route *r)
{
	memset(r, 0, sizeof(*r));
	r->prefix = e[0].prefix;
	size_t nstd = 0, nlarge = 0;
	bool first = true;
	uint32_t pref = 0;
	for (size_t i = 0; i < n; i++) {
		const struct cfg_bgp_adv *a = e[i].adv;
		for (size_t c = 0; c < a->ncommunity_values; c++) {
			if (a->community_values[c].large)
				nlarge++;
			else
				nstd++;
		}
		if (!first && a->local_pref != pref)
			r->local_pref_conflict = true;
		if (first || a->local_pref > pref)
			pref = a->local_pref;
		first = false;
	}
	r->has_local_pref = pref != 0;   /* 0 is "unset", as in MetalLB */
	r->local_pref = pref;
	if (nstd)
		r->communities = xcalloc(nstd, sizeof(*r->communities));
	if (nlarge)
		r->large_communities = xcalloc(nlarge, sizeof(*r->large_communities));
	for (size_t i = 0; i < n; i++) {
		const struct cfg_bgp_adv *a = e[i].adv;
		for (size_t c = 0; c < a->ncommunity_values; c++) {
			const struct cfg_community *v = &a->community_values[c];
			if (v->large)
				r->large_communities[r->nlarge_communities++] =
					(struct spk_large_community){ v->a, v->b, v->c };
			else
				r->communities[r->ncommunities++] = (v->a << 16) | (v->b & 0xffffu);
		}
	}
	r->ncommunities = dedupe(r->communities, r->ncommunities, sizeof(*r->communities), u32_cmp);
	r->nlarge_communities = dedupe(r->large_communities, r->nlarge_communities,
				       sizeof(*r->large_communities), large_cmp);

	const struct spk_service **svcs = xcalloc(n, sizeof(*svcs));
	for (size_t i = 0; i < n; i++)
		svcs[i] = &in->services[e[i].svc];
	size_t ns = dedupe(svcs, n, sizeof(*svcs), svc_ptr_cmp);
	r->services = xcalloc(ns, sizeof(*r->services));
	for (size_t i = 0; i < ns; i++)
		spk_svc_ref_set(&r->services[i], svcs[i]);
	r->nservices = ns;
	free(svcs);
}

static bool adv_picks_peer(const struct cfg_bgp_adv *a, const struct cfg_peer *p)
{
	return a->peers.n == 0 || strings_contains(&a->peers, p->meta.name);
}

/* Appends the entries of Service i. */
static void service_entries(const struct spk_ctx *c, size_t i, const struct spk_decision *out,
			    struct entry **entries, size_t *n, size_t *cap)
{
	const struct spk_inputs *in = c->in;
	const struct spk_service *svc = &in->services[i];
	const struct spk_serving *serving = &c->serving[i];
	bool ok = svc->traffic_policy == SPK_ETP_LOCAL ? spk_serving_on(serving, c->self->name)
						       : serving->any;
	if (!ok)
		return;
	for (size_t k = 0; k < svc->nips; k++) {
		const ip_addr *ip = &svc->ips[k];
		const struct cfg_pool *pool = spk_pool_for(in->config, svc, ip);
		if (!pool)
			continue;
		size_t nadv = spk_bgp_advs_for_pool(in->config, pool, NULL, 0);
		const struct cfg_bgp_adv **advs = xcalloc(nadv ? nadv : 1, sizeof(*advs));
		spk_bgp_advs_for_pool(in->config, pool, advs, nadv);
		for (size_t a = 0; a < nadv; a++) {
			const struct cfg_bgp_adv *adv = advs[a];
			if (!selectors_match(&adv->node_selectors, &c->self->labels, true) ||
			    !selectors_match(&adv->service_selectors, &svc->labels, true))
				continue;
			unsigned len = ip->family == IP_V4 ? adv->aggregation_length
							   : adv->aggregation_length_v6;
			ip_prefix prefix = ip_prefix_make(ip, len);
			for (size_t s = 0; s < out->npeers; s++) {
				if (!adv_picks_peer(adv, &in->config->peers[out->peers[s].peer]))
					continue;
				*entries = spk_grow(*entries, cap, *n, sizeof(**entries));
				(*entries)[(*n)++] = (struct entry){ s, prefix, adv, i };
			}
		}
		free(advs);
	}
}

void spk_bgp_fill(const struct spk_ctx *c, struct spk_decision *out)
{
	const struct spk_inputs *in = c->in;
	const struct cfg_model *m = in->config;
	static const struct cfg_labels no_labels = { 0 };
	const struct cfg_labels *labels = c->self ? &c->self->labels : &no_labels;

	for (size_t i = 0; i < m->npeers; i++) {
		if (!selectors_match(&m->peers[i].node_selectors, labels, true))
			continue;
		out->peers = xreallocarray(out->peers, out->npeers + 1, sizeof(*out->peers));
		out->peers[out->npeers++] = (struct spk_bgp_peer){
			.peer = i,
			.name = xstrdup(m->peers[i].meta.name ? m->peers[i].meta.name : ""),
		};
	}
	if (!c->self_eligible || out->npeers == 0)
		return;

	struct entry *entries = NULL;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < in->nservices; i++)
		service_entries(c, i, out, &entries, &n, &cap);
	spk_sort(entries, n, sizeof(*entries), entry_cmp);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && entry_cmp(&entries[i], &entries[j]) == 0)
			j++;
		struct spk_bgp_peer *p = &out->peers[entries[i].slot];
		p->routes = xreallocarray(p->routes, p->nroutes + 1, sizeof(*p->routes));
		build_route(in, &entries[i], j - i, &p->routes[p->nroutes++]);
		i = j;
	}
	free(entries);
}
