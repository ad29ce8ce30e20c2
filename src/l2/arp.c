/*
 * ARP codec (see arp.h). Packet layout and the request/reply rules are RFC 826 ("Packet
 * Reception"); probes and announcements are RFC 5227 sections 2.1.1 and 3; the reply form of
 * gratuitous ARP is RFC 2002 section 4.6.
 */
#include "l2/arp.h"

#include <string.h>

#define ARP_HTYPE_ETHER 1

static ip_addr v4(const uint8_t bytes[4])
{
	ip_addr a;
	memset(&a, 0, sizeof(a));
	a.family = IP_V4;
	memcpy(a.bytes, bytes, 4);
	return a;
}

static bool v4_is_zero(const ip_addr *a)
{
	return (a->bytes[0] | a->bytes[1] | a->bytes[2] | a->bytes[3]) == 0;
}

enum arp_verdict arp_parse(rbuf frame, const eth_addr *self, struct arp_request *out)
{
	struct eth_hdr eth;
	uint16_t htype, ptype, op;
	uint8_t hlen, plen, spa[4], tpa[4];
	eth_addr sha, tha;

	if (rbuf_left(&frame) < ARP_FRAME_LEN)
		return ARP_ERR_TRUNCATED;
	eth_parse(&frame, &eth);
	if (eth.type != ETHERTYPE_ARP)
		return ARP_ERR_ETHERTYPE;
	rbuf_get_u16(&frame, &htype);
	rbuf_get_u16(&frame, &ptype);
	rbuf_get_u8(&frame, &hlen);
	rbuf_get_u8(&frame, &plen);
	rbuf_get_u16(&frame, &op);
	/* RFC 826: "?Do I have the hardware type in ar$hrd?" and "?Do I speak the protocol in ar$pro?" */
	if (htype != ARP_HTYPE_ETHER)
		return ARP_ERR_HTYPE;
	if (ptype != ETHERTYPE_IPV4)
		return ARP_ERR_PTYPE;
	/* The address lengths must match Ethernet and IPv4, or the fixed layout below is wrong. */
	if (hlen != ETH_ADDR_LEN)
		return ARP_ERR_HLEN;
	if (plen != 4)
		return ARP_ERR_PLEN;
	if (op != ARP_OP_REQUEST)
		return ARP_ERR_NOT_REQUEST;
	eth_get_addr(&frame, &sha);
	rbuf_get_bytes(&frame, spa, 4);
	eth_get_addr(&frame, &tha);
	rbuf_get_bytes(&frame, tpa, 4);

	/* A reply goes to ar$sha: a group or zero address there would make us broadcast it. */
	if (eth_addr_is_multicast(&sha) || eth_addr_is_zero(&sha))
		return ARP_ERR_SENDER_MAC;
	if (eth_addr_eq(&eth.src, self) || eth_addr_eq(&sha, self))
		return ARP_ERR_OWN;

	out->eth_src = eth.src;
	out->sender_mac = sha;
	out->sender_ip = v4(spa);
	out->target_ip = v4(tpa);
	out->probe = v4_is_zero(&out->sender_ip);
	/* RFC 5227 3: an announcement carries the sender's own address as target; it asks nothing. */
	if (memcmp(spa, tpa, 4) == 0)
		return ARP_ERR_ANNOUNCEMENT;
	return ARP_REQUEST;
}

const char *arp_verdict_name(enum arp_verdict v)
{
	switch (v) {
	case ARP_REQUEST: return "request";
	case ARP_ERR_TRUNCATED: return "truncated";
	case ARP_ERR_ETHERTYPE: return "not ARP";
	case ARP_ERR_HTYPE: return "hardware type not Ethernet";
	case ARP_ERR_PTYPE: return "protocol type not IPv4";
	case ARP_ERR_HLEN: return "bad hardware address length";
	case ARP_ERR_PLEN: return "bad protocol address length";
	case ARP_ERR_NOT_REQUEST: return "not a request";
	case ARP_ERR_SENDER_MAC: return "bad sender hardware address";
	case ARP_ERR_OWN: return "sent by us";
	case ARP_ERR_ANNOUNCEMENT: return "announcement from another host";
	}
	return "unknown";
}

/* The fixed part every ARP packet for Ethernet/IPv4 starts with. */
static void put_arp(wbuf *out, const eth_addr *eth_dst, const eth_addr *self, uint16_t op,
		    const eth_addr *sha, const ip_addr *spa, const eth_addr *tha, const ip_addr *tpa)
{
	eth_put_hdr(out, eth_dst, self, ETHERTYPE_ARP);
	wbuf_put_u16(out, ARP_HTYPE_ETHER);
	wbuf_put_u16(out, ETHERTYPE_IPV4);
	wbuf_put_u8(out, ETH_ADDR_LEN);
	wbuf_put_u8(out, 4);
	wbuf_put_u16(out, op);
	eth_put_addr(out, sha);
	wbuf_put_bytes(out, spa->bytes, 4);
	eth_put_addr(out, tha);
	wbuf_put_bytes(out, tpa->bytes, 4);
	eth_pad(out);
}

void arp_build_reply(wbuf *out, const struct arp_request *req, const eth_addr *self)
{
	/* RFC 826: swap sender and target, put our address in as sender, set the opcode to reply,
	 * and send it to the requester's hardware address. */
	put_arp(out, &req->sender_mac, self, ARP_OP_REPLY, self, &req->target_ip, &req->sender_mac,
		&req->sender_ip);
}

void arp_build_gratuitous_request(wbuf *out, const ip_addr *ip, const eth_addr *self)
{
	static const eth_addr zero;
	put_arp(out, &eth_broadcast, self, ARP_OP_REQUEST, self, ip, &zero, ip);
}

void arp_build_gratuitous_reply(wbuf *out, const ip_addr *ip, const eth_addr *self)
{
	put_arp(out, &eth_broadcast, self, ARP_OP_REPLY, self, ip, self, ip);
}
