/*
 * Internal to src/speaker: the indexed view of the inputs that both decisions share (nodes and
 * live speakers sorted for lookup, each Service's serving nodes, this node's eligibility), which
 * advertisements apply to a pool, and small helpers for Service references and growing arrays.
 */
#ifndef INGOT_SPEAKER_SPEAKER_INT_H
#define INGOT_SPEAKER_SPEAKER_INT_H

#include "speaker/speaker.h"

/* Where a Service has serving endpoints (endpoints.c). nodes are borrowed from the inputs. */
struct spk_serving {
	bool any;                        /* a serving endpoint exists, with or without a node */
	const char **nodes;              /* nodes with a serving endpoint, sorted, unique */
	size_t nnodes;
};

void spk_serving_compute(const struct spk_service *svc, struct spk_serving *out);
bool spk_serving_on(const struct spk_serving *s, const char *node);
void spk_serving_free(struct spk_serving *s);

struct spk_ctx {
	const struct spk_inputs *in;
	const struct spk_node **nodes;   /* sorted by name, one per name */
	size_t nnodes;
	const char **live;               /* sorted, unique; unused when in->all_live */
	size_t nlive;
	const struct spk_node **eligible;  /* nodes that are live and not excluded, sorted */
	size_t neligible;
	const struct spk_node *self;     /* NULL when this node has no Node object */
	bool self_eligible;              /* known and not excluded */
	struct spk_serving *serving;     /* one per input Service */
};

void spk_ctx_init(struct spk_ctx *c, const struct spk_inputs *in);
void spk_ctx_free(struct spk_ctx *c);
const struct spk_node *spk_ctx_node(const struct spk_ctx *c, const char *name);
bool spk_ctx_live(const struct spk_ctx *c, const char *name);
/* NetworkUnavailable, or the exclude label unless the inputs ignore it. */
bool spk_ctx_excluded(const struct spk_ctx *c, const struct spk_node *n);
/* The pool ip came from: the annotated pool when it holds ip, else the pool holding ip; NULL. */
const struct cfg_pool *spk_pool_for(const struct cfg_model *m, const struct spk_service *svc,
				    const ip_addr *ip);

/*
 * The advertisements that apply to pool (select.c): those whose ipAddressPools or
 * ipAddressPoolSelectors pick it (neither set: every pool), or, when none does and the pool is a
 * legacy one of that protocol, MetalLB's default advertisement (aggregation 32/128, every node,
 * every peer, every interface). Fills out (up to max) and returns how many there are.
 */
size_t spk_bgp_advs_for_pool(const struct cfg_model *m, const struct cfg_pool *pool,
			     const struct cfg_bgp_adv **out, size_t max);
size_t spk_l2_advs_for_pool(const struct cfg_model *m, const struct cfg_pool *pool,
			    const struct cfg_l2_adv **out, size_t max);

/* Service references (svc_ref.c). */
void spk_svc_ref_set(struct spk_svc_ref *r, const struct spk_service *s);
void spk_svc_ref_copy(struct spk_svc_ref *dst, const struct spk_svc_ref *src);
void spk_svc_ref_free(struct spk_svc_ref *r);
int spk_svc_ref_cmp(const struct spk_svc_ref *a, const struct spk_svc_ref *b);
int spk_service_cmp(const struct spk_service *a, const struct spk_service *b);

/* The two halves of spk_decide() over one context (decide_bgp.c, decide_l2.c); out is zeroed
 * but for node_name. */
void spk_bgp_fill(const struct spk_ctx *c, struct spk_decision *out);
void spk_l2_fill(const struct spk_ctx *c, struct spk_decision *out);

/* qsort that accepts an empty (possibly NULL) array. */
void spk_sort(void *array, size_t n, size_t elem, int (*cmp)(const void *, const void *));

/* Make room for element n in an array of *cap elements (capacity doubles). */
void *spk_grow(void *array, size_t *cap, size_t n, size_t elem);

#endif
