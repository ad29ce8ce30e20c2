/*
 * Service JSON → allocator view (see svc_view.h).
 */
#include "controller/svc_view.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

static const char *str_at(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

void svc_labels_from_json(struct cfg_labels *out, const json_t *obj)
{
	memset(out, 0, sizeof(*out));
	const char *key;
	json_t *value;
	json_object_foreach((json_t *)obj, key, value) {
		if (json_is_string(value))
			labels_set(out, key, json_string_value(value));
	}
}

static enum svc_type type_of(const char *t)
{
	if (!t)
		return SVC_TYPE_CLUSTER_IP;     /* the API server's default */
	if (!strcmp(t, "LoadBalancer"))
		return SVC_TYPE_LOAD_BALANCER;
	if (!strcmp(t, "NodePort"))
		return SVC_TYPE_NODE_PORT;
	if (!strcmp(t, "ExternalName"))
		return SVC_TYPE_EXTERNAL_NAME;
	return SVC_TYPE_CLUSTER_IP;
}

static enum svc_family_policy policy_of(const char *p)
{
	if (p && !strcmp(p, "PreferDualStack"))
		return SVC_PREFER_DUAL_STACK;
	if (p && !strcmp(p, "RequireDualStack"))
		return SVC_REQUIRE_DUAL_STACK;
	return SVC_SINGLE_STACK;
}

static enum svc_protocol protocol_of(const char *p)
{
	if (p && !strcmp(p, "UDP"))
		return SVC_PROTO_UDP;
	if (p && !strcmp(p, "SCTP"))
		return SVC_PROTO_SCTP;
	return SVC_PROTO_TCP;           /* the API server's default */
}

/* Families from spec.clusterIPs ("None" and garbage skipped); else from spec.ipFamilies. */
static void families_of(const json_t *spec, struct alloc_service *s)
{
	size_t i;
	json_t *item;
	json_array_foreach(json_object_get(spec, "clusterIPs"), i, item) {
		ip_addr a;
		const char *text = json_string_value(item);
		if (s->nfamilies < 2 && text && ip_addr_parse(text, &a))
			s->families[s->nfamilies++] = (enum ip_family)a.family;
	}
	if (s->nfamilies)
		return;
	const char *one = str_at(spec, "clusterIP");
	ip_addr a;
	if (one && ip_addr_parse(one, &a)) {
		s->families[s->nfamilies++] = (enum ip_family)a.family;
		return;
	}
	json_array_foreach(json_object_get(spec, "ipFamilies"), i, item) {
		const char *f = json_string_value(item);
		if (s->nfamilies < 2 && f && !strcmp(f, "IPv4"))
			s->families[s->nfamilies++] = IP_V4;
		else if (s->nfamilies < 2 && f && !strcmp(f, "IPv6"))
			s->families[s->nfamilies++] = IP_V6;
	}
}

static void ports_of(const json_t *spec, struct svc_view *v)
{
	const json_t *ports = json_object_get(spec, "ports");
	size_t n = json_array_size(ports);
	v->ports = n ? xcalloc(n, sizeof(*v->ports)) : NULL;
	size_t i;
	json_t *p;
	json_array_foreach(ports, i, p) {
		json_int_t port = json_integer_value(json_object_get(p, "port"));
		if (port <= 0 || port > 65535)
			continue;
		v->ports[v->svc.nports++] = (struct svc_port){
			.port = (uint16_t)port, .protocol = protocol_of(str_at(p, "protocol")),
		};
	}
	v->svc.ports = v->ports;
}

static void status_of(const json_t *service, struct svc_view *v)
{
	const json_t *lb = json_object_get(json_object_get(service, "status"), "loadBalancer");
	const json_t *ingress = json_object_get(lb, "ingress");
	size_t n = json_array_size(ingress);
	v->status_ips = n ? xcalloc(n, sizeof(*v->status_ips)) : NULL;
	size_t i;
	json_t *item;
	json_array_foreach(ingress, i, item) {
		const char *ip = str_at(item, "ip");
		if (ip && *ip)
			v->status_ips[v->svc.nstatus_ips++] = ip;
	}
	v->svc.status_ips = v->status_ips;
}

void svc_view_build(struct svc_view *v, const json_t *service, const json_t *ns_obj)
{
	memset(v, 0, sizeof(*v));
	struct alloc_service *s = &v->svc;
	const json_t *meta = json_object_get(service, "metadata");
	const json_t *spec = json_object_get(service, "spec");
	s->namespace = str_at(meta, "namespace");
	s->name = str_at(meta, "name");
	svc_labels_from_json(&s->labels, json_object_get(meta, "labels"));
	svc_labels_from_json(&s->annotations, json_object_get(meta, "annotations"));
	svc_labels_from_json(&s->namespace_labels,
			     json_object_get(json_object_get(ns_obj, "metadata"), "labels"));
	s->type = type_of(str_at(spec, "type"));
	s->lb_class = str_at(spec, "loadBalancerClass");
	s->lb_ip = str_at(spec, "loadBalancerIP");
	s->family_policy = policy_of(str_at(spec, "ipFamilyPolicy"));
	families_of(spec, s);
	ports_of(spec, v);
	const char *etp = str_at(spec, "externalTrafficPolicy");
	s->traffic_policy = etp && !strcmp(etp, "Local") ? SVC_TRAFFIC_LOCAL : SVC_TRAFFIC_CLUSTER;
	svc_labels_from_json(&s->selector, json_object_get(spec, "selector"));
	status_of(service, v);
}

void svc_view_free(struct svc_view *v)
{
	labels_free(&v->svc.labels);
	labels_free(&v->svc.annotations);
	labels_free(&v->svc.namespace_labels);
	labels_free(&v->svc.selector);
	free(v->ports);
	free(v->status_ips);
	memset(v, 0, sizeof(*v));
}
