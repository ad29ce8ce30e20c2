/*
 * The controller's glue (see controller.h): informers → allocator → status writes and Events.
 * Work is a queue of Service keys drained from the loop in bounded batches.
 */
#include "controller/controller.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc/alloc.h"
#include "config/config.h"
#include "controller/cfg_source.h"
#include "controller/elector.h"
#include "controller/keyq.h"
#include "controller/ml_secret.h"
#include "controller/pool_status.h"
#include "controller/svc_events.h"
#include "controller/svc_status.h"
#include "controller/svc_view.h"
#include "controller/writer.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/xalloc.h"
#include "k8s/event.h"
#include "k8s/informer.h"
#include "k8s/resource.h"

#define BATCH 256                    /* Services synced per loop wake-up */
#define POOL_STATUS_DELAY_MS 500

struct controller {
	struct k8s_client *c;
	struct ctl_options o;
	char *ns, *cm, *lb_class, *lease_name, *identity;
	struct k8s_recorder *rec;
	struct k8s_informer *svcs, *nss;
	struct cfg_source *cfg;
	struct elector *el;
	struct cfg_model *model;         /* the configuration in force (owned) */
	enum cfg_mode mode;
	bool said_both;                  /* logged that the CRDs win over the ConfigMap */
	struct alloc *alloc;             /* only while leading and ready */
	bool leading;
	bool ready;
	monotime ready_started;
	struct keyq queue;
	struct timer *work, *pools_timer;
	struct writer *writer;
	struct pool_status *pools;
	struct ml_secret *ml_secret;
	char *ml_secret_name;
	/* what ctl_report.h reports */
	struct ctl_counters counters;
	bool config_stale;               /* the latest configuration was refused */
	bool config_absent;              /* the config objects were listed and none exists */
	char *config_error;              /* why, while stale */
	double config_last_reload;       /* wall clock of the last successful load */
	monotime last_progress;          /* the work queue last moved */
};

/* --- queue ------------------------------------------------------------------------------- */

static void kick(struct controller *ctl)
{
	if (!timer_pending(ctl->work))
		timer_start(ctl->work, mono_zero());
}

static void enqueue(struct controller *ctl, const char *key)
{
	if (!ctl->ready)
		return;
	keyq_push(&ctl->queue, key);
	kick(ctl);
}

static void requeue(void *arg, const char *key)
{
	enqueue(arg, key);
}

static void enqueue_store_key(void *arg, const char *key, const json_t *obj)
{
	enqueue(arg, key);
}

static void enqueue_all(struct controller *ctl)
{
	k8s_store_foreach(k8s_informer_store(ctl->svcs), enqueue_store_key, ctl);
}

static void enqueue_pending(struct controller *ctl)
{
	struct alloc_keys pending = { 0 };
	alloc_pending(ctl->alloc, &pending);
	for (size_t i = 0; i < pending.n; i++)
		enqueue(ctl, pending.v[i]);
	alloc_keys_free(&pending);
}

static void pools_later(struct controller *ctl)
{
	if (ctl->mode == CFG_MODE_CRD && !timer_pending(ctl->pools_timer))
		timer_start(ctl->pools_timer, mono_from_ms(POOL_STATUS_DELAY_MS));
}

/* --- one Service ------------------------------------------------------------------------- */

static const json_t *namespace_of(const struct controller *ctl, const char *ns)
{
	return ns ? k8s_store_get(k8s_informer_store(ctl->nss), ns) : NULL;
}

static void emit_events(struct controller *ctl, const json_t *svc, const char *key,
			const struct alloc_result *res, bool writes)
{
	struct svc_events ev;
	svc_events_build(res, writes, &ev);
	for (size_t i = 0; i < ev.n; i++) {
		log_emit(ev.v[i].type[0] == 'W' ? LOGL_WARN : LOGL_INFO, "controller", "service event",
			 "service=%s type=%s reason=%s message=%s", key, ev.v[i].type, ev.v[i].reason,
			 ev.v[i].message);
		k8s_event(ctl->rec, svc, ev.v[i].type, ev.v[i].reason, "%s", ev.v[i].message);
	}
	svc_events_free(&ev);
}

static bool release(struct controller *ctl, const char *key)
{
	const char *slash = strchr(key, '/');
	if (!slash)
		return false;
	char *ns = xstrndup(key, (size_t)(slash - key));
	bool freed = alloc_release(ctl->alloc, ns, slash + 1);
	free(ns);
	if (freed) {
		log_info("controller", "service released its IPs", "service=%s", key);
		enqueue_pending(ctl);
		pools_later(ctl);
	}
	return freed;
}

