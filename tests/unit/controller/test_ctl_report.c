/* Unit tests for what the controller reports (controller/ctl_report.h) and the memberlist Secret it
 * creates (controller/ml_secret.h), from plain structs: counting allocator decisions (conflicts
 * among failures), pool sizes and use with and without an allocator, the metrics text (MetalLB's
 * names untyped, promtool clean when installed), each health verdict, the status sections. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <event2/buffer.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "controller/ctl_report.h"
#include "controller/ml_secret.h"
#include "core/base64.h"
#include "ops/metrics.h"
#include "../ops/ops_test_util.h"

static const char POOLS[] =
	"apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n  name: blue\n"
	"  namespace: metallb-system\nspec:\n  addresses: [10.0.0.0/30, 'fd00::/126']\n"
	"---\napiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n  name: red\n"
	"  namespace: metallb-system\nspec:\n  addresses: [10.1.0.0/29]\n  autoAssign: false\n";

static struct cfg_model *model(void)
{
	struct cfg_input in = { "pools.yaml", POOLS, sizeof(POOLS) - 1 };
	struct cfg_diags d = { 0 };
	struct cfg_model *m = config_load(&in, 1, &d);
	cfg_diags_free(&d);
	assert_non_null(m);
	return m;
}

static void sync_service(struct alloc *a, const char *name)
{
	static const struct svc_port port = { 80, SVC_PROTO_TCP };
	struct alloc_service s = { .namespace = "default", .name = name,
				   .type = SVC_TYPE_LOAD_BALANCER, .families = { IP_V4 },
				   .nfamilies = 1, .ports = &port, .nports = 1 };
	struct alloc_result res;
	alloc_sync(a, &s, &res);
	assert_int_equal(res.outcome, ALLOC_ASSIGNED);
	alloc_result_free(&res);
}

static void test_count_results(void **state)
{
	struct ctl_counters c = { 0 };
	struct alloc_result ok = { .outcome = ALLOC_ASSIGNED, .nevents = 1,
				   .events = { { false, "IPAllocated", "Assigned IP [\"10.0.0.1\"]" } } };
	struct alloc_result port = { .outcome = ALLOC_FAILED, .nevents = 1,
		.events = { { true, "AllocationFailed", "Failed to allocate IP for \"d/c\": port "
			      "TCP/80 is already in use on \"10.0.0.1\"" } } };
	struct alloc_result key = { .outcome = ALLOC_FAILED, .nevents = 1,
		.events = { { true, "AllocationFailed", "Failed to allocate IP for \"d/c\": can't "
			      "change sharing key for \"d/c\", address also in use by d/a" } } };
	struct alloc_result full = { .outcome = ALLOC_FAILED, .nevents = 1,
		.events = { { true, "AllocationFailed", "Failed to allocate IP for \"d/c\": no "
			      "available IPs" } } };
	struct alloc_result same = { .outcome = ALLOC_ASSIGNED };
	ctl_count_result(&c, &ok);
	ctl_count_result(&c, &port);
	ctl_count_result(&c, &key);
	ctl_count_result(&c, &full);
	ctl_count_result(&c, &same);
	assert_int_equal(c.syncs, 5);
	assert_int_equal(c.allocations, 1);
	assert_int_equal(c.allocation_failures, 3);
	assert_int_equal(c.conflicts, 2);
}

static void test_pools_with_and_without_allocator(void **state)
{
	struct cfg_model *m = model();
	struct ctl_pools p;
	ctl_pools_from(&p, m, NULL);            /* a standby: sizes only */
	assert_int_equal(p.n, 2);
	assert_string_equal(p.v[0].name, "blue");
	assert_int_equal(p.v[0].size, 8);       /* 4 IPv4 + 4 IPv6 */
	assert_false(p.v[0].in_use_known);
	assert_string_equal(p.v[1].name, "red");
	assert_int_equal(p.v[1].size, 8);
	ctl_pools_free(&p);

	struct alloc *a = alloc_new();
	alloc_set_pools(a, m, NULL);
	sync_service(a, "x");
	sync_service(a, "y");
	ctl_pools_from(&p, m, a);
	assert_int_equal(p.n, 2);
	assert_true(p.v[0].in_use_known);
	assert_int_equal(p.v[0].in_use, 2);
	assert_int_equal(p.v[0].size, 8);
	assert_int_equal(p.v[1].in_use, 0);
	ctl_pools_free(&p);
	ctl_pools_from(&p, NULL, NULL);
	assert_int_equal(p.n, 0);
	alloc_free(a);
	model_free(m);
}

static struct ctl_state a_state(void)
{
	struct ctl_state st = {
		.identity = "ctl-1", .leader_elect = true, .leading = true, .leader_known = true,
		.leader = "ctl-1", .services_synced = true, .namespaces_synced = true,
		.config_synced = true, .api_reachable = true, .assigning = true,
		.config_source = "crds", .config_loaded = true, .config_last_reload = 1700000000.5,
		.services = 3, .queue = 0,
		.counters = { .syncs = 7, .allocations = 2, .allocation_failures = 1, .conflicts = 1,
			      .status_writes_ok = 2, .status_writes_failed = 0, .config_loads = 1 },
	};
	return st;
}

