/*
 * Adj-RIB-Out (see ribout.h): RFC 4271 §9.2 (what is sent is the difference between the routes
 * wanted and the routes the peer holds; withdrawals before announcements), §5.1 (the attributes
 * built around each route), RFC 4760 (IPv6 in MP attributes). UPDATEs are packed by
 * bgp_update_pack(), one run of identical attributes at a time.
 */
#include "bgp/ribout.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

void bgp_ribout_init(struct bgp_ribout *r)
{
	memset(r, 0, sizeof(*r));
}

static void attrs_release(struct bgp_route_attrs *a)
{
	free((void *)a->communities);
	free((void *)a->ext_communities);
	free((void *)a->large_communities);
	memset(a, 0, sizeof(*a));
}

void bgp_ribout_free(struct bgp_ribout *r)
{
	for (size_t i = 0; i < r->nattrs; i++)
		attrs_release(&r->attrs[i]);
	free(r->attrs);
	free(r->want);
	free(r->adv);
	memset(r, 0, sizeof(*r));
}

/* --- interned attribute sets ---------------------------------------------------------------- */

static bool route_attrs_equal(const struct bgp_route_attrs *a, const struct bgp_route_attrs *b)
{
	if (a->has_local_pref != b->has_local_pref || a->has_med != b->has_med ||
	    (a->has_local_pref && a->local_pref != b->local_pref) || (a->has_med && a->med != b->med) ||
	    a->ncommunities != b->ncommunities || a->next_communities != b->next_communities ||
	    a->nlarge_communities != b->nlarge_communities)
		return false;
	for (size_t i = 0; i < a->ncommunities; i++)
		if (a->communities[i] != b->communities[i])
			return false;
	for (size_t i = 0; i < a->next_communities; i++)
		if (a->ext_communities[i] != b->ext_communities[i])
			return false;
	for (size_t i = 0; i < a->nlarge_communities; i++) {
		const struct bgp_large_community *x = &a->large_communities[i];
		const struct bgp_large_community *y = &b->large_communities[i];
		if (x->global != y->global || x->local1 != y->local1 || x->local2 != y->local2)
			return false;
	}
	return true;
}

static void *dup_array(const void *src, size_t n, size_t size)
{
	if (n == 0)
		return NULL;
	void *p = xreallocarray(NULL, n, size);
	memcpy(p, src, n * size);
	return p;
}

static uint32_t intern(struct bgp_ribout *r, const struct bgp_route_attrs *a)
{
	static const struct bgp_route_attrs none;
	if (!a)
		a = &none;
	for (size_t i = 0; i < r->nattrs; i++)
		if (route_attrs_equal(&r->attrs[i], a))
			return (uint32_t)i;
	r->attrs = xreallocarray(r->attrs, r->nattrs + 1, sizeof(*r->attrs));
	struct bgp_route_attrs *c = &r->attrs[r->nattrs];
	*c = *a;
	c->communities = dup_array(a->communities, a->ncommunities, sizeof(uint32_t));
	c->ext_communities = dup_array(a->ext_communities, a->next_communities, sizeof(uint64_t));
	c->large_communities = dup_array(a->large_communities, a->nlarge_communities,
					 sizeof(struct bgp_large_community));
	return (uint32_t)r->nattrs++;
}

/* Drops attribute sets no route refers to and renumbers the rest. */
static void compact(struct bgp_ribout *r)
{
	if (r->nattrs == 0)
		return;
	uint32_t *map = xcalloc(r->nattrs, sizeof(*map));
	for (size_t i = 0; i < r->nwant; i++)
		map[r->want[i].attrs] = 1;
	for (size_t i = 0; i < r->nadv; i++)
		map[r->adv[i].attrs] = 1;
	size_t kept = 0;
	for (size_t i = 0; i < r->nattrs; i++) {
		if (!map[i]) {
			attrs_release(&r->attrs[i]);
			continue;
		}
		r->attrs[kept] = r->attrs[i];
		map[i] = (uint32_t)kept++;
	}
	for (size_t i = 0; i < r->nwant; i++)
		r->want[i].attrs = map[r->want[i].attrs];
	for (size_t i = 0; i < r->nadv; i++)
		r->adv[i].attrs = map[r->adv[i].attrs];
	r->nattrs = kept;
	free(map);
}

