/*
 * The layer-2 responder: answers ARP requests (RFC 826) and IPv6 Neighbor Solicitations (RFC 4861
 * 7.2.4) for service IPs this node owns, on raw sockets, and announces a takeover with gratuitous
 * ARP (RFC 5227 3, both request and reply form) and unsolicited Neighbor Advertisements (RFC 4861
 * 7.2.6). Service IPs are never added to host interfaces.
 *
 * The speaker says which IPs this node owns on which interface with l2_set_owned(). Gaining an IP
 * announces it at once, then `burst_count` more times spread over `burst_span`, then every
 * `refresh` (zero disables refresh). Losing one stops answering for it at once. Everything runs
 * on the core/loop.h event loop; call l2_responder_init() after loop_init().
 */
#ifndef INGOT_L2_RESPONDER_H
#define INGOT_L2_RESPONDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/monotime.h"

struct l2_config {
	unsigned burst_count;   /* announcements after the first one; default 5 */
	monotime burst_span;    /* spread over this long; default 2 s */
	monotime refresh;       /* re-announce this often after the burst; default 60 s, zero: never */
};

/* The defaults above. */
struct l2_config l2_config_default(void);

struct l2_counters {
	uint64_t requests_seen;     /* well-formed ARP requests and NS, for any address */
	uint64_t replies_sent;      /* ARP replies and solicited NAs */
	uint64_t gratuitous_sent;   /* gratuitous ARP frames (each form counts) and unsolicited NAs */
	uint64_t malformed;         /* frames the filter passed that failed validation */
	uint64_t conflicts;         /* another station announced an address we own */
	uint64_t errors;            /* failed receives and sends */
	uint64_t dropped;           /* frames the kernel dropped because we did not read fast enough */
};

/* Starts the responder with a copy of cfg. */
void l2_responder_init(const struct l2_config *cfg);
/* Closes every socket and frees every timer. Owned IPs are simply forgotten. */
void l2_responder_shutdown(void);

/*
 * Makes ips[0..n) (IPv4 and IPv6, duplicates allowed) the set this node answers for on ifindex,
 * replacing the previous set. The first IP on an interface opens its socket; an empty set closes
 * it. Returns 0, or -1 if the socket could not be opened or the interface has no Ethernet address
 * (logged; the interface then owns nothing). ips is only read.
 */
int l2_set_owned(int ifindex, const ip_addr *ips, size_t n);

/* Re-reads the interface's MAC and announces every owned IP again from the start of the burst:
 * for the interface following code when a link comes up or its address changes. */
void l2_interface_changed(int ifindex);

/* Counters of one interface (false if it has never owned anything), or of all of them. They
 * survive the interface's socket being closed. */
bool l2_counters_get(int ifindex, struct l2_counters *out);
void l2_counters_total(struct l2_counters *out);

/*
 * Counters of one owned service IP, summed over every interface that answers for it: what
 * MetalLB exposes as metallb_layer2_{requests_received,responses_sent,gratuitous_sent}{ip}. They
 * start at zero when the IP is first owned on some interface and are forgotten when no interface
 * owns it any more (a later takeover starts again from zero, which Prometheus' rate() reads as a
 * counter reset).
 */
struct l2_ip_counters {
	uint64_t requests;     /* well-formed ARP requests and NS asking for this IP */
	uint64_t replies;      /* replies to them that the kernel accepted (sendmmsg counted them) */
	uint64_t gratuitous;   /* gratuitous ARP frames (each form counts) and unsolicited NAs */
};

/* Calls fn once per IP owned on at least one interface, in no particular order. fn must not
 * change the owned sets; ip and c are valid only during the call. */
typedef void (*l2_owned_fn)(void *arg, const ip_addr *ip, const struct l2_ip_counters *c);
void l2_owned_foreach(l2_owned_fn fn, void *arg);

#endif
