/*
 * HTTP client on libcurl multi (see client.h).
 *
 * Glue: curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to call it back
 * (CURLMOPT_TIMERFUNCTION); we register fd watches and one timer with core/loop.h and call
 * curl_multi_socket_action() when they fire, then collect finished transfers.
 *
 * libcurl forbids adding or removing easy handles from inside its own callbacks, and a stream's
 * line callback runs inside curl's write callback. So while curl is running (`busy`), new requests
 * are queued and cancelled ones are parked; a zero-delay timer (`kick`) adds and frees them as soon
 * as curl has returned.
 */
#include "k8s/client.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/xalloc.h"
#include "k8s/framer.h"
#include "k8s/token.h"

#define DEFAULT_TIMEOUT_MS 30000
#define DEFAULT_CONNECT_TIMEOUT_MS 10000
#define DEFAULT_MAX_BODY (256u << 20)

enum req_state {
	REQ_QUEUED,              /* waiting for the kick timer to add it to curl */
	REQ_ACTIVE,              /* added to curl */
	REQ_DEAD,                /* cancelled while curl was busy; freed by the kick timer */
};

struct k8s_request {
	struct k8s_client *c;
	struct k8s_request *next, *prev;    /* in c->requests (queued and active) or c->dead */
	enum req_state state;
	CURL *easy;
	struct curl_slist *headers;
	char *method;
	char *path;
	char *body;                          /* serialised request body, or NULL */
	size_t body_len;
	char *content_type;
	k8s_done_fn done;
	k8s_line_fn on_line;
	void *arg;
	bool stream;
	bool retried_401;
	long timeout_ms;
	/* response */
	char *resp;
	size_t resp_len, resp_cap;
	bool resp_too_large;
	struct k8s_framer framer;
	bool frame_error;
	bool has_retry_after;
	char retry_after[64];
	monotime started;
};

struct k8s_client {
	CURLM *multi;
	struct timer *timer;                 /* curl's timeout */
	struct timer *kick;                  /* deferred adds and frees */
	struct k8s_request *requests;
	struct k8s_request *dead;
	int busy;                            /* > 0 while inside curl_multi_socket_action() */
	struct k8s_client_options opts;
	char *server;
	char *namespace;
	struct k8s_blob ca, cert, key;
	bool insecure;
	struct k8s_token token;
};

static void list_add(struct k8s_request **head, struct k8s_request *r)
{
	r->prev = NULL;
	r->next = *head;
	if (*head)
		(*head)->prev = r;
	*head = r;
}

static void list_del(struct k8s_request **head, struct k8s_request *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		*head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->next = r->prev = NULL;
}

static struct k8s_blob blob_copy(const struct k8s_blob *b)
{
	struct k8s_blob out = { NULL, 0 };
	if (b->len) {
		out.data = xmalloc(b->len + 1);
		memcpy(out.data, b->data, b->len);
		out.data[b->len] = 0;
		out.len = b->len;
	}
	return out;
}

char *k8s_escape(const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(value);
	char *out = xmalloc(n * 3 + 1), *o = out;
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

/* --- per-request curl callbacks ---------------------------------------------------------- */

static bool append_resp(struct k8s_request *r, const char *p, size_t n)
{
	if (n > r->c->opts.max_body - r->resp_len) {
		r->resp_too_large = true;
		return false;
	}
	if (r->resp_len + n + 1 > r->resp_cap) {
		size_t cap = r->resp_cap ? r->resp_cap : 16384;
		while (cap < r->resp_len + n + 1)
			cap *= 2;
		r->resp = xreallocarray(r->resp, cap, 1);
		r->resp_cap = cap;
	}
	memcpy(r->resp + r->resp_len, p, n);
	r->resp_len += n;
	r->resp[r->resp_len] = '\0';
	return true;
}

static bool frame_line(void *arg, const char *line, size_t len)
{
	struct k8s_request *r = arg;
	r->on_line(r->arg, line, len);
	return r->state != REQ_DEAD;     /* cancelled from the callback: stop delivering */
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct k8s_request *r = userdata;
	size_t n = size * nmemb;
	if (r->state == REQ_DEAD)
		return 0;
	long http = 0;
	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &http);
	if (r->stream && http >= 200 && http < 300) {
		enum k8s_frame_result fr = k8s_framer_feed(&r->framer, ptr, n, frame_line, r);
		if (fr == K8S_FRAME_TOO_LARGE) {
			r->frame_error = true;
			return 0;
		}
		return r->state == REQ_DEAD ? 0 : n;
	}
	return append_resp(r, ptr, n) ? n : 0;
}

