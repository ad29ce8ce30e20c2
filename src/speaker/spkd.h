/*
 * The speaker daemon's glue (internal to src/speaker; what `ingot speaker` and `ingot run` use):
 *   - snapshot (spkd_snapshot.c): Service, EndpointSlice and Node objects (JSON, as the API
 *     server or a YAML file gives them) plus the config model -> struct spk_inputs;
 *   - announcer (spkd_announce.c): a decision -> the BGP engine (peers, routes) and the L2
 *     responder (owned IPs per interface, picked by the L2 selection rules);
 *   - daemon (spkd_daemon.c): decide, log what changed, apply, report Events; clean stop.
 * Data flows one way: objects -> snapshot -> spk_decide() -> announcer -> the wire.
 */
#ifndef INGOT_SPEAKER_SPKD_H
#define INGOT_SPEAKER_SPKD_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/model.h"
#include "speaker/speaker.h"

struct bgp_peer_status;

/* --- snapshot ------------------------------------------------------------------------------ */

/* A Service's IPs and pool when they do not come from its status (ingot run allocates them).
 * Returns the number of IPs written to out (0: none); *pool may be set to a borrowed name. */
typedef size_t (*spkd_ips_fn)(void *arg, const json_t *svc, ip_addr out[2], const char **pool);

struct spkd_source {
	const struct cfg_model *config;
	const char *node_name;
	const char *lb_class;        /* NULL: only Services without spec.loadBalancerClass */
	const json_t *services;      /* arrays of objects, borrowed for the call */
	const json_t *slices;
	const json_t *nodes;
	/* No Node objects known (ingot run without any): this node alone, live, no labels. */
	bool self_only;
	/* A Service without any EndpointSlice is served by this node (ingot run). */
	bool no_slice_is_local;
	/* The failure detector's answer for a node (spkd_members_live): 1 live, 0 not live, -1 no
	 * answer (then the Node conditions decide). NULL: Node conditions only. */
	int (*live)(void *arg, const char *node);
	void *live_arg;
	spkd_ips_fn ips;             /* NULL: status.loadBalancer.ingress[].ip */
	void *ips_arg;
	const char *const *ifaces;   /* this node's interface names (announceFailed check) */
	size_t nifaces;
	bool has_ifaces;
};

/* The inputs and the storage behind them; strings are borrowed from the source's objects, which
 * the snapshot keeps referenced until spkd_snapshot_free(). */
struct spkd_snapshot {
	struct spk_inputs in;
	struct spk_service *svcs;
	struct spk_endpoint_slice *slices;
	struct spk_endpoint *eps;
	const char **addrs;
	ip_addr *ips;
	struct spk_node *nodes;
	const char **live;
	json_t *hold;
};

void spkd_snapshot_build(struct spkd_snapshot *s, const struct spkd_source *src);
void spkd_snapshot_free(struct spkd_snapshot *s);

/* --- announcer ----------------------------------------------------------------------------- */

struct spkd_announcer;

/* Starts the BGP speaker, the L2 responder and interface following. Call after loop_init(). */
struct spkd_announcer *spkd_announcer_new(const char *node_name);
/*
 * Makes the engines announce d: BGP peers and their routes, L2 owned IPs per interface. m and d
 * are borrowed and must stay valid until the next apply (interface changes re-apply them).
 */
void spkd_announcer_apply(struct spkd_announcer *a, const struct cfg_model *m,
			  const struct spk_decision *d);
/* This node's interface names, valid until the next loop iteration. */
size_t spkd_announcer_ifaces(struct spkd_announcer *a, const char **out, size_t max);
/*
 * Clean stop: stop answering ARP/NDP at once; BGP: with gshut_wait > 0 re-announce every route
 * with GRACEFUL_SHUTDOWN first and withdraw after gshut_wait seconds, else withdraw now. done(arg)
 * runs from the loop once the withdrawals had time to go out.
 */
void spkd_announcer_stop(struct spkd_announcer *a, uint16_t gshut_wait, void (*done)(void *arg),
			 void *arg);
/* Cease to every peer, close every socket. */
void spkd_announcer_free(struct spkd_announcer *a);
/* The BGP sessions last applied: how many, and session i's BGPPeer name (borrowed) and status;
 * false when the engine has no such session. */
size_t spkd_announcer_sessions(const struct spkd_announcer *a);
bool spkd_announcer_session(struct spkd_announcer *a, size_t i, const char **name,
			    uint32_t *peer_as, struct bgp_peer_status *st);
bool spkd_announcer_session_label(const struct spkd_announcer *a, size_t i, char *buf,
				  size_t len);
/* The interfaces answering for an owned IP now (names valid until the next loop iteration). */
size_t spkd_announcer_ifaces_for(const struct spk_l2_owned *o, const char **out, size_t max);

/* --- daemon -------------------------------------------------------------------------------- */

typedef void (*spkd_event_fn)(void *arg, const struct spk_event *ev);

struct spkd;

struct spkd *spkd_new(const char *node_name, spkd_event_fn emit, void *arg);
/* Decides from src (its config must stay valid until the next update) and announces. */
void spkd_update(struct spkd *d, struct spkd_source *src);
/* Whether anything was decided yet. */
bool spkd_started(const struct spkd *d);
void spkd_stop(struct spkd *d, uint16_t gshut_wait, void (*done)(void *arg), void *arg);
void spkd_free(struct spkd *d);
/* The decision in force (NULL before the first update). */
const struct spk_decision *spkd_decision(const struct spkd *d);
size_t spkd_bgp_sessions(const struct spkd *d);
bool spkd_bgp_session(struct spkd *d, size_t i, const char **name, uint32_t *peer_as,
		      struct bgp_peer_status *st);
/* Session i's peer as MetalLB labels its BGP metrics: "<address>:<port>" (port 179 when unset,
 * an IPv6 address without brackets, as MetalLB writes it). False when there is no session i. */
bool spkd_bgp_session_label(const struct spkd *d, size_t i, char *buf, size_t len);

/* --- operations endpoints (spkd_ops.c) ------------------------------------------------------ */

struct spkd_ops;

/* /metrics, /healthz and /readyz on listen ("host:port"); api_ok (may be NULL) says whether the
 * API server answers. NULL with a message in err when it cannot listen. */
struct spkd_ops *spkd_ops_new(const char *listen, struct spkd *d, bool (*api_ok)(void *arg),
			      void *api_arg, char *err, size_t err_len);
void spkd_ops_free(struct spkd_ops *o);
/* The registry behind /metrics, for other parts to register their families in. */
struct metrics *spkd_ops_metrics(struct spkd_ops *o);

/* --- control socket (spkd_control.c) -------------------------------------------------------- */

struct spkd_control;

struct spkd_members;

/* The socket behind `ingot status` on path, with sections "bgp", "l2" and "members" (the failure
 * detector's view; members may be NULL). NULL with a message in err when it cannot listen. */
struct spkd_control *spkd_control_new(const char *path, struct spkd *d,
				      struct spkd_members *members, char *err, size_t err_len);
void spkd_control_free(struct spkd_control *c);

#endif
