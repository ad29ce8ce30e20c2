/*
 * /metrics, /healthz and /readyz on evhttp (see http.h). HTTP itself is libevent's; this file
 * only routes requests and fills bodies.
 */
#include "ops/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/xalloc.h"
#include "ops/health.h"
#include "ops/metrics.h"

enum {
	HTTP_MAX_HEADERS = 8192,
	HTTP_TIMEOUT_S = 10,
	HTTP_SERVICE_UNAVAILABLE = 503,
	HTTP_METHOD_NOT_ALLOWED = 405,
};

struct ops_http {
	struct evhttp *http;
	struct evhttp_bound_socket *listener;
	struct metrics *metrics;
	struct health *health;
	uint16_t port;
};

static void reply(struct evhttp_request *req, int code, const char *reason, const char *type,
		  struct evbuffer *body)
{
	struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
	evhttp_add_header(hdr, "Content-Type", type);
	evhttp_add_header(hdr, "Cache-Control", "no-store");
	evhttp_add_header(hdr, "X-Content-Type-Options", "nosniff");
	evhttp_send_reply(req, code, reason, body);
}

static void serve_health(struct ops_http *s, struct evhttp_request *req, enum health_kind kind,
			 struct evbuffer *body)
{
	bool ok;
	const char *prefix = kind == HEALTH_LIVENESS ? "healthz" : "readyz";
	if (kind == HEALTH_LIVENESS)
		evbuffer_add_printf(body, "[+]loop ok\n");
	if (s->health) {
		ok = health_report(s->health, kind, prefix, body);
	} else {
		evbuffer_add_printf(body, "%s check passed\n", prefix);
		ok = true;
	}
	if (ok)
		reply(req, HTTP_OK, "OK", "text/plain; charset=utf-8", body);
	else
		reply(req, HTTP_SERVICE_UNAVAILABLE, "Service Unavailable", "text/plain; charset=utf-8",
		      body);
}

static void handle(struct evhttp_request *req, void *arg)
{
	struct ops_http *s = arg;
	struct evbuffer *body = evbuffer_new();
	if (!body)
		log_fatal("ops", "cannot allocate an evbuffer", "");
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	if (!path)
		path = "";

	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		evbuffer_add_printf(body, "method not allowed\n");
		reply(req, HTTP_METHOD_NOT_ALLOWED, "Method Not Allowed", "text/plain; charset=utf-8",
		      body);
	} else if (strcmp(path, "/metrics") == 0 && s->metrics) {
		metrics_write(s->metrics, body);
		reply(req, HTTP_OK, "OK", METRICS_CONTENT_TYPE, body);
	} else if (strcmp(path, "/healthz") == 0) {
		serve_health(s, req, HEALTH_LIVENESS, body);
	} else if (strcmp(path, "/readyz") == 0) {
		serve_health(s, req, HEALTH_READINESS, body);
	} else {
		evbuffer_add_printf(body, "404 page not found\n");
		reply(req, HTTP_NOTFOUND, "Not Found", "text/plain; charset=utf-8", body);
	}
	evbuffer_free(body);
}

static uint16_t bound_port(struct evhttp_bound_socket *listener)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(evhttp_bound_socket_get_fd(listener), (struct sockaddr *)&ss, &len) < 0)
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

struct ops_http *ops_http_new(const char *address, uint16_t port, struct metrics *m,
			      struct health *h, char *err, size_t err_len)
{
	unsigned char probe[sizeof(struct in6_addr)];
	if (inet_pton(AF_INET, address, probe) != 1 && inet_pton(AF_INET6, address, probe) != 1) {
		snprintf(err, err_len, "invalid listen address \"%s\" (want an IPv4 or IPv6 literal)",
			 address);
		return NULL;
	}
	signal(SIGPIPE, SIG_IGN);

	struct ops_http *s = XNEW(struct ops_http);
	s->metrics = m;
	s->health = h;
	s->http = evhttp_new(loop_base());
	if (!s->http)
		log_fatal("ops", "cannot create the HTTP server", "");
	/* Every method evhttp parses reaches handle(), which answers 405 to all but GET and HEAD. */
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
				   EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
				   EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(s->http, HTTP_MAX_HEADERS);
	evhttp_set_max_body_size(s->http, 0);
	evhttp_set_timeout(s->http, HTTP_TIMEOUT_S);
	evhttp_set_gencb(s->http, handle, s);

	errno = 0;
	s->listener = evhttp_bind_socket_with_handle(s->http, address, port);
	if (!s->listener) {
		snprintf(err, err_len, "cannot listen on %s port %u: %s", address, port,
			 errno ? strerror(errno) : "bind failed");
		evhttp_free(s->http);
		free(s);
		return NULL;
	}
	s->port = bound_port(s->listener);
	log_info("ops", "HTTP server listening", "address=%s port=%u", address, s->port);
	return s;
}

uint16_t ops_http_port(const struct ops_http *s)
{
	return s->port;
}

void ops_http_free(struct ops_http *s)
{
	if (!s)
		return;
	evhttp_free(s->http);
	free(s);
}

bool ops_listen_parse(const char *text, char **host, uint16_t *port)
{
	const char *colon, *h;
	size_t hlen;
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (!close || close == text + 1 || close[1] != ':')
			return false;
		h = text + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(text, ':');
		if (!colon || memchr(text, ':', (size_t)(colon - text)))
			return false;      /* a bare IPv6 address needs brackets */
		h = text;
		hlen = (size_t)(colon - text);
	}
	const char *p = colon + 1;
	if (!*p || strspn(p, "0123456789") != strlen(p) || strlen(p) > 5)
		return false;
	long v = strtol(p, NULL, 10);
	if (v > 65535)
		return false;
	*port = (uint16_t)v;
	*host = hlen ? xstrndup(h, hlen) : xstrdup("::");
	return true;
}
