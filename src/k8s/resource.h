/*
 * The API resources ingot uses and how their URL paths are built
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-uris):
 *   /api/v1[/namespaces/NS]/services[/NAME[/status]]
 *   /apis/GROUP/VERSION[/namespaces/NS]/PLURAL[/NAME[/SUBRESOURCE]]
 */
#ifndef INGOT_K8S_RESOURCE_H
#define INGOT_K8S_RESOURCE_H

#include <stdbool.h>

struct k8s_resource {
	const char *name;            /* short name for command lines: "services" */
	const char *prefix;          /* "/api/v1" or "/apis/GROUP/VERSION" */
	const char *api_version;     /* "v1", "coordination.k8s.io/v1" */
	const char *kind;            /* "Service" */
	const char *plural;          /* "services" */
	bool namespaced;
};

extern const struct k8s_resource k8s_res_services;
extern const struct k8s_resource k8s_res_endpointslices;
extern const struct k8s_resource k8s_res_nodes;
extern const struct k8s_resource k8s_res_namespaces;
extern const struct k8s_resource k8s_res_configmaps;
extern const struct k8s_resource k8s_res_secrets;
extern const struct k8s_resource k8s_res_events;
extern const struct k8s_resource k8s_res_leases;
extern const struct k8s_resource k8s_res_ipaddresspools;
extern const struct k8s_resource k8s_res_l2advertisements;
extern const struct k8s_resource k8s_res_bgpadvertisements;
extern const struct k8s_resource k8s_res_bgppeers;
extern const struct k8s_resource k8s_res_bfdprofiles;
extern const struct k8s_resource k8s_res_communities;

/* By name ("services"), or NULL. */
const struct k8s_resource *k8s_resource_find(const char *name);

/* Path of the collection (name NULL) or of one object, optionally a subresource ("status").
 * ns is ignored for cluster-scoped resources; NULL or "" for a namespaced one means all
 * namespaces (collections only). Caller frees. */
char *k8s_path(const struct k8s_resource *res, const char *ns, const char *name,
	       const char *subresource);

#endif
