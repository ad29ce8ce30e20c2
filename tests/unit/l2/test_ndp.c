/*
 * Unit tests for the Neighbor Discovery codec (src/l2/ndp.c): RFC 4861 7.1.1 validation of
 * Neighbor Solicitations (every rejection path), solicited advertisements per 7.2.4 (with and
 * without a source link-layer option, and for DAD), unsolicited advertisements per 7.2.6, and the
 * ICMPv6 checksum (RFC 4443 2.3). Reference frames were generated with scapy 2.5 and pasted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "l2/ndp.h"

static const eth_addr self = { { 0x02, 0x00, 0x00, 0x00, 0x00, 0xaa } };
static const eth_addr peer = { { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 } };
static const eth_addr peer_slla = { { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 } };

/* NS 2001:db8::1 -> ff02::1:ff00:10 for target 2001:db8::10, SLLA 02:00:00:00:00:02. */
static const uint8_t ns_slla[86] = {
	0x33, 0x33, 0xff, 0x00, 0x00, 0x10, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0x20, 0x01,
	0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0xff, 0x00, 0x00, 0x10, 0x87, 0x00, 0x1c, 0x0a, 0x00, 0x00,
	0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x01, 0x01, 0x02, 0x00, 0x00, 0x00,
	0x00, 0x02,
};

static const uint8_t ns_noslla[78] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0xaa, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x18, 0x3a, 0xff, 0x20, 0x01,
	0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x87, 0x00, 0xef, 0x60, 0x00, 0x00,
	0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};

static const uint8_t ns_dad[78] = {
	0x33, 0x33, 0xff, 0x00, 0x00, 0x10, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x18, 0x3a, 0xff, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0xff, 0x00, 0x00, 0x10, 0x87, 0x00, 0x4c, 0xcf, 0x00, 0x00,
	0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};

/* Scapy NA answers: to the SLLA; to the Ethernet source; unsolicited (also the DAD answer). */
static const uint8_t na_slla_expected[86] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0xaa,
	0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0x20, 0x01,
	0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x10, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x88, 0x00, 0x89, 0xad, 0x60, 0x00,
	0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x02, 0x01, 0x02, 0x00, 0x00, 0x00,
	0x00, 0xaa,
};

static const uint8_t na_noslla_expected[86] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0xaa,
	0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0x20, 0x01,
	0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x10, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x88, 0x00, 0x89, 0xad, 0x60, 0x00,
	0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x02, 0x01, 0x02, 0x00, 0x00, 0x00,
	0x00, 0xaa,
};

static const uint8_t na_dad_expected[86] = {
	0x33, 0x33, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0xaa,
	0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0x20, 0x01,
	0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x10, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x88, 0x00, 0xf8, 0x63, 0x20, 0x00,
	0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x02, 0x01, 0x02, 0x00, 0x00, 0x00,
	0x00, 0xaa,
};

static const uint8_t una_expected[86] = {
	0x33, 0x33, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0xaa,
	0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0x20, 0x01,
	0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x10, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x88, 0x00, 0xf8, 0x63, 0x20, 0x00,
	0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x02, 0x01, 0x02, 0x00, 0x00, 0x00,
	0x00, 0xaa,
};

enum {
	OFF_ETH_SRC = 6, OFF_ETHERTYPE = 12, OFF_IP6 = 14, OFF_PAYLOAD_LEN = 18, OFF_NEXT_HEADER = 20,
	OFF_HOP_LIMIT = 21, OFF_SRC = 22, OFF_DST = 38, OFF_ICMP = 54, OFF_CODE = 55, OFF_CSUM = 56,
	OFF_FLAGS = 58, OFF_TARGET = 62, OFF_OPTS = 78,
};

static ip_addr v6(const char bytes[16])
{
	ip_addr a;
	a.family = IP_V6;
	memcpy(a.bytes, bytes, 16);
	return a;
}

#define DB8_1 "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01"
#define DB8_10 "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x10"
#define SN_10 "\xff\x02\0\0\0\0\0\0\0\0\0\x01\xff\0\0\x10"
#define ALL_NODES "\xff\x02\0\0\0\0\0\0\0\0\0\0\0\0\0\x01"
#define UNSPEC "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"

