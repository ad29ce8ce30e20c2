/*
 * A small world for the speaker's unit tests: a configuration model built in code, Nodes,
 * Services with endpoints, live speakers, and the spk_inputs that point at them. Everything is
 * owned by the fixture and freed by fx_free(). Objects are stored in fixed arrays, so the pointers
 * fx_node()/fx_svc() return stay valid; the model's arrays grow, so configure a pool, peer or
 * advertisement before adding the next one of its kind.
 */
#ifndef INGOT_TESTS_SPK_FIXTURE_H
#define INGOT_TESTS_SPK_FIXTURE_H

#include "speaker/speaker.h"

#define FX_MAX_NODES 512
#define FX_MAX_SLICES 3
#define FX_MAX_EPS 8

/* What a Service's input points at. */
struct fx_svc {
	ip_addr ips[2];
	struct spk_endpoint_slice slices[FX_MAX_SLICES];
	struct spk_endpoint eps[FX_MAX_SLICES][FX_MAX_EPS];
	const char *addrs[FX_MAX_SLICES][FX_MAX_EPS][1];
};

struct fx {
	struct cfg_model *m;
	struct spk_node nodes[FX_MAX_NODES];
	size_t nnodes;
	struct spk_service *svcs;        /* max_svcs of them */
	struct fx_svc *store;            /* svcs[i] points into store[i] */
	size_t nsvcs, max_svcs;
	const char *live[FX_MAX_NODES];
	size_t nlive;
	const char *ifaces[8];
	size_t nifaces;
	bool has_ifaces;
	bool all_live;
	bool ignore_exclude_lb;
	char **strings;                  /* fx_str() copies */
	size_t nstrings;
};

/* Room for 64 Services, or for max_svcs. */
struct fx *fx_new(void);
struct fx *fx_new_sized(size_t max_svcs);
void fx_free(struct fx *f);
/* A copy of the formatted string, owned by the fixture. */
const char *fx_str(struct fx *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct cfg_pool *fx_pool(struct fx *f, const char *name, const char *range,
			 enum cfg_protocol legacy);
struct cfg_bgp_adv *fx_bgp_adv(struct fx *f, const char *name);
struct cfg_l2_adv *fx_l2_adv(struct fx *f, const char *name);
struct cfg_peer *fx_peer(struct fx *f, const char *name);
/* Adds a selector with matchLabels {key: value} (key NULL: an empty selector). */
void fx_sel(struct cfg_selectors *s, const char *key, const char *value);
/* Adds a selector with one expression (value NULL for Exists / DoesNotExist). */
void fx_sel_expr(struct cfg_selectors *s, const char *key, enum cfg_sel_op op, const char *value);
void fx_community(struct cfg_bgp_adv *a, bool large, uint32_t x, uint32_t y, uint32_t z);
void fx_preferred(struct cfg_l2_adv *a, int32_t weight, const char *key, const char *value);

struct spk_node *fx_node(struct fx *f, const char *name);   /* also live */
void fx_label(struct cfg_labels *l, const char *key, const char *value);
struct spk_service *fx_svc(struct fx *f, const char *ns, const char *name,
			   enum spk_traffic_policy etp, const char *ip1, const char *ip2);
/* Adds an endpoint in slice (0..FX_MAX_SLICES-1); addr NULL: no address. */
void fx_ep(struct fx *f, struct spk_service *svc, size_t slice, const char *node, enum spk_cond ready,
	   enum spk_cond serving, const char *addr);
/* A ready endpoint on node with an address of its own. */
void fx_ready(struct fx *f, struct spk_service *svc, const char *node);

void fx_inputs(struct fx *f, const char *self, struct spk_inputs *in);
/* spk_decide for self. */
void fx_decide(struct fx *f, const char *self, struct spk_decision *d);

/* Helpers over decisions. */
const struct spk_bgp_peer *fx_peer_of(const struct spk_decision *d, const char *peer);
const struct spk_bgp_route *fx_route(const struct spk_decision *d, const char *peer,
				     const char *prefix);
size_t fx_nroutes(const struct spk_decision *d);
const struct spk_l2_owned *fx_owned(const struct spk_decision *d, const char *ip);
/* The elected owner of ip ("" when the IP has no candidate, NULL when it is not in L2). */
const char *fx_owner(const struct spk_decision *d, const char *ip);
ip_addr fx_ip(const char *text);
/* The whole decision as text (the caller frees it), to compare decisions. */
char *fx_dump(const struct spk_decision *d);
void fx_shuffle(void *array, size_t n, size_t elem, unsigned *seed);
/* fx_dump of spk_decide for self with Services, Nodes and live speakers in a shuffled order. */
char *fx_dump_shuffled(struct fx *f, const char *self, unsigned seed);

#endif