static char *render(struct metrics *m)
{
	struct evbuffer *b = evbuffer_new();
	metrics_write(m, b);
	char *s = evbuffer_to_string(b);
	evbuffer_free(b);
	return s;
}

static void test_metrics_text(void **state)
{
	struct cfg_model *mo = model();
	struct alloc *a = alloc_new();
	alloc_set_pools(a, mo, NULL);
	sync_service(a, "x");
	struct ctl_pools p;
	ctl_pools_from(&p, mo, a);
	struct metrics *m = metrics_new();
	struct ctl_metrics *cm = ctl_metrics_new(m);
	struct ctl_state st = a_state();
	ctl_metrics_update(cm, &st, &p);
	char *text = render(m);
	static const char *const want[] = {
		("# TYPE metallb_allocator_addresses_in_use_total untyped\n"
		"metallb_allocator_addresses_in_use_total{pool=\"blue\"} 1\n"
		"metallb_allocator_addresses_in_use_total{pool=\"red\"} 0\n"),
		("# TYPE metallb_allocator_addresses_total untyped\n"
		"metallb_allocator_addresses_total{pool=\"blue\"} 8\n"
		"metallb_allocator_addresses_total{pool=\"red\"} 8\n"),
		"# TYPE metallb_k8s_client_config_loaded_bool gauge\nmetallb_k8s_client_config_loaded_bool 1\n",
		"metallb_k8s_client_config_stale_bool 0\n",
		"# TYPE ingot_controller_allocations_total counter\ningot_controller_allocations_total 2\n",
		"ingot_controller_allocation_conflicts_total 1\n",
		("ingot_controller_status_writes_total{result=\"failure\"} 0\n"
		"ingot_controller_status_writes_total{result=\"success\"} 2\n"),
		"ingot_controller_config_last_reload_success_timestamp_seconds 1700000000.5\n",
		"ingot_controller_informer_synced{informer=\"config\"} 1\n",
		"ingot_controller_leader 1\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (!strstr(text, want[i]))
			fail_msg("missing:\n%s\n--- in ---\n%s", want[i], text);
	}
	const char *promtool = find_promtool();
	if (promtool) {
		char report[4096];
		int rc = promtool_check(promtool, text, report, sizeof(report));
		if (rc != 0 || report[0])
			fail_msg("promtool exit %d:\n%s\n--- input ---\n%s", rc, report, text);
	}
	free(text);

	/* a standby: the pool series go away, the rest stays */
	ctl_pools_free(&p);
	ctl_pools_from(&p, mo, NULL);
	st.leading = false;
	st.assigning = false;
	ctl_metrics_update(cm, &st, &p);
	text = render(m);
	assert_null(strstr(text, "metallb_allocator_addresses"));
	assert_non_null(strstr(text, "ingot_controller_leader 0\n"));
	free(text);
	ctl_pools_free(&p);
	ctl_metrics_free(cm);
	metrics_free(m);
	alloc_free(a);
	model_free(mo);
}

static void test_health_verdicts(void **state)
{
	char why[256];
	monotime t0 = mono_from_s(1000);
	assert_true(ctl_check_heartbeat(t0, mono_from_s(1009), why, sizeof(why)));
	assert_false(ctl_check_heartbeat(t0, mono_from_s(1010), why, sizeof(why)));
	assert_string_equal(why, "the loop's 1 s heartbeat last ran 10s ago");

	struct ctl_state st = a_state();
	assert_true(ctl_check_queue(&st, mono_from_s(5000), why, sizeof(why)));  /* empty */
	st.queue = 4;
	st.last_progress = t0;
	assert_true(ctl_check_queue(&st, mono_from_s(1059), why, sizeof(why)));
	assert_false(ctl_check_queue(&st, mono_from_s(1060), why, sizeof(why)));
	assert_string_equal(why, "4 Services queued, none synced for 60s");

	st = a_state();
	assert_true(ctl_check_synced(&st, why, sizeof(why)));
	st.namespaces_synced = false;
	st.config_synced = false;
	assert_false(ctl_check_synced(&st, why, sizeof(why)));
	assert_string_equal(why, "waiting for the first list of: namespaces config");

	st = a_state();
	assert_true(ctl_check_config(&st, why, sizeof(why)));
	st.config_stale = true;
	st.config_error = "IPAddressPool/blue spec.addresses: bad CIDR";
	assert_false(ctl_check_config(&st, why, sizeof(why)));
	assert_string_equal(why, "latest configuration refused (IPAddressPool/blue spec.addresses: "
			    "bad CIDR), the previous one stays in force");
	st.config_loaded = false;
	assert_false(ctl_check_config(&st, why, sizeof(why)));
	assert_string_equal(why, "latest configuration refused (IPAddressPool/blue spec.addresses: "
			    "bad CIDR)");
	st.config_stale = false;
	assert_false(ctl_check_config(&st, why, sizeof(why)));
	assert_string_equal(why, "no configuration loaded yet");
	st.config_absent = true;   /* listed, none exists: an empty configuration, ready */
	assert_true(ctl_check_config(&st, why, sizeof(why)));

	st = a_state();
	st.leader_known = false;
	assert_false(ctl_check_leader(&st, why, sizeof(why)));
	st.leader_known = true;
	st.leading = false;
	assert_true(ctl_check_leader(&st, why, sizeof(why)));     /* a standby is ready */
}

