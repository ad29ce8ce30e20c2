/*
 * Decoders for BGPPeer (metallb.io v1beta1 and v1beta2) and BGPAdvertisement, and the peer
 * rules shared with the legacy format (MetalLB config.go: peerFromCR, parseTimers,
 * bgpAdvertisementFromCR).
 */
#include <stdlib.h>
#include <string.h>

#include "config/crd.h"
#include "config/values.h"
#include "core/xalloc.h"

void crd_peer_timers(struct dctx *c, const json_t *obj, const char *path, struct cfg_peer *p,
		     bool hold_set, int64_t hold_ms, bool ka_set, int64_t ka_ms,
		     const char *hold_key, const char *ka_key)
{
	if (!hold_set && !ka_set)
		return;
	/* One given: hold = 3 x keepalive, or keepalive = hold / 3 (MetalLB parseTimers). */
	if (!hold_set)
		hold_ms = ka_ms * 3;
	if (!ka_set)
		ka_ms = hold_ms / 3;
	char p_hold[DPATH_MAX], p_ka[DPATH_MAX];
	dec_path(p_hold, path, hold_key);
	dec_path(p_ka, path, ka_key);
	int64_t rounded = hold_ms / 1000 * 1000;
	char hold_text[32], ka_text[32];
	cfg_duration_format_ms(hold_ms, hold_text, sizeof(hold_text));
	cfg_duration_format_ms(ka_ms, ka_text, sizeof(ka_text));
	bool ok = true;
	/* RFC 4271 4.2: the hold time is zero or at least three seconds. */
	if (rounded != 0 && rounded < 3000) {
		dec_error(c, json_object_get(obj, hold_key), hold_set ? p_hold : p_ka,
			"invalid hold time \"%s\": must be 0 or >=3s", hold_text);
		ok = false;
	}
	if (ka_ms > hold_ms) {
		dec_error(c, json_object_get(obj, ka_key), p_ka,
			"invalid keepalive time \"%s\": must be lower than the hold time \"%s\"",
			ka_text, hold_text);
		ok = false;
	}
	if (ok) {
		p->has_timers = true;
		p->hold_ms = hold_ms;
		p->keepalive_ms = ka_ms;
	}
}

static bool has_crlf(const char *s)
{
	return s && strpbrk(s, "\r\n") != NULL;
}

void crd_peer_check(struct dctx *c, const json_t *obj, const char *path, const struct cfg_peer *p,
		    bool legacy)
{
	char pf[DPATH_MAX];
	/* A value that was given but refused has been reported already: no second message. */
	const char *my_key = legacy ? "my-asn" : "myASN";
	const char *peer_key = legacy ? "peer-asn" : "peerASN";
	bool my_given = json_integer_value(json_object_get(obj, my_key)) != 0;
	bool peer_given = json_integer_value(json_object_get(obj, peer_key)) != 0 ||
			  json_object_get(obj, "dynamicASN");
	if (p->my_asn == 0 && !my_given) {
		dec_path(pf, path, my_key);
		dec_error(c, obj, pf, "missing local ASN");
	}
	dec_path(pf, path, peer_key);
	if (p->peer_asn == 0 && p->dynamic_asn == CFG_DYNAMIC_ASN_NONE && !peer_given)
		dec_error(c, obj, pf, legacy ? "missing peer ASN" : "missing peer ASN and dynamicASN");
	if (p->peer_asn != 0 && p->dynamic_asn != CFG_DYNAMIC_ASN_NONE)
		dec_error(c, obj, pf, "both peer ASN and dynamicASN specified");
	if (p->ebgp_multihop && p->peer_asn == p->my_asn) {
		dec_path(pf, path, legacy ? "ebgp-multihop" : "ebgpMultiHop");
		dec_error(c, obj, pf, "invalid ebgp-multihop parameter set for an ibgp peer");
	}
	const char *addr_key = legacy ? "peer-address" : "peerAddress";
	dec_path(pf, path, addr_key);
	/* An address that was given but did not parse has been reported already. */
	if (!p->has_addr && !p->iface && !json_object_get(obj, addr_key))
		dec_error(c, obj, pf, legacy ? "missing peer address" :
			"peer has no Address or Interface specified");
	if (p->has_addr && p->iface)
		dec_error(c, obj, pf, "peer has both Address and Interface specified");
	if (p->password && p->password_secret) {
		dec_path(pf, path, "password");
		dec_error(c, obj, pf, "can not have both password and secret ref set");
	}
	const struct {
		const char *text;
		const char *key;
	} texts[] = {
		{ p->password, "password" },
		{ p->iface, "interface" },
		{ p->vrf, "vrf" },
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		if (has_crlf(texts[i].text)) {
			dec_path(pf, path, texts[i].key);
			dec_error(c, obj, pf, "contains invalid characters");
		}
	}
	if (p->has_router_id && p->router_id.family != IP_V4) {
		dec_path(pf, path, legacy ? "router-id" : "routerID");
		dec_error(c, obj, pf, "router ID must be an IPv4 address (RFC 4271 4.2: 4 octets)");
	}
}

