/*
 * Service status writes (see writer.h). Entries exist only while a write is in flight, so a
 * linear array bounded by WRITER_MAX_INFLIGHT is enough; Services that must wait (too many in
 * flight, or a failed write) wait as keys in a queue and are synced again from their latest state.
 */
#include "controller/writer.h"

#include <stdlib.h>
#include <string.h>

#include "controller/keyq.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/xalloc.h"
#include "k8s/resource.h"
#include "k8s/status_update.h"

#define RETRY_INITIAL_MS 500
#define RETRY_MAX_MS 10000

struct wentry {
	struct writer *w;
	char *key;
	struct svc_desired desired;
	bool rerun;                      /* desired changed after the PUT was sent */
	monotime started;
	struct k8s_status_update *u;
};

struct writer {
	struct k8s_client *c;
	void (*requeue)(void *arg, const char *key);
	void *arg;
	struct wentry *v[WRITER_MAX_INFLIGHT];
	size_t n;
	struct keyq deferred;            /* waiting for a free slot */
	struct keyq failed;              /* waiting for the retry timer */
	struct timer *retry;
	int64_t retry_ms;
	struct writer_stats stats;
};

static struct wentry *find(const struct writer *w, const char *key)
{
	for (size_t i = 0; i < w->n; i++)
		if (!strcmp(w->v[i]->key, key))
			return w->v[i];
	return NULL;
}

static void entry_remove(struct writer *w, struct wentry *e)
{
	for (size_t i = 0; i < w->n; i++) {
		if (w->v[i] == e) {
			w->v[i] = w->v[--w->n];
			break;
		}
	}
	free(e->key);
	free(e);
}

static bool mutate(void *arg, json_t *service)
{
	struct wentry *e = arg;
	return svc_status_apply(&e->desired, service);
}

static void retry_fire(void *arg)
{
	struct writer *w = arg;
	char *key;
	while ((key = keyq_pop(&w->failed))) {
		w->requeue(w->arg, key);
		free(key);
	}
}

static void done(void *arg, const struct k8s_status *st, const json_t *obj)
{
	struct wentry *e = arg;
	struct writer *w = e->w;
	e->u = NULL;
	char *key = xstrdup(e->key);
	bool rerun = e->rerun;
	int64_t ms = mono_to_ms(mono_sub(loop_now(), e->started));
	entry_remove(w, e);
	if (st->outcome == K8S_OK) {
		log_info("controller", "service status written", "service=%s ms=%lld", key,
			 (long long)ms);
		w->stats.writes_ok++;
		w->retry_ms = RETRY_INITIAL_MS;
		if (rerun)
			w->requeue(w->arg, key);
	} else if (st->outcome != K8S_NOT_FOUND) {
		w->stats.writes_failed++;
		static struct log_ratelimit rl = LOG_RATELIMIT(10, 2);
		log_rl(&rl, LOGL_WARN, "controller", "service status write failed, will retry",
		       "service=%s outcome=%s retry_ms=%lld message=%s", key,
		       k8s_outcome_name(st->outcome), (long long)w->retry_ms, st->message);
		keyq_push(&w->failed, key);
		if (!timer_pending(w->retry)) {
			timer_start(w->retry, mono_from_ms(w->retry_ms));
			w->retry_ms = w->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : w->retry_ms * 2;
		}
	}
	free(key);
	char *next = keyq_pop(&w->deferred);
	if (next) {
		w->requeue(w->arg, next);
		free(next);
	}
}

struct writer *writer_new(struct k8s_client *c, void (*requeue)(void *arg, const char *key),
			  void *arg)
{
	struct writer *w = XNEW(struct writer);
	w->c = c;
	w->requeue = requeue;
	w->arg = arg;
	keyq_init(&w->deferred);
	keyq_init(&w->failed);
	w->retry = timer_new(retry_fire, w);
	w->retry_ms = RETRY_INITIAL_MS;
	return w;
}

void writer_put(struct writer *w, const char *key, const json_t *current,
		const struct svc_desired *d)
{
	struct wentry *e = find(w, key);
	if (e) {
		e->desired = *d;
		e->rerun = true;
		return;
	}
	if (w->n == WRITER_MAX_INFLIGHT) {
		keyq_push(&w->deferred, key);
		return;
	}
	const char *slash = strchr(key, '/');
	if (!slash)
		return;
	e = XNEW(struct wentry);
	e->w = w;
	e->key = xstrdup(key);
	e->desired = *d;
	e->started = loop_now();
	w->v[w->n++] = e;
	char *ns = xstrndup(key, (size_t)(slash - key));
	e->u = k8s_update_status(w->c, &k8s_res_services, ns, slash + 1, current, mutate, done, e);
	free(ns);
}

bool writer_busy(const struct writer *w, const char *key)
{
	return find(w, key) != NULL;
}

size_t writer_inflight(const struct writer *w)
{
	return w->n;
}

void writer_cancel_all(struct writer *w)
{
	while (w->n) {
		struct wentry *e = w->v[w->n - 1];
		k8s_update_status_cancel(e->u);
		entry_remove(w, e);
	}
	keyq_clear(&w->deferred);
	keyq_clear(&w->failed);
	timer_stop(w->retry);
	w->retry_ms = RETRY_INITIAL_MS;
}

void writer_free(struct writer *w)
{
	if (!w)
		return;
	writer_cancel_all(w);
	keyq_free(&w->deferred);
	keyq_free(&w->failed);
	timer_free(w->retry);
	free(w);
}

const struct writer_stats *writer_stats(const struct writer *w)
{
	return &w->stats;
}
