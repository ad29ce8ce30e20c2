/* Unit tests for the pure parts of the API client: backoff with jitter (k8s/backoff.h), response
 * status mapping and Retry-After (k8s/status.h), the object store (k8s/store.h), resource paths
 * (k8s/resource.h), Event and Lease objects (k8s/event.h, k8s/lease.h), Service ingress status
 * (k8s/status_update.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/backoff.h"
#include "k8s/client.h"
#include "k8s/event.h"
#include "k8s/lease.h"
#include "k8s/resource.h"
#include "k8s/status.h"
#include "k8s/status_update.h"
#include "k8s/store.h"

static void test_backoff_doubles_with_jitter_and_caps(void **state)
{
	struct k8s_backoff b;
	k8s_backoff_init(&b, mono_from_ms(500), mono_from_s(30));
	/* random 0 gives the lower bound (half the base), UINT32_MAX almost the base */
	int64_t bases[] = { 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000 };
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		struct k8s_backoff copy = b;
		int64_t lo = mono_to_ms(k8s_backoff_next(&copy, 0));
		int64_t hi = mono_to_ms(k8s_backoff_next(&b, UINT32_MAX));
		assert_int_equal(lo, bases[i] / 2);
		assert_true(hi <= bases[i] && hi >= bases[i] - 1);
	}
	k8s_backoff_reset(&b);
	assert_int_equal(mono_to_ms(k8s_backoff_next(&b, 0)), 250);
	/* the spread of many draws covers the range */
	k8s_backoff_reset(&b);
	int64_t min = INT64_MAX, max = 0;
	uint32_t x = 1;
	for (int i = 0; i < 1000; i++) {
		struct k8s_backoff copy = b;
		x = x * 1664525u + 1013904223u;
		int64_t d = mono_to_ms(k8s_backoff_next(&copy, x));
		min = d < min ? d : min;
		max = d > max ? d : max;
	}
	assert_true(min >= 250 && min < 260);
	assert_true(max <= 500 && max > 490);
}

static void test_status_mapping(void **state)
{
	struct k8s_status st;
	k8s_status_from_http(200, NULL, &st);
	assert_int_equal(st.outcome, K8S_OK);
	k8s_status_from_http(201, NULL, &st);
	assert_int_equal(st.outcome, K8S_OK);
	json_t *body = json_loads("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
				  "\"message\":\"Operation cannot be fulfilled on services \\\"x\\\": "
				  "the object has been modified\",\"reason\":\"Conflict\",\"code\":409}",
				  0, NULL);
	k8s_status_from_http(409, body, &st);
	assert_int_equal(st.outcome, K8S_CONFLICT);
	assert_string_equal(st.reason, "Conflict");
	assert_int_equal(st.code, 409);
	assert_non_null(strstr(st.message, "has been modified"));
	json_decref(body);
	struct { long http; enum k8s_outcome o; bool retry; } cases[] = {
		{ 400, K8S_INVALID, false }, { 401, K8S_UNAUTHORIZED, false },
		{ 403, K8S_FORBIDDEN, false }, { 404, K8S_NOT_FOUND, false },
		{ 410, K8S_GONE, false }, { 415, K8S_INVALID, false }, { 422, K8S_INVALID, false },
		{ 429, K8S_TOO_MANY_REQUESTS, true }, { 500, K8S_SERVER_ERROR, true },
		{ 503, K8S_SERVER_ERROR, true }, { 302, K8S_OTHER, false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		k8s_status_from_http(cases[i].http, NULL, &st);
		assert_int_equal(st.outcome, cases[i].o);
		assert_int_equal(k8s_outcome_retryable(st.outcome), cases[i].retry);
	}
	/* a body that is not a Status is not read for reason/message */
	body = json_loads("{\"kind\":\"Service\",\"reason\":\"x\"}", 0, NULL);
	k8s_status_from_http(500, body, &st);
	assert_string_equal(st.reason, "");
	json_decref(body);
	k8s_status_transport("Connection refused", &st);
	assert_int_equal(st.outcome, K8S_TRANSPORT);
	assert_true(k8s_outcome_retryable(st.outcome));
	assert_string_equal(k8s_outcome_name(K8S_GONE), "gone");
}

static void test_retry_after(void **state)
{
	monotime d;
	assert_true(k8s_parse_retry_after(" 7\r\n", 0, &d));
	assert_int_equal(mono_to_s(d), 7);
	assert_true(k8s_parse_retry_after("0", 0, &d));
	assert_int_equal(mono_to_s(d), 0);
	assert_true(k8s_parse_retry_after("99999999999", 0, &d));
	assert_int_equal(mono_to_s(d), 3600);
	/* RFC 9110 example date; 784111777 is Sun, 06 Nov 1994 08:49:37 GMT */
	assert_true(k8s_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 30, &d));
	assert_int_equal(mono_to_s(d), 30);
	assert_true(k8s_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 30, &d));
	assert_int_equal(mono_to_s(d), 0);
	assert_false(k8s_parse_retry_after("soon", 0, &d));
	assert_false(k8s_parse_retry_after("-1", 0, &d));
	assert_false(k8s_parse_retry_after("", 0, &d));
	assert_false(k8s_parse_retry_after(NULL, 0, &d));
}

