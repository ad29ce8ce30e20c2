/* Tests for the informer (k8s/informer.h), the client's token handling (k8s/client.h) and status
 * writes (k8s/status_update.h) against a scripted API server: libevent's evhttp on 127.0.0.1 in the
 * same event loop, speaking plain HTTP. Covers paging, chunked watch events cut mid-line, bookmarks,
 * a server-ended watch, an ERROR 410 event with the relist and synthetic delete it causes,
 * managedFields dropped at intake (list and watch), 429 with Retry-After, 401 with a rotated
 * token file, 409 conflicts with re-reads, and the client's edge cases (non-JSON and oversized
 * bodies, 5xx, timeouts, oversized stream lines, cancelling inside a line callback, nobody
 * listening). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/loop.h"
#include "k8s/client.h"
#include "k8s/informer.h"
#include "k8s/status_update.h"

/* --- the scripted server ------------------------------------------------------------------ */

struct server;
typedef void (*handler_fn)(struct server *s, struct evhttp_request *req, const char *uri,
			   enum evhttp_cmd_type cmd);

struct server {
	struct evhttp *http;
	int port;
	handler_fn handler;
	int lists, watches, gets, puts, other;
	monotime watch_at[8];
	char log[4096];               /* what the test's callbacks saw, "|"-separated */
	struct evhttp_request *held;  /* a watch kept open */
	struct timer *later;
	struct evhttp_request *later_req;
	const char *later_text;
};

static struct server srv;
static struct k8s_client *srv_client_for_edge;

static void gencb(struct evhttp_request *req, void *arg)
{
	srv.handler(&srv, req, evhttp_request_get_uri(req), evhttp_request_get_command(req));
}

static void server_start(handler_fn handler)
{
	memset(&srv, 0, sizeof(srv));
	loop_init();
	srv.handler = handler;
	srv.http = evhttp_new(loop_base());
	evhttp_set_allowed_methods(srv.http, EVHTTP_REQ_GET | EVHTTP_REQ_PUT | EVHTTP_REQ_POST |
						     EVHTTP_REQ_PATCH | EVHTTP_REQ_DELETE);
	struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(srv.http, "127.0.0.1", 0);
	assert_non_null(bs);
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sin, &len);
	srv.port = ntohs(sin.sin_port);
	evhttp_set_gencb(srv.http, gencb, NULL);
}

static void server_stop(void)
{
	if (srv.held)
		evhttp_send_reply_end(srv.held);
	timer_free(srv.later);
	evhttp_free(srv.http);
}

static void reply(struct evhttp_request *req, int code, const char *body)
{
	struct evbuffer *b = evbuffer_new();
	evbuffer_add(b, body, strlen(body));
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
	evhttp_send_reply(req, code, code == 200 ? "OK" : "Status", b);
	evbuffer_free(b);
}

static void chunk(struct evhttp_request *req, const char *text)
{
	struct evbuffer *b = evbuffer_new();
	evbuffer_add(b, text, strlen(text));
	evhttp_send_reply_chunk(req, b);
	evbuffer_free(b);
}

/* Sends the rest of a watch a little later, so it arrives in a separate read. */
static void send_later(void *arg)
{
	chunk(srv.later_req, srv.later_text);
	evhttp_send_reply_end(srv.later_req);
	srv.later_req = NULL;
}

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	size_t n = strlen(srv.log);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(srv.log + n, sizeof(srv.log) - n, fmt, ap);
	va_end(ap);
	n = strlen(srv.log);
	snprintf(srv.log + n, sizeof(srv.log) - n, "|");
}

static struct k8s_client *new_client(const char *token, const char *token_file)
{
	char server[64];
	snprintf(server, sizeof(server), "http://127.0.0.1:%d", srv.port);
	struct k8s_config cfg = { .server = server, .namespace = "t", .token = (char *)token,
				  .token_file = (char *)token_file };
	struct k8s_client_options o = { .timeout_ms = 5000 };
	return k8s_client_new(&cfg, &o);
}

static void give_up(void *arg)
{
	*(bool *)arg = true;
	loop_stop();
}

/* Runs the loop until loop_stop(); fails after 10 s. */
static void run_loop(void)
{
	bool timed_out = false;
	struct timer *t = timer_new(give_up, &timed_out);
	timer_start(t, mono_from_s(10));
	loop_run();
	timer_free(t);
	if (timed_out)
		fail_msg("timed out; seen so far: %s", srv.log);
}

