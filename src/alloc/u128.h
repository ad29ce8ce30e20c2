/*
 * 128-bit unsigned integers for address arithmetic inside the allocator (internal header).
 *
 * A pool's free space is kept as intervals of addresses; an IPv6 pool can be far larger than
 * 2^64, so positions are full 128-bit integers. IPv4 addresses use the low 32 bits. The
 * conversions read and write core/addr.h's network-order bytes directly.
 */
#ifndef INGOT_ALLOC_U128_H
#define INGOT_ALLOC_U128_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/addr.h"

__extension__ typedef unsigned __int128 u128;

#define U128_MAX (~(u128)0)

static inline u128 u128_from_addr(const ip_addr *a)
{
	unsigned n = a->family == IP_V4 ? 4 : 16;
	u128 v = 0;
	for (unsigned i = 0; i < n; i++)
		v = (v << 8) | a->bytes[i];
	return v;
}

static inline ip_addr u128_to_addr(enum ip_family family, u128 v)
{
	ip_addr a;
	memset(&a, 0, sizeof(a));
	a.family = (uint8_t)family;
	unsigned n = family == IP_V4 ? 4 : 16;
	for (unsigned i = n; i-- > 0;) {
		a.bytes[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
	return a;
}

/* avoidBuggyIPs: an IPv4 address whose last octet is 0 or 255. */
static inline bool u128_is_buggy(enum ip_family family, u128 v)
{
	unsigned last = (unsigned)(v & 0xff);
	return family == IP_V4 && (last == 0 || last == 255);
}

/* Saturating conversion for counters. */
static inline uint64_t u128_sat64(u128 v)
{
	return v > (u128)UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

#endif
