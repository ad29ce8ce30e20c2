/*
 * Unit tests for the metrics registry and its text exposition (ops/metrics.h): golden text, family
 * and series order, untyped families (MetalLB's names), histogram buckets, escaping, UTF-8 repair,
 * series removal, collectors, and `promtool check metrics` on the output when promtool is
 * installed (also showing why MetalLB's odd names are untyped: promtool's lint fails them typed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <event2/buffer.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ops/metrics.h"
#include "ops_test_util.h"

static char *render(struct metrics *m)
{
	struct evbuffer *b = evbuffer_new();
	metrics_write(m, b);
	char *s = evbuffer_to_string(b);
	evbuffer_free(b);
	return s;
}

static void test_golden_counters_and_gauges_sorted(void **state)
{
	struct metrics *m = metrics_new();
	struct metric_family *up = metrics_gauge(m, "metallb_bgp_session_up",
		"BGP session state (1 is up, 0 is down)", METRIC_LABELS("peer"));
	struct metric_family *upd = metrics_counter(m, "metallb_bgp_updates_total",
		"Number of BGP UPDATE messages sent", METRIC_LABELS("peer"));
	struct metric_family *cfg = metrics_gauge(m, "ingot_config_loaded", "Config loaded", NULL);
	struct metric_family *none = metrics_counter(m, "ingot_unused_total", "No series", NULL);
	(void)none;

	struct metric_series *b = metric_series(up, METRIC_LABELS("10.0.0.2:179"));
	struct metric_series *a = metric_series(up, METRIC_LABELS("10.0.0.1:179"));
	metric_set(a, 1);
	metric_set(b, 0);
	struct metric_series *u = metric_series(upd, METRIC_LABELS("10.0.0.1:179"));
	metric_inc(u);
	metric_add(u, 41);
	metric_add(u, -5);             /* ignored: counters only go up */
	metric_add(u, NAN);            /* ignored */
	metric_set(metric_series(cfg, METRIC_NO_LABELS), 1);
	assert_ptr_equal(metric_series(up, METRIC_LABELS("10.0.0.1:179")), a);

	char *text = render(m);
	assert_string_equal(text,
		"# HELP ingot_config_loaded Config loaded\n"
		"# TYPE ingot_config_loaded gauge\n"
		"ingot_config_loaded 1\n"
		"# HELP metallb_bgp_session_up BGP session state (1 is up, 0 is down)\n"
		"# TYPE metallb_bgp_session_up gauge\n"
		"metallb_bgp_session_up{peer=\"10.0.0.1:179\"} 1\n"
		"metallb_bgp_session_up{peer=\"10.0.0.2:179\"} 0\n"
		"# HELP metallb_bgp_updates_total Number of BGP UPDATE messages sent\n"
		"# TYPE metallb_bgp_updates_total counter\n"
		"metallb_bgp_updates_total{peer=\"10.0.0.1:179\"} 42\n");
	free(text);
	metrics_free(m);
}

static void test_values_formatting(void **state)
{
	struct metrics *m = metrics_new();
	struct metric_family *g = metrics_gauge(m, "g", "values", METRIC_LABELS("k"));
	metric_set(metric_series(g, METRIC_LABELS("a")), 0.1);
	metric_set(metric_series(g, METRIC_LABELS("b")), -2.5);
	metric_set(metric_series(g, METRIC_LABELS("c")), 1e20);
	metric_set(metric_series(g, METRIC_LABELS("d")), INFINITY);
	metric_set(metric_series(g, METRIC_LABELS("e")), -INFINITY);
	metric_set(metric_series(g, METRIC_LABELS("f")), NAN);
	metric_set(metric_series(g, METRIC_LABELS("g")), 9007199254740993.0);
	metric_set(metric_series(g, METRIC_LABELS("h")), 123456789);
	char *text = render(m);
	assert_string_equal(text,
		"# HELP g values\n"
		"# TYPE g gauge\n"
		"g{k=\"a\"} 0.1\n"
		"g{k=\"b\"} -2.5\n"
		"g{k=\"c\"} 1e+20\n"
		"g{k=\"d\"} +Inf\n"
		"g{k=\"e\"} -Inf\n"
		"g{k=\"f\"} NaN\n"
		"g{k=\"g\"} 9007199254740992\n"
		"g{k=\"h\"} 123456789\n");
	free(text);
	metrics_free(m);
}

