/*
 * Event recorder with repeat aggregation (see event.h).
 */
#include "k8s/event.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "k8s/resource.h"
#include "k8s/store.h"

#define CACHE_MAX 4096
#define MESSAGE_MAX 1024                 /* events.k8s.io note limit; keep core/v1 the same */

struct k8s_recorder {
	struct k8s_client *c;
	char *component;
	char *host;
	json_t *cache;                   /* "uid|type|reason|message" -> {ns, name, count, first} */
	uint64_t seq;
};

void k8s_time_now(char buf[32])
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void k8s_microtime_now(char buf[32])
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, 20, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, 32 - 20, ".%06uZ", (unsigned)(ts.tv_nsec / 1000) % 1000000u);
}

json_t *k8s_event_build(const json_t *obj, const char *name, const char *type, const char *reason,
			const char *message, const char *component, const char *host, const char *now)
{
	const char *ns = k8s_meta(obj, "namespace");
	json_t *involved = json_object();
	static const char *const copy_top[] = { "kind", "apiVersion" };
	for (size_t i = 0; i < 2; i++) {
		const char *v = json_string_value(json_object_get(obj, copy_top[i]));
		if (v)
			json_object_set_new(involved, copy_top[i], json_string(v));
	}
	static const char *const copy_meta[] = { "namespace", "name", "uid", "resourceVersion" };
	for (size_t i = 0; i < 4; i++) {
		const char *v = k8s_meta(obj, copy_meta[i]);
		if (v)
			json_object_set_new(involved, copy_meta[i], json_string(v));
	}
	json_t *source = json_object();
	json_object_set_new(source, "component", json_string(component));
	if (host && *host)
		json_object_set_new(source, "host", json_string(host));
	json_t *ev = json_pack("{s:s, s:s, s:{s:s, s:s}, s:o, s:s, s:s, s:s, s:o, s:i, s:s, s:s}",
			       "apiVersion", "v1", "kind", "Event",
			       "metadata", "name", name, "namespace", ns && *ns ? ns : "default",
			       "involvedObject", involved,
			       "type", type, "reason", reason, "message", message,
			       "source", source, "count", 1,
			       "firstTimestamp", now, "lastTimestamp", now);
	if (!ev)
		log_fatal("k8s", "cannot build an Event", "reason=%s", reason);
	return ev;
}

struct k8s_recorder *k8s_recorder_new(struct k8s_client *c, const char *component, const char *host)
{
	struct k8s_recorder *rec = XNEW(struct k8s_recorder);
	rec->c = c;
	rec->component = xstrdup(component);
	rec->host = host ? xstrdup(host) : NULL;
	rec->cache = json_object();
	return rec;
}

void k8s_recorder_free(struct k8s_recorder *rec)
{
	if (!rec)
		return;
	json_decref(rec->cache);
	free(rec->component);
	free(rec->host);
	free(rec);
}

/* Completion of a POST or PATCH: nothing to do but report failures. */
static void event_done(void *arg, const struct k8s_response *resp)
{
	static struct log_ratelimit rl = LOG_RATELIMIT(5, 1);
	if (resp->status.outcome != K8S_OK)
		log_rl(&rl, LOGL_WARN, "k8s", "cannot write event", "outcome=%s message=%s",
		       k8s_outcome_name(resp->status.outcome), resp->status.message);
}

/* A PATCH of a repeat found the Event gone (expired by the API server's TTL): create a new one. */
struct repost {
	struct k8s_recorder *rec;
	json_t *event;
};

static void post(struct k8s_recorder *rec, json_t *ev)
{
	char *path = k8s_path(&k8s_res_events, k8s_meta(ev, "namespace"), NULL, NULL);
	k8s_request(rec->c, "POST", path, ev, NULL, event_done, NULL);
	free(path);
}

static void patch_done(void *arg, const struct k8s_response *resp)
{
	struct repost *rp = arg;
	if (resp->status.outcome == K8S_NOT_FOUND)
		post(rp->rec, rp->event);
	else
		event_done(NULL, resp);
	json_decref(rp->event);
	free(rp);
}

void k8s_event(struct k8s_recorder *rec, const json_t *obj, const char *type, const char *reason,
	       const char *fmt, ...)
{
	char message[MESSAGE_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	char now[32];
	k8s_time_now(now);
	const char *uid = k8s_meta(obj, "uid");
	const char *objname = k8s_meta(obj, "name");
	char *key = xasprintf("%s|%s|%s|%s", uid ? uid : objname ? objname : "", type, reason, message);
	json_t *seen = json_object_get(rec->cache, key);
	if (seen) {
		json_int_t count = json_integer_value(json_object_get(seen, "count")) + 1;
		json_object_set_new(seen, "count", json_integer(count));
		const char *ns = json_string_value(json_object_get(seen, "namespace"));
		const char *name = json_string_value(json_object_get(seen, "name"));
		json_t *patch = json_pack("{s:I, s:s}", "count", count, "lastTimestamp", now);
		struct repost *rp = XNEW(struct repost);
		rp->rec = rec;
		rp->event = k8s_event_build(obj, name, type, reason, message, rec->component, rec->host,
					    now);
		char *path = k8s_path(&k8s_res_events, ns, name, NULL);
		k8s_request(rec->c, "PATCH", path, patch, "application/merge-patch+json", patch_done, rp);
		free(path);
		json_decref(patch);
		free(key);
		return;
	}
	/* client-go names events <object>.<hex time>; the sequence number keeps them unique. */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	char *name = xasprintf("%s.%llx", objname ? objname : "object",
			       (unsigned long long)ts.tv_sec * 1000000000ull +
			       (unsigned long long)ts.tv_nsec + rec->seq++);
	json_t *ev = k8s_event_build(obj, name, type, reason, message, rec->component, rec->host, now);
	if (json_object_size(rec->cache) >= CACHE_MAX)
		json_object_clear(rec->cache);
	json_object_set_new(rec->cache, key, json_pack("{s:s, s:s, s:i}", "namespace",
						       k8s_meta(ev, "namespace"), "name", name,
						       "count", 1));
	post(rec, ev);
	json_decref(ev);
	free(name);
	free(key);
}
