/*
 * IPAddressPool status counters (metallb.io/v1beta1 status: assignedIPv4, assignedIPv6,
 * availableIPv4, availableIPv6), written through the status subresource for each pool whose
 * object shows other figures, as MetalLB's pool status reconciler does. Only in CRD mode (the
 * legacy ConfigMap has no status to write).
 */
#ifndef INGOT_CONTROLLER_POOL_STATUS_H
#define INGOT_CONTROLLER_POOL_STATUS_H

#include <jansson.h>
#include <stdbool.h>

#include "alloc/alloc.h"
#include "k8s/client.h"

/* The status object for counters (pure; a fresh reference). */
json_t *pool_status_json(const struct alloc_pool_counters *pc);

struct pool_status;

/* kick(arg) asks the owner to call pool_status_update() again: an update was skipped while the
 * previous round was in flight. */
struct pool_status *pool_status_new(struct k8s_client *c, void (*kick)(void *arg), void *arg);
/* Writes the counters of every pool of model whose object (looked up with find) differs. */
void pool_status_update(struct pool_status *ps, const struct alloc *a,
			const struct cfg_model *model,
			const json_t *(*find)(void *arg, const char *pool), void *arg);
void pool_status_cancel_all(struct pool_status *ps);
void pool_status_free(struct pool_status *ps);

#endif
