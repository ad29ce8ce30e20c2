/*
 * Choosing a pool and an address (MetalLB controller allocateIPs and internal/allocator Assign,
 * Allocate, AllocateFromPool, findBestPoolForService, getIPFromCIDR).
 *
 * Order: the requested IPs; else the pool named by the address-pool annotation; else the
 * "pinned" pools whose serviceAllocation selects the Service, by priority; else every other
 * autoAssign pool without a serviceAllocation. Inside a pool the first range (in configured
 * order) with a usable address wins, and inside a range the lowest address: either the lowest free
 * one or, for a Service with a sharing key, the lowest address it may share. Nothing here walks a
 * pool: the free address comes from the range's interval tree and shareable ones from the sharing
 * index.
 */
#include "alloc/alloc_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

static bool ns_restricted(const struct cfg_pool *c)
{
	return c->namespaces.n > 0 || c->namespace_selectors.n > 0;
}

/* Whether the pool is reserved to some Services (and so never a general autoAssign pool). */
static bool pool_restricted(const struct apool *p)
{
	return p->cfg->has_service_allocation;
}

bool pool_compatible(const struct apool *p, const struct alloc_service *svc)
{
	const struct cfg_pool *c = p->cfg;
	if (!c->has_service_allocation)
		return true;
	/* namespaceSelectors are matched here against the Namespace's labels; MetalLB resolves
	 * them into its namespace list when it parses the config. Same result. */
	const char *ns = svc->namespace ? svc->namespace : "";
	if (ns_restricted(c) && !strings_contains(&c->namespaces, ns) &&
	    !selectors_match(&c->namespace_selectors, &svc->namespace_labels, false))
		return false;
	return selectors_match(&c->service_selectors, &svc->labels, true);
}

static char *not_compatible(const struct apool *p)
{
	return xasprintf("pool %s not compatible for ip assignment", p->name);
}

char *choose_assign(struct alloc *a, const struct request *rq, const ip_addr *ips, size_t nips)
{
	/* MetalLB poolFor: one pool must hold every requested address. */
	struct apool *pool = NULL;
	bool found = nips > 0;
	for (size_t i = 0; i < nips && found; i++) {
		struct apool *p = NULL;
		size_t r;
		found = pool_find(a, &ips[i], &p, &r) && (!pool || p == pool);
		if (found)
			pool = p;
	}
	if (!found) {
		char *q = go_quote_ips(ips, nips);
		char *err = xasprintf("%s is not allowed in config", q);
		free(q);
		return err;
	}
	if (!pool_compatible(pool, rq->svc))
		return not_compatible(pool);
	if (nips > 2 || (nips == 2 && ips[0].family == ips[1].family)) {
		char *q = go_quote_ips(ips, nips);
		char *err = xasprintf("more than two addresses or one family %s", q);
		free(q);
		return err;
	}
	const struct alloc_service *svc = rq->svc;
	for (size_t i = 0; i < nips; i++) {
		char *err = state_check_sharing(a, rq->key, &ips[i], svc->ports, svc->nports,
						rq->sharing, rq->backend);
		if (err)
			return err;
	}
	struct asvc *s = svc_get_or_add(a, rq->key);
	state_assign(a, s, pool, ips, nips, svc->ports, svc->nports, rq->sharing, rq->backend);
	return NULL;
}

/* The best address of one family in a pool for this request, as (range, value). */
struct pick {
	bool found;
	size_t range;
	u128 value;
};

/*
 * The lowest address of range r (pool p) the request may share: in its sharing group, and not
 * already using any of its ports (the group's per-port subsets). Each step moves x to the next
 * group address free of one more port, so the loop ends when no port moves it. (The request's
 * Service is never a user of an address of this family here: it was released before allocating,
 * and an additional family is by definition not the one it holds.)
 */
static bool shareable_in_range(const struct alloc *a, const struct keylist *l,
			       const struct ostree *const *subs, size_t nsubs, const struct apool *p,
			       const struct prange *range, u128 *out)
{
	struct oskey x = { .family = range->family, .value = range->lo };
	size_t n = ostree_size(&l->all);
	for (;;) {
		size_t i = ostree_rank(&l->all, x);
		if (i == n)
			return false;
		x = ostree_select(&l->all, i);
		if (x.family != range->family || x.value > range->hi)
			return false;
		bool moved = false;
		for (size_t k = 0; k < nsubs; k++) {
			struct oskey y;
			if (!ostree_skip(&l->all, subs[k], x, &y))
				return false;   /* every group address from x up uses this port */
			if (oskey_cmp(y, x) != 0) {
				x = y;
				moved = true;
			}
		}
		if (moved)
			continue;
		if (x.family != range->family || x.value > range->hi)
			return false;
		ip_addr ip = u128_to_addr(range->family, x.value);
		const struct ipent *e = ipent_get(a, &ip);
		if (e && e->pool == p) {
			*out = x.value;
			return true;
		}
		if (x.value == range->hi)
			return false;
		x.value++;              /* another pool's address (overlapping config): go on */
	}
}

