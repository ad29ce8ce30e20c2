/*
 * IPv4/IPv6 addresses, prefixes and ranges.
 *
 * One value type for both families so that pools, allocators and announcers never branch on the
 * family for arithmetic. Addresses are kept in network byte order in a 16-byte array (IPv4 in the
 * first four bytes, the rest zero), which makes comparison a memcmp within one family.
 *
 * Text forms follow what MetalLB accepts (Go's net.ParseIP / net.ParseCIDR): dotted quad, RFC 4291
 * IPv6 text including "::ffff:1.2.3.4" (kept as IPv6, as Go's To16 does for config purposes), CIDR
 * with host bits (masked, and reported), and "first-last" ranges with optional spaces around '-'.
 * The same text is accepted with every C library (addr.c pins down where inet_pton differs):
 *   - IPv4 octets with a leading zero ("010.0.0.1") are refused, as Go does since 1.17, also in
 *     the dotted tail of an IPv6 address;
 *   - zones ("fe80::1%eth0"), brackets, white space and anything after the address are refused;
 *   - "::" must stand for at least one zero group ("1:2:3:4::5:6:7:8" is refused);
 *   - the family is decided by the first '.' or ':' as in Go, so "1.2.3.4::" is a bad IPv4.
 * One divergence from Go is deliberate: Go treats "::ffff:a.b.c.d" as IPv4 in ranges, here it is
 * IPv6 everywhere, so "1.2.3.4-::ffff:1.2.3.9" is refused (families differ).
 */
#ifndef INGOT_CORE_ADDR_H
#define INGOT_CORE_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ip_family {
	IP_NONE = 0,
	IP_V4 = 4,
	IP_V6 = 6,
};

typedef struct ip_addr {
	uint8_t family;      /* enum ip_family */
	uint8_t bytes[16];   /* network order; IPv4 uses bytes[0..3], the rest are zero */
} ip_addr;

typedef struct ip_prefix {
	ip_addr addr;        /* always masked to len: host bits are zero */
	uint8_t len;         /* 0..32 or 0..128 */
} ip_prefix;

/* An inclusive range first..last of one family, first <= last. */
typedef struct ip_range {
	ip_addr first;
	ip_addr last;
} ip_range;

/* Longest text form plus NUL: 45 for an address ("0000:...:0000:255.255.255.255" is the longest
 * input; canonical output is at most 39), 45 + "/128", and two addresses joined by '-'. */
#define IP_ADDR_STRLEN 46
#define IP_PREFIX_STRLEN 50
#define IP_RANGE_STRLEN 94

/* 32 or 128; 0 for IP_NONE. */
unsigned ip_family_bits(enum ip_family family);

/* --- addresses --------------------------------------------------------------------------- */

/* Parse a whole string (no spaces, no zone). Returns false and leaves *out untouched on error;
 * NULL text is an error. */
bool ip_addr_parse(const char *text, ip_addr *out);
/* Same, for the first n bytes of text (which need not be NUL-terminated; a NUL among them is an
 * error). */
bool ip_addr_parse_n(const char *text, size_t n, ip_addr *out);
/*
 * Canonical text (RFC 5952 for IPv6): lower case, leading zeros dropped, the longest run of two or
 * more zero groups (the first of equal runs) as "::", mixed notation only for IPv4-mapped
 * ("::ffff:1.2.3.4"); the same text as Go's netip.Addr.String(). IP_NONE gives "invalid".
 * Returns the length written (without the NUL), or -1 if size is too small (buf is then unchanged).
 */
int ip_addr_format(const ip_addr *addr, char *buf, size_t size);

ip_addr ip_addr_v4(uint32_t host_order);
/* The IPv4 address as a host-order integer; the address must be IPv4 (anything else gives 0). */
uint32_t ip_addr_v4_value(const ip_addr *addr);
/* From the bytes a socket address or a wire format carries (4 or 16 bytes); to them is
 * addr->bytes, ip_family_bits()/8 of them. Another family gives an IP_NONE address. */
ip_addr ip_addr_from_bytes(enum ip_family family, const uint8_t *bytes);