static size_t header_cb(char *buf, size_t size, size_t nitems, void *userdata)
{
	struct k8s_request *r = userdata;
	size_t n = size * nitems;
	if (n >= 5 && !strncmp(buf, "HTTP/", 5)) {
		r->has_retry_after = false;      /* a new response (after 100 Continue, a retry) */
		return n;
	}
	static const char ra[] = "retry-after:";
	static const char warn[] = "warning:";
	if (n > sizeof(ra) - 1 && !strncasecmp(buf, ra, sizeof(ra) - 1)) {
		size_t len = n - (sizeof(ra) - 1);
		if (len >= sizeof(r->retry_after))
			len = sizeof(r->retry_after) - 1;
		memcpy(r->retry_after, buf + sizeof(ra) - 1, len);
		r->retry_after[len] = '\0';
		r->has_retry_after = true;
	} else if (n > sizeof(warn) - 1 && !strncasecmp(buf, warn, sizeof(warn) - 1)) {
		static struct log_ratelimit rl = LOG_RATELIMIT(10, 1);
		int len = (int)(n - (sizeof(warn) - 1));
		while (len > 0 && (buf[sizeof(warn) - 1 + (size_t)len - 1] == '\n' ||
				   buf[sizeof(warn) - 1 + (size_t)len - 1] == '\r'))
			len--;
		log_rl(&rl, LOGL_WARN, "k8s", "API server warning", "path=%s warning=%.*s", r->path,
		       len, buf + sizeof(warn) - 1);
	}
	return n;
}

/* --- building requests ------------------------------------------------------------------- */

static void set_auth_headers(struct k8s_request *r)
{
	struct k8s_client *c = r->c;
	curl_slist_free_all(r->headers);
	r->headers = NULL;
	r->headers = curl_slist_append(r->headers, "Accept: application/json");
	r->headers = curl_slist_append(r->headers, "Expect:");
	if (r->body) {
		char *ct = xasprintf("Content-Type: %s", r->content_type);
		r->headers = curl_slist_append(r->headers, ct);
		free(ct);
	}
	const char *token = k8s_token_get(&c->token, mono_now());
	if (token) {
		char *auth = xasprintf("Authorization: Bearer %s", token);
		r->headers = curl_slist_append(r->headers, auth);
		free(auth);
	}
	if (!r->headers)
		log_fatal("k8s", "cannot build request headers", "");
	curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->headers);
}

static void setup_easy(struct k8s_request *r)
{
	struct k8s_client *c = r->c;
	CURL *e = curl_easy_init();
	if (!e)
		log_fatal("k8s", "cannot create a curl handle", "");
	r->easy = e;
	char *url = xasprintf("%s%s", c->server, r->path);
	curl_easy_setopt(e, CURLOPT_URL, url);
	free(url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "ingot/" "k8s-client");
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, 30L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, 10L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, c->opts.connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, r->timeout_ms);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
			 c->opts.http1 ? (long)CURL_HTTP_VERSION_1_1 : (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	if (c->ca.len) {
		struct curl_blob b = { c->ca.data, c->ca.len, CURL_BLOB_NOCOPY };
		curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &b);
	}
	if (c->cert.len) {
		struct curl_blob cb = { c->cert.data, c->cert.len, CURL_BLOB_NOCOPY };
		struct curl_blob kb = { c->key.data, c->key.len, CURL_BLOB_NOCOPY };
		curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &cb);
		curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &kb);
		curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (c->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (strcmp(r->method, "GET") != 0)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
	if (r->body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
	}
	set_auth_headers(r);
}

