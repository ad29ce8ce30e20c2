/*
 * The canonical printer: the model as metallb.io CRD YAML. Each object is built as a jansson tree
 * in the CRD's shape (defaults left out), then written through libyaml's emitter, quoting any
 * string that would otherwise read back as a number, boolean or null.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config/config.h"
#include "config/crd.h"
#include "config/values.h"
#include "core/yaml_json.h"
#include "core/xalloc.h"

/* --- model → json ------------------------------------------------------------------------ */

static void set_str(json_t *obj, const char *key, const char *value)
{
	if (value)
		json_object_set_new(obj, key, json_string(value));
}

static void set_strings(json_t *obj, const char *key, const struct cfg_strings *s)
{
	if (s->n == 0)
		return;
	json_t *arr = json_array();
	for (size_t i = 0; i < s->n; i++)
		json_array_append_new(arr, json_string(s->v[i]));
	json_object_set_new(obj, key, arr);
}

static json_t *labels_json(const struct cfg_labels *l)
{
	json_t *obj = json_object();
	for (size_t i = 0; i < l->n; i++)
		json_object_set_new(obj, l->v[i].key, json_string(l->v[i].value));
	return obj;
}

static json_t *selector_json(const struct cfg_selector *sel)
{
	json_t *obj = json_object();
	if (sel->match_labels.n)
		json_object_set_new(obj, "matchLabels", labels_json(&sel->match_labels));
	if (sel->nexprs) {
		json_t *arr = json_array();
		for (size_t i = 0; i < sel->nexprs; i++) {
			const struct cfg_sel_expr *e = &sel->exprs[i];
			json_t *ej = json_object();
			set_str(ej, "key", e->key);
			set_str(ej, "operator", selector_op_name(e->op));
			set_strings(ej, "values", &e->values);
			json_array_append_new(arr, ej);
		}
		json_object_set_new(obj, "matchExpressions", arr);
	}
	return obj;
}

static void set_selectors(json_t *obj, const char *key, const struct cfg_selectors *s)
{
	if (s->n == 0)
		return;
	json_t *arr = json_array();
	for (size_t i = 0; i < s->n; i++)
		json_array_append_new(arr, selector_json(&s->v[i]));
	json_object_set_new(obj, key, arr);
}

static void set_addr(json_t *obj, const char *key, bool has, const ip_addr *addr)
{
	char text[IP_ADDR_STRLEN];
	if (has && ip_addr_format(addr, text, sizeof(text)) > 0)
		set_str(obj, key, text);
}

static void set_duration(json_t *obj, const char *key, int64_t ms)
{
	char text[32];
	cfg_duration_format_ms(ms, text, sizeof(text));
	set_str(obj, key, text);
}

static json_t *object_json(const char *api, const char *kind, const struct cfg_meta *meta,
			   json_t **spec)
{
	json_t *obj = json_object();
	set_str(obj, "apiVersion", api);
	set_str(obj, "kind", kind);
	json_t *md = json_object();
	set_str(md, "name", meta->name);
	set_str(md, "namespace", meta->namespace);
	if (meta->labels.n)
		json_object_set_new(md, "labels", labels_json(&meta->labels));
	json_object_set_new(obj, "metadata", md);
	if (spec) {
		*spec = json_object();
		json_object_set_new(obj, "spec", *spec);
	}
	return obj;
}

static json_t *pool_json(const struct cfg_pool *p)
{
	json_t *spec;
	json_t *obj = object_json("metallb.io/v1beta1", "IPAddressPool", &p->meta, &spec);
	if (p->legacy_protocol != CFG_PROTO_NONE) {
		json_t *ann = json_object();
		set_str(ann, CFG_LEGACY_PROTOCOL_ANNOTATION,
			p->legacy_protocol == CFG_PROTO_BGP ? "bgp" : "layer2");
		json_object_set_new(json_object_get(obj, "metadata"), "annotations", ann);
	}
	json_t *addrs = json_array();
	for (size_t i = 0; i < p->naddrs; i++) {
		char text[IP_RANGE_STRLEN];
		ip_prefix pfx;
		if (p->addrs[i].is_cidr && ip_range_is_prefix(&p->addrs[i].range, &pfx))
			ip_prefix_format(&pfx, text, sizeof(text));
		else
			ip_range_format(&p->addrs[i].range, text, sizeof(text));
		json_array_append_new(addrs, json_string(text));
	}
	json_object_set_new(spec, "addresses", addrs);
	if (!p->auto_assign)
		json_object_set_new(spec, "autoAssign", json_false());
	if (p->avoid_buggy_ips)
		json_object_set_new(spec, "avoidBuggyIPs", json_true());
	if (p->has_service_allocation) {
		json_t *sa = json_object();
		if (p->priority)
			json_object_set_new(sa, "priority", json_integer(p->priority));
		set_strings(sa, "namespaces", &p->namespaces);
		set_selectors(sa, "namespaceSelectors", &p->namespace_selectors);
		set_selectors(sa, "serviceSelectors", &p->service_selectors);
		json_object_set_new(spec, "serviceAllocation", sa);
	}
	return obj;
}

