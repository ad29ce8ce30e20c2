/*
 * Unit tests for the SWIM packet codec (swim/wire.c): a byte vector for the header, round trips
 * of every message type with gossip, MAC checks (tampered byte, wrong key, truncation), refused
 * names and trailing bytes, and gossip packing that stops at the packet size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "swim/wire.h"

static const uint8_t key[SWIM_KEY_LEN] = { 1, 2, 3 };

static struct swim_name nm(const char *s)
{
	struct swim_name n = { s, strlen(s) };
	return n;
}

static size_t encode(const struct swim_msg *m, const struct swim_gossip *g, size_t n,
		     uint8_t *buf, size_t cap, int *put)
{
	wbuf w = wbuf_make(buf, cap);
	*put = swim_wire_encode(&w, key, m, g, n);
	return wbuf_len(&w);
}

static void test_header_vector(void **state)
{
	(void)state;
	struct swim_msg m = { .type = SWIM_MSG_ACK, .nonce = 0x0102030405060708ULL, .seq = 9,
			      .incarnation = 10, .sender = nm("a"), .probe = 0x11223344 };
	uint8_t buf[SWIM_MAX_PACKET];
	int put;
	size_t len = encode(&m, NULL, 0, buf, sizeof(buf), &put);
	static const uint8_t want[] = {
		'I', 'N', 'G', 'S', 1, SWIM_MSG_ACK, 0, 0,
		1, 2, 3, 4, 5, 6, 7, 8,
		0, 0, 0, 0, 0, 0, 0, 9,
		0, 0, 0, 0, 0, 0, 0, 10,
		1, 'a',
		0x11, 0x22, 0x33, 0x44,
		0,
	};
	assert_int_equal(put, 0);
	assert_int_equal(len, sizeof(want) + SWIM_MAC_LEN);
	assert_memory_equal(buf, want, sizeof(want));
	size_t blen;
	assert_true(swim_wire_verify(key, buf, len, &blen));
	assert_int_equal(blen, sizeof(want));
}

static void test_roundtrip_all_types(void **state)
{
	(void)state;
	struct swim_gossip g[2] = {
		{ SWIM_SUSPECT, 77, nm("node-2.example"), nm("node_1") },
		{ SWIM_LEFT, 78, nm("n3"), nm("") },
	};
	uint8_t types[] = { SWIM_MSG_PING, SWIM_MSG_ACK, SWIM_MSG_PING_REQ, SWIM_MSG_NACK,
			    SWIM_MSG_LEAVE };
	for (size_t t = 0; t < sizeof(types); t++) {
		struct swim_msg m = { .type = types[t], .nonce = 5, .seq = 6, .incarnation = 7,
				      .sender = nm("me"), .probe = 42, .target = nm("you"),
				      .view_state = SWIM_SUSPECT, .view_incarnation = 99 };
		uint8_t buf[SWIM_MAX_PACKET];
		int put;
		size_t len = encode(&m, g, 2, buf, sizeof(buf), &put);
		assert_int_equal(put, 2);
		size_t blen;
		assert_true(swim_wire_verify(key, buf, len, &blen));
		struct swim_msg d;
		assert_true(swim_wire_decode(buf, blen, &d));
		assert_int_equal(d.type, types[t]);
		assert_int_equal(d.nonce, 5);
		assert_int_equal(d.seq, 6);
		assert_int_equal(d.incarnation, 7);
		assert_int_equal(d.sender.len, 2);
		assert_memory_equal(d.sender.p, "me", 2);
		assert_int_equal(d.ngossip, 2);
		assert_int_equal(d.gossip[0].state, SWIM_SUSPECT);
		assert_int_equal(d.gossip[0].incarnation, 77);
		assert_memory_equal(d.gossip[0].from.p, "node_1", 6);
		assert_int_equal(d.gossip[1].from.len, 0);
		if (types[t] != SWIM_MSG_LEAVE)
			assert_int_equal(d.probe, 42);
		if (types[t] == SWIM_MSG_PING) {
			assert_int_equal(d.view_state, SWIM_SUSPECT);
			assert_int_equal(d.view_incarnation, 99);
		}
		if (types[t] == SWIM_MSG_PING || types[t] == SWIM_MSG_PING_REQ)
			assert_memory_equal(d.target.p, "you", 3);
	}
}

static void test_mac_checks(void **state)
{
	(void)state;
	struct swim_msg m = { .type = SWIM_MSG_PING, .sender = nm("me"), .target = nm("you") };
	uint8_t buf[SWIM_MAX_PACKET];
	int put;
	size_t len = encode(&m, NULL, 0, buf, sizeof(buf), &put);
	size_t blen;
	assert_true(swim_wire_verify(key, buf, len, &blen));
	for (size_t i = 0; i < len; i++) {
		buf[i] ^= 0x01;
		assert_false(swim_wire_verify(key, buf, len, &blen));
		buf[i] ^= 0x01;
	}
	uint8_t other[SWIM_KEY_LEN] = { 1, 2, 4 };
	assert_false(swim_wire_verify(other, buf, len, &blen));
	assert_false(swim_wire_verify(key, buf, len - 1, &blen));
	assert_false(swim_wire_verify(key, buf, 10, &blen));
}

static void test_decode_refuses(void **state)
{
	(void)state;
	struct swim_msg m = { .type = SWIM_MSG_ACK, .sender = nm("me") };
	uint8_t buf[SWIM_MAX_PACKET];
	int put;
	size_t len = encode(&m, NULL, 0, buf, sizeof(buf), &put);
	size_t blen = len - SWIM_MAC_LEN;
	struct swim_msg d;
	assert_true(swim_wire_decode(buf, blen, &d));
	/* trailing byte */
	buf[blen] = 0;
	assert_false(swim_wire_decode(buf, blen + 1, &d));
	/* bad magic, version, type */
	buf[0] = 'X';
	assert_false(swim_wire_decode(buf, blen, &d));
	buf[0] = 'I';
	buf[4] = 2;
	assert_false(swim_wire_decode(buf, blen, &d));
	buf[4] = 1;
	buf[5] = 9;
	assert_false(swim_wire_decode(buf, blen, &d));
	buf[5] = SWIM_MSG_ACK;
	/* a name with a space or a control character */
	buf[33] = ' ';
	assert_false(swim_wire_decode(buf, blen, &d));
	buf[33] = 'm';
	assert_true(swim_wire_decode(buf, blen, &d));
	/* truncated anywhere */
	for (size_t n = 0; n < blen; n++)
		assert_false(swim_wire_decode(buf, n, &d));
	assert_false(swim_name_valid("", 0));
	assert_false(swim_name_valid("a/b", 3));
	assert_true(swim_name_valid("ip-10-0-0-1.ec2.internal", 24));
}

