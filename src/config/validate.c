/*
 * Cross-object validation of a decoded model, as MetalLB's config.For() and validateConfig():
 * unique names, pools that do not overlap, aggregation lengths that fit the pools, compatible
 * localPref, references to communities, BFD profiles and Secrets that exist. Every violation is
 * reported; nothing stops at the first. Also resolves advertisement communities to values.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/values.h"
#include "core/xalloc.h"

struct vctx {
	struct cfg_model *m;
	struct cfg_diags *diags;
	size_t errors;
};

static void verr(struct vctx *v, const char *kind, const struct cfg_meta *meta, const char *field,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void vwarn(struct vctx *v, const char *kind, const struct cfg_meta *meta,
		  const char *field, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void vreport(struct vctx *v, enum cfg_severity sev, const char *kind,
		    const struct cfg_meta *meta, const char *field, const char *fmt, va_list ap)
	__attribute__((format(printf, 6, 0)));

static void vreport(struct vctx *v, enum cfg_severity sev, const char *kind,
		    const struct cfg_meta *meta, const char *field, const char *fmt, va_list ap)
{
	char *reason = NULL;
	if (vasprintf(&reason, fmt, ap) < 0)
		reason = NULL;
	char object[200];
	snprintf(object, sizeof(object), "%s/%s", kind,
		 meta->name && *meta->name ? meta->name : "(unnamed)");
	cfg_diags_add(v->diags, sev, meta->origin.file, meta->origin.line, object, field, "%s",
		      reason ? reason : fmt);
	free(reason);
	if (sev == CFG_ERROR)
		v->errors++;
}

static void verr(struct vctx *v, const char *kind, const struct cfg_meta *meta, const char *field,
		 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(v, CFG_ERROR, kind, meta, field, fmt, ap);
	va_end(ap);
}

static void vwarn(struct vctx *v, const char *kind, const struct cfg_meta *meta,
		  const char *field, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(v, CFG_WARNING, kind, meta, field, fmt, ap);
	va_end(ap);
}

/* --- names ------------------------------------------------------------------------------- */

/* Every object struct begins with its cfg_meta; stride walks an array of them. */
static const struct cfg_meta *meta_at(const void *base, size_t stride, size_t i)
{
	return (const struct cfg_meta *)((const char *)base + i * stride);
}

static void unique_names(struct vctx *v, const char *kind, const void *base, size_t n,
			 size_t stride)
{
	for (size_t i = 0; i < n; i++) {
		const struct cfg_meta *mi = meta_at(base, stride, i);
		if (!mi->name || !*mi->name)
			continue;
		for (size_t j = 0; j < i; j++) {
			const struct cfg_meta *mj = meta_at(base, stride, j);
			if (mj->name && strcmp(mi->name, mj->name) == 0) {
				verr(v, kind, mi, "metadata.name", "duplicate definition of %s \"%s\"",
				     kind, mi->name);
				break;
			}
		}
	}
}

/* --- pools ------------------------------------------------------------------------------- */

static void addr_text(const struct cfg_pool_addr *a, char *buf, size_t size)
{
	ip_prefix p;
	if (a->is_cidr && ip_range_is_prefix(&a->range, &p))
		ip_prefix_format(&p, buf, size);
	else
		ip_range_format(&a->range, buf, size);
}