static void set_flag(json_t *obj, const char *key, bool value)
{
	if (value)
		json_object_set_new(obj, key, json_true());
}

static void set_uint(json_t *obj, const char *key, uint64_t value)
{
	if (value)
		json_object_set_new(obj, key, json_integer((json_int_t)value));
}

static json_t *peer_json(const struct cfg_peer *p)
{
	json_t *spec;
	json_t *obj = object_json("metallb.io/v1beta2", "BGPPeer", &p->meta, &spec);
	json_object_set_new(spec, "myASN", json_integer(p->my_asn));
	set_uint(spec, "peerASN", p->peer_asn);
	if (p->dynamic_asn != CFG_DYNAMIC_ASN_NONE)
		set_str(spec, "dynamicASN",
			p->dynamic_asn == CFG_DYNAMIC_ASN_INTERNAL ? "internal" : "external");
	set_uint(spec, "localASN", p->local_asn);
	set_addr(spec, "peerAddress", p->has_addr, &p->addr);
	set_str(spec, "interface", p->iface);
	set_addr(spec, "sourceAddress", p->has_src, &p->src);
	if (p->port != 179)
		json_object_set_new(spec, "peerPort", json_integer(p->port));
	if (p->has_timers) {
		set_duration(spec, "holdTime", p->hold_ms);
		set_duration(spec, "keepaliveTime", p->keepalive_ms);
	}
	if (p->has_connect_time)
		set_duration(spec, "connectTime", p->connect_ms);
	set_addr(spec, "routerID", p->has_router_id, &p->router_id);
	set_selectors(spec, "nodeSelectors", &p->node_selectors);
	set_str(spec, "password", p->password);
	if (p->password_secret) {
		json_t *ref = json_object();
		set_str(ref, "name", p->password_secret);
		set_str(ref, "namespace", p->password_secret_namespace);
		json_object_set_new(spec, "passwordSecret", ref);
	}
	set_str(spec, "bfdProfile", p->bfd_profile);
	set_flag(spec, "enableGracefulRestart", p->graceful_restart);
	set_flag(spec, "ebgpMultiHop", p->ebgp_multihop);
	set_str(spec, "vrf", p->vrf);
	set_flag(spec, "disableMP", p->disable_mp);
	set_flag(spec, "dualStackAddressFamily", p->dual_stack_address_family);
	return obj;
}

static json_t *bgp_adv_json(const struct cfg_bgp_adv *a)
{
	json_t *spec;
	json_t *obj = object_json("metallb.io/v1beta1", "BGPAdvertisement", &a->meta, &spec);
	if (a->aggregation_length != 32)
		json_object_set_new(spec, "aggregationLength", json_integer(a->aggregation_length));
	if (a->aggregation_length_v6 != 128)
		json_object_set_new(spec, "aggregationLengthV6",
				    json_integer(a->aggregation_length_v6));
	set_uint(spec, "localPref", a->local_pref);
	set_strings(spec, "communities", &a->communities);
	set_strings(spec, "ipAddressPools", &a->pools);
	set_selectors(spec, "ipAddressPoolSelectors", &a->pool_selectors);
	set_selectors(spec, "nodeSelectors", &a->node_selectors);
	set_strings(spec, "peers", &a->peers);
	set_selectors(spec, "serviceSelectors", &a->service_selectors);
	return obj;
}

static json_t *l2_adv_json(const struct cfg_l2_adv *a)
{
	json_t *spec;
	json_t *obj = object_json("metallb.io/v1beta1", "L2Advertisement", &a->meta, &spec);
	set_strings(spec, "ipAddressPools", &a->pools);
	set_selectors(spec, "ipAddressPoolSelectors", &a->pool_selectors);
	set_selectors(spec, "nodeSelectors", &a->node_selectors);
	set_strings(spec, "interfaces", &a->interfaces);
	set_selectors(spec, "serviceSelectors", &a->service_selectors);
	if (a->npreferred) {
		json_t *arr = json_array();
		for (size_t i = 0; i < a->npreferred; i++) {
			json_t *pn = json_object();
			json_object_set_new(pn, "weight", json_integer(a->preferred[i].weight));
			json_object_set_new(pn, "preference",
					    selector_json(&a->preferred[i].preference));
			json_array_append_new(arr, pn);
		}
		json_object_set_new(spec, "preferredNodeSelectors", arr);
	}
	return obj;
}

static json_t *community_json(const struct cfg_community_set *c)
{
	json_t *spec;
	json_t *obj = object_json("metallb.io/v1beta1", "Community", &c->meta, &spec);
	json_t *arr = json_array();
	for (size_t i = 0; i < c->naliases; i++) {
		json_t *al = json_object();
		set_str(al, "name", c->aliases[i].name);
		set_str(al, "value", c->aliases[i].value);
		json_array_append_new(arr, al);
	}
	json_object_set_new(spec, "communities", arr);
	return obj;
}

