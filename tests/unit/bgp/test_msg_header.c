/* Unit tests for BGP framing, KEEPALIVE, NOTIFICATION and ROUTE-REFRESH (bgp/msg_header.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "bgp_test_util.h"

static struct bgp_error err;

static void expect_frame_error(const uint8_t *bytes, size_t len, uint8_t code, uint8_t subcode,
			       const uint8_t *data, size_t data_len)
{
	rbuf r = rbuf_make(bytes, len);
	struct bgp_header h;
	assert_int_equal(bgp_frame(&r, &h, &err), BGP_FRAME_ERROR);
	assert_int_equal(err.code, code);
	assert_int_equal(err.subcode, subcode);
	assert_int_equal(err.disposition, BGP_DISP_SESSION_RESET);
	assert_int_equal(err.data_len, data_len);
	if (data_len)
		assert_memory_equal(err.data, data, data_len);
	assert_int_equal(rbuf_left(&r), len);   /* nothing consumed */
}

static void test_keepalive_vector(void **state)
{
	const uint8_t want[] = { MARKER, 0x00, 0x13, 0x04 };
	uint8_t buf[64];
	wbuf w = wbuf_make(buf, sizeof(buf));
	bgp_keepalive_encode(&w);
	assert_true(wbuf_ok(&w));
	assert_int_equal(wbuf_len(&w), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));

	rbuf r = rbuf_make(buf, wbuf_len(&w));
	struct bgp_header h;
	assert_int_equal(bgp_frame(&r, &h, &err), BGP_FRAME_OK);
	assert_int_equal(h.len, 19);
	assert_int_equal(h.type, BGP_MSG_KEEPALIVE);
	struct bgp_msg m;
	assert_true(bgp_msg_decode(&r, &(struct bgp_codec_opts){ .as4 = true }, &m, &err));
	assert_int_equal(m.type, BGP_MSG_KEEPALIVE);
	bgp_msg_free(&m);
}

static void test_frame_needs_whole_header(void **state)
{
	const uint8_t bytes[] = { MARKER, 0x00, 0x13 };
	rbuf r = rbuf_make(bytes, sizeof(bytes));
	struct bgp_header h;
	assert_int_equal(bgp_frame(&r, &h, &err), BGP_FRAME_NEED_MORE);
	r = rbuf_make(NULL, 0);
	assert_int_equal(bgp_frame(&r, &h, &err), BGP_FRAME_NEED_MORE);
}

static void test_bad_marker(void **state)
{
	uint8_t bytes[] = { MARKER, 0x00, 0x13, 0x04 };
	bytes[7] = 0xfe;
	/* RFC 4271 §6.1: Connection Not Synchronized, no data. */
	expect_frame_error(bytes, sizeof(bytes), 1, 1, NULL, 0);
}

static void test_bad_lengths(void **state)
{
	/* RFC 4271 §6.1: Bad Message Length, data = the erroneous Length field. */
	uint8_t short_len[] = { MARKER, 0x00, 0x12, 0x04 };
	expect_frame_error(short_len, sizeof(short_len), 1, 2, (const uint8_t[]){ 0x00, 0x12 }, 2);
	uint8_t long_len[] = { MARKER, 0x10, 0x01, 0x02 };
	expect_frame_error(long_len, sizeof(long_len), 1, 2, (const uint8_t[]){ 0x10, 0x01 }, 2);
	uint8_t keepalive20[] = { MARKER, 0x00, 0x14, 0x04 };
	expect_frame_error(keepalive20, sizeof(keepalive20), 1, 2, (const uint8_t[]){ 0x00, 0x14 }, 2);
	uint8_t open28[] = { MARKER, 0x00, 0x1c, 0x01 };
	expect_frame_error(open28, sizeof(open28), 1, 2, (const uint8_t[]){ 0x00, 0x1c }, 2);
	uint8_t update22[] = { MARKER, 0x00, 0x16, 0x02 };
	expect_frame_error(update22, sizeof(update22), 1, 2, (const uint8_t[]){ 0x00, 0x16 }, 2);
	uint8_t notif20[] = { MARKER, 0x00, 0x14, 0x03 };
	expect_frame_error(notif20, sizeof(notif20), 1, 2, (const uint8_t[]){ 0x00, 0x14 }, 2);
	uint8_t rr24[] = { MARKER, 0x00, 0x18, 0x05 };
	expect_frame_error(rr24, sizeof(rr24), 1, 2, (const uint8_t[]){ 0x00, 0x18 }, 2);
	/* The limits themselves are fine. */
	uint8_t max_update[] = { MARKER, 0x10, 0x00, 0x02 };
	rbuf r = rbuf_make(max_update, sizeof(max_update));
	struct bgp_header h;
	assert_int_equal(bgp_frame(&r, &h, &err), BGP_FRAME_OK);
	assert_int_equal(h.len, 4096);
}

static void test_bad_type(void **state)
{
	/* RFC 4271 §6.1: Bad Message Type, data = the Type field. */
	uint8_t type6[] = { MARKER, 0x00, 0x13, 0x06 };
	expect_frame_error(type6, sizeof(type6), 1, 3, (const uint8_t[]){ 0x06 }, 1);
	uint8_t type0[] = { MARKER, 0x00, 0x13, 0x00 };
	expect_frame_error(type0, sizeof(type0), 1, 3, (const uint8_t[]){ 0x00 }, 1);
}

static void test_msg_decode_length_mismatch(void **state)
{
	/* The Length field says 19 but 20 bytes were handed over. */
	const uint8_t bytes[] = { MARKER, 0x00, 0x13, 0x04, 0x00 };
	rbuf r = rbuf_make(bytes, sizeof(bytes));
	struct bgp_msg m;
	assert_false(bgp_msg_decode(&r, &(struct bgp_codec_opts){ 0 }, &m, &err));
	assert_int_equal(err.code, 1);
	assert_int_equal(err.subcode, 2);
}

