/*
 * Unit tests for the control socket (ops/control.h): the request parser and responder as pure
 * functions, then the socket on the loop with real clients in a second thread (control_call and
 * raw sockets): round trip, pipelined and split requests, several clients, a request that is too
 * long, clients that vanish mid-response, the client limit, idle clients, and the socket file's
 * mode and replacement rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/loop.h"
#include "ops/control.h"

/* --- providers ------------------------------------------------------------------------------ */

static json_t *bgp_status(void *arg)
{
	int *calls = arg;
	(*calls)++;
	return json_pack("{s:[{s:s,s:i,s:s,s:i,s:i}]}", "sessions", "peer", "10.0.0.1", "asn", 64500,
			 "state", "Established", "uptime_s", 3600, "prefixes_sent", 4);
}

static json_t *l2_status(void *arg)
{
	return json_pack("{s:[{s:s,s:s}]}", "announcements", "ip", "192.0.2.10", "interface", "eth0");
}

static json_t *null_status(void *arg)
{
	return NULL;
}

static size_t big_size;

static json_t *big_status(void *arg)
{
	json_t *a = json_array();
	char name[64];
	for (size_t i = 0; i < big_size; i++) {
		snprintf(name, sizeof(name), "namespace-%06zu/service", i);
		json_array_append_new(a, json_pack("{s:s,s:s}", "service", name, "ip", "192.0.2.1"));
	}
	return a;
}

static json_t *respond(const struct status_registry *r, const char *line)
{
	json_t *resp = control_respond(r, line, strlen(line));
	assert_non_null(resp);
	return resp;
}

static void assert_error(const struct status_registry *r, const char *line, const char *msg)
{
	json_t *resp = respond(r, line);
	assert_true(json_is_false(json_object_get(resp, "ok")));
	const char *got = json_string_value(json_object_get(resp, "error"));
	assert_non_null(got);
	if (!strstr(got, msg))
		fail_msg("error \"%s\" does not contain \"%s\"", got, msg);
	json_decref(resp);
}

static void test_protocol(void **state)
{
	int calls = 0;
	struct status_registry *r = status_registry_new();
	status_register(r, "bgp", bgp_status, &calls);
	status_register(r, "l2", l2_status, NULL);
	status_register(r, "members", null_status, NULL);

	json_t *resp = respond(r, "{\"cmd\":\"status\"}");
	char *text = json_dumps(resp, JSON_COMPACT);
	assert_string_equal(text,
		"{\"ok\":true,\"result\":{\"bgp\":{\"sessions\":[{\"peer\":\"10.0.0.1\",\"asn\":64500,"
		"\"state\":\"Established\",\"uptime_s\":3600,\"prefixes_sent\":4}]},"
		"\"l2\":{\"announcements\":[{\"ip\":\"192.0.2.10\",\"interface\":\"eth0\"}]},"
		"\"members\":null}}");
	free(text);
	json_decref(resp);
	assert_int_equal(calls, 1);

	resp = respond(r, " { \"sections\" : [\"l2\", \"l2\"], \"cmd\" : \"status\" } ");
	json_t *result = json_object_get(resp, "result");
	assert_int_equal(json_object_size(result), 1);
	assert_non_null(json_object_get(result, "l2"));
	json_decref(resp);
	assert_int_equal(calls, 1);    /* only the sections asked for are built */

	resp = respond(r, "{\"cmd\":\"status\",\"sections\":[]}");
	assert_int_equal(json_object_size(json_object_get(resp, "result")), 0);
	json_decref(resp);

	assert_error(r, "{\"cmd\":\"status\",\"sections\":[\"bfd\"]}", "unknown section \"bfd\"");
	assert_error(r, "{\"cmd\":\"stop\"}", "unknown command \"stop\"");
	assert_error(r, "{\"cmd\":7}", "\"cmd\" is missing or not a string");
	assert_error(r, "{}", "\"cmd\" is missing");
	assert_error(r, "[\"status\"]", "a request is a JSON object");
	assert_error(r, "status", "not valid JSON");
	assert_error(r, "{\"cmd\":\"status\"", "not valid JSON");
	assert_error(r, "{\"cmd\":\"status\"} {}", "not valid JSON");
	assert_error(r, "{\"cmd\":\"status\",\"cmd\":\"status\"}", "not valid JSON");
	assert_error(r, "{\"cmd\":\"status\",\"verbose\":true}", "unknown field \"verbose\"");
	assert_error(r, "{\"cmd\":\"status\",\"sections\":\"bgp\"}", "array of section names");
	assert_error(r, "{\"cmd\":\"status\",\"sections\":[1]}", "array of section names");
	assert_error(r, "\"\xff\"", "not valid JSON");

	char big[CONTROL_MAX_REQUEST + 32];
	snprintf(big, sizeof(big), "{\"cmd\":\"status\",\"x\":\"%0*d\"}", CONTROL_MAX_REQUEST, 0);
	assert_error(r, big, "request longer than 4096 bytes");

	json_t *many = json_array();
	for (int i = 0; i <= CONTROL_MAX_SECTIONS; i++)
		json_array_append_new(many, json_string("bgp"));
	json_t *req = json_pack("{s:s,s:o}", "cmd", "status", "sections", many);
	text = json_dumps(req, JSON_COMPACT);
	assert_error(r, text, "more than 32 sections");
	free(text);
	json_decref(req);

	status_unregister(r, "bgp");
	resp = respond(r, "{\"cmd\":\"status\"}");
	assert_null(json_object_get(json_object_get(resp, "result"), "bgp"));
	json_decref(resp);
	status_registry_free(r);
}

