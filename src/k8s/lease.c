/*
 * Lease get/create/update (see lease.h).
 */
#include "k8s/lease.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/resource.h"
#include "k8s/store.h"

static void copy_str(char *dst, size_t len, const json_t *v)
{
	const char *s = json_string_value(v);
	snprintf(dst, len, "%s", s ? s : "");
}

void k8s_lease_spec_read(const json_t *lease, struct k8s_lease_spec *out)
{
	memset(out, 0, sizeof(*out));
	const json_t *spec = json_object_get(lease, "spec");
	copy_str(out->holder, sizeof(out->holder), json_object_get(spec, "holderIdentity"));
	copy_str(out->acquire_time, sizeof(out->acquire_time), json_object_get(spec, "acquireTime"));
	copy_str(out->renew_time, sizeof(out->renew_time), json_object_get(spec, "renewTime"));
	out->duration_s = (long)json_integer_value(json_object_get(spec, "leaseDurationSeconds"));
	out->transitions = (long)json_integer_value(json_object_get(spec, "leaseTransitions"));
}

static void set_or_null(json_t *o, const char *key, const char *value)
{
	json_object_set_new(o, key, value && *value ? json_string(value) : json_null());
}

void k8s_lease_spec_write(json_t *lease, const struct k8s_lease_spec *spec)
{
	json_t *s = json_object_get(lease, "spec");
	if (!json_is_object(s)) {
		s = json_object();
		json_object_set_new(lease, "spec", s);
	}
	set_or_null(s, "holderIdentity", spec->holder);
	json_object_set_new(s, "leaseDurationSeconds", json_integer(spec->duration_s));
	set_or_null(s, "acquireTime", spec->acquire_time);
	set_or_null(s, "renewTime", spec->renew_time);
	json_object_set_new(s, "leaseTransitions", json_integer(spec->transitions));
}

struct k8s_request *k8s_lease_get(struct k8s_client *c, const char *ns, const char *name,
				  k8s_done_fn done, void *arg)
{
	char *path = k8s_path(&k8s_res_leases, ns, name, NULL);
	struct k8s_request *r = k8s_request(c, "GET", path, NULL, NULL, done, arg);
	free(path);
	return r;
}

struct k8s_request *k8s_lease_create(struct k8s_client *c, const char *ns, const char *name,
				     const struct k8s_lease_spec *spec, k8s_done_fn done, void *arg)
{
	json_t *lease = json_pack("{s:s, s:s, s:{s:s, s:s}}", "apiVersion",
				  k8s_res_leases.api_version, "kind", k8s_res_leases.kind, "metadata",
				  "name", name, "namespace", ns);
	k8s_lease_spec_write(lease, spec);
	char *path = k8s_path(&k8s_res_leases, ns, NULL, NULL);
	struct k8s_request *r = k8s_request(c, "POST", path, lease, NULL, done, arg);
	free(path);
	json_decref(lease);
	return r;
}

struct k8s_request *k8s_lease_update(struct k8s_client *c, const json_t *lease,
				     const struct k8s_lease_spec *spec, k8s_done_fn done, void *arg)
{
	json_t *copy = json_deep_copy(lease);
	k8s_lease_spec_write(copy, spec);
	char *path = k8s_path(&k8s_res_leases, k8s_meta(lease, "namespace"), k8s_meta(lease, "name"),
			      NULL);
	struct k8s_request *r = k8s_request(c, "PUT", path, copy, NULL, done, arg);
	free(path);
	json_decref(copy);
	return r;
}
