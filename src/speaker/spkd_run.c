/*
 * `ingot run` (spkd_run.h): files -> allocator -> speaker daemon, reloaded on request.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc/alloc.h"
#include "controller/svc_view.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "speaker/spkd.h"
#include "speaker/spkd_run.h"

struct spkd_run {
	char *node_name;
	char *lb_class;
	char **paths;
	size_t npaths;
	uint16_t gshut_wait;
	struct alloc *alloc;
	struct spkd_files cur;       /* the state in force; model borrowed by alloc and daemon */
	bool loaded;
	json_t *allocated;           /* "ns/name" -> true for Services the allocator holds */
	struct spkd *daemon;
	struct spkd_members *members;
	bool stopping;
};

static char *svc_key(const json_t *svc)
{
	const json_t *meta = json_object_get(svc, "metadata");
	return xasprintf("%s/%s", json_string_value(json_object_get(meta, "namespace")),
			 json_string_value(json_object_get(meta, "name")));
}

static size_t ips_of(void *arg, const json_t *svc, ip_addr out[2], const char **pool)
{
	struct spkd_run *r = arg;
	const json_t *meta = json_object_get(svc, "metadata");
	return alloc_service_ips(r->alloc, json_string_value(json_object_get(meta, "namespace")),
				 json_string_value(json_object_get(meta, "name")), out, pool);
}

static void log_result(const char *key, const struct alloc_result *res)
{
	for (size_t i = 0; i < res->nevents; i++)
		log_emit(res->events[i].warning ? LOGL_WARN : LOGL_INFO, "run", res->events[i].reason,
			 "service=%s message=%s", key, res->events[i].message);
}

/* Allocates for every Service of f; releases those no longer there or no longer ours. */
static void allocate(struct spkd_run *r, const struct spkd_files *f, bool first)
{
	alloc_set_pools(r->alloc, f->model, NULL);
	size_t i;
	const json_t *svc;
	if (first) {
		json_array_foreach(f->services, i, svc) {
			struct svc_view v;
			svc_view_build(&v, svc, NULL);
			alloc_import(r->alloc, &v.svc);
			svc_view_free(&v);
		}
	}
	json_t *now = json_object();
	json_array_foreach(f->services, i, svc) {
		struct svc_view v;
		svc_view_build(&v, svc, NULL);
		char *key = svc_key(svc);
		if (svc_class_handled(v.svc.lb_class, r->lb_class)) {
			struct alloc_result res;
			alloc_sync(r->alloc, &v.svc, &res);
			if (res.outcome == ALLOC_ASSIGNED)
				json_object_set_new(now, key, json_true());
			if (res.changed || res.outcome == ALLOC_FAILED)
				log_result(key, &res);
			alloc_result_free(&res);
		}
		free(key);
		svc_view_free(&v);
	}
	const char *key;
	json_t *val;
	json_object_foreach(r->allocated, key, val) {
		if (json_object_get(now, key))
			continue;
		const char *slash = strchr(key, '/');
		char *ns = xstrndup(key, (size_t)(slash - key));
		if (alloc_release(r->alloc, ns, slash + 1))
			log_info("run", "IP released", "service=%s", key);
		free(ns);
	}
	json_decref(r->allocated);
	r->allocated = now;
}

static void announce(struct spkd_run *r)
{
	spkd_members_set_nodes(r->members, r->cur.nodes);
	struct spkd_source src = {
		.config = r->cur.model, .node_name = r->node_name, .lb_class = r->lb_class,
		.services = r->cur.services, .slices = r->cur.slices, .nodes = r->cur.nodes,
		.self_only = json_array_size(r->cur.nodes) == 0, .no_slice_is_local = true,
		.ips = ips_of, .ips_arg = r,
		.live = spkd_members_live, .live_arg = r->members,
	};
	spkd_update(r->daemon, &src);
}

/* A member changed state: decide again with the files in force. */
static void members_changed(void *arg)
{
	struct spkd_run *r = arg;
	if (r->loaded && !r->stopping)
		announce(r);
}

bool spkd_run_reload(struct spkd_run *r)
{
	struct spkd_files f;
	if (!spkd_files_load(r->paths, r->npaths, &f)) {
		log_error("run", r->loaded ? "files refused, the running state stays"
			  : "files refused, nothing announced", "files=%zu", r->npaths);
		return false;
	}
	struct spkd_files old = r->cur;
	bool first = !r->loaded;
	r->cur = f;
	r->loaded = true;
	allocate(r, &r->cur, first);
	announce(r);
	log_info("run", "files loaded", "pools=%zu peers=%zu services=%zu nodes=%zu",
		 r->cur.model->npools, r->cur.model->npeers, json_array_size(r->cur.services),
		 json_array_size(r->cur.nodes));
	/* Nothing borrows the old model any more: the allocator and the daemon have the new one. */
	spkd_files_free(&old);
	return true;
}

struct spkd_run *spkd_run_new(const struct spkd_run_options *o)
{
	struct spkd_run *r = xcalloc(1, sizeof(*r));
	r->node_name = xstrdup(o->node_name);
	r->lb_class = o->lb_class && *o->lb_class ? xstrdup(o->lb_class) : NULL;
	r->paths = xcalloc(o->npaths + 1, sizeof(*r->paths));
	for (size_t i = 0; i < o->npaths; i++)
		r->paths[i] = xstrdup(o->paths[i]);
	r->npaths = o->npaths;
	r->gshut_wait = o->gshut_wait;
	r->alloc = alloc_new();
	r->allocated = json_object();
	r->daemon = spkd_new(r->node_name, NULL, NULL);
	r->members = spkd_members_new(r->node_name, &o->ml, members_changed, r);
	return r;
}

void spkd_run_shutdown(struct spkd_run *r, void (*done)(void *arg), void *arg)
{
	/* LEAVE first: the others take over while we still answer. */
	spkd_members_leave(r->members);
	r->stopping = true;
	spkd_stop(r->daemon, r->gshut_wait, done, arg);
}

struct spkd_members *spkd_run_members(struct spkd_run *r)
{
	return r->members;
}

struct spkd *spkd_run_daemon(struct spkd_run *r)
{
	return r->daemon;
}

void spkd_run_free(struct spkd_run *r)
{
	if (!r)
		return;
	spkd_free(r->daemon);
	spkd_members_free(r->members);
	alloc_free(r->alloc);
	spkd_files_free(&r->cur);
	json_decref(r->allocated);
	for (size_t i = 0; i < r->npaths; i++)
		free(r->paths[i]);
	free(r->paths);
	free(r->lb_class);
	free(r->node_name);
	free(r);
}
