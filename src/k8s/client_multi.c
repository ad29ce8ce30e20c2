/*
 * libcurl multi on the event loop, and completion of requests (see client.h, client_int.h).
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
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/loop.h"
#include "k8s/client_int.h"

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
		client_reset_response(r);
		client_set_auth_headers(r);
		client_add_to_curl(r);
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
	client_list_del(&c->requests, r);
	r->state = REQ_DEAD;             /* cancel from inside done is a no-op */
	if (r->done)
		r->done(r->arg, &resp);
	json_decref(body);
	client_free_request(r);
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

void client_flush_deferred(struct k8s_client *c)
{
	while (c->dead) {
		struct k8s_request *r = c->dead;
		client_list_del(&c->dead, r);
		curl_multi_remove_handle(c->multi, r->easy);
		client_free_request(r);
	}
	for (struct k8s_request *r = c->requests; r; r = r->next)
		if (r->state == REQ_QUEUED)
			client_add_to_curl(r);
}

static void after_curl(struct k8s_client *c)
{
	client_flush_deferred(c);
	check_done(c);
	client_flush_deferred(c);
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

void client_multi_init(struct k8s_client *c)
{
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
}

void client_multi_cleanup(struct k8s_client *c)
{
	curl_multi_cleanup(c->multi);
	timer_free(c->timer);
	timer_free(c->kick);
}
