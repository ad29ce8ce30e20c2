/*
 * The indexed view of the inputs the decisions share: Nodes and live speakers sorted by name for
 * lookup, node exclusion (NetworkUnavailable=True; the exclude-from-external-load-balancers label,
 * whatever its value, as MetalLB's IsNodeExcludedFromBalancers), each Service's serving nodes,
 * and the pool a Service IP belongs to.
 */
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "speaker/speaker_int.h"

void *spk_grow(void *array, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return array;
	*cap = *cap ? *cap * 2 : 8;
	return xreallocarray(array, *cap, elem);
}

void spk_sort(void *array, size_t n, size_t elem, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(array, n, elem, cmp);
}

static int labels_cmp(const struct cfg_labels *a, const struct cfg_labels *b)
{
	for (size_t i = 0; i < a->n && i < b->n; i++) {
		int c = strcmp(a->v[i].key, b->v[i].key);
		if (!c)
			c = strcmp(a->v[i].value, b->v[i].value);
		if (c)
			return c;
	}
	return (a->n > b->n) - (a->n < b->n);
}

/* By name; Node names are unique in a cluster, but should the inputs repeat one, the rest of the
 * order still makes the pick independent of input order. */
static int node_cmp(const void *pa, const void *pb)
{
	const struct spk_node *a = *(const struct spk_node *const *)pa;
	const struct spk_node *b = *(const struct spk_node *const *)pb;
	int c = strcmp(a->name, b->name);
	if (c)
		return c;
	if (a->network_unavailable != b->network_unavailable)
		return a->network_unavailable ? -1 : 1;
	return labels_cmp(&a->labels, &b->labels);
}

static int name_cmp(const void *pa, const void *pb)
{
	return strcmp(*(const char *const *)pa, *(const char *const *)pb);
}

void spk_ctx_init(struct spk_ctx *c, const struct spk_inputs *in)
{
	memset(c, 0, sizeof(*c));
	c->in = in;
	if (in->nnodes) {
		c->nodes = xcalloc(in->nnodes, sizeof(*c->nodes));
		for (size_t i = 0; i < in->nnodes; i++)
			c->nodes[i] = &in->nodes[i];
		qsort(c->nodes, in->nnodes, sizeof(*c->nodes), node_cmp);
		for (size_t i = 0; i < in->nnodes; i++) {
			if (c->nnodes && strcmp(c->nodes[c->nnodes - 1]->name, c->nodes[i]->name) == 0)
				continue;
			c->nodes[c->nnodes++] = c->nodes[i];
		}
	}
	if (in->nlive) {
		c->live = xcalloc(in->nlive, sizeof(*c->live));
		memcpy(c->live, in->live, in->nlive * sizeof(*c->live));
		qsort(c->live, in->nlive, sizeof(*c->live), name_cmp);
		for (size_t i = 0; i < in->nlive; i++) {
			if (c->nlive && strcmp(c->live[c->nlive - 1], c->live[i]) == 0)
				continue;
			c->live[c->nlive++] = c->live[i];
		}
	}
	if (c->nnodes)
		c->eligible = xcalloc(c->nnodes, sizeof(*c->eligible));
	for (size_t i = 0; i < c->nnodes; i++) {
		if (spk_ctx_live(c, c->nodes[i]->name) && !spk_ctx_excluded(c, c->nodes[i]))
			c->eligible[c->neligible++] = c->nodes[i];
	}
	c->self = in->node_name ? spk_ctx_node(c, in->node_name) : NULL;
	c->self_eligible = c->self && !spk_ctx_excluded(c, c->self);
	if (in->nservices) {
		c->serving = xcalloc(in->nservices, sizeof(*c->serving));
		for (size_t i = 0; i < in->nservices; i++)
			spk_serving_compute(&in->services[i], &c->serving[i]);
	}
}

void spk_ctx_free(struct spk_ctx *c)
{
	for (size_t i = 0; c->serving && i < c->in->nservices; i++)
		spk_serving_free(&c->serving[i]);
	free(c->serving);
	free(c->nodes);
	free(c->eligible);
	free(c->live);
	memset(c, 0, sizeof(*c));
}

const struct spk_node *spk_ctx_node(const struct spk_ctx *c, const char *name)
{
	size_t lo = 0, hi = c->nnodes;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(name, c->nodes[mid]->name);
		if (r == 0)
			return c->nodes[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

bool spk_ctx_live(const struct spk_ctx *c, const char *name)
{
	if (c->in->all_live)
		return spk_ctx_node(c, name) != NULL;
	return c->nlive && bsearch(&name, c->live, c->nlive, sizeof(*c->live), name_cmp);
}

bool spk_ctx_excluded(const struct spk_ctx *c, const struct spk_node *n)
{
	if (n->network_unavailable)
		return true;
	return !c->in->ignore_exclude_lb && labels_get(&n->labels, SPK_LABEL_EXCLUDE_LB) != NULL;
}

static bool pool_holds(const struct cfg_pool *p, const ip_addr *ip)
{
	for (size_t i = 0; i < p->naddrs; i++) {
		if (ip_range_contains(&p->addrs[i].range, ip))
			return true;
	}
	return false;
}

const struct cfg_pool *spk_pool_for(const struct cfg_model *m, const struct spk_service *svc,
				    const ip_addr *ip)
{
	if (svc->pool) {
		for (size_t i = 0; i < m->npools; i++) {
			if (strcmp(m->pools[i].meta.name, svc->pool) == 0 && pool_holds(&m->pools[i], ip))
				return &m->pools[i];
		}
	}
	for (size_t i = 0; i < m->npools; i++) {
		if (pool_holds(&m->pools[i], ip))
			return &m->pools[i];
	}
	return NULL;
}
