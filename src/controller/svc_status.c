/*
 * Service status and ip-allocated-from-pool annotation (see svc_status.h).
 */
#include "controller/svc_status.h"

#include <stdio.h>
#include <string.h>

void svc_desired_from_result(const struct alloc_result *res, struct svc_desired *out)
{
	memset(out, 0, sizeof(*out));
	if (res->outcome != ALLOC_ASSIGNED)
		return;
	for (size_t i = 0; i < res->nips && i < 2; i++)
		ip_addr_format(&res->ips[i], out->ips[i], sizeof(out->ips[i]));
	out->nips = res->nips < 2 ? res->nips : 2;
	snprintf(out->pool, sizeof(out->pool), "%s", res->pool ? res->pool : "");
}

static const json_t *ingress_of(const json_t *service)
{
	return json_object_get(json_object_get(json_object_get(service, "status"), "loadBalancer"),
			       "ingress");
}

static bool ingress_matches(const json_t *service, const struct svc_desired *d)
{
	const json_t *ingress = ingress_of(service);
	if (json_array_size(ingress) != d->nips)
		return false;
	for (size_t i = 0; i < d->nips; i++) {
		const json_t *item = json_array_get(ingress, i);
		const char *ip = json_string_value(json_object_get(item, "ip"));
		/* a hostname or ports written by someone else are not ours to keep */
		if (!ip || strcmp(ip, d->ips[i]) != 0 || json_object_size(item) > 2)
			return false;
	}
	return true;
}

static bool annotation_matches(const json_t *service, const struct svc_desired *d)
{
	const json_t *ann = json_object_get(json_object_get(service, "metadata"), "annotations");
	const char *pool = json_string_value(json_object_get(ann, ALLOC_ANN_FROM_POOL));
	if (!d->pool[0])
		return pool == NULL;
	return pool && strcmp(pool, d->pool) == 0;
}

bool svc_status_matches(const json_t *service, const struct svc_desired *d)
{
	return ingress_matches(service, d) && annotation_matches(service, d);
}

static json_t *object_member(json_t *obj, const char *key)
{
	json_t *m = json_object_get(obj, key);
	if (!json_is_object(m)) {
		m = json_object();
		json_object_set_new(obj, key, m);
	}
	return m;
}

bool svc_status_apply(void *arg, json_t *service)
{
	const struct svc_desired *d = arg;
	if (svc_status_matches(service, d))
		return false;
	json_t *status = object_member(service, "status");
	json_t *lb = json_object();
	if (d->nips) {
		json_t *ingress = json_array();
		for (size_t i = 0; i < d->nips; i++)
			json_array_append_new(ingress, json_pack("{s:s}", "ip", d->ips[i]));
		json_object_set_new(lb, "ingress", ingress);
	}
	json_object_set_new(status, "loadBalancer", lb);
	json_t *meta = object_member(service, "metadata");
	if (d->pool[0]) {
		json_t *ann = object_member(meta, "annotations");
		json_object_set_new(ann, ALLOC_ANN_FROM_POOL, json_string(d->pool));
	} else {
		json_t *ann = json_object_get(meta, "annotations");
		if (ann)
			json_object_del(ann, ALLOC_ANN_FROM_POOL);
	}
	return true;
}
