/*
 * Endpoint readiness: which endpoints can serve (ready unset/true/false × serving
 * unset/true/false), the "not serving wins" rule for an address listed in several slices, and
 * where a Service is served (a node, anywhere, endpoints without a node or an address).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "spk_fixture.h"

static void test_can_serve_table(void **state)
{
	(void)state;
	static const struct {
		enum spk_cond ready, serving;
		bool can;
	} cases[] = {
		{ SPK_COND_UNSET, SPK_COND_UNSET, true },
		{ SPK_COND_UNSET, SPK_COND_TRUE, true },
		{ SPK_COND_UNSET, SPK_COND_FALSE, true },
		{ SPK_COND_TRUE, SPK_COND_UNSET, true },
		{ SPK_COND_TRUE, SPK_COND_TRUE, true },
		{ SPK_COND_TRUE, SPK_COND_FALSE, true },
		{ SPK_COND_FALSE, SPK_COND_UNSET, false },
		{ SPK_COND_FALSE, SPK_COND_TRUE, true },   /* terminating but still serving */
		{ SPK_COND_FALSE, SPK_COND_FALSE, false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct spk_endpoint ep = { .ready = cases[i].ready, .serving = cases[i].serving };
		assert_int_equal(spk_endpoint_can_serve(&ep), cases[i].can);

		/* the same through a Service: anywhere and on its node, never elsewhere */
		struct fx *f = fx_new();
		struct spk_service *svc = fx_svc(f, "ns", "s", SPK_ETP_CLUSTER, "10.0.0.1", NULL);
		fx_ep(f, svc, 0, "n1", cases[i].ready, cases[i].serving, "10.244.0.1");
		assert_int_equal(spk_service_serving(svc, NULL), cases[i].can);
		assert_int_equal(spk_service_serving(svc, "n1"), cases[i].can);
		assert_false(spk_service_serving(svc, "n2"));
		fx_free(f);
	}
}

static void test_no_endpoints(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	struct spk_service *svc = fx_svc(f, "ns", "s", SPK_ETP_CLUSTER, "10.0.0.1", NULL);
	assert_false(spk_service_serving(svc, NULL));
	assert_false(spk_service_serving(svc, "n1"));
	svc->nslices = 2;  /* empty slices */
	assert_false(spk_service_serving(svc, NULL));
	fx_free(f);
}

/* One address in two slices: one occurrence that cannot serve makes the address not serve. */
static void test_address_in_two_slices(void **state)
{
	(void)state;
	static const struct {
		enum spk_cond r0, r1;
		bool serving;
	} cases[] = {
		{ SPK_COND_TRUE, SPK_COND_TRUE, true },
		{ SPK_COND_TRUE, SPK_COND_FALSE, false },
		{ SPK_COND_FALSE, SPK_COND_TRUE, false },
		{ SPK_COND_UNSET, SPK_COND_TRUE, true },
		{ SPK_COND_FALSE, SPK_COND_FALSE, false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx *f = fx_new();
		struct spk_service *svc = fx_svc(f, "ns", "s", SPK_ETP_LOCAL, "10.0.0.1", NULL);
		fx_ep(f, svc, 0, "n1", cases[i].r0, SPK_COND_UNSET, "10.244.0.1");
		fx_ep(f, svc, 1, "n1", cases[i].r1, SPK_COND_UNSET, "10.244.0.1");
		assert_int_equal(spk_service_serving(svc, "n1"), cases[i].serving);
		assert_int_equal(spk_service_serving(svc, NULL), cases[i].serving);
		/* another ready address on the node serves whatever the first does */
		fx_ep(f, svc, 1, "n1", SPK_COND_TRUE, SPK_COND_UNSET, "10.244.0.2");
		assert_true(spk_service_serving(svc, "n1"));
		fx_free(f);
	}
}

static void test_nodes(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	struct spk_service *svc = fx_svc(f, "ns", "s", SPK_ETP_LOCAL, "10.0.0.1", NULL);
	fx_ep(f, svc, 0, "n1", SPK_COND_FALSE, SPK_COND_FALSE, "a1");
	fx_ep(f, svc, 0, "n2", SPK_COND_TRUE, SPK_COND_UNSET, "a2");
	fx_ep(f, svc, 1, "n3", SPK_COND_FALSE, SPK_COND_TRUE, "a3");
	fx_ep(f, svc, 1, NULL, SPK_COND_TRUE, SPK_COND_UNSET, "a4");   /* no nodeName */
	assert_false(spk_service_serving(svc, "n1"));
	assert_true(spk_service_serving(svc, "n2"));
	assert_true(spk_service_serving(svc, "n3"));
	assert_false(spk_service_serving(svc, "n4"));
	assert_true(spk_service_serving(svc, NULL));
	fx_free(f);

	/* only an endpoint without a node: served somewhere, on no node */
	f = fx_new();
	svc = fx_svc(f, "ns", "s", SPK_ETP_LOCAL, "10.0.0.1", NULL);
	fx_ep(f, svc, 0, NULL, SPK_COND_UNSET, SPK_COND_UNSET, "a1");
	assert_true(spk_service_serving(svc, NULL));
	assert_false(spk_service_serving(svc, "n1"));
	fx_free(f);

	/* endpoints without addresses stand for themselves */
	f = fx_new();
	svc = fx_svc(f, "ns", "s", SPK_ETP_LOCAL, "10.0.0.1", NULL);
	fx_ep(f, svc, 0, "n1", SPK_COND_FALSE, SPK_COND_UNSET, NULL);
	fx_ep(f, svc, 0, "n1", SPK_COND_TRUE, SPK_COND_UNSET, NULL);
	assert_true(spk_service_serving(svc, "n1"));
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_can_serve_table),
		cmocka_unit_test(test_no_endpoints),
		cmocka_unit_test(test_address_in_two_slices),
		cmocka_unit_test(test_nodes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
