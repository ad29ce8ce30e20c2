/*
 * Unit tests for addresses, prefixes and ranges (core/addr.h): parsing as Go's net.ParseIP /
 * net.ParseCIDR accept it, RFC 5952 text, ordering, arithmetic at the edges of both families,
 * masks at every length, and range summaries checked against an independent summariser on
 * seeded random ranges.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/addr.h"

#define ALL_ONES_V6 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"

/* --- helpers ------------------------------------------------------------------------------ */

static ip_addr addr_of(const char *text)
{
	ip_addr a;
	if (!ip_addr_parse(text, &a))
		fail_msg("address did not parse: \"%s\"", text);
	return a;
}

static ip_prefix prefix_of(const char *text)
{
	ip_prefix p;
	if (!ip_prefix_parse(text, &p, NULL))
		fail_msg("prefix did not parse: \"%s\"", text);
	return p;
}

static ip_range range_of(const char *text)
{
	ip_range r;
	const char *why = "";
	if (!ip_range_parse(text, &r, &why))
		fail_msg("range did not parse: \"%s\" (%s)", text, why);
	return r;
}

static void assert_addr_text(const ip_addr *a, const char *want)
{
	char buf[IP_ADDR_STRLEN];
	int n = ip_addr_format(a, buf, sizeof(buf));
	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
}

static void assert_addr_is(const ip_addr *a, const char *want)
{
	ip_addr w = addr_of(want);
	if (!ip_addr_eq(a, &w)) {
		char buf[IP_ADDR_STRLEN];
		ip_addr_format(a, buf, sizeof(buf));
		fail_msg("got %s, want %s", buf, want);
	}
}

static void assert_prefix_text(const ip_prefix *p, const char *want)
{
	char buf[IP_PREFIX_STRLEN];
	int n = ip_prefix_format(p, buf, sizeof(buf));
	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
}

static bool bit_of(const ip_addr *a, unsigned i)
{
	return a->bytes[i / 8] >> (7 - i % 8) & 1;
}

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

/* --- families ----------------------------------------------------------------------------- */

static void test_family_bits(void **state)
{
	assert_int_equal(ip_family_bits(IP_V4), 32);
	assert_int_equal(ip_family_bits(IP_V6), 128);
	assert_int_equal(ip_family_bits(IP_NONE), 0);
	assert_int_equal(ip_family_bits((enum ip_family)5), 0);
}

/* --- parsing and formatting --------------------------------------------------------------- */

/* Text Go's net.ParseIP accepts, with the canonical form it must print as. */
static const struct {
	const char *text;
	const char *canonical;
	enum ip_family family;
} valid_addrs[] = {
	{ "0.0.0.0", "0.0.0.0", IP_V4 },
	{ "255.255.255.255", "255.255.255.255", IP_V4 },
	{ "1.2.3.4", "1.2.3.4", IP_V4 },
	{ "10.0.0.1", "10.0.0.1", IP_V4 },
	{ "0.1.10.100", "0.1.10.100", IP_V4 },
	{ "198.51.100.1", "198.51.100.1", IP_V4 },
	{ "::", "::", IP_V6 },
	{ "::1", "::1", IP_V6 },
	{ "1::", "1::", IP_V6 },
	{ "::0", "::", IP_V6 },
	{ "0000::0000", "::", IP_V6 },
	{ "0:0:0:0:0:0:0:0", "::", IP_V6 },
	{ "2001:db8::1", "2001:db8::1", IP_V6 },
	{ "2001:DB8::1", "2001:db8::1", IP_V6 },
	{ "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1", IP_V6 },
	{ "0001:0002::", "1:2::", IP_V6 },
	{ "ABCD:EF::", "abcd:ef::", IP_V6 },
	{ "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8", IP_V6 },
	{ "1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0", IP_V6 },
	{ "::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8", IP_V6 },
	{ "fe80::1", "fe80::1", IP_V6 },
	{ "ff02::1:ff00:1", "ff02::1:ff00:1", IP_V6 },
	{ ALL_ONES_V6, ALL_ONES_V6, IP_V6 },
	/* RFC 5952 4.2.2: a single zero group is not shortened. */
	{ "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1", IP_V6 },
	/* RFC 5952 4.2.3: the longest run, and the first of equal runs. */
	{ "2001:0:0:1:0:0:0:1", "2001:0:0:1::1", IP_V6 },
	{ "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1", IP_V6 },
	{ "2001:db8:0:0:0:0:2:1", "2001:db8::2:1", IP_V6 },
	/* Dotted tails: mixed notation is printed only for IPv4-mapped (RFC 5952 5, as Go). */
	{ "::ffff:1.2.3.4", "::ffff:1.2.3.4", IP_V6 },
	{ "::FFFF:1.2.3.4", "::ffff:1.2.3.4", IP_V6 },
	{ "::ffff:0.0.0.0", "::ffff:0.0.0.0", IP_V6 },
	{ "::ffff:0:0", "::ffff:0.0.0.0", IP_V6 },
	{ "0:0:0:0:0:ffff:c000:0201", "::ffff:192.0.2.1", IP_V6 },
	{ "::ffff:0:1.2.3.4", "::ffff:0:102:304", IP_V6 },
	{ "::ffff", "::ffff", IP_V6 },
	{ "::1.2.3.4", "::102:304", IP_V6 },
	{ "::0.0.0.0", "::", IP_V6 },
	{ "::0.0.0.1", "::1", IP_V6 },
	{ "::0.1.0.0", "::1:0", IP_V6 },
	{ "::2:3", "::2:3", IP_V6 },
	{ "::1:0:0", "::1:0:0", IP_V6 },
	{ "1::1.2.3.4", "1::102:304", IP_V6 },
	{ "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304", IP_V6 },
	{ "64:ff9b::192.0.2.33", "64:ff9b::c000:221", IP_V6 },
	{ "0000:0000:0000:0000:0000:0000:255.255.255.255", "::ffff:ffff", IP_V6 },
};

/* Text Go's net.ParseIP refuses; every one must be refused here too, on any libc. */
static const char *const invalid_addrs[] = {
	"", " ", "1", "1234", "localhost", "0", "-1",
	/* IPv4 shape */
	"1.2.3", "1.2.3.4.5", "1.2.3.256", "256.0.0.0", "1.2.3.1000", "1..2.3", ".1.2.3.4", "1.2.3.4.",
	"1.2.3.-4", "+1.2.3.4", "1.2.3.+4", "1.2.3.4/32", "1.2.3.4:80", "1.2.3.4::", "1.2.3.4-1.2.3.5",
	"0x1.2.3.4", "1.2.3.0x4", "1e2.0.0.0", "1.2.3.4a", "a1.2.3.4",
	/* leading zeros (Go >= 1.17) */
	"01.2.3.4", "1.2.3.04", "1.2.3.00", "00.0.0.0", "010.0.0.1", "1.02.3.4", "0.0.0.00", "1.2.3.0255",
	/* white space and other characters */
	" 1.2.3.4", "1.2.3.4 ", "1.2.3.4\n", "1.2.3.4\t", "1. 2.3.4", "\xef\xbc\x91.2.3.4",
	"1.2.3.4\xc2\xa0",
	/* zones and brackets */
	"fe80::1%eth0", "fe80::1%", "::1%1", "%eth0", "[::1]", "[::1]:80", "::1/128",
	/* IPv6 shape */
	":", ":::", "1:::2", "1::2::3", "::1::", "::1:", ":1::2", "1:", ":1", "1:2:3:4:5:6:7",
	"1:2:3:4:5:6:7:8:9", "12345::", "::12345", "00000::", "g::1", "::g", "1:2:3:4:5:6:7:8:",
	":1:2:3:4:5:6:7:8",
	/* "::" standing for no group at all (RFC 4291 2.2; glibc < 2.26 and musl accept these) */
	"1:2:3:4:5:6:7::8", "1:2:3:4::5:6:7:8", "::1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8::",
	"1:2:3:4:5:6::1.2.3.4", "::1:2:3:4:5:6:1.2.3.4",
	/* dotted tails */
	"::ffff:01.2.3.4", "::ffff:1.2.3.04", "::ffff:1.2.3.00", "::1.2.3", "::1.2.3.4.5", "::1.2.3.4:5",
	"::256.1.1.1", "::ffff:1.2.3.4%eth0", "1:2:3:4:5:6:7:1.2.3.4", "1:2:3:4:5:1.2.3.4",
	"::1.2.3.4::", "::a1.2.3.4", "::1234.1.2.3", "1.2::3.4",
};

