/*
 * Test fixture for src/alloc: builds configuration models and Service views in a few calls, and
 * plays the controller's part (writing the result back into the Service's status).
 */
#ifndef INGOT_TEST_ALLOC_FIXTURE_H
#define INGOT_TEST_ALLOC_FIXTURE_H

#include <stddef.h>

#include "alloc/alloc.h"
#include "config/model.h"

/* A pool with the given entries (CIDRs or ranges), autoAssign true. */
struct cfg_pool *fx_pool(struct cfg_model *m, const char *name, const char *const *addrs,
			 size_t naddrs);
#define FX_POOL(m, name, ...) \
	fx_pool((m), (name), (const char *const[]){ __VA_ARGS__ }, \
		sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))
/* Adds a selector with one matchLabels pair to sels. */
void fx_selector(struct cfg_selectors *sels, const char *key, const char *value);

#define FX_MAX_PORTS 8

struct fx_svc {
	struct alloc_service v;
	struct svc_port ports[FX_MAX_PORTS];
	char *status[2];
	const char *status_ptrs[2];
	char *ns;
	char *name;
};

/* A LoadBalancer Service, IPv4 SingleStack, Cluster traffic policy, port TCP/80. */
void fx_svc_init(struct fx_svc *s, const char *ns, const char *name);
void fx_svc_free(struct fx_svc *s);
void fx_annotate(struct fx_svc *s, const char *key, const char *value);
void fx_ports(struct fx_svc *s, const char *spec);   /* "TCP/80,UDP/53"; "" for none */
void fx_families(struct fx_svc *s, enum svc_family_policy policy, const char *families); /* "4,6" */
/* Status IPs, comma-separated ("" clears). */
void fx_status(struct fx_svc *s, const char *ips);

/*
 * Syncs s; on ALLOC_ASSIGNED writes the IPs into its status (as the controller would) and returns
 * them as text ("1.2.3.4" or "1.2.3.4,2001:db8::1") in a static buffer; otherwise clears the
 * status and returns "" (ALLOC_FAILED) or "-" (ALLOC_NOT_LB). *res is freed unless res_out is
 * given, in which case the caller frees it.
 */
const char *fx_sync(struct alloc *a, struct fx_svc *s, struct alloc_result *res_out);
/* The reason and message of the first event with this reason in res, or NULL. */
const char *fx_event(const struct alloc_result *res, const char *reason);
/* The Service's IPs per the allocator, as text ("" when none). */
const char *fx_ips(const struct alloc *a, const char *ns, const char *name);

#endif
