/*
 * BGP as a client of BFD (RFC 5882). When a peer's configuration names a BFD profile, a single-hop
 * BFD session (bfd/bfd.h) runs to the peer's address from the BGP source address:
 *   - BFD leaving Up tears the BGP session down at once (RFC 5882 §4.3): ManualStop with Cease
 *     subcode 10 "BFD Down" (RFC 9384), and no automatic restart;
 *   - the BGP session starts, and after such a teardown restarts, only once BFD is Up again;
 *   - a peer that takes BFD administratively down (state AdminDown, RFC 5880 §6.8.16) has not
 *     lost its path, so that Down leaves BGP alone (RFC 5882 §3.2).
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

static void on_bfd(void *arg, const struct bfd_event *ev)
{
	struct bgp_peer *p = arg;
	if (ev->state == BFD_STATE_UP) {
		if (p->bfd_held) {
			log_info("bgp", "BFD up: session may start", "peer=%s", p->name);
			p->bfd_held = false;
			bgp_event(p, BGP_EV_MANUAL_START, 0);
		}
		return;
	}
	if (ev->old_state != BFD_STATE_UP || p->bfd_held)
		return;
	if (ev->remote_state == BFD_STATE_ADMIN_DOWN) {
		/* RFC 5882 §3.2: the remote's AdminDown is no forwarding failure. */
		log_info("bgp", "BFD administratively down by the peer: session kept", "peer=%s",
			 p->name);
		return;
	}
	/* RFC 5882 §4.3: the path is gone, so is the session, now rather than at hold expiry. */
	log_warn("bgp", "BFD down: session torn down", "peer=%s diag=%s state=%s", p->name,
		 bfd_diag_name(ev->diag), bgp_state_name(p->fsm.state));
	p->bfd_held = true;
	bgp_event(p, BGP_EV_MANUAL_STOP, BGP_CEASE_BFD_DOWN);
}

bool bgp_bfd_link_open(struct bgp_peer *p)
{
	if (!p->cfg.bfd)
		return true;
	if (p->cfg.vrf) {
		/* src/bfd's sockets are not bound to a VRF: its packets would take the default
		 * table and never come Up, holding BGP for ever. */
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
	p->bfd_held = true;
	log_info("bgp", "waiting for BFD before starting", "peer=%s", p->name);
	return false;
}

bool bgp_bfd_link_compatible(const struct bgp_peer_config *a, const struct bgp_peer_config *b)
{
	return a->bfd == b->bfd && (!a->bfd || (a->bfd_params.port == b->bfd_params.port &&
						a->bfd_params.passive == b->bfd_params.passive));
}

void bgp_bfd_link_update(struct bgp_peer *p, const struct bgp_peer_config *cfg)
{
	if (!p->cfg.bfd || bfd_params_equal(&p->cfg.bfd_params, &cfg->bfd_params))
		return;
	p->cfg.bfd_params = cfg->bfd_params;
	if (p->bfd && bfd_session_set_params(p->bfd, &cfg->bfd_params))
		log_info("bgp", "BFD intervals changed", "peer=%s", p->name);
}

void bgp_bfd_link_close(struct bgp_peer *p)
{
	bfd_session_free(p->bfd);
	p->bfd = NULL;
}
