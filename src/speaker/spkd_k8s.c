/*
 * The speaker fed from the API server (spkd_k8s.h): informers -> spkd_update() -> Events.
 * The configuration comes through the controller's cfg_source (legacy ConfigMap or metallb.io
 * CRDs), so both read the same objects the same way.
 */
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "controller/cfg_source.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/xalloc.h"
#include "k8s/event.h"
#include "k8s/informer.h"
#include "k8s/resource.h"
#include "k8s/store.h"
#include "speaker/spkd.h"
#include "speaker/spkd_k8s.h"

#define DEBOUNCE_MS 20
#define HEALTH_CHECK_MS 1000

struct spkd_k8s {
	struct spkd_k8s_options o;
	struct k8s_client *c;
	struct k8s_informer *svcs, *slices, *nodes;
	struct cfg_source *cfg;
	struct cfg_model *model;
	struct k8s_recorder *rec;
	struct spkd *daemon;
	struct spkd_members *members;
	struct timer *kick, *health;
	bool unreachable;
	bool stopping;
};

static void kick(struct spkd_k8s *s)
{
	if (!s->stopping && !timer_pending(s->kick))
		timer_start(s->kick, mono_from_ms(DEBOUNCE_MS));
}

static void on_added(void *arg, const json_t *obj) { kick(arg); }
static void on_updated(void *arg, const json_t *old, const json_t *obj) { kick(arg); }
static void on_deleted(void *arg, const json_t *obj, bool synthetic) { kick(arg); }
static void on_synced(void *arg) { kick(arg); }

static void append_obj(void *arg, const char *key, const json_t *obj)
{
	json_array_append(arg, (json_t *)obj);
}

static json_t *store_array(const struct k8s_informer *inf)
{
	json_t *arr = json_array();
	k8s_store_foreach(k8s_informer_store(inf), append_obj, arr);
	return arr;
}

static void emit(void *arg, const struct spk_event *ev)
{
	struct spkd_k8s *s = arg;
	const json_t *svc = k8s_store_get_nn(k8s_informer_store(s->svcs), ev->service.namespace,
					     ev->service.name);
	if (svc)
		k8s_event(s->rec, svc, ev->type == SPK_EVENT_WARNING ? "Warning" : "Normal",
			  ev->reason, "%s", ev->message);
}

static void recompute(void *arg)
{
	struct spkd_k8s *s = arg;
	if (s->stopping || !s->model || !k8s_informer_synced(s->svcs) ||
	    !k8s_informer_synced(s->slices) || !k8s_informer_synced(s->nodes))
		return;
	if (!k8s_store_get(k8s_informer_store(s->nodes), s->o.node_name)) {
		static struct log_ratelimit rl = LOG_RATELIMIT(1, 1);
		log_rl(&rl, LOGL_WARN, "speaker", "no Node object for this node: nothing is announced",
		       "node=%s", s->o.node_name);
	}
	json_t *svcs = store_array(s->svcs), *slices = store_array(s->slices),
	       *nodes = store_array(s->nodes);
	spkd_members_set_nodes(s->members, nodes);
	struct spkd_source src = {
		.config = s->model, .node_name = s->o.node_name, .lb_class = s->o.lb_class,
		.services = svcs, .slices = slices, .nodes = nodes,
		.live = spkd_members_live, .live_arg = s->members,
	};
	spkd_update(s->daemon, &src);
	json_decref(svcs);
	json_decref(slices);
	json_decref(nodes);
}

static void config_changed(void *arg)
{
	struct spkd_k8s *s = arg;
	enum cfg_mode mode = cfg_source_mode(s->cfg);
	if (mode == CFG_MODE_NONE) {
		log_warn("speaker", s->model ? "configuration missing, keeping the last one"
			 : "no configuration yet", "namespace=%s configmap=%s", s->o.namespace,
			 s->o.configmap);
		return;
	}
	char *doc = cfg_source_document(s->cfg);
	char *name = xasprintf("%s/%s", s->o.namespace,
			       mode == CFG_MODE_LEGACY ? s->o.configmap : "metallb.io");
	struct cfg_input in = { name, doc, strlen(doc) };
	struct cfg_diags diags = { 0 };
	struct cfg_model *m = config_load(&in, 1, &diags);
	for (size_t i = 0; i < diags.n; i++) {
		char *msg = cfg_diag_message(&diags.v[i]);
		log_emit(diags.v[i].severity == CFG_ERROR ? LOGL_ERROR : LOGL_WARN, "speaker",
			 diags.v[i].severity == CFG_ERROR ? "configuration error"
			 : "configuration warning", "namespace=%s object=%s reason=%s",
			 s->o.namespace, diags.v[i].object ? diags.v[i].object : "", msg);
		free(msg);
	}
	if (!m) {
		log_error("speaker", "configuration refused, the previous one stays in force",
			  "namespace=%s errors=%zu", s->o.namespace, cfg_diags_count(&diags, CFG_ERROR));
	} else if (s->model && model_equal(s->model, m)) {
		model_free(m);
	} else {
		/* The daemon's announcer borrows the model until the next update: update first. */
		struct cfg_model *old = s->model;
		s->model = m;
		log_info("speaker", "configuration loaded", "namespace=%s source=%s pools=%zu "
			 "peers=%zu", s->o.namespace, cfg_mode_name(mode), m->npools, m->npeers);
		recompute(s);
		if (old)
			model_free(old);
	}
	cfg_diags_free(&diags);
	free(name);
	free(doc);
}