static json_t *obj(const char *ns, const char *name, const char *rv)
{
	json_t *o = json_pack("{s:{s:s, s:s}}", "metadata", "name", name, "resourceVersion", rv);
	if (ns)
		json_object_set_new(json_object_get(o, "metadata"), "namespace", json_string(ns));
	return o;
}

static void test_store(void **state)
{
	struct k8s_store *s = k8s_store_new();
	assert_null(k8s_store_put(s, obj("ns", "a", "1")));
	assert_null(k8s_store_put(s, obj(NULL, "node1", "2")));
	json_t *old = k8s_store_put(s, obj("ns", "a", "3"));
	assert_string_equal(k8s_meta(old, "resourceVersion"), "1");
	json_decref(old);
	assert_int_equal(k8s_store_count(s), 2);
	assert_string_equal(k8s_meta(k8s_store_get(s, "ns/a"), "resourceVersion"), "3");
	assert_non_null(k8s_store_get_nn(s, "ns", "a"));
	assert_non_null(k8s_store_get_nn(s, NULL, "node1"));
	assert_null(k8s_store_get(s, "ns/b"));
	/* an object without a name is not stored */
	assert_null(k8s_store_put(s, json_object()));
	assert_int_equal(k8s_store_count(s), 2);
	struct k8s_store *t = k8s_store_new();
	k8s_store_swap(s, t);
	assert_int_equal(k8s_store_count(s), 0);
	assert_int_equal(k8s_store_count(t), 2);
	old = k8s_store_remove(t, "node1");
	assert_non_null(old);
	json_decref(old);
	assert_null(k8s_store_remove(t, "node1"));
	k8s_store_clear(t);
	assert_int_equal(k8s_store_count(t), 0);
	k8s_store_free(s);
	k8s_store_free(t);
}

static void test_paths(void **state)
{
	char *p;
	p = k8s_path(&k8s_res_services, "ns", "web", "status");
	assert_string_equal(p, "/api/v1/namespaces/ns/services/web/status");
	free(p);
	p = k8s_path(&k8s_res_services, NULL, NULL, NULL);
	assert_string_equal(p, "/api/v1/services");
	free(p);
	p = k8s_path(&k8s_res_nodes, "ignored", "n1", NULL);
	assert_string_equal(p, "/api/v1/nodes/n1");
	free(p);
	p = k8s_path(&k8s_res_leases, "kube-system", "ingot", NULL);
	assert_string_equal(p, "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/ingot");
	free(p);
	assert_ptr_equal(k8s_resource_find("ipaddresspools"), &k8s_res_ipaddresspools);
	assert_null(k8s_resource_find("pods"));
	p = k8s_escape("app in (a, b)&x=1~");
	assert_string_equal(p, "app%20in%20%28a%2C%20b%29%26x%3D1~");
	free(p);
}

