/*
 * Writing an object's status through its status subresource with optimistic concurrency
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/#status-subresource;
 * api-conventions "Concurrency Control and Consistency").
 *
 * The caller supplies a function that sets the status on a copy of the object. It is applied to
 * the object the caller has (typically from an informer's store) and PUT to .../status with that
 * object's resourceVersion. On 409 Conflict the object is read again, the function re-applied and
 * the PUT retried; 429, 5xx and transport errors are retried after a backoff (at least the
 * Retry-After). Both are bounded by K8S_STATUS_MAX_ATTEMPTS. PUT (not PATCH) because MetalLB's RBAC
 * grants only `update` on services/status, and ingot keeps to the same permissions.
 */
#ifndef INGOT_K8S_STATUS_UPDATE_H
#define INGOT_K8S_STATUS_UPDATE_H

#include <jansson.h>
#include <stdbool.h>

#include "k8s/client.h"
#include "k8s/resource.h"
#include "k8s/status.h"

#define K8S_STATUS_MAX_ATTEMPTS 5

/* Sets the desired status on obj (a private copy). Returns false if obj already has it: nothing is
 * written and done reports success. */
typedef bool (*k8s_status_mutate_fn)(void *arg, json_t *obj);
/* st: the final outcome; obj: the object as stored after the write (or as read), or NULL. */
typedef void (*k8s_status_done_fn)(void *arg, const struct k8s_status *st, const json_t *obj);

struct k8s_status_update;

/* current (borrowed, copied) may be NULL: the object is read first. done may be NULL. The handle is
 * valid until done runs; cancel it before freeing what arg points to. */
struct k8s_status_update *k8s_update_status(struct k8s_client *c, const struct k8s_resource *res,
					    const char *ns, const char *name, const json_t *current,
					    k8s_status_mutate_fn mutate, k8s_status_done_fn done,
					    void *arg);
void k8s_update_status_cancel(struct k8s_status_update *u);

/* A mutate function for Services: sets status.loadBalancer.ingress to the IPs in arg (a
 * NULL-terminated array of strings), each with ipMode VIP. */
bool k8s_service_set_ingress(void *arg, json_t *service);

#endif
