/*
 * Events for one allocator decision (see svc_events.h).
 */
#include "controller/svc_events.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

void svc_events_build(const struct alloc_result *res, bool writes, struct svc_events *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < res->nevents && out->n < SVC_EVENTS_MAX; i++) {
		out->v[out->n++] = (struct svc_event){
			.type = res->events[i].warning ? "Warning" : "Normal",
			.reason = res->events[i].reason,
			.message = xstrdup(res->events[i].message ? res->events[i].message : ""),
		};
	}
	if (!writes && res->nevents == 0)
		return;
	static const unsigned bits[] = { ALLOC_DEPRECATED_ADDRESS_POOL, ALLOC_DEPRECATED_LB_IPS,
					 ALLOC_DEPRECATED_ALLOW_SHARED };
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]) && out->n < SVC_EVENTS_MAX; i++) {
		if (!(res->deprecated & bits[i]))
			continue;
		out->v[out->n++] = (struct svc_event){
			.type = "Warning",
			.reason = "deprecatedAnnotation",
			.message = xasprintf("annotation %s is deprecated, use %s instead",
					     svc_deprecated_key(bits[i]),
					     svc_replacement_key(bits[i])),
		};
	}
}

void svc_events_free(struct svc_events *ev)
{
	for (size_t i = 0; i < ev->n; i++)
		free(ev->v[i].message);
	memset(ev, 0, sizeof(*ev));
}
