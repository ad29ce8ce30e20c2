/*
 * Unit tests for the ARP codec (src/l2/arp.c): RFC 826 request parsing and reply, RFC 5227 probe
 * and announcement handling, gratuitous ARP in request (RFC 5227 3) and reply (RFC 2002 4.6)
 * form, and every rejection path. Reference frames were generated with scapy 2.5 and pasted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "l2/arp.h"

static const eth_addr self = { { 0x02, 0x00, 0x00, 0x00, 0x00, 0xaa } };
static const eth_addr peer = { { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 } };

/* Who has 192.0.2.10? Tell 192.0.2.1 (02:00:00:00:00:01), padded to 60 bytes. */
static const uint8_t arp_request[60] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00,
	0x00, 0x00, 0x00, 0x01, 0xc0, 0x00, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0xc0, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static const uint8_t arp_reply_expected[60] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0xaa,
	0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, 0x02, 0x00,
	0x00, 0x00, 0x00, 0xaa, 0xc0, 0x00, 0x02, 0x0a, 0x02, 0x00, 0x00, 0x00,
	0x00, 0x01, 0xc0, 0x00, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static const uint8_t garp_request_expected[60] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0xaa,
	0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00,
	0x00, 0x00, 0x00, 0xaa, 0xc0, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0xc0, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static const uint8_t garp_reply_expected[60] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0xaa,
	0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, 0x02, 0x00,
	0x00, 0x00, 0x00, 0xaa, 0xc0, 0x00, 0x02, 0x0a, 0x02, 0x00, 0x00, 0x00,
	0x00, 0xaa, 0xc0, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* Offsets of ARP fields in an Ethernet frame (RFC 826 layout after a 14-byte header). */
enum {
	OFF_ETH_DST = 0, OFF_ETH_SRC = 6, OFF_ETHERTYPE = 12, OFF_HTYPE = 14, OFF_PTYPE = 16,
	OFF_HLEN = 18, OFF_PLEN = 19, OFF_OP = 20, OFF_SHA = 22, OFF_SPA = 28, OFF_THA = 32,
	OFF_TPA = 38,
};

static ip_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	ip_addr ip;
	memset(&ip, 0, sizeof(ip));
	ip.family = IP_V4;
	ip.bytes[0] = a;
	ip.bytes[1] = b;
	ip.bytes[2] = c;
	ip.bytes[3] = d;
	return ip;
}

static enum arp_verdict parse(const uint8_t *frame, size_t len, struct arp_request *req)
{
	return arp_parse(rbuf_make(frame, len), &self, req);
}

/* Parses a copy of the reference request with one byte changed. */
static enum arp_verdict parse_mutated(size_t at, uint8_t value)
{
	uint8_t f[sizeof(arp_request)];
	struct arp_request req;
	memcpy(f, arp_request, sizeof(f));
	f[at] = value;
	return parse(f, sizeof(f), &req);
}

static void test_parses_request(void **state)
{
	struct arp_request req;
	assert_int_equal(parse(arp_request, sizeof(arp_request), &req), ARP_REQUEST);
	assert_memory_equal(req.eth_src.b, peer.b, 6);
	assert_memory_equal(req.sender_mac.b, peer.b, 6);
	assert_int_equal(req.sender_ip.family, IP_V4);
	assert_memory_equal(req.sender_ip.bytes, "\xc0\x00\x02\x01", 4);
	assert_int_equal(req.target_ip.family, IP_V4);
	assert_memory_equal(req.target_ip.bytes, "\xc0\x00\x02\x0a", 4);
	assert_false(req.probe);
	/* The unused bytes of the IPv4 ip_addr are zero, so it compares equal to a fresh one. */
	ip_addr want = v4(192, 0, 2, 10);
	assert_memory_equal(&req.target_ip, &want, sizeof(want));
}

static void test_accepts_unpadded_and_rejects_truncated(void **state)
{
	struct arp_request req;
	assert_int_equal(parse(arp_request, ARP_FRAME_LEN, &req), ARP_REQUEST);
	assert_int_equal(parse(arp_request, ARP_FRAME_LEN - 1, &req), ARP_ERR_TRUNCATED);
	assert_int_equal(parse(arp_request, 0, &req), ARP_ERR_TRUNCATED);
	assert_int_equal(parse(NULL, 0, &req), ARP_ERR_TRUNCATED);
}

