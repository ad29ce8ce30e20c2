/*
 * HTTP client on libcurl multi (see client.h): building requests (URL, TLS, headers, body) and
 * collecting their responses; client_multi.c drives them on the event loop.
 */
#include "k8s/client.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/xalloc.h"
#include "k8s/client_int.h"
#include "k8s/framer.h"
#include "k8s/token.h"

#define DEFAULT_TIMEOUT_MS 30000
#define DEFAULT_CONNECT_TIMEOUT_MS 10000
#define DEFAULT_MAX_BODY (256u << 20)

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

void client_set_auth_headers(struct k8s_request *r)
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
	/* With tls-server-name, c->server names that host and connect_to maps it to the real one. */
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
	if (c->connect_to)
		curl_easy_setopt(e, CURLOPT_CONNECT_TO, c->connect_to);
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
	client_set_auth_headers(r);
}

void client_free_request(struct k8s_request *r)
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

void client_reset_response(struct k8s_request *r)
{
	r->resp_len = 0;
	r->resp_too_large = false;
	r->frame_error = false;
	r->has_retry_after = false;
	k8s_framer_reset(&r->framer);
}

void client_add_to_curl(struct k8s_request *r)
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
	client_list_add(&c->requests, r);
	if (c->busy) {
		r->state = REQ_QUEUED;
		timer_start(c->kick, mono_zero());
	} else {
		client_add_to_curl(r);
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
	client_list_del(&c->requests, r);
	if (c->busy) {
		/* curl may be inside this very transfer's write callback: park it. */
		r->state = REQ_DEAD;
		client_list_add(&c->dead, r);
		timer_start(c->kick, mono_zero());
		return;
	}
	if (r->state == REQ_ACTIVE)
		curl_multi_remove_handle(c->multi, r->easy);
	client_free_request(r);
}

/* --- client ------------------------------------------------------------------------------- */

/*
 * kubeconfig tls-server-name: TLS (SNI and the certificate check) uses that name while the
 * connection goes to the server URL's host. curl checks against the URL's host, so the URL gets
 * the TLS name and CURLOPT_CONNECT_TO ("name:port:host:port") sends the connection to the real
 * host.
 */
static void use_tls_server_name(struct k8s_client *c, const char *name)
{
	const char *p = strstr(c->server, "://");
	if (!p)
		return;
	const char *host = p + 3;
	const char *end = host[0] == '[' ? strchr(host, ']') : host + strcspn(host, ":/");
	if (!end)
		return;
	if (host[0] == '[')
		end++;
	const char *port = "443";
	size_t portlen = 3;
	const char *rest = end;
	if (*end == ':') {
		port = end + 1;
		portlen = strcspn(port, "/");
		rest = port + portlen;
	}
	char *target = xasprintf("%.*s:%.*s:%.*s:%.*s", (int)strlen(name), name, (int)portlen, port,
				 (int)(end - host), host, (int)portlen, port);
	c->connect_to = curl_slist_append(NULL, target);
	free(target);
	if (!c->connect_to)
		log_fatal("k8s", "out of memory", "");
	char *server = xasprintf("%.*s%s:%.*s%s", (int)(host - c->server), c->server, name,
				 (int)portlen, port, rest);
	free(c->server);
	c->server = server;
}

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
	if (cfg->tls_server_name)
		use_tls_server_name(c, cfg->tls_server_name);
	c->namespace = xstrdup(cfg->namespace ? cfg->namespace : "default");
	c->ca = blob_copy(&cfg->ca);
	c->cert = blob_copy(&cfg->client_cert);
	c->key = blob_copy(&cfg->client_key);
	c->insecure = cfg->insecure;
	k8s_token_init(&c->token, cfg->token, cfg->token_file);
	client_multi_init(c);
	return c;
}

void k8s_client_free(struct k8s_client *c)
{
	if (!c)
		return;
	while (c->requests) {
		struct k8s_request *r = c->requests;
		client_list_del(&c->requests, r);
		if (r->state == REQ_ACTIVE)
			curl_multi_remove_handle(c->multi, r->easy);
		client_free_request(r);
	}
	client_flush_deferred(c);
	client_multi_cleanup(c);
	k8s_token_free(&c->token);
	curl_slist_free_all(c->connect_to);
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