/* The informers back off while the API server is away; say so once, and when it is back. */
static void health(void *arg)
{
	struct spkd_k8s *s = arg;
	const char *st = k8s_informer_state_name(s->svcs);
	bool down = strncmp(st, "wait", 4) == 0;
	if (down && !s->unreachable)
		log_warn("speaker", "API server unreachable, keeping the last announcements",
			 "server=%s", k8s_client_server(s->c));
	else if (!down && s->unreachable)
		log_info("speaker", "API server reachable again", "server=%s",
			 k8s_client_server(s->c));
	s->unreachable = down;
	timer_start(s->health, mono_from_ms(HEALTH_CHECK_MS));
}

struct spkd_k8s *spkd_k8s_new(struct k8s_client *c, const struct spkd_k8s_options *o)
{
	struct spkd_k8s *s = xcalloc(1, sizeof(*s));
	s->c = c;
	s->o.node_name = xstrdup(o->node_name);
	s->o.namespace = xstrdup(o->namespace ? o->namespace : "metallb-system");
	s->o.configmap = xstrdup(o->configmap ? o->configmap : "config");
	s->o.lb_class = o->lb_class && *o->lb_class ? xstrdup(o->lb_class) : NULL;
	s->o.gshut_wait = o->gshut_wait;
	static const struct k8s_informer_handlers h = { on_added, on_updated, on_deleted,
							on_synced };
	s->svcs = k8s_informer_new(c, &k8s_res_services, NULL, &h, s);
	s->slices = k8s_informer_new(c, &k8s_res_endpointslices, NULL, &h, s);
	s->nodes = k8s_informer_new(c, &k8s_res_nodes, NULL, &h, s);
	s->cfg = cfg_source_new(c, s->o.namespace, s->o.configmap, config_changed, s);
	s->rec = k8s_recorder_new(c, "metallb-speaker", s->o.node_name);
	s->kick = timer_new(recompute, s);
	s->health = timer_new(health, s);
	s->daemon = spkd_new(s->o.node_name, emit, s);
	/* A member changed state: decide again at once (the detector's timing is the failover). */
	s->members = spkd_members_new(s->o.node_name, &o->ml, recompute, s);
	return s;
}

void spkd_k8s_start(struct spkd_k8s *s)
{
	log_info("speaker", "starting", "node=%s namespace=%s configmap=%s lb_class=%s",
		 s->o.node_name, s->o.namespace, s->o.configmap, s->o.lb_class ? s->o.lb_class : "");
	k8s_informer_start(s->svcs);
	k8s_informer_start(s->slices);
	k8s_informer_start(s->nodes);
	cfg_source_start(s->cfg);
	timer_start(s->health, mono_from_ms(HEALTH_CHECK_MS));
}

void spkd_k8s_shutdown(struct spkd_k8s *s, void (*done)(void *arg), void *arg)
{
	/* First the LEAVE, so the others re-elect while we still answer (no gap in a rolling
	 * update), then stop answering and withdraw. */
	spkd_members_leave(s->members);
	s->stopping = true;
	timer_stop(s->kick);
	spkd_stop(s->daemon, s->o.gshut_wait, done, arg);
}

struct spkd *spkd_k8s_daemon(struct spkd_k8s *s)
{
	return s->daemon;
}

struct spkd_members *spkd_k8s_members(struct spkd_k8s *s)
{
	return s->members;
}

bool spkd_k8s_api_ok(void *arg)
{
	const struct spkd_k8s *s = arg;
	return !s->unreachable;
}

void spkd_k8s_free(struct spkd_k8s *s)
{
	if (!s)
		return;
	spkd_free(s->daemon);
	spkd_members_free(s->members);
	cfg_source_free(s->cfg);
	k8s_informer_free(s->svcs);
	k8s_informer_free(s->slices);
	k8s_informer_free(s->nodes);
	k8s_recorder_free(s->rec);
	timer_free(s->kick);
	timer_free(s->health);
	if (s->model)
		model_free(s->model);
	free((char *)s->o.node_name);
	free((char *)s->o.namespace);
	free((char *)s->o.configmap);
	free((char *)s->o.lb_class);
	free(s);
}