static void free_request(struct k8s_request *r)
{
	if (r->easy)
		curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->headers);
	k8s_framer_free(&r->framer);
	free(r->method);
	free(r->path);
	free(r->body);
	free(r->content_type);
	free(r->resp);
	free(r);
}

static void reset_response(struct k8s_request *r)
{
	r->resp_len = 0;
	r->resp_too_large = false;
	r->frame_error = false;
	r->has_retry_after = false;
	k8s_framer_reset(&r->framer);
}

static void add_to_curl(struct k8s_request *r)
{
	r->state = REQ_ACTIVE;
	r->started = mono_now();
	CURLMcode rc = curl_multi_add_handle(r->c->multi, r->easy);
	if (rc != CURLM_OK)
		log_fatal("k8s", "curl_multi_add_handle failed", "error=%s", curl_multi_strerror(rc));
}

static struct k8s_request *start(struct k8s_client *c, const char *method, const char *path,
				 const json_t *body, const char *content_type, k8s_done_fn done,
				 void *arg)
{
	struct k8s_request *r = XNEW(struct k8s_request);
	r->c = c;
	r->method = xstrdup(method);
	r->path = xstrdup(path);
	r->done = done;
	r->arg = arg;
	r->timeout_ms = c->opts.timeout_ms;
	if (body) {
		r->body = json_dumps(body, JSON_COMPACT);
		if (!r->body)
			log_fatal("k8s", "cannot serialise a request body", "path=%s", path);
		r->body_len = strlen(r->body);
		r->content_type = xstrdup(content_type ? content_type : "application/json");
	}
	k8s_framer_init(&r->framer, 0);
	return r;
}

static void submit(struct k8s_request *r)
{
	struct k8s_client *c = r->c;
	setup_easy(r);
	list_add(&c->requests, r);
	if (c->busy) {
		r->state = REQ_QUEUED;
		timer_start(c->kick, mono_zero());
	} else {
		add_to_curl(r);
	}
}

struct k8s_request *k8s_request(struct k8s_client *c, const char *method, const char *path,
				const json_t *body, const char *content_type, k8s_done_fn done, void *arg)
{
	struct k8s_request *r = start(c, method, path, body, content_type, done, arg);
	submit(r);
	return r;
}

struct k8s_request *k8s_stream(struct k8s_client *c, const char *path, long timeout_s,
			       size_t max_line, k8s_line_fn on_line, k8s_done_fn done, void *arg)
{
	struct k8s_request *r = start(c, "GET", path, NULL, NULL, done, arg);
	r->stream = true;
	r->on_line = on_line;
	r->timeout_ms = timeout_s > 0 ? timeout_s * 1000 : 0;
	k8s_framer_init(&r->framer, max_line);
	submit(r);
	return r;
}

void k8s_request_cancel(struct k8s_request *r)
{
	if (!r || r->state == REQ_DEAD)
		return;
	struct k8s_client *c = r->c;
	list_del(&c->requests, r);
	if (c->busy) {
		/* curl may be inside this very transfer's write callback: park it. */
		r->state = REQ_DEAD;
		list_add(&c->dead, r);
		timer_start(c->kick, mono_zero());
		return;
	}
	if (r->state == REQ_ACTIVE)
		curl_multi_remove_handle(c->multi, r->easy);
	free_request(r);
}

/* --- completion -------------------------------------------------------------------------- */

