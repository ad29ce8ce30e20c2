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
#include <stdlib.h>
#include <string.h>

#include "bgp/bgp.h"
#include "core/xalloc.h"
#include "l2/responder.h"
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
	struct metric_family *updates_out, *updates_in, *msgs_out, *msgs_in;
	struct metric_family *opens_out, *opens_in, *notifs_out, *keepalives_out, *keepalives_in;
	struct metric_family *refresh_out, *pending;
	struct metric_family *bfd_up, *bfd_rx, *bfd_tx, *bfd_up_events, *bfd_down_events;
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
		keep(o, metric_series(o->prefixes, METRIC_LABELS(name)), (double)st.prefixes_advertised);
		keep(o, metric_series(o->updates_out, METRIC_LABELS(name)), (double)st.updates_out);
		keep(o, metric_series(o->updates_in, METRIC_LABELS(name)), (double)st.updates_in);
		keep(o, metric_series(o->msgs_out, METRIC_LABELS(name)), (double)st.msgs_out);
		keep(o, metric_series(o->msgs_in, METRIC_LABELS(name)), (double)st.msgs_in);
		keep(o, metric_series(o->opens_out, METRIC_LABELS(name)), (double)st.opens_out);
		keep(o, metric_series(o->opens_in, METRIC_LABELS(name)), (double)st.opens_in);
		keep(o, metric_series(o->notifs_out, METRIC_LABELS(name)),
		     (double)st.notifications_out);
		keep(o, metric_series(o->keepalives_out, METRIC_LABELS(name)),
		     (double)st.keepalives_out);
		keep(o, metric_series(o->keepalives_in, METRIC_LABELS(name)),
		     (double)st.keepalives_in);
		keep(o, metric_series(o->refresh_out, METRIC_LABELS(name)),
		     (double)st.route_refresh_out);
		keep(o, metric_series(o->pending, METRIC_LABELS(name)), (double)st.prefixes_pending);
		if (!st.has_bfd)
			continue;
		keep(o, metric_series(o->bfd_up, METRIC_LABELS(name)),
		     st.bfd.state == BFD_STATE_UP);
		keep(o, metric_series(o->bfd_rx, METRIC_LABELS(name)), (double)st.bfd.rx_packets);
		keep(o, metric_series(o->bfd_tx, METRIC_LABELS(name)), (double)st.bfd.tx_packets);
		keep(o, metric_series(o->bfd_up_events, METRIC_LABELS(name)),
		     (double)st.bfd.up_count);
		keep(o, metric_series(o->bfd_down_events, METRIC_LABELS(name)),
		     (double)st.bfd.down_count);
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
	o->prefixes = metrics_untyped(o->m, "metallb_bgp_announced_prefixes_total",
				      "Number of prefixes currently being advertised on the BGP "
				      "session",
				      METRIC_LABELS("peer"));
	o->updates_out = metrics_counter(o->m, "metallb_bgp_updates_total",
					 "Number of BGP UPDATE messages sent", METRIC_LABELS("peer"));
	o->updates_in = metrics_untyped(o->m, "metallb_bgp_updates_total_received",
					"Number of BGP UPDATE messages received",
					METRIC_LABELS("peer"));
	o->msgs_out = metrics_untyped(o->m, "metallb_bgp_total_sent",
				      "Number of total BGP messages sent", METRIC_LABELS("peer"));
	o->msgs_in = metrics_untyped(o->m, "metallb_bgp_total_received",
				     "Number of total BGP messages received", METRIC_LABELS("peer"));
	o->opens_out = metrics_untyped(o->m, "metallb_bgp_opens_sent",
				       "Number of BGP open messages sent", METRIC_LABELS("peer"));
	o->opens_in = metrics_untyped(o->m, "metallb_bgp_opens_received",
				      "Number of BGP open messages received", METRIC_LABELS("peer"));
	o->notifs_out = metrics_untyped(o->m, "metallb_bgp_notifications_sent",
					"Number of BGP notification messages sent",
					METRIC_LABELS("peer"));
	o->keepalives_out = metrics_untyped(o->m, "metallb_bgp_keepalives_sent",
					    "Number of BGP keepalive messages sent",
					    METRIC_LABELS("peer"));
	o->keepalives_in = metrics_untyped(o->m, "metallb_bgp_keepalives_received",
					   "Number of BGP keepalive messages received",
					   METRIC_LABELS("peer"));
	o->refresh_out = metrics_untyped(o->m, "metallb_bgp_route_refresh_sent",
					 "Number of BGP route refresh messages sent",
					 METRIC_LABELS("peer"));
	o->pending = metrics_untyped(o->m, "metallb_bgp_pending_prefixes_total",
				     "Number of pending prefixes to be advertised on the BGP session",
				     METRIC_LABELS("peer"));
	o->bfd_up = metrics_gauge(o->m, "metallb_bfd_session_up",
				  "BFD session state (1 is up, 0 is down)", METRIC_LABELS("peer"));
	o->bfd_rx = metrics_untyped(o->m, "metallb_bfd_control_packet_input",
				    "Number of received BFD control packets", METRIC_LABELS("peer"));
	o->bfd_tx = metrics_untyped(o->m, "metallb_bfd_control_packet_output",
				    "Number of sent BFD control packets", METRIC_LABELS("peer"));
	o->bfd_up_events = metrics_untyped(o->m, "metallb_bfd_session_up_events",
					   "Number of BFD session up events", METRIC_LABELS("peer"));
	o->bfd_down_events = metrics_untyped(o->m, "metallb_bfd_session_down_events",
					     "Number of BFD session down events",
					     METRIC_LABELS("peer"));
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
	free(o->series);
	free(o);
}

struct metrics *spkd_ops_metrics(struct spkd_ops *o)
{
	return o ? o->m : NULL;
}