/* More gossip than fits: as many as fit, the packet stays under SWIM_MAX_PACKET. */
static void test_gossip_packing(void **state)
{
	(void)state;
	char names[SWIM_MAX_GOSSIP][200];
	struct swim_gossip g[SWIM_MAX_GOSSIP];
	for (size_t i = 0; i < SWIM_MAX_GOSSIP; i++) {
		memset(names[i], 'a' + (char)(i % 26), 199);
		names[i][199] = 0;
		g[i] = (struct swim_gossip){ SWIM_ALIVE, i, nm(names[i]), nm("") };
	}
	struct swim_msg m = { .type = SWIM_MSG_ACK, .sender = nm("me") };
	uint8_t buf[4096];
	int put;
	size_t len = encode(&m, g, SWIM_MAX_GOSSIP, buf, sizeof(buf), &put);
	assert_true(put > 0 && put < SWIM_MAX_GOSSIP);
	assert_true(len <= SWIM_MAX_PACKET);
	size_t blen;
	assert_true(swim_wire_verify(key, buf, len, &blen));
	struct swim_msg d;
	assert_true(swim_wire_decode(buf, blen, &d));
	assert_int_equal(d.ngossip, (size_t)put);
	/* Not even the header fits: -1. */
	assert_int_equal(encode(&m, NULL, 0, buf, 20, &put), 20);
	assert_int_equal(put, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_vector),
		cmocka_unit_test(test_roundtrip_all_types),
		cmocka_unit_test(test_mac_checks),
		cmocka_unit_test(test_decode_refuses),
		cmocka_unit_test(test_gossip_packing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
