/*
 * The controller's /metrics, /healthz, /readyz and control socket (see ctl_ops.h): glue between
 * controller_state()/controller_pools() and src/ops, plus the heartbeat timer.
 */
#include "controller/ctl_ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/xalloc.h"
#include "k8s/client.h"
#include "ops/control.h"
#include "ops/health.h"
#include "ops/http.h"
#include "ops/metrics.h"

#define HEARTBEAT_MS 1000

struct ctl_ops {
	struct controller *ctl;
	struct metrics *m;
	struct ctl_metrics *cm;
	struct health *h;
	struct ops_http *http;
	struct status_registry *reg;
	struct control *control;
	struct timer *beat;
	monotime last_beat;
	bool api_down;                   /* as last logged */
};

static void heartbeat(void *arg)
{
	struct ctl_ops *o = arg;
	o->last_beat = loop_now();
	struct ctl_state st;
	controller_state(o->ctl, &st);
	if (!st.api_reachable && !o->api_down)
		log_warn("controller", "API server unreachable, keeping the last state",
			 "server=%s identity=%s", st.server, st.identity);
	else if (st.api_reachable && o->api_down)
		log_info("controller", "API server reachable again", "server=%s identity=%s",
			 st.server, st.identity);
	o->api_down = !st.api_reachable;
	timer_start(o->beat, mono_from_ms(HEARTBEAT_MS));
}

static void collect(void *arg)
{
	struct ctl_ops *o = arg;
	struct ctl_state st;
	struct ctl_pools pools;
	controller_state(o->ctl, &st);
	controller_pools(o->ctl, &pools);
	ctl_metrics_update(o->cm, &st, &pools);
	ctl_pools_free(&pools);
}

/* --- health ------------------------------------------------------------------------------ */

static bool live_heartbeat(void *arg, char *why, size_t why_len)
{
	struct ctl_ops *o = arg;
	return ctl_check_heartbeat(o->last_beat, mono_now(), why, why_len);
}

static bool live_queue(void *arg, char *why, size_t why_len)
{
	struct ctl_ops *o = arg;
	struct ctl_state st;
	controller_state(o->ctl, &st);
	return ctl_check_queue(&st, mono_now(), why, why_len);
}

static bool ready_synced(void *arg, char *why, size_t why_len)
{
	struct ctl_ops *o = arg;
	struct ctl_state st;
	controller_state(o->ctl, &st);
	return ctl_check_synced(&st, why, why_len);
}

static bool ready_config(void *arg, char *why, size_t why_len)
{
	struct ctl_ops *o = arg;
	struct ctl_state st;
	controller_state(o->ctl, &st);
	return ctl_check_config(&st, why, why_len);
}

static bool ready_leader(void *arg, char *why, size_t why_len)
{
	struct ctl_ops *o = arg;
	struct ctl_state st;
	controller_state(o->ctl, &st);
	return ctl_check_leader(&st, why, why_len);
}

/* --- status sections ------------------------------------------------------------------------ */

static json_t *section_controller(void *arg)
{
	struct ctl_ops *o = arg;
	struct ctl_state st;
	controller_state(o->ctl, &st);
	json_t *j = ctl_status_controller(&st);
	const char *secret = controller_ml_secret_state(o->ctl);
	json_object_set_new(j, "memberlist_secret", secret ? json_string(secret) : json_null());
	return j;
}

static json_t *section_config(void *arg)
{
	struct ctl_ops *o = arg;
	struct ctl_state st;
	controller_state(o->ctl, &st);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ctl_status_config(&st, (double)ts.tv_sec);
}

static json_t *section_pools(void *arg)
{
	struct ctl_ops *o = arg;
	struct ctl_pools pools;
	controller_pools(o->ctl, &pools);
	json_t *j = ctl_status_pools(&pools);
	ctl_pools_free(&pools);
	return j;
}

/* --- public --------------------------------------------------------------------------------- */

struct ctl_ops *ctl_ops_new(struct controller *ctl, const char *listen, const char *socket_path,
			    char *err, size_t err_len)
{
	struct ctl_ops *o = XNEW(struct ctl_ops);
	o->ctl = ctl;
	o->last_beat = loop_now();
	o->beat = timer_new(heartbeat, o);
	timer_start(o->beat, mono_from_ms(HEARTBEAT_MS));
	if (listen) {
		char *host = NULL;
		uint16_t port = 0;
		if (!ops_listen_parse(listen, &host, &port)) {
			snprintf(err, err_len, "bad listen address \"%s\" (want host:port)", listen);
			ctl_ops_free(o);
			return NULL;
		}
		o->m = metrics_new();
		o->cm = ctl_metrics_new(o->m);
		metrics_on_collect(o->m, collect, o);
		o->h = health_new();
		health_add(o->h, HEALTH_LIVENESS, "loop-heartbeat", live_heartbeat, o);
		health_add(o->h, HEALTH_LIVENESS, "work-queue", live_queue, o);
		health_add(o->h, HEALTH_READINESS, "informers-synced", ready_synced, o);
		health_add(o->h, HEALTH_READINESS, "config-valid", ready_config, o);
		health_add(o->h, HEALTH_READINESS, "leader-known", ready_leader, o);
		o->http = ops_http_new(host, port, o->m, o->h, err, err_len);
		free(host);
		if (!o->http) {
			ctl_ops_free(o);
			return NULL;
		}
		log_info("controller", "serving /metrics /healthz /readyz", "address=%s port=%u",
			 listen, (unsigned)ops_http_port(o->http));
	}
	if (socket_path) {
		o->reg = status_registry_new();
		status_register(o->reg, "controller", section_controller, o);
		status_register(o->reg, "config", section_config, o);
		status_register(o->reg, "pools", section_pools, o);
		o->control = control_new(socket_path, o->reg, err, err_len);
		if (!o->control) {
			ctl_ops_free(o);
			return NULL;
		}
		log_info("controller", "control socket open", "path=%s", socket_path);
	}
	return o;
}

uint16_t ctl_ops_port(const struct ctl_ops *o)
{
	return o->http ? ops_http_port(o->http) : 0;
}

void ctl_ops_free(struct ctl_ops *o)
{
	if (!o)
		return;
	if (o->control)
		control_free(o->control);
	status_registry_free(o->reg);
	if (o->http)
		ops_http_free(o->http);
	health_free(o->h);
	ctl_metrics_free(o->cm);
	metrics_free(o->m);
	timer_free(o->beat);
	free(o);
}
