/*
 * MetalLB's legacy configuration (v0.1–v0.12, internal/config/config.go@v0.12.1) → the model, in
 * the shape MetalLB's configmaptocrs converter gives it: one BGPPeer per peer ("peer1", ...), one
 * IPAddressPool per pool, an L2Advertisement (named like the pool) for each layer2 pool, one
 * BGPAdvertisement per bgp-advertisements entry of a bgp pool (the default one when there is
 * none), one Community "communities" holding every bgp-communities alias, one BFDProfile per
 * profile. Unknown keys are errors, as yaml.UnmarshalStrict made them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/crd.h"
#include "config/values.h"
#include "core/xalloc.h"

#define LEGACY_DEFAULT_NAMESPACE "metallb-system"

struct legacy {
	struct dctx *c;
	struct cfg_model *m;
	const char *namespace;
};

static void legacy_meta(const struct legacy *l, struct cfg_meta *meta, const char *name,
			unsigned line)
{
	meta->name = xstrdup(name);
	meta->namespace = xstrdup(l->namespace);
	meta->origin.file = l->c->file ? xstrdup(l->c->file) : NULL;
	meta->origin.line = line;
}

/* Keys that older MetalLB releases spelled differently: read as today's, with a warning. */
struct renamed_key {
	const char *old_key;
	const char *new_key;     /* NULL: the key was dropped; its value is ignored */
	const char *release;
};

/*
 * A copy of obj with old keys renamed (a new reference the caller releases), or obj itself with
 * one more reference when nothing was renamed. Both spellings at once is an error.
 */
static json_t *renamed(struct dctx *c, const json_t *obj, const char *path,
		       const struct renamed_key *table)
{
	json_t *copy = NULL;
	for (const struct renamed_key *r = table; r->old_key; r++) {
		json_t *v = json_object_get(obj, r->old_key);
		if (!v)
			continue;
		if (!copy)
			copy = json_copy((json_t *)obj);
		char p[DPATH_MAX];
		dec_path(p, path, r->old_key);
		if (!r->new_key) {
			dec_warn(c, v, p, "removed in MetalLB %s; ignored", r->release);
		} else if (json_object_get(obj, r->new_key)) {
			dec_error(c, v, p, "both %s and its later name %s are set", r->old_key,
				r->new_key);
		} else {
			dec_warn(c, v, p, "the name used up to MetalLB %s; read as %s", r->release,
			       r->new_key);
			json_object_set(copy, r->new_key, v);
		}
		json_object_del(copy, r->old_key);
	}
	if (!copy)
		return json_incref((json_t *)obj);
	yj_lines_set(c->lines, copy, yj_line(c->lines, obj));
	return copy;
}

static const char *const peer_keys[] = {
	"my-asn", "peer-asn", "peer-address", "peer-port", "source-address", "hold-time",
	"keepalive-time", "router-id", "node-selectors", "password", "bfd-profile",
	"ebgp-multihop", NULL
};

