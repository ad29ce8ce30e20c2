/*
 * Event recorder with repeat aggregation (see event.h).
 */
#include "k8s/event.h"

#include <stdarg.h>
#include <stdbool.h>
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
/*
 * Writes in flight at once, and events waiting for one. A speaker starting with 10,000 Services
 * emits 10,000 nodeAssigned Events at once: one request each in flight held a libcurl handle
 * and its buffers apiece (67 MB of heap at 2,000 Services, measured with heaptrack). Beyond the
 * queue, events are dropped and counted in the log, as client-go's broadcaster drops beyond its
 * 1,000-event queue.
 */
#define INFLIGHT_MAX 8
#define QUEUE_MAX 1000

struct k8s_recorder {
	struct k8s_client *c;
	char *component;
	char *host;
	struct entry *entries;           /* events created, newest first, at most CACHE_MAX */
	size_t nentries;
	uint64_t seq;
	size_t inflight;                 /* requests now with the API server */
	struct entry *queue_head, *queue_tail;   /* entries waiting for a free request slot */
	size_t nqueued;
	uint64_t dropped;
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

/* One event this recorder created, for aggregating repeats. At most one request per entry is in
 * flight; repeats meanwhile only bump the count, and the latest count is sent when it returns. */
struct entry {
	struct entry *next;
	struct k8s_recorder *rec;
	char *key;                       /* "uid|type|reason|message" */
	json_t *event;                   /* as created (for re-creating it after a 404) */
	long count;                      /* occurrences so far */
	long sent;                       /* count the server has (or is being sent) */
	bool created;                    /* the POST succeeded */
	char last[32];                   /* lastTimestamp of the latest occurrence */
	struct k8s_request *req;
	bool queued;                     /* on the recorder's queue (then req is NULL) */
	struct entry *qnext;
};

struct k8s_recorder *k8s_recorder_new(struct k8s_client *c, const char *component, const char *host)
{
	struct k8s_recorder *rec = XNEW(struct k8s_recorder);
	rec->c = c;
	rec->component = xstrdup(component);
	rec->host = host ? xstrdup(host) : NULL;
	return rec;
}

static void entry_free(struct entry *e)
{
	k8s_request_cancel(e->req);
	json_decref(e->event);
	free(e->key);
	free(e);
}

void k8s_recorder_free(struct k8s_recorder *rec)
{
	if (!rec)
		return;
	while (rec->entries) {
		struct entry *e = rec->entries;
		rec->entries = e->next;
		entry_free(e);
	}
	free(rec->component);
	free(rec->host);
	free(rec);
}

size_t k8s_recorder_pending(const struct k8s_recorder *rec)
{
	return rec->inflight + rec->nqueued;
}

static void send_entry(struct entry *e);

/* Starts queued writes while request slots are free. */
static void pump(struct k8s_recorder *rec)
{
	while (rec->queue_head && rec->inflight < INFLIGHT_MAX) {
		struct entry *e = rec->queue_head;
		rec->queue_head = e->qnext;
		if (!rec->queue_head)
			rec->queue_tail = NULL;
		e->qnext = NULL;
		e->queued = false;
		rec->nqueued--;
		send_entry(e);
	}
}

static void entry_done(void *arg, const struct k8s_response *resp)
{
	static struct log_ratelimit rl = LOG_RATELIMIT(5, 1);
	struct entry *e = arg;
	struct k8s_recorder *rec = e->rec;
	e->req = NULL;
	rec->inflight--;
	enum k8s_outcome o = resp->status.outcome;
	if (o == K8S_OK) {
		e->created = true;
	} else if (o == K8S_NOT_FOUND && e->created) {
		/* expired by the API server's event TTL: create it again with the current count */
		e->created = false;
		e->sent = 0;
	} else {
		log_rl(&rl, LOGL_WARN, "k8s", "cannot write event", "event=%s outcome=%s message=%s",
		       k8s_meta(e->event, "name"), k8s_outcome_name(o), resp->status.message);
		e->sent = e->count;      /* best effort: drop this occurrence */
		pump(rec);
		return;
	}
	if (e->sent != e->count)
		send_entry(e);
	pump(rec);
}

/* Writes the entry's current count now, or queues it while INFLIGHT_MAX writes are out. */
static void send_entry(struct entry *e)
{
	static struct log_ratelimit rl = LOG_RATELIMIT(1, 10);
	struct k8s_recorder *rec = e->rec;
	if (e->req || e->queued)
		return;                  /* the count goes out with the write in flight or queued */
	if (rec->inflight >= INFLIGHT_MAX) {
		if (rec->nqueued >= QUEUE_MAX) {
			rec->dropped++;
			e->sent = e->count;
			log_rl(&rl, LOGL_WARN, "k8s", "too many events waiting, dropping",
			       "event=%s dropped=%llu", k8s_meta(e->event, "name"),
			       (unsigned long long)rec->dropped);
			return;
		}
		e->queued = true;
		if (rec->queue_tail)
			rec->queue_tail->qnext = e;
		else
			rec->queue_head = e;
		rec->queue_tail = e;
		rec->nqueued++;
		return;
	}
	const char *ns = k8s_meta(e->event, "namespace");
	rec->inflight++;
	e->sent = e->count;
	if (!e->created) {
		json_object_set_new(e->event, "count", json_integer(e->count));
		json_object_set_new(e->event, "lastTimestamp", json_string(e->last));
		char *path = k8s_path(&k8s_res_events, ns, NULL, NULL);
		e->req = k8s_request(rec->c, "POST", path, e->event, NULL, entry_done, e);
		free(path);
		return;
	}
	json_t *patch = json_pack("{s:I, s:s}", "count", (json_int_t)e->count, "lastTimestamp",
				  e->last);
	char *path = k8s_path(&k8s_res_events, ns, k8s_meta(e->event, "name"), NULL);
	e->req = k8s_request(rec->c, "PATCH", path, patch, "application/merge-patch+json", entry_done,
			     e);
	free(path);
	json_decref(patch);
}

/* Drops idle entries when the cache is full (in-flight ones stay). */
static void trim(struct k8s_recorder *rec)
{
	if (rec->nentries < CACHE_MAX)
		return;
	for (struct entry **pe = &rec->entries; *pe;) {
		struct entry *e = *pe;
		if (!e->req && !e->queued) {
			*pe = e->next;
			entry_free(e);
			rec->nentries--;
		} else {
			pe = &e->next;
		}
	}
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
	struct entry *e = rec->entries;
	while (e && strcmp(e->key, key) != 0)
		e = e->next;
	if (e) {
		free(key);
		e->count++;
		memcpy(e->last, now, sizeof(e->last));
		send_entry(e);
		return;
	}
	trim(rec);
	/* client-go names events <object>.<hex time>; the sequence number keeps them unique. */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	char *name = xasprintf("%s.%llx", objname ? objname : "object",
			       (unsigned long long)ts.tv_sec * 1000000000ull +
			       (unsigned long long)ts.tv_nsec + rec->seq++);
	e = XNEW(struct entry);
	e->rec = rec;
	e->key = key;
	e->event = k8s_event_build(obj, name, type, reason, message, rec->component, rec->host, now);
	e->count = 1;
	memcpy(e->last, now, sizeof(e->last));
	e->next = rec->entries;
	rec->entries = e;
	rec->nentries++;
	free(name);
	send_entry(e);
}
