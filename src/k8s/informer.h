/*
 * Informers: a local, current copy of every object of one resource, and callbacks when it changes.
 *
 * https://kubernetes.io/docs/reference/using-api/api-concepts/ ("Efficient detection of changes",
 * "Watch bookmarks", "Retrieving large results sets in chunks"):
 *  - list, paged with limit/continue (an expired continue token restarts the list), then watch from
 *    the list's resourceVersion with allowWatchBookmarks; every event moves the resourceVersion on;
 *  - when the server ends a watch (timeoutSeconds, --min-request-timeout), watch again from the last
 *    resourceVersion;
 *  - 410 Gone (as the HTTP status of the watch, or as an ERROR event with code 410): list again and
 *    compare with the store, calling `deleted` (synthetic) for objects that vanished meanwhile and
 *    added/updated for the rest;
 *  - other failures (connection lost, 5xx, 429): wait with exponential backoff and jitter, at least
 *    as long as a Retry-After, then watch again from the last resourceVersion.
 * Several informers share one client and the one event loop.
 *
 * Callbacks run from the event loop with the store already changed; objects are borrowed
 * (json_incref() to keep one). They may start requests but must never free the informer.
 */
#ifndef INGOT_K8S_INFORMER_H
#define INGOT_K8S_INFORMER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/monotime.h"
#include "k8s/client.h"
#include "k8s/resource.h"
#include "k8s/store.h"

struct k8s_informer;

struct k8s_informer_handlers {
	void (*added)(void *arg, const json_t *obj);
	void (*updated)(void *arg, const json_t *old, const json_t *obj);
	/* obj is the last state seen; synthetic: found missing by a relist, not by a DELETED event */
	void (*deleted)(void *arg, const json_t *obj, bool synthetic);
	/* the first complete list has been delivered (once) */
	void (*synced)(void *arg);
};

struct k8s_informer_options {
	const char *namespace;       /* NULL or "": all namespaces */
	const char *label_selector;  /* NULL: none */
	const char *field_selector;
	long page_size;              /* list limit; default 500 */
	long watch_timeout_s;        /* server-side timeoutSeconds; default random in [300, 600) */
	monotime backoff_initial;    /* default 500 ms */
	monotime backoff_max;        /* default 30 s */
};

struct k8s_informer_stats {
	uint64_t lists;              /* complete lists */
	uint64_t pages;              /* list pages received */
	uint64_t watches;            /* watch requests started */
	uint64_t relists_gone;       /* lists caused by 410 Gone */
	uint64_t events;             /* ADDED/MODIFIED/DELETED events applied */
	uint64_t bookmarks;
	uint64_t synthetic_deletes;
	uint64_t failures;           /* failed lists and watches */
};

/* Handlers and arg are borrowed; options are copied. Does not start; see k8s_informer_start(). */
struct k8s_informer *k8s_informer_new(struct k8s_client *c, const struct k8s_resource *res,
				      const struct k8s_informer_options *opts,
				      const struct k8s_informer_handlers *h, void *arg);
void k8s_informer_start(struct k8s_informer *inf);
/* Stops watching and frees the informer and its store. */
void k8s_informer_free(struct k8s_informer *inf);

bool k8s_informer_synced(const struct k8s_informer *inf);
const struct k8s_store *k8s_informer_store(const struct k8s_informer *inf);
/* The resourceVersion the next watch starts from ("" before the first list). */
const char *k8s_informer_resource_version(const struct k8s_informer *inf);
const struct k8s_informer_stats *k8s_informer_stats(const struct k8s_informer *inf);
const char *k8s_informer_state_name(const struct k8s_informer *inf);

#endif
