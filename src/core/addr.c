/*
 * IPv4/IPv6 addresses, prefixes and ranges (see addr.h).
 *
 * Text in: inet_pton(3) does the parsing. In front of it sits a lexical check that pins down the
 * cases where C libraries differ from each other or from Go's netip.ParseAddr (behind net.ParseIP
 * and net.ParseCIDR, which MetalLB uses), so that every libc accepts exactly what Go accepts:
 * the family is chosen by the first '.' or ':' as Go does, zones and stray characters are refused,
 * dotted-decimal fields may not have leading zeros, and "::" must stand for at least one group.
 *
 * Text out: inet_ntop(3), which is RFC 5952 on glibc, except for IPv4-compatible addresses (see
 * is_v4_compatible), so that the output is the same as Go's netip.Addr.String().
 *
 * Arithmetic works on two 64-bit halves (struct u128) so no 128-bit integer type is needed.
 */
#include "core/addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

unsigned ip_family_bits(enum ip_family family)
{
	switch (family) {
	case IP_V4:
		return 32;
	case IP_V6:
		return 128;
	default:
		return 0;
	}
}

static unsigned addr_bits(const ip_addr *a)
{
	return ip_family_bits((enum ip_family)a->family);
}

/* Bytes of bytes[] the family uses: 4, 16, or 0 for IP_NONE. */
static unsigned addr_len(const ip_addr *a)
{
	return addr_bits(a) / 8;
}

/* --- 128-bit values as two halves ------------------------------------------------------- */

typedef struct u128 {
	uint64_t hi;
	uint64_t lo;
} u128;

/* The address as a number: IPv4 in the low 32 bits, IPv6 across both halves. */
static u128 to_u128(const ip_addr *a)
{
	u128 v = { 0, 0 };
	unsigned n = addr_len(a);
	for (unsigned i = 0; i < n; i++) {
		v.hi = v.hi << 8 | v.lo >> 56;
		v.lo = v.lo << 8 | a->bytes[i];
	}
	return v;
}

static ip_addr from_u128(enum ip_family family, u128 v)
{
	ip_addr a = { .family = (uint8_t)family };
	unsigned n = ip_family_bits(family) / 8;
	for (unsigned i = n; i-- > 0;) {
		a.bytes[i] = (uint8_t)v.lo;
		v.lo = v.lo >> 8 | v.hi << 56;
		v.hi >>= 8;
	}
	return a;
}

/* The highest address of the family as a number. */
static u128 family_max(enum ip_family family)
{
	u128 v = { 0, 0 };
	if (family == IP_V4)
		v.lo = UINT32_MAX;
	else if (family == IP_V6)
		v.hi = v.lo = UINT64_MAX;
	return v;
}

/* a - b modulo 2^128. */
static u128 u128_sub(u128 a, u128 b)
{
	u128 r = { a.hi - b.hi - (a.lo < b.lo), a.lo - b.lo };
	return r;
}

/* a + n modulo 2^128. */
static u128 u128_add64(u128 a, uint64_t n)
{
	u128 r = { a.hi, a.lo + n };
	r.hi += r.lo < n;
	return r;
}

/* v as a count, saturated at UINT64_MAX. */
static uint64_t u128_saturate(u128 v)
{
	return v.hi ? UINT64_MAX : v.lo;
}

/* --- parsing ------------------------------------------------------------------------------ */

/* Go's netip.ParseAddr decides the family by whichever of '.' and ':' comes first. */
static enum ip_family text_family(const char *s)
{
	const char *p = s + strcspn(s, ".:");
	if (*p == '.')
		return IP_V4;
	if (*p == ':')
		return IP_V6;
	return IP_NONE;
}

static bool only_chars(const char *s, const char *allowed)
{
	return s[strspn(s, allowed)] == '\0';
}

/*
 * No field of a dotted quad may start with '0' unless it is "0". Go rejects "010.0.0.1" since
 * 1.17 because readers disagree on it (inet_aton takes it as octal 8, Go before 1.17 as 10). glibc's
 * inet_pton refuses it too; checking here keeps that true whatever the C library.
 */
