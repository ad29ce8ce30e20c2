/*
 * The speaker test fixture (spk_fixture.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "spk_fixture.h"

struct fx *fx_new_sized(size_t max_svcs)
{
	struct fx *f = XNEW(struct fx);
	f->m = model_new();
	f->max_svcs = max_svcs;
	f->svcs = xcalloc(max_svcs, sizeof(*f->svcs));
	f->store = xcalloc(max_svcs, sizeof(*f->store));
	return f;
}

struct fx *fx_new(void)
{
	return fx_new_sized(64);
}

void fx_free(struct fx *f)
{
	model_free(f->m);
	for (size_t i = 0; i < f->nnodes; i++)
		labels_free(&f->nodes[i].labels);
	for (size_t i = 0; i < f->nsvcs; i++)
		labels_free(&f->svcs[i].labels);
	free(f->svcs);
	free(f->store);
	for (size_t i = 0; i < f->nstrings; i++)
		free(f->strings[i]);
	free(f->strings);
	free(f);
}

const char *fx_str(struct fx *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	f->strings = xreallocarray(f->strings, f->nstrings + 1, sizeof(*f->strings));
	f->strings[f->nstrings++] = s;
	return s;
}

static void meta(struct cfg_meta *m, const char *name)
{
	m->name = xstrdup(name);
	m->namespace = xstrdup("metallb-system");
}

struct cfg_pool *fx_pool(struct fx *f, const char *name, const char *range,
			 enum cfg_protocol legacy)
{
	struct cfg_pool *p = model_add_pool(f->m);
	meta(&p->meta, name);
	p->auto_assign = true;
	p->legacy_protocol = legacy;
	p->addrs = xcalloc(1, sizeof(*p->addrs));
	const char *why = NULL;
	if (!ip_range_parse(range, &p->addrs[0].range, &why))
		abort();
	p->naddrs = 1;
	return p;
}

struct cfg_bgp_adv *fx_bgp_adv(struct fx *f, const char *name)
{
	struct cfg_bgp_adv *a = model_add_bgp_adv(f->m);
	meta(&a->meta, name);
	a->aggregation_length = 32;
	a->aggregation_length_v6 = 128;
	return a;
}

struct cfg_l2_adv *fx_l2_adv(struct fx *f, const char *name)
{
	struct cfg_l2_adv *a = model_add_l2_adv(f->m);
	meta(&a->meta, name);
	return a;
}

struct cfg_peer *fx_peer(struct fx *f, const char *name)
{
	struct cfg_peer *p = model_add_peer(f->m);
	meta(&p->meta, name);
	p->my_asn = 64512;
	p->peer_asn = 64500;
	p->has_addr = true;
	ip_addr_parse("172.30.8.35", &p->addr);
	p->port = 179;
	return p;
}

void fx_sel(struct cfg_selectors *s, const char *key, const char *value)
{
	struct cfg_selector *sel = selectors_add(s);
	if (key)
		labels_set(&sel->match_labels, key, value);
}

void fx_sel_expr(struct cfg_selectors *s, const char *key, enum cfg_sel_op op, const char *value)
{
	struct cfg_selector *sel = selectors_add(s);
	struct cfg_sel_expr *e = selector_add_expr(sel);
	e->key = xstrdup(key);
	e->op = op;
	if (value)
		strings_push(&e->values, value);
}

void fx_community(struct cfg_bgp_adv *a, bool large, uint32_t x, uint32_t y, uint32_t z)
{
	a->community_values = cfg_grow(a->community_values, a->ncommunity_values,
				       sizeof(*a->community_values));
	a->community_values[a->ncommunity_values++] = (struct cfg_community){ large, x, y, z };
}

void fx_preferred(struct cfg_l2_adv *a, int32_t weight, const char *key, const char *value)
{
	a->preferred = cfg_grow(a->preferred, a->npreferred, sizeof(*a->preferred));
	struct cfg_preferred_node *p = &a->preferred[a->npreferred++];
	memset(p, 0, sizeof(*p));
	p->weight = weight;
	labels_set(&p->preference.match_labels, key, value);
}

struct spk_node *fx_node(struct fx *f, const char *name)
{
	if (f->nnodes == FX_MAX_NODES)
		abort();
	struct spk_node *n = &f->nodes[f->nnodes++];
	n->name = name;
	f->live[f->nlive++] = name;
	return n;
}

void fx_label(struct cfg_labels *l, const char *key, const char *value)
{
	labels_set(l, key, value);
}

ip_addr fx_ip(const char *text)
{
	ip_addr a;
	if (!ip_addr_parse(text, &a))
		abort();
	return a;
}

struct spk_service *fx_svc(struct fx *f, const char *ns, const char *name,
			   enum spk_traffic_policy etp, const char *ip1, const char *ip2)
{
	if (f->nsvcs == f->max_svcs)
		abort();
	struct spk_service *svc = &f->svcs[f->nsvcs];
	struct fx_svc *s = &f->store[f->nsvcs++];
	svc->namespace = ns;
	svc->name = name;
	svc->traffic_policy = etp;
	svc->ips = s->ips;
	if (ip1)
		s->ips[svc->nips++] = fx_ip(ip1);
	if (ip2)
		s->ips[svc->nips++] = fx_ip(ip2);
	svc->slices = s->slices;
	for (size_t i = 0; i < FX_MAX_SLICES; i++)
		s->slices[i].endpoints = s->eps[i];
	return svc;
}

void fx_ep(struct fx *f, struct spk_service *svc, size_t slice, const char *node,
	   enum spk_cond ready, enum spk_cond serving, const char *addr)
{
	struct fx_svc *s = &f->store[svc - f->svcs];
	struct spk_endpoint_slice *sl = &s->slices[slice];
	if (sl->nendpoints == FX_MAX_EPS)
		abort();
	size_t i = sl->nendpoints++;
	struct spk_endpoint *ep = &s->eps[slice][i];
	ep->node = node;
	ep->ready = ready;
	ep->serving = serving;
	if (addr) {
		s->addrs[slice][i][0] = addr;
		ep->addresses = s->addrs[slice][i];
		ep->naddresses = 1;
	}
	if (svc->nslices < slice + 1)
		svc->nslices = slice + 1;
}

void fx_ready(struct fx *f, struct spk_service *svc, const char *node)
{
	fx_ep(f, svc, 0, node, SPK_COND_TRUE, SPK_COND_TRUE, fx_str(f, "ep-%zu", f->nstrings));
}

void fx_inputs(struct fx *f, const char *self, struct spk_inputs *in)
{
	memset(in, 0, sizeof(*in));
	in->config = f->m;
	in->nodes = f->nodes;
	in->nnodes = f->nnodes;
	in->live = f->live;
	in->nlive = f->nlive;
	in->all_live = f->all_live;
	in->node_name = self;
	in->ifaces = f->ifaces;
	in->nifaces = f->nifaces;
	in->has_ifaces = f->has_ifaces;
	in->ignore_exclude_lb = f->ignore_exclude_lb;
	in->services = f->svcs;
	in->nservices = f->nsvcs;
}

void fx_decide(struct fx *f, const char *self, struct spk_decision *d)
{
	struct spk_inputs in;
	fx_inputs(f, self, &in);
	spk_decide(&in, d);
}

const struct spk_bgp_peer *fx_peer_of(const struct spk_decision *d, const char *peer)
{
	for (size_t i = 0; i < d->npeers; i++) {
		if (strcmp(d->peers[i].name, peer) == 0)
			return &d->peers[i];
	}
	return NULL;
}

const struct spk_bgp_route *fx_route(const struct spk_decision *d, const char *peer,
				     const char *prefix)
{
	const struct spk_bgp_peer *p = fx_peer_of(d, peer);
	ip_prefix want;
	if (!p || !ip_prefix_parse(prefix, &want, NULL))
		return NULL;
	for (size_t i = 0; i < p->nroutes; i++) {
		if (ip_prefix_cmp(&p->routes[i].prefix, &want) == 0)
			return &p->routes[i];
	}
	return NULL;
}

size_t fx_nroutes(const struct spk_decision *d)
{
	size_t n = 0;
	for (size_t i = 0; i < d->npeers; i++)
		n += d->peers[i].nroutes;
	return n;
}

const struct spk_l2_owned *fx_owned(const struct spk_decision *d, const char *ip)
{
	ip_addr a = fx_ip(ip);
	for (size_t i = 0; i < d->nowned; i++) {
		if (ip_addr_eq(&d->owned[i].ip, &a))
			return &d->owned[i];
	}
	return NULL;
}

const char *fx_owner(const struct spk_decision *d, const char *ip)
{
	ip_addr a = fx_ip(ip);
	for (size_t i = 0; i < d->nelections; i++) {
		if (ip_addr_eq(&d->elections[i].ip, &a))
			return d->elections[i].owner ? d->elections[i].owner : "";
	}
	return NULL;
}

static void dump_refs(FILE *o, const struct spk_svc_ref *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(o, " %s/%s", r[i].namespace, r[i].name);
}

char *fx_dump(const struct spk_decision *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&buf, &len);
	char t[IP_PREFIX_STRLEN];
	fprintf(o, "node %s\n", d->node_name);
	for (size_t i = 0; i < d->npeers; i++) {
		fprintf(o, "peer %s #%zu\n", d->peers[i].name, d->peers[i].peer);
		for (size_t r = 0; r < d->peers[i].nroutes; r++) {
			const struct spk_bgp_route *rt = &d->peers[i].routes[r];
			ip_prefix_format(&rt->prefix, t, sizeof(t));
			fprintf(o, "  %s lp=%d/%u%s", t, rt->has_local_pref, rt->local_pref,
				rt->local_pref_conflict ? "!" : "");
			for (size_t c = 0; c < rt->ncommunities; c++)
				fprintf(o, " c%u:%u", rt->communities[c] >> 16, rt->communities[c] & 0xffff);
			for (size_t c = 0; c < rt->nlarge_communities; c++)
				fprintf(o, " l%u:%u:%u", rt->large_communities[c].global,
					rt->large_communities[c].local1, rt->large_communities[c].local2);
			dump_refs(o, rt->services, rt->nservices);
			fputc('\n', o);
		}
	}
	for (size_t i = 0; i < d->nelections; i++) {
		ip_addr_format(&d->elections[i].ip, t, sizeof(t));
		fprintf(o, "elect %s %s\n", t, d->elections[i].owner ? d->elections[i].owner : "-");
	}
	for (size_t i = 0; i < d->nowned; i++) {
		ip_addr_format(&d->owned[i].ip, t, sizeof(t));
		fprintf(o, "own %s [", t);
		for (size_t k = 0; k < d->owned[i].nifaces; k++)
			fprintf(o, " %s", d->owned[i].ifaces[k]);
		fprintf(o, " ]");
		dump_refs(o, d->owned[i].services, d->owned[i].nservices);
		fputc('\n', o);
	}
	for (size_t i = 0; i < d->nfailures; i++) {
		ip_addr_format(&d->failures[i].ip, t, sizeof(t));
		fprintf(o, "fail %s", t);
		dump_refs(o, d->failures[i].services, d->failures[i].nservices);
		fputc('\n', o);
	}
	fclose(o);
	return buf;
}

void fx_shuffle(void *array, size_t n, size_t elem, unsigned *seed)
{
	char tmp[512];
	char *a = array;
	if (elem > sizeof(tmp))
		abort();
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)rand_r(seed) % i;
		memcpy(tmp, a + (i - 1) * elem, elem);
		memcpy(a + (i - 1) * elem, a + j * elem, elem);
		memcpy(a + j * elem, tmp, elem);
	}
}

char *fx_dump_shuffled(struct fx *f, const char *self, unsigned seed)
{
	struct spk_inputs in;
	fx_inputs(f, self, &in);
	struct spk_service *svcs = xcalloc(in.nservices + 1, sizeof(*svcs));
	struct spk_node *nodes = xcalloc(in.nnodes + 1, sizeof(*nodes));
	const char **live = xcalloc(in.nlive + 1, sizeof(*live));
	memcpy(svcs, in.services, in.nservices * sizeof(*svcs));
	memcpy(nodes, in.nodes, in.nnodes * sizeof(*nodes));
	memcpy(live, in.live, in.nlive * sizeof(*live));
	fx_shuffle(svcs, in.nservices, sizeof(*svcs), &seed);
	fx_shuffle(nodes, in.nnodes, sizeof(*nodes), &seed);
	fx_shuffle(live, in.nlive, sizeof(*live), &seed);
	in.services = svcs;
	in.nodes = nodes;
	in.live = live;
	struct spk_decision d;
	spk_decide(&in, &d);
	char *s = fx_dump(&d);
	spk_decision_free(&d);
	free(svcs);
	free(nodes);
	free(live);
	return s;
}
