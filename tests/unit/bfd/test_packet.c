/* Unit tests for the BFD Control packet codec (bfd/packet.c): byte vectors both ways and every
 * reception check of RFC 5880 §6.8.6 that needs no session. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "bfd/packet.h"

/* Vers 1, Diag 0, State Up, P, Detect Mult 3, Length 24, My 1, Your 2, 300 ms / 300 ms, echo 0. */
static const uint8_t up_poll[24] = {
	0x20, 0xe0, 0x03, 0x18,
	0x00, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x02,
	0x00, 0x04, 0x93, 0xe0,
	0x00, 0x04, 0x93, 0xe0,
	0x00, 0x00, 0x00, 0x00,
};

static enum bfd_rx_check decode(const uint8_t *bytes, size_t len, struct bfd_packet *p)
{
	rbuf r = rbuf_make(bytes, len);
	return bfd_packet_decode(&r, p);
}

static void test_encode_vector(void **state)
{
	(void)state;
	struct bfd_packet p = {
		.state = BFD_STATE_UP, .poll = true, .detect_mult = 3, .my_discr = 1,
		.your_discr = 2, .desired_min_tx_us = 300000, .required_min_rx_us = 300000,
	};
	uint8_t buf[64];
	wbuf w = wbuf_make(buf, sizeof(buf));
	bfd_packet_encode(&w, &p);
	assert_true(wbuf_ok(&w));
	assert_int_equal(wbuf_len(&w), 24);
	assert_memory_equal(buf, up_poll, 24);
}

static void test_encode_overflow(void **state)
{
	(void)state;
	struct bfd_packet p = { .state = BFD_STATE_DOWN, .detect_mult = 3, .my_discr = 1 };
	uint8_t buf[23];
	wbuf w = wbuf_make(buf, sizeof(buf));
	bfd_packet_encode(&w, &p);
	assert_false(wbuf_ok(&w));
}

static void test_encode_never_poll_and_final(void **state)
{
	(void)state;
	struct bfd_packet p = { .state = BFD_STATE_UP, .poll = true, .final = true,
				.detect_mult = 3, .my_discr = 1 };
	uint8_t buf[24];
	wbuf w = wbuf_make(buf, sizeof(buf));
	bfd_packet_encode(&w, &p);
	assert_int_equal(buf[1], 0xc0 | BFD_FLAG_FINAL);   /* RFC 5880 §6.5 */
}

static void test_decode_vector(void **state)
{
	(void)state;
	struct bfd_packet p;
	assert_int_equal(decode(up_poll, sizeof(up_poll), &p), BFD_RX_OK);
	assert_int_equal(p.version, 1);
	assert_int_equal(p.diag, 0);
	assert_int_equal(p.state, BFD_STATE_UP);
	assert_true(p.poll);
	assert_false(p.final || p.cpi || p.auth || p.demand || p.multipoint);
	assert_int_equal(p.detect_mult, 3);
	assert_int_equal(p.length, 24);
	assert_int_equal(p.my_discr, 1);
	assert_int_equal(p.your_discr, 2);
	assert_int_equal(p.desired_min_tx_us, 300000);
	assert_int_equal(p.required_min_rx_us, 300000);
	assert_int_equal(p.required_min_echo_rx_us, 0);
}

static void test_roundtrip_all_fields(void **state)
{
	(void)state;
	struct bfd_packet in = {
		.diag = BFD_DIAG_ADMIN_DOWN, .state = BFD_STATE_INIT, .final = true, .cpi = true,
		.demand = true, .detect_mult = 255, .my_discr = 0xdeadbeef, .your_discr = 0xffffffff,
		.desired_min_tx_us = 10000, .required_min_rx_us = 60000000,
	}, out;
	uint8_t buf[24];
	wbuf w = wbuf_make(buf, sizeof(buf));
	bfd_packet_encode(&w, &in);
	assert_int_equal(decode(buf, 24, &out), BFD_RX_OK);
	assert_int_equal(out.diag, BFD_DIAG_ADMIN_DOWN);
	assert_int_equal(out.state, BFD_STATE_INIT);
	assert_true(out.final && out.cpi && out.demand);
	assert_false(out.poll);
	assert_int_equal(out.detect_mult, 255);
	assert_int_equal(out.my_discr, 0xdeadbeef);
	assert_int_equal(out.your_discr, 0xffffffff);
	assert_int_equal(out.desired_min_tx_us, 10000);
	assert_int_equal(out.required_min_rx_us, 60000000);
}

/* A packet with one byte changed, checked for the expected verdict. */
static enum bfd_rx_check with(size_t at, uint8_t value, size_t len)
{
	uint8_t buf[64];
	memset(buf, 0, sizeof(buf));
	memcpy(buf, up_poll, sizeof(up_poll));
	buf[at] = value;
	struct bfd_packet p;
	return decode(buf, len, &p);
}

