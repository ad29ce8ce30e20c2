/*
 * Informer: list, watch, relist (see informer.h).
 *
 * The state machine is one switch over state x event in informer_fsm(); change_state() does all
 * entry and exit work (cancelling the request of the state being left, starting the list or the
 * watch, arming the backoff timer) and logs every transition.
 *
 *   STOPPED --start--> LISTING --list done--> WATCHING --server ended--> WATCHING (from last RV)
 *   LISTING --failed--> WAIT_LIST --timer--> LISTING
 *   WATCHING --410--> LISTING (relist, synthesise deletes)
 *   WATCHING --failed--> WAIT_WATCH --timer--> WATCHING (from last RV)
 */
#include "k8s/informer.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/xalloc.h"
#include "core/xorshift.h"
#include "k8s/backoff.h"
#include "k8s/watch_event.h"

enum inf_state {
	INF_STOPPED,
	INF_LISTING,
	INF_WATCHING,
	INF_WAIT_LIST,
	INF_WAIT_WATCH,
};

enum inf_event {
	EV_START,
	EV_LIST_DONE,
	EV_LIST_FAILED,
	EV_WATCH_ENDED,          /* the server closed the stream cleanly */
	EV_WATCH_GONE,           /* 410: our resourceVersion is too old */
	EV_WATCH_FAILED,
	EV_TIMER,
};

static const char *const state_names[] = {
	[INF_STOPPED] = "stopped",
	[INF_LISTING] = "listing",
	[INF_WATCHING] = "watching",
	[INF_WAIT_LIST] = "wait-list",
	[INF_WAIT_WATCH] = "wait-watch",
};

struct k8s_informer {
	struct k8s_client *c;
	const struct k8s_resource *res;
	struct k8s_informer_options opts;
	char *ns, *label_selector, *field_selector;
	const struct k8s_informer_handlers *h;
	void *arg;

	enum inf_state state;
	struct k8s_request *req;         /* the list page or watch in flight */
	struct timer *timer;
	struct k8s_backoff backoff;
	monotime delay;                  /* for the next WAIT_* state */
	uint32_t rng;

	struct k8s_store *store;
	struct k8s_store *snapshot;      /* pages of a list in progress */
	char *rv;                        /* where the next watch starts */
	char *cont;                      /* continue token of the list in progress */
	bool synced;
	bool relist_gone;                /* the current list was caused by a 410 */
	monotime watch_started;
	uint64_t watch_events;           /* events (incl. bookmarks) on the current watch */
	struct k8s_informer_stats stats;
};

static void informer_fsm(struct k8s_informer *inf, enum inf_event ev, const char *why);

static uint32_t next_random(struct k8s_informer *inf)
{
	/* jitter only needs to differ between processes and attempts */
	return xorshift32(&inf->rng);
}

static void set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src ? xstrdup(src) : NULL;
}

/* Appends "&key=escaped(value)" when value is set. */
static char *add_param(char *url, const char *key, const char *value)
{
	if (!value || !*value)
		return url;
	char *esc = k8s_escape(value);
	char *out = xasprintf("%s&%s=%s", url, key, esc);
	free(esc);
	free(url);
	return out;
}

static char *collection_url(const struct k8s_informer *inf, const char *first_param)
{
	char *path = k8s_path(inf->res, inf->ns, NULL, NULL);
	char *url = xasprintf("%s?%s", path, first_param);
	free(path);
	url = add_param(url, "labelSelector", inf->label_selector);
	return add_param(url, "fieldSelector", inf->field_selector);
}

/*
 * Intake of every object an informer keeps (list items and watch events). List items have no
 * kind/apiVersion; fill them in so every object looks the same to handlers.
 *
 * metadata.managedFields (server-side apply bookkeeping) is dropped: it is the largest part of a
 * typical Service (docs/benchmarks.md) and no reader uses it. It is safe to drop even for objects that
 * are written back whole (the status PUTs of k8s/status_update.h): a PUT without managedFields
 * keeps the server's ("Field management", kubernetes.io/docs/reference/using-api/server-side-apply).
 * Nothing else is dropped: the rest of metadata (annotations, labels, resourceVersion, uid) and
 * spec/status are read by the controller and speaker, and a status PUT sends the object back as
 * stored, so a field dropped here would be deleted on the server by the next status write.
 */