static const char *const peer_v1beta1_keys[] = {
	"myASN", "peerASN", "peerAddress", "sourceAddress", "peerPort", "holdTime", "keepaliveTime",
	"routerID", "nodeSelectors", "password", "bfdProfile", "ebgpMultiHop", "vrf", NULL
};

static const char *const peer_v1beta2_keys[] = {
	"myASN", "peerASN", "dynamicASN", "localASN", "peerAddress", "interface", "sourceAddress",
	"peerPort", "holdTime", "keepaliveTime", "connectTime", "routerID", "nodeSelectors",
	"password", "passwordSecret", "bfdProfile", "enableGracefulRestart", "ebgpMultiHop", "vrf",
	"disableMP", "dualStackAddressFamily", NULL
};

/* Fields ingot keeps but does not act on yet: said once per object, never dropped silently. */
/* What the speaker cannot do yet is kept in the model (so print/convert round-trip it) and said
 * once at load: BGP unnumbered needs link-local peering with scope ids and RFC 8950 next hops. */
static void peer_unsupported(struct dctx *c, const json_t *spec, const struct cfg_peer *p)
{
	if (p->iface)
		dec_warn(c, json_object_get(spec, "interface"), "spec.interface",
			 "BGP unnumbered is not supported by ingot yet (kept, has no effect)");
	if (p->disable_mp)
		dec_warn(c, spec, "spec.disableMP",
		       "deprecated in MetalLB and a no-op since v0.15; ignored");
}

static void peer_secret_ref(struct dctx *c, const json_t *spec, struct cfg_peer *p)
{
	static const char *const keys[] = { "name", "namespace", NULL };
	const json_t *ref = json_object_get(spec, "passwordSecret");
	if (!ref || json_is_null(ref) || !dec_is_object(c, ref, "spec.passwordSecret"))
		return;
	dec_known_keys(c, ref, "spec.passwordSecret", keys);
	dec_string(c, ref, "spec.passwordSecret", "name", &p->password_secret);
	dec_string(c, ref, "spec.passwordSecret", "namespace", &p->password_secret_namespace);
	if (p->password_secret && !*p->password_secret) {
		free(p->password_secret);
		p->password_secret = NULL;
	}
}

/* Go's omitempty: an empty string is an unset field. */
static void empty_to_null(char **s)
{
	if (*s && !**s) {
		free(*s);
		*s = NULL;
	}
}

