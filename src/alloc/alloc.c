/*
 * The allocator object: creation, release of a Service, pending Services and read-only queries.
 * The decisions live in choose.c and sync.c, the bookkeeping in state.c and pool.c.
 */
#include "alloc/alloc_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

struct alloc *alloc_new(void)
{
	struct alloc *a = XNEW(struct alloc);
	hmap_init(&a->services);
	hmap_init(&a->ips);
	hmap_init(&a->sharing);
	return a;
}

void alloc_free(struct alloc *a)
{
	if (!a)
		return;
	state_drop_all_ips(a);
	size_t it = 0;
	const struct hmap_slot *slot;
	while (hmap_next(&a->services, &it, &slot))
		svc_record_free(slot->value);
	hmap_free(&a->services);
	for (size_t i = 0; i < a->npools; i++)
		pool_destroy(&a->pools[i]);
	free(a->pools);
	free(a->index);
	free(a);
}

void alloc_keys_free(struct alloc_keys *keys)
{
	for (size_t i = 0; i < keys->n; i++)
		free(keys->v[i]);
	free(keys->v);
	keys->v = NULL;
	keys->n = 0;
}

bool alloc_release(struct alloc *a, const char *namespace, const char *name)
{
	char *key = xasprintf("%s/%s", namespace, name);
	struct asvc *s = svc_get(a, key);
	free(key);
	if (!s)
		return false;
	bool held = s->nips > 0;
	state_unassign(a, s);
	svc_set_pending(a, s, false);
	svc_maybe_drop(a, s);
	return held;
}

void alloc_pending(const struct alloc *a, struct alloc_keys *out)
{
	size_t n = 0;
	for (const struct asvc *s = a->pending_head; s; s = s->pending_next)
		n++;
	out->v = xcalloc(n ? n : 1, sizeof(*out->v));
	out->n = 0;
	for (const struct asvc *s = a->pending_head; s; s = s->pending_next)
		out->v[out->n++] = xstrdup(s->key);
}

size_t alloc_service_ips(const struct alloc *a, const char *namespace, const char *name,
			 ip_addr out[2], const char **pool)
{
	char *key = xasprintf("%s/%s", namespace, name);
	const struct asvc *s = svc_get(a, key);
	free(key);
	if (pool)
		*pool = s && s->nips ? s->pool->name : NULL;
	if (!s)
		return 0;
	memcpy(out, s->ips, s->nips * sizeof(*out));
	return s->nips;
}

bool alloc_pool_counters(const struct alloc *a, const char *pool, struct alloc_pool_counters *out)
{
	for (size_t i = 0; i < a->npools; i++) {
		const struct apool *p = &a->pools[i];
		if (strcmp(p->name, pool) != 0)
			continue;
		out->assigned_v4 = p->used_v4;
		out->assigned_v6 = p->used_v6;
		out->available_v4 = p->capacity_v4 - (p->used_v4 < p->capacity_v4 ? p->used_v4
						      : p->capacity_v4);
		out->available_v6 = p->capacity_v6 == INT64_MAX ? INT64_MAX
				    : p->capacity_v6 - (p->used_v6 < p->capacity_v6 ? p->used_v6
							: p->capacity_v6);
		return true;
	}
	return false;
}
