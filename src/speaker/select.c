/*
 * Which advertisements apply to a pool. An advertisement picks the pools named in ipAddressPools
 * and those whose labels match ipAddressPoolSelectors; with neither set it picks every pool
 * (MetalLB config.For). A legacy pool (protocol bgp or layer2 in the v0.12 ConfigMap) that no
 * advertisement of its protocol picks gets MetalLB's default one: aggregation 32 and 128, no
 * localPref or communities, every node, every peer, every interface.
 */
#include "speaker/speaker_int.h"

static const struct cfg_bgp_adv default_bgp_adv = {
	.aggregation_length = 32,
	.aggregation_length_v6 = 128,
};

static const struct cfg_l2_adv default_l2_adv = { 0 };

static bool selects_pool(const struct cfg_strings *names, const struct cfg_selectors *sels,
			 const struct cfg_pool *pool)
{
	if (names->n == 0 && sels->n == 0)
		return true;
	return strings_contains(names, pool->meta.name) ||
	       selectors_match(sels, &pool->meta.labels, false);
}

size_t spk_bgp_advs_for_pool(const struct cfg_model *m, const struct cfg_pool *pool,
			     const struct cfg_bgp_adv **out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < m->nbgp_advs; i++) {
		const struct cfg_bgp_adv *a = &m->bgp_advs[i];
		if (!selects_pool(&a->pools, &a->pool_selectors, pool))
			continue;
		if (n < max)
			out[n] = a;
		n++;
	}
	if (n == 0 && pool->legacy_protocol == CFG_PROTO_BGP) {
		if (max)
			out[0] = &default_bgp_adv;
		n = 1;
	}
	return n;
}

size_t spk_l2_advs_for_pool(const struct cfg_model *m, const struct cfg_pool *pool,
			    const struct cfg_l2_adv **out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < m->nl2_advs; i++) {
		const struct cfg_l2_adv *a = &m->l2_advs[i];
		if (!selects_pool(&a->pools, &a->pool_selectors, pool))
			continue;
		if (n < max)
			out[n] = a;
		n++;
	}
	if (n == 0 && pool->legacy_protocol == CFG_PROTO_LAYER2) {
		if (max)
			out[0] = &default_l2_adv;
		n = 1;
	}
	return n;
}
