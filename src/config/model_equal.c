/*
 * Model equality, field by field (never memcmp over structs): what the round-trip tests and a
 * reload's "did anything change" check use. Origins are not compared.
 */
#include "config/model.h"

#include <string.h>

#include "config/values.h"

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool strings_eq(const struct cfg_strings *a, const struct cfg_strings *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		if (!str_eq(a->v[i], b->v[i]))
			return false;
	}
	return true;
}

/* Same members in any order (selector values are a set in Kubernetes). */
static bool strings_set_eq(const struct cfg_strings *a, const struct cfg_strings *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		if (!strings_contains(b, a->v[i]) || !strings_contains(a, b->v[i]))
			return false;
	}
	return true;
}

static bool labels_eq(const struct cfg_labels *a, const struct cfg_labels *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {  /* both sorted by key */
		if (!str_eq(a->v[i].key, b->v[i].key) || !str_eq(a->v[i].value, b->v[i].value))
			return false;
	}
	return true;
}

static bool expr_eq(const struct cfg_sel_expr *a, const struct cfg_sel_expr *b)
{
	return str_eq(a->key, b->key) && a->op == b->op && strings_set_eq(&a->values, &b->values);
}

bool selector_equal(const struct cfg_selector *a, const struct cfg_selector *b)
{
	if (!labels_eq(&a->match_labels, &b->match_labels) || a->nexprs != b->nexprs)
		return false;
	for (size_t i = 0; i < a->nexprs; i++) {
		bool found = false;
		for (size_t j = 0; j < b->nexprs && !found; j++)
			found = expr_eq(&a->exprs[i], &b->exprs[j]);
		if (!found)
			return false;
	}
	return true;
}

static bool selectors_eq(const struct cfg_selectors *a, const struct cfg_selectors *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		if (!selector_equal(&a->v[i], &b->v[i]))
			return false;
	}
	return true;
}

static bool meta_eq(const struct cfg_meta *a, const struct cfg_meta *b)
{
	return str_eq(a->name, b->name) && str_eq(a->namespace, b->namespace) &&
	       labels_eq(&a->labels, &b->labels);
}

static bool opt_addr_eq(bool ha, const ip_addr *a, bool hb, const ip_addr *b)
{
	return ha == hb && (!ha || ip_addr_eq(a, b));
}

static bool pool_eq(const struct cfg_pool *a, const struct cfg_pool *b)
{
	if (!meta_eq(&a->meta, &b->meta) || a->naddrs != b->naddrs)
		return false;
	for (size_t i = 0; i < a->naddrs; i++) {
		if (!ip_addr_eq(&a->addrs[i].range.first, &b->addrs[i].range.first) ||
		    !ip_addr_eq(&a->addrs[i].range.last, &b->addrs[i].range.last))
			return false;
	}
	return a->auto_assign == b->auto_assign && a->avoid_buggy_ips == b->avoid_buggy_ips &&
	       a->legacy_protocol == b->legacy_protocol &&
	       a->has_service_allocation == b->has_service_allocation &&
	       a->priority == b->priority && strings_eq(&a->namespaces, &b->namespaces) &&
	       selectors_eq(&a->namespace_selectors, &b->namespace_selectors) &&
	       selectors_eq(&a->service_selectors, &b->service_selectors);
}

static bool peer_eq(const struct cfg_peer *a, const struct cfg_peer *b)
{
	return meta_eq(&a->meta, &b->meta) && a->my_asn == b->my_asn &&
	       a->peer_asn == b->peer_asn && a->dynamic_asn == b->dynamic_asn &&
	       a->local_asn == b->local_asn && opt_addr_eq(a->has_addr, &a->addr, b->has_addr, &b->addr) &&
	       str_eq(a->iface, b->iface) && opt_addr_eq(a->has_src, &a->src, b->has_src, &b->src) &&
	       a->port == b->port && a->has_timers == b->has_timers &&
	       (!a->has_timers || (a->hold_ms == b->hold_ms && a->keepalive_ms == b->keepalive_ms)) &&
	       a->has_connect_time == b->has_connect_time &&
	       (!a->has_connect_time || a->connect_ms == b->connect_ms) &&
	       opt_addr_eq(a->has_router_id, &a->router_id, b->has_router_id, &b->router_id) &&
	       selectors_eq(&a->node_selectors, &b->node_selectors) &&
	       str_eq(a->password, b->password) && str_eq(a->password_secret, b->password_secret) &&
	       str_eq(a->password_secret_namespace, b->password_secret_namespace) &&
	       str_eq(a->bfd_profile, b->bfd_profile) && a->graceful_restart == b->graceful_restart &&
	       a->ebgp_multihop == b->ebgp_multihop && str_eq(a->vrf, b->vrf) &&
	       a->disable_mp == b->disable_mp &&
	       a->dual_stack_address_family == b->dual_stack_address_family;
}

