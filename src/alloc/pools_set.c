/*
 * Installing a new set of pools (MetalLB Allocator.SetPools). Every assignment whose addresses are
 * still allowed by one pool is kept, re-homed to that pool if its name changed; the rest are
 * released and reported, so the controller can emit ClearAssignment and allocate again.
 *
 * The address entries stay where they are: each is pointed at its new pool and taken out of that
 * pool's free space, so a pool that grows keeps every address where it was, and a reload costs
 * no more than a walk over the addresses in use.
 */
#include "alloc/alloc_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

static int pool_name_cmp(const void *x, const void *y)
{
	const struct apool *a = x, *b = y;
	return strcmp(a->name, b->name);
}

static int key_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The one new pool holding every address of s, or NULL. */
static struct apool *home_of(const struct alloc *a, const struct asvc *s)
{
	struct apool *pool = NULL;
	for (size_t i = 0; i < s->nips; i++) {
		const struct ipent *e = ipent_get(a, &s->ips[i]);
		if (!e->pool || (pool && e->pool != pool))
			return NULL;
		pool = e->pool;
	}
	return pool;
}

void alloc_set_pools(struct alloc *a, const struct cfg_model *model, struct alloc_keys *cleared)
{
	struct alloc_keys gone = { 0 };
	struct apool *old = a->pools;
	size_t nold = a->npools;

	size_t npools = model ? model->npools : 0;
	a->pools = xcalloc(npools ? npools : 1, sizeof(*a->pools));
	a->npools = npools;
	for (size_t i = 0; i < npools; i++)
		pool_build(&a->pools[i], &model->pools[i]);
	qsort(a->pools, a->npools, sizeof(*a->pools), pool_name_cmp);
	pool_index_build(a);

	/* Re-home every address in use: a pool that allows it, or none. */
	size_t it = 0;
	const struct hmap_slot *slot;
	while (hmap_next(&a->ips, &it, &slot)) {
		struct ipent *e = slot->value;
		struct apool *p;
		size_t r;
		if (pool_find(a, &e->ip, &p, &r)) {
			e->pool = p;
			e->range = r;
			pool_take(p, r, e->value);
		} else {
			e->pool = NULL;
		}
	}
	for (size_t i = 0; i < nold; i++)
		pool_destroy(&old[i]);
	free(old);

	/* Services whose addresses are no longer in one pool lose them. */
	struct asvc **lost = xcalloc(a->services.n ? a->services.n : 1, sizeof(*lost));
	size_t nlost = 0;
	it = 0;
	while (hmap_next(&a->services, &it, &slot)) {
		struct asvc *s = slot->value;
		if (!s->nips)
			continue;
		s->pool = home_of(a, s);
		if (!s->pool)
			lost[nlost++] = s;
	}
	gone.v = xcalloc(nlost ? nlost : 1, sizeof(*gone.v));
	for (size_t i = 0; i < nlost; i++) {
		gone.v[gone.n++] = xstrdup(lost[i]->key);
		state_unassign(a, lost[i]);
		svc_maybe_drop(a, lost[i]);
	}
	free(lost);
	qsort(gone.v, gone.n, sizeof(*gone.v), key_cmp);
	if (cleared)
		*cleared = gone;
	else
		alloc_keys_free(&gone);
}
