/*
 * ops-demo: the operations endpoints (src/ops) on their own, for tests/system/test_ops.py, until
 * the daemons serve them. Serves /metrics, /healthz and /readyz and the control socket with a few
 * demo metrics, one readiness check and status sections shaped like the real components' ones.
 *
 *   ops-demo [--listen ADDR:PORT] --socket PATH
 *
 * Prints "listening port=N" once both are up. SIGUSR1 makes the readiness check pass, SIGTERM
 * stops it (exit 0, socket file removed).
 */
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/loop.h"
#include "ops/control.h"
#include "ops/health.h"
#include "ops/http.h"
#include "ops/metrics.h"

struct demo {
	bool synced;
	int scrapes;
	struct metric_series *scrapes_total;
};

static bool synced_check(void *arg, char *why, size_t why_len)
{
	struct demo *d = arg;
	if (!d->synced)
		snprintf(why, why_len, "waiting for SIGUSR1");
	return d->synced;
}

static void on_collect(void *arg)
{
	struct demo *d = arg;
	metric_set(d->scrapes_total, ++d->scrapes);
}

static json_t *bgp_status(void *arg)
{
	return json_pack("{s:[{s:s,s:i,s:s,s:i,s:i,s:i},{s:s,s:i,s:s,s:i,s:i,s:i}]}", "sessions",
			 "peer", "172.30.8.35", "asn", 64500, "state", "Established", "uptime_s", 3723,
			 "prefixes_sent", 3, "prefixes_received", 0,
			 "peer", "fd00:8::35", "asn", 64500, "state", "Active", "uptime_s", 0,
			 "prefixes_sent", 0, "prefixes_received", 0);
}

static json_t *l2_status(void *arg)
{
	return json_pack("{s:[{s:s,s:s,s:s,s:s}]}", "announcements", "ip", "192.0.2.10",
			 "interface", "eth0", "service", "default/nginx", "node", "node-a");
}

static json_t *members_status(void *arg)
{
	return json_pack("{s:[]}", "speakers");
}

static json_t *demo_status(void *arg)
{
	struct demo *d = arg;
	return json_pack("{s:b,s:i,s:{s:s,s:[i,i]},s:s}", "synced", d->synced, "scrapes", d->scrapes,
			 "config", "source", "crds", "pools", 1, 2, "note", "tab\there");
}

static void on_signal(int signo, void *arg)
{
	struct demo *d = arg;
	if (signo == SIGUSR1)
		d->synced = true;
	else
		loop_stop();
}

static void register_metrics(struct metrics *m, struct demo *d)
{
	struct metric_family *up = metrics_gauge(m, "metallb_bgp_session_up",
		"BGP session state (1 is up, 0 is down)", METRIC_LABELS("peer"));
	metric_set(metric_series(up, METRIC_LABELS("172.30.8.35:179")), 1);
	metric_set(metric_series(up, METRIC_LABELS("[fd00:8::35]:179")), 0);
	struct metric_family *upd = metrics_counter(m, "metallb_bgp_updates_total",
		"Number of BGP UPDATE messages sent", METRIC_LABELS("peer"));
	metric_add(metric_series(upd, METRIC_LABELS("172.30.8.35:179")), 12);
	struct metric_family *ann = metrics_gauge(m, "metallb_speaker_announced",
		"Services being announced from this node (1 is announced)",
		METRIC_LABELS("service", "protocol", "node", "ip"));
	metric_set(metric_series(ann, METRIC_LABELS("default/we\"ird\\name", "layer2", "node-a",
						    "192.0.2.10")), 1);
	const double bounds[] = { 0.05, 0.1, 0.5, 1, 5 };
	struct metric_family *fo = metrics_histogram(m, "ingot_failover_seconds",
		"Time from a node failure to the new announcement", METRIC_LABELS("protocol"),
		bounds, 5);
	struct metric_series *l2 = metric_series(fo, METRIC_LABELS("layer2"));
	metric_observe(l2, 0.08);
	metric_observe(l2, 0.7);
	struct metric_family *scr = metrics_counter(m, "ingot_demo_scrapes_total",
		"Scrapes of this demo's /metrics", NULL);
	d->scrapes_total = metric_series(scr, NULL);
	metrics_on_collect(m, on_collect, d);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "socket", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *listen = "127.0.0.1:0", *path = NULL;
	int ch;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch == 'l')
			listen = optarg;
		else if (ch == 's')
			path = optarg;
		else
			return 2;
	}
	char *host;
	uint16_t port;
	if (!path || !ops_listen_parse(listen, &host, &port)) {
		fprintf(stderr, "usage: ops-demo [--listen ADDR:PORT] --socket PATH\n");
		return 2;
	}

	loop_init();
	struct demo d = { 0 };
	struct metrics *m = metrics_new();
	register_metrics(m, &d);
	struct health *h = health_new();
	health_add(h, HEALTH_READINESS, "demo-synced", synced_check, &d);
	struct status_registry *r = status_registry_new();
	status_register(r, "bgp", bgp_status, NULL);
	status_register(r, "l2", l2_status, NULL);
	status_register(r, "members", members_status, NULL);
	status_register(r, "demo", demo_status, &d);

	char err[512];
	struct ops_http *http = ops_http_new(host, port, m, h, err, sizeof(err));
	free(host);
	if (!http)
		log_fatal("ops-demo", "cannot start the HTTP server", "reason=\"%s\"", err);
	struct control *c = control_new(path, r, err, sizeof(err));
	if (!c)
		log_fatal("ops-demo", "cannot open the control socket", "reason=\"%s\"", err);
	struct sigwatch *usr1 = sigwatch_new(SIGUSR1, on_signal, &d);
	struct sigwatch *term = sigwatch_new(SIGTERM, on_signal, &d);
	struct sigwatch *intr = sigwatch_new(SIGINT, on_signal, &d);
	printf("listening port=%u\n", ops_http_port(http));
	fflush(stdout);

	int rc = loop_run();
	sigwatch_free(usr1);
	sigwatch_free(term);
	sigwatch_free(intr);
	control_free(c);
	ops_http_free(http);
	status_registry_free(r);
	health_free(h);
	metrics_free(m);
	loop_free();
	return rc == 0 ? 0 : 1;
}