/* The lowest address the request may share in pool p, family f (from the sharing index). */
static struct pick lowest_shareable(const struct alloc *a, const struct request *rq,
				    const struct apool *p, enum ip_family f)
{
	struct pick best = { 0 };
	if (!*rq->sharing)
		return best;
	const struct keylist *l = keylist_get(a, rq->sharing, rq->backend);
	if (!l)
		return best;
	size_t n = ostree_size(&l->all);
	const struct svc_port *ports = rq->svc->ports;
	size_t nports = rq->svc->nports;
	const struct ostree **subs = xcalloc(nports ? nports : 1, sizeof(*subs));
	size_t nsubs = 0;
	bool blocked = false;
	for (size_t i = 0; i < nports && !blocked; i++) {
		const struct ostree *t = keylist_port_users(l, &ports[i]);
		/* Every group address already uses this port: nothing to share (the common case of
		 * one key on many Services with the same port), found in O(1). */
		blocked = t && ostree_size(t) == n;
		if (t)
			subs[nsubs++] = t;
	}
	for (size_t r = 0; r < p->nranges && !blocked && !best.found; r++) {
		u128 v;
		if (p->ranges[r].family == f &&
		    shareable_in_range(a, l, subs, nsubs, p, &p->ranges[r], &v))
			best = (struct pick){ .found = true, .range = r, .value = v };
	}
	free(subs);
	return best;
}

static struct pick best_in_pool(const struct alloc *a, const struct request *rq,
				const struct apool *p, enum ip_family f)
{
	struct pick shared = lowest_shareable(a, rq, p, f);
	for (size_t r = 0; r < p->nranges; r++) {
		if (p->ranges[r].family != f)
			continue;
		if (shared.found && shared.range == r) {
			u128 v;
			if (pool_lowest_free(p, r, &v) && v < shared.value)
				shared.value = v;
			return shared;
		}
		u128 v;
		if (pool_lowest_free(p, r, &v))
			return (struct pick){ .found = true, .range = r, .value = v };
	}
	return shared;
}

/* MetalLB getFreeIPsFromPool: a candidate per family. */
struct candidate {
	struct apool *pool;
	bool has_v4, has_v6;
	ip_addr v4, v6;
};

static struct candidate candidates(const struct alloc *a, const struct request *rq, struct apool *p)
{
	struct candidate c = { .pool = p };
	struct pick p4 = best_in_pool(a, rq, p, IP_V4);
	struct pick p6 = best_in_pool(a, rq, p, IP_V6);
	if (p4.found) {
		c.has_v4 = true;
		c.v4 = u128_to_addr(IP_V4, p4.value);
	}
	if (p6.found) {
		c.has_v6 = true;
		c.v6 = u128_to_addr(IP_V6, p6.value);
	}
	return c;
}

/* MetalLB selectIPsForFamilyAndPolicy. Returns NULL or an error. */
static char *select_ips(const struct candidate *c, enum svc_family family,
			enum svc_family_policy policy, ip_addr out[2], size_t *n)
{
	*n = 0;
	if (family == FAM_V4 && c->has_v4)
		out[(*n)++] = c->v4;
	else if (family == FAM_V6 && c->has_v6)
		out[(*n)++] = c->v6;
	else if (family == FAM_DUAL && policy != SVC_SINGLE_STACK) {
		if (c->has_v4)
			out[(*n)++] = c->v4;
		if (c->has_v6)
			out[(*n)++] = c->v6;
		if (policy == SVC_REQUIRE_DUAL_STACK && *n < 2)
			*n = 0;
	}
	if (*n)
		return NULL;
	return xasprintf("no available IPs in pool %s for %s IPFamily", c->pool->name,
			 svc_family_name(family));
}

/* MetalLB findBestPoolForService over an ordered list of pools. */
static bool best_pool(const struct alloc *a, const struct request *rq, struct apool **pools,
		      size_t npools, struct candidate *out)
{
	enum ip_family primary = IP_V4;
	if (rq->svc->nfamilies > 0 && rq->svc->families[0] == IP_V6)
		primary = IP_V6;
	bool prefer_dual = rq->family == FAM_DUAL &&
			   rq->svc->family_policy == SVC_PREFER_DUAL_STACK;
	struct candidate first_primary = { 0 }, first_secondary = { 0 };
	for (size_t i = 0; i < npools; i++) {
		struct candidate c = candidates(a, rq, pools[i]);
		if ((rq->family == FAM_V4 && c.has_v4) || (rq->family == FAM_V6 && c.has_v6) ||
		    (c.has_v4 && c.has_v6)) {
			*out = c;
			return true;
		}
		if (!prefer_dual)
			continue;
		bool has_primary = primary == IP_V4 ? c.has_v4 : c.has_v6;
		bool has_secondary = primary == IP_V4 ? c.has_v6 : c.has_v4;
		if (has_primary && !first_primary.pool)
			first_primary = c;
		if (has_secondary && !first_secondary.pool)
			first_secondary = c;
	}
	if (first_primary.pool)
		*out = first_primary;
	else if (first_secondary.pool)
		*out = first_secondary;
	return out->pool != NULL;
}

