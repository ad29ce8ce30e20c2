/* The model's memory: appending objects, owned lists, freeing, canonical ordering. */
#include "config/model.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

void *cfg_grow(void *array, size_t n, size_t elem)
{
	return xgrow(array, n, elem);
}

#define MODEL_ADD(fn, type, arr, count)                                  \
	type *fn(struct cfg_model *m)                                    \
	{                                                                \
		m->arr = cfg_grow(m->arr, m->count, sizeof(*m->arr));    \
		type *obj = &m->arr[m->count++];                         \
		memset(obj, 0, sizeof(*obj));                            \
		return obj;                                              \
	}

MODEL_ADD(model_add_pool, struct cfg_pool, pools, npools)
MODEL_ADD(model_add_peer, struct cfg_peer, peers, npeers)
MODEL_ADD(model_add_bgp_adv, struct cfg_bgp_adv, bgp_advs, nbgp_advs)
MODEL_ADD(model_add_l2_adv, struct cfg_l2_adv, l2_advs, nl2_advs)
MODEL_ADD(model_add_community_set, struct cfg_community_set, communities, ncommunities)
MODEL_ADD(model_add_bfd, struct cfg_bfd, bfds, nbfds)
MODEL_ADD(model_add_secret, struct cfg_secret, secrets, nsecrets)

struct cfg_model *model_new(void)
{
	return XNEW(struct cfg_model);
}

void strings_push(struct cfg_strings *s, const char *value)
{
	s->v = cfg_grow(s->v, s->n, sizeof(*s->v));
	s->v[s->n++] = xstrdup(value);
}

void strings_free(struct cfg_strings *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

bool strings_contains(const struct cfg_strings *s, const char *value)
{
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->v[i], value) == 0)
			return true;
	}
	return false;
}

void labels_set(struct cfg_labels *l, const char *key, const char *value)
{
	size_t at = 0;
	while (at < l->n) {
		int c = strcmp(l->v[at].key, key);
		if (c == 0) {
			free(l->v[at].value);
			l->v[at].value = xstrdup(value);
			return;
		}
		if (c > 0)
			break;
		at++;
	}
	l->v = cfg_grow(l->v, l->n, sizeof(*l->v));
	memmove(&l->v[at + 1], &l->v[at], (l->n - at) * sizeof(*l->v));
	l->v[at].key = xstrdup(key);
	l->v[at].value = xstrdup(value);
	l->n++;
}

void labels_free(struct cfg_labels *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].value);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

struct cfg_selector *selectors_add(struct cfg_selectors *sels)
{
	sels->v = cfg_grow(sels->v, sels->n, sizeof(*sels->v));
	struct cfg_selector *sel = &sels->v[sels->n++];
	memset(sel, 0, sizeof(*sel));
	return sel;
}

struct cfg_sel_expr *selector_add_expr(struct cfg_selector *sel)
{
	sel->exprs = cfg_grow(sel->exprs, sel->nexprs, sizeof(*sel->exprs));
	struct cfg_sel_expr *e = &sel->exprs[sel->nexprs++];
	memset(e, 0, sizeof(*e));
	return e;
}

void selector_free(struct cfg_selector *sel)
{
	labels_free(&sel->match_labels);
	for (size_t i = 0; i < sel->nexprs; i++) {
		free(sel->exprs[i].key);
		strings_free(&sel->exprs[i].values);
	}
	free(sel->exprs);
	sel->exprs = NULL;
	sel->nexprs = 0;
}

void selectors_free(struct cfg_selectors *sels)
{
	for (size_t i = 0; i < sels->n; i++)
		selector_free(&sels->v[i]);
	free(sels->v);
	sels->v = NULL;
	sels->n = 0;
}

void meta_free(struct cfg_meta *meta)
{
	free(meta->name);
	free(meta->namespace);
	labels_free(&meta->labels);
	free(meta->origin.file);
}

