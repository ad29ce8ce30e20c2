/*
 * What the controller writes back on a Service, pure: no I/O.
 *
 * MetalLB (controller/service.go, internal/k8s/controllers/service_controller.go updateStatus)
 * writes, in ONE update of the status subresource, status.loadBalancer.ingress[].ip and the
 * metallb.io/ip-allocated-from-pool annotation (the API server keeps metadata changes made through
 * services/status; MetalLB's RBAC grants only `update` there). A Service that gets no IP (failed,
 * not a LoadBalancer any more) has both cleared: status.loadBalancer becomes {} and the
 * annotation is removed.
 */
#ifndef INGOT_CONTROLLER_SVC_STATUS_H
#define INGOT_CONTROLLER_SVC_STATUS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "alloc/alloc.h"

#define SVC_IP_TEXT 64
#define SVC_POOL_TEXT 256

struct svc_desired {
	size_t nips;                 /* 0: clear */
	char ips[2][SVC_IP_TEXT];
	char pool[SVC_POOL_TEXT];    /* "": no ip-allocated-from-pool annotation */
};

/* The desired state for an allocator result: the IPs and pool when assigned, else cleared. */
void svc_desired_from_result(const struct alloc_result *res, struct svc_desired *out);
/* Whether the Service already shows exactly d (ingress IPs in order, and the annotation). */
bool svc_status_matches(const json_t *service, const struct svc_desired *d);
/* Sets d on service (a private copy). Returns false when it already matched (nothing to write).
 * Has the k8s_status_mutate_fn shape with arg = the struct svc_desired. */
bool svc_status_apply(void *arg, json_t *service);

#endif
