/*
 * What the controller reports about itself, pure (no I/O): the counters it keeps, the state it is
 * in, and how both become Prometheus metrics, health verdicts and the `ingot status` document.
 * ctl_ops.h serves them; the unit tests feed plain structs.
 *
 * Metrics (ops/metrics.h explains why two of MetalLB's names are untyped):
 *   metallb_allocator_addresses_in_use_total{pool}  untyped  IPs in use, per pool (MetalLB's gauge)
 *   metallb_allocator_addresses_total{pool}         untyped  usable IPs, per pool (MetalLB's gauge)
 *   metallb_k8s_client_config_loaded_bool           gauge    1 once a configuration was loaded
 *   metallb_k8s_client_config_stale_bool            gauge    1 while the latest one is refused
 *   ingot_controller_allocations_total              counter  IPs handed to Services (IPAllocated)
 *   ingot_controller_allocation_failures_total      counter  AllocationFailed decisions
 *   ingot_controller_allocation_conflicts_total     counter  of those, refused because another
 *                                                             Service holds the IP (sharing key
 *                                                             or port clash)
 *   ingot_controller_service_syncs_total            counter  Services run through the allocator
 *   ingot_controller_status_writes_total{result}    counter  Service status writes, success/failure
 *   ingot_controller_config_reloads_total{result}   counter  configurations loaded or refused
 *   ingot_controller_config_valid                   gauge    1 when a valid configuration is in
 *                                                             force and the latest was not refused
 *   ingot_controller_config_last_reload_success_timestamp_seconds  gauge  wall clock
 *   ingot_controller_api_server_reachable           gauge    0 while informers back off
 *   ingot_controller_informer_synced{informer}      gauge    services, namespaces, config
 *   ingot_controller_leader                         gauge    1 while this replica leads
 *   ingot_controller_work_queue_length              gauge    Services waiting to be synced
 * Pool series exist only while this replica assigns (MetalLB's only come from the leader too).
 */
#ifndef INGOT_CONTROLLER_CTL_REPORT_H
#define INGOT_CONTROLLER_CTL_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alloc/alloc.h"
#include "core/monotime.h"

struct metrics;

/* Counters the controller keeps (monotonic). */
struct ctl_counters {
	uint64_t syncs, allocations, allocation_failures, conflicts;
	uint64_t status_writes_ok, status_writes_failed;
	uint64_t config_loads, config_refusals;
};

/* Counts one allocator decision into c. */
void ctl_count_result(struct ctl_counters *c, const struct alloc_result *res);

struct ctl_state {
	const char *identity;
	const char *server;          /* the API server's URL */
	bool leader_elect;
	bool leading;
	bool leader_known;           /* the Lease was read at least once (always, without election) */
	const char *leader;          /* holder as last read: NULL unknown, "" nobody */
	bool services_synced, namespaces_synced, config_synced;
	bool api_reachable;
	bool assigning;              /* leading, synced and configured: the allocator runs */
	const char *config_source;   /* "none", "configmap" or "crds" */
	bool config_loaded;          /* a valid configuration is in force */
	bool config_stale;           /* the latest one was refused (config_error says why) */
	bool config_absent;          /* none exists yet (listed, nothing there): an empty config */
	const char *config_error;    /* NULL unless stale */
	double config_last_reload;   /* wall-clock seconds of the last successful load; 0: never */
	size_t services;             /* Services in the informer */
	size_t queue;                /* Services waiting to be synced */
	monotime last_progress;      /* when the queue last moved (zero: never) */
	struct ctl_counters counters;
};

struct ctl_pool_usage {
	char *name;
	uint64_t size;               /* usable addresses (both families) */
	uint64_t in_use;
	bool in_use_known;           /* false on a standby replica */
};

struct ctl_pools {
	struct ctl_pool_usage *v;
	size_t n;
};
void ctl_pools_free(struct ctl_pools *p);
/* Fills p from a model and (may be NULL) the allocator holding its assignments. */
void ctl_pools_from(struct ctl_pools *p, const struct cfg_model *model, const struct alloc *a);

/* --- metrics ------------------------------------------------------------------------------ */

struct ctl_metrics;
/* Registers the families above in m (borrowed; must outlive the returned handle). */
struct ctl_metrics *ctl_metrics_new(struct metrics *m);
/* Sets every series from st and pools (pool series of pools that went away are removed). */
void ctl_metrics_update(struct ctl_metrics *cm, const struct ctl_state *st,
			const struct ctl_pools *pools);
void ctl_metrics_free(struct ctl_metrics *cm);

/* --- health ------------------------------------------------------------------------------- */

#define CTL_HEARTBEAT_MAX_AGE_S 10   /* the heartbeat timer ticks every second */
#define CTL_QUEUE_STUCK_S 60         /* work waiting without progress for this long */

/* Each returns true when healthy, else writes why. now: the loop's monotonic time. */
bool ctl_check_heartbeat(monotime last_beat, monotime now, char *why, size_t why_len);
bool ctl_check_queue(const struct ctl_state *st, monotime now, char *why, size_t why_len);
bool ctl_check_synced(const struct ctl_state *st, char *why, size_t why_len);
bool ctl_check_config(const struct ctl_state *st, char *why, size_t why_len);
bool ctl_check_leader(const struct ctl_state *st, char *why, size_t why_len);

/* --- `ingot status` ----------------------------------------------------------------------- */

/*
 * The control socket's sections (new references):
 *   "controller": {"identity","role":"leader"|"standby"|"unknown","leader","leader_election",
 *                  "api_server_reachable","informers_synced","services","queue","allocations",
 *                  "allocation_failures","allocation_conflicts","status_writes_ok",
 *                  "status_writes_failed"}
 *   "config":     {"source","valid","loaded","stale","error","last_reload_age_s","reloads",
 *                  "refused"}
 *   "pools":      {"pools":[{"pool","size","in_use"}]} (in_use null on a standby)
 * now_wall: wall-clock seconds (for the reload age).
 */
json_t *ctl_status_controller(const struct ctl_state *st);
json_t *ctl_status_config(const struct ctl_state *st, double now_wall);
json_t *ctl_status_pools(const struct ctl_pools *pools);

#endif
