/*
 * What an API response means (pure, no I/O).
 *
 * Maps the HTTP status and, when the body is a meta/v1 Status object, its reason, code and message
 * (https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/status/) to an outcome the
 * callers switch on, and parses Retry-After (RFC 9110 10.2.3: delay-seconds or an HTTP-date), which
 * the API server sends with 429 (API Priority and Fairness) and some 5xx.
 */
#ifndef INGOT_K8S_STATUS_H
#define INGOT_K8S_STATUS_H

#include <jansson.h>
#include <stdbool.h>
#include <time.h>

#include "core/monotime.h"

enum k8s_outcome {
	K8S_OK,                  /* 2xx */
	K8S_NOT_FOUND,           /* 404 */
	K8S_CONFLICT,            /* 409: stale resourceVersion, or AlreadyExists */
	K8S_GONE,                /* 410: resourceVersion too old / continue token expired */
	K8S_UNAUTHORIZED,        /* 401 */
	K8S_FORBIDDEN,           /* 403 */
	K8S_INVALID,             /* 400, 415, 422: our request is wrong; retrying will not help */
	K8S_TOO_MANY_REQUESTS,   /* 429 */
	K8S_SERVER_ERROR,        /* 5xx */
	K8S_TRANSPORT,           /* no HTTP answer: connect, TLS, timeout, reset */
	K8S_OTHER,               /* any other status */
};

struct k8s_status {
	enum k8s_outcome outcome;
	long http;               /* HTTP status, 0 for transport errors */
	long code;               /* Status.code, else http */
	char reason[64];         /* Status.reason ("NotFound", "Conflict", "Expired"...), or "" */
	char message[512];       /* Status.message, or a transport error, or "" */
};

/* Fills st from an HTTP status and an optional parsed body. */
void k8s_status_from_http(long http, const json_t *body, struct k8s_status *st);
/* A transport failure (no status line). */
void k8s_status_transport(const char *message, struct k8s_status *st);
const char *k8s_outcome_name(enum k8s_outcome o);
/* Worth retrying later with the same request (429, 5xx, transport). */
bool k8s_outcome_retryable(enum k8s_outcome o);
/* Parses a Retry-After value; now is the wall clock for HTTP-dates. Returns false if absent or
 * malformed. Delays are capped at one hour. */
bool k8s_parse_retry_after(const char *value, time_t now, monotime *delay);

#endif