/* --- running a client beside the loop --------------------------------------------------------- */

struct client_job {
	void (*fn)(struct client_job *job);
	const char *path;
	int done_fd;
	json_t *resp;           /* control_call's answer */
	char err[256];
	char raw[8][512];       /* raw clients' answers */
	int nraw;
	int refused;            /* connections the server closed at once */
};

static void *client_main(void *arg)
{
	struct client_job *job = arg;
	job->fn(job);
	ssize_t w = write(job->done_fd, "x", 1);
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

/* Runs job->fn in a thread while the loop serves, until it is done. */
static void run_client(struct client_job *job)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	job->done_fd = p[1];
	struct watch *w = watch_new(p[0], WATCH_READ, on_done, NULL);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, client_main, job), 0);
	assert_int_equal(loop_run(), 0);
	pthread_join(t, NULL);
	watch_free(w);
	close(p[0]);
	close(p[1]);
}

static int raw_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads until EOF or n newlines; returns the bytes read. */
static size_t raw_read(int fd, char *buf, size_t cap, int lines)
{
	size_t len = 0;
	while (len + 1 < cap) {
		ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		int seen = 0;
		for (size_t i = 0; i < len; i++)
			seen += buf[i] == '\n';
		if (seen >= lines)
			break;
	}
	buf[len] = '\0';
	return len;
}

static void call_status(struct client_job *job)
{
	json_t *req = json_pack("{s:s}", "cmd", "status");
	job->resp = control_call(job->path, req, 5000, job->err, sizeof(job->err));
	json_decref(req);
}

/* --- socket fixtures ---------------------------------------------------------------------- */

struct fixture {
	char dir[64];
	char path[128];
	struct status_registry *r;
	struct control *c;
	int calls;
};

static int setup(void **state)
{
	loop_init();
	struct fixture *fx = calloc(1, sizeof(*fx));
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/ingot-control-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/run/control.sock", fx->dir);
	fx->r = status_registry_new();
	status_register(fx->r, "bgp", bgp_status, &fx->calls);
	status_register(fx->r, "l2", l2_status, NULL);
	char err[256];
	fx->c = control_new(fx->path, fx->r, err, sizeof(err));
	if (!fx->c)
		fail_msg("control_new: %s", err);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	control_free(fx->c);
	status_registry_free(fx->r);
	char sub[160];
	snprintf(sub, sizeof(sub), "%s/run", fx->dir);
	rmdir(sub);
	assert_int_equal(rmdir(fx->dir), 0);    /* control_free removed the socket */
	free(fx);
	loop_free();
	return 0;
}

static void test_round_trip(void **state)
{
	struct fixture *fx = *state;
	struct stat st;
	assert_int_equal(lstat(fx->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);

	struct client_job job = { .fn = call_status, .path = fx->path };
	run_client(&job);
	if (!job.resp)
		fail_msg("control_call: %s", job.err);
	assert_true(json_is_true(json_object_get(job.resp, "ok")));
	json_t *result = json_object_get(job.resp, "result");
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(
		json_object_get(result, "bgp"), "sessions"), 0), "state")), "Established");
	assert_non_null(json_object_get(result, "l2"));
	json_decref(job.resp);
}

