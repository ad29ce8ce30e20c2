/*
 * Neighbor Discovery codec (see ndp.h). Validation follows RFC 4861 section 7.1.1 check by check;
 * advertisements follow sections 4.4, 7.2.4 and 7.2.6; the checksum is RFC 4443 section 2.3 over
 * the RFC 8200 section 8.1 pseudo-header; multicast MACs are RFC 2464 section 7.
 */
#include "l2/ndp.h"

#include <string.h>

static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 0x01 };

static ip_addr v6(const uint8_t bytes[16])
{
	ip_addr a;
	a.family = IP_V6;
	memcpy(a.bytes, bytes, 16);
	return a;
}

static bool v6_is_unspecified(const ip_addr *a)
{
	static const uint8_t zero[16];
	return memcmp(a->bytes, zero, 16) == 0;
}

static bool v6_is_multicast(const ip_addr *a)
{
	return a->bytes[0] == 0xff;
}

ip_addr ndp_solicited_node(const ip_addr *a)
{
	uint8_t g[16] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff };
	g[13] = a->bytes[13];
	g[14] = a->bytes[14];
	g[15] = a->bytes[15];
	return v6(g);
}

bool ndp_is_solicited_node(const ip_addr *a)
{
	static const uint8_t prefix[13] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff };
	return a->family == IP_V6 && memcmp(a->bytes, prefix, sizeof(prefix)) == 0;
}

eth_addr ndp_multicast_mac(const ip_addr *group)
{
	eth_addr m = { { 0x33, 0x33, group->bytes[12], group->bytes[13], group->bytes[14],
			 group->bytes[15] } };
	return m;
}

/* One's-complement sum of 16-bit words (RFC 1071), an odd last byte padded with zero. */
static uint32_t sum_words(uint32_t sum, rbuf b)
{
	uint16_t w;
	uint8_t last;
	while (rbuf_get_u16(&b, &w))
		sum += w;
	if (rbuf_get_u8(&b, &last))
		sum += (uint32_t)last << 8;
	return sum;
}