static void pools_overlap(struct vctx *v)
{
	const struct cfg_model *m = v->m;
	for (size_t i = 0; i < m->npools; i++) {
		const struct cfg_pool *p = &m->pools[i];
		for (size_t a = 0; a < p->naddrs; a++) {
			bool reported = false;
			for (size_t j = 0; j <= i && !reported; j++) {
				const struct cfg_pool *q = &m->pools[j];
				size_t limit = j == i ? a : q->naddrs;
				for (size_t b = 0; b < limit && !reported; b++) {
					if (!ip_range_overlaps(&p->addrs[a].range, &q->addrs[b].range))
						continue;
					char ta[IP_RANGE_STRLEN], tb[IP_RANGE_STRLEN];
					addr_text(&p->addrs[a], ta, sizeof(ta));
					addr_text(&q->addrs[b], tb, sizeof(tb));
					char field[64];
					snprintf(field, sizeof(field), "spec.addresses[%zu]", a);
					verr(v, "IPAddressPool", &p->meta, field,
					     "CIDR \"%s\" in pool \"%s\" overlaps with already defined "
					     "CIDR \"%s\" (pool \"%s\")", ta, p->meta.name, tb,
					     q->meta.name);
					reported = true;
				}
			}
		}
	}
}

static const struct cfg_pool *find_pool(const struct cfg_model *m, const char *name)
{
	for (size_t i = 0; i < m->npools; i++) {
		if (strcmp(m->pools[i].meta.name, name) == 0)
			return &m->pools[i];
	}
	return NULL;
}

/* Whether an advertisement (by its names and selectors) applies to pool. */
static bool adv_selects_pool(const struct cfg_strings *names, const struct cfg_selectors *sels,
			     const struct cfg_pool *pool)
{
	if (names->n == 0 && sels->n == 0)
		return true;  /* no pool named or selected: all pools */
	return strings_contains(names, pool->meta.name) ||
	       selectors_match(sels, &pool->meta.labels, false);
}

static void pool_refs(struct vctx *v, const char *kind, const struct cfg_meta *meta,
		      const struct cfg_strings *names)
{
	for (size_t i = 0; i < names->n; i++) {
		if (!find_pool(v->m, names->v[i])) {
			char field[64];
			snprintf(field, sizeof(field), "spec.ipAddressPools[%zu]", i);
			vwarn(v, kind, meta, field,
			      "IPAddressPool \"%s\" does not exist (ignored, as MetalLB does)",
			      names->v[i]);
		}
	}
}

/* --- communities --------------------------------------------------------------------------- */

static const struct cfg_community_alias *find_alias(const struct cfg_model *m, const char *name)
{
	for (size_t i = 0; i < m->ncommunities; i++) {
		for (size_t j = 0; j < m->communities[i].naliases; j++) {
			if (strcmp(m->communities[i].aliases[j].name, name) == 0)
				return &m->communities[i].aliases[j];
		}
	}
	return NULL;
}

static void unique_aliases(struct vctx *v)
{
	const struct cfg_model *m = v->m;
	for (size_t i = 0; i < m->ncommunities; i++) {
		const struct cfg_community_set *set = &m->communities[i];
		for (size_t j = 0; j < set->naliases; j++) {
			const struct cfg_community_alias *first = find_alias(m, set->aliases[j].name);
			if (first != &set->aliases[j]) {
				char field[64];
				snprintf(field, sizeof(field), "spec.communities[%zu].name", j);
				verr(v, "Community", &set->meta, field,
				     "duplicate definition of community \"%s\"", set->aliases[j].name);
			}
		}
	}
}

static int community_qsort_cmp(const void *a, const void *b)
{
	return cfg_community_cmp(a, b);
}

