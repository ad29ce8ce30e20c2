/*
 * The speaker's /metrics, /healthz and /readyz (spkd.h; served by ops/http.h). Every series is
 * computed at scrape time from the daemon's current decision, the BGP sessions' status and the
 * layer-2 responder's counters, under MetalLB's names where the meaning is MetalLB's. Names
 * promtool's lint rejects (a counter without _total, a gauge with it) are untyped (ops/metrics.h).
 *   metallb_bgp_session_up{peer}                 1 when the session is Established
 *   metallb_bgp_announced_prefixes_total{peer}   prefixes advertised to the peer (untyped: a
 *                                                gauge under MetalLB's name)
 *   metallb_bgp_updates_total{peer}              UPDATE messages sent (counter; MetalLB native
 *                                                and FRR mode alike)
 *   metallb_bgp_updates_total_received{peer}     UPDATE messages received (untyped counter)
 *   metallb_bgp_total_sent{peer}                 BGP messages of every type sent (untyped counter)
 *   metallb_bgp_total_received{peer}             BGP messages of every type received (untyped)
 *                                                These three are MetalLB's FRR-mode names; the
 *                                                counts are per peer, across its sessions.
 *   metallb_bgp_opens_sent{peer}                 OPEN messages sent (untyped counter, as all
 *   metallb_bgp_opens_received{peer}             the FRR-mode names below)
 *   metallb_bgp_notifications_sent{peer}         NOTIFICATION messages sent
 *   metallb_bgp_keepalives_sent{peer}            KEEPALIVE messages sent
 *   metallb_bgp_keepalives_received{peer}        KEEPALIVE messages received
 *   metallb_bgp_route_refresh_sent{peer}         ROUTE-REFRESH messages sent (ingot asks for
 *                                                none: 0; kept for MetalLB's dashboards)
 *   metallb_bgp_pending_prefixes_total{peer}     prefixes not yet sent in an UPDATE (untyped:
 *                                                a gauge; 0 unless Established and behind)
 *   For a peer with a BFD session (a BFD profile):
 *   metallb_bfd_session_up{peer}                 1 while BFD is Up
 *   metallb_bfd_control_packet_input{peer}       BFD control packets received (untyped
 *   metallb_bfd_control_packet_output{peer}      counters, as the two below) and sent
 *   metallb_bfd_session_up_events{peer}          times the BFD session came Up
 *   metallb_bfd_session_down_events{peer}        times it left Up
 *   metallb_layer2_requests_received{ip}         ARP requests / NS for an owned IP (untyped
 *                                                counter, as the two below)
 *   metallb_layer2_responses_sent{ip}            replies to them the kernel took
 *   metallb_layer2_gratuitous_sent{ip}           gratuitous ARP frames and unsolicited NAs
 *                                                A layer-2 IP's series exist while this node owns
 *                                                it (MetalLB keeps them until it restarts; ingot
 *                                                drops them so churning IPs do not pile up).
 *   metallb_speaker_announced{ip,node,protocol,service}  1 per IP this node announces
 *   ingot_speaker_api_server_reachable           0 while the API server is away (k8s mode)
 * The peer label is MetalLB's: the peer's "<address>:<port>" (its e2e tests match on it), not
 * the BGPPeer's name (`ingot status` shows both).
 * Ready once the first decision has been applied.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bgp/bgp.h"
#include "core/xalloc.h"
#include "l2/responder.h"
#include "ops/health.h"
#include "ops/http.h"
#include "ops/metrics.h"
#include "speaker/spkd.h"

/*
 * The per-peer families that copy a number from the engine's status: MetalLB's name and help,
 * the type (untyped where MetalLB's name breaks promtool's lint, see ops/metrics.h), and the
 * field. Fields are uint64_t or size_t in bgp_peer_status, uint64_t or uint32_t in bfd_status.
 */
enum family_kind { KIND_COUNTER, KIND_UNTYPED };

struct status_metric {
	const char *name, *help;
	enum family_kind kind;
	size_t offset, size;
};

#define BGP_FIELD(f) offsetof(struct bgp_peer_status, f), sizeof(((struct bgp_peer_status *)0)->f)
#define BFD_FIELD(f) offsetof(struct bfd_status, f), sizeof(((struct bfd_status *)0)->f)

static const struct status_metric bgp_metrics[] = {
	{ "metallb_bgp_announced_prefixes_total",
	  "Number of prefixes currently being advertised on the BGP session", KIND_UNTYPED,
	  BGP_FIELD(prefixes_advertised) },
	{ "metallb_bgp_updates_total", "Number of BGP UPDATE messages sent", KIND_COUNTER,
	  BGP_FIELD(updates_out) },
	{ "metallb_bgp_updates_total_received", "Number of BGP UPDATE messages received",
	  KIND_UNTYPED, BGP_FIELD(updates_in) },
	{ "metallb_bgp_total_sent", "Number of total BGP messages sent", KIND_UNTYPED,
	  BGP_FIELD(msgs_out) },
	{ "metallb_bgp_total_received", "Number of total BGP messages received", KIND_UNTYPED,
	  BGP_FIELD(msgs_in) },
	{ "metallb_bgp_opens_sent", "Number of BGP open messages sent", KIND_UNTYPED,
	  BGP_FIELD(opens_out) },
	{ "metallb_bgp_opens_received", "Number of BGP open messages received", KIND_UNTYPED,
	  BGP_FIELD(opens_in) },
	{ "metallb_bgp_notifications_sent", "Number of BGP notification messages sent",
	  KIND_UNTYPED, BGP_FIELD(notifications_out) },
	{ "metallb_bgp_keepalives_sent", "Number of BGP keepalive messages sent", KIND_UNTYPED,
	  BGP_FIELD(keepalives_out) },
	{ "metallb_bgp_keepalives_received", "Number of BGP keepalive messages received",
	  KIND_UNTYPED, BGP_FIELD(keepalives_in) },
	{ "metallb_bgp_route_refresh_sent", "Number of BGP route refresh messages sent",
	  KIND_UNTYPED, BGP_FIELD(route_refresh_out) },
	{ "metallb_bgp_pending_prefixes_total",
	  "Number of pending prefixes to be advertised on the BGP session", KIND_UNTYPED,
	  BGP_FIELD(prefixes_pending) },
};