static void legacy_peer(struct legacy *l, const json_t *node, size_t index)
{
	struct dctx *c = l->c;
	char path[DPATH_MAX];
	dec_path_index(path, "peers", index);
	if (!dec_is_object(c, node, path))
		return;
	char name[32];
	snprintf(name, sizeof(name), "peer%zu", index + 1);
	struct cfg_peer *p = model_add_peer(l->m);
	legacy_meta(l, &p->meta, name, dec_line(c, node));
	p->port = 179;
	dec_known_keys(c, node, path, peer_keys);
	uint64_t v = 0;
	if (dec_uint(c, node, path, "my-asn", 0, UINT32_MAX, &v, NULL))
		p->my_asn = (uint32_t)v;
	v = 0;
	if (dec_uint(c, node, path, "peer-asn", 0, UINT32_MAX, &v, NULL))
		p->peer_asn = (uint32_t)v;
	dec_ip(c, node, path, "peer-address", "peer IP", &p->addr, &p->has_addr);
	bool has_port = false;
	v = 0;
	if (dec_uint(c, node, path, "peer-port", 1, UINT16_MAX, &v, &has_port) && has_port) {
		p->port = (uint16_t)v;
		if (v > 16384) {
			char pp[DPATH_MAX];
			dec_path(pp, path, "peer-port");
			dec_warn(c, node, pp, "above 16384: the BGPPeer CRD schema would refuse the "
			       "converted peer");
		}
	}
	dec_ip(c, node, path, "source-address", "source IP", &p->src, &p->has_src);
	/* v0.12 parseHoldTime: 90s when unset; keepalive defaults to a third of it. */
	int64_t hold = 90000, ka = 0;
	bool hold_set = false, ka_set = false;
	dec_duration(c, node, path, "hold-time", &hold, &hold_set);
	dec_duration(c, node, path, "keepalive-time", &ka, &ka_set);
	crd_peer_timers(c, node, path, p, true, hold, ka_set, ka, "hold-time", "keepalive-time");
	dec_ip(c, node, path, "router-id", "router ID", &p->router_id, &p->has_router_id);
	dec_selectors(c, node, path, "node-selectors", D_SEL_LEGACY, &p->node_selectors);
	dec_string(c, node, path, "password", &p->password);
	if (p->password && !*p->password) {
		free(p->password);
		p->password = NULL;
	}
	dec_string(c, node, path, "bfd-profile", &p->bfd_profile);
	if (p->bfd_profile && !*p->bfd_profile) {
		free(p->bfd_profile);
		p->bfd_profile = NULL;
	}
	dec_bool(c, node, path, "ebgp-multihop", &p->ebgp_multihop);
	crd_peer_check(c, node, path, p, true);
}

static const char *const adv_keys[] = { "aggregation-length", "aggregation-length-v6",
					 "localpref", "communities", NULL };

static void legacy_adv(struct legacy *l, const json_t *node, const char *path, const char *pool,
		       const char *name)
{
	struct dctx *c = l->c;
	struct cfg_bgp_adv *a = model_add_bgp_adv(l->m);
	legacy_meta(l, &a->meta, name, dec_line(c, node));
	a->aggregation_length = 32;
	a->aggregation_length_v6 = 128;
	strings_push(&a->pools, pool);
	if (!node)
		return;
	dec_known_keys(c, node, path, adv_keys);
	int64_t len = 32;
	char p[DPATH_MAX];
	if (dec_int(c, node, path, "aggregation-length", INT32_MIN, INT32_MAX, &len)) {
		dec_path(p, path, "aggregation-length");
		if (len < 1 || len > 32)
			dec_error(c, json_object_get(node, "aggregation-length"), p,
				"invalid aggregation length %lld for IPv4", (long long)len);
		else
			a->aggregation_length = (uint8_t)len;
	}
	len = 128;
	if (dec_int(c, node, path, "aggregation-length-v6", INT32_MIN, INT32_MAX, &len)) {
		dec_path(p, path, "aggregation-length-v6");
		if (len < 0 || len > 128)
			dec_error(c, json_object_get(node, "aggregation-length-v6"), p,
				"invalid aggregation length %lld for IPv6", (long long)len);
		else
			a->aggregation_length_v6 = (uint8_t)len;
	}
	uint64_t pref = 0;
	if (dec_uint(c, node, path, "localpref", 0, UINT32_MAX, &pref, NULL))
		a->local_pref = (uint32_t)pref;
	dec_strings(c, node, path, "communities", &a->communities);
	dec_path(p, path, "communities");
	for (size_t i = 0; i < a->communities.n; i++) {
		for (size_t j = i + 1; j < a->communities.n; j++) {
			if (strcmp(a->communities.v[i], a->communities.v[j]) == 0)
				dec_error(c, node, p, "duplicate community \"%s\"", a->communities.v[i]);
		}
	}
}

static bool same_json(const json_t *a, const json_t *b)
{
	return json_equal((json_t *)a, (json_t *)b);
}

