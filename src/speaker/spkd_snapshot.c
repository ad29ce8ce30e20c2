/*
 * API objects -> the decision inputs (spkd.h). Pure: no I/O.
 *
 * Read as MetalLB's speaker reads them:
 *   - Services of type LoadBalancer handled by this class (alloc.h svc_class_handled) that have
 *     IPs: status.loadBalancer.ingress[].ip, metadata.labels, spec.externalTrafficPolicy and the
 *     metallb.io/ip-allocated-from-pool annotation;
 *   - discovery.k8s.io/v1 EndpointSlices, tied to their Service by the kubernetes.io/service-name
 *     label in the same namespace: endpoints[].{addresses, nodeName, conditions.ready/serving};
 *   - Nodes: labels and the NetworkUnavailable condition. Liveness comes from the failure
 *     detector (spkd_members.h) when it has an answer for the node; otherwise from the Node
 *     conditions: a Node whose Ready condition is False or Unknown has no live speaker; a Node
 *     without a Ready condition (created by hand) counts as live.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc/alloc.h"
#include "core/xalloc.h"
#include "speaker/spkd.h"

#define LABEL_SERVICE_NAME "kubernetes.io/service-name"

static const char *str_at(const json_t *obj, const char *a, const char *b)
{
	const json_t *v = json_object_get(obj, a);
	if (b)
		v = json_object_get(v, b);
	return json_string_value(v);
}

static void labels_from(struct cfg_labels *out, const json_t *map)
{
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)map, k, v) {
		if (json_is_string(v))
			labels_set(out, k, json_string_value(v));
	}
}

static enum spk_cond cond_of(const json_t *conds, const char *name)
{
	const json_t *v = json_object_get(conds, name);
	if (json_is_true(v))
		return SPK_COND_TRUE;
	if (json_is_false(v))
		return SPK_COND_FALSE;
	return SPK_COND_UNSET;
}

static const char *node_condition(const json_t *node, const char *type)
{
	const json_t *conds = json_object_get(json_object_get(node, "status"), "conditions");
	size_t i;
	const json_t *c;
	json_array_foreach(conds, i, c) {
		const char *t = json_string_value(json_object_get(c, "type"));
		if (t && strcmp(t, type) == 0)
			return json_string_value(json_object_get(c, "status"));
	}
	return NULL;
}

static char *slice_key(const char *ns, const char *svc)
{
	return xasprintf("%s/%s", ns ? ns : "", svc);
}

/* Groups the EndpointSlices by "namespace/service" into a JSON object of arrays. */
static json_t *group_slices(const json_t *slices, size_t *nslices, size_t *neps, size_t *naddrs)
{
	json_t *by = json_object();
	size_t i;
	const json_t *sl;
	json_array_foreach(slices, i, sl) {
		const json_t *meta = json_object_get(sl, "metadata");
		const char *svc = str_at(meta, "labels", LABEL_SERVICE_NAME);
		if (!svc)
			continue;
		char *key = slice_key(json_string_value(json_object_get(meta, "namespace")), svc);
		json_t *arr = json_object_get(by, key);
		if (!arr) {
			arr = json_array();
			json_object_set_new(by, key, arr);
		}
		json_array_append(arr, (json_t *)sl);
		free(key);
		(*nslices)++;
		size_t j;
		const json_t *ep;
		json_array_foreach(json_object_get(sl, "endpoints"), j, ep) {
			(*neps)++;
			*naddrs += json_array_size(json_object_get(ep, "addresses"));
		}
	}
	return by;
}

static bool service_wanted(const json_t *svc, const char *lb_class)
{
	const json_t *spec = json_object_get(svc, "spec");
	const char *type = str_at(spec, "type", NULL);
	if (!type || strcmp(type, "LoadBalancer") != 0)
		return false;
	return svc_class_handled(str_at(spec, "loadBalancerClass", NULL), lb_class);
}

static size_t status_ips(const json_t *svc, ip_addr out[2])
{
	const json_t *ingress = json_object_get(
		json_object_get(json_object_get(svc, "status"), "loadBalancer"), "ingress");
	size_t n = 0, i;
	const json_t *in;
	json_array_foreach(ingress, i, in) {
		if (n < 2 && ip_addr_parse(json_string_value(json_object_get(in, "ip")), &out[n]))
			n++;
	}
	return n;
}

static void fill_slices(struct spkd_snapshot *s, struct spk_service *sv, const json_t *arr,
			size_t *islice, size_t *iep, size_t *iaddr)
{
	sv->slices = &s->slices[*islice];
	size_t i;
	const json_t *sl;
	json_array_foreach(arr, i, sl) {
		struct spk_endpoint_slice *out = &s->slices[(*islice)++];
		out->endpoints = &s->eps[*iep];
		size_t j;
		const json_t *ep;
		json_array_foreach(json_object_get(sl, "endpoints"), j, ep) {
			struct spk_endpoint *e = &s->eps[(*iep)++];
			e->node = json_string_value(json_object_get(ep, "nodeName"));
			e->addresses = &s->addrs[*iaddr];
			size_t k;
			const json_t *a;
			json_array_foreach(json_object_get(ep, "addresses"), k, a) {
				const char *text = json_string_value(a);
				if (text) {
					s->addrs[(*iaddr)++] = text;
					e->naddresses++;
				}
			}
			const json_t *conds = json_object_get(ep, "conditions");
			e->ready = cond_of(conds, "ready");
			e->serving = cond_of(conds, "serving");
			out->nendpoints++;
		}
		sv->nslices++;
	}
}

