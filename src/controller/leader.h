/*
 * Leader election over a coordination.k8s.io/v1 Lease, the decisions only (pure: the clock and
 * the Lease read are passed in), as client-go's tools/leaderelection does it
 * (https://kubernetes.io/docs/concepts/architecture/leases/):
 *
 *  - every retry period each replica reads the Lease and calls le_decide(): no Lease → create it
 *    holding it; held by us or released (holderIdentity "") → update it (renew); held by another
 *    replica → take it over only when the record has not changed for a whole lease duration,
 *    measured on OUR monotonic clock from when we last saw it change (tolerates clock skew
 *    between replicas; never compares the timestamps written in the Lease);
 *  - a write that succeeds makes (or keeps) us the leader; the update carries the
 *    resourceVersion read, so of two replicas racing only one wins (409 for the other);
 *  - a leader that has not renewed successfully for the renew deadline, or that reads the Lease
 *    held by someone else, stops leading at once (le_check, le_decide);
 *  - on shutdown the leader releases the Lease (holder "", duration 1 s) so another replica takes
 *    over without waiting for it to expire (client-go ReleaseOnCancel).
 *
 * client-go defaults (controller-runtime): lease 15 s, renew deadline 10 s, retry 2 s; the
 * constraints lease > deadline > 1.2 × retry are the caller's to check (le_timing_valid).
 *
 * One state machine: CANDIDATE ⇄ LEADER, every transition through change_state(), which logs it
 * and tells the owner through on_change.
 */
#ifndef INGOT_CONTROLLER_LEADER_H
#define INGOT_CONTROLLER_LEADER_H

#include <stdbool.h>

#include "core/monotime.h"
#include "k8s/lease.h"

struct le_timing {
	monotime lease_duration;
	monotime renew_deadline;
	monotime retry_period;
};

void le_timing_default(struct le_timing *t);
/* lease > deadline > 1.2 × retry, all positive. */
bool le_timing_valid(const struct le_timing *t);

enum le_state {
	LE_CANDIDATE,
	LE_LEADER,
};

enum le_action {
	LE_NONE,             /* someone else holds a live lease: wait */
	LE_CREATE,           /* POST the Lease in *out */
	LE_UPDATE,           /* PUT the Lease read, with *out as its spec */
};

struct le {
	char identity[256];
	struct le_timing timing;
	enum le_state state;
	bool have_observed;
	struct k8s_lease_spec observed;  /* the record as last read */
	monotime observed_at;            /* when we saw it change */
	monotime last_renew;             /* leader: last successful write */
	void (*on_change)(void *arg, bool leading);
	void *arg;
};

void le_init(struct le *e, const char *identity, const struct le_timing *t,
	     void (*on_change)(void *arg, bool leading), void *arg);
/*
 * The Lease was read at `now` (cur NULL: it does not exist); now_rfc is the wall-clock time as a
 * MicroTime string for the record. Returns what to write, with the spec in *out.
 */
enum le_action le_decide(struct le *e, monotime now, const char *now_rfc,
			 const struct k8s_lease_spec *cur, struct k8s_lease_spec *out);
/* The write le_decide asked for finished (ok: 2xx) at `now`; written is the spec it sent. */
void le_write_done(struct le *e, monotime now, bool ok, const struct k8s_lease_spec *written);
/* Reading or writing failed at `now` (API server unreachable): only the deadline matters. */
void le_check(struct le *e, monotime now);
/* Stop leading at once (shutting down). */
void le_resign(struct le *e);
/* The spec that releases the Lease (from the record we hold). */
void le_release_spec(const struct le *e, const char *now_rfc, struct k8s_lease_spec *out);
const char *le_state_name(enum le_state s);

#endif