static void legacy_pool_advs(struct legacy *l, const json_t *node, const char *path,
			     const char *pool)
{
	struct dctx *c = l->c;
	char p[DPATH_MAX];
	dec_path(p, path, "bgp-advertisements");
	const json_t *advs = json_object_get(node, "bgp-advertisements");
	if (!advs || json_is_null(advs) || (json_is_array(advs) && json_array_size(advs) == 0)) {
		legacy_adv(l, NULL, p, pool, pool);
		return;
	}
	if (!json_is_array(advs)) {
		dec_error(c, advs, p, "must be a list");
		return;
	}
	size_t n = json_array_size(advs);
	for (size_t i = 0; i < n; i++) {
		const json_t *adv = json_array_get(advs, i);
		char pi[DPATH_MAX];
		dec_path_index(pi, p, i);
		if (!dec_is_object(c, adv, pi))
			continue;
		for (size_t j = 0; j < i; j++) {
			if (same_json(adv, json_array_get(advs, j)))
				dec_error(c, adv, pi, "duplicate definition of bgp-advertisements (same as "
					"entry %zu)", j);
		}
		char name[DPATH_MAX];
		if (n == 1)
			snprintf(name, sizeof(name), "%s", pool);
		else
			snprintf(name, sizeof(name), "%s-%zu", pool, i + 1);
		legacy_adv(l, adv, pi, pool, name);
	}
}

static const char *const pool_keys[] = { "name", "protocol", "addresses", "avoid-buggy-ips",
					  "auto-assign", "bgp-advertisements", NULL };

static const struct renamed_key pool_renamed[] = {
	{ "cidr", "addresses", "v0.5" },
	{ "advertisements", "bgp-advertisements", "v0.2" },
	{ "arp-network", NULL, "v0.6" },
	{ NULL, NULL, NULL },
};

static void legacy_pool_renamed(struct legacy *l, const json_t *node, const char *path,
				size_t index);

static void legacy_pool(struct legacy *l, const json_t *node, size_t index)
{
	char path[DPATH_MAX];
	dec_path_index(path, "address-pools", index);
	if (!dec_is_object(l->c, node, path))
		return;
	json_t *current = renamed(l->c, node, path, pool_renamed);
	legacy_pool_renamed(l, current, path, index);
	json_decref(current);
}