static void test_builds_reply(void **state)
{
	struct arp_request req;
	uint8_t out[ARP_FRAME_MAX];
	assert_int_equal(parse(arp_request, sizeof(arp_request), &req), ARP_REQUEST);
	wbuf w = wbuf_make(out, sizeof(out));
	arp_build_reply(&w, &req, &self);
	assert_true(wbuf_ok(&w));
	assert_int_equal(wbuf_len(&w), sizeof(arp_reply_expected));
	/* Field by field (RFC 826 "Packet Reception"), then the whole frame against scapy's. */
	assert_memory_equal(out + OFF_ETH_DST, peer.b, 6);          /* unicast to ar$sha */
	assert_memory_equal(out + OFF_ETH_SRC, self.b, 6);
	assert_memory_equal(out + OFF_ETHERTYPE, "\x08\x06", 2);
	assert_memory_equal(out + OFF_HTYPE, "\x00\x01\x08\x00\x06\x04", 6);
	assert_memory_equal(out + OFF_OP, "\x00\x02", 2);             /* reply */
	assert_memory_equal(out + OFF_SHA, self.b, 6);
	assert_memory_equal(out + OFF_SPA, "\xc0\x00\x02\x0a", 4);   /* the address asked for */
	assert_memory_equal(out + OFF_THA, peer.b, 6);
	assert_memory_equal(out + OFF_TPA, "\xc0\x00\x02\x01", 4);
	assert_memory_equal(out, arp_reply_expected, sizeof(arp_reply_expected));
}

static void test_reply_to_probe_goes_to_prober_with_zero_address(void **state)
{
	/* RFC 5227 2.1.1: a probe has sender IP 0.0.0.0; Linux answers it, and so do we. */
	uint8_t f[sizeof(arp_request)];
	uint8_t out[ARP_FRAME_MAX];
	struct arp_request req;
	memcpy(f, arp_request, sizeof(f));
	memset(f + OFF_SPA, 0, 4);
	assert_int_equal(parse(f, sizeof(f), &req), ARP_REQUEST);
	assert_true(req.probe);
	wbuf w = wbuf_make(out, sizeof(out));
	arp_build_reply(&w, &req, &self);
	assert_true(wbuf_ok(&w));
	assert_memory_equal(out + OFF_ETH_DST, peer.b, 6);
	assert_memory_equal(out + OFF_SPA, "\xc0\x00\x02\x0a", 4);
	assert_memory_equal(out + OFF_TPA, "\x00\x00\x00\x00", 4);
}

static void test_builds_gratuitous_request(void **state)
{
	uint8_t out[ARP_FRAME_MAX];
	ip_addr ip = v4(192, 0, 2, 10);
	wbuf w = wbuf_make(out, sizeof(out));
	arp_build_gratuitous_request(&w, &ip, &self);
	assert_true(wbuf_ok(&w));
	assert_int_equal(wbuf_len(&w), 60);
	assert_memory_equal(out + OFF_ETH_DST, eth_broadcast.b, 6);
	assert_memory_equal(out + OFF_OP, "\x00\x01", 2);
	assert_memory_equal(out + OFF_SHA, self.b, 6);
	assert_memory_equal(out + OFF_SPA, "\xc0\x00\x02\x0a", 4);
	assert_memory_equal(out + OFF_THA, "\0\0\0\0\0\0", 6);       /* RFC 5227 3: zero */
	assert_memory_equal(out + OFF_TPA, "\xc0\x00\x02\x0a", 4);
	assert_memory_equal(out, garp_request_expected, sizeof(garp_request_expected));
}

static void test_builds_gratuitous_reply(void **state)
{
	uint8_t out[ARP_FRAME_MAX];
	ip_addr ip = v4(192, 0, 2, 10);
	wbuf w = wbuf_make(out, sizeof(out));
	arp_build_gratuitous_reply(&w, &ip, &self);
	assert_true(wbuf_ok(&w));
	assert_int_equal(wbuf_len(&w), 60);
	assert_memory_equal(out + OFF_ETH_DST, eth_broadcast.b, 6);
	assert_memory_equal(out + OFF_OP, "\x00\x02", 2);
	assert_memory_equal(out + OFF_SHA, self.b, 6);
	assert_memory_equal(out + OFF_SPA, "\xc0\x00\x02\x0a", 4);
	assert_memory_equal(out + OFF_THA, self.b, 6);               /* RFC 2002 4.6 */
	assert_memory_equal(out + OFF_TPA, "\xc0\x00\x02\x0a", 4);
	assert_memory_equal(out, garp_reply_expected, sizeof(garp_reply_expected));
}