static void test_histogram_buckets(void **state)
{
	struct metrics *m = metrics_new();
	const double bounds[] = { 0.1, 1, 10 };
	struct metric_family *h = metrics_histogram(m, "ingot_failover_seconds",
		"Time from a node failure to the new announcement", METRIC_LABELS("protocol"),
		bounds, 3);
	struct metric_series *s = metric_series(h, METRIC_LABELS("layer2"));
	metric_observe(s, 0.05);
	metric_observe(s, 0.1);        /* le is inclusive */
	metric_observe(s, 0.5);
	metric_observe(s, 20);
	struct metric_series *e = metric_series(h, METRIC_LABELS("bgp"));
	(void)e;
	char *text = render(m);
	assert_string_equal(text,
		"# HELP ingot_failover_seconds Time from a node failure to the new announcement\n"
		"# TYPE ingot_failover_seconds histogram\n"
		"ingot_failover_seconds_bucket{protocol=\"bgp\",le=\"0.1\"} 0\n"
		"ingot_failover_seconds_bucket{protocol=\"bgp\",le=\"1\"} 0\n"
		"ingot_failover_seconds_bucket{protocol=\"bgp\",le=\"10\"} 0\n"
		"ingot_failover_seconds_bucket{protocol=\"bgp\",le=\"+Inf\"} 0\n"
		"ingot_failover_seconds_sum{protocol=\"bgp\"} 0\n"
		"ingot_failover_seconds_count{protocol=\"bgp\"} 0\n"
		"ingot_failover_seconds_bucket{protocol=\"layer2\",le=\"0.1\"} 2\n"
		"ingot_failover_seconds_bucket{protocol=\"layer2\",le=\"1\"} 3\n"
		"ingot_failover_seconds_bucket{protocol=\"layer2\",le=\"10\"} 3\n"
		"ingot_failover_seconds_bucket{protocol=\"layer2\",le=\"+Inf\"} 4\n"
		"ingot_failover_seconds_sum{protocol=\"layer2\"} 20.65\n"
		"ingot_failover_seconds_count{protocol=\"layer2\"} 4\n");
	free(text);
	metrics_free(m);
}

static void test_histogram_without_labels_and_default_buckets(void **state)
{
	struct metrics *m = metrics_new();
	struct metric_family *h = metrics_histogram(m, "d_seconds", "d", NULL,
		metric_default_buckets, metric_default_buckets_count);
	struct metric_family *x = metrics_histogram(m, "e_bytes", "e", NULL, NULL, 0);
	struct metric_series *s = metric_series(h, NULL);
	metric_observe(s, 0.003);
	metric_observe(metric_series(x, NULL), 7);
	char *text = render(m);
	assert_non_null(strstr(text, "d_seconds_bucket{le=\"0.005\"} 1\n"));
	assert_non_null(strstr(text, "d_seconds_bucket{le=\"2.5\"} 1\n"));
	assert_non_null(strstr(text, "d_seconds_bucket{le=\"+Inf\"} 1\n"));
	assert_non_null(strstr(text, "d_seconds_count 1\n"));
	assert_non_null(strstr(text, "e_bytes_bucket{le=\"+Inf\"} 1\ne_bytes_sum 7\ne_bytes_count 1\n"));
	assert_true(strstr(text, "# HELP d_seconds") < strstr(text, "# HELP e_bytes"));
	free(text);

	double exp[4];
	metric_exponential_buckets(0.001, 10, 4, exp);
	assert_true(exp[0] == 0.001 && fabs(exp[3] - 1.0) < 1e-12);
	metrics_free(m);
}

static void test_escaping_of_label_values_and_help(void **state)
{
	struct metrics *m = metrics_new();
	struct metric_family *f = metrics_gauge(m, "metallb_speaker_announced",
		"Services being announced\nfrom this node, \\ \"quoted\"",
		METRIC_LABELS("service", "protocol", "node", "ip"));
	metric_set(metric_series(f, METRIC_LABELS("ns/we\"ird\\name\nx", "layer2", "n1", "10.0.0.1")),
		   1);
	char *text = render(m);
	assert_string_equal(text,
		"# HELP metallb_speaker_announced Services being announced\\nfrom this node, \\\\ \"quoted\"\n"
		"# TYPE metallb_speaker_announced gauge\n"
		"metallb_speaker_announced{service=\"ns/we\\\"ird\\\\name\\nx\",protocol=\"layer2\","
		"node=\"n1\",ip=\"10.0.0.1\"} 1\n");
	free(text);
	metrics_free(m);
}

