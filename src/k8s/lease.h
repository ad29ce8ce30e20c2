/*
 * coordination.k8s.io/v1 Lease helpers, the building blocks of leader election
 * (https://kubernetes.io/docs/concepts/architecture/leases/): read, create, and update with the
 * resourceVersion read (a 409 means another replica won the race). The election logic itself
 * (client-go's 15/10/2 s timings, observed-change clock) belongs to its caller.
 */
#ifndef INGOT_K8S_LEASE_H
#define INGOT_K8S_LEASE_H

#include <jansson.h>
#include <stdbool.h>

#include "k8s/client.h"

struct k8s_lease_spec {
	char holder[256];            /* holderIdentity, "" when released */
	long duration_s;             /* leaseDurationSeconds */
	char acquire_time[32];       /* MicroTime, RFC 3339 with microseconds, or "" */
	char renew_time[32];
	long transitions;            /* leaseTransitions */
};

/* Reads spec from a Lease object (pure). Missing fields read as empty/zero. */
void k8s_lease_spec_read(const json_t *lease, struct k8s_lease_spec *out);
/* Writes spec into lease (a Lease object or an empty object; pure). */
void k8s_lease_spec_write(json_t *lease, const struct k8s_lease_spec *spec);

/* GET; done gets the Lease as resp->body (404 if none). */
struct k8s_request *k8s_lease_get(struct k8s_client *c, const char *ns, const char *name,
				  k8s_done_fn done, void *arg);
/* POST a new Lease (409 if it exists). */
struct k8s_request *k8s_lease_create(struct k8s_client *c, const char *ns, const char *name,
				     const struct k8s_lease_spec *spec, k8s_done_fn done, void *arg);
/* PUT lease (as read, with its metadata.resourceVersion) with spec applied (409 if it changed). */
struct k8s_request *k8s_lease_update(struct k8s_client *c, const json_t *lease,
				     const struct k8s_lease_spec *spec, k8s_done_fn done, void *arg);

#endif
