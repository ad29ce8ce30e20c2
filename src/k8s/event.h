/*
 * Kubernetes Events about objects (core/v1 Event,
 * https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/event-v1/ for the newer
 * view of the same storage).
 *
 * core/v1 with involvedObject, reason, message, type, source.component/host, count,
 * firstTimestamp and lastTimestamp: `kubectl describe` shows these as "Type Reason Age From
 * Message" with "(x3 over 5m)", and MetalLB's RBAC grants core events create/patch, which this
 * uses. A repeat of the same event (same object uid, type, reason and message) is not a new Event:
 * the first one is PATCHed with the new count and lastTimestamp, as client-go's recorder does;
 * repeats while a write of that Event is in flight are folded into the next write; if the Event
 * is gone meanwhile (404, the API server's TTL), it is created again. Events are best effort:
 * failures are logged and not retried. The recorder remembers its last 4096 distinct events.
 */
#ifndef INGOT_K8S_EVENT_H
#define INGOT_K8S_EVENT_H

#include <jansson.h>

#include "k8s/client.h"

struct k8s_recorder;

/* component: source.component ("metallb-controller"), host: source.host (may be NULL). */
struct k8s_recorder *k8s_recorder_new(struct k8s_client *c, const char *component, const char *host);
void k8s_recorder_free(struct k8s_recorder *rec);

/* Writes in flight or waiting for a request slot (at most 8 run at once, 1,000 wait; more are
 * dropped with a log line). */
size_t k8s_recorder_pending(const struct k8s_recorder *rec);

/* type is "Normal" or "Warning"; obj (borrowed) is the object the event is about. */
void k8s_event(struct k8s_recorder *rec, const json_t *obj, const char *type, const char *reason,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The Event object (pure; for tests): a fresh reference. now is an RFC 3339 time. */
json_t *k8s_event_build(const json_t *obj, const char *name, const char *type, const char *reason,
			const char *message, const char *component, const char *host, const char *now);

/* RFC 3339 UTC timestamps: seconds ("2026-11-25T15:00:00Z", meta/v1 Time) and microseconds
 * ("2026-11-25T15:00:00.123456Z", MicroTime). buf needs 32 bytes. */
void k8s_time_now(char buf[32]);
void k8s_microtime_now(char buf[32]);

#endif