static void test_invalid_utf8_label_values_are_repaired(void **state)
{
	struct metrics *m = metrics_new();
	struct metric_family *f = metrics_counter(m, "x_total", "x", METRIC_LABELS("peer"));
	struct metric_series *a = metric_series(f, METRIC_LABELS("r\xff" "1"));
	struct metric_series *b = metric_series(f, METRIC_LABELS("r\xef\xbf\xbd" "1"));
	assert_ptr_equal(a, b);        /* the repaired value is the series' identity */
	metric_inc(a);
	metric_inc(metric_series(f, METRIC_LABELS("\xed\xa0\x80")));       /* a surrogate */
	metric_inc(metric_series(f, METRIC_LABELS("\xc3\xa9t\xc3\xa9")));  /* valid: kept */
	metric_inc(metric_series(f, METRIC_LABELS("\xe2\x82")));           /* truncated */
	char *text = render(m);
	assert_non_null(strstr(text, "x_total{peer=\"r\xef\xbf\xbd" "1\"} 1\n"));
	assert_non_null(strstr(text, "x_total{peer=\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"} 1\n"));
	assert_non_null(strstr(text, "x_total{peer=\"\xc3\xa9t\xc3\xa9\"} 1\n"));
	assert_non_null(strstr(text, "x_total{peer=\"\xef\xbf\xbd\xef\xbf\xbd\"} 1\n"));
	free(text);
	metrics_free(m);
}

static void test_series_remove_and_empty_family(void **state)
{
	struct metrics *m = metrics_new();
	struct metric_family *f = metrics_gauge(m, "metallb_allocator_addresses_in_use", "in use",
		METRIC_LABELS("pool"));
	struct metric_series *p[5];
	const char *names[5] = { "e", "b", "d", "a", "c" };
	for (int i = 0; i < 5; i++) {
		p[i] = metric_series(f, METRIC_LABELS(names[i]));
		metric_set(p[i], i);
	}
	metric_series_remove(p[2]);    /* d */
	metric_series_remove(p[3]);    /* a */
	char *text = render(m);
	assert_string_equal(text,
		"# HELP metallb_allocator_addresses_in_use in use\n"
		"# TYPE metallb_allocator_addresses_in_use gauge\n"
		"metallb_allocator_addresses_in_use{pool=\"b\"} 1\n"
		"metallb_allocator_addresses_in_use{pool=\"c\"} 4\n"
		"metallb_allocator_addresses_in_use{pool=\"e\"} 0\n");
	free(text);
	metric_series_remove(p[0]);
	metric_series_remove(p[1]);
	metric_series_remove(p[4]);
	text = render(m);
	assert_string_equal(text, "");
	free(text);
	/* a removed series comes back at zero */
	assert_true(metric_value(metric_series(f, METRIC_LABELS("d"))) == 0);
	metrics_free(m);
}

struct pool_stats {
	struct metric_series *in_use;
	int calls;
};

static void collect(void *arg)
{
	struct pool_stats *ps = arg;
	ps->calls++;
	metric_set(ps->in_use, 10 * ps->calls);
}

static void test_collectors_run_before_each_scrape(void **state)
{
	struct metrics *m = metrics_new();
	struct metric_family *f = metrics_gauge(m, "in_use", "in use", NULL);
	struct pool_stats ps = { metric_series(f, NULL), 0 };
	metrics_on_collect(m, collect, &ps);
	char *t1 = render(m), *t2 = render(m);
	assert_non_null(strstr(t1, "in_use 10\n"));
	assert_non_null(strstr(t2, "in_use 20\n"));
	free(t1);
	free(t2);
	metrics_free(m);
}

/* Registration mistakes are fatal at start: check each in a child process. The registry is kept
 * in a global so LeakSanitizer does not report it when log_fatal() exits. */
static struct metrics *child_registry;

static int exits_with(void (*fn)(void))
{
	pid_t pid = fork();
	if (pid == 0) {
		fclose(stderr);
		fn();
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void register_twice(void)
{
	struct metrics *m = child_registry = metrics_new();
	metrics_gauge(m, "a", "a", NULL);
	metrics_counter(m, "a", "a", NULL);
}

static void register_clash_with_histogram_suffix(void)
{
	struct metrics *m = child_registry = metrics_new();
	metrics_histogram(m, "lat_seconds", "a", NULL, NULL, 0);
	metrics_gauge(m, "lat_seconds_count", "a", NULL);
}

static void register_bad_name(void)
{
	metrics_gauge(child_registry = metrics_new(), "1abc", "a", NULL);
}

static void register_without_help(void)
{
	metrics_gauge(child_registry = metrics_new(), "g", "", NULL);
}

static void register_le_label(void)
{
	metrics_histogram(child_registry = metrics_new(), "h", "a", METRIC_LABELS("le"), NULL, 0);
}

static void register_reserved_label(void)
{
	metrics_gauge(child_registry = metrics_new(), "g", "a", METRIC_LABELS("__name"));
}

static void register_unsorted_bounds(void)
{
	const double b[] = { 1, 1 };
	metrics_histogram(child_registry = metrics_new(), "h", "a", NULL, b, 2);
}

static void series_wrong_arity(void)
{
	child_registry = metrics_new();
	struct metric_family *f = metrics_gauge(child_registry, "g", "a", METRIC_LABELS("x", "y"));
	metric_series(f, METRIC_LABELS("only-one"));
}

static void test_registration_mistakes_are_fatal(void **state)
{
	assert_int_equal(exits_with(register_twice), 1);
	assert_int_equal(exits_with(register_clash_with_histogram_suffix), 1);
	assert_int_equal(exits_with(register_bad_name), 1);
	assert_int_equal(exits_with(register_le_label), 1);
	assert_int_equal(exits_with(register_without_help), 1);
	assert_int_equal(exits_with(register_reserved_label), 1);
	assert_int_equal(exits_with(register_unsorted_bounds), 1);
	assert_int_equal(exits_with(series_wrong_arity), 1);
}

static void test_promtool_accepts_exposition(void **state)
{
	const char *promtool = find_promtool();
	if (!promtool)
		skip();
	struct metrics *m = metrics_new();
	struct metric_family *up = metrics_gauge(m, "metallb_bgp_session_up", "BGP session up",
		METRIC_LABELS("peer"));
	metric_set(metric_series(up, METRIC_LABELS("[fd00::1]:179")), 1);
	struct metric_family *c = metrics_counter(m, "metallb_bgp_updates_total",
		"UPDATEs sent \\ with a backslash\nand a newline", METRIC_LABELS("peer", "vrf"));
	metric_add(metric_series(c, METRIC_LABELS("10.0.0.1:179", "we\"ird\\\nvrf\xff")), 3);
	metric_inc(metric_series(c, METRIC_LABELS("10.0.0.2:179", "")));
	const double b[] = { 0.001, 0.01, 0.1, 1 };
	struct metric_family *h = metrics_histogram(m, "ingot_failover_seconds", "failover",
		METRIC_LABELS("protocol"), b, 4);
	metric_observe(metric_series(h, METRIC_LABELS("bgp")), 0.02);
	metric_observe(metric_series(h, METRIC_LABELS("layer2")), 5);
	struct metric_family *g = metrics_gauge(m, "ingot_odd_values", "odd", METRIC_LABELS("k"));
	metric_set(metric_series(g, METRIC_LABELS("nan")), NAN);
	metric_set(metric_series(g, METRIC_LABELS("inf")), -INFINITY);
	metric_set(metric_series(g, METRIC_LABELS("big")), 1e300);
	metric_set(metric_series(metrics_gauge(m, "ingot_up", "up", NULL), NULL), 1);
	char *text = render(m);
	char report[4096];
	int rc = promtool_check(promtool, text, report, sizeof(report));
	if (rc != 0)
		print_error("promtool exit %d:\n%s\n--- input ---\n%s", rc, report, text);
	assert_int_equal(rc, 0);
	free(text);
	metrics_free(m);
}

/* MetalLB's names that break promtool's lint are registered untyped (see ops/metrics.h). */
static struct metrics *metallb_names(bool untyped)
{
	struct metrics *m = metrics_new();
	struct metric_family *in_use = untyped
		? metrics_untyped(m, "metallb_allocator_addresses_in_use_total",
				  "Number of IP addresses in use, per pool", METRIC_LABELS("pool"))
		: metrics_gauge(m, "metallb_allocator_addresses_in_use_total",
				"Number of IP addresses in use, per pool", METRIC_LABELS("pool"));
	struct metric_family *req = untyped
		? metrics_untyped(m, "metallb_layer2_requests_received",
				  "Number of layer2 requests received for owned IPs",
				  METRIC_LABELS("ip"))
		: metrics_counter(m, "metallb_layer2_requests_received",
				  "Number of layer2 requests received for owned IPs",
				  METRIC_LABELS("ip"));
	metric_set(metric_series(in_use, METRIC_LABELS("blue")), 3);
	metric_inc(metric_series(req, METRIC_LABELS("10.0.0.1")));
	metric_add(metric_series(req, METRIC_LABELS("10.0.0.1")), 4);
	return m;
}

static void test_untyped_golden_and_gauge_like(void **state)
{
	struct metrics *m = metallb_names(true);
	struct metric_series *s = metric_series(
		metrics_untyped(m, "ingot_untyped_probe", "probe", NULL), METRIC_NO_LABELS);
	metric_add(s, 5);
	metric_add(s, -2);            /* untyped is not a counter: any delta applies */
	assert_true(metric_value(s) == 3);
	char *text = render(m);
	assert_string_equal(text,
		"# HELP ingot_untyped_probe probe\n"
		"# TYPE ingot_untyped_probe untyped\n"
		"ingot_untyped_probe 3\n"
		"# HELP metallb_allocator_addresses_in_use_total Number of IP addresses in use, per pool\n"
		"# TYPE metallb_allocator_addresses_in_use_total untyped\n"
		"metallb_allocator_addresses_in_use_total{pool=\"blue\"} 3\n"
		"# HELP metallb_layer2_requests_received Number of layer2 requests received for owned IPs\n"
		"# TYPE metallb_layer2_requests_received untyped\n"
		"metallb_layer2_requests_received{ip=\"10.0.0.1\"} 5\n");
	free(text);
	metrics_free(m);
}

static void register_untyped_clashing_with_gauge(void)
{
	struct metrics *m = metrics_new();
	metrics_gauge(m, "metallb_x_total", "a", NULL);
	metrics_untyped(m, "metallb_x_total", "b", NULL);
}

static void test_untyped_clash_is_fatal(void **state)
{
	assert_int_equal(exits_with(register_untyped_clashing_with_gauge), 1);
}

/* The reason for untyped: promtool's linter fails these names as gauge/counter, passes them
 * untyped. */
static void test_promtool_lint_and_untyped_metallb_names(void **state)
{
	const char *promtool = find_promtool();
	if (!promtool)
		skip();
	char report[4096];
	struct metrics *typed = metallb_names(false);
	char *text = render(typed);
	assert_int_not_equal(promtool_check(promtool, text, report, sizeof(report)), 0);
	assert_non_null(strstr(report, "non-counter metrics should not have \"_total\" suffix"));
	assert_non_null(strstr(report, "counter metrics should have \"_total\" suffix"));
	free(text);
	metrics_free(typed);

	struct metrics *untyped = metallb_names(true);
	text = render(untyped);
	int rc = promtool_check(promtool, text, report, sizeof(report));
	if (rc != 0)
		print_error("promtool exit %d:\n%s\n--- input ---\n%s", rc, report, text);
	assert_int_equal(rc, 0);
	free(text);
	metrics_free(untyped);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_counters_and_gauges_sorted),
		cmocka_unit_test(test_values_formatting),
		cmocka_unit_test(test_histogram_buckets),
		cmocka_unit_test(test_histogram_without_labels_and_default_buckets),
		cmocka_unit_test(test_escaping_of_label_values_and_help),
		cmocka_unit_test(test_invalid_utf8_label_values_are_repaired),
		cmocka_unit_test(test_series_remove_and_empty_family),
		cmocka_unit_test(test_collectors_run_before_each_scrape),
		cmocka_unit_test(test_registration_mistakes_are_fatal),
		cmocka_unit_test(test_promtool_accepts_exposition),
		cmocka_unit_test(test_untyped_golden_and_gauge_like),
		cmocka_unit_test(test_untyped_clash_is_fatal),
		cmocka_unit_test(test_promtool_lint_and_untyped_metallb_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