static void log_done(const struct k8s_request *r, const struct k8s_status *st)
{
	if (!log_enabled(LOGL_DEBUG))
		return;
	long version = 0;
	curl_easy_getinfo(r->easy, CURLINFO_HTTP_VERSION, &version);
	log_debug("k8s", "request done", "method=%s path=%s status=%ld outcome=%s http2=%s ms=%lld",
		  r->method, r->path, st->http, k8s_outcome_name(st->outcome),
		  version == CURL_HTTP_VERSION_2_0 ? "yes" : "no",
		  (long long)mono_to_ms(mono_since(r->started)));
}

/* Handles a finished transfer: 401 retry, or the completion callback. */
static void finish(struct k8s_request *r, CURLcode result)
{
	struct k8s_client *c = r->c;
	curl_multi_remove_handle(c->multi, r->easy);
	long http = 0;
	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &http);

	/* The token file may have been rotated since we last read it: every 401 makes the next
	 * request re-read it, and this one is retried once with what it says now. */
	if (result == CURLE_OK && http == 401 && k8s_token_invalidate(&c->token) && !r->retried_401) {
		log_info("k8s", "unauthorized, re-reading the token and retrying", "path=%s", r->path);
		r->retried_401 = true;
		reset_response(r);
		set_auth_headers(r);
		add_to_curl(r);
		return;
	}

	struct k8s_response resp;
	memset(&resp, 0, sizeof(resp));
	json_t *body = NULL;
	if (r->resp_len) {
		json_error_t jerr;
		body = json_loadb(r->resp, r->resp_len, 0, &jerr);
	}
	if (result != CURLE_OK && !(result == CURLE_WRITE_ERROR && !r->frame_error &&
				    !r->resp_too_large)) {
		char msg[400];
		if (r->frame_error)
			snprintf(msg, sizeof(msg), "watch event larger than %zu bytes", r->framer.max);
		else if (r->resp_too_large)
			snprintf(msg, sizeof(msg), "response larger than %zu bytes", c->opts.max_body);
		else
			snprintf(msg, sizeof(msg), "%s", curl_easy_strerror(result));
		k8s_status_transport(msg, &resp.status);
	} else if (result != CURLE_OK) {
		k8s_status_transport("transfer aborted", &resp.status);
	} else {
		k8s_status_from_http(http, body, &resp.status);
		if (resp.status.outcome == K8S_OK && r->resp_len && !body && !r->stream) {
			resp.status.outcome = K8S_OTHER;
			snprintf(resp.status.message, sizeof(resp.status.message),
				 "response is not JSON");
		}
		if (r->stream && resp.status.outcome == K8S_OK && k8s_framer_pending(&r->framer)) {
			static struct log_ratelimit rl = LOG_RATELIMIT(5, 1);
			log_rl(&rl, LOGL_WARN, "k8s", "stream ended inside an event", "path=%s bytes=%zu",
			       r->path, k8s_framer_pending(&r->framer));
		}
		if (resp.status.outcome != K8S_OK && !resp.status.message[0] && r->resp_len)
			snprintf(resp.status.message, sizeof(resp.status.message), "%.*s",
				 (int)(r->resp_len < 300 ? r->resp_len : 300), r->resp);
	}
	if (r->has_retry_after)
		resp.has_retry_after = k8s_parse_retry_after(r->retry_after, time(NULL),
							     &resp.retry_after);
	resp.body = body;
	log_done(r, &resp.status);
	list_del(&c->requests, r);
	r->state = REQ_DEAD;             /* cancel from inside done is a no-op */
	if (r->done)
		r->done(r->arg, &resp);
	json_decref(body);
	free_request(r);
}

static void check_done(struct k8s_client *c)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(c->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		char *priv = NULL;
		CURLcode result = msg->data.result;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		struct k8s_request *r = (struct k8s_request *)priv;
		if (!r || r->state != REQ_ACTIVE)
			continue;
		finish(r, result);
	}
}

static void flush_deferred(struct k8s_client *c)
{
	while (c->dead) {
		struct k8s_request *r = c->dead;
		list_del(&c->dead, r);
		curl_multi_remove_handle(c->multi, r->easy);
		free_request(r);
	}
	for (struct k8s_request *r = c->requests; r; r = r->next)
		if (r->state == REQ_QUEUED)
			add_to_curl(r);
}

