/*
 * The controller's counters, metrics, health verdicts and status document, from plain structs
 * (see ctl_report.h). No I/O: ctl_ops.c serves what is built here.
 */
#include "controller/ctl_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "ops/metrics.h"

/* --- counting decisions -------------------------------------------------------------------- */

/*
 * The allocator reports a refusal only as MetalLB's AllocationFailed message, whose text is
 * MetalLB's and therefore stable (users grep Events for it). A conflict is a refusal because
 * another Service holds the address: alloc/state.c's sharing-key and port clashes.
 */
static bool is_conflict(const char *message)
{
	return message && (strstr(message, "can't change sharing key for") ||
			   strstr(message, "is already in use on"));
}

void ctl_count_result(struct ctl_counters *c, const struct alloc_result *res)
{
	c->syncs++;
	for (size_t i = 0; i < res->nevents; i++) {
		const struct alloc_event *ev = &res->events[i];
		if (strcmp(ev->reason, "IPAllocated") == 0) {
			c->allocations++;
		} else if (strcmp(ev->reason, "AllocationFailed") == 0) {
			c->allocation_failures++;
			if (is_conflict(ev->message))
				c->conflicts++;
		}
	}
}

/* --- pools --------------------------------------------------------------------------------- */

void ctl_pools_free(struct ctl_pools *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].name);
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void ctl_pools_from(struct ctl_pools *p, const struct cfg_model *model, const struct alloc *a)
{
	p->v = NULL;
	p->n = 0;
	if (!model || model->npools == 0)
		return;
	/* A standby has no allocator; the sizes come from an empty one over the same pools. */
	struct alloc *sizes = a ? NULL : alloc_new();
	if (sizes)
		alloc_set_pools(sizes, model, NULL);
	const struct alloc *src = a ? a : sizes;
	p->v = xcalloc(model->npools, sizeof(*p->v));
	for (size_t i = 0; i < model->npools; i++) {
		const char *name = model->pools[i].meta.name;
		struct alloc_pool_counters pc = { 0 };
		if (!name || !alloc_pool_counters(src, name, &pc))
			continue;
		struct ctl_pool_usage *u = &p->v[p->n++];
		u->name = xstrdup(name);
		u->in_use = add_sat(pc.assigned_v4, pc.assigned_v6);
		u->size = add_sat(add_sat(u->in_use, pc.available_v4), pc.available_v6);
		u->in_use_known = a != NULL;
	}
	alloc_free(sizes);
}

/* --- metrics ------------------------------------------------------------------------------- */

struct ctl_metrics {
	struct metric_family *in_use, *total;
	struct metric_series **pool_series;    /* set at the last update, removed at the next */
	size_t npool_series;
	struct metric_series *loaded, *stale, *allocs, *fails, *conflicts, *syncs, *writes_ok,
		*writes_failed, *reload_ok, *reload_failed, *valid, *last_reload, *api, *leader,
		*queue, *synced_svcs, *synced_nss, *synced_cfg;
};

static struct metric_series *one(struct metric_family *f)
{
	return metric_series(f, METRIC_NO_LABELS);
}