void crd_bgppeer(struct dctx *c, struct cfg_model *m, const json_t *spec, struct cfg_meta *meta,
		 enum crd_peer_version version)
{
	struct cfg_peer *p = model_add_peer(m);
	p->meta = *meta;
	memset(meta, 0, sizeof(*meta));
	p->port = 179;
	if (!spec) {
		dec_error(c, NULL, "spec", "required");
		return;
	}
	if (!dec_is_object(c, spec, "spec"))
		return;
	bool v2 = version == CRD_PEER_V1BETA2;
	dec_known_keys(c, spec, "spec", v2 ? peer_v1beta2_keys : peer_v1beta1_keys);
	uint64_t v = 0;
	if (dec_uint(c, spec, "spec", "myASN", 0, UINT32_MAX, &v, NULL))
		p->my_asn = (uint32_t)v;
	v = 0;
	if (dec_uint(c, spec, "spec", "peerASN", 0, UINT32_MAX, &v, NULL))
		p->peer_asn = (uint32_t)v;
	v = 0;
	if (v2 && dec_uint(c, spec, "spec", "localASN", 0, UINT32_MAX, &v, NULL))
		p->local_asn = (uint32_t)v;
	char *dyn = NULL;
	if (v2)
		dec_string(c, spec, "spec", "dynamicASN", &dyn);
	if (dyn && strcmp(dyn, "internal") == 0)
		p->dynamic_asn = CFG_DYNAMIC_ASN_INTERNAL;
	else if (dyn && strcmp(dyn, "external") == 0)
		p->dynamic_asn = CFG_DYNAMIC_ASN_EXTERNAL;
	else if (dyn && *dyn)
		dec_error(c, json_object_get(spec, "dynamicASN"), "spec.dynamicASN",
			"invalid dynamicASN \"%s\": must be internal or external", dyn);
	free(dyn);
	dec_ip(c, spec, "spec", "peerAddress", "BGPPeer address", &p->addr, &p->has_addr);
	if (v2)
		dec_string(c, spec, "spec", "interface", &p->iface);
	empty_to_null(&p->iface);
	dec_ip(c, spec, "spec", "sourceAddress", "source IP", &p->src, &p->has_src);
	v = 0;
	bool has_port = false;
	if (dec_uint(c, spec, "spec", "peerPort", v2 ? 1 : 0, 16384, &v, &has_port) && has_port && v)
		p->port = (uint16_t)v;
	int64_t hold = 0, ka = 0, connect = 0;
	bool hold_set = false, ka_set = false;
	dec_duration(c, spec, "spec", "holdTime", &hold, &hold_set);
	dec_duration(c, spec, "spec", "keepaliveTime", &ka, &ka_set);
	crd_peer_timers(c, spec, "spec", p, hold_set, hold, ka_set, ka, "holdTime", "keepaliveTime");
	bool connect_set = false;
	if (v2 && dec_duration(c, spec, "spec", "connectTime", &connect, &connect_set) &&
	    connect_set) {
		/* The CRD's CEL rules: whole seconds, 1..65535. */
		const json_t *n = json_object_get(spec, "connectTime");
		if (connect < 1000 || connect > 65535000)
			dec_error(c, n, "spec.connectTime",
				"connect time should be between 1 seconds to 65535");
		else if (connect % 1000 != 0)
			dec_error(c, n, "spec.connectTime",
				"connect time should contain a whole number of seconds");
		else {
			p->has_connect_time = true;
			p->connect_ms = connect;
		}
	}
	dec_ip(c, spec, "spec", "routerID", "router ID", &p->router_id, &p->has_router_id);
	dec_selectors(c, spec, "spec", "nodeSelectors", D_SEL_CRD, &p->node_selectors);
	dec_string(c, spec, "spec", "password", &p->password);
	empty_to_null(&p->password);
	if (v2)
		peer_secret_ref(c, spec, p);
	dec_string(c, spec, "spec", "bfdProfile", &p->bfd_profile);
	empty_to_null(&p->bfd_profile);
	if (v2)
		dec_bool(c, spec, "spec", "enableGracefulRestart", &p->graceful_restart);
	dec_bool(c, spec, "spec", "ebgpMultiHop", &p->ebgp_multihop);
	dec_string(c, spec, "spec", "vrf", &p->vrf);
	empty_to_null(&p->vrf);
	if (v2) {
		dec_bool(c, spec, "spec", "disableMP", &p->disable_mp);
		dec_bool(c, spec, "spec", "dualStackAddressFamily", &p->dual_stack_address_family);
	}
	crd_peer_check(c, spec, "spec", p, false);
	peer_unsupported(c, spec, p);
}

