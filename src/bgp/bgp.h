/*
 * The BGP speaker as the rest of ingot sees it: set the peers, set the routes each peer should
 * hold, read session states and counters. Everything runs on the process loop (core/loop.h);
 * sessions connect, listen, keep their timers and send UPDATEs on their own.
 *
 * Routes are announced with this node as next hop: ORIGIN IGP, AS_PATH empty towards internal
 * peers and our AS towards external ones, LOCAL_PREF towards internal peers only (RFC 4271 §5.1),
 * IPv6 in MP_REACH_NLRI with the global and, when on-link, the link-local next hop (RFC 4760,
 * RFC 2545). Received UPDATEs are validated (RFC 7606) and discarded: nothing is installed.
 */
#ifndef INGOT_BGP_BGP_H
#define INGOT_BGP_BGP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bfd/bfd.h"
#include "core/addr.h"

struct bgp_large_community;

/* What may differ from route to route. Arrays are borrowed by bgp_peer_set_routes(), which
 * copies them. */
struct bgp_route_attrs {
	bool has_local_pref;             /* internal peers only; 100 when unset */
	uint32_t local_pref;
	bool has_med;
	uint32_t med;
	size_t ncommunities;
	const uint32_t *communities;
	size_t next_communities;
	const uint64_t *ext_communities; /* e.g. bgp_ext_community_link_bandwidth() */
	size_t nlarge_communities;
	const struct bgp_large_community *large_communities;
};

struct bgp_route {
	ip_prefix prefix;
	const struct bgp_route_attrs *attrs;   /* NULL: none of the above */
};

/* A peer configured without an AS number: its AS is learned from its OPEN (MetalLB's dynamicASN,
 * FRR's "remote-as internal|external"); an OPEN with an AS of the wrong kind gets OPEN Message
 * Error / Bad Peer AS (RFC 4271 §6.2). */
enum bgp_dynamic_as {
	BGP_DYNAMIC_AS_NONE = 0,       /* peer_as is set */
	BGP_DYNAMIC_AS_INTERNAL,       /* peer_as 0; the peer must have local_as */
	BGP_DYNAMIC_AS_EXTERNAL,       /* peer_as 0; the peer must have another AS */
};

struct bgp_peer_config {
	ip_addr address;
	uint16_t port;                 /* 0: 179 */
	uint32_t peer_as;              /* 0 exactly when dynamic_as is set */
	enum bgp_dynamic_as dynamic_as;
	uint32_t local_as;
	uint32_t router_id;            /* host order, non-zero */
	ip_addr source;                /* IP_NONE: the kernel picks */
	uint16_t hold_time;            /* 0: 90, unless no_hold_time */
	bool no_hold_time;             /* propose hold time 0: no hold timer and no keepalives once
					* the peer agrees (RFC 4271 §4.2, §4.4); hold_time is 0 */
	uint16_t keepalive_time;       /* 0: a third of the negotiated hold time */
	uint16_t connect_retry_time;   /* 0: 120 */
	const char *password;          /* TCP-MD5 (RFC 2385); NULL or "" for none; copied */
	const char *vrf;               /* Linux VRF device the session's connections are bound to
					* (SO_BINDTODEVICE), so they use its routing table; NULL or
					* "": the default VRF; copied. BFD does not follow it. */
	uint8_t ebgp_multihop;         /* TTL for external peers; 0: 1 (directly connected) */
	bool passive;                  /* wait for the peer to connect */
	bool graceful_restart;         /* advertise RFC 4724 (with N, RFC 8538) */
	uint16_t gr_time;              /* restart time we advertise, seconds */
	bool gr_restarting;            /* this process restarted: set Restart State (RFC 4724 §4.1) */
	ip_addr next_hop_v4;           /* IP_NONE: the session's local IPv4 address */
	ip_addr next_hop_v6;           /* IP_NONE: the session's local IPv6 address */
	ip_addr next_hop_v6_ll;        /* link-local next hop when on-link, or IP_NONE */
	bool dual_stack;               /* routes of the session's other family too, with (unless set
					* above) this host's address of that family on the session's
					* interface as next hop (MetalLB's dualStackAddressFamily);
					* without it they stay off the session */
	bool bfd;                      /* BFD to the peer (a BFD profile is set): the session drops
					* at once when BFD goes from Up to Down (RFC 5882 §4.3) and
					* reconnects after the idle-hold backoff; BFD coming Up cuts
					* long waits short (bgp/bfd_link.c) */
	struct bfd_params bfd_params;  /* the profile's values (bfd/bfd.h) */
	bool bfd_strict;               /* with bfd: no connection at all while BFD is not Up
					* (draft-ietf-idr-bgp-bfd-strict-mode). Off by default: a
					* router that starts its BFD only once BGP exists (BIRD's
					* `neighbor range`, FRR) would never come up with us */
};

