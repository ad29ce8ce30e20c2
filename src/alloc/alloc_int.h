/*
 * The allocator's internal state, shared by the files of src/alloc (not a public header).
 *
 *   struct apool   one configured pool: its ranges in configured order, each with a tree of free
 *                  address intervals (ivtree.h), and in-use counters.
 *   struct ipent   one address in use: its pool and range, sharing and backend keys, the Services
 *                  on it. Looked up by address in a hash map.
 *   struct asvc    one Service the allocator knows: its IPs and pool, ports and keys, and whether
 *                  it is pending. Looked up by "namespace/name".
 *   sharing index  (allow-shared-ip key, backend key) -> the addresses holding them, ordered,
 *                  with per-port subsets, so a Service with a key finds the lowest address it may
 *                  share without walking the pool or the group.
 */
#ifndef INGOT_ALLOC_ALLOC_INT_H
#define INGOT_ALLOC_ALLOC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alloc/alloc.h"
#include "alloc/hmap.h"
#include "alloc/ivtree.h"
#include "alloc/ostree.h"
#include "alloc/u128.h"

enum svc_family {            /* a Service's family as MetalLB's ipfamily package names it */
	FAM_UNKNOWN = 0,
	FAM_V4,
	FAM_V6,
	FAM_DUAL,
};

struct prange {
	enum ip_family family;
	u128 lo, hi;                 /* inclusive */
	struct ivtree free;          /* free addresses; every interval starts and ends usable */
};

struct apool {
	char *name;
	const struct cfg_pool *cfg;  /* borrowed from the model installed by alloc_set_pools */
	bool auto_assign;
	bool avoid_buggy;
	struct prange *ranges;       /* configured order */
	size_t nranges;
	uint64_t capacity_v4, capacity_v6;
	uint64_t used_v4, used_v6;   /* addresses in use */
};

/* Entry of the sorted index of every range of every pool, to find the pool of an address. */
struct range_ref {
	enum ip_family family;
	u128 lo, hi;
	struct apool *pool;
	size_t range;
};

struct asvc;

struct ipent {
	ip_addr ip;
	u128 value;
	struct apool *pool;
	size_t range;
	char *sharing;               /* allow-shared-ip key of the address ("" = not shareable) */
	char *backend;               /* backend key ("" for externalTrafficPolicy Cluster) */
	struct asvc **users;
	size_t nusers;
	struct keylist *group;       /* its sharing-index entry; NULL when not shareable */
};

struct asvc {
	char *key;                   /* "namespace/name" */
	ip_addr ips[2];
	size_t nips;
	struct apool *pool;
	struct svc_port *ports;
	size_t nports;
	char *sharing;
	char *backend;
	bool pending;
	struct asvc *pending_prev;   /* the pending list, oldest failure first */
	struct asvc *pending_next;
};

/*
 * The addresses holding one sharing key with one backend key (the only ones a Service with those
 * keys may share), ordered, and for each port the ordered subset of them that already use it.
 * The lowest address free of a Service's ports is then found by rank arithmetic (ostree_skip)
 * instead of by walking the group.
 */
struct keylist {
	struct ostree all;
	struct hmap ports;           /* struct svc_port key bytes -> struct ostree * */
};

struct alloc {
	struct apool *pools;         /* sorted by name */
	size_t npools;
	struct range_ref *index;     /* sorted by family, then lo */
	size_t nindex;
	struct hmap services;        /* key -> struct asvc */
	struct hmap ips;             /* struct ip_addr bytes -> struct ipent */
	struct hmap sharing;         /* sharing key '\0' backend key -> struct keylist */
	struct asvc *pending_head, *pending_tail;
};

/* What allocation needs to know about one request, computed once from the view. */
struct request {
	const struct alloc_service *svc;
	char *key;                   /* "namespace/name", owned */
	struct svc_annotations ann;
	const char *sharing;         /* never NULL */
	char *backend;               /* owned */
	enum svc_family family;
};

