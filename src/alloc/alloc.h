/*
 * src/alloc: which LoadBalancer IP each Service gets (pure logic: no I/O, no Kubernetes calls).
 *
 * The controller fills a `struct alloc_service` view from each Service object and hands it to the
 * allocator, which decides as MetalLB's controller does (controller/service.go convergeBalancer,
 * internal/allocator): requested IPs (spec.loadBalancerIP or metallb.io/loadBalancerIPs), the
 * metallb.io/address-pool annotation, pools restricted by serviceAllocation (namespaces, namespace
 * and service selectors) in priority order, then the remaining autoAssign pools; avoidBuggyIPs;
 * lowest free address first; IP sharing (metallb.io/allow-shared-ip); dual-stack policies. Each
 * decision comes back with the Events MetalLB would emit, using its reasons and messages.
 *
 * Differences from MetalLB, on purpose:
 *   - The autoAssign pools that are not restricted to some services are tried in pool-name order,
 *     not in Go map order (random), so a restart or a replay gives every Service the same IP.
 *   - A pool whose serviceAllocation restricts nothing (only a priority) is tried for every
 *     Service at that priority. MetalLB releases either leave such a pool out of automatic
 *     allocation (a non-nil serviceAllocation that selects nobody) or, since the v0.15 fix for
 *     empty serviceAllocations, treat it as unrestricted and ignore its priority.
 *   - Searching for an IP never walks a pool: free space is kept as intervals per pool range.
 *
 * Cost of one allocation: O(log n) in the addresses in use, times the pools and ranges tried;
 * for a Service with a sharing key, O(log^2 n) per port and per step of the search for an address
 * of its group free of all its ports (one step per port that moves the search on; O(1) when
 * every address of the group already uses one of its ports). avoidBuggyIPs is arithmetic, never
 * an enumeration. alloc_set_pools() is O(addresses in use · log n).
 *
 * Restarts: call alloc_import() for every Service before the first alloc_sync(), so that IPs
 * already in Service status are taken back before anything new is handed out. Config changes:
 * alloc_set_pools() keeps every assignment whose IPs are still in a pool and reports the others.
 */
#ifndef INGOT_ALLOC_ALLOC_H
#define INGOT_ALLOC_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/model.h"
#include "core/addr.h"

/* --- the Service view --------------------------------------------------------------------- */

enum svc_type {
	SVC_TYPE_CLUSTER_IP = 0,
	SVC_TYPE_NODE_PORT,
	SVC_TYPE_LOAD_BALANCER,
	SVC_TYPE_EXTERNAL_NAME,
};

enum svc_family_policy {
	SVC_SINGLE_STACK = 0,        /* also when spec.ipFamilyPolicy is unset */
	SVC_PREFER_DUAL_STACK,
	SVC_REQUIRE_DUAL_STACK,
};

enum svc_traffic_policy {
	SVC_TRAFFIC_CLUSTER = 0,     /* spec.externalTrafficPolicy Cluster (the default) */
	SVC_TRAFFIC_LOCAL,
};

enum svc_protocol {
	SVC_PROTO_TCP = 0,
	SVC_PROTO_UDP,
	SVC_PROTO_SCTP,
};

struct svc_port {
	uint16_t port;
	enum svc_protocol protocol;
};

/*
 * What the allocator needs to know about a Service. Everything is borrowed: the allocator copies
 * what it keeps. Label sets use the model's struct cfg_labels (build them with labels_set()).
 */
struct alloc_service {
	const char *namespace;
	const char *name;
	struct cfg_labels labels;            /* metadata.labels */
	struct cfg_labels namespace_labels;  /* labels of the Service's Namespace */
	struct cfg_labels annotations;       /* metadata.annotations */
	enum svc_type type;
	const char *lb_class;                /* spec.loadBalancerClass; NULL when unset */
	const char *lb_ip;                   /* spec.loadBalancerIP; NULL or "" when unset */
	enum svc_family_policy family_policy;
	enum ip_family families[2];          /* spec.ipFamilies (the ClusterIPs' families) */
	size_t nfamilies;
	const struct svc_port *ports;        /* spec.ports[].port and .protocol */
	size_t nports;
	enum svc_traffic_policy traffic_policy;
	struct cfg_labels selector;          /* spec.selector: the sharing backend key for Local */
	const char *const *status_ips;       /* status.loadBalancer.ingress[].ip, as written */
	size_t nstatus_ips;
};

/* --- annotations (service.c) --------------------------------------------------------------- */

#define ALLOC_ANN_ADDRESS_POOL "metallb.io/address-pool"
#define ALLOC_ANN_LB_IPS "metallb.io/loadBalancerIPs"
#define ALLOC_ANN_ALLOW_SHARED "metallb.io/allow-shared-ip"
#define ALLOC_ANN_FROM_POOL "metallb.io/ip-allocated-from-pool"   /* written by the controller */
#define ALLOC_ANN_DEPRECATED_ADDRESS_POOL "metallb.universe.tf/address-pool"
#define ALLOC_ANN_DEPRECATED_LB_IPS "metallb.universe.tf/loadBalancerIPs"
#define ALLOC_ANN_DEPRECATED_ALLOW_SHARED "metallb.universe.tf/allow-shared-ip"
#define ALLOC_ANN_DEPRECATED_FROM_POOL "metallb.universe.tf/ip-allocated-from-pool"