static const char *const adv_keys[] = {
	"aggregationLength", "aggregationLengthV6", "localPref", "communities", "ipAddressPools",
	"ipAddressPoolSelectors", "nodeSelectors", "peers", "serviceSelectors", NULL
};

static void adv_duplicates(struct dctx *c, const json_t *spec, const char *key,
			   const char *what, const struct cfg_strings *s)
{
	char path[DPATH_MAX];
	dec_path(path, "spec", key);
	for (size_t i = 0; i < s->n; i++) {
		for (size_t j = i + 1; j < s->n; j++) {
			if (strcmp(s->v[i], s->v[j]) == 0)
				dec_error(c, json_object_get(spec, key), path,
					"duplicate definition of %s \"%s\"", what, s->v[i]);
		}
	}
}

/* MetalLB's backends accept at most 63 communities on one advertisement. */
#define CFG_MAX_COMMUNITIES 63

void crd_bgpadvertisement(struct dctx *c, struct cfg_model *m, const json_t *spec,
			  struct cfg_meta *meta)
{
	struct cfg_bgp_adv *a = model_add_bgp_adv(m);
	a->meta = *meta;
	memset(meta, 0, sizeof(*meta));
	a->aggregation_length = 32;
	a->aggregation_length_v6 = 128;
	if (!spec || !dec_is_object(c, spec, "spec"))
		return;
	dec_known_keys(c, spec, "spec", adv_keys);
	int64_t len = 32;
	const json_t *n4 = json_object_get(spec, "aggregationLength");
	if (dec_int(c, spec, "spec", "aggregationLength", INT32_MIN, INT32_MAX, &len)) {
		if (len > 32 || len < 1)
			dec_error(c, n4, "spec.aggregationLength", "invalid aggregation length %lld for IPv4",
				(long long)len);
		else
			a->aggregation_length = (uint8_t)len;
	}
	len = 128;
	const json_t *n6 = json_object_get(spec, "aggregationLengthV6");
	if (dec_int(c, spec, "spec", "aggregationLengthV6", INT32_MIN, INT32_MAX, &len)) {
		if (len > 128 || len < 0)
			dec_error(c, n6, "spec.aggregationLengthV6",
				"invalid aggregation length %lld for IPv6", (long long)len);
		else
			a->aggregation_length_v6 = (uint8_t)len;
	}
	uint64_t pref = 0;
	if (dec_uint(c, spec, "spec", "localPref", 0, UINT32_MAX, &pref, NULL))
		a->local_pref = (uint32_t)pref;
	dec_strings(c, spec, "spec", "communities", &a->communities);
	adv_duplicates(c, spec, "communities", "community", &a->communities);
	if (a->communities.n > CFG_MAX_COMMUNITIES)
		dec_error(c, json_object_get(spec, "communities"), "spec.communities",
			"%zu communities, at most %d are allowed", a->communities.n,
			CFG_MAX_COMMUNITIES);
	dec_strings(c, spec, "spec", "ipAddressPools", &a->pools);
	adv_duplicates(c, spec, "ipAddressPools", "ipAddressPools", &a->pools);
	dec_selectors(c, spec, "spec", "ipAddressPoolSelectors", D_SEL_CRD, &a->pool_selectors);
	dec_selectors(c, spec, "spec", "nodeSelectors", D_SEL_CRD, &a->node_selectors);
	dec_strings(c, spec, "spec", "peers", &a->peers);
	adv_duplicates(c, spec, "peers", "peers", &a->peers);
	dec_selectors(c, spec, "spec", "serviceSelectors", D_SEL_CRD, &a->service_selectors);
	if (a->service_selectors.n > 0) {
		if (a->aggregation_length != 32)
			dec_error(c, n4, "spec.aggregationLength",
				"serviceSelectors and aggregationLength are mutually exclusive");
		if (a->aggregation_length_v6 != 128)
			dec_error(c, n6, "spec.aggregationLengthV6",
				"serviceSelectors and aggregationLengthV6 are mutually exclusive");
	}
}