static bool no_leading_zeros(const char *quad)
{
	for (const char *p = quad; *p; p++) {
		bool field_start = p == quad || p[-1] == '.';
		if (field_start && p[0] == '0' && p[1] >= '0' && p[1] <= '9')
			return false;
	}
	return true;
}

/*
 * RFC 4291 2.2: "::" indicates one or more groups of 16 bits of zeros, so "1:2:3:4::5:6:7:8" is
 * refused, as Go does. Current glibc agrees; not every inet_pton has, so it is checked here. A
 * dotted tail counts as two groups. Two "::" are refused by inet_pton itself.
 */
static bool ellipsis_stands_for_a_group(const char *s)
{
	if (!strstr(s, "::"))
		return true;
	unsigned groups = 0;
	for (const char *p = s; *p;) {
		size_t n = strcspn(p, ":");
		if (n > 0)
			groups += memchr(p, '.', n) ? 2 : 1;
		p += n;
		if (*p)
			p++;
	}
	return groups < 8;
}

static bool v4_text_ok(const char *s)
{
	return only_chars(s, "0123456789.") && no_leading_zeros(s);
}

/* Hex groups, colons and an optional dotted tail; no zone ("%eth0"): Go's ParseIP refuses it. */
static bool v6_text_ok(const char *s)
{
	if (!only_chars(s, "0123456789abcdefABCDEF:."))
		return false;
	/* Only a dotted tail is decimal: hex groups may have leading zeros ("0db8"). */
	const char *tail = strrchr(s, ':') + 1;   /* a v6 text has a ':' by definition */
	bool dotted = strchr(tail, '.') != NULL;
	return (!dotted || no_leading_zeros(tail)) && ellipsis_stands_for_a_group(s);
}

bool ip_addr_parse(const char *text, ip_addr *out)
{
	if (!text)
		return false;
	enum ip_family family = text_family(text);
	bool shape_ok = (family == IP_V4 && v4_text_ok(text)) || (family == IP_V6 && v6_text_ok(text));
	uint8_t bytes[16];
	if (!shape_ok || inet_pton(family == IP_V4 ? AF_INET : AF_INET6, text, bytes) != 1)
		return false;
	*out = ip_addr_from_bytes(family, bytes);
	return true;
}

bool ip_addr_parse_n(const char *text, size_t n, ip_addr *out)
{
	/* The longest valid text is 45 characters ("0000:...:0000:255.255.255.255"). */
	char copy[IP_ADDR_STRLEN];
	if (!text || n >= sizeof(copy) || memchr(text, '\0', n))
		return false;
	memcpy(copy, text, n);
	copy[n] = '\0';
	return ip_addr_parse(copy, out);
}

/* --- formatting ------------------------------------------------------------------------- */

/* Copies s into buf if it fits with its NUL; the length, or -1. */
static int copy_out(const char *s, char *buf, size_t size)
{
	size_t len = strlen(s);
	if (!buf || len >= size)
		return -1;
	memcpy(buf, s, len + 1);
	return (int)len;
}

/*
 * IPv4-compatible addresses (::/96, deprecated by RFC 4291 2.5.5.1) other than :: and ::1..::ffff.
 * glibc's inet_ntop prints them in mixed notation ("::2:3" comes out as "::0.2.0.3"); Go prints
 * hex. RFC 5952 5 recommends mixed notation only for well-known IPv4-embedding prefixes, and this
 * one is deprecated, so they are printed in hex here, the same on every C library.
 */
static bool is_v4_compatible(const ip_addr *a)
{
	static const uint8_t zeros[12];
	return a->family == IP_V6 && memcmp(a->bytes, zeros, sizeof(zeros)) == 0 &&
	       (a->bytes[12] | a->bytes[13]) != 0;
}

/* Writes the text of a into tmp (IP_ADDR_STRLEN bytes). */
static void format_addr(const ip_addr *a, char *tmp)
{
	if (is_v4_compatible(a)) {
		snprintf(tmp, IP_ADDR_STRLEN, "::%x:%x", (unsigned)(a->bytes[12] << 8 | a->bytes[13]),
		         (unsigned)(a->bytes[14] << 8 | a->bytes[15]));
		return;
	}
	int af = a->family == IP_V4 ? AF_INET : AF_INET6;
	if (addr_len(a) == 0 || !inet_ntop(af, a->bytes, tmp, IP_ADDR_STRLEN))
		strcpy(tmp, "invalid");
}