static void resolve_communities(struct vctx *v, struct cfg_bgp_adv *a)
{
	free(a->community_values);
	a->community_values = NULL;
	a->ncommunity_values = 0;
	for (size_t i = 0; i < a->communities.n; i++) {
		const char *ref = a->communities.v[i];
		char field[64];
		snprintf(field, sizeof(field), "spec.communities[%zu]", i);
		struct cfg_community value;
		const struct cfg_community_alias *alias = find_alias(v->m, ref);
		if (alias) {
			value = alias->community;
		} else {
			enum community_error e = cfg_community_parse(ref, &value);
			if (e == COMMUNITY_BAD_VALUE) {
				verr(v, "BGPAdvertisement", &a->meta, field,
				     "invalid community value \"%s\": each part of A:B must be in "
				     "0..65535, of large:A:B:C in 0..4294967295", ref);
				continue;
			}
			if (e == COMMUNITY_BAD_FORMAT) {
				verr(v, "BGPAdvertisement", &a->meta, field,
				     "community \"%s\" is neither A:B, large:A:B:C nor a Community "
				     "alias that exists", ref);
				continue;
			}
		}
		bool dup = false;
		for (size_t j = 0; j < a->ncommunity_values; j++)
			dup |= cfg_community_cmp(&a->community_values[j], &value) == 0;
		if (dup)
			continue;
		a->community_values = cfg_grow(a->community_values, a->ncommunity_values,
					       sizeof(*a->community_values));
		a->community_values[a->ncommunity_values++] = value;
	}
	if (a->ncommunity_values > 1)
		qsort(a->community_values, a->ncommunity_values, sizeof(*a->community_values),
		      community_qsort_cmp);
}

/* --- BGP advertisements -------------------------------------------------------------------- */

/* The shortest prefix length among the CIDRs one addresses entry summarises to. */
static unsigned lowest_mask(const ip_range *r)
{
	ip_prefix prefixes[256];
	size_t n = ip_range_to_prefixes(r, prefixes, 256);
	if (n > 256)
		n = 256;
	unsigned lowest = ip_family_bits(r->first.family);
	for (size_t i = 0; i < n; i++) {
		if (prefixes[i].len < lowest)
			lowest = prefixes[i].len;
	}
	return lowest;
}

static void aggregation_fits(struct vctx *v, const struct cfg_bgp_adv *a, const struct cfg_pool *p)
{
	for (size_t i = 0; i < p->naddrs; i++) {
		bool v6 = p->addrs[i].range.first.family == IP_V6;
		unsigned max = v6 ? a->aggregation_length_v6 : a->aggregation_length;
		unsigned lowest = lowest_mask(&p->addrs[i].range);
		if (max < lowest) {
			char text[IP_RANGE_STRLEN];
			addr_text(&p->addrs[i], text, sizeof(text));
			verr(v, "BGPAdvertisement", &a->meta,
			     v6 ? "spec.aggregationLengthV6" : "spec.aggregationLength",
			     "invalid aggregation length %u: prefix %u in pool \"%s\" is more specific "
			     "than the aggregation length for addresses %s", max, lowest,
			     p->meta.name, text);
		}
	}
}

static bool pool_has_family(const struct cfg_pool *p, enum ip_family f)
{
	for (size_t i = 0; i < p->naddrs; i++) {
		if (p->addrs[i].range.first.family == f)
			return true;
	}
	return false;
}

/* MetalLB's isAggrLengthDifferent: the two produce different prefixes for this pool. */
static bool aggregation_differs(const struct cfg_bgp_adv *a, const struct cfg_bgp_adv *b,
				const struct cfg_pool *p)
{
	bool v4 = pool_has_family(p, IP_V4), v6 = pool_has_family(p, IP_V6);
	bool d4 = a->aggregation_length != b->aggregation_length;
	bool d6 = a->aggregation_length_v6 != b->aggregation_length_v6;
	if (!v4 && !v6)
		return true;
	if (d4 && !v6)
		return true;
	if (d6 && !v4)
		return true;
	return d4 && d6;
}

static bool peers_overlap(const struct cfg_strings *a, const struct cfg_strings *b)
{
	if (a->n == 0 || b->n == 0)
		return true;
	for (size_t i = 0; i < a->n; i++) {
		if (strings_contains(b, a->v[i]))
			return true;
	}
	return false;
}

/*
 * Whether two node selector lists may pick a common node. MetalLB decides on the live Node
 * objects; without them, lists that are both empty (every node) or identical certainly overlap,
 * and anything else is given the benefit of the doubt.
 */