static bool bgp_adv_eq(const struct cfg_bgp_adv *a, const struct cfg_bgp_adv *b)
{
	if (!meta_eq(&a->meta, &b->meta) || a->ncommunity_values != b->ncommunity_values)
		return false;
	for (size_t i = 0; i < a->ncommunity_values; i++) {
		if (cfg_community_cmp(&a->community_values[i], &b->community_values[i]) != 0)
			return false;
	}
	return a->aggregation_length == b->aggregation_length &&
	       a->aggregation_length_v6 == b->aggregation_length_v6 &&
	       a->local_pref == b->local_pref && strings_eq(&a->communities, &b->communities) &&
	       strings_eq(&a->pools, &b->pools) && selectors_eq(&a->pool_selectors, &b->pool_selectors) &&
	       selectors_eq(&a->node_selectors, &b->node_selectors) && strings_eq(&a->peers, &b->peers) &&
	       selectors_eq(&a->service_selectors, &b->service_selectors);
}

static bool l2_adv_eq(const struct cfg_l2_adv *a, const struct cfg_l2_adv *b)
{
	if (!meta_eq(&a->meta, &b->meta) || a->npreferred != b->npreferred)
		return false;
	for (size_t i = 0; i < a->npreferred; i++) {
		if (a->preferred[i].weight != b->preferred[i].weight ||
		    !selector_equal(&a->preferred[i].preference, &b->preferred[i].preference))
			return false;
	}
	return strings_eq(&a->pools, &b->pools) &&
	       selectors_eq(&a->pool_selectors, &b->pool_selectors) &&
	       selectors_eq(&a->node_selectors, &b->node_selectors) &&
	       strings_eq(&a->interfaces, &b->interfaces) &&
	       selectors_eq(&a->service_selectors, &b->service_selectors);
}

static bool community_set_eq(const struct cfg_community_set *a, const struct cfg_community_set *b)
{
	if (!meta_eq(&a->meta, &b->meta) || a->naliases != b->naliases)
		return false;
	for (size_t i = 0; i < a->naliases; i++) {
		if (!str_eq(a->aliases[i].name, b->aliases[i].name) ||
		    cfg_community_cmp(&a->aliases[i].community, &b->aliases[i].community) != 0)
			return false;
	}
	return true;
}

static bool bfd_eq(const struct cfg_bfd *a, const struct cfg_bfd *b)
{
#define OPT_EQ(f) (a->has_##f == b->has_##f && (!a->has_##f || a->f == b->f))
	bool eq = OPT_EQ(receive_interval) && OPT_EQ(transmit_interval) &&
		  OPT_EQ(detect_multiplier) && OPT_EQ(echo_interval) && OPT_EQ(minimum_ttl);
#undef OPT_EQ
	return eq && meta_eq(&a->meta, &b->meta) && a->echo_mode == b->echo_mode &&
	       a->passive_mode == b->passive_mode;
}

static bool secret_eq(const struct cfg_secret *a, const struct cfg_secret *b)
{
	return meta_eq(&a->meta, &b->meta) && str_eq(a->type, b->type) &&
	       a->has_password == b->has_password && str_eq(a->password, b->password);
}


bool model_equal(const struct cfg_model *a, const struct cfg_model *b)
{
	if (a->npools != b->npools || a->npeers != b->npeers || a->nbgp_advs != b->nbgp_advs ||
	    a->nl2_advs != b->nl2_advs || a->ncommunities != b->ncommunities ||
	    a->nbfds != b->nbfds || a->nsecrets != b->nsecrets)
		return false;
	for (size_t i = 0; i < a->npools; i++) {
		if (!pool_eq(&a->pools[i], &b->pools[i]))
			return false;
	}
	for (size_t i = 0; i < a->npeers; i++) {
		if (!peer_eq(&a->peers[i], &b->peers[i]))
			return false;
	}
	for (size_t i = 0; i < a->nbgp_advs; i++) {
		if (!bgp_adv_eq(&a->bgp_advs[i], &b->bgp_advs[i]))
			return false;
	}
	for (size_t i = 0; i < a->nl2_advs; i++) {
		if (!l2_adv_eq(&a->l2_advs[i], &b->l2_advs[i]))
			return false;
	}
	for (size_t i = 0; i < a->ncommunities; i++) {
		if (!community_set_eq(&a->communities[i], &b->communities[i]))
			return false;
	}
	for (size_t i = 0; i < a->nbfds; i++) {
		if (!bfd_eq(&a->bfds[i], &b->bfds[i]))
			return false;
	}
	for (size_t i = 0; i < a->nsecrets; i++) {
		if (!secret_eq(&a->secrets[i], &b->secrets[i]))
			return false;
	}
	return true;
}