static void legacy_pool_renamed(struct legacy *l, const json_t *node, const char *path,
				size_t index)
{
	struct dctx *c = l->c;
	dec_known_keys(c, node, path, pool_keys);
	char *name = NULL, *proto = NULL;
	dec_string(c, node, path, "name", &name);
	char p[DPATH_MAX];
	if (!name || !*name) {
		dec_path(p, path, "name");
		dec_error(c, node, p, "missing pool name");
		free(name);
		name = xasprintf("(pool %zu)", index);
	}
	if (!cfg_object_name_ok(name)) {
		dec_path(p, path, "name");
		dec_warn(c, node, p, "\"%s\" is not a valid Kubernetes object name: the API server "
		       "would refuse the converted IPAddressPool", name);
	}
	struct cfg_pool *pool = model_add_pool(l->m);
	legacy_meta(l, &pool->meta, name, dec_line(c, node));
	pool->auto_assign = true;
	dec_bool(c, node, path, "auto-assign", &pool->auto_assign);
	dec_bool(c, node, path, "avoid-buggy-ips", &pool->avoid_buggy_ips);
	dec_string(c, node, path, "protocol", &proto);
	dec_path(p, path, "protocol");
	if (!proto)
		dec_error(c, node, p, "address pool is missing the protocol field");
	else if (strcmp(proto, "bgp") == 0)
		pool->legacy_protocol = CFG_PROTO_BGP;
	else if (strcmp(proto, "layer2") == 0)
		pool->legacy_protocol = CFG_PROTO_LAYER2;
	else if (strcmp(proto, "arp") == 0 || strcmp(proto, "ndp") == 0) {
		/* v0.3 (arp) and v0.4 (ndp) protocols; v0.5 read them as layer2. */
		dec_warn(c, json_object_get(node, "protocol"), p,
		       "\"%s\" is the name used up to MetalLB v0.5; read as layer2", proto);
		pool->legacy_protocol = CFG_PROTO_LAYER2;
	}
	else
		dec_error(c, json_object_get(node, "protocol"), p, "unknown protocol \"%s\"", proto);

	const json_t *addrs = json_object_get(node, "addresses");
	dec_path(p, path, "addresses");
	if (addrs && !json_is_null(addrs) && !json_is_array(addrs)) {
		dec_error(c, addrs, p, "must be a list");
	} else if (json_array_size(addrs) == 0) {
		dec_error(c, node, p, "pool has no prefixes defined");
	} else {
		size_t i;
		json_t *item;
		json_array_foreach(addrs, i, item) {
			char pi[DPATH_MAX];
			dec_path_index(pi, p, i);
			if (!json_is_string(item)) {
				dec_error(c, item, pi, "must be a string");
				continue;
			}
			struct cfg_pool_addr a;
			if (!crd_pool_addr(c, item, pi, json_string_value(item), &a))
				continue;
			pool->addrs = cfg_grow(pool->addrs, pool->naddrs, sizeof(*pool->addrs));
			pool->addrs[pool->naddrs++] = a;
		}
	}

	const json_t *advs = json_object_get(node, "bgp-advertisements");
	if (pool->legacy_protocol == CFG_PROTO_LAYER2) {
		if (advs && !json_is_null(advs)) {
			dec_path(p, path, "bgp-advertisements");
			dec_error(c, advs, p, "cannot have bgp-advertisements configuration element in a layer2 "
				  "address pool");
		}
		struct cfg_l2_adv *a = model_add_l2_adv(l->m);
		legacy_meta(l, &a->meta, name, dec_line(c, node));
		strings_push(&a->pools, name);
	} else if (pool->legacy_protocol == CFG_PROTO_BGP) {
		legacy_pool_advs(l, node, path, name);
	}
	free(name);
	free(proto);
}

static const char *const bfd_keys[] = { "name", "receive-interval", "transmit-interval",
					 "detect-multiplier", "echo-interval", "echo-mode",
					 "passive-mode", "minimum-ttl", NULL };

static void legacy_bfd(struct legacy *l, const json_t *node, size_t index)
{
	struct dctx *c = l->c;
	char path[DPATH_MAX];
	dec_path_index(path, "bfd-profiles", index);
	if (!dec_is_object(c, node, path))
		return;
	dec_known_keys(c, node, path, bfd_keys);
	char *name = NULL;
	dec_string(c, node, path, "name", &name);
	if (!name || !*name) {
		char p[DPATH_MAX];
		dec_path(p, path, "name");
		dec_error(c, node, p, "missing bfd profile name");
		free(name);
		name = xasprintf("(bfd profile %zu)", index);
	}
	if (!cfg_object_name_ok(name)) {
		char p[DPATH_MAX];
		dec_path(p, path, "name");
		dec_warn(c, node, p, "\"%s\" is not a valid Kubernetes object name: the API server "
		       "would refuse the converted BFDProfile", name);
	}
	struct cfg_bfd *b = model_add_bfd(l->m);
	legacy_meta(l, &b->meta, name, dec_line(c, node));
	free(name);
	uint64_t v = 0;
	if (dec_uint(c, node, path, "receive-interval", 10, 60000, &v, &b->has_receive_interval))
		b->receive_interval = (uint32_t)v;
	if (dec_uint(c, node, path, "transmit-interval", 10, 60000, &v, &b->has_transmit_interval))
		b->transmit_interval = (uint32_t)v;
	if (dec_uint(c, node, path, "detect-multiplier", 2, 255, &v, &b->has_detect_multiplier))
		b->detect_multiplier = (uint32_t)v;
	if (dec_uint(c, node, path, "echo-interval", 10, 60000, &v, &b->has_echo_interval))
		b->echo_interval = (uint32_t)v;
	if (dec_uint(c, node, path, "minimum-ttl", 1, 254, &v, &b->has_minimum_ttl))
		b->minimum_ttl = (uint32_t)v;
	dec_bool(c, node, path, "echo-mode", &b->echo_mode);
	dec_bool(c, node, path, "passive-mode", &b->passive_mode);
}

