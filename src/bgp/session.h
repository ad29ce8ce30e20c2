/*
 * Internal to src/bgp: one peer's session glue (session.c) and what the speaker (speaker.c)
 * needs of it. A peer owns its connections, timer, FSM and Adj-RIB-Out and frees them all in
 * bgp_session_free().
 */
#ifndef INGOT_BGP_SESSION_H
#define INGOT_BGP_SESSION_H

#include <sys/socket.h>

#include "bgp/bgp.h"
#include "bgp/fsm.h"
#include "bgp/msg.h"
#include "bgp/ribout.h"

struct watch;
struct timer;

/* One TCP connection: the current one, or a second one from the peer during a collision. */
struct bgp_conn {
	int fd;                        /* -1: none */
	bool outbound;
	bool connecting;               /* non-blocking connect() in progress */
	bool open_received;            /* pending connection: its OPEN came */
	struct bgp_open open;          /* the peer's OPEN on this connection */
	struct watch *watch;
	uint8_t *in;                   /* read buffer, BGP_CONN_IN_CAP bytes */
	size_t in_len;
	uint8_t *out;                  /* write queue: out[out_off..out_len) unsent */
	size_t out_off, out_len, out_cap;
	ip_addr local;                 /* our address on this connection */
	ip_addr local_ll;              /* our link-local address towards an on-link IPv6 peer */
};

struct bgp_peer {
	struct bgp_speaker *speaker;
	struct bgp_peer_config cfg;    /* password points to our copy */
	char *password;
	char *vrf;                     /* cfg.vrf points to our copy */
	char name[IP_ADDR_STRLEN + 8];
	struct bgp_fsm fsm;
	struct timer *timer;
	struct bgp_conn cur;
	struct bgp_conn pending;
	struct bgp_open local_open;
	struct bgp_negotiated neg;
	struct bgp_codec_opts opts;
	struct bgp_ribout ribout;
	uint64_t msgs_in, msgs_out, updates_in, updates_out;
	uint64_t opens_in, opens_out, notifications_in, notifications_out;
	uint64_t keepalives_in, keepalives_out, route_refresh_in, route_refresh_out;
	bool gshut;                    /* RFC 8326 graceful shutdown requested (gshut.c) */
	struct timer *gshut_timer;     /* withdraws everything when it fires; NULL until requested */
	struct bfd_session *bfd;       /* when cfg.bfd (bfd_link.c) */
	bool bfd_held;                 /* strict mode: stopped or not started until BFD is Up */
	bool bfd_connect_pending;      /* BFD came Up while opening: retry at once if that fails */
};

/* Creates the peer and starts it (ManualStart). cfg is copied. */
struct bgp_peer *bgp_session_new(struct bgp_speaker *s, const struct bgp_peer_config *cfg);
/* Stops it with Cease/<subcode> when a session is up, closes everything, frees it. */
void bgp_session_free(struct bgp_peer *p, uint8_t cease_subcode);
/* An accepted connection from the peer's address; the session takes fd or closes it. */
void bgp_session_incoming(struct bgp_peer *p, int fd);
/* Feeds one event to the FSM and carries out what it decides (bfd_link.c). */
void bgp_session_event(struct bgp_peer *p, const struct bgp_fsm_input *in);
/* Routes changed: send the difference if Established. */
void bgp_session_routes_changed(struct bgp_peer *p);
/* Announces every advertised route again with the current attributes (if Established). */
void bgp_session_readvertise(struct bgp_peer *p);
struct sockaddr_storage;
socklen_t bgp_to_sockaddr(const ip_addr *a, uint16_t port, struct sockaddr_storage *ss);
/* IPv4-mapped IPv6 addresses come back as IPv4. */
ip_addr bgp_from_sockaddr(const struct sockaddr_storage *ss);
/* Our link-local address on the interface holding `local` when `peer` is on that link
 * (RFC 2545 §3, nexthop.c); false when there is none. */
bool bgp_link_local_next_hop(const ip_addr *local, const ip_addr *peer, ip_addr *out);
/* For a session carrying both families: this host's address of the other family than `local`
 * on the interface holding `local` (a global one for IPv6); false when there is none. */
bool bgp_other_family_next_hop(const ip_addr *local, ip_addr *out);
/* Whether the peer is external before its OPEN is seen: a configured AS other than ours, or a
 * dynamic AS that must differ from ours (a single-hop TTL applies, RFC 4271 §5.1.3). */
bool bgp_peer_external(const struct bgp_peer_config *c);
/* Sets TCP-MD5 for addr on fd (RFC 2385); password NULL or "" clears it. */
bool bgp_set_md5(int fd, const ip_addr *addr, const char *password);

#endif
