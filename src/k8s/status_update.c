/*
 * Status writes with conflict retries (see status_update.h).
 */
#include "k8s/status_update.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/xalloc.h"
#include "k8s/backoff.h"

struct k8s_status_update {
	struct k8s_client *c;
	const struct k8s_resource *res;
	char *ns, *name;
	k8s_status_mutate_fn mutate;
	k8s_status_done_fn done;
	void *arg;
	struct k8s_request *req;
	struct timer *timer;
	struct k8s_backoff backoff;
	int attempts;                    /* PUTs sent */
	int reads;                       /* GETs sent */
	json_t *first;                   /* the caller's object, for the first step */
	bool need_read;                  /* next step is a GET (after a conflict or with no object) */
};

static void step(struct k8s_status_update *u, const json_t *obj);

static void finish(struct k8s_status_update *u, const struct k8s_status *st, const json_t *obj)
{
	u->req = NULL;
	if (u->done)
		u->done(u->arg, st, obj);
	k8s_update_status_cancel(u);
}

static void retry_later(struct k8s_status_update *u, const struct k8s_response *resp)
{
	monotime delay = k8s_backoff_next(&u->backoff, (uint32_t)random());
	if (resp->has_retry_after && mono_before(delay, resp->retry_after))
		delay = resp->retry_after;
	u->need_read = true;
	timer_start(u->timer, delay);
}

static void put_done(void *arg, const struct k8s_response *resp)
{
	struct k8s_status_update *u = arg;
	u->req = NULL;
	const struct k8s_status *st = &resp->status;
	if (st->outcome == K8S_OK) {
		finish(u, st, resp->body);
		return;
	}
	bool again = u->attempts < K8S_STATUS_MAX_ATTEMPTS;
	log_info("k8s", "status update failed", "resource=%s object=%s/%s outcome=%s attempt=%d "
		 "message=%s", u->res->name, u->ns ? u->ns : "", u->name, k8s_outcome_name(st->outcome),
		 u->attempts, st->message);
	if (again && st->outcome == K8S_CONFLICT) {
		/* Someone else wrote the object since we read it: read it again, re-apply. */
		u->need_read = true;
		step(u, NULL);
		return;
	}
	if (again && k8s_outcome_retryable(st->outcome)) {
		retry_later(u, resp);
		return;
	}
	finish(u, st, NULL);
}

static void get_done(void *arg, const struct k8s_response *resp)
{
	struct k8s_status_update *u = arg;
	u->req = NULL;
	const struct k8s_status *st = &resp->status;
	if (st->outcome == K8S_OK && json_is_object(resp->body)) {
		u->need_read = false;
		step(u, resp->body);
		return;
	}
	if (u->reads < K8S_STATUS_MAX_ATTEMPTS && k8s_outcome_retryable(st->outcome)) {
		retry_later(u, resp);
		return;
	}
	finish(u, st, NULL);
}

/* Reads the object if needed, else applies the change to obj and PUTs it. */
static void step(struct k8s_status_update *u, const json_t *obj)
{
	if (u->need_read || !obj) {
		u->reads++;
		char *path = k8s_path(u->res, u->ns, u->name, NULL);
		u->req = k8s_request(u->c, "GET", path, NULL, NULL, get_done, u);
		free(path);
		return;
	}
	json_t *copy = json_deep_copy(obj);
	if (!u->mutate(u->arg, copy)) {
		struct k8s_status st;
		k8s_status_from_http(200, NULL, &st);
		json_decref(copy);
		finish(u, &st, obj);
		return;
	}
	u->attempts++;
	char *path = k8s_path(u->res, u->ns, u->name, "status");
	u->req = k8s_request(u->c, "PUT", path, copy, NULL, put_done, u);
	free(path);
	json_decref(copy);
}

static void timer_fired(void *arg)
{
	struct k8s_status_update *u = arg;
	json_t *first = u->first;
	u->first = NULL;
	step(u, first);
	json_decref(first);
}

struct k8s_status_update *k8s_update_status(struct k8s_client *c, const struct k8s_resource *res,
					    const char *ns, const char *name, const json_t *current,
					    k8s_status_mutate_fn mutate, k8s_status_done_fn done,
					    void *arg)
{
	struct k8s_status_update *u = XNEW(struct k8s_status_update);
	u->c = c;
	u->res = res;
	u->ns = ns && *ns ? xstrdup(ns) : NULL;
	u->name = xstrdup(name);
	u->mutate = mutate;
	u->done = done;
	u->arg = arg;
	u->timer = timer_new(timer_fired, u);
	k8s_backoff_init(&u->backoff, mono_from_ms(200), mono_from_s(5));
	u->need_read = !current;
	u->first = current ? json_deep_copy(current) : NULL;
	/* Start from the loop, so done never runs before the caller has the handle. */
	timer_start(u->timer, mono_zero());
	return u;
}

void k8s_update_status_cancel(struct k8s_status_update *u)
{
	if (!u)
		return;
	k8s_request_cancel(u->req);
	timer_free(u->timer);
	json_decref(u->first);
	free(u->ns);
	free(u->name);
	free(u);
}

bool k8s_service_set_ingress(void *arg, json_t *service)
{
	const char *const *ips = arg;
	json_t *ingress = json_array();
	for (size_t i = 0; ips && ips[i]; i++) {
		json_t *e = json_object();
		json_object_set_new(e, "ip", json_string(ips[i]));
		json_object_set_new(e, "ipMode", json_string("VIP"));
		json_array_append_new(ingress, e);
	}
	json_t *status = json_object_get(service, "status");
	if (!json_is_object(status)) {
		status = json_object();
		json_object_set_new(service, "status", status);
	}
	json_t *lb = json_object_get(status, "loadBalancer");
	if (!json_is_object(lb)) {
		lb = json_object();
		json_object_set_new(status, "loadBalancer", lb);
	}
	json_t *have = json_object_get(lb, "ingress");
	if ((json_array_size(ingress) == 0 && json_array_size(have) == 0) || json_equal(have, ingress)) {
		json_decref(ingress);
		return false;
	}
	if (json_array_size(ingress) == 0) {
		json_decref(ingress);
		json_object_del(lb, "ingress");
	} else {
		json_object_set_new(lb, "ingress", ingress);
	}
	return true;
}