static void complete_object(const struct k8s_informer *inf, json_t *obj)
{
	json_object_del(json_object_get(obj, "metadata"), "managedFields");
	if (!json_object_get(obj, "kind"))
		json_object_set_new(obj, "kind", json_string(inf->res->kind));
	if (!json_object_get(obj, "apiVersion"))
		json_object_set_new(obj, "apiVersion", json_string(inf->res->api_version));
}

static bool same_rv(const json_t *a, const json_t *b)
{
	const char *ra = k8s_meta(a, "resourceVersion"), *rb = k8s_meta(b, "resourceVersion");
	return ra && rb && !strcmp(ra, rb);    /* opaque strings: equality only */
}

/* --- applying changes -------------------------------------------------------------------- */

static void apply_upsert(struct k8s_informer *inf, json_t *obj)
{
	json_t *old = k8s_store_put(inf->store, json_incref(obj));
	bool repeat = old && same_rv(old, obj);     /* seen already: nothing changed */
	if (old && !repeat && inf->h->updated)
		inf->h->updated(inf->arg, old, obj);
	else if (!old && inf->h->added)
		inf->h->added(inf->arg, obj);
	json_decref(old);
}

static void apply_delete(struct k8s_informer *inf, const char *key, const json_t *last,
			 bool synthetic)
{
	json_t *old = k8s_store_remove(inf->store, key);
	if (!old)
		return;
	if (synthetic)
		inf->stats.synthetic_deletes++;
	if (inf->h->deleted)
		inf->h->deleted(inf->arg, last ? last : old, synthetic);
	json_decref(old);
}

struct gone_scan {
	const struct k8s_store *snapshot;
	json_t *keys;
};

static void collect_gone(void *arg, const char *key, const json_t *obj)
{
	struct gone_scan *scan = arg;
	if (!k8s_store_get(scan->snapshot, key))
		json_array_append_new(scan->keys, json_string(key));
}

static void apply_snapshot_item(void *arg, const char *key, const json_t *obj)
{
	struct k8s_informer *inf = arg;
	const json_t *old = k8s_store_get(inf->store, key);
	if (old && same_rv(old, obj))
		return;                 /* unchanged since we last saw it */
	apply_upsert(inf, (json_t *)obj);
}

/* Replaces the store by the completed snapshot: deletes for what vanished first (so whatever they
 * held is free for the rest), then adds and updates. */
static void replace_store(struct k8s_informer *inf)
{
	struct gone_scan scan = { inf->snapshot, json_array() };
	k8s_store_foreach(inf->store, collect_gone, &scan);
	size_t i;
	json_t *k;
	json_array_foreach(scan.keys, i, k)
		apply_delete(inf, json_string_value(k), NULL, true);
	json_decref(scan.keys);

	struct k8s_store *snap = inf->snapshot;
	inf->snapshot = k8s_store_new();
	k8s_store_foreach(snap, apply_snapshot_item, inf);
	k8s_store_free(snap);
}

/* --- list ------------------------------------------------------------------------------- */

static void list_page_done(void *arg, const struct k8s_response *resp);

static void request_page(struct k8s_informer *inf)
{
	char limit[32];
	snprintf(limit, sizeof(limit), "limit=%ld", inf->opts.page_size);
	char *url = collection_url(inf, limit);
	url = add_param(url, "continue", inf->cont);
	inf->req = k8s_request(inf->c, "GET", url, NULL, NULL, list_page_done, inf);
	free(url);
}

