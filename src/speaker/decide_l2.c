/*
 * The layer-2 decision: for every service IP announced in L2, the one node that answers ARP/NDP
 * for it, computed alike by every speaker; for this node, the IPs it owns and on which interfaces.
 *
 * A Service takes part for an IP when an L2Advertisement applies to the IP's pool (select.c) and
 * to the Service (serviceSelectors; none: every Service). A node is a candidate for the IP when it
 * has a Node object, a live speaker, is not excluded, and for one of those Services an applicable
 * advertisement's nodeSelectors pick it and the Service can be served through it: a serving
 * endpoint anywhere (Cluster) or on that node (Local). Services sharing an IP thus pool their
 * candidates and elect one node (election.c). The winner's preferred-node weight is the sum of
 * the weights of the preferredNodeSelectors that match it, over the distinct advertisements that
 * make it a candidate.
 *
 * The winner announces on the union of the interfaces of the advertisements that pick it, or on
 * every interface when one of them lists none. If it knows its interfaces and none of the listed
 * ones exists, the IP is reported as a failure instead (MetalLB's announceFailed) and not owned.
 */
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "speaker/speaker_int.h"

struct pair {
	ip_addr ip;
	size_t svc;
	const struct spk_service *s;     /* &in->services[svc], for ordering */
	const struct cfg_pool *pool;
};

/* One Service taking part in an IP's election, with the advertisements that apply to it. */
struct member {
	size_t svc;
	const struct cfg_l2_adv **advs;
	size_t nadvs;
};

struct l2_state {
	const struct spk_ctx *c;
	struct spk_decision *out;
	size_t cap_owned, cap_elections, cap_failures;
};

static int pair_cmp(const void *pa, const void *pb)
{
	const struct pair *a = pa, *b = pb;
	int c = ip_addr_cmp(&a->ip, &b->ip);
	return c ? c : spk_service_cmp(a->s, b->s);
}

static bool member_serves_on(const struct spk_ctx *c, const struct member *m, const char *node)
{
	const struct spk_service *svc = &c->in->services[m->svc];
	const struct spk_serving *s = &c->serving[m->svc];
	return svc->traffic_policy == SPK_ETP_LOCAL ? spk_serving_on(s, node) : s->any;
}

static int32_t preferred_weight(const struct cfg_l2_adv *a, const struct spk_node *n)
{
	int64_t w = 0;
	for (size_t i = 0; i < a->npreferred; i++) {
		if (selector_matches(&a->preferred[i].preference, &n->labels))
			w += a->preferred[i].weight;
	}
	return w > INT32_MAX ? INT32_MAX : (int32_t)w;
}

/* Whether n is a candidate; *weight gets its preferred-node weight. */
static bool candidate(const struct spk_ctx *c, const struct member *m, size_t nm,
		      const struct spk_node *n, int32_t *weight)
{
	bool cand = false;
	int64_t w = 0;
	const struct cfg_l2_adv **seen = NULL;
	size_t nseen = 0, cap = 0;
	for (size_t i = 0; i < nm; i++) {
		if (!member_serves_on(c, &m[i], n->name))
			continue;
		for (size_t a = 0; a < m[i].nadvs; a++) {
			const struct cfg_l2_adv *adv = m[i].advs[a];
			if (!selectors_match(&adv->node_selectors, &n->labels, true))
				continue;
			cand = true;
			bool dup = false;
			for (size_t k = 0; k < nseen && !dup; k++)
				dup = seen[k] == adv;
			if (dup)
				continue;
			seen = spk_grow(seen, &cap, nseen, sizeof(*seen));
			seen[nseen++] = adv;
			w += preferred_weight(adv, n);
		}
	}
	free(seen);
	*weight = w > INT32_MAX ? INT32_MAX : (int32_t)w;
	return cand;
}

static int str_ptr_cmp(const void *pa, const void *pb)
{
	return strcmp(*(const char *const *)pa, *(const char *const *)pb);
}

static bool iface_present(const struct spk_inputs *in, const char *name)
{
	for (size_t i = 0; i < in->nifaces; i++) {
		if (strcmp(in->ifaces[i], name) == 0)
			return true;
	}
	return false;
}