static void test_event_object(void **state)
{
	json_t *svc = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s}}", "kind", "Service", "apiVersion",
				"v1", "metadata", "name", "web", "namespace", "prod", "uid", "u-1",
				"resourceVersion", "7");
	json_t *ev = k8s_event_build(svc, "web.abc", "Warning", "AllocationFailed", "no IPs left",
				     "metallb-controller", "node1", "2026-11-25T15:00:00Z");
	assert_string_equal(k8s_meta(ev, "namespace"), "prod");
	assert_string_equal(k8s_meta(ev, "name"), "web.abc");
	json_t *io = json_object_get(ev, "involvedObject");
	assert_string_equal(json_string_value(json_object_get(io, "kind")), "Service");
	assert_string_equal(json_string_value(json_object_get(io, "uid")), "u-1");
	assert_string_equal(json_string_value(json_object_get(io, "namespace")), "prod");
	assert_string_equal(json_string_value(json_object_get(ev, "reason")), "AllocationFailed");
	assert_string_equal(json_string_value(json_object_get(ev, "type")), "Warning");
	assert_int_equal(json_integer_value(json_object_get(ev, "count")), 1);
	assert_string_equal(json_string_value(json_object_get(ev, "firstTimestamp")),
			    "2026-11-25T15:00:00Z");
	assert_string_equal(json_string_value(json_object_get(json_object_get(ev, "source"), "host")),
			    "node1");
	json_decref(ev);
	json_decref(svc);

	char t[32], mt[32];
	k8s_time_now(t);
	k8s_microtime_now(mt);
	assert_int_equal(strlen(t), 20);
	assert_int_equal(strlen(mt), 27);
	assert_int_equal(mt[19], '.');
	assert_int_equal(mt[26], 'Z');
}

static void test_lease_spec(void **state)
{
	struct k8s_lease_spec in = { .duration_s = 15, .transitions = 3 };
	strcpy(in.holder, "node-a");
	strcpy(in.acquire_time, "2026-11-25T10:00:00.000001Z");
	strcpy(in.renew_time, "2026-11-25T10:00:02.000001Z");
	json_t *lease = json_object();
	k8s_lease_spec_write(lease, &in);
	struct k8s_lease_spec out;
	k8s_lease_spec_read(lease, &out);
	assert_memory_equal(&in, &out, sizeof(in));
	/* released: holder "" becomes null and reads back as "" */
	in.holder[0] = '\0';
	k8s_lease_spec_write(lease, &in);
	assert_true(json_is_null(json_object_get(json_object_get(lease, "spec"), "holderIdentity")));
	k8s_lease_spec_read(lease, &out);
	assert_string_equal(out.holder, "");
	json_decref(lease);
}

static void test_service_ingress(void **state)
{
	json_t *svc = json_pack("{s:{s:s}}", "metadata", "name", "web");
	const char *ips[] = { "198.51.100.1", "2001:db8::1", NULL };
	assert_true(k8s_service_set_ingress(ips, svc));
	json_t *ing = json_object_get(json_object_get(json_object_get(svc, "status"), "loadBalancer"),
				      "ingress");
	assert_int_equal(json_array_size(ing), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(ing, 1), "ip")),
			    "2001:db8::1");
	assert_string_equal(json_string_value(json_object_get(json_array_get(ing, 0), "ipMode")),
			    "VIP");
	/* already so: nothing to write */
	assert_false(k8s_service_set_ingress(ips, svc));
	const char *none[] = { NULL };
	assert_true(k8s_service_set_ingress(none, svc));
	assert_null(json_object_get(json_object_get(json_object_get(svc, "status"), "loadBalancer"),
				    "ingress"));
	assert_false(k8s_service_set_ingress(none, svc));
	json_decref(svc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_doubles_with_jitter_and_caps),
		cmocka_unit_test(test_status_mapping),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_store),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_event_object),
		cmocka_unit_test(test_lease_spec),
		cmocka_unit_test(test_service_ingress),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
