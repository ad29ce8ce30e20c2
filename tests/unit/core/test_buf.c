/* Unit tests for the bounds-checked reader and writer (core/buf.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/buf.h"

static void test_reads_in_network_order(void **state)
{
	const uint8_t bytes[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07 };
	rbuf b = rbuf_make(bytes, sizeof(bytes));
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	assert_true(rbuf_get_u8(&b, &u8));
	assert_int_equal(u8, 0x01);
	assert_true(rbuf_get_u16(&b, &u16));
	assert_int_equal(u16, 0x0203);
	assert_true(rbuf_get_u32(&b, &u32));
	assert_int_equal(u32, 0x04050607);
	assert_true(rbuf_empty(&b));
}

static void test_short_reads_fail_and_consume_nothing(void **state)
{
	const uint8_t bytes[] = { 0xaa, 0xbb, 0xcc };
	rbuf b = rbuf_make(bytes, sizeof(bytes));
	uint32_t u32 = 0x12345678;
	uint8_t out[4];
	assert_false(rbuf_get_u32(&b, &u32));
	assert_int_equal(u32, 0x12345678);        /* untouched */
	assert_int_equal(rbuf_left(&b), 3);
	assert_false(rbuf_get_bytes(&b, out, 4));
	assert_false(rbuf_skip(&b, 4));
	assert_int_equal(rbuf_left(&b), 3);
	uint16_t u16;
	assert_true(rbuf_get_u16(&b, &u16));
	assert_false(rbuf_get_u16(&b, &u16));     /* one byte left */
	assert_int_equal(rbuf_left(&b), 1);
	uint8_t u8;
	assert_true(rbuf_peek_u8(&b, 0, &u8));
	assert_int_equal(u8, 0xcc);
	assert_false(rbuf_peek_u8(&b, 1, &u8));
}

static void test_empty_view(void **state)
{
	rbuf b = rbuf_make(NULL, 0);
	uint8_t u8;
	assert_true(rbuf_empty(&b));
	assert_false(rbuf_get_u8(&b, &u8));
	assert_true(rbuf_skip(&b, 0));
	assert_true(rbuf_get_bytes(&b, &u8, 0));
	rbuf sub;
	assert_true(rbuf_sub(&b, 0, &sub));
	assert_true(rbuf_empty(&sub));
}

static void test_sub_view_is_bounded(void **state)
{
	/* A TLV: type 1, length 2, value 0xbeef, then a trailing byte the sub-view must not see. */
	const uint8_t bytes[] = { 0x01, 0x02, 0xbe, 0xef, 0x99 };
	rbuf b = rbuf_make(bytes, sizeof(bytes));
	uint8_t type, len;
	rbuf value;
	assert_true(rbuf_get_u8(&b, &type));
	assert_true(rbuf_get_u8(&b, &len));
	assert_true(rbuf_sub(&b, len, &value));
	uint32_t u32;
	assert_false(rbuf_get_u32(&value, &u32));  /* cannot read into the trailing byte */
	uint16_t u16;
	assert_true(rbuf_get_u16(&value, &u16));
	assert_int_equal(u16, 0xbeef);
	assert_true(rbuf_empty(&value));
	assert_int_equal(rbuf_left(&b), 1);
	/* A declared length longer than what is there fails without moving. */
	rbuf c = rbuf_make(bytes, sizeof(bytes));
	assert_false(rbuf_sub(&c, 6, &value));
	assert_int_equal(rbuf_offset(&c), 0);
}

static void test_rest_and_ptr(void **state)
{
	const uint8_t bytes[] = { 1, 2, 3, 4 };
	rbuf b = rbuf_make(bytes, sizeof(bytes));
	const uint8_t *p;
	assert_true(rbuf_get_ptr(&b, 1, &p));
	assert_int_equal(*p, 1);
	rbuf rest = rbuf_rest(&b);
	assert_true(rbuf_empty(&b));
	assert_int_equal(rbuf_left(&rest), 3);
	assert_false(rbuf_get_ptr(&b, 1, &p));
}

static void test_writer_sticky_overflow(void **state)
{
	uint8_t storage[5];
	wbuf w = wbuf_make(storage, sizeof(storage));
	wbuf_put_u16(&w, 0x0102);
	wbuf_put_u16(&w, 0x0304);
	assert_true(wbuf_ok(&w));
	wbuf_put_u16(&w, 0x0506);                  /* does not fit: one byte of room */
	assert_false(wbuf_ok(&w));
	wbuf_put_u8(&w, 0x07);                     /* fits by size, but the error is sticky */
	assert_false(wbuf_ok(&w));
	assert_int_equal(wbuf_len(&w), 4);
	assert_memory_equal(storage, ((uint8_t[]){ 1, 2, 3, 4 }), 4);
	assert_int_equal(wbuf_room(&w), 0);
}

static void test_writer_reserve_and_patch(void **state)
{
	uint8_t storage[16];
	wbuf w = wbuf_make(storage, sizeof(storage));
	size_t len_at = wbuf_reserve(&w, 2);
	wbuf_put_u32(&w, 0xdeadbeef);
	wbuf_put_bytes(&w, "xy", 2);
	wbuf_put_zero(&w, 1);
	wbuf_set_u16_at(&w, len_at, (uint16_t)(wbuf_len(&w) - 2));
	assert_true(wbuf_ok(&w));
	const uint8_t want[] = { 0x00, 0x07, 0xde, 0xad, 0xbe, 0xef, 'x', 'y', 0x00 };
	assert_int_equal(wbuf_len(&w), sizeof(want));
	assert_memory_equal(storage, want, sizeof(want));
	wbuf_set_u8_at(&w, 0, 0xff);
	assert_int_equal(storage[0], 0xff);
	wbuf_set_u16_at(&w, 8, 0);                 /* would write past the written length */
	assert_false(wbuf_ok(&w));
}

static void test_writer_truncate_undoes_partial_element(void **state)
{
	uint8_t storage[6];
	wbuf w = wbuf_make(storage, sizeof(storage));
	wbuf_put_u32(&w, 1);
	size_t mark = wbuf_len(&w);
	wbuf_put_u32(&w, 2);                       /* does not fit */
	assert_false(wbuf_ok(&w));
	wbuf_truncate(&w, mark);
	assert_true(wbuf_ok(&w));
	assert_int_equal(wbuf_len(&w), 4);
	wbuf_put_u16(&w, 3);
	assert_true(wbuf_ok(&w));
	assert_int_equal(wbuf_len(&w), 6);
	wbuf_truncate(&w, 10);                     /* longer than written: no effect */
	assert_int_equal(wbuf_len(&w), 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_in_network_order),
		cmocka_unit_test(test_short_reads_fail_and_consume_nothing),
		cmocka_unit_test(test_empty_view),
		cmocka_unit_test(test_sub_view_is_bounded),
		cmocka_unit_test(test_rest_and_ptr),
		cmocka_unit_test(test_writer_sticky_overflow),
		cmocka_unit_test(test_writer_reserve_and_patch),
		cmocka_unit_test(test_writer_truncate_undoes_partial_element),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