static void test_our_gratuitous_frames_are_not_answered(void **state)
{
	struct arp_request req;
	assert_int_equal(parse(garp_request_expected, 60, &req), ARP_ERR_OWN);
	assert_int_equal(parse(garp_reply_expected, 60, &req), ARP_ERR_NOT_REQUEST);
	/* The same announcement from another host is a conflict, not a question. */
	eth_addr other = { { 0x02, 0, 0, 0, 0, 0x77 } };
	assert_int_equal(arp_parse(rbuf_make(garp_request_expected, 60), &other, &req),
			 ARP_ERR_ANNOUNCEMENT);
	assert_memory_equal(req.sender_mac.b, self.b, 6);
}

static void test_short_buffer_sets_overflow(void **state)
{
	uint8_t out[ARP_FRAME_MAX - 1];
	ip_addr ip = v4(192, 0, 2, 10);
	struct arp_request req;
	assert_int_equal(parse(arp_request, sizeof(arp_request), &req), ARP_REQUEST);
	wbuf w = wbuf_make(out, sizeof(out));
	arp_build_reply(&w, &req, &self);
	assert_false(wbuf_ok(&w));
	w = wbuf_make(out, ARP_FRAME_LEN - 1);
	arp_build_gratuitous_request(&w, &ip, &self);
	assert_false(wbuf_ok(&w));
	w = wbuf_make(out, 10);
	arp_build_gratuitous_reply(&w, &ip, &self);
	assert_false(wbuf_ok(&w));
}

static void test_rejects_wrong_types_and_lengths(void **state)
{
	assert_int_equal(parse_mutated(OFF_ETHERTYPE + 1, 0x00), ARP_ERR_ETHERTYPE);   /* 0x0800 */
	assert_int_equal(parse_mutated(OFF_HTYPE + 1, 0x06), ARP_ERR_HTYPE);           /* IEEE 802 */
	assert_int_equal(parse_mutated(OFF_PTYPE, 0x86), ARP_ERR_PTYPE);
	assert_int_equal(parse_mutated(OFF_HLEN, 8), ARP_ERR_HLEN);
	assert_int_equal(parse_mutated(OFF_HLEN, 0), ARP_ERR_HLEN);
	assert_int_equal(parse_mutated(OFF_PLEN, 16), ARP_ERR_PLEN);
	assert_int_equal(parse_mutated(OFF_OP + 1, ARP_OP_REPLY), ARP_ERR_NOT_REQUEST);
	assert_int_equal(parse_mutated(OFF_OP + 1, 3), ARP_ERR_NOT_REQUEST);            /* RARP */
	assert_int_equal(parse_mutated(OFF_OP, 1), ARP_ERR_NOT_REQUEST);                /* 0x0101 */
}

static void test_rejects_bad_sender_hardware_address(void **state)
{
	uint8_t f[sizeof(arp_request)];
	struct arp_request req;
	memcpy(f, arp_request, sizeof(f));
	memset(f + OFF_SHA, 0xff, 6);
	assert_int_equal(parse(f, sizeof(f), &req), ARP_ERR_SENDER_MAC);
	memset(f + OFF_SHA, 0, 6);
	assert_int_equal(parse(f, sizeof(f), &req), ARP_ERR_SENDER_MAC);
	assert_int_equal(parse_mutated(OFF_SHA, 0x01), ARP_ERR_SENDER_MAC);             /* group bit */
}

static void test_ignores_own_requests(void **state)
{
	uint8_t f[sizeof(arp_request)];
	struct arp_request req;
	memcpy(f, arp_request, sizeof(f));
	memcpy(f + OFF_ETH_SRC, self.b, 6);
	assert_int_equal(parse(f, sizeof(f), &req), ARP_ERR_OWN);
	memcpy(f, arp_request, sizeof(f));
	memcpy(f + OFF_SHA, self.b, 6);
	assert_int_equal(parse(f, sizeof(f), &req), ARP_ERR_OWN);
}

static void test_verdict_names(void **state)
{
	for (int v = ARP_REQUEST; v <= ARP_ERR_ANNOUNCEMENT; v++)
		assert_string_not_equal(arp_verdict_name((enum arp_verdict)v), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parses_request),
		cmocka_unit_test(test_accepts_unpadded_and_rejects_truncated),
		cmocka_unit_test(test_builds_reply),
		cmocka_unit_test(test_reply_to_probe_goes_to_prober_with_zero_address),
		cmocka_unit_test(test_builds_gratuitous_request),
		cmocka_unit_test(test_builds_gratuitous_reply),
		cmocka_unit_test(test_our_gratuitous_frames_are_not_answered),
		cmocka_unit_test(test_short_buffer_sets_overflow),
		cmocka_unit_test(test_rejects_wrong_types_and_lengths),
		cmocka_unit_test(test_rejects_bad_sender_hardware_address),
		cmocka_unit_test(test_ignores_own_requests),
		cmocka_unit_test(test_verdict_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