static void build_services(struct spkd_snapshot *s, const struct spkd_source *src)
{
	size_t nslices = 0, neps = 0, naddrs = 0;
	json_t *by = group_slices(src->slices, &nslices, &neps, &naddrs);
	size_t nsvc = json_array_size(src->services);
	/* One extra slice and endpoint per Service for no_slice_is_local. */
	s->svcs = xcalloc(nsvc + 1, sizeof(*s->svcs));
	s->slices = xcalloc(nslices + nsvc + 1, sizeof(*s->slices));
	s->eps = xcalloc(neps + nsvc + 1, sizeof(*s->eps));
	s->addrs = xcalloc(naddrs + 1, sizeof(*s->addrs));
	s->ips = xcalloc(2 * nsvc + 1, sizeof(*s->ips));
	size_t n = 0, islice = 0, iep = 0, iaddr = 0, i;
	const json_t *svc;
	json_array_foreach(src->services, i, svc) {
		if (!service_wanted(svc, src->lb_class))
			continue;
		const json_t *meta = json_object_get(svc, "metadata");
		struct spk_service *sv = &s->svcs[n];
		const char *pool = NULL;
		ip_addr *ips = &s->ips[2 * n];
		size_t nips = src->ips ? src->ips(src->ips_arg, svc, ips, &pool) : status_ips(svc, ips);
		if (nips == 0)
			continue;
		sv->namespace = json_string_value(json_object_get(meta, "namespace"));
		sv->name = json_string_value(json_object_get(meta, "name"));
		if (!sv->name)
			continue;
		sv->ips = ips;
		sv->nips = nips;
		const char *etp = str_at(json_object_get(svc, "spec"), "externalTrafficPolicy", NULL);
		sv->traffic_policy = etp && strcmp(etp, "Local") == 0 ? SPK_ETP_LOCAL : SPK_ETP_CLUSTER;
		sv->pool = pool ? pool : str_at(meta, "annotations", SPK_ANN_FROM_POOL);
		sv->labels = (struct cfg_labels){ 0 };
		labels_from(&sv->labels, json_object_get(meta, "labels"));
		char *key = slice_key(sv->namespace, sv->name);
		const json_t *arr = json_object_get(by, key);
		free(key);
		if (arr && json_array_size(arr) > 0) {
			fill_slices(s, sv, arr, &islice, &iep, &iaddr);
		} else if (src->no_slice_is_local) {
			struct spk_endpoint *e = &s->eps[iep++];
			e->node = src->node_name;
			struct spk_endpoint_slice *out = &s->slices[islice++];
			out->endpoints = e;
			out->nendpoints = 1;
			sv->slices = out;
			sv->nslices = 1;
		}
		n++;
	}
	json_decref(by);
	s->in.services = s->svcs;
	s->in.nservices = n;
}

static void build_nodes(struct spkd_snapshot *s, const struct spkd_source *src)
{
	size_t cap = json_array_size(src->nodes) + 1;
	s->nodes = xcalloc(cap, sizeof(*s->nodes));
	s->live = xcalloc(cap, sizeof(*s->live));
	size_t n = 0, nlive = 0;
	if (src->self_only) {
		s->nodes[n++].name = src->node_name;
		s->live[nlive++] = src->node_name;
	} else {
		size_t i;
		const json_t *node;
		json_array_foreach(src->nodes, i, node) {
			const json_t *meta = json_object_get(node, "metadata");
			const char *name = json_string_value(json_object_get(meta, "name"));
			if (!name)
				continue;
			struct spk_node *nd = &s->nodes[n++];
			nd->name = name;
			labels_from(&nd->labels, json_object_get(meta, "labels"));
			const char *nu = node_condition(node, "NetworkUnavailable");
			nd->network_unavailable = nu && strcmp(nu, "True") == 0;
			int v = src->live ? src->live(src->live_arg, name) : -1;
			const char *ready = node_condition(node, "Ready");
			bool live = v >= 0 ? v == 1 : !ready || strcmp(ready, "True") == 0;
			if (live)
				s->live[nlive++] = name;
		}
	}
	s->in.nodes = s->nodes;
	s->in.nnodes = n;
	s->in.live = s->live;
	s->in.nlive = nlive;
	s->in.all_live = false;
}

void spkd_snapshot_build(struct spkd_snapshot *s, const struct spkd_source *src)
{
	memset(s, 0, sizeof(*s));
	s->hold = json_array();
	json_array_append(s->hold, (json_t *)src->services);
	json_array_append(s->hold, (json_t *)src->slices);
	json_array_append(s->hold, (json_t *)src->nodes);
	s->in.config = src->config;
	s->in.node_name = src->node_name;
	s->in.ifaces = src->ifaces;
	s->in.nifaces = src->nifaces;
	s->in.has_ifaces = src->has_ifaces;
	build_services(s, src);
	build_nodes(s, src);
}

void spkd_snapshot_free(struct spkd_snapshot *s)
{
	for (size_t i = 0; i < s->in.nservices; i++)
		labels_free(&s->svcs[i].labels);
	for (size_t i = 0; i < s->in.nnodes; i++)
		labels_free(&s->nodes[i].labels);
	free(s->svcs);
	free(s->slices);
	free(s->eps);
	free(s->addrs);
	free(s->ips);
	free(s->nodes);
	free(s->live);
	json_decref(s->hold);
	memset(s, 0, sizeof(*s));
}