static json_t *bfd_json(const struct cfg_bfd *b)
{
	json_t *spec;
	json_t *obj = object_json("metallb.io/v1beta1", "BFDProfile", &b->meta, &spec);
	if (b->has_receive_interval)
		json_object_set_new(spec, "receiveInterval", json_integer(b->receive_interval));
	if (b->has_transmit_interval)
		json_object_set_new(spec, "transmitInterval", json_integer(b->transmit_interval));
	if (b->has_detect_multiplier)
		json_object_set_new(spec, "detectMultiplier", json_integer(b->detect_multiplier));
	if (b->has_echo_interval)
		json_object_set_new(spec, "echoInterval", json_integer(b->echo_interval));
	set_flag(spec, "echoMode", b->echo_mode);
	set_flag(spec, "passiveMode", b->passive_mode);
	if (b->has_minimum_ttl)
		json_object_set_new(spec, "minimumTtl", json_integer(b->minimum_ttl));
	return obj;
}

static json_t *secret_json(const struct cfg_secret *s)
{
	json_t *obj = object_json("v1", "Secret", &s->meta, NULL);
	set_str(obj, "type", s->type);
	if (s->has_password) {
		json_t *data = json_object();
		char *b64 = cfg_base64_encode(s->password, strlen(s->password));
		set_str(data, "password", b64);
		free(b64);
		json_object_set_new(obj, "data", data);
	}
	return obj;
}

/* --- json → YAML ------------------------------------------------------------------------- */

static int write_out(void *data, unsigned char *buffer, size_t size)
{
	return fwrite(buffer, 1, size, data) == size;
}

static bool emit_scalar(yaml_emitter_t *e, const char *text, bool force_string)
{
	yaml_event_t ev;
	yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;
	if (force_string && !yj_plain_is_string(text))
		style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)strlen(text), 1, 1,
				     style);
	return yaml_emitter_emit(e, &ev);
}

static bool emit_json(yaml_emitter_t *e, const json_t *node)
{
	yaml_event_t ev;
	char num[32];
	switch (json_typeof(node)) {
	case JSON_OBJECT: {
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
		if (!yaml_emitter_emit(e, &ev))
			return false;
		const char *key;
		json_t *value;
		json_object_foreach((json_t *)node, key, value) {
			if (!emit_scalar(e, key, true) || !emit_json(e, value))
				return false;
		}
		yaml_mapping_end_event_initialize(&ev);
		return yaml_emitter_emit(e, &ev);
	}
	case JSON_ARRAY: {
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
		if (!yaml_emitter_emit(e, &ev))
			return false;
		size_t i;
		json_t *value;
		json_array_foreach(node, i, value) {
			if (!emit_json(e, value))
				return false;
		}
		yaml_sequence_end_event_initialize(&ev);
		return yaml_emitter_emit(e, &ev);
	}
	case JSON_STRING:
		return emit_scalar(e, json_string_value(node), true);
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(node));
		return emit_scalar(e, num, false);
	case JSON_REAL:
		snprintf(num, sizeof(num), "%.17g", json_real_value(node));
		return emit_scalar(e, num, false);
	case JSON_TRUE:
		return emit_scalar(e, "true", false);
	case JSON_FALSE:
		return emit_scalar(e, "false", false);
	case JSON_NULL:
		return emit_scalar(e, "null", false);
	}
	return false;
}

static bool emit_document(yaml_emitter_t *e, json_t *obj)
{
	yaml_event_t ev;
	bool ok = yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0) &&
		  yaml_emitter_emit(e, &ev) && emit_json(e, obj);
	if (ok) {
		yaml_document_end_event_initialize(&ev, 1);
		ok = yaml_emitter_emit(e, &ev);
	}
	json_decref(obj);
	return ok;
}

bool config_print_yaml(const struct cfg_model *m, FILE *out)
{
	yaml_emitter_t e;
	if (!yaml_emitter_initialize(&e))
		return false;
	yaml_emitter_set_output(&e, write_out, out);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, -1);
	yaml_event_t ev;
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	bool ok = yaml_emitter_emit(&e, &ev);
	for (size_t i = 0; ok && i < m->ncommunities; i++)
		ok = emit_document(&e, community_json(&m->communities[i]));
	for (size_t i = 0; ok && i < m->nbfds; i++)
		ok = emit_document(&e, bfd_json(&m->bfds[i]));
	for (size_t i = 0; ok && i < m->nsecrets; i++)
		ok = emit_document(&e, secret_json(&m->secrets[i]));
	for (size_t i = 0; ok && i < m->npools; i++)
		ok = emit_document(&e, pool_json(&m->pools[i]));
	for (size_t i = 0; ok && i < m->npeers; i++)
		ok = emit_document(&e, peer_json(&m->peers[i]));
	for (size_t i = 0; ok && i < m->nbgp_advs; i++)
		ok = emit_document(&e, bgp_adv_json(&m->bgp_advs[i]));
	for (size_t i = 0; ok && i < m->nl2_advs; i++)
		ok = emit_document(&e, l2_adv_json(&m->l2_advs[i]));
	if (ok) {
		yaml_stream_end_event_initialize(&ev);
		ok = yaml_emitter_emit(&e, &ev) && yaml_emitter_flush(&e);
	}
	yaml_emitter_delete(&e);
	return ok && fflush(out) == 0 && !ferror(out);
}
