/* Unit tests for Service JSON → allocator view (controller/svc_view.h), from JSON fixtures in
 * data/: the seed's nginx Service as the API server returns it, a dual-stack Local Service with
 * sharing and requested IPs, and a minimal ClusterIP Service with only defaults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "controller/svc_view.h"

static json_t *load(const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", CTL_TEST_DATA, name);
	json_error_t err;
	json_t *j = json_load_file(path, 0, &err);
	if (!j)
		fail_msg("%s: %s", path, err.text);
	return j;
}

static void test_seed_nginx(void **state)
{
	json_t *svc = load("svc_seed_nginx.json");
	struct svc_view v;
	svc_view_build(&v, svc, NULL);
	const struct alloc_service *s = &v.svc;
	assert_string_equal(s->namespace, "default");
	assert_string_equal(s->name, "nginx");
	assert_int_equal(s->type, SVC_TYPE_LOAD_BALANCER);
	assert_null(s->lb_class);
	assert_null(s->lb_ip);
	assert_int_equal(s->family_policy, SVC_SINGLE_STACK);
	assert_int_equal(s->nfamilies, 1);
	assert_int_equal(s->families[0], IP_V4);
	assert_int_equal(s->nports, 1);
	assert_int_equal(s->ports[0].port, 80);
	assert_int_equal(s->ports[0].protocol, SVC_PROTO_TCP);
	assert_int_equal(s->traffic_policy, SVC_TRAFFIC_CLUSTER);
	assert_string_equal(labels_get(&s->labels, "app"), "nginx");
	assert_string_equal(labels_get(&s->selector, "app"), "nginx");
	assert_int_equal(s->namespace_labels.n, 0);
	assert_int_equal(s->nstatus_ips, 0);
	assert_true(svc_class_handled(s->lb_class, NULL));
	svc_view_free(&v);
	json_decref(svc);
}

static void test_dual_stack_local_shared(void **state)
{
	json_t *svc = load("svc_dual_local_shared.json");
	json_t *ns = load("namespace_infra.json");
	struct svc_view v;
	svc_view_build(&v, svc, ns);
	const struct alloc_service *s = &v.svc;
	assert_string_equal(s->lb_class, "ingot.example/lb");
	assert_string_equal(s->lb_ip, "192.0.2.10");
	assert_int_equal(s->family_policy, SVC_REQUIRE_DUAL_STACK);
	/* families come from clusterIPs, in their order */
	assert_int_equal(s->nfamilies, 2);
	assert_int_equal(s->families[0], IP_V6);
	assert_int_equal(s->families[1], IP_V4);
	/* the out-of-range port is dropped; protocols read */
	assert_int_equal(s->nports, 3);
	assert_int_equal(s->ports[0].protocol, SVC_PROTO_UDP);
	assert_int_equal(s->ports[1].protocol, SVC_PROTO_TCP);
	assert_int_equal(s->ports[2].protocol, SVC_PROTO_SCTP);
	assert_int_equal(s->traffic_policy, SVC_TRAFFIC_LOCAL);
	assert_int_equal(s->selector.n, 2);
	assert_string_equal(labels_get(&s->namespace_labels, "team"), "net");
	/* the hostname-only ingress entry is not an IP */
	assert_int_equal(s->nstatus_ips, 2);
	assert_string_equal(s->status_ips[0], "192.0.2.10");
	assert_string_equal(s->status_ips[1], "2001:db8::10");
	/* the annotations go through as they are; the allocator reads the deprecated form */
	struct svc_annotations ann;
	svc_annotations_read(s, &ann);
	assert_string_equal(ann.sharing_key, "dns-key");
	assert_string_equal(ann.lb_ips, "192.0.2.10,2001:db8::10");
	assert_int_equal(ann.deprecated, ALLOC_DEPRECATED_ALLOW_SHARED);
	assert_true(svc_class_handled(s->lb_class, "ingot.example/lb"));
	assert_false(svc_class_handled(s->lb_class, NULL));
	svc_view_free(&v);
	json_decref(svc);
	json_decref(ns);
}

static void test_minimal_defaults(void **state)
{
	json_t *svc = load("svc_clusterip_minimal.json");
	struct svc_view v;
	svc_view_build(&v, svc, NULL);
	const struct alloc_service *s = &v.svc;
	assert_int_equal(s->type, SVC_TYPE_CLUSTER_IP);
	/* no clusterIPs: spec.ipFamilies */
	assert_int_equal(s->nfamilies, 1);
	assert_int_equal(s->families[0], IP_V6);
	assert_int_equal(s->nports, 1);
	assert_int_equal(s->ports[0].protocol, SVC_PROTO_TCP);
	assert_int_equal(s->labels.n + s->annotations.n + s->selector.n, 0);
	svc_view_free(&v);
	json_decref(svc);
}

static void test_types_and_garbage(void **state)
{
	json_t *svc = json_pack("{s:{s:s, s:s}, s:{s:s, s:[s, s], s:s, s:[{s:s}], s:i}}",
				"metadata", "name", "x", "namespace", "y", "spec", "type", "NodePort",
				"clusterIPs", "None", "not-an-ip", "ipFamilyPolicy", "PreferDualStack",
				"ports", "port", "eighty", "selector", 7);
	struct svc_view v;
	svc_view_build(&v, svc, NULL);
	assert_int_equal(v.svc.type, SVC_TYPE_NODE_PORT);
	assert_int_equal(v.svc.family_policy, SVC_PREFER_DUAL_STACK);
	assert_int_equal(v.svc.nfamilies, 0);
	assert_int_equal(v.svc.nports, 0);
	assert_int_equal(v.svc.selector.n, 0);
	svc_view_free(&v);
	json_object_set_new(json_object_get(svc, "spec"), "type", json_string("ExternalName"));
	svc_view_build(&v, svc, NULL);
	assert_int_equal(v.svc.type, SVC_TYPE_EXTERNAL_NAME);
	svc_view_free(&v);
	json_decref(svc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_nginx),
		cmocka_unit_test(test_dual_stack_local_shared),
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_types_and_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
