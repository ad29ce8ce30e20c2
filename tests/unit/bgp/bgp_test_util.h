/* Helpers shared by the BGP codec unit tests: building prefixes and messages from byte lists. */
#ifndef INGOT_TEST_BGP_UTIL_H
#define INGOT_TEST_BGP_UTIL_H

#include <string.h>

#include "bgp/msg.h"

#define MARKER 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, \
	       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff

static inline ip_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	ip_addr x;
	memset(&x, 0, sizeof(x));
	x.family = IP_V4;
	x.bytes[0] = a;
	x.bytes[1] = b;
	x.bytes[2] = c;
	x.bytes[3] = d;
	return x;
}

static inline ip_prefix pfx4(uint32_t host_order, uint8_t len)
{
	ip_prefix p;
	memset(&p, 0, sizeof(p));
	p.addr = v4((uint8_t)(host_order >> 24), (uint8_t)(host_order >> 16),
		    (uint8_t)(host_order >> 8), (uint8_t)host_order);
	p.len = len;
	return p;
}

/* 2001:db8::<last16 as the final two octets>, or fe80::<last16> when ll. */
static inline ip_addr v6(uint16_t first, uint16_t last)
{
	ip_addr x;
	memset(&x, 0, sizeof(x));
	x.family = IP_V6;
	x.bytes[0] = (uint8_t)(first >> 8);
	x.bytes[1] = (uint8_t)first;
	if (first == 0x2001) {
		x.bytes[2] = 0x0d;
		x.bytes[3] = 0xb8;
	}
	x.bytes[14] = (uint8_t)(last >> 8);
	x.bytes[15] = (uint8_t)last;
	return x;
}

static inline ip_prefix pfx6(uint16_t last, uint8_t len)
{
	ip_prefix p;
	memset(&p, 0, sizeof(p));
	p.addr = v6(0x2001, last);
	p.len = len;
	return p;
}

static inline bool prefix_eq(const ip_prefix *a, const ip_prefix *b)
{
	return a->len == b->len && a->addr.family == b->addr.family &&
	       memcmp(a->addr.bytes, b->addr.bytes, 16) == 0;
}

#endif