int ip_addr_format(const ip_addr *addr, char *buf, size_t size)
{
	char tmp[IP_ADDR_STRLEN];
	format_addr(addr, tmp);
	return copy_out(tmp, buf, size);
}

/* --- construction and comparison -------------------------------------------------------- */

ip_addr ip_addr_v4(uint32_t host_order)
{
	u128 v = { 0, host_order };
	return from_u128(IP_V4, v);
}

uint32_t ip_addr_v4_value(const ip_addr *addr)
{
	if (addr->family != IP_V4)
		return 0;
	return (uint32_t)to_u128(addr).lo;
}

ip_addr ip_addr_from_bytes(enum ip_family family, const uint8_t *bytes)
{
	ip_addr a = { .family = IP_NONE };
	unsigned n = ip_family_bits(family) / 8;
	if (n == 0 || !bytes)
		return a;
	a.family = (uint8_t)family;
	memcpy(a.bytes, bytes, n);
	return a;
}

/* Compares only the bytes the family uses, so stray bytes past an IPv4 address do not matter. */
int ip_addr_cmp(const ip_addr *a, const ip_addr *b)
{
	unsigned fa = addr_bits(a), fb = addr_bits(b);
	if (fa != fb)
		return fa < fb ? -1 : 1;
	int c = memcmp(a->bytes, b->bytes, fa / 8);
	return (c > 0) - (c < 0);
}

bool ip_addr_eq(const ip_addr *a, const ip_addr *b)
{
	return ip_addr_cmp(a, b) == 0;
}

bool ip_addr_is_unspecified(const ip_addr *addr)
{
	u128 v = to_u128(addr);
	return addr_len(addr) > 0 && v.hi == 0 && v.lo == 0;
}

static bool same_family(const ip_addr *a, const ip_addr *b)
{
	return addr_bits(a) > 0 && addr_bits(a) == addr_bits(b);
}

/* --- arithmetic --------------------------------------------------------------------------- */

bool ip_addr_add(const ip_addr *a, uint64_t n, ip_addr *out)
{
	if (addr_len(a) == 0)
		return false;
	u128 v = to_u128(a);
	u128 room = u128_sub(family_max((enum ip_family)a->family), v);
	if (room.hi == 0 && n > room.lo)
		return false;
	*out = from_u128((enum ip_family)a->family, u128_add64(v, n));
	return true;
}

bool ip_addr_sub(const ip_addr *a, uint64_t n, ip_addr *out)
{
	if (addr_len(a) == 0)
		return false;
	u128 v = to_u128(a);
	if (v.hi == 0 && n > v.lo)
		return false;
	u128 d = { 0, n };
	*out = from_u128((enum ip_family)a->family, u128_sub(v, d));
	return true;
}

uint64_t ip_addr_distance(const ip_addr *a, const ip_addr *b)
{
	if (!same_family(a, b) || ip_addr_cmp(a, b) > 0)
		return 0;
	return u128_saturate(u128_sub(to_u128(b), to_u128(a)));
}

/* Keeps the first len bits of a and sets the rest to ones or zeros; len is clamped to the family. */
static ip_addr set_host_bits(const ip_addr *a, unsigned len, bool ones)
{
	ip_addr r = ip_addr_from_bytes((enum ip_family)a->family, a->bytes);   /* clears stray bytes */
	unsigned n = addr_len(a);
	for (unsigned i = 0; i < n; i++) {
		unsigned net = len <= 8 * i ? 0 : len - 8 * i >= 8 ? 8 : len - 8 * i;
		uint8_t host = (uint8_t)(0xffu >> net);
		r.bytes[i] = ones ? (uint8_t)(r.bytes[i] | host) : (uint8_t)(r.bytes[i] & ~host);
	}
	return r;
}

