/* Unit tests for structured logging (core/log.h): text and JSON lines, levels, rate limiting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

static char *captured;
static size_t captured_len;
static FILE *capture;

static int setup(void **state)
{
	capture = open_memstream(&captured, &captured_len);
	return capture ? 0 : -1;
}

static int teardown(void **state)
{
	fclose(capture);
	free(captured);
	captured = NULL;
	log_setup(LOGL_INFO, LOG_FORMAT_TEXT, NULL);
	return 0;
}

/* The text after the timestamp of the one line written so far. */
static const char *line_after_timestamp(void)
{
	fflush(capture);
	const char *sp = strchr(captured, ' ');
	assert_non_null(sp);
	return sp + 1;
}

static void test_text_line(void **state)
{
	log_setup(LOGL_INFO, LOG_FORMAT_TEXT, capture);
	log_info("bgp", "session established", "peer=%s asn=%u", "10.0.0.1", 64500u);
	assert_string_equal(line_after_timestamp(),
			    "level=info component=bgp msg=\"session established\" peer=10.0.0.1 asn=64500\n");
}

static void test_text_quotes_values_with_spaces(void **state)
{
	log_setup(LOGL_INFO, LOG_FORMAT_TEXT, capture);
	log_warn("config", "rejected", "object=%s reason=%s", "pool/a", "overlaps \"b\" here");
	assert_string_equal(line_after_timestamp(),
			    "level=warn component=config msg=rejected object=pool/a "
			    "reason=\"overlaps \\\"b\\\" here\"\n");
}

static void test_json_line(void **state)
{
	log_setup(LOGL_DEBUG, LOG_FORMAT_JSON, capture);
	log_debug("l2", "arp reply", "ip=%s if=%s count=%d", "198.51.100.1", "eth0", 3);
	fflush(capture);
	json_error_t err;
	json_t *obj = json_loads(captured, 0, &err);
	assert_non_null(obj);
	assert_string_equal(json_string_value(json_object_get(obj, "level")), "debug");
	assert_string_equal(json_string_value(json_object_get(obj, "component")), "l2");
	assert_string_equal(json_string_value(json_object_get(obj, "msg")), "arp reply");
	assert_string_equal(json_string_value(json_object_get(obj, "ip")), "198.51.100.1");
	assert_string_equal(json_string_value(json_object_get(obj, "if")), "eth0");
	assert_string_equal(json_string_value(json_object_get(obj, "count")), "3");
	assert_non_null(json_object_get(obj, "ts"));
	json_decref(obj);
}

static void test_json_survives_invalid_utf8(void **state)
{
	log_setup(LOGL_INFO, LOG_FORMAT_JSON, capture);
	log_info("bgp", "notification", "peer=%s data=%s", "10.0.0.2", "\xff\xfe");
	fflush(capture);
	json_t *obj = json_loads(captured, 0, NULL);
	assert_non_null(obj);
	assert_string_equal(json_string_value(json_object_get(obj, "data")), "<invalid utf-8>");
	json_decref(obj);
}

static void test_level_filter(void **state)
{
	log_setup(LOGL_WARN, LOG_FORMAT_TEXT, capture);
	log_info("core", "hidden", "");
	log_debug("core", "hidden", "");
	fflush(capture);
	assert_int_equal(captured_len, 0);
	log_error("core", "shown", "");
	fflush(capture);
	assert_non_null(strstr(captured, "level=error"));
	assert_false(log_enabled(LOGL_INFO));
	assert_true(log_enabled(LOGL_ERROR));
}

static void test_parse_level_and_format(void **state)
{
	enum log_level l;
	enum log_format f;
	assert_true(log_level_parse("debug", &l));
	assert_int_equal(l, LOGL_DEBUG);
	assert_true(log_level_parse("WARNING", &l));
	assert_int_equal(l, LOGL_WARN);
	assert_false(log_level_parse("loud", &l));
	assert_true(log_format_parse("json", &f));
	assert_int_equal(f, LOG_FORMAT_JSON);
	assert_false(log_format_parse("xml", &f));
}

static size_t count_lines(void)
{
	fflush(capture);
	size_t n = 0;
	for (size_t i = 0; i < captured_len; i++)
		n += captured[i] == '\n';
	return n;
}

static void test_rate_limit_allows_burst_then_reports(void **state)
{
	log_setup(LOGL_INFO, LOG_FORMAT_TEXT, capture);
	/* A refill rate of 1/s cannot add a whole token during this tight loop. */
	struct log_ratelimit rl = LOG_RATELIMIT(3, 1);
	for (int i = 0; i < 100; i++)
		log_rl(&rl, LOGL_WARN, "bgp", "malformed update", "peer=%s", "192.0.2.1");
	assert_int_equal(count_lines(), 3);
	assert_int_equal(rl.suppressed, 97);
	/* After a token refills, the next line first reports how many were swallowed. */
	rl.tokens = 1.0;
	log_rl(&rl, LOGL_WARN, "bgp", "malformed update", "peer=%s", "192.0.2.1");
	assert_int_equal(count_lines(), 5);
	assert_non_null(strstr(captured, "msg=\"suppressed repeated messages\" count=97"));
	assert_int_equal(rl.suppressed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_text_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_quotes_values_with_spaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_survives_invalid_utf8, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_level_and_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_limit_allows_burst_then_reports, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