/* Two requests in one write, one split over three writes, and a bad one, on three clients. */
static void several_clients(struct client_job *job)
{
	int a = raw_connect(job->path), b = raw_connect(job->path), c = raw_connect(job->path);
	const char *two = "{\"cmd\":\"status\",\"sections\":[\"l2\"]}\r\n\n{\"cmd\":\"status\"}\n";
	ssize_t w = send(a, two, strlen(two), 0);
	w = send(b, "{\"cmd\":", 7, 0);
	w = send(c, "nonsense\n", 9, 0);
	usleep(20000);
	w = send(b, "\"status\",\"sections\"", 19, 0);
	usleep(20000);
	w = send(b, ":[\"bgp\"]}\n", 10, 0);
	(void)w;
	raw_read(a, job->raw[0], sizeof(job->raw[0]), 2);
	raw_read(b, job->raw[1], sizeof(job->raw[1]), 1);
	raw_read(c, job->raw[2], sizeof(job->raw[2]), 1);
	/* the connection stays open for more requests */
	const char *last = "{\"cmd\":\"status\",\"sections\":[\"l2\"]}";
	w = send(c, last, strlen(last), 0);
	shutdown(c, SHUT_WR);      /* the last request may end at EOF instead of a newline */
	raw_read(c, job->raw[3], sizeof(job->raw[3]), 2);
	close(a);
	close(b);
	close(c);
	job->nraw = 4;
}

static void test_several_clients_pipelined_and_split(void **state)
{
	struct fixture *fx = *state;
	struct client_job job = { .fn = several_clients, .path = fx->path };
	run_client(&job);
	const char *l2 = "{\"ok\":true,\"result\":{\"l2\":{\"announcements\":[{\"ip\":\"192.0.2.10\","
		"\"interface\":\"eth0\"}]}}}\n";
	char want[1024];
	snprintf(want, sizeof(want), "%s{\"ok\":true,\"result\":{\"bgp\":", l2);
	assert_memory_equal(job.raw[0], want, strlen(want));
	assert_non_null(strstr(job.raw[1], "{\"ok\":true,\"result\":{\"bgp\":{\"sessions\""));
	assert_null(strstr(job.raw[1], "\"l2\""));
	assert_non_null(strstr(job.raw[2], "{\"ok\":false,\"error\":\"request is not valid JSON"));
	assert_string_equal(job.raw[3], l2);
}

static void too_long(struct client_job *job)
{
	int fd = raw_connect(job->path);
	char junk[CONTROL_MAX_REQUEST + 100];
	memset(junk, 'x', sizeof(junk));
	ssize_t w = send(fd, junk, sizeof(junk), MSG_NOSIGNAL);
	(void)w;
	raw_read(fd, job->raw[0], sizeof(job->raw[0]), 5);     /* to EOF: the server closes */
	close(fd);
	/* exactly the limit, with its newline, is fine */
	fd = raw_connect(job->path);
	char line[CONTROL_MAX_REQUEST + 1];
	int pad = CONTROL_MAX_REQUEST - (int)strlen("{\"cmd\":\"status\",\"sections\":[\"l2\"]}");
	snprintf(line, sizeof(line), "%*s{\"cmd\":\"status\",\"sections\":[\"l2\"]}", pad, "");
	assert_int_equal(strlen(line), CONTROL_MAX_REQUEST);
	w = send(fd, line, CONTROL_MAX_REQUEST, 0);
	w = send(fd, "\n", 1, 0);
	raw_read(fd, job->raw[1], sizeof(job->raw[1]), 1);
	close(fd);
}

static void test_request_too_long(void **state)
{
	struct fixture *fx = *state;
	struct client_job job = { .fn = too_long, .path = fx->path };
	run_client(&job);
	assert_string_equal(job.raw[0],
		"{\"ok\":false,\"error\":\"request longer than 4096 bytes\"}\n");
	assert_non_null(strstr(job.raw[1], "{\"ok\":true"));
}

/* Clients that send a request for a large status and leave before reading it all. */
static void vanishing_clients(struct client_job *job)
{
	for (int i = 0; i < 5; i++) {
		int fd = raw_connect(job->path);
		ssize_t w = send(fd, "{\"cmd\":\"status\"}\n", 17, 0);
		(void)w;
		if (i % 2) {
			char buf[4096];
			ssize_t r = recv(fd, buf, sizeof(buf), 0);
			(void)r;
		}
		struct linger l = { 1, 0 };
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		close(fd);
		usleep(20000);
	}
	call_status(job);
}