ip_addr ip_addr_mask(const ip_addr *a, unsigned len)
{
	return set_host_bits(a, len, false);
}

ip_addr ip_addr_fill(const ip_addr *a, unsigned len)
{
	return set_host_bits(a, len, true);
}

/* How many low bits of a are zero (the family's width for the zero address). */
static unsigned trailing_zero_bits(const ip_addr *a)
{
	unsigned bits = 0;
	for (unsigned i = addr_len(a); i-- > 0;) {
		uint8_t b = a->bytes[i];
		if (b != 0) {
			while (!(b & 1)) {
				b >>= 1;
				bits++;
			}
			return bits;
		}
		bits += 8;
	}
	return bits;
}

/* --- prefixes ------------------------------------------------------------------------------ */

/*
 * The prefix length as Go's net.ParseCIDR reads it (dtoi): one or more decimal digits, leading
 * zeros allowed ("/024" is /24), nothing else, at most the family's width.
 */
static bool parse_len(const char *s, unsigned bits, unsigned *len)
{
	unsigned v = 0;
	if (*s == '\0')
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned)(*s - '0');
		if (v > bits)
			return false;
	}
	*len = v;
	return true;
}

bool ip_prefix_parse(const char *text, ip_prefix *out, bool *host_bits)
{
	const char *slash = text ? strchr(text, '/') : NULL;
	ip_addr a;
	unsigned len;
	if (!slash || !ip_addr_parse_n(text, (size_t)(slash - text), &a) ||
	    !parse_len(slash + 1, addr_bits(&a), &len))
		return false;
	*out = ip_prefix_make(&a, len);
	if (host_bits)
		*host_bits = !ip_addr_eq(&out->addr, &a);
	return true;
}

int ip_prefix_format(const ip_prefix *p, char *buf, size_t size)
{
	char addr[IP_ADDR_STRLEN], tmp[IP_PREFIX_STRLEN];
	format_addr(&p->addr, addr);
	snprintf(tmp, sizeof(tmp), "%s/%u", addr, (unsigned)p->len);
	return copy_out(tmp, buf, size);
}

ip_prefix ip_prefix_make(const ip_addr *addr, unsigned len)
{
	unsigned bits = addr_bits(addr);
	ip_prefix p;
	p.len = (uint8_t)(len < bits ? len : bits);
	p.addr = ip_addr_mask(addr, p.len);
	return p;
}

bool ip_prefix_contains(const ip_prefix *p, const ip_addr *addr)
{
	ip_addr net = ip_addr_mask(addr, p->len);
	return same_family(&p->addr, addr) && ip_addr_eq(&net, &p->addr);
}

bool ip_prefix_covers(const ip_prefix *p, const ip_prefix *q)
{
	return p->len <= q->len && ip_prefix_contains(p, &q->addr);
}

/* Two prefixes overlap only if one lies inside the other. */
bool ip_prefix_overlaps(const ip_prefix *p, const ip_prefix *q)
{
	return ip_prefix_covers(p, q) || ip_prefix_covers(q, p);
}

ip_range ip_prefix_range(const ip_prefix *p)
{
	ip_range r = { ip_addr_mask(&p->addr, p->len), ip_addr_fill(&p->addr, p->len) };
	return r;
}

int ip_prefix_cmp(const ip_prefix *a, const ip_prefix *b)
{
	int c = ip_addr_cmp(&a->addr, &b->addr);
	if (c != 0)
		return c;
	return (a->len > b->len) - (a->len < b->len);
}

/* --- ranges -------------------------------------------------------------------------------- */

/* What Go's strings.TrimSpace removes, restricted to ASCII. */
static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* Parses s[0..n) as an address after trimming ASCII white space at both ends. */
static bool parse_trimmed(const char *s, size_t n, ip_addr *out)
{
	while (n > 0 && is_space(*s)) {
		s++;
		n--;
	}
	while (n > 0 && is_space(s[n - 1]))
		n--;
	return ip_addr_parse_n(s, n, out);
}

