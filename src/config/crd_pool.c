/*
 * Decoders for IPAddressPool, L2Advertisement, Community, BFDProfile (metallb.io/v1beta1) and the
 * v1 Secret a BGPPeer names. Field rules follow MetalLB's api/v1beta1 types and config.go.
 */
#include <stdlib.h>
#include <string.h>

#include "config/crd.h"
#include "config/values.h"
#include "core/xalloc.h"

bool crd_pool_addr(struct dctx *c, const json_t *node, const char *path, const char *text,
		   struct cfg_pool_addr *out)
{
	const char *why = NULL;
	bool is_range = strchr(text, '-') != NULL;
	/* As MetalLB's ParseCIDR: without '-' the entry must be a CIDR; a bare address is not. */
	if (!is_range && !strchr(text, '/')) {
		dec_error(c, node, path, "invalid CIDR \"%s\"", text);
		return false;
	}
	if (!ip_range_parse(text, &out->range, &why)) {
		dec_error(c, node, path, "invalid %s \"%s\": %s", is_range ? "IP range" : "CIDR", text,
			why ? why : "cannot parse");
		return false;
	}
	out->is_cidr = !is_range;
	return true;
}

static void move_meta(struct cfg_meta *dst, struct cfg_meta *src)
{
	*dst = *src;
	memset(src, 0, sizeof(*src));
}

static const char *const pool_keys[] = { "addresses", "autoAssign", "avoidBuggyIPs",
					  "serviceAllocation", NULL };
static const char *const alloc_keys[] = { "priority", "namespaces", "namespaceSelectors",
					   "serviceSelectors", NULL };

static void pool_allocation(struct dctx *c, struct cfg_pool *p, const json_t *sa)
{
	const char *path = "spec.serviceAllocation";
	if (!dec_is_object(c, sa, path))
		return;
	dec_known_keys(c, sa, path, alloc_keys);
	p->has_service_allocation = true;
	int64_t prio = 0;
	if (dec_int(c, sa, path, "priority", INT32_MIN, INT32_MAX, &prio))
		p->priority = (int32_t)prio;
	dec_strings(c, sa, path, "namespaces", &p->namespaces);
	for (size_t i = 0; i < p->namespaces.n; i++) {
		for (size_t j = i + 1; j < p->namespaces.n; j++) {
			if (strcmp(p->namespaces.v[i], p->namespaces.v[j]) == 0)
				dec_error(c, sa, "spec.serviceAllocation.namespaces",
					"duplicate definition in namespaces field (\"%s\")",
					p->namespaces.v[i]);
		}
	}
	dec_selectors(c, sa, path, "namespaceSelectors", D_SEL_CRD, &p->namespace_selectors);
	dec_selectors(c, sa, path, "serviceSelectors", D_SEL_CRD, &p->service_selectors);
}

void crd_ipaddresspool(struct dctx *c, struct cfg_model *m, const json_t *spec,
		       const json_t *annotations, struct cfg_meta *meta)
{
	struct cfg_pool *p = model_add_pool(m);
	move_meta(&p->meta, meta);
	p->auto_assign = true;
	const json_t *proto = json_object_get(annotations, CFG_LEGACY_PROTOCOL_ANNOTATION);
	if (json_is_string(proto)) {
		const char *text = json_string_value(proto);
		if (strcmp(text, "bgp") == 0)
			p->legacy_protocol = CFG_PROTO_BGP;
		else if (strcmp(text, "layer2") == 0)
			p->legacy_protocol = CFG_PROTO_LAYER2;
	}
	if (!spec || !dec_is_object(c, spec, "spec")) {
		if (!spec)
			dec_error(c, NULL, "spec.addresses", "pool has no prefixes defined");
		return;
	}
	dec_known_keys(c, spec, "spec", pool_keys);
	dec_bool(c, spec, "spec", "autoAssign", &p->auto_assign);
	dec_bool(c, spec, "spec", "avoidBuggyIPs", &p->avoid_buggy_ips);
	const json_t *addrs = json_object_get(spec, "addresses");
	if (!json_is_array(addrs) || json_array_size(addrs) == 0) {
		if (addrs && !json_is_null(addrs) && !json_is_array(addrs))
			dec_error(c, addrs, "spec.addresses", "must be a list");
		else
			dec_error(c, spec, "spec.addresses", "pool has no prefixes defined");
	} else {
		size_t i;
		json_t *item;
		json_array_foreach(addrs, i, item) {
			char path[DPATH_MAX];
			dec_path_index(path, "spec.addresses", i);
			if (!json_is_string(item)) {
				dec_error(c, item, path, "must be a string");
				continue;
			}
			struct cfg_pool_addr a;
			if (!crd_pool_addr(c, item, path, json_string_value(item), &a))
				continue;
			p->addrs = cfg_grow(p->addrs, p->naddrs, sizeof(*p->addrs));
			p->addrs[p->naddrs++] = a;
		}
	}
	const json_t *sa = json_object_get(spec, "serviceAllocation");
	if (sa && !json_is_null(sa))
		pool_allocation(c, p, sa);
}