uint16_t ndp_icmp6_checksum(const ip_addr *src, const ip_addr *dst, rbuf msg)
{
	uint8_t tail[8] = { 0 };
	size_t len = rbuf_left(&msg);
	/* RFC 8200 8.1: source, destination, 32-bit upper-layer length, 3 zero bytes, next header. */
	tail[0] = (uint8_t)(len >> 24);
	tail[1] = (uint8_t)(len >> 16);
	tail[2] = (uint8_t)(len >> 8);
	tail[3] = (uint8_t)len;
	tail[7] = IPPROTO_ICMPV6_NUM;
	uint32_t sum = 0;
	sum = sum_words(sum, rbuf_make(src->bytes, 16));
	sum = sum_words(sum, rbuf_make(dst->bytes, 16));
	sum = sum_words(sum, rbuf_make(tail, sizeof(tail)));
	sum = sum_words(sum, msg);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Walks the options after the NS fixed part: RFC 4861 4.6 type-length-value, length in units of
 * 8 bytes. Unknown options are skipped (4.6: "silently ignore"); the first SLLA counts. */
static enum ndp_verdict parse_options(rbuf opts, struct ndp_solicit *ns)
{
	while (!rbuf_empty(&opts)) {
		uint8_t type, len;
		rbuf opt;
		if (!rbuf_get_u8(&opts, &type) || !rbuf_get_u8(&opts, &len))
			return NDP_ERR_OPTION_LEN;
		/* 7.1.1: all included options have a length greater than zero; and an option may
		 * not claim more bytes than the packet has left. */
		if (len == 0 || !rbuf_sub(&opts, (size_t)len * 8 - 2, &opt))
			return NDP_ERR_OPTION_LEN;
		if (type != NDP_OPT_SLLA || ns->has_slla)
			continue;
		/* RFC 2464 8: on Ethernet the option is one unit, a 6-byte address. */
		if (len != 1)
			return NDP_ERR_SLLA_LEN;
		eth_get_addr(&opt, &ns->slla);
		ns->has_slla = true;
	}
	return NDP_SOLICIT;
}

enum ndp_verdict ndp_parse_ns(rbuf frame, const eth_addr *self, struct ndp_solicit *out)
{
	struct eth_hdr eth;
	uint32_t vtcfl;
	uint16_t payload_len;
	uint8_t next_header, hop_limit, type, code, src[16], dst[16], target[16];
	rbuf icmp, check;
	struct ndp_solicit ns;

	if (!eth_parse(&frame, &eth))
		return NDP_ERR_TRUNCATED;
	if (eth.type != ETHERTYPE_IPV6)
		return NDP_ERR_ETHERTYPE;
	if (rbuf_left(&frame) < IPV6_HDR_LEN)
		return NDP_ERR_TRUNCATED;
	rbuf_get_u32(&frame, &vtcfl);
	rbuf_get_u16(&frame, &payload_len);
	rbuf_get_u8(&frame, &next_header);
	rbuf_get_u8(&frame, &hop_limit);
	rbuf_get_bytes(&frame, src, 16);
	rbuf_get_bytes(&frame, dst, 16);
	if (vtcfl >> 28 != 6)
		return NDP_ERR_VERSION;
	if (next_header != IPPROTO_ICMPV6_NUM)
		return NDP_ERR_NEXT_HEADER;
	/* The ICMPv6 message is exactly the IPv6 payload; what follows is link padding. */
	if (!rbuf_sub(&frame, payload_len, &icmp))
		return NDP_ERR_TRUNCATED;
	check = icmp;
	if (!rbuf_get_u8(&icmp, &type))
		return NDP_ERR_LENGTH;
	if (type != ICMP6_NS)
		return NDP_ERR_TYPE;
	/* RFC 4861 7.1.1: IP Hop Limit is 255, so the sender is on this link. */
	if (hop_limit != NDP_HOP_LIMIT)
		return NDP_ERR_HOP_LIMIT;
	/* 7.1.1: ICMP length (derived from the IP length) is 24 or more octets. */
	if (payload_len < NDP_NS_LEN)
		return NDP_ERR_LENGTH;
	/* 7.1.1: ICMP Code is 0. */
	rbuf_get_u8(&icmp, &code);
	if (code != 0)
		return NDP_ERR_CODE;

	memset(&ns, 0, sizeof(ns));
	ns.eth_src = eth.src;
	ns.src = v6(src);
	ns.dst = v6(dst);
	/* 7.1.1: the ICMP checksum is valid. */
	if (ndp_icmp6_checksum(&ns.src, &ns.dst, check) != 0)
		return NDP_ERR_CHECKSUM;
	rbuf_skip(&icmp, 2 + 4);          /* checksum, reserved */
	rbuf_get_bytes(&icmp, target, 16);
	ns.target = v6(target);
	/* 7.1.1: Target Address is not a multicast address. */
	if (v6_is_multicast(&ns.target))
		return NDP_ERR_TARGET_MULTICAST;
	if (v6_is_multicast(&ns.src))
		return NDP_ERR_SOURCE_MULTICAST;
	enum ndp_verdict v = parse_options(icmp, &ns);
	if (v != NDP_SOLICIT)
		return v;
	if (v6_is_unspecified(&ns.src)) {
		/* 7.1.1: if the source is unspecified, the destination is a solicited-node
		 * multicast address and there is no source link-layer address option. */
		if (!ndp_is_solicited_node(&ns.dst))
			return NDP_ERR_DAD_DESTINATION;
		if (ns.has_slla)
			return NDP_ERR_DAD_SLLA;
	}
	if (eth_addr_eq(&eth.src, self))
		return NDP_ERR_OWN;
	*out = ns;
	return NDP_SOLICIT;
}

const char *ndp_verdict_name(enum ndp_verdict v)
{
	switch (v) {
	case NDP_SOLICIT: return "solicitation";
	case NDP_ERR_TRUNCATED: return "truncated";
	case NDP_ERR_ETHERTYPE: return "not IPv6";
	case NDP_ERR_VERSION: return "IP version not 6";
	case NDP_ERR_NEXT_HEADER: return "not ICMPv6";
	case NDP_ERR_HOP_LIMIT: return "hop limit not 255";
	case NDP_ERR_TYPE: return "not a neighbor solicitation";
	case NDP_ERR_CODE: return "ICMP code not 0";
	case NDP_ERR_LENGTH: return "ICMP length under 24";
	case NDP_ERR_CHECKSUM: return "bad checksum";
	case NDP_ERR_TARGET_MULTICAST: return "multicast target";
	case NDP_ERR_SOURCE_MULTICAST: return "multicast source";
	case NDP_ERR_OPTION_LEN: return "bad option length";
	case NDP_ERR_SLLA_LEN: return "bad source link-layer option";
	case NDP_ERR_DAD_DESTINATION: return "DAD not to solicited-node address";
	case NDP_ERR_DAD_SLLA: return "DAD with source link-layer option";
	case NDP_ERR_OWN: return "sent by us";
	}
	return "unknown";
}

/* An NA for target at self from target to dst, with a target link-layer address option. */
static void put_na(wbuf *out, const eth_addr *eth_dst, const ip_addr *dst, const ip_addr *target,
		   const eth_addr *self, uint32_t flags)
{
	eth_put_hdr(out, eth_dst, self, ETHERTYPE_IPV6);
	wbuf_put_u32(out, 0x60000000u);           /* version 6, traffic class 0, flow label 0 */
	wbuf_put_u16(out, NDP_NA_LEN);
	wbuf_put_u8(out, IPPROTO_ICMPV6_NUM);
	wbuf_put_u8(out, NDP_HOP_LIMIT);          /* 7.1.2: receivers drop anything else */
	wbuf_put_bytes(out, target->bytes, 16);   /* 7.2.4: source is the target address */
	wbuf_put_bytes(out, dst->bytes, 16);
	size_t icmp_at = wbuf_len(out);
	wbuf_put_u8(out, ICMP6_NA);
	wbuf_put_u8(out, 0);
	size_t sum_at = wbuf_reserve(out, 2);
	wbuf_put_u32(out, flags);
	wbuf_put_bytes(out, target->bytes, 16);
	wbuf_put_u8(out, NDP_OPT_TLLA);
	wbuf_put_u8(out, 1);
	eth_put_addr(out, self);
	if (!wbuf_ok(out))
		return;
	rbuf written = rbuf_make(out->data, wbuf_len(out));
	rbuf_skip(&written, icmp_at);
	uint16_t sum = ndp_icmp6_checksum(target, dst, rbuf_rest(&written));
	wbuf_set_u16_at(out, sum_at, sum);
}

void ndp_build_na(wbuf *out, const struct ndp_solicit *ns, const eth_addr *self)
{
	if (v6_is_unspecified(&ns->src)) {
		/* 7.2.4: the solicitation came from DAD: Solicited clear, multicast to all-nodes. */
		ip_addr dst = v6(all_nodes);
		eth_addr mac = ndp_multicast_mac(&dst);
		put_na(out, &mac, &dst, &ns->target, self, NDP_FLAG_OVERRIDE);
		return;
	}
	/* 7.2.4: unicast to the source. Without a source link-layer option the frame's own source
	 * is the sender's address (MetalLB #2685: answer those too). */
	const eth_addr *mac = ns->has_slla ? &ns->slla : &ns->eth_src;
	put_na(out, mac, &ns->src, &ns->target, self, NDP_FLAG_SOLICITED | NDP_FLAG_OVERRIDE);
}

void ndp_build_unsolicited_na(wbuf *out, const ip_addr *ip, const eth_addr *self)
{
	/* 7.2.6: Solicited clear, Override set, to the all-nodes multicast address. */
	ip_addr dst = v6(all_nodes);
	eth_addr mac = ndp_multicast_mac(&dst);
	put_na(out, &mac, &dst, ip, self, NDP_FLAG_OVERRIDE);
}
