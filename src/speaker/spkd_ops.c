/*
 * The speaker's /metrics, /healthz and /readyz (spkd.h; served by ops/http.h). Gauges are
 * computed at scrape time from the daemon's current decision and the BGP sessions, under
 * MetalLB's names where MetalLB has one:
 *   metallb_bgp_session_up{peer}                 1 when the session is Established
 *   metallb_bgp_announced_prefixes_total{peer}   prefixes advertised to the peer (untyped: a
 *                                                gauge under MetalLB's name, see ops/metrics.h)
 *   metallb_speaker_announced{ip,node,protocol,service}  1 per IP this node announces
 *   ingot_speaker_api_server_reachable           0 while the API server is away (k8s mode)
 * Ready once the first decision has been applied.
 */
#include <stdlib.h>
#include <string.h>

#include "bgp/bgp.h"
#include "core/xalloc.h"
#include "ops/health.h"
#include "ops/http.h"
#include "ops/metrics.h"
#include "speaker/spkd.h"

struct spkd_ops {
	struct spkd *d;
	struct metrics *m;
	struct health *h;
	struct ops_http *http;
	struct metric_family *session_up, *prefixes, *announced, *api;
	struct metric_series **series;   /* made at the last scrape, removed at the next */
	size_t nseries;
	bool (*api_ok)(void *arg);
	void *api_arg;
};

static void keep(struct spkd_ops *o, struct metric_series *s, double v)
{
	metric_set(s, v);
	o->series = xreallocarray(o->series, o->nseries + 1, sizeof(*o->series));
	o->series[o->nseries++] = s;
}

static void announced(struct spkd_ops *o, const ip_addr *ip, const char *node, const char *proto,
		      const struct spk_svc_ref *svcs, size_t n)
{
	char text[IP_ADDR_STRLEN];
	ip_addr_format(ip, text, sizeof(text));
	for (size_t i = 0; i < n; i++) {
		char *svc = xasprintf("%s/%s", svcs[i].namespace, svcs[i].name);
		keep(o, metric_series(o->announced, METRIC_LABELS(text, node, proto, svc)), 1);
		free(svc);
	}
}

static void collect(void *arg)
{
	struct spkd_ops *o = arg;
	for (size_t i = 0; i < o->nseries; i++)
		metric_series_remove(o->series[i]);
	o->nseries = 0;
	for (size_t i = 0; i < spkd_bgp_sessions(o->d); i++) {
		struct bgp_peer_status st;
		const char *name;
		if (!spkd_bgp_session(o->d, i, &name, NULL, &st))
			continue;
		keep(o, metric_series(o->session_up, METRIC_LABELS(name)),
		     strcmp(st.state_name, "Established") == 0);
		keep(o, metric_series(o->prefixes, METRIC_LABELS(name)), (double)st.prefixes_advertised);
	}
	const struct spk_decision *dec = spkd_decision(o->d);
	if (dec) {
		for (size_t i = 0; i < dec->nowned; i++)
			announced(o, &dec->owned[i].ip, dec->node_name, "layer2",
				  dec->owned[i].services, dec->owned[i].nservices);
		for (size_t p = 0; p < dec->npeers; p++) {
			for (size_t r = 0; r < dec->peers[p].nroutes; r++) {
				const struct spk_bgp_route *rt = &dec->peers[p].routes[r];
				announced(o, &rt->prefix.addr, dec->node_name, "bgp", rt->services,
					  rt->nservices);
			}
		}
	}
	if (o->api_ok)
		keep(o, metric_series(o->api, METRIC_NO_LABELS), o->api_ok(o->api_arg));
}

static bool ready(void *arg, char *why, size_t why_len)
{
	struct spkd_ops *o = arg;
	if (spkd_decision(o->d))
		return true;
	snprintf(why, why_len, "no announcement decided yet");
	return false;
}

struct spkd_ops *spkd_ops_new(const char *listen, struct spkd *d, bool (*api_ok)(void *arg),
			      void *api_arg, char *err, size_t err_len)
{
	char *host = NULL;
	uint16_t port = 0;
	if (!ops_listen_parse(listen, &host, &port)) {
		snprintf(err, err_len, "bad listen address \"%s\" (want host:port)", listen);
		return NULL;
	}
	struct spkd_ops *o = xcalloc(1, sizeof(*o));
	o->d = d;
	o->api_ok = api_ok;
	o->api_arg = api_arg;
	o->m = metrics_new();
	o->h = health_new();
	o->session_up = metrics_gauge(o->m, "metallb_bgp_session_up",
				      "BGP session state (1 is up, 0 is down)", METRIC_LABELS("peer"));
	o->prefixes = metrics_untyped(o->m, "metallb_bgp_announced_prefixes_total",
				      "Number of prefixes currently being advertised on the BGP "
				      "session",
				      METRIC_LABELS("peer"));
	o->announced = metrics_gauge(o->m, "metallb_speaker_announced",
				     "Services being announced from this node",
				     METRIC_LABELS("ip", "node", "protocol", "service"));
	o->api = metrics_gauge(o->m, "ingot_speaker_api_server_reachable",
			       "1 while the API server answers, 0 while the last state is kept",
			       METRIC_NO_LABELS);
	metrics_on_collect(o->m, collect, o);
	health_add(o->h, HEALTH_READINESS, "announcements", ready, o);
	o->http = ops_http_new(host, port, o->m, o->h, err, err_len);
	free(host);
	if (!o->http) {
		spkd_ops_free(o);
		return NULL;
	}
	return o;
}

void spkd_ops_free(struct spkd_ops *o)
{
	if (!o)
		return;
	if (o->http)
		ops_http_free(o->http);
	health_free(o->h);
	metrics_free(o->m);
	free(o->series);
	free(o);
}

struct metrics *spkd_ops_metrics(struct spkd_ops *o)
{
	return o ? o->m : NULL;
}