/* Orders by family (IP_NONE, then IPv4, then IPv6), then numerically. */
int ip_addr_cmp(const ip_addr *a, const ip_addr *b);
bool ip_addr_eq(const ip_addr *a, const ip_addr *b);
bool ip_addr_is_unspecified(const ip_addr *addr);

/* a + n, a - n, within the family. Return false (and leave *out untouched) on wrap-around and
 * for IP_NONE. */
bool ip_addr_add(const ip_addr *a, uint64_t n, ip_addr *out);
bool ip_addr_sub(const ip_addr *a, uint64_t n, ip_addr *out);
/* b - a for a <= b of one family, saturated at UINT64_MAX; 0 if a > b or the families differ. */
uint64_t ip_addr_distance(const ip_addr *a, const ip_addr *b);
/* The address with every bit after the first len cleared (mask) or set (fill); len is clamped to
 * the family's width. Bytes past an IPv4 address stay zero. */
ip_addr ip_addr_mask(const ip_addr *a, unsigned len);
ip_addr ip_addr_fill(const ip_addr *a, unsigned len);

/* --- prefixes ------------------------------------------------------------------------------ */

/*
 * Parse "addr/len". A bare address is NOT a prefix (returns false). Host bits are masked; when
 * host_bits is non-NULL it is set to whether any were set ("10.0.0.1/24" → true), so callers can
 * warn as MetalLB does not, or refuse. The length is read as Go's net.ParseCIDR does: decimal digits
 * only, leading zeros allowed ("/024" is /24), at most 32 or 128 (128 for "::ffff:1.2.3.4/n").
 * On error *out and *host_bits are untouched.
 */
bool ip_prefix_parse(const char *text, ip_prefix *out, bool *host_bits);
int ip_prefix_format(const ip_prefix *p, char *buf, size_t size);
ip_prefix ip_prefix_make(const ip_addr *addr, unsigned len); /* masks addr; clamps len */
bool ip_prefix_contains(const ip_prefix *p, const ip_addr *addr);
/* Whether q lies wholly inside p. Prefixes (and ranges) of different families never contain,
 * cover or overlap each other. */
bool ip_prefix_covers(const ip_prefix *p, const ip_prefix *q);
bool ip_prefix_overlaps(const ip_prefix *p, const ip_prefix *q);
ip_range ip_prefix_range(const ip_prefix *p);
/* Orders by address (as ip_addr_cmp), then shorter prefix first: 10.0.0.0/8 < 10.0.0.0/24. */
int ip_prefix_cmp(const ip_prefix *a, const ip_prefix *b);

/* --- ranges -------------------------------------------------------------------------------- */

/*
 * Parse a pool entry: a CIDR ("10.0.0.0/24") or "first-last" with optional spaces around '-'
 * ("10.0.0.1 - 10.0.0.9"). Families must match and first <= last. On failure *why (if non-NULL)
 * points to a static reason ("empty", "invalid CIDR", "invalid start address", "invalid end
 * address", "address families differ", "first address after last"); *why is untouched on success
 * and *out on failure. As in MetalLB's config.ParseCIDR: text with a '-' is a range (split at
 * the first '-'; ASCII white space around either address is trimmed, Unicode spaces are not),
 * anything else must be a CIDR with nothing around it; host bits of a CIDR are masked silently.
 */
bool ip_range_parse(const char *text, ip_range *out, const char **why);
int ip_range_format(const ip_range *r, char *buf, size_t size);   /* "first-last" */
bool ip_range_contains(const ip_range *r, const ip_addr *addr);
bool ip_range_overlaps(const ip_range *a, const ip_range *b);
/* Number of addresses, saturated at UINT64_MAX (a /64 is 2^64 and saturates); 0 for a range that
 * is not valid (families differ, IP_NONE, first > last). */
uint64_t ip_range_size(const ip_range *r);
/* Whether the range is exactly one prefix; if so *out gets it. */
bool ip_range_is_prefix(const ip_range *r, ip_prefix *out);

/*
 * Summarise a range into the minimal list of prefixes that cover exactly it, in ascending order.
 * Writes up to max prefixes into out and returns how many the full summary has (at most 2*bits),
 * so a caller can size its array by calling with max = 0 (out may then be NULL). A range that is
 * not valid gives 0.
 */
size_t ip_range_to_prefixes(const ip_range *r, ip_prefix *out, size_t max);

#endif