static void assert_json(json_t *got, const char *want_text)
{
	json_error_t err;
	json_t *want = json_loads(want_text, 0, &err);
	if (!want)
		fail_msg("bad expected JSON: %s", err.text);
	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_SORT_KEYS);
		fail_msg("got %s\nwant %s", g, want_text);
	}
	json_decref(want);
	json_decref(got);
}

static void test_status_sections(void **state)
{
	struct ctl_state st = a_state();
	assert_json(ctl_status_controller(&st),
		    "{\"identity\":\"ctl-1\",\"role\":\"leader\",\"leader\":\"ctl-1\","
		    "\"leader_election\":true,\"assigning\":true,\"api_server_reachable\":true,"
		    "\"informers_synced\":true,\"services\":3,\"queue\":0,\"allocations\":2,"
		    "\"allocation_failures\":1,\"allocation_conflicts\":1,\"status_writes_ok\":2,"
		    "\"status_writes_failed\":0}");
	st.leading = false;
	st.leader = "ctl-2";
	json_t *c = ctl_status_controller(&st);
	assert_string_equal(json_string_value(json_object_get(c, "role")), "standby");
	json_decref(c);
	st.leader_known = false;
	st.leader = NULL;
	c = ctl_status_controller(&st);
	assert_string_equal(json_string_value(json_object_get(c, "role")), "unknown");
	assert_true(json_is_null(json_object_get(c, "leader")));
	json_decref(c);

	st = a_state();
	assert_json(ctl_status_config(&st, 1700000060.0),
		    "{\"source\":\"crds\",\"valid\":true,\"loaded\":true,\"stale\":false,"
		    "\"error\":null,\"last_reload_age_s\":59,\"reloads\":1,\"refused\":0}");
	st.config_stale = true;
	st.config_error = "ConfigMap/config: bad";
	st.counters.config_refusals = 1;
	assert_json(ctl_status_config(&st, 1700000060.0),
		    "{\"source\":\"crds\",\"valid\":false,\"loaded\":true,\"stale\":true,"
		    "\"error\":\"ConfigMap/config: bad\",\"last_reload_age_s\":59,\"reloads\":1,"
		    "\"refused\":1}");

	struct ctl_pool_usage u[2] = { { "blue", 8, 1, true }, { "red", 8, 0, false } };
	struct ctl_pools p = { u, 2 };
	assert_json(ctl_status_pools(&p),
		    "{\"pools\":[{\"pool\":\"blue\",\"size\":8,\"in_use\":1},"
		    "{\"pool\":\"red\",\"size\":8,\"in_use\":null}]}");
}

static void test_ml_secret_object(void **state)
{
	const uint8_t key[ML_SECRET_BYTES] = { 0xfb, 0xff, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
					       12, 13 };
	json_t *s = ml_secret_object("metallb-system", "memberlist", key);
	assert_string_equal(json_string_value(json_object_get(s, "kind")), "Secret");
	assert_string_equal(json_string_value(json_object_get(s, "apiVersion")), "v1");
	assert_string_equal(json_string_value(json_object_get(s, "type")), "Opaque");
	const json_t *meta = json_object_get(s, "metadata");
	assert_string_equal(json_string_value(json_object_get(meta, "name")), "memberlist");
	assert_string_equal(json_string_value(json_object_get(meta, "namespace")), "metallb-system");
	const json_t *data = json_object_get(s, "data");
	assert_int_equal(json_object_size(data), 1);
	const char *d = json_string_value(json_object_get(data, ML_SECRET_KEY));
	uint8_t *value = NULL, *raw = NULL;
	size_t vlen = 0, rlen = 0;
	/* the API's data is padded base64 of the value ... */
	assert_true(base64_decode(d, strlen(d), BASE64_STRICT, &value, &vlen));
	/* ... and the value is MetalLB's RawStdEncoding (no padding) of the 16 bytes */
	assert_int_equal(vlen, 22);
	assert_string_equal((char *)value, "+/8AAQIDBAUGBwgJCgsMDQ");
	assert_true(base64_decode((char *)value, vlen, BASE64_LENIENT, &raw, &rlen));
	assert_int_equal(rlen, ML_SECRET_BYTES);
	assert_memory_equal(raw, key, ML_SECRET_BYTES);
	free(value);
	free(raw);
	json_decref(s);
	assert_string_equal(ml_secret_state_name(ML_SECRET_CREATED), "created");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count_results),
		cmocka_unit_test(test_pools_with_and_without_allocator),
		cmocka_unit_test(test_metrics_text),
		cmocka_unit_test(test_health_verdicts),
		cmocka_unit_test(test_status_sections),
		cmocka_unit_test(test_ml_secret_object),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
