/*
 * The Events a Service gets for one allocator decision, pure: no I/O.
 *
 * The allocator's own events (IPAllocated, AllocationFailed, ClearAssignment, ... with MetalLB's
 * reasons and messages) plus MetalLB's Warning `deprecatedAnnotation` for each
 * metallb.universe.tf/ annotation the Service still uses. MetalLB repeats that warning on every
 * reconcile; ingot emits it only with a decision that changes something (an event or a status
 * write), so a Service's own status updates do not keep re-raising it.
 */
#ifndef INGOT_CONTROLLER_SVC_EVENTS_H
#define INGOT_CONTROLLER_SVC_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "alloc/alloc.h"

#define SVC_EVENTS_MAX (ALLOC_MAX_EVENTS + 3)

struct svc_event {
	const char *type;            /* "Normal" or "Warning" */
	const char *reason;          /* static */
	char *message;               /* owned; svc_events_free() */
};

struct svc_events {
	struct svc_event v[SVC_EVENTS_MAX];
	size_t n;
};

/* writes: whether the status is about to be written. */
void svc_events_build(const struct alloc_result *res, bool writes, struct svc_events *out);
void svc_events_free(struct svc_events *ev);

#endif