/* Duplicates in a list of names, as MetalLB's validateDuplicate. */
static void check_duplicates(struct dctx *c, const json_t *spec, const char *key,
			     const struct cfg_strings *s)
{
	char path[DPATH_MAX];
	dec_path(path, "spec", key);
	for (size_t i = 0; i < s->n; i++) {
		for (size_t j = i + 1; j < s->n; j++) {
			if (strcmp(s->v[i], s->v[j]) == 0) {
				dec_error(c, json_object_get(spec, key), path,
					"duplicate definition of %s \"%s\"", key, s->v[i]);
			}
		}
	}
}

static const char *const l2_keys[] = { "ipAddressPools", "ipAddressPoolSelectors", "nodeSelectors",
					"interfaces", "serviceSelectors", "preferredNodeSelectors",
					NULL };

static void l2_preferred(struct dctx *c, struct cfg_l2_adv *a, const json_t *list)
{
	static const char *const keys[] = { "weight", "preference", NULL };
	const char *path = "spec.preferredNodeSelectors";
	if (!json_is_array(list)) {
		dec_error(c, list, path, "must be a list");
		return;
	}
	size_t i;
	json_t *item;
	json_array_foreach(list, i, item) {
		char pi[DPATH_MAX];
		dec_path_index(pi, path, i);
		if (!dec_is_object(c, item, pi))
			continue;
		dec_known_keys(c, item, pi, keys);
		a->preferred = cfg_grow(a->preferred, a->npreferred, sizeof(*a->preferred));
		struct cfg_preferred_node *pn = &a->preferred[a->npreferred++];
		memset(pn, 0, sizeof(*pn));
		int64_t weight = 0;
		char pw[DPATH_MAX];
		dec_path(pw, pi, "weight");
		if (!json_object_get(item, "weight"))
			dec_error(c, item, pw, "required");
		else if (dec_int(c, item, pi, "weight", 1, 100, &weight))
			pn->weight = (int32_t)weight;
		const json_t *pref = json_object_get(item, "preference");
		char pp[DPATH_MAX];
		dec_path(pp, pi, "preference");
		if (!pref)
			dec_error(c, item, pp, "required");
		else
			dec_selector(c, pref, pp, D_SEL_CRD, &pn->preference);
	}
}

void crd_l2advertisement(struct dctx *c, struct cfg_model *m, const json_t *spec,
			 struct cfg_meta *meta)
{
	struct cfg_l2_adv *a = model_add_l2_adv(m);
	move_meta(&a->meta, meta);
	if (!spec || !dec_is_object(c, spec, "spec"))
		return;
	dec_known_keys(c, spec, "spec", l2_keys);
	dec_strings(c, spec, "spec", "ipAddressPools", &a->pools);
	check_duplicates(c, spec, "ipAddressPools", &a->pools);
	dec_selectors(c, spec, "spec", "ipAddressPoolSelectors", D_SEL_CRD, &a->pool_selectors);
	dec_selectors(c, spec, "spec", "nodeSelectors", D_SEL_CRD, &a->node_selectors);
	dec_strings(c, spec, "spec", "interfaces", &a->interfaces);
	dec_selectors(c, spec, "spec", "serviceSelectors", D_SEL_CRD, &a->service_selectors);
	const json_t *pref = json_object_get(spec, "preferredNodeSelectors");
	if (pref && !json_is_null(pref))
		l2_preferred(c, a, pref);
}

