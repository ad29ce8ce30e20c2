/*
 * The speaker's decisions: from the configuration model and the cluster's state, what this node
 * announces, to which BGP peer and on which link. Pure functions over plain structs: no I/O, no
 * clock, no logging (a broken local invariant is fatal, as everywhere). The glue that watches the
 * API server fills struct spk_inputs, calls spk_decide() and hands the result to the BGP and L2
 * engines (bgp_peer_set_routes, l2_set_owned) and the Events to the API client.
 *
 * Behaviour follows MetalLB's speaker (speaker/{main,bgp_controller,layer2_controller}.go):
 *   - a node that is NetworkUnavailable or labelled node.kubernetes.io/exclude-from-external-
 *     load-balancers announces nothing and is never elected (unless ignore_exclude_lb, MetalLB's
 *     --ignore-exclude-lb, which lifts the label rule only);
 *   - an endpoint can serve when `ready` is unset or true, or `serving` is true; an address that
 *     appears several times (several slices) serves only if every occurrence can serve;
 *   - BGP: this node announces ip/aggregation to a peer when the peer's nodeSelectors pick the
 *     node, a BGPAdvertisement selects the pool, the node, the peer and the Service, and the
 *     Service has a serving endpoint anywhere (Cluster) or on this node (Local);
 *   - L2: one node per IP, the same on every speaker: among the live, eligible nodes the one with
 *     the highest preferred-node weight, then the lowest sha256("<node>#<ip>") (MetalLB's key,
 *     so a single-stack Service elects the node MetalLB would).
 * Every result is independent of the order of the inputs.
 *
 * Ownership: inputs are borrowed for the duration of a call. A decision owns every string and
 * array it holds (copies), so a previous decision stays valid after the inputs change; free it
 * with spk_decision_free().
 */
#ifndef INGOT_SPEAKER_SPEAKER_H
#define INGOT_SPEAKER_SPEAKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/model.h"
#include "core/addr.h"

/* The label that keeps a node out of load balancing (Kubernetes well-known label). */
#define SPK_LABEL_EXCLUDE_LB "node.kubernetes.io/exclude-from-external-load-balancers"
/* The annotation the controller writes with the pool a Service's IPs came from. */
#define SPK_ANN_FROM_POOL "metallb.io/ip-allocated-from-pool"

/* --- inputs -------------------------------------------------------------------------------- */

/* An EndpointSlice condition: absent, true or false. */
enum spk_cond {
	SPK_COND_UNSET = 0,
	SPK_COND_TRUE,
	SPK_COND_FALSE,
};

struct spk_endpoint {
	const char *node;                /* nodeName; NULL when unset */
	const char *const *addresses;
	size_t naddresses;
	enum spk_cond ready;
	enum spk_cond serving;
};

struct spk_endpoint_slice {
	const struct spk_endpoint *endpoints;
	size_t nendpoints;
};

enum spk_traffic_policy {
	SPK_ETP_CLUSTER = 0,
	SPK_ETP_LOCAL,
};

/* A LoadBalancer Service that has IPs (status.loadBalancer.ingress). */
struct spk_service {
	const char *namespace;
	const char *name;
	const ip_addr *ips;
	size_t nips;
	enum spk_traffic_policy traffic_policy;
	const char *pool;                /* SPK_ANN_FROM_POOL's value; NULL: look the IP up */
	struct cfg_labels labels;        /* for serviceSelectors */
	const struct spk_endpoint_slice *slices;
	size_t nslices;
};

struct spk_node {
	const char *name;
	struct cfg_labels labels;
	bool network_unavailable;        /* condition NetworkUnavailable is True */
};

struct spk_inputs {
	const struct cfg_model *config;
	const struct spk_service *services;
	size_t nservices;
	/* Node objects. A node without one is unknown: it announces nothing and is never elected. */
	const struct spk_node *nodes;
	size_t nnodes;
	/* Nodes with a live speaker. all_live: every Node counts as live (no member list). */
	const char *const *live;
	size_t nlive;
	bool all_live;
	const char *node_name;           /* this node */
	/* This node's interface names, for the announceFailed check; has_ifaces false: unknown. */
	const char *const *ifaces;
	size_t nifaces;
	bool has_ifaces;
	bool ignore_exclude_lb;
};

/* --- outputs ------------------------------------------------------------------------------- */

/* A Service as a decision names it (copies). */
struct spk_svc_ref {
	char *namespace;
	char *name;
};

struct spk_large_community {
	uint32_t global;
	uint32_t local1;
	uint32_t local2;
};