/*
 * Builds an NS frame from parts, with a correct checksum unless told otherwise: the way to make a
 * frame that fails exactly one 7.1.1 check.
 */
struct ns_spec {
	const char *src, *dst, *target;
	uint8_t hop_limit, type, code;
	const uint8_t *opts;
	size_t opts_len;
	bool bad_checksum;
};

static size_t build_ns(uint8_t *f, size_t cap, const struct ns_spec *s)
{
	wbuf w = wbuf_make(f, cap);
	ip_addr src = v6(s->src), dst = v6(s->dst);
	eth_put_hdr(&w, &self, &peer, ETHERTYPE_IPV6);
	wbuf_put_u32(&w, 0x60000000u);
	wbuf_put_u16(&w, (uint16_t)(NDP_NS_LEN + s->opts_len));
	wbuf_put_u8(&w, 58);
	wbuf_put_u8(&w, s->hop_limit);
	wbuf_put_bytes(&w, src.bytes, 16);
	wbuf_put_bytes(&w, dst.bytes, 16);
	wbuf_put_u8(&w, s->type);
	wbuf_put_u8(&w, s->code);
	wbuf_put_u16(&w, 0);
	wbuf_put_u32(&w, 0);
	wbuf_put_bytes(&w, s->target, 16);
	wbuf_put_bytes(&w, s->opts, s->opts_len);
	assert_true(wbuf_ok(&w));
	uint16_t sum = ndp_icmp6_checksum(&src, &dst, rbuf_make(f + OFF_ICMP, wbuf_len(&w) - OFF_ICMP));
	wbuf_set_u16_at(&w, OFF_CSUM, s->bad_checksum ? (uint16_t)(sum ^ 1) : sum);
	return wbuf_len(&w);
}

static struct ns_spec good_spec(void)
{
	struct ns_spec s = { .src = DB8_1, .dst = SN_10, .target = DB8_10, .hop_limit = 255,
			     .type = 135, .code = 0 };
	return s;
}

static enum ndp_verdict parse_spec(const struct ns_spec *s)
{
	uint8_t f[256];
	struct ndp_solicit ns;
	size_t len = build_ns(f, sizeof(f), s);
	return ndp_parse_ns(rbuf_make(f, len), &self, &ns);
}

static enum ndp_verdict parse(const uint8_t *f, size_t len, struct ndp_solicit *ns)
{
	return ndp_parse_ns(rbuf_make(f, len), &self, ns);
}

static void test_parses_ns_with_slla(void **state)
{
	struct ndp_solicit ns;
	assert_int_equal(parse(ns_slla, sizeof(ns_slla), &ns), NDP_SOLICIT);
	assert_memory_equal(ns.eth_src.b, peer.b, 6);
	assert_int_equal(ns.src.family, IP_V6);
	assert_memory_equal(ns.src.bytes, DB8_1, 16);
	assert_memory_equal(ns.dst.bytes, SN_10, 16);
	assert_int_equal(ns.target.family, IP_V6);
	assert_memory_equal(ns.target.bytes, DB8_10, 16);
	assert_true(ns.has_slla);
	assert_memory_equal(ns.slla.b, peer_slla.b, 6);
}

static void test_parses_ns_without_slla_and_dad(void **state)
{
	struct ndp_solicit ns;
	assert_int_equal(parse(ns_noslla, sizeof(ns_noslla), &ns), NDP_SOLICIT);
	assert_false(ns.has_slla);
	assert_memory_equal(ns.dst.bytes, DB8_10, 16);
	assert_int_equal(parse(ns_dad, sizeof(ns_dad), &ns), NDP_SOLICIT);
	assert_memory_equal(ns.src.bytes, UNSPEC, 16);
	assert_false(ns.has_slla);
}