static char *allocate_from(struct alloc *a, const struct request *rq, struct apool **pools,
			   size_t npools)
{
	struct candidate c = { 0 };
	if (!best_pool(a, rq, pools, npools, &c))
		return xstrdup("no available IPs");
	ip_addr ips[2];
	size_t n;
	char *err = select_ips(&c, rq->family, rq->svc->family_policy, ips, &n);
	if (!err)
		err = choose_assign(a, rq, ips, n);
	if (err) {
		free(err);
		return xstrdup("no available IPs");
	}
	return NULL;
}

/* Pinned pools first by ascending priority, unset (0 or less) last; ties by name. */
static int pinned_cmp(const void *x, const void *y)
{
	const struct apool *a = *(struct apool *const *)x, *b = *(struct apool *const *)y;
	int32_t pa = a->cfg->priority, pb = b->cfg->priority;
	bool seta = pa > 0, setb = pb > 0;
	if (seta != setb)
		return seta ? -1 : 1;
	if (seta && pa != pb)
		return pa < pb ? -1 : 1;
	return strcmp(a->name, b->name);
}

static char *allocate_any(struct alloc *a, const struct request *rq)
{
	struct apool **list = xcalloc(a->npools ? a->npools : 1, sizeof(*list));
	size_t n = 0;
	for (size_t i = 0; i < a->npools; i++) {
		struct apool *p = &a->pools[i];
		if (p->auto_assign && pool_restricted(p) && pool_compatible(p, rq->svc))
			list[n++] = p;
	}
	qsort(list, n, sizeof(*list), pinned_cmp);
	char *err = allocate_from(a, rq, list, n);
	if (err) {
		free(err);
		/*
		 * The general pools, in name order (a->pools is sorted by name). MetalLB walks them in
		 * Go map order, which is random: the same Services could get different IPs after a
		 * restart or on another replica. A fixed order makes allocation a function of the
		 * config and the Services alone, which restart recovery and tests rely on.
		 */
		n = 0;
		for (size_t i = 0; i < a->npools; i++) {
			struct apool *p = &a->pools[i];
			if (p->auto_assign && !pool_restricted(p))
				list[n++] = p;
		}
		err = allocate_from(a, rq, list, n);
	}
	free(list);
	return err;
}

static struct apool *pool_by_name(const struct alloc *a, const char *name)
{
	size_t lo = 0, hi = a->npools;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(a->pools[mid].name, name);
		if (c == 0)
			return &a->pools[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

char *choose_allocate(struct alloc *a, const struct request *rq)
{
	ip_addr want[2];
	size_t nwant;
	enum svc_family want_family;
	char *err = svc_requested_ips(rq->svc, &rq->ann, want, &nwant, &want_family);
	if (err)
		return err;
	const char *pool_name = rq->ann.address_pool && *rq->ann.address_pool
				? rq->ann.address_pool : NULL;
	if (nwant) {
		if (want_family != rq->family) {
			char *q = go_quote_ips(want, nwant);
			err = xasprintf("requested loadBalancer IP(s) %s does not match the ipFamily "
					"of the service", q);
			free(q);
			return err;
		}
		err = choose_assign(a, rq, want, nwant);
		if (err)
			return err;
		struct asvc *s = svc_get(a, rq->key);
		if (pool_name && strcmp(s->pool->name, pool_name) != 0) {
			state_unassign(a, s);
			char *q = go_quote_ips(want, nwant);
			err = xasprintf("requested loadBalancer IP(s) %s is not compatible with "
					"requested address pool %s", q, pool_name);
			free(q);
			return err;
		}
		return NULL;
	}
	if (pool_name) {
		struct apool *p = pool_by_name(a, pool_name);
		if (!p) {
			char *q = go_quote(pool_name);
			err = xasprintf("unknown pool %s", q);
			free(q);
			return err;
		}
		struct candidate c = candidates(a, rq, p);
		ip_addr ips[2];
		size_t n;
		err = select_ips(&c, rq->family, rq->svc->family_policy, ips, &n);
		return err ? err : choose_assign(a, rq, ips, n);
	}
	return allocate_any(a, rq);
}

char *choose_additional(struct alloc *a, const struct request *rq, ip_addr *added)
{
	struct asvc *s = svc_get(a, rq->key);
	if (!s || s->nips != 1 || !s->pool)
		return xstrdup("no single IP to complete");
	struct candidate c = candidates(a, rq, s->pool);
	enum svc_family missing = s->ips[0].family == IP_V4 ? FAM_V6 : FAM_V4;
	ip_addr picked[2];
	size_t n;
	char *err = select_ips(&c, missing, SVC_SINGLE_STACK, picked, &n);
	if (err)
		return err;
	ip_addr ips[2] = { s->ips[0], picked[0] };
	*added = picked[0];
	return choose_assign(a, rq, ips, 2);
}
