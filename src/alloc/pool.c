/*
 * Pools: free space, avoidBuggyIPs and capacity, without ever enumerating addresses.
 *
 * Each range of a pool keeps its free addresses as intervals. With avoidBuggyIPs, the IPv4
 * addresses ending in .0 and .255 are never handed out (MetalLB ipConfusesBuggyFirmwares); they
 * may sit inside a free interval, but every interval starts and ends on a usable address, so the
 * lowest free address is always the first interval's start. A run of buggy addresses is at most
 * two long (x.255, x+1.0), so trimming an end is a step or two.
 */
#include "alloc/alloc_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"

bool pool_usable(const struct apool *p, enum ip_family family, u128 v)
{
	return !(p->avoid_buggy && u128_is_buggy(family, v));
}

/* Number of x in [0, n] with x % 256 == r. */
static u128 count_mod(u128 n, unsigned r)
{
	return n >= r ? (n - r) / 256 + 1 : 0;
}

static u128 buggy_in(u128 lo, u128 hi)
{
	u128 c = count_mod(hi, 0) + count_mod(hi, 255);
	if (lo > 0)
		c -= count_mod(lo - 1, 0) + count_mod(lo - 1, 255);
	return c;
}

/* Adds [lo, hi] to the free set of range r, trimmed to usable ends. */
static void add_free(struct apool *p, struct prange *r, u128 lo, u128 hi)
{
	while (lo <= hi && !pool_usable(p, r->family, lo)) {
		if (lo == hi)
			return;
		lo++;
	}
	while (hi > lo && !pool_usable(p, r->family, hi))
		hi--;
	if (lo <= hi && pool_usable(p, r->family, lo))
		ivtree_insert(&r->free, lo, hi);
}

/* a + b, capped at INT64_MAX (IPAddressPool status counters are int64). */
static uint64_t add_capped(uint64_t a, uint64_t b)
{
	return b >= (uint64_t)INT64_MAX - a ? (uint64_t)INT64_MAX : a + b;
}

void pool_build(struct apool *p, const struct cfg_pool *cfg)
{
	memset(p, 0, sizeof(*p));
	p->name = xstrdup(cfg->meta.name ? cfg->meta.name : "");
	p->cfg = cfg;
	p->auto_assign = cfg->auto_assign;
	p->avoid_buggy = cfg->avoid_buggy_ips;
	p->nranges = cfg->naddrs;
	p->ranges = xcalloc(cfg->naddrs ? cfg->naddrs : 1, sizeof(*p->ranges));
	for (size_t i = 0; i < cfg->naddrs; i++) {
		struct prange *r = &p->ranges[i];
		const ip_range *src = &cfg->addrs[i].range;
		r->family = src->first.family;
		r->lo = u128_from_addr(&src->first);
		r->hi = u128_from_addr(&src->last);
		ivtree_init(&r->free);
		add_free(p, r, r->lo, r->hi);
		u128 size = r->hi - r->lo;   /* + 1 below, saturating for ::/0 */
		size = size == U128_MAX ? size : size + 1;
		if (p->avoid_buggy && r->family == IP_V4)
			size -= buggy_in(r->lo, r->hi);
		uint64_t *cap = r->family == IP_V4 ? &p->capacity_v4 : &p->capacity_v6;
		*cap = add_capped(*cap, u128_sat64(size));
	}
}

void pool_destroy(struct apool *p)
{
	for (size_t i = 0; i < p->nranges; i++)
		ivtree_clear(&p->ranges[i].free);
	free(p->ranges);
	free(p->name);
	memset(p, 0, sizeof(*p));
}

bool pool_lowest_free(const struct apool *p, size_t r, u128 *out)
{
	const struct ivnode *n = ivtree_first(&p->ranges[r].free);
	if (!n)
		return false;
	*out = n->lo;
	return true;
}

