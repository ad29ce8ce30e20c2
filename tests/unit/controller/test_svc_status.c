/* Unit tests for what the controller writes back: the desired status from an allocator result,
 * the status + ip-allocated-from-pool update (controller/svc_status.h), the Events of a decision
 * (controller/svc_events.h) and IPAddressPool status counters (controller/pool_status.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "controller/pool_status.h"
#include "controller/svc_events.h"
#include "controller/svc_status.h"
#include "core/xalloc.h"

static json_t *service(const char *status_json, const char *pool_annotation)
{
	json_t *s = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:{s:s}}, s:{s:s}}", "apiVersion", "v1",
			      "kind", "Service", "metadata", "name", "web", "namespace", "ns",
			      "resourceVersion", "7", "annotations", "keep/me", "yes", "spec", "type",
			      "LoadBalancer");
	if (status_json)
		json_object_set_new(s, "status", json_loads(status_json, 0, NULL));
	if (pool_annotation)
		json_object_set_new(json_object_get(json_object_get(s, "metadata"), "annotations"),
				    ALLOC_ANN_FROM_POOL, json_string(pool_annotation));
	return s;
}

static void assigned(struct alloc_result *res, const char *pool, const char *ip1, const char *ip2)
{
	memset(res, 0, sizeof(*res));
	res->outcome = ALLOC_ASSIGNED;
	assert_true(ip_addr_parse(ip1, &res->ips[res->nips++]));
	if (ip2)
		assert_true(ip_addr_parse(ip2, &res->ips[res->nips++]));
	res->pool = xstrdup(pool);
}

static void test_desired_from_result(void **state)
{
	struct alloc_result res;
	struct svc_desired d;
	assigned(&res, "dual", "198.51.100.1", "2001:db8::1");
	svc_desired_from_result(&res, &d);
	assert_int_equal(d.nips, 2);
	assert_string_equal(d.ips[0], "198.51.100.1");
	assert_string_equal(d.ips[1], "2001:db8::1");
	assert_string_equal(d.pool, "dual");
	alloc_result_free(&res);
	/* failed or not a LoadBalancer: clear */
	memset(&res, 0, sizeof(res));
	res.outcome = ALLOC_FAILED;
	svc_desired_from_result(&res, &d);
	assert_int_equal(d.nips, 0);
	assert_string_equal(d.pool, "");
	res.outcome = ALLOC_NOT_LB;
	svc_desired_from_result(&res, &d);
	assert_int_equal(d.nips, 0);
}

static void test_apply_sets_ingress_and_annotation(void **state)
{
	struct alloc_result res;
	struct svc_desired d;
	assigned(&res, "my-ip-space", "198.51.100.1", NULL);
	svc_desired_from_result(&res, &d);
	alloc_result_free(&res);

	json_t *svc = service(NULL, NULL);
	assert_false(svc_status_matches(svc, &d));
	assert_true(svc_status_apply(&d, svc));
	json_t *want = json_loads("{\"loadBalancer\": {\"ingress\": [{\"ip\": \"198.51.100.1\"}]}}", 0,
				  NULL);
	assert_true(json_equal(json_object_get(svc, "status"), want));
	json_decref(want);
	json_t *ann = json_object_get(json_object_get(svc, "metadata"), "annotations");
	assert_string_equal(json_string_value(json_object_get(ann, ALLOC_ANN_FROM_POOL)),
			    "my-ip-space");
	assert_string_equal(json_string_value(json_object_get(ann, "keep/me")), "yes");
	/* the resourceVersion stays: the PUT must carry the one read */
	assert_string_equal(json_string_value(json_object_get(json_object_get(svc, "metadata"),
							       "resourceVersion")), "7");
	/* now it matches: nothing more to write */
	assert_true(svc_status_matches(svc, &d));
	assert_false(svc_status_apply(&d, svc));
	json_decref(svc);

	/* what the API server returns (ipMode defaulted to VIP) matches too */
	svc = service("{\"loadBalancer\": {\"ingress\": [{\"ip\": \"198.51.100.1\", "
		      "\"ipMode\": \"VIP\"}]}}", "my-ip-space");
	assert_true(svc_status_matches(svc, &d));
	json_decref(svc);
	/* the right IP without the annotation, the annotation of another pool, extra ports, or
	 * another order of the IPs: all need a write */
	svc = service("{\"loadBalancer\": {\"ingress\": [{\"ip\": \"198.51.100.1\"}]}}", NULL);
	assert_false(svc_status_matches(svc, &d));
	json_decref(svc);
	svc = service("{\"loadBalancer\": {\"ingress\": [{\"ip\": \"198.51.100.1\"}]}}", "other");
	assert_false(svc_status_matches(svc, &d));
	json_decref(svc);
	svc = service("{\"loadBalancer\": {\"ingress\": [{\"ip\": \"198.51.100.1\", \"ipMode\": "
		      "\"VIP\", \"ports\": [{\"port\": 80, \"protocol\": \"TCP\"}]}]}}",
		      "my-ip-space");
	assert_false(svc_status_matches(svc, &d));
	json_decref(svc);
}