static void check_na(const uint8_t *out, const uint8_t *eth_dst, const char *ip_dst, uint8_t flags)
{
	assert_memory_equal(out, eth_dst, 6);
	assert_memory_equal(out + OFF_ETH_SRC, self.b, 6);
	assert_memory_equal(out + OFF_ETHERTYPE, "\x86\xdd", 2);
	assert_int_equal(out[OFF_IP6] >> 4, 6);
	assert_memory_equal(out + OFF_PAYLOAD_LEN, "\x00\x20", 2);
	assert_int_equal(out[OFF_NEXT_HEADER], 58);
	assert_int_equal(out[OFF_HOP_LIMIT], 255);
	assert_memory_equal(out + OFF_SRC, DB8_10, 16);               /* 7.2.4: from the target */
	assert_memory_equal(out + OFF_DST, ip_dst, 16);
	assert_int_equal(out[OFF_ICMP], 136);
	assert_int_equal(out[OFF_CODE], 0);
	assert_int_equal(out[OFF_FLAGS], flags);
	assert_memory_equal(out + OFF_FLAGS + 1, "\0\0\0", 3);
	assert_memory_equal(out + OFF_TARGET, DB8_10, 16);
	assert_memory_equal(out + OFF_OPTS, "\x02\x01", 2);            /* TLLA, one unit */
	assert_memory_equal(out + OFF_OPTS + 2, self.b, 6);
	/* The checksum verifies: summing with it in place gives zero. */
	ip_addr s = v6(DB8_10), d = v6(ip_dst);
	assert_int_equal(ndp_icmp6_checksum(&s, &d, rbuf_make(out + OFF_ICMP, NDP_NA_LEN)), 0);
}

static void test_answers_ns_at_its_slla(void **state)
{
	struct ndp_solicit ns;
	uint8_t out[NDP_NA_FRAME_LEN];
	assert_int_equal(parse(ns_slla, sizeof(ns_slla), &ns), NDP_SOLICIT);
	wbuf w = wbuf_make(out, sizeof(out));
	ndp_build_na(&w, &ns, &self);
	assert_true(wbuf_ok(&w));
	assert_int_equal(wbuf_len(&w), NDP_NA_FRAME_LEN);
	check_na(out, peer_slla.b, DB8_1, 0x60);                       /* S and O */
	assert_memory_equal(out, na_slla_expected, sizeof(na_slla_expected));
}

static void test_answers_ns_without_slla_at_frame_source(void **state)
{
	/* MetalLB #2685: an NS without SLLA is still answered, at the Ethernet source. */
	struct ndp_solicit ns;
	uint8_t out[NDP_NA_FRAME_LEN];
	assert_int_equal(parse(ns_noslla, sizeof(ns_noslla), &ns), NDP_SOLICIT);
	wbuf w = wbuf_make(out, sizeof(out));
	ndp_build_na(&w, &ns, &self);
	assert_true(wbuf_ok(&w));
	check_na(out, peer.b, DB8_1, 0x60);
	assert_memory_equal(out, na_noslla_expected, sizeof(na_noslla_expected));
}

static void test_answers_dad_to_all_nodes_without_solicited_flag(void **state)
{
	struct ndp_solicit ns;
	uint8_t out[NDP_NA_FRAME_LEN];
	assert_int_equal(parse(ns_dad, sizeof(ns_dad), &ns), NDP_SOLICIT);
	wbuf w = wbuf_make(out, sizeof(out));
	ndp_build_na(&w, &ns, &self);
	assert_true(wbuf_ok(&w));
	check_na(out, (const uint8_t *)"\x33\x33\0\0\0\x01", ALL_NODES, 0x20);   /* O only */
	assert_memory_equal(out, na_dad_expected, sizeof(na_dad_expected));
}

static void test_builds_unsolicited_na(void **state)
{
	uint8_t out[NDP_NA_FRAME_LEN];
	ip_addr ip = v6(DB8_10);
	wbuf w = wbuf_make(out, sizeof(out));
	ndp_build_unsolicited_na(&w, &ip, &self);
	assert_true(wbuf_ok(&w));
	assert_int_equal(wbuf_len(&w), NDP_NA_FRAME_LEN);
	check_na(out, (const uint8_t *)"\x33\x33\0\0\0\x01", ALL_NODES, 0x20);
	assert_memory_equal(out, una_expected, sizeof(una_expected));
	/* An advertisement is never mistaken for a solicitation. */
	struct ndp_solicit ns;
	assert_int_equal(parse(out, sizeof(out), &ns), NDP_ERR_TYPE);
}

