/*
 * Unit tests for the operations HTTP server (ops/http.h) and the health checks (ops/health.h),
 * over real loopback sockets: the server runs on the loop in the test's thread, and a libcurl
 * client in a second thread makes one request at a time and wakes the loop through a pipe when
 * it is done.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <event2/buffer.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/loop.h"
#include "ops/health.h"
#include "ops/http.h"
#include "ops/metrics.h"
#include "ops_test_util.h"

struct fetch {
	const char *method;
	char url[256];
	long code;
	char *body;
	size_t body_len;
	char content_type[128];
	char allow[64];
	int done_fd;
	CURLcode rc;
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct fetch *f = arg;
	f->body = realloc(f->body, f->body_len + size * n + 1);
	memcpy(f->body + f->body_len, data, size * n);
	f->body_len += size * n;
	f->body[f->body_len] = '\0';
	return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct fetch *f = arg;
	size_t len = size * n;
	if (len > 13 && strncasecmp(data, "Content-Type:", 13) == 0)
		snprintf(f->content_type, sizeof(f->content_type), "%.*s", (int)(len - 16), data + 14);
	if (len > 6 && strncasecmp(data, "Allow:", 6) == 0)
		snprintf(f->allow, sizeof(f->allow), "%.*s", (int)(len - 9), data + 7);
	return len;
}

static void *client_thread(void *arg)
{
	struct fetch *f = arg;
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, f->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, f);
	if (strcmp(f->method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (strcmp(f->method, "GET") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, f->method);
	f->rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &f->code);
	curl_easy_cleanup(c);
	ssize_t w = write(f->done_fd, "x", 1);
	(void)w;
	return NULL;
}

static void on_done(int fd, int events, void *arg)
{
	char x;
	ssize_t r = read(fd, &x, 1);
	(void)r;
	loop_stop();
}

/* One request against the server while the loop runs; the caller frees f->body. */
static struct fetch request(const char *method, const char *host, uint16_t port, const char *path)
{
	struct fetch f = { .method = method };
	snprintf(f.url, sizeof(f.url), "http://%s:%u%s", host, port, path);
	int p[2];
	assert_int_equal(pipe(p), 0);
	f.done_fd = p[1];
	struct watch *w = watch_new(p[0], WATCH_READ, on_done, NULL);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, client_thread, &f), 0);
	assert_int_equal(loop_run(), 0);
	pthread_join(t, NULL);
	watch_free(w);
	close(p[0]);
	close(p[1]);
	assert_int_equal(f.rc, CURLE_OK);
	if (!f.body)
		f.body = calloc(1, 1);
	return f;
}

/* --- fixtures ---------------------------------------------------------------------------- */

struct check_state {
	bool ok;
	const char *why;
	int calls;
};

static bool check(void *arg, char *why, size_t why_len)
{
	struct check_state *c = arg;
	c->calls++;
	if (!c->ok && c->why)
		snprintf(why, why_len, "%s", c->why);
	return c->ok;
}

struct fixture {
	struct metrics *m;
	struct health *h;
	struct ops_http *s;
	struct check_state informers, config, alive;
};