/* --- informer ------------------------------------------------------------------------------ */

#define OBJ(name, rv) "{\"metadata\":{\"name\":\"" name "\",\"namespace\":\"t\",\"resourceVersion\":\"" rv "\"}}"
#define EV(type, name, rv) "{\"type\":\"" type "\",\"object\":{\"kind\":\"Service\",\"apiVersion\":\"v1\"," \
	"\"metadata\":{\"name\":\"" name "\",\"namespace\":\"t\",\"resourceVersion\":\"" rv "\"}}}\n"

static void informer_server(struct server *s, struct evhttp_request *req, const char *uri,
			    enum evhttp_cmd_type cmd)
{
	if (strncmp(uri, "/api/v1/namespaces/t/services?", 30) != 0) {
		s->other++;
		reply(req, 404, "{\"kind\":\"Status\",\"code\":404,\"reason\":\"NotFound\"}");
		return;
	}
	if (!strstr(uri, "watch=1")) {
		s->lists++;
		assert_non_null(strstr(uri, "limit=2"));
		assert_non_null(strstr(uri, "labelSelector=app%3Dweb"));
		if (s->lists == 1) {
			assert_null(strstr(uri, "continue="));
			reply(req, 200, "{\"kind\":\"ServiceList\",\"metadata\":{\"resourceVersion\":\"10\","
			      "\"continue\":\"tok/1\"},\"items\":[" OBJ("a", "1") "," OBJ("b", "2") "]}");
		} else if (s->lists == 2) {
			assert_non_null(strstr(uri, "continue=tok%2F1"));
			reply(req, 200, "{\"kind\":\"ServiceList\",\"metadata\":{\"resourceVersion\":\"10\"},"
			      "\"items\":[" OBJ("x", "3") "]}");
		} else {
			/* the relist after 410: x vanished, a changed, c unchanged */
			assert_null(strstr(uri, "continue="));
			reply(req, 200, "{\"kind\":\"ServiceList\",\"metadata\":{\"resourceVersion\":\"21\"},"
			      "\"items\":[" OBJ("a", "20") "," OBJ("c", "11") "]}");
		}
		return;
	}
	assert_non_null(strstr(uri, "allowWatchBookmarks=true"));
	s->watch_at[s->watches < 8 ? s->watches : 7] = mono_now();
	s->watches++;
	switch (s->watches) {
	case 1: {
		assert_non_null(strstr(uri, "resourceVersion=10"));
		evhttp_send_reply_start(req, 200, "OK");
		static const char part1[] = EV("ADDED", "c", "11") EV("MODIFIED", "a", "12");
		char first[sizeof(part1)];
		/* cut the second event in the middle */
		size_t cut = sizeof(part1) - 20;
		memcpy(first, part1, cut);
		first[cut] = '\0';
		chunk(req, first);
		static char rest[512];
		snprintf(rest, sizeof(rest), "%s%s%s", part1 + cut,
			 "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Service\",\"metadata\":"
			 "{\"resourceVersion\":\"13\"}}}\n",
			 EV("DELETED", "b", "14"));
		srv.later_req = req;
		srv.later_text = rest;
		timer_start(srv.later, mono_from_ms(30));
		break;
	}
	case 2:
		/* the server ended the first watch: this one resumes after the DELETED */
		assert_non_null(strstr(uri, "resourceVersion=14"));
		evhttp_send_reply_start(req, 200, "OK");
		chunk(req, "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\","
		      "\"status\":\"Failure\",\"message\":\"too old resource version: 14 (19)\","
		      "\"reason\":\"Expired\",\"code\":410}}\n");
		evhttp_send_reply_end(req);
		break;
	case 3:
		assert_non_null(strstr(uri, "resourceVersion=21"));
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "1");
		reply(req, 429, "{\"kind\":\"Status\",\"code\":429,\"reason\":\"TooManyRequests\","
		      "\"message\":\"slow down\"}");
		break;
	default:
		assert_non_null(strstr(uri, "resourceVersion=21"));
		evhttp_send_reply_start(req, 200, "OK");
		s->held = req;
		loop_stop();
		break;
	}
}

static void on_added(void *arg, const json_t *obj)
{
	logf_("ADDED %s %s", k8s_meta(obj, "name"), k8s_meta(obj, "resourceVersion"));
	assert_string_equal(json_string_value(json_object_get(obj, "kind")), "Service");
}