static void legacy_communities(struct legacy *l, const json_t *map)
{
	struct dctx *c = l->c;
	if (!dec_is_object(c, map, "bgp-communities") || json_object_size(map) == 0)
		return;
	struct cfg_community_set *set = model_add_community_set(l->m);
	legacy_meta(l, &set->meta, "communities", dec_line(c, map));
	const char *key;
	json_t *value;
	json_object_foreach((json_t *)map, key, value) {
		char p[DPATH_MAX];
		dec_path(p, "bgp-communities", key);
		struct cfg_community comm;
		if (!json_is_string(value)) {
			dec_error(c, value, p, "must be a string");
			continue;
		}
		if (cfg_community_parse(json_string_value(value), &comm) != COMMUNITY_OK) {
			dec_error(c, value, p, "invalid community value \"%s\"", json_string_value(value));
			continue;
		}
		set->aliases = cfg_grow(set->aliases, set->naliases, sizeof(*set->aliases));
		struct cfg_community_alias *al = &set->aliases[set->naliases++];
		al->name = xstrdup(key);
		al->value = xstrdup(json_string_value(value));
		al->community = comm;
	}
}

typedef void (*legacy_item_fn)(struct legacy *l, const json_t *node, size_t index);

static void legacy_list(struct legacy *l, const json_t *doc, const char *key, legacy_item_fn fn)
{
	const json_t *list = json_object_get(doc, key);
	if (!list || json_is_null(list))
		return;
	if (!json_is_array(list)) {
		dec_error(l->c, list, key, "must be a list");
		return;
	}
	size_t i;
	json_t *item;
	json_array_foreach(list, i, item)
		fn(l, item, i);
}

/* v0.12.1 rejects exactly identical peers (reflect.DeepEqual). */
static void legacy_duplicate_peers(struct legacy *l, const json_t *doc)
{
	const json_t *list = json_object_get(doc, "peers");
	for (size_t i = 0; i < json_array_size(list); i++) {
		for (size_t j = 0; j < i; j++) {
			if (same_json(json_array_get(list, i), json_array_get(list, j))) {
				char p[DPATH_MAX];
				dec_path_index(p, "peers", i);
				dec_error(l->c, json_array_get(list, i), p,
					"duplicate peer (same as peers[%zu])", j);
			}
		}
	}
}

void legacy_decode(const struct dctx *base, struct cfg_model *m, const json_t *doc,
		   const char *namespace)
{
	static const char *const keys[] = { "peers", "bgp-communities", "address-pools",
					    "bfd-profiles", NULL };
	static const struct renamed_key top_renamed[] = {
		{ "communities", "bgp-communities", "v0.2" },
		{ NULL, NULL, NULL },
	};
	struct dctx c = *base;
	snprintf(c.object, sizeof(c.object), "ConfigMap/config");
	struct legacy l = { .c = &c, .m = m,
			    .namespace = namespace ? namespace : LEGACY_DEFAULT_NAMESPACE };
	if (!dec_is_object(&c, doc, ""))
		return;
	json_t *current = renamed(&c, doc, "", top_renamed);
	doc = current;
	dec_known_keys(&c, doc, "", keys);
	legacy_list(&l, doc, "peers", legacy_peer);
	legacy_duplicate_peers(&l, doc);
	legacy_list(&l, doc, "address-pools", legacy_pool);
	legacy_list(&l, doc, "bfd-profiles", legacy_bfd);
	const json_t *comms = json_object_get(doc, "bgp-communities");
	if (comms && !json_is_null(comms))
		legacy_communities(&l, comms);
	json_decref(current);
}