void pool_take(struct apool *p, size_t ri, u128 v)
{
	struct prange *r = &p->ranges[ri];
	struct ivnode *n = ivtree_floor(&r->free, v);
	if (!n || n->hi < v || !pool_usable(p, r->family, v))
		log_fatal("alloc", "taking an address that is not free", "pool=%s", p->name);
	u128 lo = n->lo, hi = n->hi;
	bool has_left = false, has_right = false;
	u128 left_hi = 0, right_lo = 0;
	if (v > lo) {
		left_hi = v - 1;
		while (left_hi > lo && !pool_usable(p, r->family, left_hi))
			left_hi--;
		has_left = pool_usable(p, r->family, left_hi);
	}
	if (v < hi) {
		right_lo = v + 1;
		while (right_lo < hi && !pool_usable(p, r->family, right_lo))
			right_lo++;
		has_right = pool_usable(p, r->family, right_lo);
	}
	/* Edit in place where the order allows it; at most one insertion. */
	if (has_left) {
		n->hi = left_hi;
		if (has_right)
			ivtree_insert(&r->free, right_lo, hi);
	} else if (has_right) {
		n->lo = right_lo;
	} else {
		ivtree_remove(&r->free, lo);
	}
	if (r->family == IP_V4)
		p->used_v4++;
	else
		p->used_v6++;
}

/* Whether the addresses strictly between a and b (a < b) are all unusable (or there are none). */
static bool gap_unusable(const struct apool *p, enum ip_family family, u128 a, u128 b)
{
	if (b - a <= 1)
		return true;
	if (b - a > 3)
		return false;
	for (u128 x = a + 1; x < b; x++) {
		if (pool_usable(p, family, x))
			return false;
	}
	return true;
}

void pool_put(struct apool *p, size_t ri, u128 v)
{
	struct prange *r = &p->ranges[ri];
	struct ivnode *prev = ivtree_floor(&r->free, v);
	struct ivnode *next = ivtree_above(&r->free, v);
	if (prev && prev->hi >= v)
		log_fatal("alloc", "returning an address that is already free", "pool=%s", p->name);
	bool join_prev = prev && gap_unusable(p, r->family, prev->hi, v);
	bool join_next = next && gap_unusable(p, r->family, v, next->lo);
	if (join_prev && join_next) {
		u128 next_hi = next->hi;
		ivtree_remove(&r->free, next->lo);   /* frees next only; prev stays where it is */
		prev->hi = next_hi;
	} else if (join_prev) {
		prev->hi = v;
	} else if (join_next) {
		next->lo = v;
	} else {
		ivtree_insert(&r->free, v, v);
	}
	if (r->family == IP_V4)
		p->used_v4--;
	else
		p->used_v6--;
}

static int ref_cmp(const void *x, const void *y)
{
	const struct range_ref *a = x, *b = y;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return 0;
}

void pool_index_build(struct alloc *a)
{
	free(a->index);
	size_t n = 0;
	for (size_t i = 0; i < a->npools; i++)
		n += a->pools[i].nranges;
	a->index = xcalloc(n ? n : 1, sizeof(*a->index));
	a->nindex = 0;
	for (size_t i = 0; i < a->npools; i++) {
		for (size_t j = 0; j < a->pools[i].nranges; j++) {
			const struct prange *r = &a->pools[i].ranges[j];
			a->index[a->nindex++] = (struct range_ref){
				.family = r->family, .lo = r->lo, .hi = r->hi,
				.pool = &a->pools[i], .range = j,
			};
		}
	}
	qsort(a->index, a->nindex, sizeof(*a->index), ref_cmp);
}

bool pool_find(const struct alloc *a, const ip_addr *addr, struct apool **pool, size_t *range)
{
	if (addr->family != IP_V4 && addr->family != IP_V6)
		return false;
	enum ip_family family = addr->family;
	u128 v = u128_from_addr(addr);
	/* Last range of this family with lo <= v. Pools never overlap (config validation). */
	size_t lo = 0, hi = a->nindex;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct range_ref *r = &a->index[mid];
		if (r->family < family || (r->family == family && r->lo <= v))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return false;
	const struct range_ref *r = &a->index[lo - 1];
	if (r->family != family || v > r->hi || !pool_usable(r->pool, family, v))
		return false;
	*pool = r->pool;
	*range = r->range;
	return true;
}
