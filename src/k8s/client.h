/*
 * Asynchronous HTTP client for the API server: libcurl's multi interface driven by the process's
 * event loop (core/loop.h), so every request and watch shares the one thread with everything else.
 *
 * A request is a method, a path (with query) relative to the server URL and an optional JSON body;
 * its completion callback gets a struct k8s_response: the outcome (k8s/status.h, including the
 * reason/code/message of a meta/v1 Status body), the parsed JSON body and any Retry-After. A stream
 * request (a watch) hands each newline-framed line to a callback as it arrives and completes when
 * the server ends the response.
 *
 * TLS uses the CA, client certificate and key from memory (k8s/kubeconfig.h), HTTP/2 where the
 * server offers it (requests then share one connection), and a bearer token that is re-read from
 * its file every minute and, after a 401, re-read and the request retried once.
 *
 * Ownership: the client owns every request. A request handle is valid until its completion
 * callback returns or it is cancelled; after k8s_request_cancel() no callback runs. Callbacks may
 * start and cancel requests (also from inside a stream's line callback) but must not free the
 * client.
 */
#ifndef INGOT_K8S_CLIENT_H
#define INGOT_K8S_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/monotime.h"
#include "k8s/kubeconfig.h"
#include "k8s/status.h"

struct k8s_client;
struct k8s_request;

struct k8s_response {
	struct k8s_status status;
	json_t *body;            /* parsed JSON body, or NULL; borrowed: json_incref() to keep it */
	bool has_retry_after;
	monotime retry_after;
};

typedef void (*k8s_done_fn)(void *arg, const struct k8s_response *resp);
/* One line of a stream (not NUL-terminated). */
typedef void (*k8s_line_fn)(void *arg, const char *line, size_t len);

struct k8s_client_options {
	long timeout_ms;             /* whole-request timeout for non-stream requests; default 30 s */
	long connect_timeout_ms;     /* default 10 s */
	size_t max_body;             /* largest non-stream response body; default 256 MiB */
	bool http1;                  /* disable HTTP/2 */
};

/* Copies what it needs from cfg; opts may be NULL. Uses the loop from core/loop.h. */
struct k8s_client *k8s_client_new(const struct k8s_config *cfg, const struct k8s_client_options *opts);
/* Cancels every request (no callbacks) and frees the client. Not from inside a callback. */
void k8s_client_free(struct k8s_client *c);
/* The namespace of the config's context (or the pod's). */
const char *k8s_client_namespace(const struct k8s_client *c);
const char *k8s_client_server(const struct k8s_client *c);

/* Starts METHOD path. body (borrowed, serialised now) may be NULL; content_type defaults to
 * application/json when there is a body. done is called exactly once unless cancelled. */
struct k8s_request *k8s_request(struct k8s_client *c, const char *method, const char *path,
				const json_t *body, const char *content_type, k8s_done_fn done, void *arg);
/* Starts a streaming GET: each line goes to on_line while the response is 2xx (a non-2xx body is
 * collected and reported to done). A line longer than max_line (0: K8S_FRAME_MAX_DEFAULT) fails
 * the stream with a transport outcome. timeout_s bounds the whole stream (0: none). */
struct k8s_request *k8s_stream(struct k8s_client *c, const char *path, long timeout_s,
			       size_t max_line, k8s_line_fn on_line, k8s_done_fn done, void *arg);
void k8s_request_cancel(struct k8s_request *r);

/* Percent-encodes a query value (RFC 3986 unreserved kept). Caller frees. */
char *k8s_escape(const char *value);

#endif
