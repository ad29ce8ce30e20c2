/*
 * IPv6 Neighbor Discovery over Ethernet (RFC 4861) as the layer-2 responder needs it: validate a
 * Neighbor Solicitation (section 7.1.1), build the solicited Neighbor Advertisement that answers it
 * (sections 4.4 and 7.2.4) and the unsolicited advertisement sent on takeover (section 7.2.6),
 * with the ICMPv6 checksum over the IPv6 pseudo-header (RFC 8200 section 8.1, RFC 4443 section 2.3)
 * and Ethernet multicast mapping (RFC 2464 section 7).
 *
 * Pure functions over core/buf.h: no sockets, no globals, so they are unit-tested with byte vectors
 * and fuzzed directly. Only an NS directly after the IPv6 header is accepted (no extension
 * headers); bpf.c lets nothing else through either.
 */
#ifndef INGOT_L2_NDP_H
#define INGOT_L2_NDP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/buf.h"
#include "l2/eth.h"

#define IPV6_HDR_LEN 40
#define IPPROTO_ICMPV6_NUM 58
#define ICMP6_NS 135
#define ICMP6_NA 136
#define NDP_HOP_LIMIT 255
#define NDP_NS_LEN 24      /* ICMPv6 header, reserved, target: the fixed part of an NS */
#define NDP_NA_LEN 32      /* NA fixed part (24) plus one target link-layer address option (8) */
#define NDP_NA_FRAME_LEN (ETH_HDR_LEN + IPV6_HDR_LEN + NDP_NA_LEN)

#define NDP_OPT_SLLA 1
#define NDP_OPT_TLLA 2

#define NDP_FLAG_ROUTER 0x80000000u
#define NDP_FLAG_SOLICITED 0x40000000u
#define NDP_FLAG_OVERRIDE 0x20000000u

/* Why a frame is not a solicitation to answer: one value per check. */
enum ndp_verdict {
	NDP_SOLICIT = 0,           /* a valid NS */
	NDP_ERR_TRUNCATED,         /* shorter than its headers, or than the IPv6 payload length */
	NDP_ERR_ETHERTYPE,         /* not EtherType 0x86dd */
	NDP_ERR_VERSION,           /* IP version not 6 */
	NDP_ERR_NEXT_HEADER,       /* not ICMPv6 directly after the IPv6 header */
	NDP_ERR_HOP_LIMIT,         /* 7.1.1: hop limit must be 255 (the sender is on-link) */
	NDP_ERR_TYPE,              /* ICMPv6 type not 135 */
	NDP_ERR_CODE,              /* 7.1.1: ICMP code must be 0 */
	NDP_ERR_LENGTH,            /* 7.1.1: ICMP length must be 24 or more */
	NDP_ERR_CHECKSUM,          /* 7.1.1: ICMP checksum must be valid */
	NDP_ERR_TARGET_MULTICAST,  /* 7.1.1: target must not be multicast */
	NDP_ERR_SOURCE_MULTICAST,  /* RFC 4291 2.7: a multicast address is never a source */
	NDP_ERR_OPTION_LEN,        /* 7.1.1: every option length non-zero and within the packet */
	NDP_ERR_SLLA_LEN,          /* source link-layer option not 8 bytes (RFC 2464 8) */
	NDP_ERR_DAD_DESTINATION,   /* 7.1.1: unspecified source needs a solicited-node destination */
	NDP_ERR_DAD_SLLA,          /* 7.1.1: unspecified source must carry no source link-layer option */
	NDP_ERR_OWN,               /* sent by us (Ethernet source is our MAC) */
};

struct ndp_solicit {
	eth_addr eth_src;
	ip_addr src;               /* :: for duplicate address detection */
	ip_addr dst;
	ip_addr target;
	bool has_slla;
	eth_addr slla;             /* the source link-layer address option, when has_slla */
};

/* Parses a whole Ethernet frame; `self` is the receiving interface's MAC. *out is filled only for
 * NDP_SOLICIT. Bytes after the IPv6 payload (Ethernet padding) are ignored. */
enum ndp_verdict ndp_parse_ns(rbuf frame, const eth_addr *self, struct ndp_solicit *out);
const char *ndp_verdict_name(enum ndp_verdict v);

/*
 * Solicited NA answering ns: target ns->target at self, with a target link-layer address option
 * and the Override flag. RFC 4861 7.2.4: to the NS source with the Solicited flag, at the source
 * link-layer address when the NS carried one, else at the frame's Ethernet source; when the NS
 * source is unspecified (DAD), to all-nodes ff02::1 with the Solicited flag clear.
 */
void ndp_build_na(wbuf *out, const struct ndp_solicit *ns, const eth_addr *self);

/* Unsolicited NA (RFC 4861 7.2.6) announcing ip at self: Override flag, to all-nodes ff02::1. */
void ndp_build_unsolicited_na(wbuf *out, const ip_addr *ip, const eth_addr *self);

/*
 * The ICMPv6 checksum (RFC 4443 2.3) of msg with the pseudo-header of RFC 8200 8.1 for src, dst
 * and next header 58. For a message whose checksum field is zero the result is the value to store;
 * for a received message with a correct checksum the result is 0.
 */
uint16_t ndp_icmp6_checksum(const ip_addr *src, const ip_addr *dst, rbuf msg);

/* The solicited-node group of a: ff02::1:ff00:0/104 plus its last 24 bits (RFC 4291 2.7.1). */
ip_addr ndp_solicited_node(const ip_addr *a);
bool ndp_is_solicited_node(const ip_addr *a);
/* 33:33 followed by the group's last four bytes (RFC 2464 7). */
eth_addr ndp_multicast_mac(const ip_addr *group);

#endif