static bool same_ips(const ip_addr *a, size_t na, const ip_addr *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!ip_addr_eq(&a[i], &b[i]))
			return false;
	return true;
}

static void sync_one(struct controller *ctl, const char *key)
{
	const json_t *svc = k8s_store_get(k8s_informer_store(ctl->svcs), key);
	if (!svc) {
		release(ctl, key);
		return;
	}
	struct svc_view v;
	svc_view_build(&v, svc, namespace_of(ctl, k8s_meta(svc, "namespace")));
	ip_addr before[2];
	size_t had = alloc_service_ips(ctl->alloc, v.svc.namespace, v.svc.name, before, NULL);
	/* Another class is not ours; but a Service of ours that stopped being a LoadBalancer had to
	 * drop its class, and still gets its status and annotation cleared. */
	bool left_lb = had && v.svc.type != SVC_TYPE_LOAD_BALANCER;
	if (!svc_class_handled(v.svc.lb_class, ctl->lb_class) && !left_lb) {
		release(ctl, key);
		svc_view_free(&v);
		return;
	}
	struct alloc_result res;
	alloc_sync(ctl->alloc, &v.svc, &res);
	ctl_count_result(&ctl->counters, &res);
	struct svc_desired d;
	svc_desired_from_result(&res, &d);
	bool writes = !svc_status_matches(svc, &d);
	emit_events(ctl, svc, key, &res, writes);
	if (writes) {
		if (d.nips)
			log_info("controller", "service assigned", "service=%s ips=%s%s%s pool=%s", key,
				 d.ips[0], d.nips > 1 ? "," : "", d.nips > 1 ? d.ips[1] : "", d.pool);
		else
			log_info("controller", "service status cleared", "service=%s outcome=%s", key,
				 res.outcome == ALLOC_NOT_LB ? "not-a-load-balancer" : "failed");
		writer_put(ctl->writer, key, svc, &d);
	}
	if (had && (res.outcome != ALLOC_ASSIGNED || !same_ips(before, had, res.ips, res.nips)))
		enqueue_pending(ctl);   /* an address came free */
	if (writes || had != res.nips)
		pools_later(ctl);
	alloc_result_free(&res);
	svc_view_free(&v);
}

static void work(void *arg)
{
	struct controller *ctl = arg;
	for (int i = 0; i < BATCH && ctl->ready; i++) {
		char *key = keyq_pop(&ctl->queue);
		if (!key)
			break;
		sync_one(ctl, key);
		free(key);
		ctl->last_progress = loop_now();
	}
	if (ctl->ready && keyq_len(&ctl->queue))
		kick(ctl);
}

/* --- start: import, then allocate ---------------------------------------------------------- */

struct import_ctx {
	struct controller *ctl;
	size_t seen, kept, dropped;
};

static void import_one(void *arg, const char *key, const json_t *svc)
{
	struct import_ctx *ic = arg;
	struct controller *ctl = ic->ctl;
	struct svc_view v;
	svc_view_build(&v, svc, namespace_of(ctl, k8s_meta(svc, "namespace")));
	if (v.svc.nstatus_ips && svc_class_handled(v.svc.lb_class, ctl->lb_class)) {
		ic->seen++;
		if (alloc_import(ctl->alloc, &v.svc))
			ic->kept++;
		else
			ic->dropped++;
	}
	svc_view_free(&v);
}

static void try_ready(struct controller *ctl)
{
	if (ctl->ready || !ctl->leading || !ctl->model || !k8s_informer_synced(ctl->svcs) ||
	    !k8s_informer_synced(ctl->nss))
		return;
	monotime t0 = mono_now();
	ctl->alloc = alloc_new();
	alloc_set_pools(ctl->alloc, ctl->model, NULL);
	struct import_ctx ic = { .ctl = ctl };
	k8s_store_foreach(k8s_informer_store(ctl->svcs), import_one, &ic);
	ctl->ready = true;
	ctl->last_progress = loop_now();     /* the queue is judged from here (ctl_check_queue) */
	log_info("controller", "imported existing assignments", "namespace=%s services=%zu "
		 "with_status=%zu kept=%zu not_kept=%zu ms=%lld", ctl->ns,
		 k8s_store_count(k8s_informer_store(ctl->svcs)), ic.seen, ic.kept, ic.dropped,
		 (long long)mono_to_ms(mono_since(t0)));
	enqueue_all(ctl);
	pools_later(ctl);
}

