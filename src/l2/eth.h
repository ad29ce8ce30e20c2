/*
 * Ethernet II framing for the layer-2 responder (IEEE 802.3 / RFC 894 framing as Linux hands it to
 * an AF_PACKET SOCK_RAW socket: destination, source, EtherType, payload; no FCS).
 *
 * Pure functions over core/buf.h: the ARP and NDP codecs read and write their Ethernet header
 * through here, so every frame they touch is bounds-checked.
 */
#ifndef INGOT_L2_ETH_H
#define INGOT_L2_ETH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"

#define ETH_ADDR_LEN 6
#define ETH_HDR_LEN 14
/* Shortest frame a sender must put on the wire, without the 4-byte FCS (IEEE 802.3 minFrameSize). */
#define ETH_MIN_FRAME_LEN 60

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_IPV6 0x86dd

/* A MAC address as a value, so it can be copied and compared without memcpy on raw arrays. */
typedef struct eth_addr {
	uint8_t b[ETH_ADDR_LEN];
} eth_addr;

struct eth_hdr {
	eth_addr dst;
	eth_addr src;
	uint16_t type;
};

/* "aa:bb:cc:dd:ee:ff" plus NUL. */
#define ETH_ADDR_STRLEN 18

extern const eth_addr eth_broadcast;

bool eth_addr_eq(const eth_addr *a, const eth_addr *b);
/* The I/G bit: set for group (multicast and broadcast) addresses. */
bool eth_addr_is_multicast(const eth_addr *a);
bool eth_addr_is_zero(const eth_addr *a);
/* Parses "aa:bb:cc:dd:ee:ff" (hex digits in either case). */
bool eth_addr_parse(const char *text, eth_addr *out);
void eth_addr_format(const eth_addr *a, char buf[ETH_ADDR_STRLEN]);

bool eth_get_addr(rbuf *b, eth_addr *out);
void eth_put_addr(wbuf *b, const eth_addr *a);

/* Reads the 14-byte header; false if the frame is shorter. VLAN tags are not expected: Linux
 * strips them before AF_PACKET sees a frame, and bpf.c drops tagged frames. */
bool eth_parse(rbuf *b, struct eth_hdr *out);
void eth_put_hdr(wbuf *b, const eth_addr *dst, const eth_addr *src, uint16_t type);
/* Appends zero bytes until the frame is ETH_MIN_FRAME_LEN long. */
void eth_pad(wbuf *b);

#endif