static void list_page_done(void *arg, const struct k8s_response *resp)
{
	struct k8s_informer *inf = arg;
	inf->req = NULL;
	if (resp->status.outcome != K8S_OK) {
		if (resp->status.outcome == K8S_GONE && inf->cont) {
			/* The continue token expired: a consistent list has to start over. */
			log_warn("k8s", "list continue token expired, listing again", "resource=%s",
				 inf->res->name);
			set_str(&inf->cont, NULL);
			k8s_store_clear(inf->snapshot);
			request_page(inf);
			return;
		}
		static struct log_ratelimit rl = LOG_RATELIMIT(5, 1);
		log_rl(&rl, LOGL_WARN, "k8s", "list failed", "resource=%s outcome=%s http=%ld reason=%s "
		       "message=%s", inf->res->name, k8s_outcome_name(resp->status.outcome),
		       resp->status.http, resp->status.reason, resp->status.message);
		inf->delay = k8s_backoff_next(&inf->backoff, next_random(inf));
		if (resp->has_retry_after && mono_before(inf->delay, resp->retry_after))
			inf->delay = resp->retry_after;
		informer_fsm(inf, EV_LIST_FAILED, "list failed");
		return;
	}
	inf->stats.pages++;
	json_t *items = json_object_get(resp->body, "items");
	size_t i;
	json_t *item;
	json_array_foreach(items, i, item) {
		if (!json_is_object(item))
			continue;
		complete_object(inf, item);
		json_decref(k8s_store_put(inf->snapshot, json_incref(item)));
	}
	json_t *meta = json_object_get(resp->body, "metadata");
	const char *cont = json_string_value(json_object_get(meta, "continue"));
	const char *rv = json_string_value(json_object_get(meta, "resourceVersion"));
	if (cont && *cont) {
		set_str(&inf->cont, cont);
		request_page(inf);
		return;
	}
	set_str(&inf->cont, NULL);
	set_str(&inf->rv, rv ? rv : "");
	informer_fsm(inf, EV_LIST_DONE, "list complete");
}

static void start_list(struct k8s_informer *inf)
{
	set_str(&inf->cont, NULL);
	k8s_store_clear(inf->snapshot);
	request_page(inf);
}

/* --- watch ------------------------------------------------------------------------------ */

static void watch_line(void *arg, const char *line, size_t len)
{
	struct k8s_informer *inf = arg;
	static struct log_ratelimit rl = LOG_RATELIMIT(5, 1);
	struct k8s_watch_event ev;
	char err[200];
	if (inf->state != INF_WATCHING)
		return;
	if (k8s_watch_event_parse(line, len, &ev, err, sizeof(err)) < 0) {
		log_rl(&rl, LOGL_WARN, "k8s", "bad watch event, watching again", "resource=%s error=%s",
		       inf->res->name, err);
		inf->delay = k8s_backoff_next(&inf->backoff, next_random(inf));
		informer_fsm(inf, EV_WATCH_FAILED, "bad watch event");
		return;
	}
	inf->watch_events++;
	if (inf->watch_events == 1)
		k8s_backoff_reset(&inf->backoff);
	switch (ev.type) {
	case K8S_WATCH_ADDED:
	case K8S_WATCH_MODIFIED:
		inf->stats.events++;
		set_str(&inf->rv, ev.rv);
		complete_object(inf, ev.object);
		apply_upsert(inf, ev.object);
		break;
	case K8S_WATCH_DELETED: {
		inf->stats.events++;
		set_str(&inf->rv, ev.rv);
		complete_object(inf, ev.object);
		char *key = k8s_object_key(ev.object);
		if (key)
			apply_delete(inf, key, ev.object, false);
		free(key);
		break;
	}
	case K8S_WATCH_BOOKMARK:
		inf->stats.bookmarks++;
		set_str(&inf->rv, ev.rv);
		break;
	case K8S_WATCH_ERROR:
		if (ev.code == 410) {
			log_info("k8s", "watch expired, listing again", "resource=%s reason=%s message=%s",
				 inf->res->name, ev.reason, ev.message);
			informer_fsm(inf, EV_WATCH_GONE, "410 in watch stream");
		} else {
			log_rl(&rl, LOGL_WARN, "k8s", "watch error event", "resource=%s code=%ld reason=%s "
			       "message=%s", inf->res->name, ev.code, ev.reason, ev.message);
			inf->delay = k8s_backoff_next(&inf->backoff, next_random(inf));
			informer_fsm(inf, EV_WATCH_FAILED, "error event");
		}
		break;
	}
	k8s_watch_event_clear(&ev);
}