struct bgp_speaker;
struct bgp_peer;

/* The speaker owns its peers; bgp_speaker_free() sends Cease to all and closes them. */
struct bgp_speaker *bgp_speaker_new(void);
void bgp_speaker_free(struct bgp_speaker *s);
/* Accept incoming sessions on addr:port (port 0 picks one; *bound_port reports it). */
bool bgp_speaker_listen(struct bgp_speaker *s, const ip_addr *addr, uint16_t port,
			uint16_t *bound_port);

/*
 * Makes the peer set exactly `peers` (matched by address and port): new ones start, missing ones
 * get Cease/Peer De-configured and go, changed ones restart. Returns false (and changes nothing)
 * when a config is invalid.
 */
bool bgp_set_peers(struct bgp_speaker *s, const struct bgp_peer_config *peers, size_t n);
struct bgp_peer *bgp_find_peer(struct bgp_speaker *s, const ip_addr *address, uint16_t port);
/* The routes this peer should hold from us; the difference goes out once Established. */
void bgp_peer_set_routes(struct bgp_peer *p, const struct bgp_route *routes, size_t n);

/*
 * RFC 8326 graceful shutdown of one peer: every route is announced again with the
 * GRACEFUL_SHUTDOWN community (65535:0) added, and after wait_seconds all of them are withdrawn
 * (the session stays up; routes set later are announced with the community, then withdrawn too).
 * Calling it again restarts the wait. Undone only by bgp_set_peers() restarting the peer.
 */
void bgp_peer_graceful_shutdown(struct bgp_peer *p, uint16_t wait_seconds);

struct bgp_peer_status {
	int state;                     /* enum bgp_state (bgp/fsm.h) */
	const char *state_name;
	uint32_t established_count;
	int64_t uptime_ms;             /* since the session became Established; -1 when it is not */
	uint64_t msgs_in, msgs_out;    /* messages of every type, across the peer's connections
					* (a collision's second one included) */
	uint64_t updates_in, updates_out;   /* End-of-RIB markers not counted out */
	uint64_t opens_in, opens_out;
	uint64_t notifications_in, notifications_out;
	uint64_t keepalives_in, keepalives_out;
	uint64_t route_refresh_in, route_refresh_out;   /* we never ask: out stays 0 */
	size_t prefixes_advertised;
	size_t prefixes_pending;       /* Established: prefixes to announce or withdraw not yet
					* put in an UPDATE (bgp_ribout_pending); 0 otherwise */
	uint8_t last_sent_code, last_sent_subcode;
	uint8_t last_recv_code, last_recv_subcode;
	uint32_t peer_as;              /* the peer's AS: configured, or learned from its OPEN (0:
					* dynamic and not known yet) */
	uint16_t hold_time, keepalive_time;   /* negotiated, while OpenConfirm or Established */
	bool graceful_shutdown;        /* bgp_peer_graceful_shutdown() was called */
	bool gr_negotiated;            /* both sides sent the RFC 4724 capability */
	bool has_bfd;                  /* a BFD session runs to the peer; then bfd is its status */
	struct bfd_status bfd;
};
void bgp_peer_status(const struct bgp_peer *p, struct bgp_peer_status *out);
/* The status of the peer's BFD session (bfd/bfd.h); false (out untouched) when it has none: no
 * BFD profile, a VRF, or the session could not be created. */
bool bgp_peer_bfd_status(const struct bgp_peer *p, struct bfd_status *out);
size_t bgp_peer_count(const struct bgp_speaker *s);
struct bgp_peer *bgp_peer_at(struct bgp_speaker *s, size_t i);

#endif
