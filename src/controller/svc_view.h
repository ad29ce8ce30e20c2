/*
 * Service JSON → the allocator's view (struct alloc_service), pure: no I/O.
 *
 * Reads what MetalLB's controller reads from a v1 Service
 * (https://kubernetes.io/docs/reference/kubernetes-api/service-resources/service-v1/):
 * metadata.{namespace,name,labels,annotations}; spec.{type, loadBalancerClass, loadBalancerIP,
 * ipFamilyPolicy, clusterIPs (families, as MetalLB's internal/ipfamily does; spec.ipFamilies when
 * there are none), ports[].{port,protocol}, externalTrafficPolicy, selector};
 * status.loadBalancer.ingress[].ip; and the labels of the Service's Namespace (namespaceSelectors).
 *
 * Ownership: the view borrows strings from the JSON objects it was built from, so they must live
 * as long as the view; the label sets, port and IP arrays are the view's own and
 * svc_view_free() releases them.
 */
#ifndef INGOT_CONTROLLER_SVC_VIEW_H
#define INGOT_CONTROLLER_SVC_VIEW_H

#include <jansson.h>

#include "alloc/alloc.h"

struct svc_view {
	struct alloc_service svc;    /* what the allocator gets */
	struct svc_port *ports;      /* backing store of svc.ports */
	const char **status_ips;     /* backing store of svc.status_ips (strings borrowed) */
};

/* Fills v from a Service object and its Namespace object (NULL when unknown). */
void svc_view_build(struct svc_view *v, const json_t *service, const json_t *ns_obj);
void svc_view_free(struct svc_view *v);

/* The string map obj (labels, annotations, selector) as a label set; non-strings are skipped. */
void svc_labels_from_json(struct cfg_labels *out, const json_t *obj);

#endif