static void test_short_buffer_sets_overflow(void **state)
{
	uint8_t out[NDP_NA_FRAME_LEN - 1];
	ip_addr ip = v6(DB8_10);
	struct ndp_solicit ns;
	assert_int_equal(parse(ns_slla, sizeof(ns_slla), &ns), NDP_SOLICIT);
	wbuf w = wbuf_make(out, sizeof(out));
	ndp_build_na(&w, &ns, &self);
	assert_false(wbuf_ok(&w));
	w = wbuf_make(out, 20);
	ndp_build_unsolicited_na(&w, &ip, &self);
	assert_false(wbuf_ok(&w));
}

static void test_checksum_matches_reference(void **state)
{
	/* scapy computed 0x1c0a for ns_slla; with the field zeroed we must compute the same. */
	uint8_t icmp[32];
	ip_addr s = v6(DB8_1), d = v6(SN_10);
	memcpy(icmp, ns_slla + OFF_ICMP, sizeof(icmp));
	assert_int_equal(ndp_icmp6_checksum(&s, &d, rbuf_make(icmp, sizeof(icmp))), 0);
	icmp[2] = icmp[3] = 0;
	assert_int_equal(ndp_icmp6_checksum(&s, &d, rbuf_make(icmp, sizeof(icmp))), 0x1c0a);
	/* An odd length pads the last byte with zero (RFC 1071): same sum as with an explicit 0. */
	const uint8_t odd[3] = { 0x12, 0x34, 0x56 }, even[4] = { 0x12, 0x34, 0x56, 0x00 };
	ip_addr z = v6(UNSPEC);
	uint16_t a = ndp_icmp6_checksum(&z, &z, rbuf_make(odd, 3));
	uint16_t b = ndp_icmp6_checksum(&z, &z, rbuf_make(even, 4));
	/* ...except for the length in the pseudo-header (3 vs 4): differ by exactly 1. */
	assert_int_equal((uint16_t)(a - 1), b);
	/* Hand-computed: 0x1234 + 0x5600 + length 3 + next header 0x3a = 0x6871; ~ = 0x978e. */
	assert_int_equal(a, 0x978e);
}

static void test_rejects_truncated(void **state)
{
	struct ndp_solicit ns;
	assert_int_equal(parse(ns_slla, 0, &ns), NDP_ERR_TRUNCATED);
	assert_int_equal(parse(ns_slla, ETH_HDR_LEN - 1, &ns), NDP_ERR_TRUNCATED);
	assert_int_equal(parse(ns_slla, ETH_HDR_LEN + IPV6_HDR_LEN - 1, &ns), NDP_ERR_TRUNCATED);
	/* The IPv6 payload length claims more than the frame has. */
	assert_int_equal(parse(ns_slla, sizeof(ns_slla) - 1, &ns), NDP_ERR_TRUNCATED);
	/* Trailing padding after the payload is fine. */
	uint8_t f[sizeof(ns_noslla) + 10];
	memset(f, 0xee, sizeof(f));
	memcpy(f, ns_noslla, sizeof(ns_noslla));
	assert_int_equal(parse(f, sizeof(f), &ns), NDP_SOLICIT);
}

