/*
 * IPAddressPool status writes (see pool_status.h).
 */
#include "controller/pool_status.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "k8s/resource.h"
#include "k8s/status_update.h"
#include "k8s/store.h"

struct pwrite {
	struct pool_status *ps;
	struct pwrite *next;
	json_t *status;
	struct k8s_status_update *u;
};

struct pool_status {
	struct k8s_client *c;
	struct pwrite *inflight;
	bool again;                      /* an update was asked for while writes were in flight */
	void (*kick)(void *arg);
	void *kick_arg;
};

static json_int_t clamp(uint64_t v)
{
	return v > INT64_MAX ? (json_int_t)INT64_MAX : (json_int_t)v;
}

json_t *pool_status_json(const struct alloc_pool_counters *pc)
{
	return json_pack("{s:I, s:I, s:I, s:I}", "assignedIPv4", clamp(pc->assigned_v4),
			 "assignedIPv6", clamp(pc->assigned_v6), "availableIPv4",
			 clamp(pc->available_v4), "availableIPv6", clamp(pc->available_v6));
}

static bool mutate(void *arg, json_t *obj)
{
	struct pwrite *pw = arg;
	if (json_equal(json_object_get(obj, "status"), pw->status))
		return false;
	json_object_set(obj, "status", pw->status);
	return true;
}

static void unlink_write(struct pool_status *ps, struct pwrite *pw)
{
	for (struct pwrite **p = &ps->inflight; *p; p = &(*p)->next) {
		if (*p == pw) {
			*p = pw->next;
			break;
		}
	}
	json_decref(pw->status);
	free(pw);
}

static void done(void *arg, const struct k8s_status *st, const json_t *obj)
{
	struct pwrite *pw = arg;
	if (st->outcome != K8S_OK) {
		static struct log_ratelimit rl = LOG_RATELIMIT(5, 1);
		log_rl(&rl, LOGL_WARN, "controller", "pool status write failed",
		       "pool=%s outcome=%s message=%s", obj ? k8s_meta(obj, "name") : "?",
		       k8s_outcome_name(st->outcome), st->message);
	}
	struct pool_status *ps = pw->ps;
	pw->u = NULL;
	unlink_write(ps, pw);
	if (!ps->inflight && ps->again) {
		ps->again = false;
		ps->kick(ps->kick_arg);
	}
}

struct pool_status *pool_status_new(struct k8s_client *c, void (*kick)(void *arg), void *arg)
{
	struct pool_status *ps = XNEW(struct pool_status);
	ps->c = c;
	ps->kick = kick;
	ps->kick_arg = arg;
	return ps;
}

void pool_status_update(struct pool_status *ps, const struct alloc *a,
			const struct cfg_model *model,
			const json_t *(*find)(void *arg, const char *pool), void *arg)
{
	if (ps->inflight) {
		ps->again = true;    /* one round at a time, so an old count never lands last */
		return;
	}
	for (size_t i = 0; i < model->npools; i++) {
		const struct cfg_pool *p = &model->pools[i];
		const json_t *obj = find(arg, p->meta.name);
		struct alloc_pool_counters pc;
		if (!obj || !alloc_pool_counters(a, p->meta.name, &pc))
			continue;
		json_t *status = pool_status_json(&pc);
		if (json_equal(json_object_get(obj, "status"), status)) {
			json_decref(status);
			continue;
		}
		struct pwrite *pw = XNEW(struct pwrite);
		pw->ps = ps;
		pw->status = status;
		pw->next = ps->inflight;
		ps->inflight = pw;
		pw->u = k8s_update_status(ps->c, &k8s_res_ipaddresspools, k8s_meta(obj, "namespace"),
					  p->meta.name, obj, mutate, done, pw);
	}
}

void pool_status_cancel_all(struct pool_status *ps)
{
	while (ps->inflight) {
		struct pwrite *pw = ps->inflight;
		k8s_update_status_cancel(pw->u);
		unlink_write(ps, pw);
	}
	ps->again = false;
}

void pool_status_free(struct pool_status *ps)
{
	if (!ps)
		return;
	pool_status_cancel_all(ps);
	free(ps);
}