/* This node won ip: record what it owns (or the failure). */
static void own(struct l2_state *st, const ip_addr *ip, const struct member *m, size_t nm)
{
	const struct spk_ctx *c = st->c;
	const struct spk_node *self = c->self;
	struct spk_svc_ref *refs = NULL;
	size_t nrefs = 0, cap_refs = 0;
	const char **ifaces = NULL;
	size_t nifaces = 0, cap_ifaces = 0;
	bool all = false;
	for (size_t i = 0; i < nm; i++) {
		if (!member_serves_on(c, &m[i], self->name))
			continue;
		bool picked = false;
		for (size_t a = 0; a < m[i].nadvs; a++) {
			const struct cfg_l2_adv *adv = m[i].advs[a];
			if (!selectors_match(&adv->node_selectors, &self->labels, true))
				continue;
			picked = true;
			if (adv->interfaces.n == 0)
				all = true;
			for (size_t k = 0; k < adv->interfaces.n; k++) {
				ifaces = spk_grow(ifaces, &cap_ifaces, nifaces, sizeof(*ifaces));
				ifaces[nifaces++] = adv->interfaces.v[k];
			}
		}
		if (!picked)
			continue;
		refs = spk_grow(refs, &cap_refs, nrefs, sizeof(*refs));
		spk_svc_ref_set(&refs[nrefs++], &c->in->services[m[i].svc]);
	}
	if (all)
		nifaces = 0;
	spk_sort(ifaces, nifaces, sizeof(*ifaces), str_ptr_cmp);
	size_t k = 0;
	for (size_t i = 0; i < nifaces; i++) {
		if (k == 0 || strcmp(ifaces[k - 1], ifaces[i]) != 0)
			ifaces[k++] = ifaces[i];
	}
	nifaces = k;

	bool found = !c->in->has_ifaces || nifaces == 0;
	for (size_t i = 0; i < nifaces && !found; i++)
		found = iface_present(c->in, ifaces[i]);

	struct spk_decision *out = st->out;
	if (!found) {
		out->failures = spk_grow(out->failures, &st->cap_failures, out->nfailures,
					 sizeof(*out->failures));
		out->failures[out->nfailures++] = (struct spk_l2_failure){ *ip, refs, nrefs };
	} else {
		struct spk_l2_owned o = { .ip = *ip, .services = refs, .nservices = nrefs };
		if (nifaces) {
			o.ifaces = xcalloc(nifaces, sizeof(*o.ifaces));
			for (size_t i = 0; i < nifaces; i++)
				o.ifaces[i] = xstrdup(ifaces[i]);
			o.nifaces = nifaces;
		}
		out->owned = spk_grow(out->owned, &st->cap_owned, out->nowned, sizeof(*out->owned));
		out->owned[out->nowned++] = o;
	}
	free(ifaces);
}

/* The election for one IP among the Services m[0..nm). */
static void elect(struct l2_state *st, const ip_addr *ip, const struct member *m, size_t nm)
{
	const struct spk_ctx *c = st->c;
	const char **names = xcalloc(c->neligible ? c->neligible : 1, sizeof(*names));
	int32_t *weights = xcalloc(c->neligible ? c->neligible : 1, sizeof(*weights));
	size_t n = 0;
	for (size_t i = 0; i < c->neligible; i++) {
		const struct spk_node *node = c->eligible[i];
		if (candidate(c, m, nm, node, &weights[n]))
			names[n++] = node->name;
	}
	size_t w = spk_elect(ip, names, weights, n);
	struct spk_decision *out = st->out;
	out->elections = spk_grow(out->elections, &st->cap_elections, out->nelections,
				  sizeof(*out->elections));
	out->elections[out->nelections++] = (struct spk_l2_election){
		.ip = *ip,
		.owner = w < n ? xstrdup(names[w]) : NULL,
	};
	if (w < n && c->self && strcmp(names[w], c->self->name) == 0)
		own(st, ip, m, nm);
	free(names);
	free(weights);
}

void spk_l2_fill(const struct spk_ctx *c, struct spk_decision *out)
{
	const struct spk_inputs *in = c->in;
	struct pair *pairs = NULL;
	size_t np = 0, cap = 0;
	for (size_t i = 0; i < in->nservices; i++) {
		const struct spk_service *svc = &in->services[i];
		for (size_t k = 0; k < svc->nips; k++) {
			const struct cfg_pool *pool = spk_pool_for(in->config, svc, &svc->ips[k]);
			if (!pool)
				continue;
			pairs = spk_grow(pairs, &cap, np, sizeof(*pairs));
			pairs[np++] = (struct pair){ svc->ips[k], i, svc, pool };
		}
	}
	spk_sort(pairs, np, sizeof(*pairs), pair_cmp);

	struct l2_state st = { .c = c, .out = out };
	struct member *members = xcalloc(np ? np : 1, sizeof(*members));
	for (size_t i = 0; i < np;) {
		size_t j = i, nm = 0;
		while (j < np && ip_addr_eq(&pairs[i].ip, &pairs[j].ip)) {
			const struct pair *p = &pairs[j++];
			if (nm && members[nm - 1].svc == p->svc)
				continue;   /* the same IP listed twice by one Service */
			size_t nadv = spk_l2_advs_for_pool(in->config, p->pool, NULL, 0);
			if (nadv == 0)
				continue;
			const struct cfg_l2_adv **all = xcalloc(nadv, sizeof(*all));
			spk_l2_advs_for_pool(in->config, p->pool, all, nadv);
			size_t k = 0;
			for (size_t a = 0; a < nadv; a++) {
				if (selectors_match(&all[a]->service_selectors,
						    &in->services[p->svc].labels, true))
					all[k++] = all[a];
			}
			if (k == 0) {
				free(all);
				continue;
			}
			members[nm++] = (struct member){ p->svc, all, k };
		}
		if (nm)
			elect(&st, &pairs[i].ip, members, nm);
		for (size_t k = 0; k < nm; k++)
			free(members[k].advs);
		i = j;
	}
	free(members);
	free(pairs);
}