static bool nodes_overlap(const struct cfg_selectors *a, const struct cfg_selectors *b)
{
	if (a->n == 0 || b->n == 0)
		return true;
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		if (!selector_equal(&a->v[i], &b->v[i]))
			return false;
	}
	return true;
}

static void local_pref_compatible(struct vctx *v, size_t ai, const struct cfg_pool *p)
{
	const struct cfg_bgp_adv *a = &v->m->bgp_advs[ai];
	if (a->service_selectors.n > 0)
		return;
	for (size_t j = 0; j < ai; j++) {
		const struct cfg_bgp_adv *b = &v->m->bgp_advs[j];
		if (b->service_selectors.n > 0 || !adv_selects_pool(&b->pools, &b->pool_selectors, p))
			continue;
		if (a->local_pref == b->local_pref || aggregation_differs(a, b, p) ||
		    !peers_overlap(&a->peers, &b->peers) ||
		    !nodes_overlap(&a->node_selectors, &b->node_selectors))
			continue;
		verr(v, "BGPAdvertisement", &a->meta, "spec.localPref",
		     "invalid local preference %u: local preference %u was already set for the same "
		     "type of BGP update by BGPAdvertisement \"%s\" on pool \"%s\"", a->local_pref,
		     b->local_pref, b->meta.name, p->meta.name);
	}
}

static bool find_peer(const struct cfg_model *m, const char *name)
{
	for (size_t i = 0; i < m->npeers; i++) {
		if (strcmp(m->peers[i].meta.name, name) == 0)
			return true;
	}
	return false;
}

static void bgp_advs(struct vctx *v)
{
	struct cfg_model *m = v->m;
	for (size_t i = 0; i < m->nbgp_advs; i++) {
		struct cfg_bgp_adv *a = &m->bgp_advs[i];
		resolve_communities(v, a);
		pool_refs(v, "BGPAdvertisement", &a->meta, &a->pools);
		for (size_t j = 0; j < a->peers.n; j++) {
			if (!find_peer(m, a->peers.v[j])) {
				char field[64];
				snprintf(field, sizeof(field), "spec.peers[%zu]", j);
				vwarn(v, "BGPAdvertisement", &a->meta, field,
				      "BGPPeer \"%s\" does not exist: nothing is advertised to it",
				      a->peers.v[j]);
			}
		}
		for (size_t k = 0; k < m->npools; k++) {
			const struct cfg_pool *p = &m->pools[k];
			if (!adv_selects_pool(&a->pools, &a->pool_selectors, p))
				continue;
			aggregation_fits(v, a, p);
			local_pref_compatible(v, i, p);
		}
	}
}

/* --- peers ------------------------------------------------------------------------------- */

static const struct cfg_bfd *find_bfd(const struct cfg_model *m, const char *name)
{
	for (size_t i = 0; i < m->nbfds; i++) {
		if (strcmp(m->bfds[i].meta.name, name) == 0)
			return &m->bfds[i];
	}
	return NULL;
}

static void peer_secret(struct vctx *v, const struct cfg_peer *p)
{
	const char *ns = p->password_secret_namespace ? p->password_secret_namespace :
			 p->meta.namespace;
	const struct cfg_secret *s = NULL;
	for (size_t i = 0; i < v->m->nsecrets && !s; i++) {
		const struct cfg_secret *c = &v->m->secrets[i];
		bool same_ns = !ns || !c->meta.namespace || strcmp(ns, c->meta.namespace) == 0;
		if (same_ns && strcmp(c->meta.name, p->password_secret) == 0)
			s = c;
	}
	if (!s) {
		verr(v, "BGPPeer", &p->meta, "spec.passwordSecret",
		     "secret ref not found: Secret \"%s\" is not in the configuration",
		     p->password_secret);
		return;
	}
	if (!s->type || strcmp(s->type, "kubernetes.io/basic-auth") != 0)
		verr(v, "BGPPeer", &p->meta, "spec.passwordSecret",
		     "secret type mismatch on Secret \"%s\": type \"kubernetes.io/basic-auth\" is "
		     "expected", s->meta.name);
	else if (!s->has_password)
		verr(v, "BGPPeer", &p->meta, "spec.passwordSecret",
		     "password not specified in the Secret \"%s\"", s->meta.name);
}