static void test_reject_short(void **state)
{
	(void)state;
	for (size_t len = 0; len < 24; len++)
		assert_int_equal(with(0, 0x20, len), BFD_RX_SHORT);
}

static void test_reject_version(void **state)
{
	(void)state;
	/* RFC 5880 §6.8.6: version must be 1. */
	assert_int_equal(with(0, 0x00, 24), BFD_RX_BAD_VERSION);
	assert_int_equal(with(0, 0x40, 24), BFD_RX_BAD_VERSION);
	assert_int_equal(with(0, 0xe0, 24), BFD_RX_BAD_VERSION);
	assert_int_equal(with(0, 0x3f, 24), BFD_RX_OK);   /* any diag is fine */
}

static void test_reject_length(void **state)
{
	(void)state;
	/* Below 24 without the A bit, below 26 with it. */
	assert_int_equal(with(3, 23, 24), BFD_RX_BAD_LENGTH);
	assert_int_equal(with(3, 0, 24), BFD_RX_BAD_LENGTH);
	uint8_t buf[32];
	memcpy(buf, up_poll, 24);
	memset(buf + 24, 0, 8);
	buf[1] |= BFD_FLAG_AUTH;
	buf[3] = 25;
	struct bfd_packet p;
	assert_int_equal(decode(buf, 32, &p), BFD_RX_BAD_LENGTH);
	/* Beyond the UDP payload. */
	assert_int_equal(with(3, 25, 24), BFD_RX_LENGTH_OVER_PAYLOAD);
	assert_int_equal(with(3, 255, 64), BFD_RX_LENGTH_OVER_PAYLOAD);
	/* Trailing bytes past Length are ignored. */
	assert_int_equal(with(3, 24, 64), BFD_RX_OK);
	assert_int_equal(with(3, 30, 64), BFD_RX_OK);
}

static void test_reject_zero_mult(void **state)
{
	(void)state;
	assert_int_equal(with(2, 0, 24), BFD_RX_ZERO_MULT);
	assert_int_equal(with(2, 1, 24), BFD_RX_OK);
}

static void test_reject_multipoint(void **state)
{
	(void)state;
	assert_int_equal(with(1, 0xe0 | BFD_FLAG_MULTIPOINT, 24), BFD_RX_MULTIPOINT);
}

static void test_reject_zero_my_discr(void **state)
{
	(void)state;
	assert_int_equal(with(7, 0, 24), BFD_RX_ZERO_MY_DISCR);
}

static void test_your_discr_zero_rules(void **state)
{
	(void)state;
	static const uint8_t states[] = { BFD_STATE_ADMIN_DOWN, BFD_STATE_DOWN, BFD_STATE_INIT,
					  BFD_STATE_UP };
	static const enum bfd_rx_check want[] = { BFD_RX_OK, BFD_RX_OK, BFD_RX_ZERO_YOUR_DISCR,
						  BFD_RX_ZERO_YOUR_DISCR };
	for (size_t i = 0; i < 4; i++) {
		uint8_t buf[24];
		memcpy(buf, up_poll, 24);
		buf[1] = (uint8_t)(states[i] << 6);
		memset(buf + 8, 0, 4);
		struct bfd_packet p;
		assert_int_equal(decode(buf, 24, &p), want[i]);
	}
}

static void test_reject_auth(void **state)
{
	(void)state;
	/* §6.8.6: A bit set and no authentication in use: discarded, even when well formed. */
	uint8_t buf[48];
	memcpy(buf, up_poll, 24);
	static const uint8_t simple_auth[] = { 1, 8, 1, 'p', 'a', 's', 's', 'w' };
	memcpy(buf + 24, simple_auth, sizeof(simple_auth));
	buf[1] |= BFD_FLAG_AUTH;
	buf[3] = 32;
	struct bfd_packet p;
	assert_int_equal(decode(buf, 32, &p), BFD_RX_AUTH);
}

static void test_check_names(void **state)
{
	(void)state;
	for (int c = BFD_RX_OK; c <= BFD_RX_BAD_TTL; c++)
		assert_string_not_equal(bfd_rx_check_name((enum bfd_rx_check)c), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_vector),
		cmocka_unit_test(test_encode_overflow),
		cmocka_unit_test(test_encode_never_poll_and_final),
		cmocka_unit_test(test_decode_vector),
		cmocka_unit_test(test_roundtrip_all_fields),
		cmocka_unit_test(test_reject_short),
		cmocka_unit_test(test_reject_version),
		cmocka_unit_test(test_reject_length),
		cmocka_unit_test(test_reject_zero_mult),
		cmocka_unit_test(test_reject_multipoint),
		cmocka_unit_test(test_reject_zero_my_discr),
		cmocka_unit_test(test_your_discr_zero_rules),
		cmocka_unit_test(test_reject_auth),
		cmocka_unit_test(test_check_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
