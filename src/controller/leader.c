/*
 * Leader election decisions (see leader.h; client-go tools/leaderelection/leaderelection.go
 * tryAcquireOrRenew and renew).
 */
#include "controller/leader.h"

#include <stdio.h>
#include <string.h>

#include "core/log.h"

void le_timing_default(struct le_timing *t)
{
	t->lease_duration = mono_from_s(15);
	t->renew_deadline = mono_from_s(10);
	t->retry_period = mono_from_s(2);
}

bool le_timing_valid(const struct le_timing *t)
{
	int64_t retry = mono_to_ms(t->retry_period);
	return retry > 0 && mono_to_ms(t->renew_deadline) * 10 > retry * 12 &&
	       mono_before(t->renew_deadline, t->lease_duration);
}

const char *le_state_name(enum le_state s)
{
	return s == LE_LEADER ? "leader" : "candidate";
}

static void change_state(struct le *e, enum le_state to, const char *why)
{
	if (e->state == to)
		return;
	log_info("controller", "leader election", "identity=%s from=%s to=%s reason=%s",
		 e->identity, le_state_name(e->state), le_state_name(to), why);
	e->state = to;
	if (e->on_change)
		e->on_change(e->arg, to == LE_LEADER);
}

void le_init(struct le *e, const char *identity, const struct le_timing *t,
	     void (*on_change)(void *arg, bool leading), void *arg)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->identity, sizeof(e->identity), "%s", identity);
	e->timing = *t;
	e->state = LE_CANDIDATE;
	e->on_change = on_change;
	e->arg = arg;
}

static bool same_record(const struct k8s_lease_spec *a, const struct k8s_lease_spec *b)
{
	return !strcmp(a->holder, b->holder) && !strcmp(a->renew_time, b->renew_time) &&
	       !strcmp(a->acquire_time, b->acquire_time) && a->transitions == b->transitions &&
	       a->duration_s == b->duration_s;
}

static long duration_seconds(const struct le *e)
{
	int64_t ms = mono_to_ms(e->timing.lease_duration);
	return (long)((ms + 999) / 1000);
}

enum le_action le_decide(struct le *e, monotime now, const char *now_rfc,
			 const struct k8s_lease_spec *cur, struct k8s_lease_spec *out)
{
	memset(out, 0, sizeof(*out));
	if (!cur) {
		snprintf(out->holder, sizeof(out->holder), "%s", e->identity);
		out->duration_s = duration_seconds(e);
		snprintf(out->acquire_time, sizeof(out->acquire_time), "%s", now_rfc);
		snprintf(out->renew_time, sizeof(out->renew_time), "%s", now_rfc);
		return LE_CREATE;
	}
	if (!e->have_observed || !same_record(&e->observed, cur)) {
		e->observed = *cur;
		e->observed_at = now;
		e->have_observed = true;
	}
	bool mine = !strcmp(cur->holder, e->identity);
	if (cur->holder[0] && !mine) {
		if (e->state == LE_LEADER)
			change_state(e, LE_CANDIDATE, "lease taken by another holder");
		if (mono_before(now, mono_add(e->observed_at, e->timing.lease_duration)))
			return LE_NONE;
	}
	*out = *cur;
	if (!mine) {
		snprintf(out->holder, sizeof(out->holder), "%s", e->identity);
		snprintf(out->acquire_time, sizeof(out->acquire_time), "%s", now_rfc);
		out->transitions = cur->transitions + 1;
	}
	out->duration_s = duration_seconds(e);
	snprintf(out->renew_time, sizeof(out->renew_time), "%s", now_rfc);
	return LE_UPDATE;
}

void le_check(struct le *e, monotime now)
{
	if (e->state == LE_LEADER &&
	    !mono_before(now, mono_add(e->last_renew, e->timing.renew_deadline)))
		change_state(e, LE_CANDIDATE, "failed to renew within the renew deadline");
}

void le_write_done(struct le *e, monotime now, bool ok, const struct k8s_lease_spec *written)
{
	if (ok) {
		e->observed = *written;
		e->observed_at = now;
		e->have_observed = true;
		e->last_renew = now;
		change_state(e, LE_LEADER, "lease acquired or renewed");
		return;
	}
	le_check(e, now);
}

void le_resign(struct le *e)
{
	change_state(e, LE_CANDIDATE, "shutting down");
}

void le_release_spec(const struct le *e, const char *now_rfc, struct k8s_lease_spec *out)
{
	*out = e->observed;
	out->holder[0] = '\0';
	out->duration_s = 1;
	snprintf(out->acquire_time, sizeof(out->acquire_time), "%s", now_rfc);
	snprintf(out->renew_time, sizeof(out->renew_time), "%s", now_rfc);
}
