/*
 * Service status writes in flight, at most one per Service and WRITER_MAX_INFLIGHT in all.
 *
 * writer_put() starts a status-subresource update (k8s/status_update.h: PUT, 409 → re-read and
 * re-apply) that sets what svc_status.h describes. A newer desired state for a Service whose write
 * is in flight replaces the old one and is re-checked when that write ends. A write that fails
 * (API server unreachable, retries exhausted) is retried after a growing delay: requeue(arg, key)
 * asks the owner to sync that Service again. Nothing is ever cleared because a write failed.
 */
#ifndef INGOT_CONTROLLER_WRITER_H
#define INGOT_CONTROLLER_WRITER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "controller/svc_status.h"
#include "k8s/client.h"

#define WRITER_MAX_INFLIGHT 128

struct writer;

struct writer *writer_new(struct k8s_client *c, void (*requeue)(void *arg, const char *key),
			  void *arg);
/* Writes d for the Service `key` ("ns/name"); current (borrowed) is the object as stored. */
void writer_put(struct writer *w, const char *key, const json_t *current,
		const struct svc_desired *d);
/* Whether a write for key is in flight or waiting for its retry. */
bool writer_busy(const struct writer *w, const char *key);
size_t writer_inflight(const struct writer *w);
/* Stops every write now (leadership lost); no callbacks follow. */
void writer_cancel_all(struct writer *w);
void writer_free(struct writer *w);

struct writer_stats {
	unsigned long long writes_ok, writes_failed;
};
const struct writer_stats *writer_stats(const struct writer *w);

#endif
