/*
 * The configuration model: one typed form for MetalLB's legacy ConfigMap and its metallb.io CRDs.
 *
 * Both input formats decode into these structs (legacy.c, crd_*.c); validate.c checks the whole
 * set as MetalLB's config.For() does; print.c writes it back as canonical CRD YAML. Everything
 * below the configuration layer (allocator, speaker, announcers) reads only this model.
 *
 * Ownership: a cfg_model owns every string, list and object it points to; model_free() frees it
 * all. Lists are plain arrays with a count. Defaults are resolved at decode time (autoAssign true,
 * aggregation 32/128, port 179), so two models that mean the same thing compare equal.
 */
#ifndef INGOT_CONFIG_MODEL_H
#define INGOT_CONFIG_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"

struct cfg_strings {
	char **v;
	size_t n;
};

struct cfg_label {
	char *key;
	char *value;
};

/* A label set (or a matchLabels map), sorted by key, keys unique. */
struct cfg_labels {
	struct cfg_label *v;
	size_t n;
};

enum cfg_sel_op {
	CFG_SEL_IN,
	CFG_SEL_NOT_IN,
	CFG_SEL_EXISTS,
	CFG_SEL_DOES_NOT_EXIST,
};

struct cfg_sel_expr {
	char *key;
	enum cfg_sel_op op;
	struct cfg_strings values;
};

/* A Kubernetes LabelSelector: every matchLabels pair and every expression must hold. */
struct cfg_selector {
	struct cfg_labels match_labels;
	struct cfg_sel_expr *exprs;
	size_t nexprs;
};

/* A list of selectors, ORed. What an empty list means is the caller's: see selectors_match(). */
struct cfg_selectors {
	struct cfg_selector *v;
	size_t n;
};

/* Where an object came from, for messages; not part of the object's meaning (not compared). */
struct cfg_origin {
	char *file;
	unsigned line;
};

struct cfg_meta {
	char *name;
	char *namespace;
	struct cfg_labels labels;
	struct cfg_origin origin;
};

enum cfg_protocol {
	CFG_PROTO_NONE = 0,      /* a CRD pool: the advertisements decide */
	CFG_PROTO_BGP,           /* legacy "protocol: bgp" */
	CFG_PROTO_LAYER2,        /* legacy "protocol: layer2" */
};

/* One entry of a pool's addresses, a CIDR or a range, as one inclusive range. */
struct cfg_pool_addr {
	ip_range range;
	bool is_cidr;            /* written as a CIDR (printed back as one) */
};

struct cfg_pool {
	struct cfg_meta meta;
	struct cfg_pool_addr *addrs;
	size_t naddrs;
	bool auto_assign;        /* default true */
	bool avoid_buggy_ips;
	enum cfg_protocol legacy_protocol;
	bool has_service_allocation;
	int32_t priority;        /* serviceAllocation.priority; lower is preferred, 0 = lowest */
	struct cfg_strings namespaces;
	struct cfg_selectors namespace_selectors;
	struct cfg_selectors service_selectors;
};

enum cfg_dynamic_asn {
	CFG_DYNAMIC_ASN_NONE = 0,
	CFG_DYNAMIC_ASN_INTERNAL,
	CFG_DYNAMIC_ASN_EXTERNAL,
};

struct cfg_peer {
	struct cfg_meta meta;
	uint32_t my_asn;
	uint32_t peer_asn;               /* 0 when dynamic_asn is set */
	enum cfg_dynamic_asn dynamic_asn;
	uint32_t local_asn;              /* 0 = unset */
	bool has_addr;
	ip_addr addr;
	char *iface;                     /* unnumbered BGP; NULL when unset */
	bool has_src;
	ip_addr src;
	uint16_t port;                   /* default 179 */
	bool has_timers;                 /* hold and keepalive, resolved as MetalLB's parseTimers */
	int64_t hold_ms;
	int64_t keepalive_ms;
	bool has_connect_time;
	int64_t connect_ms;
	bool has_router_id;
	ip_addr router_id;               /* IPv4 */
	struct cfg_selectors node_selectors;  /* empty: every node */
	char *password;
	char *password_secret;           /* Secret name; NULL when unset */
	char *password_secret_namespace;
	char *bfd_profile;
	bool graceful_restart;
	bool ebgp_multihop;
	char *vrf;
	bool disable_mp;
	bool dual_stack_address_family;
};

/* A BGP community: standard (16:16 bits) or large (RFC 8092, three 32-bit values). */
struct cfg_community {
	bool large;
	uint32_t a, b, c;                /* standard: a and b hold the two halves */
};

struct cfg_bgp_adv {
	struct cfg_meta meta;
	uint8_t aggregation_length;      /* default 32 */
	uint8_t aggregation_length_v6;   /* default 128 */
	uint32_t local_pref;             /* 0 = unset, as in MetalLB */
	struct cfg_strings communities;  /* as written: "A:B", "large:A:B:C" or an alias */
	struct cfg_community *community_values;  /* resolved by validation, same order */
	size_t ncommunity_values;
	struct cfg_strings pools;
	struct cfg_selectors pool_selectors;
	struct cfg_selectors node_selectors;
	struct cfg_strings peers;
	struct cfg_selectors service_selectors;
};

