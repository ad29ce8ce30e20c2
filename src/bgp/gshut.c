/*
 * Graceful shutdown of one peer (RFC 8326): the routes are announced again with the
 * GRACEFUL_SHUTDOWN community (§3), so the receivers lower their preference (§4.2: LOCAL_PREF 0)
 * and move traffic to other paths while ours still forward; after a wait the routes are
 * withdrawn. The session itself stays up: closing it is the caller's decision.
 */
#include "bgp/session.h"

#include "core/log.h"
#include "core/loop.h"

static void gshut_expired(void *arg)
{
	struct bgp_peer *p = arg;
	log_info("bgp", "graceful shutdown: withdrawing", "peer=%s prefixes=%zu", p->name,
		 bgp_ribout_advertised(&p->ribout));
	bgp_peer_set_routes(p, NULL, 0);
}

void bgp_peer_graceful_shutdown(struct bgp_peer *p, uint16_t wait_seconds)
{
	bool first = !p->gshut;
	p->gshut = true;
	if (!p->gshut_timer)
		p->gshut_timer = timer_new(gshut_expired, p);
	if (first) {
		log_info("bgp", "graceful shutdown: re-announcing with GRACEFUL_SHUTDOWN", "peer=%s "
			 "prefixes=%zu wait=%u", p->name, bgp_ribout_advertised(&p->ribout),
			 wait_seconds);
		bgp_session_readvertise(p);
	}
	timer_start(p->gshut_timer, mono_from_s(wait_seconds));
}
