/* Unit tests for the one label selector function (config/model.h: selector_matches). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "config/model.h"

static void add_expr(struct cfg_selector *sel, const char *key, enum cfg_sel_op op,
		     const char *v1, const char *v2)
{
	struct cfg_sel_expr *e = selector_add_expr(sel);
	e->key = strdup(key);
	e->op = op;
	if (v1)
		strings_push(&e->values, v1);
	if (v2)
		strings_push(&e->values, v2);
}

static void test_empty_selector_matches_all(void **state)
{
	struct cfg_selector sel = { 0 };
	struct cfg_labels none = { 0 }, some = { 0 };
	labels_set(&some, "a", "b");
	assert_true(selector_matches(&sel, &none));
	assert_true(selector_matches(&sel, &some));
	labels_free(&some);
}

static void test_match_labels(void **state)
{
	struct cfg_selector sel = { 0 };
	labels_set(&sel.match_labels, "rack", "frontend");
	labels_set(&sel.match_labels, "zone", "a");
	struct cfg_labels l = { 0 };
	labels_set(&l, "zone", "a");
	assert_false(selector_matches(&sel, &l));
	labels_set(&l, "rack", "backend");
	assert_false(selector_matches(&sel, &l));
	labels_set(&l, "rack", "frontend");     /* replaces the value */
	assert_int_equal(l.n, 2);
	assert_true(selector_matches(&sel, &l));
	labels_set(&l, "extra", "x");
	assert_true(selector_matches(&sel, &l));
	labels_free(&l);
	selector_free(&sel);
}

static void test_operators(void **state)
{
	struct cfg_labels fast = { 0 }, slow = { 0 }, none = { 0 };
	labels_set(&fast, "speed", "fast");
	labels_set(&slow, "speed", "slow");

	struct cfg_selector in = { 0 };
	add_expr(&in, "speed", CFG_SEL_IN, "fast", "medium");
	assert_true(selector_matches(&in, &fast));
	assert_false(selector_matches(&in, &slow));
	assert_false(selector_matches(&in, &none));

	struct cfg_selector notin = { 0 };
	add_expr(&notin, "speed", CFG_SEL_NOT_IN, "slow", NULL);
	assert_true(selector_matches(&notin, &fast));
	assert_false(selector_matches(&notin, &slow));
	assert_true(selector_matches(&notin, &none));   /* absent key satisfies NotIn */

	struct cfg_selector exists = { 0 };
	add_expr(&exists, "speed", CFG_SEL_EXISTS, NULL, NULL);
	assert_true(selector_matches(&exists, &slow));
	assert_false(selector_matches(&exists, &none));

	struct cfg_selector dne = { 0 };
	add_expr(&dne, "speed", CFG_SEL_DOES_NOT_EXIST, NULL, NULL);
	assert_false(selector_matches(&dne, &slow));
	assert_true(selector_matches(&dne, &none));

	/* Labels and expressions are ANDed. */
	struct cfg_selector both = { 0 };
	labels_set(&both.match_labels, "speed", "fast");
	add_expr(&both, "rack", CFG_SEL_EXISTS, NULL, NULL);
	assert_false(selector_matches(&both, &fast));
	labels_set(&fast, "rack", "r1");
	assert_true(selector_matches(&both, &fast));

	selector_free(&in);
	selector_free(&notin);
	selector_free(&exists);
	selector_free(&dne);
	selector_free(&both);
	labels_free(&fast);
	labels_free(&slow);
}

static void test_selector_lists_are_ored(void **state)
{
	struct cfg_selectors sels = { 0 };
	struct cfg_labels a = { 0 }, b = { 0 }, c = { 0 };
	labels_set(&a, "host", "a");
	labels_set(&b, "host", "b");
	labels_set(&c, "host", "c");
	assert_true(selectors_match(&sels, &a, true));
	assert_false(selectors_match(&sels, &a, false));
	labels_set(&selectors_add(&sels)->match_labels, "host", "a");
	labels_set(&selectors_add(&sels)->match_labels, "host", "b");
	assert_true(selectors_match(&sels, &a, false));
	assert_true(selectors_match(&sels, &b, false));
	assert_false(selectors_match(&sels, &c, true));
	selectors_free(&sels);
	labels_free(&a);
	labels_free(&b);
	labels_free(&c);
}

static void test_operator_names(void **state)
{
	enum cfg_sel_op op;
	assert_true(selector_op_parse("DoesNotExist", &op));
	assert_int_equal(op, CFG_SEL_DOES_NOT_EXIST);
	assert_string_equal(selector_op_name(CFG_SEL_NOT_IN), "NotIn");
	assert_false(selector_op_parse("in", &op));     /* Kubernetes spelling only */
	assert_false(selector_op_parse("Gt", &op));
}

static void test_selector_equal_ignores_value_order(void **state)
{
	struct cfg_selector a = { 0 }, b = { 0 };
	add_expr(&a, "k", CFG_SEL_IN, "x", "y");
	add_expr(&b, "k", CFG_SEL_IN, "y", "x");
	assert_true(selector_equal(&a, &b));
	add_expr(&b, "j", CFG_SEL_EXISTS, NULL, NULL);
	assert_false(selector_equal(&a, &b));
	selector_free(&a);
	selector_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_selector_matches_all),
		cmocka_unit_test(test_match_labels),
		cmocka_unit_test(test_operators),
		cmocka_unit_test(test_selector_lists_are_ored),
		cmocka_unit_test(test_operator_names),
		cmocka_unit_test(test_selector_equal_ignores_value_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
