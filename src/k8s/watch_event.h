/*
 * One watch event line decoded (internal to src/k8s; pure, no I/O).
 *
 * A line is {"type": "ADDED|MODIFIED|DELETED|BOOKMARK|ERROR", "object": {...}}
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes).
 * For ERROR the object is a meta/v1 Status; its code (410 for "too old resource version") is
 * extracted. For the others the object's metadata.resourceVersion is extracted, which is where a
 * watch resumes; a BOOKMARK carries nothing else.
 */
#ifndef INGOT_K8S_WATCH_EVENT_H
#define INGOT_K8S_WATCH_EVENT_H

#include <jansson.h>
#include <stddef.h>

enum k8s_watch_type {
	K8S_WATCH_ADDED,
	K8S_WATCH_MODIFIED,
	K8S_WATCH_DELETED,
	K8S_WATCH_BOOKMARK,
	K8S_WATCH_ERROR,
};

struct k8s_watch_event {
	enum k8s_watch_type type;
	json_t *object;          /* owned reference */
	const char *rv;          /* metadata.resourceVersion, points into object; NULL for ERROR */
	long code;               /* ERROR: Status.code (0 if absent) */
	const char *reason;      /* ERROR: Status.reason, or "" */
	const char *message;     /* ERROR: Status.message, or "" */
};

/* Decodes one line. Returns 0, or -1 with a reason in err (garbage, unknown type, no object, an
 * object without a resourceVersion). On success the caller frees with k8s_watch_event_clear(). */
int k8s_watch_event_parse(const char *line, size_t len, struct k8s_watch_event *ev, char *err,
			  size_t errlen);
void k8s_watch_event_clear(struct k8s_watch_event *ev);
const char *k8s_watch_type_name(enum k8s_watch_type type);

#endif