static void peers(struct vctx *v)
{
	const struct cfg_model *m = v->m;
	for (size_t i = 0; i < m->npeers; i++) {
		const struct cfg_peer *p = &m->peers[i];
		if (p->bfd_profile) {
			const struct cfg_bfd *b = find_bfd(m, p->bfd_profile);
			if (!b)
				verr(v, "BGPPeer", &p->meta, "spec.bfdProfile",
				     "peer %s referencing non existing bfd profile %s", p->meta.name,
				     p->bfd_profile);
			else if (b->echo_mode && p->has_addr && p->addr.family == IP_V6)
				verr(v, "BGPPeer", &p->meta, "spec.bfdProfile",
				     "BFD profile %s has echo mode, which is not supported with IPv6 "
				     "peers", b->meta.name);
		}
		if (p->password_secret)
			peer_secret(v, p);
	}
}

/* MetalLB reads only the objects of its own namespace; several namespaces are worth a word. */
static void one_namespace(struct vctx *v, const char *kind, const void *base, size_t n,
			  size_t stride, const char **first)
{
	for (size_t i = 0; i < n; i++) {
		const struct cfg_meta *mi = meta_at(base, stride, i);
		if (!mi->namespace)
			continue;
		if (!*first) {
			*first = mi->namespace;
		} else if (strcmp(*first, mi->namespace) != 0) {
			vwarn(v, kind, mi, "metadata.namespace",
			      "namespace \"%s\" differs from \"%s\": MetalLB reads only the objects "
			      "in its own namespace", mi->namespace, *first);
		}
	}
}

size_t config_validate(struct cfg_model *m, struct cfg_diags *diags)
{
	struct vctx v = { .m = m, .diags = diags };
	unique_names(&v, "IPAddressPool", m->pools, m->npools, sizeof(*m->pools));
	unique_names(&v, "BGPPeer", m->peers, m->npeers, sizeof(*m->peers));
	unique_names(&v, "BGPAdvertisement", m->bgp_advs, m->nbgp_advs, sizeof(*m->bgp_advs));
	unique_names(&v, "L2Advertisement", m->l2_advs, m->nl2_advs, sizeof(*m->l2_advs));
	unique_names(&v, "Community", m->communities, m->ncommunities, sizeof(*m->communities));
	unique_names(&v, "BFDProfile", m->bfds, m->nbfds, sizeof(*m->bfds));
	unique_names(&v, "Secret", m->secrets, m->nsecrets, sizeof(*m->secrets));
	const char *ns = NULL;
	one_namespace(&v, "IPAddressPool", m->pools, m->npools, sizeof(*m->pools), &ns);
	one_namespace(&v, "BGPPeer", m->peers, m->npeers, sizeof(*m->peers), &ns);
	one_namespace(&v, "BGPAdvertisement", m->bgp_advs, m->nbgp_advs, sizeof(*m->bgp_advs), &ns);
	one_namespace(&v, "L2Advertisement", m->l2_advs, m->nl2_advs, sizeof(*m->l2_advs), &ns);
	one_namespace(&v, "Community", m->communities, m->ncommunities, sizeof(*m->communities),
		      &ns);
	one_namespace(&v, "BFDProfile", m->bfds, m->nbfds, sizeof(*m->bfds), &ns);
	pools_overlap(&v);
	unique_aliases(&v);
	bgp_advs(&v);
	for (size_t i = 0; i < m->nl2_advs; i++)
		pool_refs(&v, "L2Advertisement", &m->l2_advs[i].meta, &m->l2_advs[i].pools);
	peers(&v);
	return v.errors;
}