struct ctl_metrics *ctl_metrics_new(struct metrics *m)
{
	struct ctl_metrics *cm = XNEW(struct ctl_metrics);
	/* MetalLB's names; both are gauges in MetalLB, untyped here because of the "_total" suffix */
	cm->in_use = metrics_untyped(m, "metallb_allocator_addresses_in_use_total",
				     "Number of IP addresses in use, per pool", METRIC_LABELS("pool"));
	cm->total = metrics_untyped(m, "metallb_allocator_addresses_total",
				    "Number of usable IP addresses, per pool", METRIC_LABELS("pool"));
	cm->loaded = one(metrics_gauge(m, "metallb_k8s_client_config_loaded_bool",
		"1 if the MetalLB configuration was successfully loaded at least once",
		METRIC_NO_LABELS));
	cm->stale = one(metrics_gauge(m, "metallb_k8s_client_config_stale_bool",
		"1 if running on a stale configuration, because the latest config failed to load",
		METRIC_NO_LABELS));
	cm->allocs = one(metrics_counter(m, "ingot_controller_allocations_total",
		"IP assignments handed to Services (IPAllocated events)", METRIC_NO_LABELS));
	cm->fails = one(metrics_counter(m, "ingot_controller_allocation_failures_total",
		"Allocator decisions that assigned nothing (AllocationFailed events)",
		METRIC_NO_LABELS));
	cm->conflicts = one(metrics_counter(m, "ingot_controller_allocation_conflicts_total",
		"Allocation failures because another Service holds the IP (sharing key or port clash)",
		METRIC_NO_LABELS));
	cm->syncs = one(metrics_counter(m, "ingot_controller_service_syncs_total",
		"Services run through the allocator", METRIC_NO_LABELS));
	struct metric_family *writes = metrics_counter(m, "ingot_controller_status_writes_total",
		"Service status writes, by result", METRIC_LABELS("result"));
	cm->writes_ok = metric_series(writes, METRIC_LABELS("success"));
	cm->writes_failed = metric_series(writes, METRIC_LABELS("failure"));
	struct metric_family *reloads = metrics_counter(m, "ingot_controller_config_reloads_total",
		"Configurations loaded (success) or refused (failure)", METRIC_LABELS("result"));
	cm->reload_ok = metric_series(reloads, METRIC_LABELS("success"));
	cm->reload_failed = metric_series(reloads, METRIC_LABELS("failure"));
	cm->valid = one(metrics_gauge(m, "ingot_controller_config_valid",
		"1 when a valid configuration is in force and the latest one was not refused",
		METRIC_NO_LABELS));
	cm->last_reload = one(metrics_gauge(m,
		"ingot_controller_config_last_reload_success_timestamp_seconds",
		"Wall-clock time of the last successful configuration load (0: never)",
		METRIC_NO_LABELS));
	cm->api = one(metrics_gauge(m, "ingot_controller_api_server_reachable",
		"1 while the API server answers, 0 while the informers back off", METRIC_NO_LABELS));
	cm->leader = one(metrics_gauge(m, "ingot_controller_leader",
		"1 while this replica leads (always 1 without leader election)", METRIC_NO_LABELS));
	cm->queue = one(metrics_gauge(m, "ingot_controller_work_queue_length",
		"Services waiting to be synced", METRIC_NO_LABELS));
	struct metric_family *synced = metrics_gauge(m, "ingot_controller_informer_synced",
		"1 once the informer delivered its first complete list", METRIC_LABELS("informer"));
	cm->synced_svcs = metric_series(synced, METRIC_LABELS("services"));
	cm->synced_nss = metric_series(synced, METRIC_LABELS("namespaces"));
	cm->synced_cfg = metric_series(synced, METRIC_LABELS("config"));
	return cm;
}

static void keep(struct ctl_metrics *cm, struct metric_series *s, double v)
{
	metric_set(s, v);
	cm->pool_series = xreallocarray(cm->pool_series, cm->npool_series + 1,
					sizeof(*cm->pool_series));
	cm->pool_series[cm->npool_series++] = s;
}

void ctl_metrics_update(struct ctl_metrics *cm, const struct ctl_state *st,
			const struct ctl_pools *pools)
{
	for (size_t i = 0; i < cm->npool_series; i++)
		metric_series_remove(cm->pool_series[i]);
	cm->npool_series = 0;
	for (size_t i = 0; pools && i < pools->n; i++) {
		const struct ctl_pool_usage *u = &pools->v[i];
		if (!u->in_use_known)
			continue;
		keep(cm, metric_series(cm->in_use, METRIC_LABELS(u->name)), (double)u->in_use);
		keep(cm, metric_series(cm->total, METRIC_LABELS(u->name)), (double)u->size);
	}
	const struct ctl_counters *c = &st->counters;
	metric_set(cm->loaded, st->config_loaded);
	metric_set(cm->stale, st->config_stale);
	/* counters mirror the controller's own monotonic counts */
	metric_set(cm->allocs, (double)c->allocations);
	metric_set(cm->fails, (double)c->allocation_failures);
	metric_set(cm->conflicts, (double)c->conflicts);
	metric_set(cm->syncs, (double)c->syncs);
	metric_set(cm->writes_ok, (double)c->status_writes_ok);
	metric_set(cm->writes_failed, (double)c->status_writes_failed);
	metric_set(cm->reload_ok, (double)c->config_loads);
	metric_set(cm->reload_failed, (double)c->config_refusals);
	metric_set(cm->valid, st->config_loaded && !st->config_stale);
	metric_set(cm->last_reload, st->config_last_reload);
	metric_set(cm->api, st->api_reachable);
	metric_set(cm->leader, st->leading);
	metric_set(cm->queue, (double)st->queue);
	metric_set(cm->synced_svcs, st->services_synced);
	metric_set(cm->synced_nss, st->namespaces_synced);
	metric_set(cm->synced_cfg, st->config_synced);
}

void ctl_metrics_free(struct ctl_metrics *cm)
{
	if (!cm)
		return;
	free(cm->pool_series);
	free(cm);
}

/* --- health -------------------------------------------------------------------------------- */

bool ctl_check_heartbeat(monotime last_beat, monotime now, char *why, size_t why_len)
{
	int64_t age = mono_to_s(mono_sub(now, last_beat));
	if (age < CTL_HEARTBEAT_MAX_AGE_S)
		return true;
	snprintf(why, why_len, "the loop's 1 s heartbeat last ran %llds ago", (long long)age);
	return false;
}