/* --- wanted routes ------------------------------------------------------------------------------ */

/* Family first, then address, then length: IPv4 sorts before IPv6. */
static int prefix_cmp(const ip_prefix *a, const ip_prefix *b)
{
	if (a->addr.family != b->addr.family)
		return a->addr.family < b->addr.family ? -1 : 1;
	int c = memcmp(a->addr.bytes, b->addr.bytes, sizeof(a->addr.bytes));
	if (c != 0)
		return c;
	return a->len == b->len ? 0 : (a->len < b->len ? -1 : 1);
}

/* A wanted route with its position in the caller's list, so duplicates keep the last one. */
struct keyed {
	struct ribout_entry e;
	size_t pos;
};

static int keyed_cmp(const void *x, const void *y)
{
	const struct keyed *a = x, *b = y;
	int c = prefix_cmp(&a->e.prefix, &b->e.prefix);
	if (c != 0)
		return c;
	return a->pos < b->pos ? -1 : (a->pos > b->pos);
}

void bgp_ribout_set(struct bgp_ribout *r, const struct bgp_route *routes, size_t n)
{
	struct keyed *k = n ? xreallocarray(NULL, n, sizeof(*k)) : NULL;
	size_t nk = 0;
	const struct bgp_route_attrs *last = NULL;
	uint32_t last_idx = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t fam = routes[i].prefix.addr.family;
		if (fam != IP_V4 && fam != IP_V6)
			continue;
		/* Callers usually share one attribute set among many routes. */
		if (nk == 0 || routes[i].attrs != last) {
			last = routes[i].attrs;
			last_idx = intern(r, last);
		}
		k[nk].e.prefix = routes[i].prefix;
		k[nk].e.attrs = last_idx;
		k[nk].pos = i;
		nk++;
	}
	if (nk > 0)
		qsort(k, nk, sizeof(*k), keyed_cmp);
	free(r->want);
	r->want = nk ? xreallocarray(NULL, nk, sizeof(*r->want)) : NULL;
	r->nwant = 0;
	for (size_t i = 0; i < nk; i++) {
		if (i + 1 < nk && prefix_cmp(&k[i].e.prefix, &k[i + 1].e.prefix) == 0)
			continue;   /* a later duplicate follows */
		r->want[r->nwant++] = k[i].e;
	}
	free(k);
	compact(r);
}

void bgp_ribout_reset(struct bgp_ribout *r)
{
	free(r->adv);
	r->adv = NULL;
	r->nadv = 0;
	compact(r);
}

size_t bgp_ribout_advertised(const struct bgp_ribout *r)
{
	return r->nadv;
}

/* --- emitting ----------------------------------------------------------------------------------- */

static enum bgp_family family_of(const ip_prefix *p)
{
	return p->addr.family == IP_V6 ? BGP_FAM_IPV6_UNICAST : BGP_FAM_IPV4_UNICAST;
}

static bool family_on(uint8_t families, const ip_prefix *p)
{
	return (families & BGP_FAM_BIT(family_of(p))) != 0;
}

size_t bgp_ribout_pending(const struct bgp_ribout *r)
{
	/* The merge of bgp_ribout_sync(), counting instead of emitting. */
	size_t n = 0, i = 0, j = 0;
	while (i < r->nadv || j < r->nwant) {
		if (j < r->nwant && !family_on(r->families, &r->want[j].prefix)) {
			j++;
			continue;
		}
		int c = i >= r->nadv ? 1 : j >= r->nwant ? -1
							 : prefix_cmp(&r->adv[i].prefix, &r->want[j].prefix);
		if (c < 0) {
			n++;
			i++;
		} else if (c > 0) {
			n++;
			j++;
		} else {
			n += r->adv[i++].attrs != r->want[j++].attrs;
		}
	}
	return n;
}