static void watch_done(void *arg, const struct k8s_response *resp)
{
	struct k8s_informer *inf = arg;
	inf->req = NULL;
	enum k8s_outcome o = resp->status.outcome;
	if (o == K8S_GONE) {
		log_info("k8s", "watch expired, listing again", "resource=%s message=%s", inf->res->name,
			 resp->status.message);
		informer_fsm(inf, EV_WATCH_GONE, "410 on watch");
		return;
	}
	bool short_and_empty = inf->watch_events == 0 &&
			       mono_before(mono_since(inf->watch_started), mono_from_s(1));
	if (o == K8S_OK && !short_and_empty) {
		informer_fsm(inf, EV_WATCH_ENDED, "server ended the watch");
		return;
	}
	static struct log_ratelimit rl = LOG_RATELIMIT(5, 1);
	log_rl(&rl, LOGL_WARN, "k8s", "watch failed", "resource=%s outcome=%s http=%ld reason=%s "
	       "message=%s", inf->res->name, k8s_outcome_name(o), resp->status.http,
	       resp->status.reason, o == K8S_OK ? "ended at once" : resp->status.message);
	inf->delay = k8s_backoff_next(&inf->backoff, next_random(inf));
	if (resp->has_retry_after && mono_before(inf->delay, resp->retry_after))
		inf->delay = resp->retry_after;
	informer_fsm(inf, EV_WATCH_FAILED, "watch failed");
}

static void start_watch(struct k8s_informer *inf)
{
	long timeout = inf->opts.watch_timeout_s;
	if (timeout <= 0)
		timeout = 300 + (long)(next_random(inf) % 300);   /* client-go: 5 min x [1, 2) */
	char first[96];
	snprintf(first, sizeof(first), "watch=1&allowWatchBookmarks=true&timeoutSeconds=%ld", timeout);
	char *url = collection_url(inf, first);
	url = add_param(url, "resourceVersion", inf->rv);
	inf->stats.watches++;
	inf->watch_events = 0;
	inf->watch_started = mono_now();
	/* The client-side bound only catches a dead connection the server forgot. */
	inf->req = k8s_stream(inf->c, url, timeout + 60, 0, watch_line, watch_done, inf);
	free(url);
}

/* --- state machine ---------------------------------------------------------------------- */

static void timer_fired(void *arg)
{
	informer_fsm(arg, EV_TIMER, "backoff over");
}

static void change_state(struct k8s_informer *inf, enum inf_state to, const char *why)
{
	enum inf_state from = inf->state;
	/* exit */
	k8s_request_cancel(inf->req);
	inf->req = NULL;
	timer_stop(inf->timer);
	inf->state = to;
	if (from == to && to == INF_WATCHING)
		log_debug("k8s", "informer watching again", "resource=%s rv=%s reason=%s",
			  inf->res->name, inf->rv ? inf->rv : "", why);
	else
		log_info("k8s", "informer state", "resource=%s from=%s to=%s rv=%s reason=%s",
			 inf->res->name, state_names[from], state_names[to], inf->rv ? inf->rv : "",
			 why);
	/* entry */
	switch (to) {
	case INF_LISTING:
		start_list(inf);
		break;
	case INF_WATCHING:
		start_watch(inf);
		break;
	case INF_WAIT_LIST:
	case INF_WAIT_WATCH:
		timer_start(inf->timer, inf->delay);
		break;
	case INF_STOPPED:
		break;
	}
}

static void list_complete(struct k8s_informer *inf)
{
	inf->stats.lists++;
	if (inf->relist_gone)
		inf->stats.relists_gone++;
	inf->relist_gone = false;
	k8s_backoff_reset(&inf->backoff);
	replace_store(inf);
	bool first = !inf->synced;
	inf->synced = true;
	if (first && inf->h->synced)
		inf->h->synced(inf->arg);
}

