/* Unit tests for durations, communities, base64 (config/values.h) and YAML → JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "config/values.h"
#include "core/yaml_json.h"
#include "core/xalloc.h"

static void test_durations(void **state)
{
	static const struct {
		const char *text;
		int64_t ms;
	} ok[] = {
		{ "90s", 90000 }, { "1m30s", 90000 }, { "3m", 180000 }, { "1.5h", 5400000 },
		{ "300ms", 300 }, { "0", 0 }, { "0s", 0 }, { "+10s", 10000 }, { "1h1m1s", 3661000 },
		{ "1500us", 1 }, { ".5s", 500 },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int64_t ms = -1;
		assert_true(cfg_duration_parse_ms(ok[i].text, &ms));
		assert_int_equal(ms, ok[i].ms);
	}
	static const char *const bad[] = { "", "90", "-1s", "1x", "s", "1.2.3s", "90 s",
					   "9999999999999h" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t ms = 0;
		assert_false(cfg_duration_parse_ms(bad[i], &ms));
	}
	char buf[32];
	cfg_duration_format_ms(90000, buf, sizeof(buf));
	assert_string_equal(buf, "90s");
	cfg_duration_format_ms(1500, buf, sizeof(buf));
	assert_string_equal(buf, "1500ms");
}

static void test_communities(void **state)
{
	struct cfg_community c;
	assert_int_equal(cfg_community_parse("65535:65282", &c), COMMUNITY_OK);
	assert_false(c.large);
	assert_int_equal(c.a, 65535);
	assert_int_equal(c.b, 65282);
	assert_int_equal(cfg_community_parse("large:4294967295:0:1", &c), COMMUNITY_OK);
	assert_true(c.large);
	assert_int_equal(c.a, 4294967295u);
	assert_int_equal(cfg_community_parse("65536:1", &c), COMMUNITY_BAD_VALUE);
	assert_int_equal(cfg_community_parse("1:-1", &c), COMMUNITY_BAD_VALUE);
	assert_int_equal(cfg_community_parse("1:", &c), COMMUNITY_BAD_VALUE);
	assert_int_equal(cfg_community_parse("no-advertise", &c), COMMUNITY_BAD_FORMAT);
	assert_int_equal(cfg_community_parse("1:2:3", &c), COMMUNITY_BAD_FORMAT);
	assert_int_equal(cfg_community_parse("large:1:2", &c), COMMUNITY_BAD_FORMAT);
	char buf[40];
	struct cfg_community large = { .large = true, .a = 1, .b = 2, .c = 3 };
	cfg_community_format(&large, buf, sizeof(buf));
	assert_string_equal(buf, "large:1:2:3");
}

static void test_base64(void **state)
{
	char *s = cfg_base64_decode("dmVyeXNlY3JldA==");
	assert_string_equal(s, "verysecret");
	free(s);
	assert_null(cfg_base64_decode("dmVy$XNl"));
	assert_null(cfg_base64_decode("abc"));
	assert_null(cfg_base64_decode("AA=="));      /* decodes to a NUL byte */
	char *e = cfg_base64_encode("ab", 2);
	assert_string_equal(e, "YWI=");
	free(e);
}

static void test_kubernetes_names(void **state)
{
	assert_true(cfg_object_name_ok("my-ip-space"));
	assert_true(cfg_object_name_ok("a.b-c.d"));
	assert_false(cfg_object_name_ok("My_Pool"));
	assert_false(cfg_object_name_ok("-a"));
	assert_false(cfg_object_name_ok("a."));
	assert_false(cfg_object_name_ok(""));
	assert_true(cfg_label_key_ok("kubernetes.io/hostname"));
	assert_true(cfg_label_key_ok("Rack_1.a"));
	assert_false(cfg_label_key_ok("a/b/c"));
	assert_false(cfg_label_key_ok("Example.com/x"));
	assert_false(cfg_label_key_ok("bad key"));
	assert_false(cfg_label_key_ok("/x"));
	char long_name[70];
	memset(long_name, 'a', 64);
	long_name[64] = '\0';
	assert_false(cfg_label_key_ok(long_name));
	assert_true(cfg_label_value_ok(""));
	assert_true(cfg_label_value_ok("NodeA"));
	assert_false(cfg_label_value_ok("-node"));
	assert_false(cfg_label_value_ok(long_name));
}

static json_t *one_doc(const char *text)
{
	struct yj_docs docs = { 0 };
	char *err = NULL;
	unsigned line = 0;
	assert_true(yj_parse(text, strlen(text), 0, NULL, &docs, &err, &line));
	assert_int_equal(docs.n, 1);
	json_t *root = json_incref(docs.v[0]);
	yj_docs_free(&docs);
	return root;
}