static void stop_work(struct controller *ctl)
{
	ctl->ready = false;
	writer_cancel_all(ctl->writer);
	pool_status_cancel_all(ctl->pools);
	keyq_clear(&ctl->queue);
	timer_stop(ctl->work);
	timer_stop(ctl->pools_timer);
	alloc_free(ctl->alloc);
	ctl->alloc = NULL;
}

/* --- configuration ------------------------------------------------------------------------ */

static void config_refused(struct controller *ctl, const struct cfg_diags *diags)
{
	ctl->counters.config_refusals++;
	ctl->config_stale = true;
	free(ctl->config_error);
	ctl->config_error = NULL;
	for (size_t i = 0; i < diags->n; i++) {
		const struct cfg_diag *dg = &diags->v[i];
		if (dg->severity != CFG_ERROR)
			continue;
		char *msg = cfg_diag_message(dg);
		if (!ctl->config_error)      /* the first error says why in /readyz and status */
			ctl->config_error = xasprintf("%s%s%s: %s", dg->object, dg->field ? " " : "",
						      dg->field ? dg->field : "", msg);
		log_error("controller", "configuration refused, the previous one stays in force",
			  "namespace=%s object=%s field=%s reason=%s", ctl->ns, dg->object,
			  dg->field ? dg->field : "", msg);
		const json_t *obj = cfg_source_object(ctl->cfg, dg->object);
		if (obj && ctl->leading)
			k8s_event(ctl->rec, obj, "Warning", "InvalidConfig",
				  "configuration refused, the previous one stays in force: %s", msg);
		free(msg);
	}
}

