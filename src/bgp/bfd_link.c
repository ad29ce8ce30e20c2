/*
 * BGP as a client of BFD (RFC 5882). When a peer's configuration names a BFD profile, a single-hop
 * BFD session (bfd/bfd.h) runs to the peer's address from the BGP source address.
 *
 * By default BGP does not wait for BFD: it connects at once, as routers do (FRR without `bfd
 * strict`, BIRD, Cisco, Junos). Holding BGP until BFD is Up deadlocks against a router that only
 * starts its BFD session once BGP exists (BIRD's `neighbor range`, FRR versions that register
 * BFD at Established). Once BFD has been Up:
 *   - BFD leaving Up tears the BGP session down at once (RFC 5882 §4.3): Cease subcode 10 "BFD
 *     Down" (RFC 9384), as RFC 4271 Event 8 AutomaticStop, so the session waits in Idle;
 *   - it restarts when the idle-hold backoff (fsm.c, 1.5-2 s after a session that was up for
 *     a while) runs out, BFD Up again or not: the peer's BFD may have gone with its BGP session
 *     (FRR's `bgp listen range` deletes the neighbour and its BFD session), and then only a new
 *     BGP session brings BFD back; waiting for BFD would deadlock. The backoff doubles with each
 *     failure, so a flapping link does not flap BGP at BFD's pace;
 *   - BFD coming Up while the session waits in Idle (backoff) or in Connect/Active (for its
 *     ConnectRetry timer, 120 s by default) connects now, or 2 s after the wait began when that
 *     is later (BGP_EV_CONNECT_NOW, fsm.c: the peer may still be clearing the old session); so
 *     does the first failure of a connection that was in OpenSent/OpenConfirm when BFD came Up
 *     (made while the path was down, it may be dead; its failure would wait for ConnectRetry).
 * With bfd_strict (draft-ietf-idr-bgp-bfd-strict-mode) BGP is held: the session starts, and after a
 * BFD teardown restarts, only once BFD is Up (ManualStart/ManualStop).
 * A peer that takes BFD administratively down (state AdminDown, RFC 5880 §6.8.16) has not lost
 * its path, so that Down leaves BGP alone (RFC 5882 §3.2).
 * A peer in a VRF runs without BFD (src/bfd's sockets do not follow VRFs); that is logged.
 */
#include "bgp/bfd_link.h"

#include "bfd/bfd.h"
#include "bgp/session.h"
#include "core/log.h"

#define BGP_CEASE_BFD_DOWN 10          /* RFC 9384 §2 */

static void bgp_event(struct bgp_peer *p, enum bgp_event ev, uint8_t subcode)
{
	struct bgp_fsm_input in = { .event = ev, .subcode = subcode };
	bgp_session_event(p, &in);
}

/* Whether the session waits for a timer before its next connection attempt. */
static bool waiting_to_connect(const struct bgp_peer *p)
{
	switch (p->fsm.state) {
	case BGP_ST_IDLE:
		return !p->fsm.stopped && p->fsm.idle_hold.on;
	case BGP_ST_CONNECT:
		return true;   /* a SYN lost on the dead path may sit in TCP's backoff */
	case BGP_ST_ACTIVE:
		return !p->cfg.passive;
	default:
		return false;
	}
}

static void on_bfd_up(struct bgp_peer *p)
{
	if (p->bfd_held) {
		log_info("bgp", "BFD up: session may start", "peer=%s", p->name);
		p->bfd_held = false;
		bgp_event(p, BGP_EV_MANUAL_START, 0);
		return;
	}
	/* The path works again: no reason to sit out a long backoff or ConnectRetry (120 s). */
	if (waiting_to_connect(p)) {
		log_info("bgp", "BFD up: connecting soon", "peer=%s state=%s", p->name,
			 bgp_state_name(p->fsm.state));
		bgp_event(p, BGP_EV_CONNECT_NOW, 0);
		return;
	}
	/* A connection made while the path was down (to a frozen router whose kernel still
	 * completed the handshake) may yet fail and leave the session waiting for ConnectRetry:
	 * then it connects soon, one time (bgp_bfd_link_after_event). */
	p->bfd_connect_pending = p->fsm.state == BGP_ST_OPENSENT ||
				 p->fsm.state == BGP_ST_OPENCONFIRM;
}