static void test_apply_clears(void **state)
{
	struct svc_desired d;
	memset(&d, 0, sizeof(d));
	json_t *svc = service("{\"loadBalancer\": {\"ingress\": [{\"ip\": \"10.0.0.1\"}, "
			      "{\"ip\": \"fd00::1\"}]}}", "old");
	assert_false(svc_status_matches(svc, &d));
	assert_true(svc_status_apply(&d, svc));
	json_t *lb = json_object_get(json_object_get(svc, "status"), "loadBalancer");
	assert_true(json_is_object(lb));
	assert_int_equal(json_object_size(lb), 0);
	json_t *ann = json_object_get(json_object_get(svc, "metadata"), "annotations");
	assert_null(json_object_get(ann, ALLOC_ANN_FROM_POOL));
	assert_non_null(json_object_get(ann, "keep/me"));
	assert_false(svc_status_apply(&d, svc));
	json_decref(svc);
	/* a Service that never had anything: nothing to clear */
	svc = service(NULL, NULL);
	assert_true(svc_status_matches(svc, &d));
	json_decref(svc);
}

static void test_events(void **state)
{
	struct alloc_result res;
	assigned(&res, "p", "10.0.0.1", NULL);
	res.events[0] = (struct alloc_event){ false, "ClearAssignment", xstrdup("moved") };
	res.events[1] = (struct alloc_event){ false, "IPAllocated",
					      xstrdup("Assigned IP [\"10.0.0.1\"]") };
	res.nevents = 2;
	res.deprecated = ALLOC_DEPRECATED_ADDRESS_POOL | ALLOC_DEPRECATED_ALLOW_SHARED;
	struct svc_events ev;
	svc_events_build(&res, true, &ev);
	assert_int_equal(ev.n, 4);
	assert_string_equal(ev.v[0].type, "Normal");
	assert_string_equal(ev.v[0].reason, "ClearAssignment");
	assert_string_equal(ev.v[1].reason, "IPAllocated");
	assert_string_equal(ev.v[1].message, "Assigned IP [\"10.0.0.1\"]");
	assert_string_equal(ev.v[2].type, "Warning");
	assert_string_equal(ev.v[2].reason, "deprecatedAnnotation");
	assert_non_null(strstr(ev.v[2].message, "metallb.universe.tf/address-pool"));
	assert_non_null(strstr(ev.v[2].message, "metallb.io/address-pool"));
	assert_non_null(strstr(ev.v[3].message, "metallb.universe.tf/allow-shared-ip"));
	svc_events_free(&ev);
	alloc_result_free(&res);

	/* a failure is a Warning; a quiet re-sync (nothing written) does not repeat the
	 * deprecation warning */
	memset(&res, 0, sizeof(res));
	res.outcome = ALLOC_FAILED;
	res.events[0] = (struct alloc_event){ true, "AllocationFailed", xstrdup("no available IPs") };
	res.nevents = 1;
	svc_events_build(&res, false, &ev);
	assert_int_equal(ev.n, 1);
	assert_string_equal(ev.v[0].type, "Warning");
	svc_events_free(&ev);
	alloc_result_free(&res);
	memset(&res, 0, sizeof(res));
	res.outcome = ALLOC_ASSIGNED;
	res.deprecated = ALLOC_DEPRECATED_LB_IPS;
	svc_events_build(&res, false, &ev);
	assert_int_equal(ev.n, 0);
	svc_events_build(&res, true, &ev);
	assert_int_equal(ev.n, 1);
	svc_events_free(&ev);
}

static void test_pool_status_json(void **state)
{
	struct alloc_pool_counters pc = { .assigned_v4 = 1, .assigned_v6 = 0, .available_v4 = 253,
					  .available_v6 = UINT64_MAX };
	json_t *j = pool_status_json(&pc);
	json_t *want = json_pack("{s:I, s:I, s:I, s:I}", "assignedIPv4", (json_int_t)1,
				 "assignedIPv6", (json_int_t)0, "availableIPv4", (json_int_t)253,
				 "availableIPv6", (json_int_t)INT64_MAX);
	assert_true(json_equal(j, want));
	json_decref(j);
	json_decref(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_desired_from_result),
		cmocka_unit_test(test_apply_sets_ingress_and_annotation),
		cmocka_unit_test(test_apply_clears),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_pool_status_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