/* --- pools (pool.c) ---------------------------------------------------------------------- */
void pool_build(struct apool *p, const struct cfg_pool *cfg);
void pool_destroy(struct apool *p);
/* Whether v may be handed out at all by p (avoidBuggyIPs). */
bool pool_usable(const struct apool *p, enum ip_family family, u128 v);
/* Lowest free address of range r, if any. */
bool pool_lowest_free(const struct apool *p, size_t r, u128 *out);
/* Marks a free address of range r used / a used one free. */
void pool_take(struct apool *p, size_t r, u128 v);
void pool_put(struct apool *p, size_t r, u128 v);
/* The pool and range holding addr (usable in that pool), from the sorted index. */
bool pool_find(const struct alloc *a, const ip_addr *addr, struct apool **pool, size_t *range);
void pool_index_build(struct alloc *a);

/* --- state (state.c) --------------------------------------------------------------------- */
struct asvc *svc_get(const struct alloc *a, const char *key);
struct asvc *svc_get_or_add(struct alloc *a, const char *key);
/* Puts s on the pending list (at the end, if not there yet) or takes it off. */
void svc_set_pending(struct alloc *a, struct asvc *s, bool pending);
/* Frees a record (already out of the map). */
void svc_record_free(struct asvc *s);
/* Drops the record when it holds no IPs and is not pending. */
void svc_maybe_drop(struct alloc *a, struct asvc *s);
struct ipent *ipent_get(const struct alloc *a, const ip_addr *ip);
struct keylist *keylist_get(const struct alloc *a, const char *sharing, const char *backend);
/* The addresses of the group that use port p (NULL: none). */
const struct ostree *keylist_port_users(const struct keylist *l, const struct svc_port *p);
struct oskey ipent_key(const struct ipent *e);
/*
 * Record that s holds ips in pool (ips must be usable in pool; compatibility and sharing already
 * checked). Any previous assignment of s is released first.
 */
void state_assign(struct alloc *a, struct asvc *s, struct apool *pool, const ip_addr *ips,
		  size_t nips, const struct svc_port *ports, size_t nports, const char *sharing,
		  const char *backend);
/* Releases every IP of s (s stays). */
void state_unassign(struct alloc *a, struct asvc *s);
/* Forget every address and sharing entry (the pools are about to be replaced). */
void state_drop_all_ips(struct alloc *a);
/* MetalLB checkSharing: NULL when key may use ip with these ports and keys, else the error. */
char *state_check_sharing(const struct alloc *a, const char *key, const ip_addr *ip,
			  const struct svc_port *ports, size_t nports, const char *sharing,
			  const char *backend);

/* --- choice (choose.c) ------------------------------------------------------------------- */
/* Whether the pool's serviceAllocation admits the Service (MetalLB isPoolCompatibleWithService). */
bool pool_compatible(const struct apool *p, const struct alloc_service *svc);
/* MetalLB Assign: check and record. Returns NULL or an error message (caller frees). */
char *choose_assign(struct alloc *a, const struct request *rq, const ip_addr *ips, size_t nips);
/* MetalLB allocateIPs: requested IPs, pool annotation, pinned pools, other pools. */
char *choose_allocate(struct alloc *a, const struct request *rq);
/* MetalLB AllocateFromPoolForAdditionalFamily. */
char *choose_additional(struct alloc *a, const struct request *rq, ip_addr *added);

/* --- service view helpers (service.c) ---------------------------------------------------- */
char *svc_key(const struct alloc_service *svc);
char *svc_backend_key(const struct alloc_service *svc);
enum svc_family svc_family_of(const struct alloc_service *svc);
const char *svc_family_name(enum svc_family f);
/*
 * getDesiredLbIPs: the IPs the Service asks for, from the annotation or spec.loadBalancerIP.
 * Returns NULL (with *n 0..2) or an error message the caller frees.
 */
char *svc_requested_ips(const struct alloc_service *svc, const struct svc_annotations *ann,
			ip_addr out[2], size_t *n, enum svc_family *family);
/* ipfamily.ForAddressesIPs. */
enum svc_family family_of_ips(const ip_addr *ips, size_t n);

/* --- Go-style text for MetalLB's messages (format.c) --------------------------------------- */
/* %q of a string. Caller frees. */
char *go_quote(const char *s);
/* %q of a []net.IP: ["a" "b"]. Caller frees. */
char *go_quote_ips(const ip_addr *ips, size_t n);
/* "TCP/80", as MetalLB's Port.String(). Static storage per call site is not used: buf given. */
void port_string(const struct svc_port *p, char *buf, size_t size);

#endif