static void pool_free(struct cfg_pool *p)
{
	meta_free(&p->meta);
	free(p->addrs);
	strings_free(&p->namespaces);
	selectors_free(&p->namespace_selectors);
	selectors_free(&p->service_selectors);
}

static void peer_free(struct cfg_peer *p)
{
	meta_free(&p->meta);
	free(p->iface);
	selectors_free(&p->node_selectors);
	free(p->password);
	free(p->password_secret);
	free(p->password_secret_namespace);
	free(p->bfd_profile);
	free(p->vrf);
}

static void bgp_adv_free(struct cfg_bgp_adv *a)
{
	meta_free(&a->meta);
	strings_free(&a->communities);
	free(a->community_values);
	strings_free(&a->pools);
	selectors_free(&a->pool_selectors);
	selectors_free(&a->node_selectors);
	strings_free(&a->peers);
	selectors_free(&a->service_selectors);
}

static void l2_adv_free(struct cfg_l2_adv *a)
{
	meta_free(&a->meta);
	strings_free(&a->pools);
	selectors_free(&a->pool_selectors);
	selectors_free(&a->node_selectors);
	strings_free(&a->interfaces);
	selectors_free(&a->service_selectors);
	for (size_t i = 0; i < a->npreferred; i++)
		selector_free(&a->preferred[i].preference);
	free(a->preferred);
}

static void community_set_free(struct cfg_community_set *c)
{
	meta_free(&c->meta);
	for (size_t i = 0; i < c->naliases; i++) {
		free(c->aliases[i].name);
		free(c->aliases[i].value);
	}
	free(c->aliases);
}

static void secret_free(struct cfg_secret *s)
{
	meta_free(&s->meta);
	free(s->type);
	if (s->password)
		memset(s->password, 0, strlen(s->password));
	free(s->password);
}

void model_free(struct cfg_model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->npools; i++)
		pool_free(&m->pools[i]);
	for (size_t i = 0; i < m->npeers; i++)
		peer_free(&m->peers[i]);
	for (size_t i = 0; i < m->nbgp_advs; i++)
		bgp_adv_free(&m->bgp_advs[i]);
	for (size_t i = 0; i < m->nl2_advs; i++)
		l2_adv_free(&m->l2_advs[i]);
	for (size_t i = 0; i < m->ncommunities; i++)
		community_set_free(&m->communities[i]);
	for (size_t i = 0; i < m->nbfds; i++)
		meta_free(&m->bfds[i].meta);
	for (size_t i = 0; i < m->nsecrets; i++)
		secret_free(&m->secrets[i]);
	free(m->pools);
	free(m->peers);
	free(m->bgp_advs);
	free(m->l2_advs);
	free(m->communities);
	free(m->bfds);
	free(m->secrets);
	free(m);
}

/* Every object struct starts with its cfg_meta, so one comparator sorts them all by name. */
static int by_name(const void *a, const void *b)
{
	const struct cfg_meta *ma = a, *mb = b;
	const char *na = ma->name ? ma->name : "", *nb = mb->name ? mb->name : "";
	return strcmp(na, nb);
}

static void sort_by_name(void *base, size_t n, size_t size)
{
	if (n > 1)
		qsort(base, n, size, by_name);
}

void model_sort(struct cfg_model *m)
{
	sort_by_name(m->pools, m->npools, sizeof(*m->pools));
	sort_by_name(m->peers, m->npeers, sizeof(*m->peers));
	sort_by_name(m->bgp_advs, m->nbgp_advs, sizeof(*m->bgp_advs));
	sort_by_name(m->l2_advs, m->nl2_advs, sizeof(*m->l2_advs));
	sort_by_name(m->communities, m->ncommunities, sizeof(*m->communities));
	sort_by_name(m->bfds, m->nbfds, sizeof(*m->bfds));
	sort_by_name(m->secrets, m->nsecrets, sizeof(*m->secrets));
}