static void test_notification_vector(void **state)
{
	/* Cease / Administrative Shutdown with an RFC 9003 communication "bye". */
	const uint8_t want[] = { MARKER, 0x00, 0x19, 0x03, 0x06, 0x02, 0x03, 'b', 'y', 'e' };
	uint8_t buf[64];
	wbuf w = wbuf_make(buf, sizeof(buf));
	bgp_notification_encode(&w, 6, 2, (const uint8_t[]){ 3, 'b', 'y', 'e' }, 4);
	assert_true(wbuf_ok(&w));
	assert_int_equal(wbuf_len(&w), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));

	rbuf r = rbuf_make(want, sizeof(want));
	struct bgp_msg m;
	assert_true(bgp_msg_decode(&r, &(struct bgp_codec_opts){ 0 }, &m, &err));
	assert_int_equal(m.type, BGP_MSG_NOTIFICATION);
	assert_int_equal(m.u.notification.code, 6);
	assert_int_equal(m.u.notification.subcode, 2);
	assert_int_equal(m.u.notification.data_len, 4);
	assert_memory_equal(m.u.notification.data, "\x03" "bye", 4);
	assert_false(m.u.notification.hard_reset);
	assert_string_equal(bgp_error_name(6, 2), "administrative shutdown");
	assert_string_equal(bgp_error_name(8, 0), "send hold timer expired");
}

static void test_notification_from_error(void **state)
{
	struct bgp_error e = { .code = 1, .subcode = 2, .data_len = 2, .data = { 0x00, 0x12 } };
	const uint8_t want[] = { MARKER, 0x00, 0x17, 0x03, 0x01, 0x02, 0x00, 0x12 };
	uint8_t buf[64];
	wbuf w = wbuf_make(buf, sizeof(buf));
	bgp_notification_encode_error(&w, &e);
	assert_int_equal(wbuf_len(&w), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

static void test_hard_reset(void **state)
{
	/* RFC 8538 §3: Cease/Hard Reset (6/9) wrapping Hold Timer Expired (4/0). */
	const uint8_t want[] = { MARKER, 0x00, 0x17, 0x03, 0x06, 0x09, 0x04, 0x00 };
	uint8_t buf[64];
	wbuf w = wbuf_make(buf, sizeof(buf));
	bgp_notification_encode_hard_reset(&w, 4, 0, NULL, 0);
	assert_int_equal(wbuf_len(&w), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	rbuf r = rbuf_make(want, sizeof(want));
	struct bgp_msg m;
	assert_true(bgp_msg_decode(&r, &(struct bgp_codec_opts){ 0 }, &m, &err));
	assert_true(m.u.notification.hard_reset);
	assert_int_equal(m.u.notification.inner_code, 4);
	assert_int_equal(m.u.notification.inner_subcode, 0);
}

static void test_notification_data_is_capped(void **state)
{
	static uint8_t big[5000];
	static uint8_t buf[8192];
	wbuf w = wbuf_make(buf, sizeof(buf));
	bgp_notification_encode(&w, 3, 1, big, sizeof(big));
	assert_int_equal(wbuf_len(&w), BGP_MAX_MSG_LEN);
}

static void test_route_refresh_vector(void **state)
{
	const uint8_t want[] = { MARKER, 0x00, 0x17, 0x05, 0x00, 0x02, 0x00, 0x01 };
	uint8_t buf[64];
	wbuf w = wbuf_make(buf, sizeof(buf));
	bgp_route_refresh_encode(&w, BGP_AFI_IPV6, BGP_SAFI_UNICAST);
	assert_int_equal(wbuf_len(&w), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	rbuf r = rbuf_make(want, sizeof(want));
	struct bgp_msg m;
	assert_true(bgp_msg_decode(&r, &(struct bgp_codec_opts){ 0 }, &m, &err));
	assert_int_equal(m.type, BGP_MSG_ROUTE_REFRESH);
	assert_int_equal(m.u.route_refresh.afi, 2);
	assert_int_equal(m.u.route_refresh.safi, 1);
	assert_int_equal(m.u.route_refresh.subtype, 0);
}

static void test_family_helpers(void **state)
{
	enum bgp_family f;
	assert_true(bgp_family_from_afi_safi(1, 1, &f));
	assert_int_equal(f, BGP_FAM_IPV4_UNICAST);
	assert_true(bgp_family_from_afi_safi(2, 1, &f));
	assert_int_equal(f, BGP_FAM_IPV6_UNICAST);
	assert_false(bgp_family_from_afi_safi(2, 2, &f));
	assert_false(bgp_family_from_afi_safi(25, 65, &f));
	assert_int_equal(bgp_family_afi(BGP_FAM_IPV6_UNICAST), 2);
	assert_int_equal(bgp_family_ip(BGP_FAM_IPV4_UNICAST), IP_V4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keepalive_vector),
		cmocka_unit_test(test_frame_needs_whole_header),
		cmocka_unit_test(test_bad_marker),
		cmocka_unit_test(test_bad_lengths),
		cmocka_unit_test(test_bad_type),
		cmocka_unit_test(test_msg_decode_length_mismatch),
		cmocka_unit_test(test_notification_vector),
		cmocka_unit_test(test_notification_from_error),
		cmocka_unit_test(test_hard_reset),
		cmocka_unit_test(test_notification_data_is_capped),
		cmocka_unit_test(test_route_refresh_vector),
		cmocka_unit_test(test_family_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
