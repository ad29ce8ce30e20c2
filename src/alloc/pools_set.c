/*
 * Installing a new set of pools (MetalLB Allocator.SetPools). Every assignment whose addresses are
 * still allowed by one pool is kept, re-homed to that pool if its name changed; the rest are
 * released and reported, so the controller can emit ClearAssignment and allocate again. The free
 * space of the new pools is rebuilt from the kept assignments, so a pool that grows keeps every
 * address where it was.
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

void alloc_set_pools(struct alloc *a, const struct cfg_model *model, struct alloc_keys *cleared)
{
	if (cleared) {
		cleared->v = NULL;
		cleared->n = 0;
	}
	/* Every Service record (assigned or pending), before the maps change. */
	struct asvc **svcs = xcalloc(a->services.n ? a->services.n : 1, sizeof(*svcs));
	size_t nsvcs = 0, it = 0;
	const struct hmap_slot *slot;
	while (hmap_next(&a->services, &it, &slot))
		svcs[nsvcs++] = slot->value;

	state_drop_all_ips(a);
	for (size_t i = 0; i < a->npools; i++)
		pool_destroy(&a->pools[i]);
	free(a->pools);

	size_t npools = model ? model->npools : 0;
	a->pools = xcalloc(npools ? npools : 1, sizeof(*a->pools));
	a->npools = npools;
	for (size_t i = 0; i < npools; i++)
		pool_build(&a->pools[i], &model->pools[i]);
	qsort(a->pools, a->npools, sizeof(*a->pools), pool_name_cmp);
	pool_index_build(a);

	for (size_t i = 0; i < nsvcs; i++) {
		struct asvc *s = svcs[i];
		size_t n = s->nips;
		ip_addr ips[2];
		memcpy(ips, s->ips, n * sizeof(*ips));
		s->nips = 0;       /* the address entries are gone already */
		s->pool = NULL;
		if (n == 0)
			continue;
		struct apool *pool = NULL;
		bool ok = true;
		for (size_t j = 0; j < n && ok; j++) {
			struct apool *p = NULL;
			size_t r;
			ok = pool_find(a, &ips[j], &p, &r) && (!pool || p == pool);
			if (ok)
				pool = p;
		}
		if (ok) {
			state_assign(a, s, pool, ips, n, s->ports, s->nports, s->sharing, s->backend);
			continue;
		}
		if (cleared) {
			cleared->v = xreallocarray(cleared->v, cleared->n + 1, sizeof(*cleared->v));
			cleared->v[cleared->n++] = xstrdup(s->key);
		}
		svc_maybe_drop(a, s);
	}
	free(svcs);
}