static void test_parse_valid(void **state)
{
	for (size_t i = 0; i < sizeof(valid_addrs) / sizeof(valid_addrs[0]); i++) {
		ip_addr a;
		if (!ip_addr_parse(valid_addrs[i].text, &a))
			fail_msg("refused \"%s\"", valid_addrs[i].text);
		assert_int_equal(a.family, valid_addrs[i].family);
		assert_addr_text(&a, valid_addrs[i].canonical);
		if (a.family == IP_V4)
			for (int b = 4; b < 16; b++)
				assert_int_equal(a.bytes[b], 0);
	}
}

static void test_parse_bytes(void **state)
{
	ip_addr a = addr_of("192.0.2.1");
	assert_int_equal(a.family, IP_V4);
	assert_memory_equal(a.bytes, ((uint8_t[16]){ 192, 0, 2, 1 }), 16);
	a = addr_of("2001:db8::102:304");
	assert_int_equal(a.family, IP_V6);
	assert_memory_equal(a.bytes,
	                    ((uint8_t[16]){ 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4 }), 16);
	/* IPv4-mapped stays IPv6. */
	a = addr_of("::ffff:1.2.3.4");
	assert_int_equal(a.family, IP_V6);
	assert_memory_equal(a.bytes,
	                    ((uint8_t[16]){ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4 }), 16);
	ip_addr v4 = addr_of("1.2.3.4");
	assert_false(ip_addr_eq(&a, &v4));
}

static void test_parse_invalid(void **state)
{
	for (size_t i = 0; i < sizeof(invalid_addrs) / sizeof(invalid_addrs[0]); i++) {
		ip_addr a = { .family = 99 };
		if (ip_addr_parse(invalid_addrs[i], &a))
			fail_msg("accepted \"%s\"", invalid_addrs[i]);
		assert_int_equal(a.family, 99);   /* untouched */
	}
	ip_addr a;
	assert_false(ip_addr_parse(NULL, &a));
}

static void test_parse_n(void **state)
{
	ip_addr a;
	/* Agrees with ip_addr_parse on every table entry. */
	for (size_t i = 0; i < sizeof(valid_addrs) / sizeof(valid_addrs[0]); i++) {
		const char *t = valid_addrs[i].text;
		assert_true(ip_addr_parse_n(t, strlen(t), &a));
		assert_addr_text(&a, valid_addrs[i].canonical);
	}
	for (size_t i = 0; i < sizeof(invalid_addrs) / sizeof(invalid_addrs[0]); i++) {
		const char *t = invalid_addrs[i];
		assert_false(ip_addr_parse_n(t, strlen(t), &a));
	}
	/* Only the first n bytes count; they need no NUL. */
	const char text[] = { '1', '0', '.', '0', '.', '0', '.', '1', '9' };
	assert_true(ip_addr_parse_n(text, 8, &a));
	assert_addr_text(&a, "10.0.0.1");
	assert_true(ip_addr_parse_n(text, 9, &a));
	assert_addr_text(&a, "10.0.0.19");
	assert_false(ip_addr_parse_n(text, 7, &a));
	assert_true(ip_addr_parse_n("::1-::2", 3, &a));
	assert_addr_text(&a, "::1");
	/* A NUL inside the n bytes, n = 0, NULL, and text longer than any address. */
	assert_false(ip_addr_parse_n("1.2.3.4\0", 8, &a));
	assert_false(ip_addr_parse_n("::1\0:2", 6, &a));
	assert_false(ip_addr_parse_n("", 0, &a));
	assert_false(ip_addr_parse_n(NULL, 4, &a));
	const char *longest = "0000:0000:0000:0000:0000:0000:255.255.255.255";
	assert_int_equal(strlen(longest), IP_ADDR_STRLEN - 1);
	assert_true(ip_addr_parse_n(longest, strlen(longest), &a));
	char too_long[64];
	snprintf(too_long, sizeof(too_long), "0%s", longest);
	assert_false(ip_addr_parse_n(too_long, strlen(too_long), &a));
}

static void test_format_round_trip(void **state)
{
	for (size_t i = 0; i < sizeof(valid_addrs) / sizeof(valid_addrs[0]); i++) {
		ip_addr a = addr_of(valid_addrs[i].text), b;
		char buf[IP_ADDR_STRLEN];
		assert_true(ip_addr_format(&a, buf, sizeof(buf)) > 0);
		assert_true(ip_addr_parse(buf, &b));
		assert_true(ip_addr_eq(&a, &b));
	}
}

static void test_format_buffer_sizes(void **state)
{
	ip_addr a = addr_of("2001:db8::1");
	char buf[16];
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(ip_addr_format(&a, buf, 11), -1);   /* 11 chars need 12 bytes */
	assert_int_equal(buf[0], 'x');                      /* untouched */
	assert_int_equal(ip_addr_format(&a, buf, 0), -1);
	assert_int_equal(ip_addr_format(&a, NULL, 0), -1);
	assert_int_equal(ip_addr_format(&a, buf, 12), 11);
	assert_string_equal(buf, "2001:db8::1");
	/* The longest canonical forms fit the advertised sizes. */
	ip_addr big = addr_of(ALL_ONES_V6);
	char abuf[IP_ADDR_STRLEN];
	assert_int_equal(ip_addr_format(&big, abuf, sizeof(abuf)), 39);
	ip_prefix p = ip_prefix_make(&big, 128);
	char pbuf[IP_PREFIX_STRLEN];
	assert_int_equal(ip_prefix_format(&p, pbuf, sizeof(pbuf)), 43);
	assert_int_equal(ip_prefix_format(&p, pbuf, 43), -1);
	ip_range r = { big, big };
	char rbuf[IP_RANGE_STRLEN];
	assert_int_equal(ip_range_format(&r, rbuf, sizeof(rbuf)), 79);
	assert_int_equal(ip_range_format(&r, rbuf, 79), -1);
	/* IP_NONE has a text for logs, which does not parse back. */
	ip_addr none = { .family = IP_NONE };
	assert_addr_text(&none, "invalid");
}

/* --- construction and ordering ------------------------------------------------------------- */

static void test_v4_value_and_bytes(void **state)
{
	ip_addr a = ip_addr_v4(0xc0000201);
	assert_addr_text(&a, "192.0.2.1");
	assert_int_equal(ip_addr_v4_value(&a), 0xc0000201);
	ip_addr max = ip_addr_v4(UINT32_MAX);
	assert_addr_text(&max, "255.255.255.255");
	assert_int_equal(ip_addr_v4_value(&max), UINT32_MAX);
	ip_addr v6 = addr_of("::ffff:1.2.3.4");
	assert_int_equal(ip_addr_v4_value(&v6), 0);

	const uint8_t b4[4] = { 10, 1, 2, 3 };
	ip_addr f4 = ip_addr_from_bytes(IP_V4, b4);
	assert_int_equal(f4.family, IP_V4);
	assert_addr_text(&f4, "10.1.2.3");
	const uint8_t b16[16] = { 0xfe, 0x80, [15] = 1 };
	ip_addr f6 = ip_addr_from_bytes(IP_V6, b16);
	assert_addr_text(&f6, "fe80::1");
	assert_memory_equal(f6.bytes, b16, 16);
	ip_addr fn = ip_addr_from_bytes(IP_NONE, b16);
	assert_int_equal(fn.family, IP_NONE);
	fn = ip_addr_from_bytes((enum ip_family)5, b16);
	assert_int_equal(fn.family, IP_NONE);
}