/* Which deprecated metallb.universe.tf/ annotations a Service carries (a bit set). */
enum {
	ALLOC_DEPRECATED_ADDRESS_POOL = 1u << 0,
	ALLOC_DEPRECATED_LB_IPS = 1u << 1,
	ALLOC_DEPRECATED_ALLOW_SHARED = 1u << 2,
};

/* The annotations that steer allocation; the metallb.io/ form wins when both are present. */
struct svc_annotations {
	const char *address_pool;    /* NULL or "" when unset (borrowed from the view) */
	const char *lb_ips;
	const char *sharing_key;     /* "" when unset */
	unsigned deprecated;         /* ALLOC_DEPRECATED_* present on the Service */
};

void svc_annotations_read(const struct alloc_service *svc, struct svc_annotations *out);
/* For one ALLOC_DEPRECATED_* bit: the deprecated key and its replacement (NULL for other bits). */
const char *svc_deprecated_key(unsigned bit);
const char *svc_replacement_key(unsigned bit);

/*
 * spec.loadBalancerClass filtering (MetalLB filterByLoadBalancerClass): with my_class set (the
 * --lb-class flag), only Services of that class are handled; without it, only Services that set
 * no class.
 */
bool svc_class_handled(const char *svc_class, const char *my_class);

/* --- the allocator (alloc.c, pools_set.c, sync.c; choose.c, state.c, pool.c inside) -------- */

struct alloc;

struct alloc *alloc_new(void);
void alloc_free(struct alloc *a);

/* A list of "namespace/name" keys; the caller frees it with alloc_keys_free(). */
struct alloc_keys {
	char **v;
	size_t n;
};
void alloc_keys_free(struct alloc_keys *keys);

/*
 * Install the pools of a validated model. The model is borrowed until the next alloc_set_pools()
 * or alloc_free() (the previous model may already be freed when this is called). Every current
 * assignment whose IPs are still allowed by some pool is kept, moved to that pool if it changed;
 * the others are released and their Services listed in *cleared (MetalLB's ClearAssignment: the
 * controller re-syncs them). cleared may be NULL. Growing a pool never moves an assignment.
 */
void alloc_set_pools(struct alloc *a, const struct cfg_model *model, struct alloc_keys *cleared);

/*
 * Restart recovery: take back the IPs in the Service's status if they are still valid (in one
 * pool that may serve the Service, the right families, sharing compatible). Never allocates
 * anything new. Call it for every Service before the first alloc_sync(). Returns whether the
 * IPs were kept.
 */
bool alloc_import(struct alloc *a, const struct alloc_service *svc);

enum alloc_outcome {
	ALLOC_ASSIGNED,      /* ips/pool hold the Service's status and ip-allocated-from-pool */
	ALLOC_NOT_LB,        /* not a LoadBalancer: clear status and ip-allocated-from-pool */
	ALLOC_FAILED,        /* nothing assigned: clear status; the Service is pending */
};

/* An Event to emit on the Service, as MetalLB does. */
struct alloc_event {
	bool warning;        /* type Warning (else Normal) */
	const char *reason;  /* static: "IPAllocated", "AllocationFailed", "ClearAssignment", ... */
	char *message;       /* owned by the result */
};

#define ALLOC_MAX_EVENTS 4

struct alloc_result {
	enum alloc_outcome outcome;
	ip_addr ips[2];      /* IPv4 first */
	size_t nips;
	char *pool;          /* owned; NULL unless assigned */
	bool changed;        /* ips differ from the Service's status */
	struct alloc_event events[ALLOC_MAX_EVENTS];
	size_t nevents;
	unsigned deprecated; /* ALLOC_DEPRECATED_* annotations present (warn, as MetalLB does) */
};

/*
 * Converge one Service: keep its current IPs when they are still right, otherwise allocate.
 * Fills *res (free it with alloc_result_free). A Service that fails stays pending until it is
 * synced successfully or released.
 */
void alloc_sync(struct alloc *a, const struct alloc_service *svc, struct alloc_result *res);
void alloc_result_free(struct alloc_result *res);

/*
 * The Service is gone (deleted, or no longer ours): free its IPs. Returns whether it held any;
 * if so its addresses are free at once, and alloc_pending() lists who may now get one.
 */
bool alloc_release(struct alloc *a, const char *namespace, const char *name);

/* Services whose last sync failed, oldest failure first. */
void alloc_pending(const struct alloc *a, struct alloc_keys *out);

/* The Service's IPs (IPv4 first) and pool name (borrowed, valid until the next change). */
size_t alloc_service_ips(const struct alloc *a, const char *namespace, const char *name,
			 ip_addr out[2], const char **pool);

/* IPAddressPool status counters, saturated at INT64_MAX as MetalLB's are. */
struct alloc_pool_counters {
	uint64_t assigned_v4, assigned_v6;
	uint64_t available_v4, available_v6;
};
bool alloc_pool_counters(const struct alloc *a, const char *pool, struct alloc_pool_counters *out);

#endif