static const struct status_metric bfd_metrics[] = {
	{ "metallb_bfd_control_packet_input", "Number of received BFD control packets",
	  KIND_UNTYPED, BFD_FIELD(rx_packets) },
	{ "metallb_bfd_control_packet_output", "Number of sent BFD control packets", KIND_UNTYPED,
	  BFD_FIELD(tx_packets) },
	{ "metallb_bfd_session_up_events", "Number of BFD session up events", KIND_UNTYPED,
	  BFD_FIELD(up_count) },
	{ "metallb_bfd_session_down_events", "Number of BFD session down events", KIND_UNTYPED,
	  BFD_FIELD(down_count) },
};

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* The field a table entry names, as a double. */
static double field_value(const void *base, const struct status_metric *sm)
{
	const char *p = (const char *)base + sm->offset;
	if (sm->size == sizeof(uint64_t)) {
		uint64_t v;
		memcpy(&v, p, sizeof(v));
		return (double)v;
	}
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return (double)v;
}

static struct metric_family **register_table(struct metrics *m, const struct status_metric *t,
					     size_t n)
{
	struct metric_family **f = xcalloc(n, sizeof(*f));
	for (size_t i = 0; i < n; i++)
		f[i] = t[i].kind == KIND_COUNTER
			? metrics_counter(m, t[i].name, t[i].help, METRIC_LABELS("peer"))
			: metrics_untyped(m, t[i].name, t[i].help, METRIC_LABELS("peer"));
	return f;
}

struct spkd_ops {
	struct spkd *d;
	struct metrics *m;
	struct health *h;
	struct ops_http *http;
	struct metric_family *session_up, *announced, *api;
	struct metric_family **bgp;      /* one per bgp_metrics[] entry */
	struct metric_family *bfd_up;
	struct metric_family **bfd;      /* one per bfd_metrics[] entry */
	struct metric_family *l2_requests, *l2_replies, *l2_gratuitous;
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

static void l2_ip(void *arg, const ip_addr *ip, const struct l2_ip_counters *c)
{
	struct spkd_ops *o = arg;
	char text[IP_ADDR_STRLEN];
	ip_addr_format(ip, text, sizeof(text));
	keep(o, metric_series(o->l2_requests, METRIC_LABELS(text)), (double)c->requests);
	keep(o, metric_series(o->l2_replies, METRIC_LABELS(text)), (double)c->replies);
	keep(o, metric_series(o->l2_gratuitous, METRIC_LABELS(text)), (double)c->gratuitous);
}

static void collect(void *arg)
{
	struct spkd_ops *o = arg;
	for (size_t i = 0; i < o->nseries; i++)
		metric_series_remove(o->series[i]);
	o->nseries = 0;
	for (size_t i = 0; i < spkd_bgp_sessions(o->d); i++) {
		struct bgp_peer_status st;
		const char *peer_name;
		char name[IP_ADDR_STRLEN + 8];   /* MetalLB's peer label: "<address>:<port>" */
		if (!spkd_bgp_session(o->d, i, &peer_name, NULL, &st) ||
		    !spkd_bgp_session_label(o->d, i, name, sizeof(name)))
			continue;
		keep(o, metric_series(o->session_up, METRIC_LABELS(name)),
		     strcmp(st.state_name, "Established") == 0);
		for (size_t k = 0; k < NELEMS(bgp_metrics); k++)
			keep(o, metric_series(o->bgp[k], METRIC_LABELS(name)),
			     field_value(&st, &bgp_metrics[k]));
		if (!st.has_bfd)
			continue;
		keep(o, metric_series(o->bfd_up, METRIC_LABELS(name)),
		     st.bfd.state == BFD_STATE_UP);
		for (size_t k = 0; k < NELEMS(bfd_metrics); k++)
			keep(o, metric_series(o->bfd[k], METRIC_LABELS(name)),
			     field_value(&st.bfd, &bfd_metrics[k]));
	}
	l2_owned_foreach(l2_ip, o);
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
	o->bgp = register_table(o->m, bgp_metrics, NELEMS(bgp_metrics));
	o->bfd_up = metrics_gauge(o->m, "metallb_bfd_session_up",
				  "BFD session state (1 is up, 0 is down)", METRIC_LABELS("peer"));
	o->bfd = register_table(o->m, bfd_metrics, NELEMS(bfd_metrics));
	o->l2_requests = metrics_untyped(o->m, "metallb_layer2_requests_received",
					 "Number of layer2 requests received for owned IPs",
					 METRIC_LABELS("ip"));
	o->l2_replies = metrics_untyped(o->m, "metallb_layer2_responses_sent",
					"Number of layer2 responses sent for owned IPs in response "
					"to requests",
					METRIC_LABELS("ip"));
	o->l2_gratuitous = metrics_untyped(o->m, "metallb_layer2_gratuitous_sent",
					   "Number of gratuitous layer2 packets sent for owned IPs as "
					   "a result of failovers",
					   METRIC_LABELS("ip"));
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
	free(o->bgp);
	free(o->bfd);
	free(o->series);
	free(o);
}

struct metrics *spkd_ops_metrics(struct spkd_ops *o)
{
	return o ? o->m : NULL;
}