/* A valid configuration is in force again (new, or the same as the one in force). */
static void config_accepted(struct controller *ctl)
{
	ctl->counters.config_loads++;
	ctl->config_stale = false;
	free(ctl->config_error);
	ctl->config_error = NULL;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ctl->config_last_reload = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void config_changed(void *arg)
{
	struct controller *ctl = arg;
	enum cfg_mode mode = cfg_source_mode(ctl->cfg);
	ctl->config_absent = mode == CFG_MODE_NONE;
	if (mode == CFG_MODE_NONE) {
		log_warn("controller", ctl->model ? "configuration missing, keeping the last one"
			 : "no configuration yet: neither the ConfigMap nor metallb.io objects exist",
			 "namespace=%s configmap=%s", ctl->ns, ctl->cm);
		return;
	}
	bool both = mode == CFG_MODE_CRD && cfg_source_has_configmap(ctl->cfg);
	if (both && !ctl->said_both)
		log_warn("controller", "both the legacy ConfigMap and metallb.io objects exist: the "
			 "metallb.io objects are used", "namespace=%s configmap=%s", ctl->ns, ctl->cm);
	ctl->said_both = both;
	char *doc = cfg_source_document(ctl->cfg);
	char *name = xasprintf("%s/%s", ctl->ns, mode == CFG_MODE_LEGACY ? ctl->cm : "metallb.io");
	struct cfg_input in = { name, doc, strlen(doc) };
	struct cfg_diags diags = { 0 };
	struct cfg_model *m = config_load(&in, 1, &diags);
	for (size_t i = 0; i < diags.n; i++) {
		if (diags.v[i].severity != CFG_WARNING)
			continue;
		char *msg = cfg_diag_message(&diags.v[i]);
		log_warn("controller", "configuration warning", "namespace=%s object=%s reason=%s",
			 ctl->ns, diags.v[i].object, msg);
		free(msg);
	}
	if (!m) {
		config_refused(ctl, &diags);
	} else if (ctl->model && ctl->mode == mode && model_equal(ctl->model, m)) {
		model_free(m);
		config_accepted(ctl);
	} else {
		config_accepted(ctl);
		struct cfg_model *old = ctl->model;
		ctl->model = m;
		ctl->mode = mode;
		log_info("controller", "configuration loaded", "namespace=%s source=%s pools=%zu",
			 ctl->ns, cfg_mode_name(mode), m->npools);
		if (ctl->ready) {
			struct alloc_keys cleared = { 0 };
			alloc_set_pools(ctl->alloc, m, &cleared);
			for (size_t i = 0; i < cleared.n; i++)
				log_info("controller", "assignment no longer allowed by the configuration",
					 "service=%s", cleared.v[i]);
			alloc_keys_free(&cleared);
			enqueue_all(ctl);
			pools_later(ctl);
		}
		model_free(old);
		try_ready(ctl);
	}
	cfg_diags_free(&diags);
	free(name);
	free(doc);
}

/* --- IPAddressPool status ------------------------------------------------------------------ */

static const json_t *find_pool(void *arg, const char *pool)
{
	struct controller *ctl = arg;
	char *what = xasprintf("IPAddressPool/%s", pool);
	const json_t *obj = cfg_source_object(ctl->cfg, what);
	free(what);
	return obj;
}

static void pools_fire(void *arg)
{
	struct controller *ctl = arg;
	if (ctl->ready && ctl->mode == CFG_MODE_CRD)
		pool_status_update(ctl->pools, ctl->alloc, ctl->model, find_pool, ctl);
}

static void pools_kick(void *arg)
{
	pools_later(arg);
}

/* --- informer handlers --------------------------------------------------------------------- */

static void svc_added(void *arg, const json_t *obj)
{
	char *key = k8s_object_key(obj);
	if (key)
		enqueue(arg, key);
	free(key);
}

static void svc_updated(void *arg, const json_t *old, const json_t *obj)
{
	svc_added(arg, obj);
}

static void svc_deleted(void *arg, const json_t *obj, bool synthetic)
{
	svc_added(arg, obj);
}

static void synced(void *arg)
{
	try_ready(arg);
}

struct ns_ctx {
	struct controller *ctl;
	const char *ns;
};

static void enqueue_in_ns(void *arg, const char *key, const json_t *obj)
{
	struct ns_ctx *nc = arg;
	size_t n = strlen(nc->ns);
	if (!strncmp(key, nc->ns, n) && key[n] == '/')
		enqueue(nc->ctl, key);
}

static void ns_changed(void *arg, const json_t *old, const json_t *obj)
{
	struct controller *ctl = arg;
	const json_t *ol = json_object_get(json_object_get(old, "metadata"), "labels");
	const json_t *nl = json_object_get(json_object_get(obj, "metadata"), "labels");
	const char *name = k8s_meta(obj, "name");
	if (!ctl->ready || !name || (old && json_equal(ol, nl)))
		return;
	struct ns_ctx nc = { ctl, name };
	k8s_store_foreach(k8s_informer_store(ctl->svcs), enqueue_in_ns, &nc);
}

static void ns_added(void *arg, const json_t *obj)
{
	ns_changed(arg, NULL, obj);
}

/* --- leadership ---------------------------------------------------------------------------- */

static void leadership(void *arg, bool leading)
{
	struct controller *ctl = arg;
	ctl->leading = leading;
	if (leading) {
		log_info("controller", "leading: assigning IPs", "identity=%s", ctl->identity);
		try_ready(ctl);
	} else {
		log_warn("controller", "not leading: writes stopped", "identity=%s", ctl->identity);
		stop_work(ctl);
	}
}

/* --- public -------------------------------------------------------------------------------- */

static char *dup_or_null(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

struct controller *controller_new(struct k8s_client *c, const struct ctl_options *o)
{
	struct controller *ctl = XNEW(struct controller);
	ctl->c = c;
	ctl->o = *o;
	ctl->ns = xstrdup(o->namespace ? o->namespace : "metallb-system");
	ctl->cm = xstrdup(o->configmap ? o->configmap : "config");
	ctl->lb_class = dup_or_null(o->lb_class);
	ctl->lease_name = xstrdup(o->lease_name ? o->lease_name : "ingot-controller");
	ctl->identity = xstrdup(o->identity ? o->identity : "ingot-controller");
	ctl->rec = k8s_recorder_new(c, "metallb-controller", NULL);
	keyq_init(&ctl->queue);
	ctl->work = timer_new(work, ctl);
	ctl->pools_timer = timer_new(pools_fire, ctl);
	ctl->writer = writer_new(c, requeue, ctl);
	ctl->pools = pool_status_new(c, pools_kick, ctl);
	static const struct k8s_informer_handlers svc_h = { svc_added, svc_updated, svc_deleted,
							    synced };
	static const struct k8s_informer_handlers ns_h = { ns_added, ns_changed, NULL, synced };
	ctl->svcs = k8s_informer_new(c, &k8s_res_services, NULL, &svc_h, ctl);
	ctl->nss = k8s_informer_new(c, &k8s_res_namespaces, NULL, &ns_h, ctl);
	ctl->cfg = cfg_source_new(c, ctl->ns, ctl->cm, config_changed, ctl);
	ctl->ml_secret_name = dup_or_null(o->ml_secret_name);
	if (o->leader_elect)
		ctl->el = elector_new(c, ctl->ns, ctl->lease_name, ctl->identity, &o->timing,
				      leadership, ctl);
	else
		ctl->leading = true;
	return ctl;
}

void controller_start(struct controller *ctl)
{
	log_info("controller", "starting", "namespace=%s configmap=%s lb_class=%s leader_elect=%s "
		 "identity=%s ml_secret=%s", ctl->ns, ctl->cm, ctl->lb_class ? ctl->lb_class : "",
		 ctl->el ? "true" : "false", ctl->identity,
		 ctl->ml_secret_name ? ctl->ml_secret_name : "");
	k8s_informer_start(ctl->svcs);
	k8s_informer_start(ctl->nss);
	cfg_source_start(ctl->cfg);
	if (ctl->el)
		elector_start(ctl->el);
	if (ctl->ml_secret_name)
		ctl->ml_secret = ml_secret_start(ctl->c, ctl->ns, ctl->ml_secret_name);
}

void controller_shutdown(struct controller *ctl, void (*done)(void *arg), void *arg)
{
	log_info("controller", "shutting down", "identity=%s synced=%llu writes_ok=%llu "
		 "writes_failed=%llu", ctl->identity, (unsigned long long)ctl->counters.syncs,
		 writer_stats(ctl->writer)->writes_ok, writer_stats(ctl->writer)->writes_failed);
	ctl->leading = false;
	stop_work(ctl);
	if (ctl->el)
		elector_release(ctl->el, done, arg);
	else
		done(arg);
}

void controller_free(struct controller *ctl)
{
	if (!ctl)
		return;
	stop_work(ctl);
	ml_secret_free(ctl->ml_secret);
	free(ctl->ml_secret_name);
	free(ctl->config_error);
	elector_free(ctl->el);
	cfg_source_free(ctl->cfg);
	k8s_informer_free(ctl->svcs);
	k8s_informer_free(ctl->nss);
	writer_free(ctl->writer);
	pool_status_free(ctl->pools);
	timer_free(ctl->work);
	timer_free(ctl->pools_timer);
	keyq_free(&ctl->queue);
	k8s_recorder_free(ctl->rec);
	model_free(ctl->model);
	free(ctl->ns);
	free(ctl->cm);
	free(ctl->lb_class);
	free(ctl->lease_name);
	free(ctl->identity);
	free(ctl);
}

/* --- what it is doing (ctl_report.h) ------------------------------------------------------- */

/* The informers back off (state wait-*) while the API server does not answer. */
static bool informer_waiting(const struct k8s_informer *inf)
{
	return strncmp(k8s_informer_state_name(inf), "wait", 4) == 0;
}

void controller_state(const struct controller *ctl, struct ctl_state *out)
{
	memset(out, 0, sizeof(*out));
	out->identity = ctl->identity;
	out->server = k8s_client_server(ctl->c);
	out->leader_elect = ctl->el != NULL;
	out->leading = ctl->leading;
	out->leader_known = !ctl->el || elector_holder(ctl->el) != NULL;
	out->leader = ctl->el ? elector_holder(ctl->el) : ctl->identity;
	out->services_synced = k8s_informer_synced(ctl->svcs);
	out->namespaces_synced = k8s_informer_synced(ctl->nss);
	out->config_synced = cfg_source_synced(ctl->cfg);
	out->api_reachable = !informer_waiting(ctl->svcs) && !informer_waiting(ctl->nss);
	out->assigning = ctl->ready;
	out->config_source = ctl->model ? cfg_mode_name(ctl->mode) : "none";
	out->config_loaded = ctl->model != NULL;
	out->config_stale = ctl->config_stale;
	out->config_absent = ctl->config_absent && !ctl->model;
	out->config_error = ctl->config_error;
	out->config_last_reload = ctl->config_last_reload;
	out->services = k8s_store_count(k8s_informer_store(ctl->svcs));
	out->queue = keyq_len(&ctl->queue);
	out->last_progress = ctl->last_progress;
	out->counters = ctl->counters;
	out->counters.status_writes_ok = writer_stats(ctl->writer)->writes_ok;
	out->counters.status_writes_failed = writer_stats(ctl->writer)->writes_failed;
}

void controller_pools(const struct controller *ctl, struct ctl_pools *out)
{
	ctl_pools_from(out, ctl->model, ctl->ready ? ctl->alloc : NULL);
}

const char *controller_ml_secret_state(const struct controller *ctl)
{
	return ctl->ml_secret ? ml_secret_state_name(ml_secret_state(ctl->ml_secret)) : NULL;
}
