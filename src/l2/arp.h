/*
 * ARP over Ethernet for IPv4 (RFC 826), as the layer-2 responder needs it: recognise a request,
 * build the reply, and build gratuitous ARP announcements (RFC 5227 section 3 request form, and
 * the reply form of RFC 2002 section 4.6 that some hosts only honour).
 *
 * Pure functions over core/buf.h: no sockets, no globals, so they are unit-tested with byte vectors
 * and fuzzed directly.
 */
#ifndef INGOT_L2_ARP_H
#define INGOT_L2_ARP_H

#include <stdbool.h>
#include <stddef.h>

#include "core/addr.h"
#include "core/buf.h"
#include "l2/eth.h"

/* Ethernet header plus the 28-byte ARP packet for IPv4; frames we build are padded to 60. */
#define ARP_PKT_LEN 28
#define ARP_FRAME_LEN (ETH_HDR_LEN + ARP_PKT_LEN)
#define ARP_FRAME_MAX ETH_MIN_FRAME_LEN

#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2

/* Why a frame is not a request to answer: one value per check, so tests and counters can tell. */
enum arp_verdict {
	ARP_REQUEST = 0,       /* a well-formed request (probe or ordinary) that may be answered */
	ARP_ERR_TRUNCATED,     /* shorter than Ethernet + ARP for IPv4 */
	ARP_ERR_ETHERTYPE,     /* not EtherType 0x0806 */
	ARP_ERR_HTYPE,         /* hardware type not Ethernet (1) */
	ARP_ERR_PTYPE,         /* protocol type not IPv4 (0x0800) */
	ARP_ERR_HLEN,          /* hardware address length not 6 */
	ARP_ERR_PLEN,          /* protocol address length not 4 */
	ARP_ERR_NOT_REQUEST,   /* opcode other than 1 (replies are not ours to answer) */
	ARP_ERR_SENDER_MAC,    /* sender hardware address is multicast/broadcast or zero */
	ARP_ERR_OWN,           /* sent by us (Ethernet or ARP sender address is our MAC) */
	ARP_ERR_ANNOUNCEMENT,  /* a gratuitous request (sender IP == target IP): another host claims it */
};

struct arp_request {
	eth_addr eth_src;
	eth_addr sender_mac;   /* ar_sha: where the reply goes */
	ip_addr sender_ip;     /* ar_spa: 0.0.0.0 for an RFC 5227 probe */
	ip_addr target_ip;     /* ar_tpa: the address being asked for */
	bool probe;            /* RFC 5227 2.1.1: sender IP all zero */
};

/*
 * Parses a whole Ethernet frame. `self` is the receiving interface's MAC: requests it sent are
 * ARP_ERR_OWN. Trailing bytes (Ethernet padding) are allowed. *out is filled only for
 * ARP_REQUEST, and for ARP_ERR_ANNOUNCEMENT so a caller can log the conflicting sender.
 */
enum arp_verdict arp_parse(rbuf frame, const eth_addr *self, struct arp_request *out);
const char *arp_verdict_name(enum arp_verdict v);

/*
 * RFC 826 reply to req, answering that req->target_ip is at `self`: unicast to the requester's
 * hardware address, sender = (self, target_ip), target = (req sender MAC, req sender IP).
 * Appends a 60-byte frame to out; check wbuf_ok(out).
 */
void arp_build_reply(wbuf *out, const struct arp_request *req, const eth_addr *self);

/* Gratuitous ARP for ip at self, broadcast. Request form (RFC 5227 section 3, ARP Announcement):
 * opcode 1, sender and target IP both ip, target hardware address zero. Reply form (RFC 2002
 * section 4.6): opcode 2, target hardware address = self. ip must be IPv4. */
void arp_build_gratuitous_request(wbuf *out, const ip_addr *ip, const eth_addr *self);
void arp_build_gratuitous_reply(wbuf *out, const ip_addr *ip, const eth_addr *self);

#endif