static void test_rejects_wrong_headers(void **state)
{
	uint8_t f[sizeof(ns_slla)];
	struct ndp_solicit ns;
	memcpy(f, ns_slla, sizeof(f));
	f[OFF_ETHERTYPE + 1] = 0x00;                                     /* 0x8600 */
	assert_int_equal(parse(f, sizeof(f), &ns), NDP_ERR_ETHERTYPE);
	memcpy(f, ns_slla, sizeof(f));
	f[OFF_IP6] = 0x40;
	assert_int_equal(parse(f, sizeof(f), &ns), NDP_ERR_VERSION);
	memcpy(f, ns_slla, sizeof(f));
	f[OFF_NEXT_HEADER] = 0;                                          /* hop-by-hop header */
	assert_int_equal(parse(f, sizeof(f), &ns), NDP_ERR_NEXT_HEADER);
	memcpy(f, ns_slla, sizeof(f));
	f[OFF_PAYLOAD_LEN + 1] = 0;                                      /* no ICMPv6 at all */
	assert_int_equal(parse(f, sizeof(f), &ns), NDP_ERR_LENGTH);
}

static void test_rejects_each_7_1_1_check(void **state)
{
	struct ns_spec s = good_spec();
	assert_int_equal(parse_spec(&s), NDP_SOLICIT);

	s = good_spec();
	s.hop_limit = 254;
	assert_int_equal(parse_spec(&s), NDP_ERR_HOP_LIMIT);
	s.hop_limit = 1;
	assert_int_equal(parse_spec(&s), NDP_ERR_HOP_LIMIT);

	s = good_spec();
	s.type = 136;
	assert_int_equal(parse_spec(&s), NDP_ERR_TYPE);
	s.type = 128;                                                    /* echo request */
	assert_int_equal(parse_spec(&s), NDP_ERR_TYPE);

	s = good_spec();
	s.code = 1;
	assert_int_equal(parse_spec(&s), NDP_ERR_CODE);

	s = good_spec();
	s.bad_checksum = true;
	assert_int_equal(parse_spec(&s), NDP_ERR_CHECKSUM);

	s = good_spec();
	s.target = SN_10;
	assert_int_equal(parse_spec(&s), NDP_ERR_TARGET_MULTICAST);

	s = good_spec();
	s.src = ALL_NODES;
	assert_int_equal(parse_spec(&s), NDP_ERR_SOURCE_MULTICAST);
}

static void test_rejects_short_icmp(void **state)
{
	/* A 16-byte "NS" with a valid checksum: 7.1.1 wants 24 or more. */
	uint8_t f[sizeof(ns_noslla)];
	struct ndp_solicit ns;
	memcpy(f, ns_noslla, sizeof(f));
	f[OFF_PAYLOAD_LEN + 1] = 16;
	assert_int_equal(parse(f, sizeof(f), &ns), NDP_ERR_LENGTH);
	f[OFF_PAYLOAD_LEN + 1] = 1;                                      /* only the type byte */
	assert_int_equal(parse(f, sizeof(f), &ns), NDP_ERR_LENGTH);
}

static void test_rejects_bad_options(void **state)
{
	struct ns_spec s = good_spec();
	const uint8_t zero_len[8] = { 1, 0, 2, 0, 0, 0, 0, 2 };
	const uint8_t overrun[8] = { 14, 2, 1, 2, 3, 4, 5, 6 };        /* claims 16, has 8 */
	const uint8_t lone_byte[1] = { 1 };
	const uint8_t slla_long[16] = { 1, 2, 2, 0, 0, 0, 0, 2 };
	const uint8_t unknown_zero[16] = { 14, 1, 1, 2, 3, 4, 5, 6, 99, 0, 0, 0, 0, 0, 0, 0 };
	s.opts = zero_len;
	s.opts_len = sizeof(zero_len);
	assert_int_equal(parse_spec(&s), NDP_ERR_OPTION_LEN);
	s.opts = overrun;
	s.opts_len = sizeof(overrun);
	assert_int_equal(parse_spec(&s), NDP_ERR_OPTION_LEN);
	s.opts = lone_byte;
	s.opts_len = sizeof(lone_byte);
	assert_int_equal(parse_spec(&s), NDP_ERR_OPTION_LEN);
	s.opts = slla_long;
	s.opts_len = sizeof(slla_long);
	assert_int_equal(parse_spec(&s), NDP_ERR_SLLA_LEN);
	/* A zero length is an error even on an option we do not know. */
	s.opts = unknown_zero;
	s.opts_len = sizeof(unknown_zero);
	assert_int_equal(parse_spec(&s), NDP_ERR_OPTION_LEN);
}