static void test_client_gone_mid_response(void **state)
{
	struct fixture *fx = *state;
	big_size = 30000;
	status_register(fx->r, "services", big_status, NULL);
	struct client_job job = { .fn = vanishing_clients, .path = fx->path };
	run_client(&job);
	if (!job.resp)
		fail_msg("control_call after vanishing clients: %s", job.err);
	assert_int_equal(json_array_size(json_object_get(json_object_get(job.resp, "result"),
							  "services")), big_size);
	json_decref(job.resp);
}

static void too_many(struct client_job *job)
{
	int fds[CONTROL_MAX_CLIENTS + 1];
	for (int i = 0; i <= CONTROL_MAX_CLIENTS; i++) {
		fds[i] = raw_connect(job->path);
		usleep(5000);
	}
	/* the one over the limit is closed by the server without an answer */
	char buf[64];
	struct timeval tv = { 2, 0 };
	setsockopt(fds[CONTROL_MAX_CLIENTS], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ssize_t r = recv(fds[CONTROL_MAX_CLIENTS], buf, sizeof(buf), 0);
	job->refused = r == 0 || (r < 0 && errno == ECONNRESET);
	for (int i = 0; i <= CONTROL_MAX_CLIENTS; i++)
		close(fds[i]);
	usleep(20000);
	call_status(job);
}

static void test_client_limit(void **state)
{
	struct fixture *fx = *state;
	struct client_job job = { .fn = too_many, .path = fx->path };
	run_client(&job);
	assert_true(job.refused);
	assert_non_null(job.resp);
	json_decref(job.resp);
}

/* A client that connects, or sends half a request, and then says nothing is closed. */
static void idle_clients(struct client_job *job)
{
	int quiet = raw_connect(job->path), half = raw_connect(job->path);
	ssize_t w = send(half, "{\"cmd\":", 7, 0);
	(void)w;
	char buf[64];
	struct timeval tv = { 3, 0 };
	setsockopt(quiet, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(half, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	job->refused = recv(quiet, buf, sizeof(buf), 0) == 0;
	job->refused += recv(half, buf, sizeof(buf), 0) == 0;
	close(quiet);
	close(half);
	call_status(job);
}

static void test_idle_clients_are_closed(void **state)
{
	struct fixture *fx = *state;
	control_set_idle_timeout(fx->c, mono_from_ms(100));
	struct client_job job = { .fn = idle_clients, .path = fx->path };
	run_client(&job);
	assert_int_equal(job.refused, 2);
	assert_non_null(job.resp);     /* a prompt client is served within the timeout */
	json_decref(job.resp);
}

/* --- the socket file ------------------------------------------------------------------------ */

static void test_socket_file_rules(void **state)
{
	struct fixture *fx = *state;
	char err[256] = "";
	/* a live socket is not taken over */
	assert_null(control_new(fx->path, fx->r, err, sizeof(err)));
	assert_non_null(strstr(err, "in use"));

	/* a stale one (its process died without removing it) is replaced */
	char stale[100];
	snprintf(stale, sizeof(stale), "%s/stale.sock", fx->dir);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", stale);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	struct control *c2 = control_new(stale, fx->r, err, sizeof(err));
	if (!c2)
		fail_msg("stale socket not replaced: %s", err);
	struct client_job job = { .fn = call_status, .path = stale };
	run_client(&job);
	assert_non_null(job.resp);
	json_decref(job.resp);

	/* control_free does not remove a socket file that is no longer its own */
	char moved[176];
	snprintf(moved, sizeof(moved), "%s.moved", stale);
	assert_int_equal(rename(stale, moved), 0);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	control_free(c2);
	struct stat st;
	assert_int_equal(lstat(stale, &st), 0);
	unlink(stale);
	unlink(moved);

	/* a file that is not a socket is left alone */
	char file[160];
	snprintf(file, sizeof(file), "%s/file", fx->dir);
	FILE *f = fopen(file, "w");
	fclose(f);
	assert_null(control_new(file, fx->r, err, sizeof(err)));
	assert_non_null(strstr(err, "not a socket"));
	assert_int_equal(unlink(file), 0);

	/* a path that does not fit in sun_path */
	char longp[200];
	memset(longp, 'a', sizeof(longp));
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	assert_null(control_new(longp, fx->r, err, sizeof(err)));
	assert_non_null(strstr(err, "too long"));

	/* nobody listening */
	char none[160];
	snprintf(none, sizeof(none), "%s/none.sock", fx->dir);
	json_t *req = json_pack("{s:s}", "cmd", "status");
	assert_null(control_call(none, req, 1000, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot connect"));
	json_decref(req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_protocol),
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_several_clients_pipelined_and_split, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_gone_mid_response, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_clients_are_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_file_rules, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