/* RFC 4271 §5.1: the attributes around one route for this session. */
/* *gshut receives an array the caller frees (NULL when none was needed). */
static void build_attrs(const struct bgp_ribout_ctx *ctx, const struct bgp_route_attrs *ra,
			struct bgp_attrs *a, struct bgp_as_segment *seg, uint32_t *asn,
			uint32_t **gshut)
{
	memset(a, 0, sizeof(*a));
	*gshut = NULL;
	/* §5.1.1 ORIGIN IGP; §5.1.2 AS_PATH empty to internal peers, our AS to external ones. */
	a->present = BGP_ATTR_BIT(BGP_ATTR_ORIGIN) | BGP_ATTR_BIT(BGP_ATTR_AS_PATH);
	a->origin = BGP_ORIGIN_IGP;
	if (!ctx->opts.ibgp) {
		*asn = ctx->local_as;
		seg->type = BGP_AS_SEQUENCE;
		seg->count = 1;
		seg->asns = asn;
		a->aspath = seg;
		a->aspath_len = 1;
	}
	/* §5.1.5: LOCAL_PREF to internal peers only. */
	if (ctx->opts.ibgp) {
		a->present |= BGP_ATTR_BIT(BGP_ATTR_LOCAL_PREF);
		a->local_pref = ra->has_local_pref ? ra->local_pref : 100;
	}
	if (ra->has_med) {
		a->present |= BGP_ATTR_BIT(BGP_ATTR_MED);
		a->med = ra->med;
	}
	a->next_hop = ctx->next_hop_v4;
	/* The encoder only reads these. */
	a->communities = (uint32_t *)ra->communities;
	a->ncommunities = ra->ncommunities;
	if (ctx->graceful_shutdown) {
		/* RFC 8326 §3: the routes go out again with GRACEFUL_SHUTDOWN added (once). */
		bool has = false;
		for (size_t i = 0; i < ra->ncommunities; i++)
			has |= ra->communities[i] == BGP_COMMUNITY_GRACEFUL_SHUTDOWN;
		if (!has) {
			*gshut = xreallocarray(NULL, ra->ncommunities + 1, sizeof(uint32_t));
			if (ra->ncommunities)
				memcpy(*gshut, ra->communities, ra->ncommunities * sizeof(uint32_t));
			(*gshut)[ra->ncommunities] = BGP_COMMUNITY_GRACEFUL_SHUTDOWN;
			a->communities = *gshut;
			a->ncommunities = ra->ncommunities + 1;
		}
	}
	a->ext_communities = (uint64_t *)ra->ext_communities;
	a->next_communities = ra->next_communities;
	a->large_communities = (struct bgp_large_community *)ra->large_communities;
	a->nlarge_communities = ra->nlarge_communities;
}

/* Packs prefixes[0..n) (one family) into UPDATEs; returns how many messages. */
static size_t emit_run(const struct bgp_ribout_ctx *ctx, enum bgp_family fam, bool withdraw,
		       const struct bgp_attrs *attrs, const ip_prefix *prefixes, size_t n,
		       bgp_emit_fn emit, void *arg)
{
	struct bgp_pack p = {
		.family = fam, .withdraw = withdraw, .attrs = attrs, .prefixes = prefixes, .n = n,
		.next_hop = ctx->next_hop_v6, .next_hop_ll = ctx->next_hop_v6_ll,
	};
	size_t msgs = 0;
	while (p.n > 0) {
		uint8_t buf[BGP_MAX_MSG_LEN];
		wbuf w = wbuf_make(buf, sizeof(buf));
		size_t k = bgp_update_pack(&w, &ctx->opts, &p);
		if (k == 0)
			break;   /* attributes larger than a message: nothing can carry them */
		emit(arg, buf, wbuf_len(&w));
		msgs++;
		p.prefixes += k;
		p.n -= k;
	}
	return msgs;
}

static int family_attrs_prefix_cmp(const void *x, const void *y)
{
	const struct ribout_entry *a = x, *b = y;
	enum bgp_family fa = family_of(&a->prefix), fb = family_of(&b->prefix);
	if (fa != fb)
		return fa < fb ? -1 : 1;
	if (a->attrs != b->attrs)
		return a->attrs < b->attrs ? -1 : 1;
	return prefix_cmp(&a->prefix, &b->prefix);
}

