/*
 * Leader election on the event loop (see elector.h): one tick every retry period (candidates add
 * up to 20 % jitter, as client-go's JitterFactor 1.2), reading the Lease and writing what
 * le_decide() asks for; a deadline timer ends leadership when no renew succeeded within the
 * renew deadline, even if a request hangs because the API server is unreachable.
 */
#include "controller/elector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/xalloc.h"
#include "k8s/event.h"

struct elector {
	struct k8s_client *c;
	char *ns, *name;
	struct le le;
	struct timer *tick, *deadline, *release_timeout;
	struct k8s_request *req;
	struct k8s_lease_spec writing;   /* the spec of the write in flight */
	json_t *lease;                   /* the Lease as last read or written */
	bool known;                      /* the Lease was read (or found missing) once */
	char holder[256];                /* its holderIdentity then */
	bool releasing;
	void (*release_done)(void *arg);
	void *release_arg;
};

static void schedule_tick(struct elector *el)
{
	monotime wait = el->le.timing.retry_period;
	if (el->le.state != LE_LEADER)
		wait = mono_add(wait, mono_from_ns(mono_to_ns(wait) / 5 * (random() % 1000) / 1000));
	timer_start(el->tick, wait);
}

static void arm_deadline(struct elector *el)
{
	if (el->le.state == LE_LEADER)
		timer_start(el->deadline, el->le.timing.renew_deadline);
	else
		timer_stop(el->deadline);
}

static void keep_lease(struct elector *el, const json_t *lease)
{
	json_decref(el->lease);
	el->lease = lease ? json_deep_copy(lease) : NULL;
	struct k8s_lease_spec spec = { 0 };
	if (lease)
		k8s_lease_spec_read(lease, &spec);
	snprintf(el->holder, sizeof(el->holder), "%s", spec.holder);
	el->known = true;
}

static void write_done(void *arg, const struct k8s_response *resp)
{
	struct elector *el = arg;
	el->req = NULL;
	bool ok = resp->status.outcome == K8S_OK;
	if (ok)
		keep_lease(el, resp->body);
	else
		log_info("controller", "lease write failed", "lease=%s/%s outcome=%s message=%s",
			 el->ns, el->name, k8s_outcome_name(resp->status.outcome),
			 resp->status.message);
	le_write_done(&el->le, loop_now(), ok, &el->writing);
	if (ok)
		arm_deadline(el);
	schedule_tick(el);
}

static void read_done(void *arg, const struct k8s_response *resp)
{
	struct elector *el = arg;
	el->req = NULL;
	char now[32];
	k8s_microtime_now(now);
	struct k8s_lease_spec cur, out;
	enum le_action act;
	if (resp->status.outcome == K8S_NOT_FOUND) {
		el->known = true;            /* nobody leads yet */
		el->holder[0] = '\0';
		act = le_decide(&el->le, loop_now(), now, NULL, &out);
	} else if (resp->status.outcome == K8S_OK && json_is_object(resp->body)) {
		keep_lease(el, resp->body);
		k8s_lease_spec_read(resp->body, &cur);
		act = le_decide(&el->le, loop_now(), now, &cur, &out);
	} else {
		static struct log_ratelimit rl = LOG_RATELIMIT(5, 1);
		log_rl(&rl, LOGL_WARN, "controller", "lease read failed", "lease=%s/%s outcome=%s "
		       "message=%s", el->ns, el->name, k8s_outcome_name(resp->status.outcome),
		       resp->status.message);
		le_check(&el->le, loop_now());
		arm_deadline(el);
		schedule_tick(el);
		return;
	}
	arm_deadline(el);
	el->writing = out;
	if (act == LE_CREATE)
		el->req = k8s_lease_create(el->c, el->ns, el->name, &out, write_done, el);
	else if (act == LE_UPDATE)
		el->req = k8s_lease_update(el->c, el->lease, &out, write_done, el);
	else
		schedule_tick(el);
}

static void on_tick(void *arg)
{
	struct elector *el = arg;
	if (el->req || el->releasing)
		return;
	el->req = k8s_lease_get(el->c, el->ns, el->name, read_done, el);
}

static void on_deadline(void *arg)
{
	struct elector *el = arg;
	le_check(&el->le, loop_now());
}

struct elector *elector_new(struct k8s_client *c, const char *ns, const char *name,
			    const char *identity, const struct le_timing *t,
			    void (*on_change)(void *arg, bool leading), void *arg)
{
	struct elector *el = XNEW(struct elector);
	el->c = c;
	el->ns = xstrdup(ns);
	el->name = xstrdup(name);
	le_init(&el->le, identity, t, on_change, arg);
	el->tick = timer_new(on_tick, el);
	el->deadline = timer_new(on_deadline, el);
	return el;
}

void elector_start(struct elector *el)
{
	log_info("controller", "leader election started", "lease=%s/%s identity=%s "
		 "lease_ms=%lld renew_deadline_ms=%lld retry_ms=%lld", el->ns, el->name,
		 el->le.identity, (long long)mono_to_ms(el->le.timing.lease_duration),
		 (long long)mono_to_ms(el->le.timing.renew_deadline),
		 (long long)mono_to_ms(el->le.timing.retry_period));
	timer_start(el->tick, mono_zero());
}

bool elector_leading(const struct elector *el)
{
	return el->le.state == LE_LEADER;
}

const char *elector_holder(const struct elector *el)
{
	return el->known ? el->holder : NULL;
}

static void release_finish(struct elector *el)
{
	if (el->req)
		k8s_request_cancel(el->req);
	el->req = NULL;
	if (el->release_timeout)
		timer_stop(el->release_timeout);
	void (*done)(void *) = el->release_done;
	el->release_done = NULL;
	if (done)
		done(el->release_arg);
}

static void release_written(void *arg, const struct k8s_response *resp)
{
	struct elector *el = arg;
	el->req = NULL;
	log_info("controller", "lease released", "lease=%s/%s outcome=%s", el->ns, el->name,
		 k8s_outcome_name(resp->status.outcome));
	release_finish(el);
}

static void release_timed_out(void *arg)
{
	struct elector *el = arg;
	log_warn("controller", "lease release timed out", "lease=%s/%s", el->ns, el->name);
	release_finish(el);
}

void elector_release(struct elector *el, void (*done)(void *arg), void *arg)
{
	bool held = el->le.state == LE_LEADER && el->lease;
	el->releasing = true;
	timer_stop(el->tick);
	timer_stop(el->deadline);
	le_resign(&el->le);
	if (el->req)
		k8s_request_cancel(el->req);
	el->req = NULL;
	el->release_done = done;
	el->release_arg = arg;
	if (!held) {
		release_finish(el);
		return;
	}
	char now[32];
	k8s_microtime_now(now);
	struct k8s_lease_spec spec;
	le_release_spec(&el->le, now, &spec);
	el->release_timeout = timer_new(release_timed_out, el);
	timer_start(el->release_timeout, mono_from_s(2));
	el->req = k8s_lease_update(el->c, el->lease, &spec, release_written, el);
}

void elector_free(struct elector *el)
{
	if (!el)
		return;
	if (el->req)
		k8s_request_cancel(el->req);
	timer_free(el->tick);
	timer_free(el->deadline);
	if (el->release_timeout)
		timer_free(el->release_timeout);
	json_decref(el->lease);
	free(el->ns);
	free(el->name);
	free(el);
}