static void test_skips_unknown_options_and_takes_first_slla(void **state)
{
	/* Nonce (RFC 3971 type 14), then two SLLAs: the first one counts. */
	const uint8_t opts[24] = { 14, 1, 1, 2, 3, 4, 5, 6,
				   1, 1, 0x02, 0, 0, 0, 0, 0x02,
				   1, 1, 0x02, 0, 0, 0, 0, 0x03 };
	struct ns_spec s = good_spec();
	uint8_t f[256];
	struct ndp_solicit ns;
	s.opts = opts;
	s.opts_len = sizeof(opts);
	size_t len = build_ns(f, sizeof(f), &s);
	assert_int_equal(parse(f, len, &ns), NDP_SOLICIT);
	assert_true(ns.has_slla);
	assert_memory_equal(ns.slla.b, peer_slla.b, 6);
}

static void test_rejects_bad_dad(void **state)
{
	const uint8_t slla[8] = { 1, 1, 0x02, 0, 0, 0, 0, 0x02 };
	struct ns_spec s = good_spec();
	s.src = UNSPEC;
	assert_int_equal(parse_spec(&s), NDP_SOLICIT);
	s.dst = DB8_10;                                                  /* unicast */
	assert_int_equal(parse_spec(&s), NDP_ERR_DAD_DESTINATION);
	s.dst = ALL_NODES;
	assert_int_equal(parse_spec(&s), NDP_ERR_DAD_DESTINATION);
	s.dst = SN_10;
	s.opts = slla;
	s.opts_len = sizeof(slla);
	assert_int_equal(parse_spec(&s), NDP_ERR_DAD_SLLA);
}

static void test_ignores_own_frames(void **state)
{
	struct ndp_solicit ns;
	assert_int_equal(ndp_parse_ns(rbuf_make(ns_slla, sizeof(ns_slla)), &peer, &ns), NDP_ERR_OWN);
}

static void test_multicast_helpers(void **state)
{
	ip_addr t = v6("\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\x12\x34\x56\x78");
	ip_addr g = ndp_solicited_node(&t);
	assert_memory_equal(g.bytes, "\xff\x02\0\0\0\0\0\0\0\0\0\x01\xff\x34\x56\x78", 16);
	assert_int_equal(g.family, IP_V6);
	assert_true(ndp_is_solicited_node(&g));
	assert_false(ndp_is_solicited_node(&t));
	ip_addr all = v6(ALL_NODES);
	assert_false(ndp_is_solicited_node(&all));
	eth_addr m = ndp_multicast_mac(&g);
	assert_memory_equal(m.b, "\x33\x33\xff\x34\x56\x78", 6);
}

static void test_verdict_names(void **state)
{
	for (int v = NDP_SOLICIT; v <= NDP_ERR_OWN; v++)
		assert_string_not_equal(ndp_verdict_name((enum ndp_verdict)v), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parses_ns_with_slla),
		cmocka_unit_test(test_parses_ns_without_slla_and_dad),
		cmocka_unit_test(test_answers_ns_at_its_slla),
		cmocka_unit_test(test_answers_ns_without_slla_at_frame_source),
		cmocka_unit_test(test_answers_dad_to_all_nodes_without_solicited_flag),
		cmocka_unit_test(test_builds_unsolicited_na),
		cmocka_unit_test(test_short_buffer_sets_overflow),
		cmocka_unit_test(test_checksum_matches_reference),
		cmocka_unit_test(test_rejects_truncated),
		cmocka_unit_test(test_rejects_wrong_headers),
		cmocka_unit_test(test_rejects_each_7_1_1_check),
		cmocka_unit_test(test_rejects_short_icmp),
		cmocka_unit_test(test_rejects_bad_options),
		cmocka_unit_test(test_skips_unknown_options_and_takes_first_slla),
		cmocka_unit_test(test_rejects_bad_dad),
		cmocka_unit_test(test_ignores_own_frames),
		cmocka_unit_test(test_multicast_helpers),
		cmocka_unit_test(test_verdict_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