static void test_scalar_resolution(void **state)
{
	json_t *r = one_doc("a: 1\nb: '1'\nc: true\nd: yes\ne: ~\nf: 1.5\ng: 65535:65282\n"
			    "h: 0x10\ni: \"on\"\nj: 10.0.0.1\nk: !!str 12\nl: 99999999999999999999\n");
	assert_true(json_is_integer(json_object_get(r, "a")));
	assert_true(json_is_string(json_object_get(r, "b")));
	assert_true(json_is_true(json_object_get(r, "c")));
	assert_true(json_is_true(json_object_get(r, "d")));
	assert_true(json_is_null(json_object_get(r, "e")));
	assert_true(json_is_real(json_object_get(r, "f")));
	assert_string_equal(json_string_value(json_object_get(r, "g")), "65535:65282");
	assert_int_equal(json_integer_value(json_object_get(r, "h")), 16);
	assert_string_equal(json_string_value(json_object_get(r, "i")), "on");
	assert_true(json_is_string(json_object_get(r, "j")));
	assert_string_equal(json_string_value(json_object_get(r, "k")), "12");
	assert_true(json_is_real(json_object_get(r, "l")));
	json_decref(r);
	assert_false(yj_plain_is_string("true"));
	assert_false(yj_plain_is_string("123"));
	assert_false(yj_plain_is_string(""));
	assert_true(yj_plain_is_string("10.0.0.1"));
	assert_true(yj_plain_is_string("64500:1"));
}

static void test_documents_and_lines(void **state)
{
	const char *text = "---\na: 1\n---\n---\nb:\n  c: [x, z]\n";
	struct yj_lines *lines = yj_lines_new();
	struct yj_docs docs = { 0 };
	char *err = NULL;
	unsigned line = 0;
	assert_true(yj_parse(text, strlen(text), 0, lines, &docs, &err, &line));
	assert_int_equal(docs.n, 3);
	assert_true(json_is_null(docs.v[1]));
	json_t *c = json_object_get(json_object_get(docs.v[2], "b"), "c");
	assert_int_equal(yj_line(lines, c), 6);
	/* A block mapping's line is its key's, not the first line of its contents. */
	assert_int_equal(yj_line(lines, json_object_get(docs.v[2], "b")), 5);
	assert_int_equal(yj_line(lines, json_array_get(c, 1)), 6);
	assert_int_equal(docs.lines[2], 4);
	yj_docs_free(&docs);
	yj_lines_free(lines);
}

static void expect_error(const char *text, const char *want)
{
	struct yj_docs docs = { 0 };
	char *err = NULL;
	unsigned line = 0;
	assert_false(yj_parse(text, strlen(text), 0, NULL, &docs, &err, &line));
	assert_non_null(err);
	if (!strstr(err, want))
		printf("error \"%s\" lacks \"%s\"\n", err, want);
	assert_non_null(strstr(err, want));
	assert_int_equal(docs.n, 0);
	free(err);
}

static void test_hostile_yaml(void **state)
{
	expect_error("a: 1\na: 2\n", "duplicate key");
	expect_error("? [a]\n: 1\n", "mapping keys must be scalars");
	expect_error("a: *nothing\n", "unknown alias");
	expect_error("a: \"x\\0y\"\n", "NUL");
	/* Nesting past the limit. */
	char deep[200];
	memset(deep, '[', 100);
	memset(deep + 100, ']', 99);
	deep[199] = '\0';
	expect_error(deep, "too deep");
	/* The billion laughs: aliases that would expand to far too many nodes. */
	char *bomb = xstrdup("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
	for (char c = 'b'; c <= 'j'; c++) {
		char *next = xasprintf("%s%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n",
				       bomb, c, c, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1,
				       c - 1, c - 1, c - 1);
		free(bomb);
		bomb = next;
	}
	expect_error(bomb, "too large");
	free(bomb);
	/* A small alias is fine. */
	json_t *r = one_doc("a: &x {k: v}\nb: *x\n");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "b"), "k")), "v");
	json_decref(r);
}

static void test_json_input(void **state)
{
	json_t *r = one_doc("  {\"kind\": \"List\", \"items\": [1, 2]}");
	assert_int_equal(json_array_size(json_object_get(r, "items")), 2);
	json_decref(r);
	expect_error("{\"a\": 1, \"a\": 2}", "duplicate");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_communities),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_kubernetes_names),
		cmocka_unit_test(test_scalar_resolution),
		cmocka_unit_test(test_documents_and_lines),
		cmocka_unit_test(test_hostile_yaml),
		cmocka_unit_test(test_json_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