void bgp_bfd_link_after_event(struct bgp_peer *p)
{
	if (!p->bfd_connect_pending)
		return;
	if (p->fsm.state == BGP_ST_ESTABLISHED) {
		p->bfd_connect_pending = false;
		return;
	}
	if (!waiting_to_connect(p))
		return;
	p->bfd_connect_pending = false;   /* before the event: it comes back here */
	log_info("bgp", "connection made before BFD was up failed: connecting soon",
		 "peer=%s state=%s", p->name, bgp_state_name(p->fsm.state));
	bgp_event(p, BGP_EV_CONNECT_NOW, 0);
}

static void on_bfd(void *arg, const struct bfd_event *ev)
{
	struct bgp_peer *p = arg;
	if (ev->state == BFD_STATE_UP) {
		on_bfd_up(p);
		return;
	}
	p->bfd_connect_pending = false;
	if (ev->old_state != BFD_STATE_UP || p->bfd_held)
		return;
	if (ev->remote_state == BFD_STATE_ADMIN_DOWN) {
		/* RFC 5882 §3.2: the remote's AdminDown is no forwarding failure. */
		log_info("bgp", "BFD administratively down by the peer: session kept", "peer=%s",
			 p->name);
		return;
	}
	/* RFC 5882 §4.3: the path is gone, so is the session, now rather than at hold expiry. */
	log_warn("bgp", "BFD down: session torn down", "peer=%s diag=%s state=%s strict=%d",
		 p->name, bfd_diag_name(ev->diag), bgp_state_name(p->fsm.state), p->cfg.bfd_strict);
	if (p->cfg.bfd_strict) {
		p->bfd_held = true;
		bgp_event(p, BGP_EV_MANUAL_STOP, BGP_CEASE_BFD_DOWN);
	} else {
		bgp_event(p, BGP_EV_AUTOMATIC_STOP, BGP_CEASE_BFD_DOWN);
	}
}

bool bgp_bfd_link_open(struct bgp_peer *p)
{
	if (!p->cfg.bfd)
		return true;
	if (p->cfg.vrf) {
		/* src/bfd's sockets are not bound to a VRF: its packets would take the default
		 * table and never come Up. */
		log_warn("bgp", "BFD in a VRF is not supported: BGP runs without it", "peer=%s vrf=%s",
			 p->name, p->cfg.vrf);
		return true;
	}
	struct bfd_session_config c = {
		.peer = p->cfg.address,
		.local = p->cfg.source,
		.params = p->cfg.bfd_params,
	};
	p->bfd = bfd_session_new(&c, on_bfd, p);
	if (!p->bfd) {
		/* Logged by bfd; better a BGP session without fast detection than none at all. */
		log_error("bgp", "BFD session not created: BGP runs without it", "peer=%s", p->name);
		return true;
	}
	if (!p->cfg.bfd_strict)
		return true;
	p->bfd_held = true;
	log_info("bgp", "waiting for BFD before starting (strict mode)", "peer=%s", p->name);
	return false;
}

bool bgp_bfd_link_compatible(const struct bgp_peer_config *a, const struct bgp_peer_config *b)
{
	return a->bfd == b->bfd && (!a->bfd || (a->bfd_params.port == b->bfd_params.port &&
						a->bfd_params.passive == b->bfd_params.passive &&
						a->bfd_strict == b->bfd_strict));
}

void bgp_bfd_link_update(struct bgp_peer *p, const struct bgp_peer_config *cfg)
{
	if (!p->cfg.bfd || bfd_params_equal(&p->cfg.bfd_params, &cfg->bfd_params))
		return;
	p->cfg.bfd_params = cfg->bfd_params;
	if (p->bfd && bfd_session_set_params(p->bfd, &cfg->bfd_params))
		log_info("bgp", "BFD intervals changed", "peer=%s", p->name);
}

bool bgp_peer_bfd_status(const struct bgp_peer *p, struct bfd_status *out)
{
	if (!p->bfd)
		return false;
	bfd_session_status(p->bfd, out);
	return true;
}

void bgp_bfd_link_close(struct bgp_peer *p)
{
	bfd_session_free(p->bfd);
	p->bfd = NULL;
}