void crd_community(struct dctx *c, struct cfg_model *m, const json_t *spec, struct cfg_meta *meta)
{
	static const char *const keys[] = { "communities", NULL };
	static const char *const alias_keys[] = { "name", "value", NULL };
	struct cfg_community_set *set = model_add_community_set(m);
	move_meta(&set->meta, meta);
	if (!spec || !dec_is_object(c, spec, "spec"))
		return;
	dec_known_keys(c, spec, "spec", keys);
	const json_t *list = json_object_get(spec, "communities");
	if (!list || json_is_null(list))
		return;
	if (!json_is_array(list)) {
		dec_error(c, list, "spec.communities", "must be a list");
		return;
	}
	size_t i;
	json_t *item;
	json_array_foreach(list, i, item) {
		char pi[DPATH_MAX];
		dec_path_index(pi, "spec.communities", i);
		if (!dec_is_object(c, item, pi))
			continue;
		dec_known_keys(c, item, pi, alias_keys);
		char *name = NULL, *value = NULL;
		dec_string(c, item, pi, "name", &name);
		dec_string(c, item, pi, "value", &value);
		char pv[DPATH_MAX];
		dec_path(pv, pi, "value");
		struct cfg_community comm = { 0 };
		if (!name || !*name) {
			char pn[DPATH_MAX];
			dec_path(pn, pi, "name");
			dec_error(c, item, pn, "required");
		} else if (!value) {
			dec_error(c, item, pv, "required");
		} else if (cfg_community_parse(value, &comm) != COMMUNITY_OK) {
			dec_error(c, json_object_get(item, "value"), pv,
				"invalid community value \"%s\" for \"%s\": expected A:B (16-bit "
				"each) or large:A:B:C (32-bit each)", value, name);
		} else {
			set->aliases = cfg_grow(set->aliases, set->naliases, sizeof(*set->aliases));
			struct cfg_community_alias *al = &set->aliases[set->naliases++];
			al->name = name;
			al->value = value;
			al->community = comm;
			continue;
		}
		free(name);
		free(value);
	}
}

void crd_bfdprofile(struct dctx *c, struct cfg_model *m, const json_t *spec, struct cfg_meta *meta)
{
	static const char *const keys[] = { "receiveInterval", "transmitInterval", "detectMultiplier",
					    "echoInterval", "echoMode", "passiveMode",
					    "minimumTtl", NULL };
	struct cfg_bfd *b = model_add_bfd(m);
	move_meta(&b->meta, meta);
	if (!spec || !dec_is_object(c, spec, "spec"))
		return;
	dec_known_keys(c, spec, "spec", keys);
	uint64_t v = 0;
	/* Ranges of MetalLB's bfdProfileFromCR (and the CRD schema). */
	if (dec_uint(c, spec, "spec", "receiveInterval", 10, 60000, &v, &b->has_receive_interval))
		b->receive_interval = (uint32_t)v;
	if (dec_uint(c, spec, "spec", "transmitInterval", 10, 60000, &v, &b->has_transmit_interval))
		b->transmit_interval = (uint32_t)v;
	if (dec_uint(c, spec, "spec", "detectMultiplier", 2, 255, &v, &b->has_detect_multiplier))
		b->detect_multiplier = (uint32_t)v;
	if (dec_uint(c, spec, "spec", "echoInterval", 10, 60000, &v, &b->has_echo_interval))
		b->echo_interval = (uint32_t)v;
	if (dec_uint(c, spec, "spec", "minimumTtl", 1, 254, &v, &b->has_minimum_ttl))
		b->minimum_ttl = (uint32_t)v;
	dec_bool(c, spec, "spec", "echoMode", &b->echo_mode);
	dec_bool(c, spec, "spec", "passiveMode", &b->passive_mode);
}

void crd_secret(struct dctx *c, struct cfg_model *m, const json_t *doc, struct cfg_meta *meta)
{
	struct cfg_secret *s = model_add_secret(m);
	move_meta(&s->meta, meta);
	dec_string(c, doc, "", "type", &s->type);
	char *b64 = NULL, *plain = NULL;
	const json_t *data = json_object_get(doc, "data");
	const json_t *string_data = json_object_get(doc, "stringData");
	if (json_is_object(data))
		dec_string(c, data, "data", "password", &b64);
	if (json_is_object(string_data))
		dec_string(c, string_data, "stringData", "password", &plain);
	if (plain) {
		s->password = plain;
		s->has_password = true;
	} else if (b64) {
		s->password = cfg_base64_decode(b64);
		if (!s->password)
			dec_error(c, json_object_get(data, "password"), "data.password",
				"not valid base64 text");
		s->has_password = s->password != NULL;
	}
	free(b64);
}
