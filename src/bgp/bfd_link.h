/*
 * Internal to src/bgp: BGP as a client of BFD (bfd_link.c). A peer whose configuration asks for
 * BFD gets a BFD session to its address; the BGP session is torn down at once when it fails
 * (RFC 5882 §4.3, Cease "BFD Down", RFC 9384) and reconnects after the idle-hold backoff;
 * BFD coming Up cuts long waits short. Only in strict mode (bfd_strict) may the session not start
 * before BFD is Up.
 */
#ifndef INGOT_BGP_BFD_LINK_H
#define INGOT_BGP_BFD_LINK_H

#include <stdbool.h>

struct bgp_peer;

/* Creates the peer's BFD session when its config asks for one. Returns whether the BGP session
 * may start now (always but in strict mode); otherwise it starts when BFD comes Up. */
bool bgp_bfd_link_open(struct bgp_peer *p);
/* After each FSM event of the peer: a connection that was opening when BFD came Up and then
 * failed is retried within idle_hold_time instead of at ConnectRetry. */
void bgp_bfd_link_after_event(struct bgp_peer *p);
/* Frees the peer's BFD session (the peer hears AdminDown). */
void bgp_bfd_link_close(struct bgp_peer *p);

struct bgp_peer_config;
/* Whether the BFD settings of b can replace a's without restarting the BGP session: BFD on or off
 * and the port and passive mode are fixed; intervals and multiplier change live. */
bool bgp_bfd_link_compatible(const struct bgp_peer_config *a, const struct bgp_peer_config *b);
/* Takes cfg's BFD intervals and multiplier (compatible ones) into the running BFD session: a
 * Poll Sequence when Up (RFC 5880 §6.8.3), no BGP restart. */
void bgp_bfd_link_update(struct bgp_peer *p, const struct bgp_peer_config *cfg);

#endif
