/*
 * Resource table and URL paths (see resource.h).
 */
#include "k8s/resource.h"

#include <string.h>

#include "core/xalloc.h"

#define RES(var, nm, pfx, av, kd, ns) \
	const struct k8s_resource var = { nm, pfx, av, kd, nm, ns }

RES(k8s_res_services, "services", "/api/v1", "v1", "Service", true);
RES(k8s_res_endpointslices, "endpointslices", "/apis/discovery.k8s.io/v1", "discovery.k8s.io/v1",
    "EndpointSlice", true);
RES(k8s_res_nodes, "nodes", "/api/v1", "v1", "Node", false);
RES(k8s_res_namespaces, "namespaces", "/api/v1", "v1", "Namespace", false);
RES(k8s_res_configmaps, "configmaps", "/api/v1", "v1", "ConfigMap", true);
RES(k8s_res_secrets, "secrets", "/api/v1", "v1", "Secret", true);
RES(k8s_res_events, "events", "/api/v1", "v1", "Event", true);
RES(k8s_res_leases, "leases", "/apis/coordination.k8s.io/v1", "coordination.k8s.io/v1", "Lease",
    true);
RES(k8s_res_ipaddresspools, "ipaddresspools", "/apis/metallb.io/v1beta1", "metallb.io/v1beta1",
    "IPAddressPool", true);
RES(k8s_res_l2advertisements, "l2advertisements", "/apis/metallb.io/v1beta1", "metallb.io/v1beta1",
    "L2Advertisement", true);
RES(k8s_res_bgpadvertisements, "bgpadvertisements", "/apis/metallb.io/v1beta1",
    "metallb.io/v1beta1", "BGPAdvertisement", true);
RES(k8s_res_bgppeers, "bgppeers", "/apis/metallb.io/v1beta2", "metallb.io/v1beta2", "BGPPeer",
    true);
RES(k8s_res_bfdprofiles, "bfdprofiles", "/apis/metallb.io/v1beta1", "metallb.io/v1beta1",
    "BFDProfile", true);
RES(k8s_res_communities, "communities", "/apis/metallb.io/v1beta1", "metallb.io/v1beta1",
    "Community", true);

static const struct k8s_resource *const all[] = {
	&k8s_res_services, &k8s_res_endpointslices, &k8s_res_nodes, &k8s_res_namespaces,
	&k8s_res_configmaps, &k8s_res_secrets, &k8s_res_events, &k8s_res_leases,
	&k8s_res_ipaddresspools, &k8s_res_l2advertisements, &k8s_res_bgpadvertisements,
	&k8s_res_bgppeers, &k8s_res_bfdprofiles, &k8s_res_communities,
};

const struct k8s_resource *k8s_resource_find(const char *name)
{
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!strcmp(all[i]->name, name))
			return all[i];
	return NULL;
}

char *k8s_path(const struct k8s_resource *res, const char *ns, const char *name,
	       const char *subresource)
{
	bool with_ns = res->namespaced && ns && *ns;
	return xasprintf("%s%s%s/%s%s%s%s%s", res->prefix, with_ns ? "/namespaces/" : "",
			 with_ns ? ns : "", res->plural, name ? "/" : "", name ? name : "",
			 subresource ? "/" : "", subresource ? subresource : "");
}