static void informer_fsm(struct k8s_informer *inf, enum inf_event ev, const char *why)
{
	switch (inf->state) {
	case INF_STOPPED:
		if (ev == EV_START)
			change_state(inf, INF_LISTING, why);
		break;
	case INF_LISTING:
		if (ev == EV_LIST_DONE) {
			list_complete(inf);
			change_state(inf, INF_WATCHING, why);
		} else if (ev == EV_LIST_FAILED) {
			inf->stats.failures++;
			change_state(inf, INF_WAIT_LIST, why);
		}
		break;
	case INF_WATCHING:
		if (ev == EV_WATCH_ENDED) {
			change_state(inf, INF_WATCHING, why);
		} else if (ev == EV_WATCH_GONE) {
			inf->relist_gone = true;
			change_state(inf, INF_LISTING, why);
		} else if (ev == EV_WATCH_FAILED) {
			inf->stats.failures++;
			change_state(inf, INF_WAIT_WATCH, why);
		}
		break;
	case INF_WAIT_LIST:
		if (ev == EV_TIMER)
			change_state(inf, INF_LISTING, why);
		break;
	case INF_WAIT_WATCH:
		if (ev == EV_TIMER)
			change_state(inf, INF_WATCHING, why);
		break;
	}
}

/* --- public ------------------------------------------------------------------------------ */

struct k8s_informer *k8s_informer_new(struct k8s_client *c, const struct k8s_resource *res,
				      const struct k8s_informer_options *opts,
				      const struct k8s_informer_handlers *h, void *arg)
{
	static const struct k8s_informer_handlers none;
	struct k8s_informer *inf = XNEW(struct k8s_informer);
	inf->c = c;
	inf->res = res;
	if (opts)
		inf->opts = *opts;
	inf->ns = inf->opts.namespace && *inf->opts.namespace ? xstrdup(inf->opts.namespace) : NULL;
	inf->label_selector = inf->opts.label_selector ? xstrdup(inf->opts.label_selector) : NULL;
	inf->field_selector = inf->opts.field_selector ? xstrdup(inf->opts.field_selector) : NULL;
	inf->opts.namespace = inf->opts.label_selector = inf->opts.field_selector = NULL;
	if (inf->opts.page_size <= 0)
		inf->opts.page_size = 500;
	if (mono_is_zero(inf->opts.backoff_initial))
		inf->opts.backoff_initial = mono_from_ms(500);
	if (mono_is_zero(inf->opts.backoff_max))
		inf->opts.backoff_max = mono_from_s(30);
	k8s_backoff_init(&inf->backoff, inf->opts.backoff_initial, inf->opts.backoff_max);
	inf->h = h ? h : &none;
	inf->arg = arg;
	inf->timer = timer_new(timer_fired, inf);
	inf->store = k8s_store_new();
	inf->snapshot = k8s_store_new();
	inf->rng = (uint32_t)mono_to_ns(mono_now()) ^ (uint32_t)getpid() ^
		   (uint32_t)(uintptr_t)inf;
	if (!inf->rng)
		inf->rng = 1;
	inf->state = INF_STOPPED;
	return inf;
}

void k8s_informer_start(struct k8s_informer *inf)
{
	informer_fsm(inf, EV_START, "start");
}

void k8s_informer_free(struct k8s_informer *inf)
{
	if (!inf)
		return;
	k8s_request_cancel(inf->req);
	timer_free(inf->timer);
	k8s_store_free(inf->store);
	k8s_store_free(inf->snapshot);
	free(inf->ns);
	free(inf->label_selector);
	free(inf->field_selector);
	free(inf->rv);
	free(inf->cont);
	free(inf);
}

bool k8s_informer_synced(const struct k8s_informer *inf)
{
	return inf->synced;
}

const struct k8s_store *k8s_informer_store(const struct k8s_informer *inf)
{
	return inf->store;
}

const char *k8s_informer_resource_version(const struct k8s_informer *inf)
{
	return inf->rv ? inf->rv : "";
}

const struct k8s_informer_stats *k8s_informer_stats(const struct k8s_informer *inf)
{
	return &inf->stats;
}

const char *k8s_informer_state_name(const struct k8s_informer *inf)
{
	return state_names[inf->state];
}