static void on_updated(void *arg, const json_t *old, const json_t *obj)
{
	logf_("UPDATED %s %s->%s", k8s_meta(obj, "name"), k8s_meta(old, "resourceVersion"),
	      k8s_meta(obj, "resourceVersion"));
}

static void on_deleted(void *arg, const json_t *obj, bool synthetic)
{
	logf_("DELETED %s%s", k8s_meta(obj, "name"), synthetic ? " synthetic" : "");
}

static void on_synced(void *arg)
{
	struct k8s_informer *const *inf = arg;
	logf_("SYNCED %zu", k8s_store_count(k8s_informer_store(*inf)));
}

static void test_informer_list_watch_relist(void **state)
{
	server_start(informer_server);
	srv.later = timer_new(send_later, NULL);
	struct k8s_client *c = new_client(NULL, NULL);
	static const struct k8s_informer_handlers h = { on_added, on_updated, on_deleted, on_synced };
	struct k8s_informer_options o = { .namespace = "t", .label_selector = "app=web", .page_size = 2,
					  .backoff_initial = mono_from_ms(100),
					  .backoff_max = mono_from_ms(200) };
	/* the synced handler reads the store through the informer, passed as arg */
	struct k8s_informer *inf = NULL;
	inf = k8s_informer_new(c, &k8s_res_services, &o, &h, &inf);
	k8s_informer_start(inf);
	run_loop();
	assert_string_equal(srv.log,
			    "ADDED a 1|ADDED b 2|ADDED x 3|SYNCED 3|"
			    "ADDED c 11|UPDATED a 1->12|DELETED b|"
			    "DELETED x synthetic|UPDATED a 12->20|");
	assert_int_equal(srv.lists, 3);
	assert_int_equal(srv.watches, 4);
	/* 429 with Retry-After: 1 held the next watch back for at least a second */
	assert_true(mono_to_ms(mono_sub(srv.watch_at[3], srv.watch_at[2])) >= 1000);
	const struct k8s_informer_stats *st = k8s_informer_stats(inf);
	assert_int_equal(st->lists, 2);
	assert_int_equal(st->pages, 3);
	assert_int_equal(st->relists_gone, 1);
	assert_int_equal(st->synthetic_deletes, 1);
	assert_int_equal(st->bookmarks, 1);
	assert_int_equal(st->events, 3);
	assert_int_equal(st->failures, 1);
	assert_string_equal(k8s_informer_resource_version(inf), "21");
	assert_true(k8s_informer_synced(inf));
	const struct k8s_store *store = k8s_informer_store(inf);
	assert_int_equal(k8s_store_count(store), 2);
	assert_string_equal(k8s_meta(k8s_store_get(store, "t/a"), "resourceVersion"), "20");
	assert_non_null(k8s_store_get(store, "t/c"));
	k8s_informer_free(inf);
	k8s_client_free(c);
	server_stop();
	loop_free();
}

/* --- intake drops managedFields ------------------------------------------------------------ */

#define MF "\"managedFields\":[{\"manager\":\"kubectl\",\"operation\":\"Update\"," \
	"\"fieldsV1\":{\"f:spec\":{\"f:ports\":{}}}}]"

static void managed_fields_server(struct server *s, struct evhttp_request *req, const char *uri,
				  enum evhttp_cmd_type cmd)
{
	if (!strstr(uri, "watch=1")) {
		s->lists++;
		reply(req, 200, "{\"kind\":\"ServiceList\",\"metadata\":{\"resourceVersion\":\"5\"},"
		      "\"items\":[{\"metadata\":{\"name\":\"a\",\"namespace\":\"t\","
		      "\"resourceVersion\":\"1\",\"annotations\":{\"k\":\"v\"}," MF "},"
		      "\"spec\":{\"type\":\"LoadBalancer\"}}]}");
		return;
	}
	s->watches++;
	evhttp_send_reply_start(req, 200, "OK");
	chunk(req, "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Service\",\"apiVersion\":\"v1\","
	      "\"metadata\":{\"name\":\"b\",\"namespace\":\"t\",\"resourceVersion\":\"6\","
	      "\"labels\":{\"app\":\"web\"}," MF "},\"status\":{\"loadBalancer\":{}}}}\n");
	s->held = req;
}

