/*
 * Response status mapping and Retry-After parsing (see status.h).
 */
#include "k8s/status.h"

#include <stdio.h>
#include <string.h>

#define RETRY_AFTER_MAX_S 3600

static const char *const outcome_names[] = {
	[K8S_OK] = "ok",
	[K8S_NOT_FOUND] = "not-found",
	[K8S_CONFLICT] = "conflict",
	[K8S_GONE] = "gone",
	[K8S_UNAUTHORIZED] = "unauthorized",
	[K8S_FORBIDDEN] = "forbidden",
	[K8S_INVALID] = "invalid",
	[K8S_TOO_MANY_REQUESTS] = "too-many-requests",
	[K8S_SERVER_ERROR] = "server-error",
	[K8S_TRANSPORT] = "transport",
	[K8S_OTHER] = "other",
};

const char *k8s_outcome_name(enum k8s_outcome o)
{
	return (size_t)o < sizeof(outcome_names) / sizeof(outcome_names[0]) ? outcome_names[o] : "?";
}

static enum k8s_outcome outcome_of(long http)
{
	if (http >= 200 && http < 300)
		return K8S_OK;
	switch (http) {
	case 400:
	case 415:
	case 422:
		return K8S_INVALID;
	case 401:
		return K8S_UNAUTHORIZED;
	case 403:
		return K8S_FORBIDDEN;
	case 404:
		return K8S_NOT_FOUND;
	case 409:
		return K8S_CONFLICT;
	case 410:
		return K8S_GONE;
	case 429:
		return K8S_TOO_MANY_REQUESTS;
	default:
		return http >= 500 && http < 600 ? K8S_SERVER_ERROR : K8S_OTHER;
	}
}

void k8s_status_from_http(long http, const json_t *body, struct k8s_status *st)
{
	memset(st, 0, sizeof(*st));
	st->http = http;
	st->code = http;
	st->outcome = outcome_of(http);
	const char *kind = json_string_value(json_object_get(body, "kind"));
	if (!kind || strcmp(kind, "Status") != 0)
		return;
	const char *reason = json_string_value(json_object_get(body, "reason"));
	const char *message = json_string_value(json_object_get(body, "message"));
	const json_t *code = json_object_get(body, "code");
	snprintf(st->reason, sizeof(st->reason), "%s", reason ? reason : "");
	snprintf(st->message, sizeof(st->message), "%s", message ? message : "");
	if (json_is_integer(code) && json_integer_value(code) > 0)
		st->code = (long)json_integer_value(code);
}

void k8s_status_transport(const char *message, struct k8s_status *st)
{
	memset(st, 0, sizeof(*st));
	st->outcome = K8S_TRANSPORT;
	snprintf(st->message, sizeof(st->message), "%s", message ? message : "");
}

bool k8s_outcome_retryable(enum k8s_outcome o)
{
	return o == K8S_TOO_MANY_REQUESTS || o == K8S_SERVER_ERROR || o == K8S_TRANSPORT;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

bool k8s_parse_retry_after(const char *value, time_t now, monotime *delay)
{
	if (!value)
		return false;
	while (*value == ' ' || *value == '\t')
		value++;
	char v[64];
	snprintf(v, sizeof(v), "%s", value);
	size_t n = strlen(v);
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r' || v[n - 1] == '\n'))
		v[--n] = '\0';
	long long secs;
	if (all_digits(v)) {
		if (n > 9)
			secs = RETRY_AFTER_MAX_S;
		else
			sscanf(v, "%lld", &secs);
	} else {
		/* RFC 9110 5.6.7 IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT" */
		struct tm tm;
		memset(&tm, 0, sizeof(tm));
		const char *end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
		if (!end || *end)
			return false;
		time_t at = timegm(&tm);
		secs = at > now ? (long long)(at - now) : 0;
	}
	if (secs > RETRY_AFTER_MAX_S)
		secs = RETRY_AFTER_MAX_S;
	*delay = mono_from_s(secs);
	return true;
}