static void test_cmp_order_across_families(void **state)
{
	/* Ascending. */
	static const char *const sorted[] = {
		"0.0.0.0", "0.0.0.1", "0.0.0.255", "0.0.1.0", "9.255.255.255", "10.0.0.0", "128.0.0.0",
		"255.255.255.254", "255.255.255.255", "::", "::1", "::ffff", "::1:0", "::ffff:0.0.0.0",
		"::ffff:255.255.255.255", "1::", "2001:db8::", "2001:db8::1", "fe80::",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", ALL_ONES_V6,
	};
	size_t n = sizeof(sorted) / sizeof(sorted[0]);
	ip_addr none = { .family = IP_NONE };
	for (size_t i = 0; i < n; i++) {
		ip_addr a = addr_of(sorted[i]);
		assert_int_equal(ip_addr_cmp(&none, &a), -1);
		assert_int_equal(ip_addr_cmp(&a, &none), 1);
		for (size_t j = 0; j < n; j++) {
			ip_addr b = addr_of(sorted[j]);
			int want = (i > j) - (i < j);
			if (sign(ip_addr_cmp(&a, &b)) != want)
				fail_msg("cmp(%s, %s) != %d", sorted[i], sorted[j], want);
			assert_int_equal(ip_addr_eq(&a, &b), i == j);
		}
	}
	assert_int_equal(ip_addr_cmp(&none, &none), 0);
	/* Bytes past an IPv4 address do not take part. */
	ip_addr x = addr_of("1.2.3.4"), y = x;
	y.bytes[9] = 7;
	assert_true(ip_addr_eq(&x, &y));
}

static void test_unspecified(void **state)
{
	ip_addr a = addr_of("0.0.0.0");
	assert_true(ip_addr_is_unspecified(&a));
	a = addr_of("::");
	assert_true(ip_addr_is_unspecified(&a));
	a = addr_of("0.0.0.1");
	assert_false(ip_addr_is_unspecified(&a));
	a = addr_of("::1");
	assert_false(ip_addr_is_unspecified(&a));
	a = addr_of("::ffff:0.0.0.0");
	assert_false(ip_addr_is_unspecified(&a));
	a = addr_of("8000::");
	assert_false(ip_addr_is_unspecified(&a));
	ip_addr none = { .family = IP_NONE };
	assert_false(ip_addr_is_unspecified(&none));
}

/* --- arithmetic ----------------------------------------------------------------------------- */