/*
 * One route towards one peer: the fields of struct bgp_route / bgp_route_attrs (bgp/bgp.h).
 * Several advertisements or Services giving the same prefix are merged: communities are the union
 * (sorted, unique); localPref the highest set one, local_pref_conflict saying they disagreed
 * (validation rejects most such configurations; the rest, e.g. node selectors that overlap only
 * on the live Nodes, land here). services: those the route carries, sorted.
 */
struct spk_bgp_route {
	ip_prefix prefix;
	bool has_local_pref;
	uint32_t local_pref;
	bool local_pref_conflict;
	uint32_t *communities;
	size_t ncommunities;
	struct spk_large_community *large_communities;
	size_t nlarge_communities;
	struct spk_svc_ref *services;
	size_t nservices;
};

/* A peer whose nodeSelectors pick this node (its session should run), and its routes. */
struct spk_bgp_peer {
	size_t peer;                     /* index in config->peers */
	char *name;
	struct spk_bgp_route *routes;    /* sorted by prefix */
	size_t nroutes;
};

/* This node answers ARP/NDP for ip. ifaces empty: every interface (the L2 layer picks). */
struct spk_l2_owned {
	ip_addr ip;
	char **ifaces;                   /* sorted, unique */
	size_t nifaces;
	struct spk_svc_ref *services;    /* sorted */
	size_t nservices;
};

/* The owner every speaker computes for one IP that is announced in L2 (NULL: no candidate). */
struct spk_l2_election {
	ip_addr ip;
	char *owner;
};

/* This node won ip but none of the advertisement's interfaces exists here (MetalLB's
 * announceFailed): the IP is not announced. */
struct spk_l2_failure {
	ip_addr ip;
	struct spk_svc_ref *services;
	size_t nservices;
};

struct spk_decision {
	char *node_name;
	struct spk_bgp_peer *peers;      /* in config order */
	size_t npeers;
	struct spk_l2_owned *owned;      /* sorted by IP */
	size_t nowned;
	struct spk_l2_election *elections;  /* sorted by IP */
	size_t nelections;
	struct spk_l2_failure *failures; /* sorted by IP */
	size_t nfailures;
};

enum spk_event_type {
	SPK_EVENT_NORMAL,
	SPK_EVENT_WARNING,
};

#define SPK_REASON_NODE_ASSIGNED "nodeAssigned"
#define SPK_REASON_ANNOUNCE_FAILED "announceFailed"

/* An Event to post on a Service. */
struct spk_event {
	struct spk_svc_ref service;
	enum spk_event_type type;
	const char *reason;              /* one of SPK_REASON_* (static) */
	char *message;
};

struct spk_events {
	struct spk_event *v;
	size_t n;
};

/* --- decisions ----------------------------------------------------------------------------- */

/* Everything this node announces. out is overwritten (not freed first). */
void spk_decide(const struct spk_inputs *in, struct spk_decision *out);
/* The BGP part alone (peers) and the L2 part alone (owned, elections, failures). */
void spk_decide_bgp(const struct spk_inputs *in, struct spk_decision *out);
void spk_decide_l2(const struct spk_inputs *in, struct spk_decision *out);
/* Frees what the decision holds and zeroes it; a zeroed decision is fine. */
void spk_decision_free(struct spk_decision *d);

/*
 * The Events for going from prev (NULL: nothing announced before, which gives MetalLB's
 * re-emission on every sync) to next, sorted by Service:
 *   - nodeAssigned (Normal) for a Service this node newly announces, once per protocol:
 *     `announcing from node "N" with protocol "layer2"` (or "bgp");
 *   - announceFailed (Warning) for each new L2 failure and Service: `the interfaces specified by
 *     LB IP "X" doesn't exist in assigned node "N" with protocol "layer2"` (MetalLB's text).
 * out is overwritten; free with spk_events_free().
 */
void spk_events(const struct spk_decision *prev, const struct spk_decision *next,
		struct spk_events *out);
void spk_events_free(struct spk_events *ev);

/* --- building blocks (exposed for tests and `ingot status`) --------------------------------- */

/* Whether an endpoint can serve traffic: ready unset or true, or serving true. */
bool spk_endpoint_can_serve(const struct spk_endpoint *ep);
/* Whether svc has a serving endpoint on node (NULL: anywhere, endpoints without a node too). */
bool spk_service_serving(const struct spk_service *svc, const char *node);

/* MetalLB's election key: sha256("<node>#<ip text>"). */
void spk_election_key(const char *node, const ip_addr *ip, uint8_t out[32]);
/*
 * The winner among n candidate names for ip: the highest weight (weights may be NULL: all
 * equal), then the lowest election key, then the lowest name. Returns its index, or n when n is 0.
 */
size_t spk_elect(const ip_addr *ip, const char *const *names, const int32_t *weights, size_t n);

#endif
