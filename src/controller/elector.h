/*
 * Leader election glue: the Lease reads and writes and the timers that drive the decisions in
 * leader.h on the event loop. on_change(arg, leading) runs whenever this replica starts or stops
 * leading; when it stops, it runs before any further write could be made.
 */
#ifndef INGOT_CONTROLLER_ELECTOR_H
#define INGOT_CONTROLLER_ELECTOR_H

#include <stdbool.h>

#include "controller/leader.h"
#include "k8s/client.h"

struct elector;

/* Strings are copied. Does not start; see elector_start(). */
struct elector *elector_new(struct k8s_client *c, const char *ns, const char *name,
			    const char *identity, const struct le_timing *t,
			    void (*on_change)(void *arg, bool leading), void *arg);
void elector_start(struct elector *el);
bool elector_leading(const struct elector *el);
/* The Lease's holder as last read or written ("" when nobody holds it), or NULL before the
 * first read: until then this replica does not know whether it is leader or standby. */
const char *elector_holder(const struct elector *el);
/* Stops leading at once and, if we held the Lease, releases it; done(arg) runs when that is
 * written or failed (at most about two seconds later). */
void elector_release(struct elector *el, void (*done)(void *arg), void *arg);
void elector_free(struct elector *el);

#endif