static const struct {
	const char *a;
	uint64_t n;
	const char *sum;   /* NULL: wraps */
	const char *diff;  /* NULL: wraps */
} arith[] = {
	{ "1.2.3.4", 0, "1.2.3.4", "1.2.3.4" },
	{ "1.2.3.4", 1, "1.2.3.5", "1.2.3.3" },
	{ "10.0.0.255", 1, "10.0.1.0", "10.0.0.254" },
	{ "10.0.1.0", 256, "10.0.2.0", "10.0.0.0" },
	{ "255.255.255.254", 1, "255.255.255.255", "255.255.255.253" },
	{ "255.255.255.255", 1, NULL, "255.255.255.254" },
	{ "255.255.255.255", UINT32_MAX, NULL, "0.0.0.0" },
	{ "255.255.255.255", (uint64_t)UINT32_MAX + 1, NULL, NULL },
	{ "0.0.0.0", 1, "0.0.0.1", NULL },
	{ "0.0.0.0", UINT32_MAX, "255.255.255.255", NULL },
	{ "0.0.0.0", (uint64_t)UINT32_MAX + 1, NULL, NULL },
	{ "0.0.0.1", UINT64_MAX, NULL, NULL },
	{ "::", 0, "::", "::" },
	{ "::", 1, "::1", NULL },
	{ "::", UINT64_MAX, "::ffff:ffff:ffff:ffff", NULL },
	{ "::ffff:ffff:ffff:ffff", 1, "0:0:0:1::", "::ffff:ffff:ffff:fffe" },
	{ "0:0:0:1::", 1, "0:0:0:1::1", "::ffff:ffff:ffff:ffff" },
	{ "0:0:0:1::", UINT64_MAX, "0:0:0:1:ffff:ffff:ffff:ffff", "::1" },
	{ "0:0:0:1::5", UINT64_MAX, "0:0:0:2::4", "::6" },
	{ "::ffff:255.255.255.255", 1, "::1:0:0:0", "::ffff:255.255.255.254" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 1, ALL_ONES_V6,
	  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffd" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 2, NULL, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffc" },
	{ ALL_ONES_V6, 1, NULL, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe" },
	{ ALL_ONES_V6, UINT64_MAX, NULL, "ffff:ffff:ffff:ffff::" },
	{ "ffff:ffff:ffff:ffff::", UINT64_MAX, ALL_ONES_V6, "ffff:ffff:ffff:fffe::1" },
	{ "ffff:ffff:ffff:ffff::1", UINT64_MAX, NULL, "ffff:ffff:ffff:fffe::2" },
};

static void test_add_sub_edges(void **state)
{
	for (size_t i = 0; i < sizeof(arith) / sizeof(arith[0]); i++) {
		ip_addr a = addr_of(arith[i].a);
		ip_addr out = { .family = 99 };
		if (arith[i].sum) {
			assert_true(ip_addr_add(&a, arith[i].n, &out));
			assert_addr_is(&out, arith[i].sum);
		} else {
			if (ip_addr_add(&a, arith[i].n, &out))
				fail_msg("%s + %llu did not wrap", arith[i].a, (unsigned long long)arith[i].n);
			assert_int_equal(out.family, 99);
		}
		out.family = 99;
		if (arith[i].diff) {
			assert_true(ip_addr_sub(&a, arith[i].n, &out));
			assert_addr_is(&out, arith[i].diff);
		} else {
			if (ip_addr_sub(&a, arith[i].n, &out))
				fail_msg("%s - %llu did not wrap", arith[i].a, (unsigned long long)arith[i].n);
			assert_int_equal(out.family, 99);
		}
	}
	ip_addr none = { .family = IP_NONE }, out;
	assert_false(ip_addr_add(&none, 0, &out));
	assert_false(ip_addr_sub(&none, 0, &out));
}

static void test_distance(void **state)
{
	static const struct {
		const char *a, *b;
		uint64_t d;
	} cases[] = {
		{ "1.2.3.4", "1.2.3.4", 0 },
		{ "1.2.3.4", "1.2.3.5", 1 },
		{ "10.0.0.0", "10.0.1.0", 256 },
		{ "0.0.0.0", "255.255.255.255", UINT32_MAX },
		{ "::", "::", 0 },
		{ "::ffff:ffff:ffff:ffff", "0:0:0:1::", 1 },
		/* A /64 is 2^64 addresses: first to last is 2^64 - 1, which just fits. */
		{ "2001:db8::", "2001:db8::ffff:ffff:ffff:ffff", UINT64_MAX },
		{ "2001:db8::1", "2001:db8::ffff:ffff:ffff:ffff", UINT64_MAX - 1 },
		/* Anything beyond saturates. */
		{ "2001:db8::", "2001:db8:0:1::", UINT64_MAX },
		{ "2001:db8::", "2001:db8:0:1::1", UINT64_MAX },
		{ "::", ALL_ONES_V6, UINT64_MAX },
		/* Reversed and mixed families give 0. */
		{ "1.2.3.5", "1.2.3.4", 0 },
		{ "::1", "::", 0 },
		{ "1.2.3.4", "::ffff:1.2.3.5", 0 },
		{ "::", "0.0.0.1", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ip_addr a = addr_of(cases[i].a), b = addr_of(cases[i].b);
		if (ip_addr_distance(&a, &b) != cases[i].d)
			fail_msg("distance(%s, %s) = %llu", cases[i].a, cases[i].b,
			         (unsigned long long)ip_addr_distance(&a, &b));
	}
}

/* --- masks ----------------------------------------------------------------------------------- */

static void test_mask_fill_every_v4_length(void **state)
{
	ip_addr ones = ip_addr_v4(UINT32_MAX), zero = ip_addr_v4(0), pat = addr_of("172.31.170.85");
	for (unsigned len = 0; len <= 32; len++) {
		uint32_t net = len == 0 ? 0 : UINT32_MAX << (32 - len);
		ip_addr m = ip_addr_mask(&ones, len), f = ip_addr_fill(&zero, len);
		assert_int_equal(ip_addr_v4_value(&m), net);
		assert_int_equal(ip_addr_v4_value(&f), ~net);
		ip_addr pm = ip_addr_mask(&pat, len), pf = ip_addr_fill(&pat, len);
		assert_int_equal(ip_addr_v4_value(&pm), ip_addr_v4_value(&pat) & net);
		assert_int_equal(ip_addr_v4_value(&pf), ip_addr_v4_value(&pat) | ~net);
		for (int b = 4; b < 16; b++) {
			assert_int_equal(f.bytes[b], 0);
			assert_int_equal(pf.bytes[b], 0);
		}
	}
	/* Lengths past the family are clamped. */
	ip_addr m = ip_addr_mask(&pat, 33), f = ip_addr_fill(&pat, 200);
	assert_true(ip_addr_eq(&m, &pat));
	assert_true(ip_addr_eq(&f, &pat));
}

static void test_mask_fill_every_v6_length(void **state)
{
	ip_addr ones = addr_of(ALL_ONES_V6), zero = addr_of("::");
	ip_addr pat = addr_of("a5a5:5a5a:0f0f:f0f0:1234:5678:9abc:def0");
	for (unsigned len = 0; len <= 128; len++) {
		ip_addr m = ip_addr_mask(&ones, len), f = ip_addr_fill(&zero, len);
		ip_addr pm = ip_addr_mask(&pat, len), pf = ip_addr_fill(&pat, len);
		assert_int_equal(m.family, IP_V6);
		for (unsigned i = 0; i < 128; i++) {
			bool net = i < len;
			assert_int_equal(bit_of(&m, i), net);
			assert_int_equal(bit_of(&f, i), !net);
			assert_int_equal(bit_of(&pm, i), net && bit_of(&pat, i));
			assert_int_equal(bit_of(&pf, i), !net || bit_of(&pat, i));
		}
	}
	ip_addr m = ip_addr_mask(&pat, 129), f = ip_addr_fill(&pat, 1000);
	assert_true(ip_addr_eq(&m, &pat));
	assert_true(ip_addr_eq(&f, &pat));
	ip_addr none = { .family = IP_NONE };
	m = ip_addr_mask(&none, 8);
	assert_int_equal(m.family, IP_NONE);
}

/* --- prefixes -------------------------------------------------------------------------------- */

static void test_prefix_parse_valid(void **state)
{
	static const struct {
		const char *text, *canonical;
		bool host_bits;
	} cases[] = {
		{ "10.0.0.0/8", "10.0.0.0/8", false },
		{ "10.0.0.0/24", "10.0.0.0/24", false },
		{ "10.0.0.1/24", "10.0.0.0/24", true },
		{ "10.0.0.255/31", "10.0.0.254/31", true },
		{ "0.0.0.0/0", "0.0.0.0/0", false },
		{ "1.2.3.4/0", "0.0.0.0/0", true },
		{ "1.2.3.4/32", "1.2.3.4/32", false },
		{ "255.255.255.255/1", "128.0.0.0/1", true },
		/* Go's net.ParseCIDR reads the length with dtoi: leading zeros are fine. */
		{ "10.0.0.0/024", "10.0.0.0/24", false },
		{ "1.2.3.4/00032", "1.2.3.4/32", false },
		{ "1.2.3.4/00", "0.0.0.0/0", true },
		{ "::/0", "::/0", false },
		{ "::/128", "::/128", false },
		{ "::1/128", "::1/128", false },
		{ "2001:db8::/32", "2001:db8::/32", false },
		{ "2001:db8::1/64", "2001:db8::/64", true },
		{ "2001:DB8:0:0:8000::/65", "2001:db8:0:0:8000::/65", false },
		{ "2001:db8::ffff/127", "2001:db8::fffe/127", true },
		/* IPv4-mapped is IPv6, so its lengths go to 128. */
		{ "::ffff:1.2.3.4/120", "::ffff:1.2.3.0/120", true },
		{ "::ffff:1.2.3.4/96", "::ffff:0.0.0.0/96", true },
		{ "::ffff:1.2.3.4/128", "::ffff:1.2.3.4/128", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ip_prefix p;
		bool host = !cases[i].host_bits;
		if (!ip_prefix_parse(cases[i].text, &p, &host))
			fail_msg("refused \"%s\"", cases[i].text);
		assert_prefix_text(&p, cases[i].canonical);
		assert_int_equal(host, cases[i].host_bits);
		ip_addr m = ip_addr_mask(&p.addr, p.len);
		assert_true(ip_addr_eq(&m, &p.addr));
		/* Round trip through the canonical text. */
		ip_prefix q;
		assert_true(ip_prefix_parse(cases[i].canonical, &q, &host));
		assert_false(host);
		assert_int_equal(ip_prefix_cmp(&p, &q), 0);
		assert_true(ip_prefix_parse(cases[i].text, &q, NULL));
	}
}

static void test_prefix_parse_invalid(void **state)
{
	static const char *const cases[] = {
		"", "/", "/8", "10.0.0.0", "::1", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/99",
		"10.0.0.0/256", "10.0.0.0/4294967328", "10.0.0.0/99999999999999999999", "::/129",
		"::ffff:1.2.3.4/129", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/ 8", "10.0.0.0 /8",
		"10.0.0.0/8 ", " 10.0.0.0/8", "10.0.0.0/8/8", "10.0.0.0//8", "010.0.0.0/8",
		"fe80::%eth0/64", "fe80::/64%eth0", "10.0.0.0/0x8", "1.2.3.4/32a", "1.2.3.4/3.2",
		"[::]/0", "10.0.0.0-10.0.0.255/24", "10.0.0.0/24-10.0.0.255",
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ip_prefix p = { .len = 77 };
		bool host = true;
		if (ip_prefix_parse(cases[i], &p, &host))
			fail_msg("accepted \"%s\"", cases[i]);
		assert_int_equal(p.len, 77);   /* untouched */
		assert_true(host);
	}
	ip_prefix p;
	assert_false(ip_prefix_parse(NULL, &p, NULL));
}

static void test_prefix_make_and_range(void **state)
{
	ip_addr a = addr_of("192.168.37.200");
	ip_prefix p = ip_prefix_make(&a, 20);
	assert_prefix_text(&p, "192.168.32.0/20");
	ip_range r = ip_prefix_range(&p);
	assert_addr_is(&r.first, "192.168.32.0");
	assert_addr_is(&r.last, "192.168.47.255");
	p = ip_prefix_make(&a, 40);   /* clamped */
	assert_prefix_text(&p, "192.168.37.200/32");
	r = ip_prefix_range(&p);
	assert_true(ip_addr_eq(&r.first, &r.last));
	ip_addr b = addr_of("2001:db8:1234:5678::9");
	p = ip_prefix_make(&b, 48);
	assert_prefix_text(&p, "2001:db8:1234::/48");
	r = ip_prefix_range(&p);
	assert_addr_is(&r.last, "2001:db8:1234:ffff:ffff:ffff:ffff:ffff");
	p = ip_prefix_make(&b, 300);
	assert_int_equal(p.len, 128);
	p = prefix_of("0.0.0.0/0");
	r = ip_prefix_range(&p);
	assert_addr_is(&r.last, "255.255.255.255");
	p = prefix_of("::/0");
	r = ip_prefix_range(&p);
	assert_addr_is(&r.last, ALL_ONES_V6);
	assert_int_equal(ip_range_size(&r), UINT64_MAX);
}

static void test_prefix_contains(void **state)
{
	static const struct {
		const char *prefix, *addr;
		bool in;
	} cases[] = {
		{ "10.0.0.0/24", "10.0.0.0", true },
		{ "10.0.0.0/24", "10.0.0.255", true },
		{ "10.0.0.0/24", "10.0.1.0", false },
		{ "10.0.0.0/24", "9.255.255.255", false },
		{ "10.0.0.1/32", "10.0.0.1", true },
		{ "10.0.0.1/32", "10.0.0.2", false },
		{ "0.0.0.0/0", "255.255.255.255", true },
		{ "0.0.0.0/0", "::ffff:1.2.3.4", false },
		{ "0.0.0.0/0", "::", false },
		{ "::/0", "1.2.3.4", false },
		{ "::/0", ALL_ONES_V6, true },
		{ "::ffff:0:0/96", "::ffff:1.2.3.4", true },
		{ "::ffff:0:0/96", "1.2.3.4", false },
		{ "2001:db8::/64", "2001:db8::ffff:ffff:ffff:ffff", true },
		{ "2001:db8::/64", "2001:db8:0:1::", false },
		{ "2001:db8::/127", "2001:db8::1", true },
		{ "2001:db8::/127", "2001:db8::2", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ip_prefix p = prefix_of(cases[i].prefix);
		ip_addr a = addr_of(cases[i].addr);
		if (ip_prefix_contains(&p, &a) != cases[i].in)
			fail_msg("contains(%s, %s) != %d", cases[i].prefix, cases[i].addr, cases[i].in);
	}
	ip_prefix p = prefix_of("0.0.0.0/0");
	ip_addr none = { .family = IP_NONE };
	assert_false(ip_prefix_contains(&p, &none));
}

static void test_prefix_covers_overlaps(void **state)
{
	static const struct {
		const char *p, *q;
		bool p_covers_q, q_covers_p;
	} cases[] = {
		/* identical */
		{ "10.0.0.0/24", "10.0.0.0/24", true, true },
		{ "::/0", "::/0", true, true },
		/* nested */
		{ "10.0.0.0/8", "10.1.2.0/24", true, false },
		{ "10.0.0.0/24", "10.0.0.128/25", true, false },
		{ "10.0.0.0/24", "10.0.0.255/32", true, false },
		{ "0.0.0.0/0", "255.255.255.255/32", true, false },
		{ "2001:db8::/32", "2001:db8:ffff:ffff::/64", true, false },
		{ "::/0", "2001:db8::1/128", true, false },
		/* adjacent */
		{ "10.0.0.0/25", "10.0.0.128/25", false, false },
		{ "10.0.0.0/24", "10.0.1.0/24", false, false },
		{ "10.0.0.128/25", "10.0.1.0/25", false, false },
		{ "2001:db8::/64", "2001:db8:0:1::/64", false, false },
		/* disjoint */
		{ "10.0.0.0/24", "192.168.0.0/16", false, false },
		{ "10.0.0.0/32", "10.0.0.2/31", false, false },
		{ "fe80::/10", "2001:db8::/32", false, false },
		/* different families never overlap, even at the same bytes */
		{ "0.0.0.0/0", "::/0", false, false },
		{ "0.0.0.0/0", "::ffff:0:0/96", false, false },
		{ "1.2.3.4/32", "::ffff:1.2.3.4/128", false, false },
		{ "0.0.0.0/32", "::/128", false, false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ip_prefix p = prefix_of(cases[i].p), q = prefix_of(cases[i].q);
		bool overlap = cases[i].p_covers_q || cases[i].q_covers_p;
		if (ip_prefix_covers(&p, &q) != cases[i].p_covers_q ||
		    ip_prefix_covers(&q, &p) != cases[i].q_covers_p ||
		    ip_prefix_overlaps(&p, &q) != overlap || ip_prefix_overlaps(&q, &p) != overlap)
			fail_msg("covers/overlaps wrong for %s and %s", cases[i].p, cases[i].q);
		/* The same answers through ranges. */
		ip_range rp = ip_prefix_range(&p), rq = ip_prefix_range(&q);
		assert_int_equal(ip_range_overlaps(&rp, &rq), overlap);
	}
}

static void test_prefix_cmp(void **state)
{
	static const char *const sorted[] = {
		"0.0.0.0/0", "0.0.0.0/1", "0.0.0.0/32", "10.0.0.0/8", "10.0.0.0/24", "10.0.0.0/32",
		"10.0.1.0/24", "128.0.0.0/1", "255.255.255.255/32", "::/0", "::/128", "::1/128",
		"2001:db8::/32", "2001:db8::/64", "2001:db8:0:1::/64",
	};
	size_t n = sizeof(sorted) / sizeof(sorted[0]);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			ip_prefix a = prefix_of(sorted[i]), b = prefix_of(sorted[j]);
			if (sign(ip_prefix_cmp(&a, &b)) != (i > j) - (i < j))
				fail_msg("prefix cmp(%s, %s)", sorted[i], sorted[j]);
		}
}

/* --- ranges ---------------------------------------------------------------------------------- */

static void test_range_parse_valid(void **state)
{
	static const struct {
		const char *text, *first, *last;
	} cases[] = {
		{ "10.0.0.1-10.0.0.9", "10.0.0.1", "10.0.0.9" },
		{ "10.0.0.1 - 10.0.0.9", "10.0.0.1", "10.0.0.9" },
		{ "10.0.0.1 -10.0.0.9", "10.0.0.1", "10.0.0.9" },
		{ "10.0.0.1- 10.0.0.9", "10.0.0.1", "10.0.0.9" },
		{ "10.0.0.1   -   10.0.0.9", "10.0.0.1", "10.0.0.9" },
		{ "\t10.0.0.1\t-\t10.0.0.9\r\n", "10.0.0.1", "10.0.0.9" },
		{ "  10.0.0.1-10.0.0.9  ", "10.0.0.1", "10.0.0.9" },
		{ "\v10.0.0.1\f-10.0.0.9", "10.0.0.1", "10.0.0.9" },
		{ "10.0.0.5-10.0.0.5", "10.0.0.5", "10.0.0.5" },
		{ "0.0.0.0-255.255.255.255", "0.0.0.0", "255.255.255.255" },
		{ "10.0.0.0/24", "10.0.0.0", "10.0.0.255" },
		{ "10.0.0.7/24", "10.0.0.0", "10.0.0.255" },   /* host bits masked, as MetalLB */
		{ "10.0.0.7/32", "10.0.0.7", "10.0.0.7" },
		{ "0.0.0.0/0", "0.0.0.0", "255.255.255.255" },
		{ "10.0.0.0/024", "10.0.0.0", "10.0.0.255" },
		{ "2001:db8::1-2001:db8::ff", "2001:db8::1", "2001:db8::ff" },
		{ "2001:db8::1 - 2001:db8::ff", "2001:db8::1", "2001:db8::ff" },
		{ "2001:DB8::1-2001:db8::1", "2001:db8::1", "2001:db8::1" },
		{ "2001:db8::/64", "2001:db8::", "2001:db8::ffff:ffff:ffff:ffff" },
		{ "::-" ALL_ONES_V6, "::", ALL_ONES_V6 },
		{ "::/0", "::", ALL_ONES_V6 },
		{ "::ffff:1.2.3.4-::ffff:1.2.3.9", "::ffff:1.2.3.4", "::ffff:1.2.3.9" },
		{ "::ffff:1.2.3.0/120", "::ffff:1.2.3.0", "::ffff:1.2.3.255" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ip_range r;
		const char *why = "untouched";
		if (!ip_range_parse(cases[i].text, &r, &why))
			fail_msg("refused \"%s\": %s", cases[i].text, why);
		assert_string_equal(why, "untouched");
		assert_addr_is(&r.first, cases[i].first);
		assert_addr_is(&r.last, cases[i].last);
		assert_int_equal(r.first.family, r.last.family);
		/* Round trip through the "first-last" text. */
		char buf[IP_RANGE_STRLEN];
		assert_true(ip_range_format(&r, buf, sizeof(buf)) > 0);
		ip_range back = range_of(buf);
		assert_true(ip_addr_eq(&back.first, &r.first));
		assert_true(ip_addr_eq(&back.last, &r.last));
		assert_true(ip_range_parse(cases[i].text, &r, NULL));
	}
	ip_range r = range_of("10.0.0.1 - 10.0.0.9");
	char buf[IP_RANGE_STRLEN];
	assert_int_equal(ip_range_format(&r, buf, sizeof(buf)), 17);
	assert_string_equal(buf, "10.0.0.1-10.0.0.9");
}

static void test_range_parse_invalid(void **state)
{
	static const struct {
		const char *text, *why;
	} cases[] = {
		{ "", "empty" },
		{ "10.0.0.9-10.0.0.1", "first address after last" },
		{ "10.0.0.9 - 10.0.0.8", "first address after last" },
		{ "2001:db8::2-2001:db8::1", "first address after last" },
		{ ALL_ONES_V6 "-::", "first address after last" },
		{ "10.0.0.1-::1", "address families differ" },
		{ "::1-10.0.0.1", "address families differ" },
		{ "1.2.3.4-::ffff:1.2.3.9", "address families differ" },
		{ "::ffff:1.2.3.4-1.2.3.9", "address families differ" },
		{ "-", "invalid start address" },
		{ " - ", "invalid start address" },
		{ "-10.0.0.1", "invalid start address" },
		{ "10.0.0.1-", "invalid end address" },
		{ "10.0.0.1 - ", "invalid end address" },
		{ "10.0.0.1--10.0.0.2", "invalid end address" },
		{ "10.0.0.1-10.0.0.2-10.0.0.3", "invalid end address" },
		{ "10.0.0.0/24-10.0.0.255", "invalid start address" },
		{ "10.0.0.0-10.0.0.255/24", "invalid end address" },
		{ "010.0.0.1-10.0.0.2", "invalid start address" },
		{ "10.0.0.1-10.0.0.02", "invalid end address" },
		{ "fe80::1%eth0-fe80::2", "invalid start address" },
		{ "fe80::1-fe80::2%eth0", "invalid end address" },
		{ "10.0.0.1\xc2\xa0-10.0.0.2", "invalid start address" },   /* U+00A0 is not trimmed */
		{ "10.0.0.1 x-10.0.0.2", "invalid start address" },
		{ "10.0.0.1 10.0.0.2", "invalid CIDR" },
		{ "10.0.0.0", "invalid CIDR" },   /* a bare address is not a CIDR (MetalLB wants /32) */
		{ " 10.0.0.0/24", "invalid CIDR" },
		{ "10.0.0.0/24 ", "invalid CIDR" },
		{ "10.0.0.0/33", "invalid CIDR" },
		{ "::/129", "invalid CIDR" },
		{ "10.0.0.0/", "invalid CIDR" },
		{ "garbage", "invalid CIDR" },
		{ "   ", "invalid CIDR" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ip_range r = { .first.family = 99 };
		const char *why = NULL;
		if (ip_range_parse(cases[i].text, &r, &why))
			fail_msg("accepted \"%s\"", cases[i].text);
		assert_non_null(why);
		if (strcmp(why, cases[i].why) != 0)
			fail_msg("\"%s\": got \"%s\", want \"%s\"", cases[i].text, why, cases[i].why);
		assert_int_equal(r.first.family, 99);   /* untouched */
		assert_false(ip_range_parse(cases[i].text, &r, NULL));
	}
	ip_range r;
	const char *why = NULL;
	assert_false(ip_range_parse(NULL, &r, &why));
	assert_string_equal(why, "empty");
}

static void test_range_contains_overlaps(void **state)
{
	static const struct {
		const char *a, *b;
		bool overlap;
	} cases[] = {
		{ "10.0.0.1-10.0.0.5", "10.0.0.1-10.0.0.5", true },    /* same */
		{ "10.0.0.1-10.0.0.9", "10.0.0.3-10.0.0.4", true },    /* nested */
		{ "10.0.0.1-10.0.0.5", "10.0.0.5-10.0.0.9", true },    /* share one address */
		{ "10.0.0.1-10.0.0.5", "10.0.0.4-10.0.0.9", true },    /* cross */
		{ "10.0.0.1-10.0.0.5", "10.0.0.6-10.0.0.9", false },   /* adjacent */
		{ "10.0.0.1-10.0.0.5", "10.0.1.1-10.0.1.5", false },   /* disjoint */
		{ "0.0.0.0/0", "255.255.255.255/32", true },
		{ "::/0", "0.0.0.0/0", false },                        /* families */
		{ "::ffff:0:0/96", "0.0.0.0/0", false },
		{ "2001:db8::/64", "2001:db8:0:1::/64", false },
		{ "2001:db8::/64", "2001:db8::ffff:ffff:ffff:ffff-2001:db8:0:1::", true },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ip_range a = range_of(cases[i].a), b = range_of(cases[i].b);
		if (ip_range_overlaps(&a, &b) != cases[i].overlap ||
		    ip_range_overlaps(&b, &a) != cases[i].overlap)
			fail_msg("overlaps(%s, %s) != %d", cases[i].a, cases[i].b, cases[i].overlap);
	}
	ip_range r = range_of("10.0.0.10 - 10.0.0.20");
	ip_addr in_first = addr_of("10.0.0.10"), in_last = addr_of("10.0.0.20");
	ip_addr below = addr_of("10.0.0.9"), above = addr_of("10.0.0.21");
	ip_addr mapped = addr_of("::ffff:10.0.0.15");
	assert_true(ip_range_contains(&r, &in_first));
	assert_true(ip_range_contains(&r, &in_last));
	assert_false(ip_range_contains(&r, &below));
	assert_false(ip_range_contains(&r, &above));
	assert_false(ip_range_contains(&r, &mapped));
	/* Ranges that are not valid contain and overlap nothing. */
	ip_range reversed = { in_last, in_first };
	assert_false(ip_range_contains(&reversed, &in_first));
	assert_false(ip_range_overlaps(&reversed, &r));
	ip_range mixed = { in_first, addr_of("::1") };
	assert_false(ip_range_contains(&mixed, &in_last));
	assert_false(ip_range_overlaps(&r, &mixed));
}

static void test_range_size(void **state)
{
	static const struct {
		const char *range;
		uint64_t size;
	} cases[] = {
		{ "10.0.0.5-10.0.0.5", 1 },
		{ "10.0.0.1-10.0.0.9", 9 },
		{ "10.0.0.0/24", 256 },
		{ "0.0.0.0/0", (uint64_t)1 << 32 },
		{ "::1/128", 1 },
		{ "2001:db8::/96", (uint64_t)1 << 32 },
		{ "2001:db8::/65", (uint64_t)1 << 63 },
		{ "2001:db8::1-2001:db8::ffff:ffff:ffff:ffff", UINT64_MAX },   /* exactly 2^64 - 1 */
		{ "2001:db8::2-2001:db8::ffff:ffff:ffff:ffff", UINT64_MAX - 1 },
		{ "2001:db8::/64", UINT64_MAX },                               /* 2^64 saturates */
		{ "2001:db8::/48", UINT64_MAX },
		{ "::/0", UINT64_MAX },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ip_range r = range_of(cases[i].range);
		if (ip_range_size(&r) != cases[i].size)
			fail_msg("size(%s) = %llu", cases[i].range, (unsigned long long)ip_range_size(&r));
	}
	ip_range reversed = { addr_of("10.0.0.2"), addr_of("10.0.0.1") };
	assert_int_equal(ip_range_size(&reversed), 0);
	ip_range mixed = { addr_of("10.0.0.1"), addr_of("::1") };
	assert_int_equal(ip_range_size(&mixed), 0);
	ip_range none = { { .family = IP_NONE }, { .family = IP_NONE } };
	assert_int_equal(ip_range_size(&none), 0);
}

static void test_range_is_prefix(void **state)
{
	static const struct {
		const char *range, *prefix;   /* prefix NULL: not one */
	} cases[] = {
		{ "10.0.0.0-10.0.0.255", "10.0.0.0/24" },
		{ "10.0.0.4-10.0.0.7", "10.0.0.4/30" },
		{ "10.0.0.5-10.0.0.5", "10.0.0.5/32" },
		{ "0.0.0.0-255.255.255.255", "0.0.0.0/0" },
		{ "128.0.0.0-255.255.255.255", "128.0.0.0/1" },
		{ "::-" ALL_ONES_V6, "::/0" },
		{ "2001:db8::-2001:db8::ffff:ffff:ffff:ffff", "2001:db8::/64" },
		{ "10.0.0.1-10.0.0.2", NULL },
		{ "10.0.0.0-10.0.0.2", NULL },
		{ "10.0.0.2-10.0.0.5", NULL },
		{ "0.0.0.1-255.255.255.255", NULL },
		{ "::1-" ALL_ONES_V6, NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ip_range r = range_of(cases[i].range);
		ip_prefix p = { .len = 99 };
		bool is = ip_range_is_prefix(&r, &p);
		if (is != (cases[i].prefix != NULL))
			fail_msg("is_prefix(%s) = %d", cases[i].range, is);
		if (is)
			assert_prefix_text(&p, cases[i].prefix);
		else
			assert_int_equal(p.len, 99);
	}
	ip_range reversed = { addr_of("10.0.0.2"), addr_of("10.0.0.1") };
	ip_prefix p;
	assert_false(ip_range_is_prefix(&reversed, &p));
}

/* --- range summaries ------------------------------------------------------------------------- */

/* The summary of a range as space-separated text. */
static void summary_text(const ip_range *r, char *out, size_t size)
{
	ip_prefix ps[256];
	size_t n = ip_range_to_prefixes(r, ps, 256);
	assert_true(n <= 256);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char buf[IP_PREFIX_STRLEN];
		ip_prefix_format(&ps[i], buf, sizeof(buf));
		size_t used = strlen(out);
		snprintf(out + used, size - used, "%s%s", i ? " " : "", buf);
	}
}

static void test_range_to_prefixes_table(void **state)
{
	static const struct {
		const char *range, *prefixes;
	} cases[] = {
		{ "10.0.0.1-10.0.0.6", "10.0.0.1/32 10.0.0.2/31 10.0.0.4/31 10.0.0.6/32" },
		{ "0.0.0.0-255.255.255.255", "0.0.0.0/0" },
		{ "::-" ALL_ONES_V6, "::/0" },
		{ "10.0.0.0-10.0.0.255", "10.0.0.0/24" },
		{ "10.0.0.7/24", "10.0.0.0/24" },
		{ "10.0.0.5-10.0.0.5", "10.0.0.5/32" },
		{ "10.0.0.0-10.0.1.0", "10.0.0.0/24 10.0.1.0/32" },
		{ "10.0.0.255-10.0.2.0", "10.0.0.255/32 10.0.1.0/24 10.0.2.0/32" },
		{ "192.168.0.255-192.168.1.0", "192.168.0.255/32 192.168.1.0/32" },
		{ "10.0.0.1 - 10.0.0.9", "10.0.0.1/32 10.0.0.2/31 10.0.0.4/30 10.0.0.8/31" },
		{ "255.255.255.254-255.255.255.255", "255.255.255.254/31" },
		{ "0.0.0.0-127.255.255.255", "0.0.0.0/1" },
		{ "0.0.0.0-128.0.0.0", "0.0.0.0/1 128.0.0.0/32" },
		{ "2001:db8::-2001:db8::1:0", "2001:db8::/112 2001:db8::1:0/128" },
		{ "2001:db8::1-2001:db8::2", "2001:db8::1/128 2001:db8::2/128" },
		{ "::ffff:ffff:ffff:ffff-0:0:0:1::", "::ffff:ffff:ffff:ffff/128 0:0:0:1::/128" },
		{ "::-::ffff:ffff:ffff:ffff", "::/64" },
		{ "::ffff:0.0.0.0-::ffff:255.255.255.255", "::ffff:0.0.0.0/96" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ip_range r = range_of(cases[i].range);
		char text[1024];
		summary_text(&r, text, sizeof(text));
		if (strcmp(text, cases[i].prefixes) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].range, text, cases[i].prefixes);
	}
}

/* The worst cases: 2 * (bits - 1) prefixes, from /32 up to /1 and back down. */
static void test_range_to_prefixes_worst_case(void **state)
{
	static const struct {
		const char *range;
		size_t count;
		const char *first, *last;
	} cases[] = {
		{ "0.0.0.1-255.255.255.255", 32, "0.0.0.1/32", "128.0.0.0/1" },
		{ "0.0.0.0-255.255.255.254", 32, "0.0.0.0/1", "255.255.255.254/32" },
		{ "0.0.0.1-255.255.255.254", 62, "0.0.0.1/32", "255.255.255.254/32" },
		{ "::1-" ALL_ONES_V6, 128, "::1/128", "8000::/1" },
		{ "::1-ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 254, "::1/128",
		  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/128" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ip_range r = range_of(cases[i].range);
		ip_prefix ps[256];
		assert_int_equal(ip_range_to_prefixes(&r, NULL, 0), cases[i].count);
		assert_int_equal(ip_range_to_prefixes(&r, ps, 256), cases[i].count);
		assert_prefix_text(&ps[0], cases[i].first);
		assert_prefix_text(&ps[cases[i].count - 1], cases[i].last);
	}
}

static void test_range_to_prefixes_bounded_output(void **state)
{
	ip_range r = range_of("10.0.0.1-10.0.0.6");
	ip_prefix ps[4];
	memset(ps, 0xee, sizeof(ps));
	assert_int_equal(ip_range_to_prefixes(&r, NULL, 0), 4);
	assert_int_equal(ip_range_to_prefixes(&r, ps, 2), 4);
	assert_prefix_text(&ps[0], "10.0.0.1/32");
	assert_prefix_text(&ps[1], "10.0.0.2/31");
	assert_int_equal(ps[2].len, 0xee);   /* past max: untouched */
	assert_int_equal(ps[3].addr.family, 0xee);
	/* Not valid: nothing. */
	ip_range reversed = { addr_of("10.0.0.2"), addr_of("10.0.0.1") };
	ip_range mixed = { addr_of("10.0.0.1"), addr_of("::1") };
	ip_range none = { { .family = IP_NONE }, { .family = IP_NONE } };
	assert_int_equal(ip_range_to_prefixes(&reversed, ps, 4), 0);
	assert_int_equal(ip_range_to_prefixes(&mixed, ps, 4), 0);
	assert_int_equal(ip_range_to_prefixes(&none, ps, 4), 0);
	assert_int_equal(ps[2].len, 0xee);
}

/*
 * An independent summariser: walk the tree of aligned blocks from /0 down, keeping a block that
 * lies inside the range and splitting one that straddles an edge. Its output is the set of
 * maximal aligned blocks inside the range, in ascending order, which is the minimal cover.
 */
static size_t reference_summary(const ip_prefix *block, const ip_range *r, ip_prefix *out, size_t n)
{
	ip_range b = ip_prefix_range(block);
	if (ip_addr_cmp(&b.last, &r->first) < 0 || ip_addr_cmp(&b.first, &r->last) > 0)
		return n;
	if (ip_addr_cmp(&b.first, &r->first) >= 0 && ip_addr_cmp(&b.last, &r->last) <= 0) {
		out[n] = *block;
		return n + 1;
	}
	ip_prefix left = ip_prefix_make(&block->addr, block->len + 1u);
	ip_addr right_start = ip_addr_fill(&block->addr, block->len + 1u);
	ip_prefix right = { .len = (uint8_t)(block->len + 1) };
	assert_true(ip_addr_add(&right_start, 1, &right.addr));
	n = reference_summary(&left, r, out, n);
	return reference_summary(&right, r, out, n);
}

/* Checks a summary: ascending, disjoint, exactly covering, minimal, and equal to the reference. */
static void check_summary(const ip_range *r)
{
	unsigned bits = ip_family_bits((enum ip_family)r->first.family);
	ip_prefix ps[256], ref[256];
	size_t n = ip_range_to_prefixes(r, ps, 256);
	assert_int_equal(ip_range_to_prefixes(r, NULL, 0), n);
	assert_true(n >= 1);
	assert_true(n <= (bits > 1 ? 2 * (bits - 1) : 1));

	ip_addr next = r->first;
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++) {
		ip_range pr = ip_prefix_range(&ps[i]);
		assert_int_equal(ps[i].addr.family, r->first.family);
		assert_true(ps[i].len <= bits);
		assert_true(ip_addr_eq(&pr.first, &ps[i].addr));   /* host bits clear */
		assert_true(ip_addr_eq(&pr.first, &next));         /* no gap, no overlap, ascending */
		uint64_t size = ip_range_size(&pr);
		total = total + size < total ? UINT64_MAX : total + size;
		if (i + 1 < n) {
			assert_true(ip_addr_add(&pr.last, 1, &next));
			/* Minimal: a block and its sibling are never both listed. */
			ip_addr parent = ip_addr_mask(&ps[i].addr, ps[i].len - 1u);
			if (ps[i].len > 0 && ps[i].len == ps[i + 1].len && ip_addr_eq(&parent, &ps[i].addr))
				fail_msg("prefixes %zu and %zu of the summary are siblings", i, i + 1);
		} else {
			assert_true(ip_addr_eq(&pr.last, &r->last));
		}
	}
	if (ip_range_size(r) != UINT64_MAX)
		assert_int_equal(total, ip_range_size(r));

	ip_addr zero = ip_addr_mask(&r->first, 0);
	ip_prefix root = ip_prefix_make(&zero, 0);
	size_t rn = reference_summary(&root, r, ref, 0);
	assert_int_equal(rn, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ip_prefix_cmp(&ps[i], &ref[i]), 0);

	ip_prefix one;
	assert_int_equal(ip_range_is_prefix(r, &one), n == 1);
	if (n == 1)
		assert_int_equal(ip_prefix_cmp(&one, &ps[0]), 0);
}

/* For small ranges, every address from just below to just above is checked one by one. */
static void check_summary_by_address(const ip_range *r)
{
	ip_prefix ps[256];
	size_t n = ip_range_to_prefixes(r, ps, 256);
	ip_addr a = r->first;
	ip_addr_sub(&r->first, 2, &a);   /* stays at first when that would wrap */
	for (int steps = 0; steps < 1030; steps++) {
		int in = 0;
		for (size_t i = 0; i < n; i++)
			in += ip_prefix_contains(&ps[i], &a);
		assert_int_equal(in, ip_range_contains(r, &a) ? 1 : 0);
		if (ip_addr_cmp(&a, &r->last) > 0 && steps > 3)
			break;
		if (!ip_addr_add(&a, 1, &a))
			break;
	}
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

/* xorshift64*: deterministic, so a failure reproduces. */
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1du;
}

static ip_addr random_v6(void)
{
	uint8_t b[16];
	uint64_t hi = rnd(), lo = rnd();
	for (int i = 0; i < 8; i++) {
		b[i] = (uint8_t)(hi >> (56 - 8 * i));
		b[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
	}
	return ip_addr_from_bytes(IP_V6, b);
}

/* A range of one family in one of several shapes that reach the interesting cases. */
static ip_range random_range(enum ip_family family)
{
	ip_addr a = family == IP_V4 ? ip_addr_v4((uint32_t)rnd()) : random_v6();
	unsigned bits = ip_family_bits(family);
	ip_range r;
	switch (rnd() % 5) {
	case 0:   /* small span */
		r.first = a;
		if (!ip_addr_add(&a, rnd() % 1024, &r.last))
			r.last = ip_addr_fill(&a, 0);
		break;
	case 1:   /* a span of random magnitude */
		r.first = a;
		if (!ip_addr_add(&a, rnd() >> (rnd() % 64), &r.last))
			r.last = ip_addr_fill(&a, 0);
		break;
	case 2: { /* ends that share a random number of leading bits */
		unsigned common = (unsigned)(rnd() % (bits + 1));
		ip_addr b = family == IP_V4 ? ip_addr_v4((uint32_t)rnd()) : random_v6();
		/* x is a's first common bits followed by b's other bits. */
		ip_addr net = ip_addr_mask(&a, common), host = ip_addr_fill(&net, common), x = net;
		for (unsigned i = 0; i < bits / 8; i++)
			x.bytes[i] = (uint8_t)(net.bytes[i] | (b.bytes[i] & host.bytes[i]));
		r.first = ip_addr_cmp(&a, &x) <= 0 ? a : x;
		r.last = ip_addr_cmp(&a, &x) <= 0 ? x : a;
		break;
	}
	case 3: { /* aligned ends: first with zero low bits, last with ones */
		ip_addr b = family == IP_V4 ? ip_addr_v4((uint32_t)rnd()) : random_v6();
		ip_addr lo = ip_addr_cmp(&a, &b) <= 0 ? a : b, hi = ip_addr_cmp(&a, &b) <= 0 ? b : a;
		unsigned k = (unsigned)(rnd() % (bits + 1));
		r.first = ip_addr_mask(&lo, k);
		r.last = ip_addr_fill(&hi, k);
		break;
	}
	default: { /* two random addresses */
		ip_addr b = family == IP_V4 ? ip_addr_v4((uint32_t)rnd()) : random_v6();
		r.first = ip_addr_cmp(&a, &b) <= 0 ? a : b;
		r.last = ip_addr_cmp(&a, &b) <= 0 ? b : a;
		break;
	}
	}
	return r;
}

static void test_range_to_prefixes_random(void **state)
{
	rng_state = 0x9e3779b97f4a7c15u;
	for (int i = 0; i < 3000; i++) {
		ip_range r = random_range(i % 2 ? IP_V6 : IP_V4);
		check_summary(&r);
		if (ip_addr_distance(&r.first, &r.last) < 1024)
			check_summary_by_address(&r);
	}
}

/* Every range inside a small block, exhaustively: all 256 * 257 / 2 of them in 10.0.0.0/24. */
static void test_range_to_prefixes_every_small_range(void **state)
{
	for (uint32_t f = 0; f < 256; f++)
		for (uint32_t l = f; l < 256; l++) {
			ip_range r = { ip_addr_v4(0x0a000000 | f), ip_addr_v4(0x0a000000 | l) };
			check_summary(&r);
		}
	/* The same at the top of IPv6, where an off-by-one would wrap. */
	ip_addr top = addr_of(ALL_ONES_V6);
	for (uint64_t f = 0; f < 64; f++)
		for (uint64_t l = 0; l <= f; l++) {
			ip_range r;
			assert_true(ip_addr_sub(&top, f, &r.first));
			assert_true(ip_addr_sub(&top, l, &r.last));
			check_summary(&r);
			check_summary_by_address(&r);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_family_bits),
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_bytes),
		cmocka_unit_test(test_parse_invalid),
		cmocka_unit_test(test_parse_n),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_format_buffer_sizes),
		cmocka_unit_test(test_v4_value_and_bytes),
		cmocka_unit_test(test_cmp_order_across_families),
		cmocka_unit_test(test_unspecified),
		cmocka_unit_test(test_add_sub_edges),
		cmocka_unit_test(test_distance),
		cmocka_unit_test(test_mask_fill_every_v4_length),
		cmocka_unit_test(test_mask_fill_every_v6_length),
		cmocka_unit_test(test_prefix_parse_valid),
		cmocka_unit_test(test_prefix_parse_invalid),
		cmocka_unit_test(test_prefix_make_and_range),
		cmocka_unit_test(test_prefix_contains),
		cmocka_unit_test(test_prefix_covers_overlaps),
		cmocka_unit_test(test_prefix_cmp),
		cmocka_unit_test(test_range_parse_valid),
		cmocka_unit_test(test_range_parse_invalid),
		cmocka_unit_test(test_range_contains_overlaps),
		cmocka_unit_test(test_range_size),
		cmocka_unit_test(test_range_is_prefix),
		cmocka_unit_test(test_range_to_prefixes_table),
		cmocka_unit_test(test_range_to_prefixes_worst_case),
		cmocka_unit_test(test_range_to_prefixes_bounded_output),
		cmocka_unit_test(test_range_to_prefixes_random),
		cmocka_unit_test(test_range_to_prefixes_every_small_range),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