static void mf_seen(const json_t *obj)
{
	const json_t *meta = json_object_get(obj, "metadata");
	logf_("%s managedFields=%s", k8s_meta(obj, "name"),
	      json_object_get(meta, "managedFields") ? "yes" : "no");
	if (!strcmp(k8s_meta(obj, "name"), "b"))
		loop_stop();
}

static void mf_added(void *arg, const json_t *obj)
{
	mf_seen(obj);
}

static void test_informer_drops_managed_fields(void **state)
{
	server_start(managed_fields_server);
	struct k8s_client *c = new_client(NULL, NULL);
	static const struct k8s_informer_handlers h = { mf_added, NULL, NULL, NULL };
	struct k8s_informer *inf = k8s_informer_new(c, &k8s_res_services, NULL, &h, NULL);
	k8s_informer_start(inf);
	run_loop();
	assert_string_equal(srv.log, "a managedFields=no|b managedFields=no|");
	const struct k8s_store *store = k8s_informer_store(inf);
	const json_t *a = k8s_store_get(store, "t/a"), *b = k8s_store_get(store, "t/b");
	/* everything else is kept: readers use it, and status PUTs send it back */
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(json_object_get(a, "metadata"), "annotations"), "k")), "v");
	assert_string_equal(json_string_value(json_object_get(json_object_get(a, "spec"), "type")),
			    "LoadBalancer");
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(json_object_get(b, "metadata"), "labels"), "app")), "web");
	assert_non_null(json_object_get(json_object_get(b, "status"), "loadBalancer"));
	assert_string_equal(k8s_meta(b, "resourceVersion"), "6");
	assert_int_equal(json_object_size(json_object_get(a, "metadata")), 4);
	k8s_informer_free(inf);
	k8s_client_free(c);
	server_stop();
	loop_free();
}

/* --- token file re-read after 401 ----------------------------------------------------------- */

static char token_path[64];