/* Announces the entries, sorted here into runs of one family and one attribute set. */
static size_t announce(struct bgp_ribout *r, const struct bgp_ribout_ctx *ctx,
		       struct ribout_entry *e, size_t n, bgp_emit_fn emit, void *arg)
{
	if (n > 0)
		qsort(e, n, sizeof(*e), family_attrs_prefix_cmp);
	ip_prefix *run = n ? xreallocarray(NULL, n, sizeof(*run)) : NULL;
	size_t msgs = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && e[j].attrs == e[i].attrs &&
		       family_of(&e[j].prefix) == family_of(&e[i].prefix)) {
			run[j - i] = e[j].prefix;
			j++;
		}
		struct bgp_attrs a;
		struct bgp_as_segment seg;
		uint32_t asn;
		uint32_t *gshut = NULL;
		build_attrs(ctx, &r->attrs[e[i].attrs], &a, &seg, &asn, &gshut);
		msgs += emit_run(ctx, family_of(&e[i].prefix), false, &a, run, j - i, emit, arg);
		free(gshut);
		i = j;
	}
	free(run);
	return msgs;
}

size_t bgp_ribout_sync(struct bgp_ribout *r, const struct bgp_ribout_ctx *ctx, bgp_emit_fn emit,
		       void *arg)
{
	r->families = ctx->families;
	size_t cap = r->nadv + r->nwant;
	ip_prefix *wd = cap ? xreallocarray(NULL, cap, sizeof(*wd)) : NULL;
	struct ribout_entry *ann = cap ? xreallocarray(NULL, cap, sizeof(*ann)) : NULL;
	struct ribout_entry *adv = cap ? xreallocarray(NULL, cap, sizeof(*adv)) : NULL;
	size_t nwd = 0, nann = 0, nadv = 0;
	size_t i = 0, j = 0;
	/* Merge the two sorted lists (§9.2: only the difference is sent). */
	while (i < r->nadv || j < r->nwant) {
		if (j < r->nwant && !family_on(ctx->families, &r->want[j].prefix)) {
			j++;
			continue;
		}
		int c = i >= r->nadv ? 1 : j >= r->nwant ? -1
							 : prefix_cmp(&r->adv[i].prefix, &r->want[j].prefix);
		if (c < 0) {
			wd[nwd++] = r->adv[i++].prefix;
		} else if (c > 0) {
			ann[nann++] = r->want[j];
			adv[nadv++] = r->want[j++];
		} else {
			/* §3.1: a new announcement of a prefix replaces the old one. */
			if (r->adv[i].attrs != r->want[j].attrs)
				ann[nann++] = r->want[j];
			adv[nadv++] = r->want[j++];
			i++;
		}
	}
	size_t msgs = 0;
	/* Withdrawals first (wd is sorted: IPv4, then IPv6). */
	size_t split = 0;
	while (split < nwd && wd[split].addr.family == IP_V4)
		split++;
	msgs += emit_run(ctx, BGP_FAM_IPV4_UNICAST, true, NULL, wd, split, emit, arg);
	msgs += emit_run(ctx, BGP_FAM_IPV6_UNICAST, true, NULL, wd ? wd + split : NULL, nwd - split,
			 emit, arg);   /* wd is NULL when there is nothing at all */
	msgs += announce(r, ctx, ann, nann, emit, arg);
	free(wd);
	free(ann);
	free(r->adv);
	r->adv = adv;
	r->nadv = nadv;
	compact(r);
	return msgs;
}

size_t bgp_ribout_refresh(struct bgp_ribout *r, const struct bgp_ribout_ctx *ctx,
			  enum bgp_family family, bgp_emit_fn emit, void *arg)
{
	/* RFC 2918 §4: re-advertise the Adj-RIB-Out of that family. */
	struct ribout_entry *e = r->nadv ? xreallocarray(NULL, r->nadv, sizeof(*e)) : NULL;
	size_t n = 0;
	for (size_t i = 0; i < r->nadv; i++)
		if (family_of(&r->adv[i].prefix) == family)
			e[n++] = r->adv[i];
	size_t msgs = announce(r, ctx, e, n, emit, arg);
	free(e);
	return msgs;
}