/* MetalLB's config.ParseCIDR, range branch: split at the first '-', trim each side. */
static const char *parse_first_last(const char *text, const char *dash, ip_range *out)
{
	ip_range r;
	if (!parse_trimmed(text, (size_t)(dash - text), &r.first))
		return "invalid start address";
	if (!parse_trimmed(dash + 1, strlen(dash + 1), &r.last))
		return "invalid end address";
	if (r.first.family != r.last.family)
		return "address families differ";
	if (ip_addr_cmp(&r.first, &r.last) > 0)
		return "first address after last";
	*out = r;
	return NULL;
}

bool ip_range_parse(const char *text, ip_range *out, const char **why)
{
	const char *reason = NULL;
	const char *dash = text ? strchr(text, '-') : NULL;
	ip_prefix p;
	ip_range r;
	if (!text || *text == '\0')
		reason = "empty";
	else if (dash)
		reason = parse_first_last(text, dash, &r);
	else if (ip_prefix_parse(text, &p, NULL))
		r = ip_prefix_range(&p);
	else
		reason = "invalid CIDR";
	if (reason) {
		if (why)
			*why = reason;
		return false;
	}
	*out = r;
	return true;
}

int ip_range_format(const ip_range *r, char *buf, size_t size)
{
	char first[IP_ADDR_STRLEN], last[IP_ADDR_STRLEN], tmp[IP_RANGE_STRLEN];
	format_addr(&r->first, first);
	format_addr(&r->last, last);
	snprintf(tmp, sizeof(tmp), "%s-%s", first, last);
	return copy_out(tmp, buf, size);
}

static bool range_valid(const ip_range *r)
{
	return same_family(&r->first, &r->last) && ip_addr_cmp(&r->first, &r->last) <= 0;
}

bool ip_range_contains(const ip_range *r, const ip_addr *addr)
{
	return range_valid(r) && same_family(&r->first, addr) &&
	       ip_addr_cmp(&r->first, addr) <= 0 && ip_addr_cmp(addr, &r->last) <= 0;
}

bool ip_range_overlaps(const ip_range *a, const ip_range *b)
{
	return range_valid(a) && range_valid(b) && same_family(&a->first, &b->first) &&
	       ip_addr_cmp(&a->first, &b->last) <= 0 && ip_addr_cmp(&b->first, &a->last) <= 0;
}

uint64_t ip_range_size(const ip_range *r)
{
	if (!range_valid(r))
		return 0;
	uint64_t d = ip_addr_distance(&r->first, &r->last);
	return d == UINT64_MAX ? d : d + 1;
}

/*
 * The largest prefix whose network address is cur and whose last address is at most last: start
 * from the shortest length at which cur is aligned and lengthen until the block fits.
 */
static ip_prefix largest_block(const ip_addr *cur, const ip_addr *last)
{
	unsigned bits = addr_bits(cur);
	unsigned len = bits - trailing_zero_bits(cur);
	for (;;) {
		ip_addr end = ip_addr_fill(cur, len);
		if (len == bits || ip_addr_cmp(&end, last) <= 0)
			break;
		len++;
	}
	return ip_prefix_make(cur, len);
}

bool ip_range_is_prefix(const ip_range *r, ip_prefix *out)
{
	if (!range_valid(r))
		return false;
	ip_prefix p = largest_block(&r->first, &r->last);
	ip_addr end = ip_addr_fill(&p.addr, p.len);
	if (!ip_addr_eq(&end, &r->last))
		return false;
	*out = p;
	return true;
}

/*
 * Greedy from the bottom: the largest aligned block that starts at the next uncovered address
 * and fits. Each block is maximal, so no two neighbours can merge and the list is minimal.
 */
size_t ip_range_to_prefixes(const ip_range *r, ip_prefix *out, size_t max)
{
	if (!range_valid(r))
		return 0;
	size_t count = 0;
	ip_addr cur = r->first;
	for (;;) {
		ip_prefix p = largest_block(&cur, &r->last);
		if (count < max)
			out[count] = p;
		count++;
		ip_addr end = ip_addr_fill(&p.addr, p.len);
		/* end < last here, so the step cannot wrap. */
		if (ip_addr_eq(&end, &r->last) || !ip_addr_add(&end, 1, &cur))
			return count;
	}
}