static void after_curl(struct k8s_client *c)
{
	flush_deferred(c);
	check_done(c);
	flush_deferred(c);
}

/* --- loop glue ---------------------------------------------------------------------------- */

static void socket_ready(int fd, int events, void *arg)
{
	struct k8s_client *c = arg;
	int flags = (events & WATCH_READ ? CURL_CSELECT_IN : 0) |
		    (events & WATCH_WRITE ? CURL_CSELECT_OUT : 0);
	int running;
	c->busy++;
	curl_multi_socket_action(c->multi, fd, flags, &running);
	c->busy--;
	after_curl(c);
}

static void timeout_fired(void *arg)
{
	struct k8s_client *c = arg;
	int running;
	c->busy++;
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	c->busy--;
	after_curl(c);
}

static void kick_fired(void *arg)
{
	after_curl(arg);
}

static int socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct k8s_client *c = userp;
	struct watch *w = socketp;
	if (what == CURL_POLL_REMOVE) {
		watch_free(w);
		curl_multi_assign(c->multi, s, NULL);
		return 0;
	}
	int events = (what & CURL_POLL_IN ? WATCH_READ : 0) | (what & CURL_POLL_OUT ? WATCH_WRITE : 0);
	if (w) {
		watch_set(w, events);
	} else {
		w = watch_new(s, events, socket_ready, c);
		curl_multi_assign(c->multi, s, w);
	}
	return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct k8s_client *c = userp;
	if (timeout_ms < 0)
		timer_stop(c->timer);
	else
		timer_start(c->timer, mono_from_ms(timeout_ms));
	return 0;
}

/* --- client ------------------------------------------------------------------------------- */

static void global_init(void)
{
	static bool done;
	if (done)
		return;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		log_fatal("k8s", "curl_global_init failed", "");
	done = true;
}

struct k8s_client *k8s_client_new(const struct k8s_config *cfg, const struct k8s_client_options *opts)
{
	global_init();
	struct k8s_client *c = XNEW(struct k8s_client);
	if (opts)
		c->opts = *opts;
	if (c->opts.timeout_ms <= 0)
		c->opts.timeout_ms = DEFAULT_TIMEOUT_MS;
	if (c->opts.connect_timeout_ms <= 0)
		c->opts.connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
	if (!c->opts.max_body)
		c->opts.max_body = DEFAULT_MAX_BODY;
	c->server = xstrdup(cfg->server);
	c->namespace = xstrdup(cfg->namespace ? cfg->namespace : "default");
	c->ca = blob_copy(&cfg->ca);
	c->cert = blob_copy(&cfg->client_cert);
	c->key = blob_copy(&cfg->client_key);
	c->insecure = cfg->insecure;
	k8s_token_init(&c->token, cfg->token, cfg->token_file);
	c->multi = curl_multi_init();
	if (!c->multi)
		log_fatal("k8s", "curl_multi_init failed", "");
	c->timer = timer_new(timeout_fired, c);
	c->kick = timer_new(kick_fired, c);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	return c;
}

void k8s_client_free(struct k8s_client *c)
{
	if (!c)
		return;
	while (c->requests) {
		struct k8s_request *r = c->requests;
		list_del(&c->requests, r);
		if (r->state == REQ_ACTIVE)
			curl_multi_remove_handle(c->multi, r->easy);
		free_request(r);
	}
	flush_deferred(c);
	curl_multi_cleanup(c->multi);
	timer_free(c->timer);
	timer_free(c->kick);
	k8s_token_free(&c->token);
	free(c->server);
	free(c->namespace);
	free(c->ca.data);
	free(c->cert.data);
	free(c->key.data);
	free(c);
}

const char *k8s_client_namespace(const struct k8s_client *c)
{
	return c->namespace;
}

const char *k8s_client_server(const struct k8s_client *c)
{
	return c->server;
}
