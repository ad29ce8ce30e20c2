/*
 * Unit tests for the speaker daemon's snapshot (src/speaker/spkd_snapshot.c): API objects as JSON
 * -> struct spk_inputs. Services filtered by type, class and IPs; EndpointSlices tied to their
 * Service by label and namespace; endpoint conditions; Node labels, NetworkUnavailable and the
 * Ready condition as the live set (the Node-conditions fallback); ingot run's defaults (no slice:
 * served here; no Nodes: this node alone) and IPs given by a callback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "config/model.h"
#include "speaker/spkd.h"

static json_t *parse(const char *text)
{
	json_error_t err;
	json_t *v = json_loads(text, 0, &err);
	assert_non_null(v);
	return v;
}

static const char *SERVICES = "["
	"{\"metadata\":{\"namespace\":\"a\",\"name\":\"web\",\"labels\":{\"tier\":\"fe\"},"
	"  \"annotations\":{\"metallb.io/ip-allocated-from-pool\":\"p1\"}},"
	" \"spec\":{\"type\":\"LoadBalancer\",\"externalTrafficPolicy\":\"Local\"},"
	" \"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"192.0.2.10\"},{\"ip\":\"2001:db8::10\"}]}}},"
	"{\"metadata\":{\"namespace\":\"a\",\"name\":\"pending\"},"
	" \"spec\":{\"type\":\"LoadBalancer\"}},"
	"{\"metadata\":{\"namespace\":\"a\",\"name\":\"cip\"},\"spec\":{\"type\":\"ClusterIP\"},"
	" \"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"192.0.2.11\"}]}}},"
	"{\"metadata\":{\"namespace\":\"a\",\"name\":\"other\"},"
	" \"spec\":{\"type\":\"LoadBalancer\",\"loadBalancerClass\":\"x\"},"
	" \"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"192.0.2.12\"}]}}}"
	"]";

static const char *SLICES = "["
	"{\"metadata\":{\"namespace\":\"a\",\"name\":\"web-1\","
	"  \"labels\":{\"kubernetes.io/service-name\":\"web\"}},"
	" \"endpoints\":[{\"addresses\":[\"10.0.0.1\"],\"nodeName\":\"n1\",\"conditions\":{\"ready\":true}},"
	"  {\"addresses\":[\"10.0.0.2\",\"10.0.0.3\"],\"nodeName\":\"n2\","
	"   \"conditions\":{\"ready\":false,\"serving\":true}}]},"
	"{\"metadata\":{\"namespace\":\"b\",\"name\":\"web-x\","
	"  \"labels\":{\"kubernetes.io/service-name\":\"web\"}},"
	" \"endpoints\":[{\"addresses\":[\"10.9.0.1\"],\"nodeName\":\"n3\"}]}"
	"]";

static const char *NODES = "["
	"{\"metadata\":{\"name\":\"n1\",\"labels\":{\"zone\":\"z1\"}},"
	" \"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}},"
	"{\"metadata\":{\"name\":\"n2\"},"
	" \"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"},"
	"   {\"type\":\"NetworkUnavailable\",\"status\":\"True\"}]}},"
	"{\"metadata\":{\"name\":\"n3\"}}"
	"]";

static void test_from_api_objects(void **state)
{
	json_t *svcs = parse(SERVICES), *slices = parse(SLICES), *nodes = parse(NODES);
	struct cfg_model model = { 0 };
	struct spkd_source src = { .config = &model, .node_name = "n1", .services = svcs,
				   .slices = slices, .nodes = nodes };
	struct spkd_snapshot s;
	spkd_snapshot_build(&s, &src);
	json_decref(svcs);   /* the snapshot keeps what it borrows */
	json_decref(slices);
	json_decref(nodes);

	assert_int_equal(s.in.nservices, 1);
	const struct spk_service *web = &s.in.services[0];
	assert_string_equal(web->namespace, "a");
	assert_string_equal(web->name, "web");
	assert_int_equal(web->nips, 2);
	assert_int_equal(web->traffic_policy, SPK_ETP_LOCAL);
	assert_string_equal(web->pool, "p1");
	assert_string_equal(labels_get(&web->labels, "tier"), "fe");
	assert_int_equal(web->nslices, 1);   /* the slice of namespace b is not web's */
	assert_int_equal(web->slices[0].nendpoints, 2);
	assert_string_equal(web->slices[0].endpoints[1].node, "n2");
	assert_int_equal(web->slices[0].endpoints[1].naddresses, 2);
	assert_int_equal(web->slices[0].endpoints[1].ready, SPK_COND_FALSE);
	assert_int_equal(web->slices[0].endpoints[1].serving, SPK_COND_TRUE);
	assert_true(spk_service_serving(web, "n2"));

	assert_int_equal(s.in.nnodes, 3);
	assert_string_equal(labels_get(&s.in.nodes[0].labels, "zone"), "z1");
	assert_true(s.in.nodes[1].network_unavailable);
	assert_false(s.in.all_live);
	/* Ready=False is not live; no Ready condition (a Node made by hand) is. */
	assert_int_equal(s.in.nlive, 2);
	assert_string_equal(s.in.live[0], "n1");
	assert_string_equal(s.in.live[1], "n3");
	spkd_snapshot_free(&s);
}

static void test_lb_class(void **state)
{
	json_t *svcs = parse(SERVICES), *empty = json_array();
	struct cfg_model model = { 0 };
	struct spkd_source src = { .config = &model, .node_name = "n1", .lb_class = "x",
				   .services = svcs, .slices = empty, .nodes = empty };
	struct spkd_snapshot s;
	spkd_snapshot_build(&s, &src);
	assert_int_equal(s.in.nservices, 1);
	assert_string_equal(s.in.services[0].name, "other");
	spkd_snapshot_free(&s);
	json_decref(svcs);
	json_decref(empty);
}

static size_t fixed_ips(void *arg, const json_t *svc, ip_addr out[2], const char **pool)
{
	const char *name = json_string_value(json_object_get(json_object_get(svc, "metadata"), "name"));
	if (strcmp(name, "pending") != 0)
		return 0;
	assert_true(ip_addr_parse("198.51.100.1", &out[0]));
	*pool = "from-files";
	return 1;
}

static void test_run_defaults(void **state)
{
	json_t *svcs = parse(SERVICES), *empty = json_array();
	struct cfg_model model = { 0 };
	struct spkd_source src = { .config = &model, .node_name = "me", .services = svcs,
				   .slices = empty, .nodes = empty, .self_only = true,
				   .no_slice_is_local = true, .ips = fixed_ips };
	struct spkd_snapshot s;
	spkd_snapshot_build(&s, &src);
	assert_int_equal(s.in.nservices, 1);
	const struct spk_service *p = &s.in.services[0];
	assert_string_equal(p->name, "pending");
	assert_string_equal(p->pool, "from-files");
	assert_int_equal(p->nslices, 1);
	assert_true(spk_service_serving(p, "me"));
	assert_false(spk_service_serving(p, "someone-else"));
	assert_int_equal(s.in.nnodes, 1);
	assert_string_equal(s.in.nodes[0].name, "me");
	assert_int_equal(s.in.nlive, 1);
	spkd_snapshot_free(&s);
	json_decref(svcs);
	json_decref(empty);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_api_objects),
		cmocka_unit_test(test_lb_class),
		cmocka_unit_test(test_run_defaults),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