bool ctl_check_queue(const struct ctl_state *st, monotime now, char *why, size_t why_len)
{
	if (st->queue == 0 || mono_is_zero(st->last_progress))
		return true;
	int64_t age = mono_to_s(mono_sub(now, st->last_progress));
	if (age < CTL_QUEUE_STUCK_S)
		return true;
	snprintf(why, why_len, "%zu Services queued, none synced for %llds", st->queue,
		 (long long)age);
	return false;
}

bool ctl_check_synced(const struct ctl_state *st, char *why, size_t why_len)
{
	if (st->services_synced && st->namespaces_synced && st->config_synced)
		return true;
	snprintf(why, why_len, "waiting for the first list of:%s%s%s",
		 st->services_synced ? "" : " services", st->namespaces_synced ? "" : " namespaces",
		 st->config_synced ? "" : " config");
	return false;
}

/*
 * Ready with a valid configuration in force, and also with none at all (listed, nothing there):
 * that is a valid, empty configuration -- a fresh install before the user adds pools -- and
 * MetalLB's install guide waits for the Pods to be Ready before it applies the configuration.
 */
bool ctl_check_config(const struct ctl_state *st, char *why, size_t why_len)
{
	if (st->config_stale) {
		snprintf(why, why_len, "latest configuration refused (%s)%s",
			 st->config_error ? st->config_error : "invalid",
			 st->config_loaded ? ", the previous one stays in force" : "");
		return false;
	}
	if (st->config_loaded || st->config_absent)
		return true;
	snprintf(why, why_len, "no configuration loaded yet");
	return false;
}

bool ctl_check_leader(const struct ctl_state *st, char *why, size_t why_len)
{
	if (st->leader_known)
		return true;
	snprintf(why, why_len, "leader election has not read the Lease yet");
	return false;
}

/* --- status --------------------------------------------------------------------------------- */

static const char *role(const struct ctl_state *st)
{
	if (st->leading)
		return "leader";
	return st->leader_known ? "standby" : "unknown";
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *ctl_status_controller(const struct ctl_state *st)
{
	const struct ctl_counters *c = &st->counters;
	json_t *o = json_object();
	json_object_set_new(o, "identity", json_string(st->identity ? st->identity : ""));
	json_object_set_new(o, "role", json_string(role(st)));
	json_object_set_new(o, "leader", str_or_null(st->leader));
	json_object_set_new(o, "leader_election", json_boolean(st->leader_elect));
	json_object_set_new(o, "assigning", json_boolean(st->assigning));
	json_object_set_new(o, "api_server_reachable", json_boolean(st->api_reachable));
	json_object_set_new(o, "informers_synced", json_boolean(st->services_synced &&
								 st->namespaces_synced &&
								 st->config_synced));
	json_object_set_new(o, "services", json_integer((json_int_t)st->services));
	json_object_set_new(o, "queue", json_integer((json_int_t)st->queue));
	json_object_set_new(o, "allocations", json_integer((json_int_t)c->allocations));
	json_object_set_new(o, "allocation_failures",
			    json_integer((json_int_t)c->allocation_failures));
	json_object_set_new(o, "allocation_conflicts", json_integer((json_int_t)c->conflicts));
	json_object_set_new(o, "status_writes_ok", json_integer((json_int_t)c->status_writes_ok));
	json_object_set_new(o, "status_writes_failed",
			    json_integer((json_int_t)c->status_writes_failed));
	return o;
}

json_t *ctl_status_config(const struct ctl_state *st, double now_wall)
{
	json_t *o = json_object();
	json_object_set_new(o, "source", json_string(st->config_source ? st->config_source : "none"));
	json_object_set_new(o, "valid", json_boolean(st->config_loaded && !st->config_stale));
	json_object_set_new(o, "loaded", json_boolean(st->config_loaded));
	json_object_set_new(o, "stale", json_boolean(st->config_stale));
	json_object_set_new(o, "error", str_or_null(st->config_stale ? st->config_error : NULL));
	json_object_set_new(o, "last_reload_age_s",
			    st->config_last_reload > 0
			    ? json_integer((json_int_t)(now_wall - st->config_last_reload))
			    : json_null());
	json_object_set_new(o, "reloads", json_integer((json_int_t)st->counters.config_loads));
	json_object_set_new(o, "refused", json_integer((json_int_t)st->counters.config_refusals));
	return o;
}

json_t *ctl_status_pools(const struct ctl_pools *pools)
{
	json_t *list = json_array();
	for (size_t i = 0; i < pools->n; i++) {
		const struct ctl_pool_usage *u = &pools->v[i];
		json_array_append_new(list, json_pack("{s:s, s:o, s:o}", "pool", u->name, "size",
						      json_integer(u->size > INT64_MAX ? INT64_MAX
								   : (json_int_t)u->size),
						      "in_use", u->in_use_known
						      ? json_integer((json_int_t)u->in_use)
						      : json_null()));
	}
	return json_pack("{s:o}", "pools", list);
}