static int setup(void **state)
{
	loop_init();
	struct fixture *fx = calloc(1, sizeof(*fx));
	fx->m = metrics_new();
	fx->h = health_new();
	struct metric_family *f = metrics_counter(fx->m, "metallb_bgp_updates_total", "UPDATEs sent",
		METRIC_LABELS("peer"));
	metric_add(metric_series(f, METRIC_LABELS("10.0.0.1:179")), 7);
	fx->informers = (struct check_state){ true, NULL, 0 };
	fx->config = (struct check_state){ true, NULL, 0 };
	fx->alive = (struct check_state){ true, NULL, 0 };
	health_add(fx->h, HEALTH_READINESS, "informers-synced", check, &fx->informers);
	health_add(fx->h, HEALTH_READINESS, "config-valid", check, &fx->config);
	health_add(fx->h, HEALTH_LIVENESS, "bgp-timers", check, &fx->alive);
	char err[256];
	fx->s = ops_http_new("127.0.0.1", 0, fx->m, fx->h, err, sizeof(err));
	assert_non_null(fx->s);
	assert_true(ops_http_port(fx->s) > 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	ops_http_free(fx->s);
	health_free(fx->h);
	metrics_free(fx->m);
	free(fx);
	loop_free();
	return 0;
}

/* --- tests ------------------------------------------------------------------------------- */

static void test_metrics_endpoint(void **state)
{
	struct fixture *fx = *state;
	struct fetch f = request("GET", "127.0.0.1", ops_http_port(fx->s), "/metrics");
	assert_int_equal(f.code, 200);
	assert_string_equal(f.content_type, METRICS_CONTENT_TYPE);
	assert_string_equal(f.body,
		"# HELP metallb_bgp_updates_total UPDATEs sent\n"
		"# TYPE metallb_bgp_updates_total counter\n"
		"metallb_bgp_updates_total{peer=\"10.0.0.1:179\"} 7\n");
	const char *promtool = find_promtool();
	if (promtool) {
		char report[4096];
		assert_int_equal(promtool_check(promtool, f.body, report, sizeof(report)), 0);
	}
	free(f.body);

	f = request("GET", "127.0.0.1", ops_http_port(fx->s), "/metrics?name[]=x");
	assert_int_equal(f.code, 200);
	free(f.body);
}

static void test_healthz(void **state)
{
	struct fixture *fx = *state;
	uint16_t port = ops_http_port(fx->s);
	struct fetch f = request("GET", "127.0.0.1", port, "/healthz");
	assert_int_equal(f.code, 200);
	assert_string_equal(f.body, "[+]loop ok\n[+]bgp-timers ok\nhealthz check passed\n");
	free(f.body);
	assert_int_equal(fx->informers.calls, 0);     /* readiness is not liveness */

	fx->alive = (struct check_state){ false, "hold timer stuck", 0 };
	f = request("GET", "127.0.0.1", port, "/healthz");
	assert_int_equal(f.code, 503);
	assert_string_equal(f.body,
		"[+]loop ok\n[-]bgp-timers failed: hold timer stuck\nhealthz check failed\n");
	free(f.body);
}

static void test_readyz_lists_what_failed(void **state)
{
	struct fixture *fx = *state;
	uint16_t port = ops_http_port(fx->s);
	fx->informers = (struct check_state){ false, "2 of 5 informers\nhave not listed", 0 };
	fx->config = (struct check_state){ false, NULL, 0 };
	struct fetch f = request("GET", "127.0.0.1", port, "/readyz?verbose");
	assert_int_equal(f.code, 503);
	assert_string_equal(f.body,
		"[-]informers-synced failed: 2 of 5 informers have not listed\n"
		"[-]config-valid failed\n"
		"readyz check failed\n");
	free(f.body);

	fx->informers.ok = true;
	fx->config.ok = true;
	f = request("GET", "127.0.0.1", port, "/readyz");
	assert_int_equal(f.code, 200);
	assert_string_equal(f.body, "[+]informers-synced ok\n[+]config-valid ok\nreadyz check passed\n");
	free(f.body);

	health_remove(fx->h, check, &fx->config);
	f = request("GET", "127.0.0.1", port, "/readyz");
	assert_string_equal(f.body, "[+]informers-synced ok\nreadyz check passed\n");
	free(f.body);
}

static void test_not_found_method_not_allowed_and_head(void **state)
{
	struct fixture *fx = *state;
	uint16_t port = ops_http_port(fx->s);
	struct fetch f = request("GET", "127.0.0.1", port, "/metricsx");
	assert_int_equal(f.code, 404);
	free(f.body);
	f = request("GET", "127.0.0.1", port, "/");
	assert_int_equal(f.code, 404);
	free(f.body);
	f = request("POST", "127.0.0.1", port, "/metrics");
	assert_int_equal(f.code, 405);
	assert_string_equal(f.allow, "GET, HEAD");
	free(f.body);
	f = request("DELETE", "127.0.0.1", port, "/healthz");
	assert_int_equal(f.code, 405);
	free(f.body);
	f = request("HEAD", "127.0.0.1", port, "/metrics");
	assert_int_equal(f.code, 200);
	assert_int_equal(f.body_len, 0);
	free(f.body);
}

static bool have_ipv6_loopback(void)
{
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (fd < 0)
		return false;
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	bool ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

static void test_ipv6_listener(void **state)
{
	if (!have_ipv6_loopback())
		skip();
	struct fixture *fx = *state;
	char err[256];
	struct ops_http *s6 = ops_http_new("::1", 0, fx->m, fx->h, err, sizeof(err));
	assert_non_null(s6);
	struct fetch f = request("GET", "[::1]", ops_http_port(s6), "/healthz");
	assert_int_equal(f.code, 200);
	free(f.body);
	ops_http_free(s6);
}

static void test_bad_address_and_port_in_use(void **state)
{
	struct fixture *fx = *state;
	char err[256] = "";
	assert_null(ops_http_new("localhost", 0, fx->m, fx->h, err, sizeof(err)));
	assert_non_null(strstr(err, "invalid listen address"));
	assert_null(ops_http_new("127.0.0.1", ops_http_port(fx->s), fx->m, fx->h, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot listen"));
}

static void test_endpoints_without_registry(void **state)
{
	char err[256];
	struct ops_http *s = ops_http_new("127.0.0.1", 0, NULL, NULL, err, sizeof(err));
	assert_non_null(s);
	struct fetch f = request("GET", "127.0.0.1", ops_http_port(s), "/metrics");
	assert_int_equal(f.code, 404);
	free(f.body);
	f = request("GET", "127.0.0.1", ops_http_port(s), "/readyz");
	assert_int_equal(f.code, 200);
	assert_string_equal(f.body, "readyz check passed\n");
	free(f.body);
	ops_http_free(s);
}

/* A scraper that resets the connection mid-response must not take the server down. */
static void *rude_client(void *arg)
{
	uint16_t port = *(uint16_t *)arg;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
		const char *req = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
		ssize_t w = write(fd, req, strlen(req));
		char buf[512];
		ssize_t r = read(fd, buf, sizeof(buf));
		(void)w;
		(void)r;
		struct linger l = { 1, 0 };
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	close(fd);
	return NULL;
}

static void on_tick(void *arg)
{
	loop_stop();
}

static void test_client_reset_mid_response(void **state)
{
	struct fixture *fx = *state;
	struct metric_family *big = metrics_gauge(fx->m, "ingot_big", "many series",
		METRIC_LABELS("service"));
	char name[64];
	for (int i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "namespace-%05d/service-with-a-long-name", i);
		metric_set(metric_series(big, METRIC_LABELS(name)), i);
	}
	uint16_t port = ops_http_port(fx->s);
	for (int round = 0; round < 3; round++) {
		pthread_t t;
		assert_int_equal(pthread_create(&t, NULL, rude_client, &port), 0);
		struct timer *tick = timer_new(on_tick, NULL);
		timer_start(tick, mono_from_ms(300));
		loop_run();
		pthread_join(t, NULL);
		timer_free(tick);
	}
	struct fetch f = request("GET", "127.0.0.1", port, "/healthz");
	assert_int_equal(f.code, 200);
	free(f.body);
	f = request("GET", "127.0.0.1", port, "/metrics");
	assert_int_equal(f.code, 200);
	assert_true(f.body_len > 20000 * 50);
	free(f.body);
}

static void test_listen_parse(void **state)
{
	char *host = NULL;
	uint16_t port = 0;
	assert_true(ops_listen_parse("127.0.0.1:17472", &host, &port));
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 17472);
	free(host);
	assert_true(ops_listen_parse("[fd00::1]:9120", &host, &port));
	assert_string_equal(host, "fd00::1");
	assert_int_equal(port, 9120);
	free(host);
	assert_true(ops_listen_parse(":7472", &host, &port));
	assert_string_equal(host, "::");
	assert_int_equal(port, 7472);
	free(host);
	assert_false(ops_listen_parse("fd00::1:9120", &host, &port));
	assert_false(ops_listen_parse("[fd00::1]9120", &host, &port));
	assert_false(ops_listen_parse("[]:80", &host, &port));
	assert_false(ops_listen_parse("1.2.3.4:65536", &host, &port));
	assert_false(ops_listen_parse("1.2.3.4:", &host, &port));
	assert_false(ops_listen_parse("1.2.3.4:8a", &host, &port));
	assert_false(ops_listen_parse("1.2.3.4", &host, &port));
	assert_false(ops_listen_parse("1.2.3.4:+80", &host, &port));
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_metrics_endpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_healthz, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readyz_lists_what_failed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_found_method_not_allowed_and_head, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_listener, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_address_and_port_in_use, setup, teardown),
		cmocka_unit_test_setup_teardown(test_endpoints_without_registry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_reset_mid_response, setup, teardown),
		cmocka_unit_test(test_listen_parse),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