struct cfg_preferred_node {
	int32_t weight;                  /* 1..100 */
	struct cfg_selector preference;
};

struct cfg_l2_adv {
	struct cfg_meta meta;
	struct cfg_strings pools;
	struct cfg_selectors pool_selectors;
	struct cfg_selectors node_selectors;
	struct cfg_strings interfaces;   /* empty: every interface */
	struct cfg_selectors service_selectors;
	struct cfg_preferred_node *preferred;
	size_t npreferred;
};

struct cfg_community_alias {
	char *name;
	char *value;                     /* as written */
	struct cfg_community community;
};

/* A Community object: a list of aliases. */
struct cfg_community_set {
	struct cfg_meta meta;
	struct cfg_community_alias *aliases;
	size_t naliases;
};

/* BFD profile; has_* says whether the field was set (unset: the BFD defaults). */
struct cfg_bfd {
	struct cfg_meta meta;
	bool has_receive_interval, has_transmit_interval, has_detect_multiplier;
	bool has_echo_interval, has_minimum_ttl;
	uint32_t receive_interval;       /* ms, 10..60000 */
	uint32_t transmit_interval;      /* ms, 10..60000 */
	uint32_t detect_multiplier;      /* 2..255 */
	uint32_t echo_interval;          /* ms, 10..60000 */
	uint32_t minimum_ttl;            /* 1..254 */
	bool echo_mode;
	bool passive_mode;
};

/* A v1 Secret that a BGPPeer's passwordSecret can name. */
struct cfg_secret {
	struct cfg_meta meta;
	char *type;
	bool has_password;
	char *password;                  /* decoded data.password or stringData.password */
};

struct cfg_model {
	struct cfg_pool *pools;
	size_t npools;
	struct cfg_peer *peers;
	size_t npeers;
	struct cfg_bgp_adv *bgp_advs;
	size_t nbgp_advs;
	struct cfg_l2_adv *l2_advs;
	size_t nl2_advs;
	struct cfg_community_set *communities;
	size_t ncommunities;
	struct cfg_bfd *bfds;
	size_t nbfds;
	struct cfg_secret *secrets;
	size_t nsecrets;
};

/* --- label selectors (selector.c) ---------------------------------------------------------- */

/*
 * Whether labels satisfy the selector (Kubernetes semantics): every matchLabels pair is present
 * with that value; In: the key is present with one of the values; NotIn: the key is absent or its
 * value is none of them; Exists / DoesNotExist: presence. An empty selector matches everything.
 */
bool selector_matches(const struct cfg_selector *sel, const struct cfg_labels *labels);
/* Whether any selector of the list matches; an empty list gives empty_matches. */
bool selectors_match(const struct cfg_selectors *sels, const struct cfg_labels *labels,
		     bool empty_matches);
/* Same requirements (expression values compared as sets, as Kubernetes normalises them). */
bool selector_equal(const struct cfg_selector *a, const struct cfg_selector *b);
const char *selector_op_name(enum cfg_sel_op op);
bool selector_op_parse(const char *text, enum cfg_sel_op *out);
/* Value of key in labels, or NULL. */
const char *labels_get(const struct cfg_labels *labels, const char *key);

/* --- whole model (model.c, model_equal.c) ----------------------------------------------------- */

struct cfg_model *model_new(void);
/* Frees the model and everything it owns; NULL is fine. */
void model_free(struct cfg_model *m);
/* Sort every kind by name, the canonical order the printer and comparisons use. */
void model_sort(struct cfg_model *m);
/*
 * Whether two models mean the same configuration: every object and field compared by value (not
 * memcmp); origins (file, line) are ignored; objects are compared in order, so sort both first.
 */
bool model_equal(const struct cfg_model *a, const struct cfg_model *b);

/* Appending to the model's arrays: each returns a zeroed new element owned by the model. */
struct cfg_pool *model_add_pool(struct cfg_model *m);
struct cfg_peer *model_add_peer(struct cfg_model *m);
struct cfg_bgp_adv *model_add_bgp_adv(struct cfg_model *m);
struct cfg_l2_adv *model_add_l2_adv(struct cfg_model *m);
struct cfg_community_set *model_add_community_set(struct cfg_model *m);
struct cfg_bfd *model_add_bfd(struct cfg_model *m);
struct cfg_secret *model_add_secret(struct cfg_model *m);

/* Small owned-list helpers used by the decoders. */
void strings_push(struct cfg_strings *s, const char *value);     /* copies value */
void strings_free(struct cfg_strings *s);
bool strings_contains(const struct cfg_strings *s, const char *value);
void labels_set(struct cfg_labels *l, const char *key, const char *value); /* copies; keeps sorted */
void labels_free(struct cfg_labels *l);
void selector_free(struct cfg_selector *sel);
void selectors_free(struct cfg_selectors *sels);
struct cfg_selector *selectors_add(struct cfg_selectors *sels);  /* zeroed, owned by sels */
struct cfg_sel_expr *selector_add_expr(struct cfg_selector *sel); /* zeroed, owned by sel */
void meta_free(struct cfg_meta *meta);

/*
 * Grow an array that holds n elements of elem bytes so that it can take one more. Capacity is
 * implicit (the next power of two), so callers keep only the count.
 */
void *cfg_grow(void *array, size_t n, size_t elem);

#endif