static void write_token(const char *token)
{
	FILE *f = fopen(token_path, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", token);
	fclose(f);
}

static void auth_server(struct server *s, struct evhttp_request *req, const char *uri,
			enum evhttp_cmd_type cmd)
{
	const char *auth = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
	s->gets++;
	logf_("%s", auth ? auth : "none");
	if (!auth || strcmp(auth, "Bearer good") != 0) {
		write_token("good");     /* the kubelet rotates the token meanwhile */
		reply(req, 401, "{\"kind\":\"Status\",\"code\":401,\"reason\":\"Unauthorized\"}");
		return;
	}
	reply(req, 200, "{\"kind\":\"Namespace\",\"metadata\":{\"name\":\"t\"}}");
}

static void auth_done(void *arg, const struct k8s_response *resp)
{
	*(enum k8s_outcome *)arg = resp->status.outcome;
	assert_string_equal(k8s_meta(resp->body, "name"), "t");
	loop_stop();
}

static void test_token_file_reread_after_401(void **state)
{
	strcpy(token_path, "/tmp/ingot-k8s-token.XXXXXX");
	int fd = mkstemp(token_path);
	assert_true(fd >= 0);
	close(fd);
	write_token("stale");
	server_start(auth_server);
	struct k8s_client *c = new_client(NULL, token_path);
	enum k8s_outcome outcome = K8S_OTHER;
	k8s_request(c, "GET", "/api/v1/namespaces/t", NULL, NULL, auth_done, &outcome);
	run_loop();
	assert_int_equal(outcome, K8S_OK);
	assert_string_equal(srv.log, "Bearer stale|Bearer good|");
	k8s_client_free(c);
	server_stop();
	loop_free();
	unlink(token_path);
}

/* --- status writes with conflicts ---------------------------------------------------------- */

static int conflicts_to_send;

static void status_server(struct server *s, struct evhttp_request *req, const char *uri,
			  enum evhttp_cmd_type cmd)
{
	char body[512];
	if (cmd == EVHTTP_REQ_GET) {
		assert_string_equal(uri, "/api/v1/namespaces/t/services/web");
		s->gets++;
		snprintf(body, sizeof(body), "{\"kind\":\"Service\",\"apiVersion\":\"v1\",\"metadata\":"
			 "{\"name\":\"web\",\"namespace\":\"t\",\"resourceVersion\":\"%d\"}}", 100 + s->gets);
		reply(req, 200, body);
		return;
	}
	assert_int_equal(cmd, EVHTTP_REQ_PUT);
	assert_string_equal(uri, "/api/v1/namespaces/t/services/web/status");
	const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
	assert_string_equal(ct, "application/json");
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(in);
	char *text = malloc(n + 1);
	evbuffer_copyout(in, text, n);
	text[n] = '\0';
	json_t *svc = json_loads(text, 0, NULL);
	free(text);
	assert_non_null(svc);
	logf_("PUT rv=%s", k8s_meta(svc, "resourceVersion"));
	s->puts++;
	if (s->puts <= conflicts_to_send) {
		reply(req, 409, "{\"kind\":\"Status\",\"code\":409,\"reason\":\"Conflict\",\"message\":"
		      "\"the object has been modified\"}");
	} else {
		char *out = json_dumps(svc, 0);
		reply(req, 200, out);
		free(out);
	}
	json_decref(svc);
}

struct job {
	const char **ips;
	int mutations;
	struct k8s_status st;
};

static bool set_ip(void *arg, json_t *svc)
{
	struct job *j = arg;
	j->mutations++;
	return k8s_service_set_ingress(j->ips, svc);
}

static void status_done(void *arg, const struct k8s_status *st, const json_t *obj)
{
	struct job *j = arg;
	j->st = *st;
	if (st->outcome == K8S_OK) {
		json_t *ing = json_object_get(json_object_get(json_object_get(obj, "status"),
							      "loadBalancer"), "ingress");
		assert_string_equal(json_string_value(json_object_get(json_array_get(ing, 0), "ip")),
				    "198.51.100.1");
	}
	loop_stop();
}

static void test_status_update_conflicts(void **state)
{
	static const char *ips[] = { "198.51.100.1", NULL };
	json_t *stale = json_loads("{\"kind\":\"Service\",\"apiVersion\":\"v1\",\"metadata\":"
				   "{\"name\":\"web\",\"namespace\":\"t\",\"resourceVersion\":\"7\"}}",
				   0, NULL);
	struct job j = { ips, 0, { 0 } };

	/* two conflicts, then success: each retry re-reads and re-applies */
	server_start(status_server);
	conflicts_to_send = 2;
	struct k8s_client *c = new_client("tok", NULL);
	k8s_update_status(c, &k8s_res_services, "t", "web", stale, set_ip, status_done, &j);
	run_loop();
	assert_int_equal(j.st.outcome, K8S_OK);
	assert_string_equal(srv.log, "PUT rv=7|PUT rv=101|PUT rv=102|");
	assert_int_equal(srv.gets, 2);
	assert_int_equal(j.mutations, 3);
	k8s_client_free(c);
	server_stop();

	/* always conflicting: gives up after K8S_STATUS_MAX_ATTEMPTS writes */
	server_start(status_server);
	conflicts_to_send = 1000;
	c = new_client("tok", NULL);
	k8s_update_status(c, &k8s_res_services, "t", "web", NULL, set_ip, status_done, &j);
	run_loop();
	assert_int_equal(j.st.outcome, K8S_CONFLICT);
	assert_string_equal(j.st.reason, "Conflict");
	assert_int_equal(srv.puts, K8S_STATUS_MAX_ATTEMPTS);
	k8s_client_free(c);
	server_stop();

	/* already as wanted: nothing is written */
	json_t *done = json_deep_copy(stale);
	k8s_service_set_ingress((void *)ips, done);
	server_start(status_server);
	c = new_client("tok", NULL);
	k8s_update_status(c, &k8s_res_services, "t", "web", done, set_ip, status_done, &j);
	run_loop();
	assert_int_equal(j.st.outcome, K8S_OK);
	assert_int_equal(srv.puts + srv.gets, 0);
	k8s_client_free(c);
	server_stop();
	json_decref(done);
	json_decref(stale);
	loop_free();
}

/* --- client edge cases --------------------------------------------------------------------- */

static void edge_server(struct server *s, struct evhttp_request *req, const char *uri,
			enum evhttp_cmd_type cmd)
{
	s->gets++;
	if (!strcmp(uri, "/notjson")) {
		reply(req, 200, "<html>hello</html>");
	} else if (!strcmp(uri, "/big")) {
		static char big[8192];
		memset(big, ' ', sizeof(big) - 1);
		big[0] = '[';
		big[sizeof(big) - 2] = ']';
		reply(req, 200, big);
	} else if (!strcmp(uri, "/stream-huge")) {
		evhttp_send_reply_start(req, 200, "OK");
		static char line[3000];
		memset(line, 'x', sizeof(line) - 2);
		line[sizeof(line) - 2] = '\n';
		chunk(req, "{\"a\":1}\n");
		chunk(req, line);
		evhttp_send_reply_end(req);
	} else if (!strcmp(uri, "/stream-three")) {
		evhttp_send_reply_start(req, 200, "OK");
		chunk(req, "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n");
		s->held = req;
	} else if (!strcmp(uri, "/slow")) {
		s->held = req;   /* never answered */
	} else {
		reply(req, 503, "{\"kind\":\"Status\",\"code\":503,\"reason\":\"ServiceUnavailable\"}");
	}
}

struct edge {
	struct k8s_status st;
	int lines;
	int done;
	struct k8s_request *req;
	bool cancel_in_line;
};

static void edge_done(void *arg, const struct k8s_response *resp)
{
	struct edge *e = arg;
	e->st = resp->status;
	e->done++;
	loop_stop();
}

static void edge_line(void *arg, const char *line, size_t len)
{
	struct edge *e = arg;
	e->lines++;
	if (e->cancel_in_line) {
		/* cancelling from inside curl's write callback: no more lines, no done, then a new
		 * request started from the callback runs normally */
		k8s_request_cancel(e->req);
		k8s_request(srv_client_for_edge, "GET", "/other", NULL, NULL, edge_done, e);
	}
}

static void edge_call(struct k8s_client *c, const char *path, struct edge *e)
{
	memset(e, 0, sizeof(*e));
	e->req = k8s_request(c, "GET", path, NULL, NULL, edge_done, e);
	run_loop();
	assert_int_equal(e->done, 1);
}

static void test_client_edge_cases(void **state)
{
	server_start(edge_server);
	char server[64];
	snprintf(server, sizeof(server), "http://127.0.0.1:%d", srv.port);
	struct k8s_config cfg = { .server = server, .namespace = "t" };
	struct k8s_client_options o = { .timeout_ms = 300, .max_body = 4096 };
	struct k8s_client *c = k8s_client_new(&cfg, &o);
	srv_client_for_edge = c;
	struct edge e;

	edge_call(c, "/notjson", &e);
	assert_int_equal(e.st.outcome, K8S_OTHER);
	assert_string_equal(e.st.message, "response is not JSON");

	edge_call(c, "/big", &e);
	assert_int_equal(e.st.outcome, K8S_TRANSPORT);
	assert_non_null(strstr(e.st.message, "larger than 4096"));

	edge_call(c, "/unavailable", &e);
	assert_int_equal(e.st.outcome, K8S_SERVER_ERROR);
	assert_string_equal(e.st.reason, "ServiceUnavailable");

	edge_call(c, "/slow", &e);
	assert_int_equal(e.st.outcome, K8S_TRANSPORT);
	assert_non_null(strstr(e.st.message, "imeout"));
	evhttp_send_reply(srv.held, 200, "OK", NULL);
	srv.held = NULL;

	/* a stream line over the bound fails the stream after delivering what came before */
	memset(&e, 0, sizeof(e));
	e.req = k8s_stream(c, "/stream-huge", 0, 1024, edge_line, edge_done, &e);
	run_loop();
	assert_int_equal(e.lines, 1);
	assert_int_equal(e.st.outcome, K8S_TRANSPORT);
	assert_non_null(strstr(e.st.message, "watch event larger than 1024"));

	/* cancel from inside the line callback */
	memset(&e, 0, sizeof(e));
	e.cancel_in_line = true;
	e.req = k8s_stream(c, "/stream-three", 0, 0, edge_line, edge_done, &e);
	run_loop();
	assert_int_equal(e.lines, 1);
	assert_int_equal(e.done, 1);     /* from the request started in the callback */
	assert_int_equal(e.st.outcome, K8S_SERVER_ERROR);
	k8s_client_free(c);
	server_stop();

	/* nobody listening */
	cfg.server = "http://127.0.0.1:1";
	c = k8s_client_new(&cfg, &o);
	edge_call(c, "/x", &e);
	assert_int_equal(e.st.outcome, K8S_TRANSPORT);
	assert_int_equal(e.st.http, 0);
	k8s_client_free(c);
	loop_free();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_informer_list_watch_relist),
		cmocka_unit_test(test_informer_drops_managed_fields),
		cmocka_unit_test(test_token_file_reread_after_401),
		cmocka_unit_test(test_status_update_conflicts),
		cmocka_unit_test(test_client_edge_cases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
