/* Unit tests for OPEN, capabilities, the OPEN policy check and negotiation (bgp/msg_open.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "bgp_test_util.h"

static struct bgp_error err;

/* AS 65001, hold 90, id 10.0.0.1; MP IPv4+IPv6, route refresh, GR (N bit, 120 s, IPv4 with F,
 * IPv6 without), 4-octet AS. */
static const uint8_t open_vector[] = {
	MARKER, 0x00, 0x3f, 0x01,
	0x04, 0xfd, 0xe9, 0x00, 0x5a, 0x0a, 0x00, 0x00, 0x01,
	34,                                   /* Opt Parm Len */
	0x02, 32,                             /* Capabilities parameter */
	0x01, 0x04, 0x00, 0x01, 0x00, 0x01,   /* MP IPv4 unicast */
	0x01, 0x04, 0x00, 0x02, 0x00, 0x01,   /* MP IPv6 unicast */
	0x02, 0x00,                           /* route refresh */
	0x40, 0x0a, 0x40, 0x78,               /* GR: N, 120 s */
	0x00, 0x01, 0x01, 0x80,               /*   IPv4 unicast, F */
	0x00, 0x02, 0x01, 0x00,               /*   IPv6 unicast */
	0x41, 0x04, 0x00, 0x00, 0xfd, 0xe9,   /* 4-octet AS 65001 */
};

static void local_open(struct bgp_open *o)
{
	bgp_open_init(o, 65001, 90, 0x0a000001);
	o->caps.families = BGP_FAM_BIT(BGP_FAM_IPV4_UNICAST) | BGP_FAM_BIT(BGP_FAM_IPV6_UNICAST);
	o->caps.mp_seen = true;
	o->caps.route_refresh = true;
	o->caps.gr = true;
	o->caps.gr_flags = BGP_GR_FLAG_NOTIFICATION;
	o->caps.gr_time = 120;
	o->caps.gr_families = o->caps.families;
	o->caps.gr_forwarding = BGP_FAM_BIT(BGP_FAM_IPV4_UNICAST);
}

static bool decode(const uint8_t *bytes, size_t len, struct bgp_open *out)
{
	rbuf r = rbuf_make(bytes, len);
	struct bgp_msg m;
	bool ok = bgp_msg_decode(&r, &(struct bgp_codec_opts){ .as4 = true }, &m, &err);
	if (ok) {
		assert_int_equal(m.type, BGP_MSG_OPEN);
		*out = m.u.open;
	}
	return ok;
}

static void test_open_encode_vector(void **state)
{
	struct bgp_open o;
	local_open(&o);
	uint8_t buf[128];
	wbuf w = wbuf_make(buf, sizeof(buf));
	bgp_open_encode(&w, &o);
	assert_true(wbuf_ok(&w));
	assert_int_equal(wbuf_len(&w), sizeof(open_vector));
	assert_memory_equal(buf, open_vector, sizeof(open_vector));
}

static void test_open_decode_vector(void **state)
{
	struct bgp_open o, want;
	local_open(&want);
	assert_true(decode(open_vector, sizeof(open_vector), &o));
	assert_int_equal(o.version, 4);
	assert_int_equal(o.my_as, 65001);
	assert_int_equal(o.hold_time, 90);
	assert_int_equal(o.bgp_id, 0x0a000001);
	assert_true(o.caps.mp_seen);
	assert_int_equal(o.caps.families, want.caps.families);
	assert_true(o.caps.route_refresh);
	assert_true(o.caps.gr);
	assert_int_equal(o.caps.gr_flags, BGP_GR_FLAG_NOTIFICATION);
	assert_int_equal(o.caps.gr_time, 120);
	assert_int_equal(o.caps.gr_families, want.caps.gr_families);
	assert_int_equal(o.caps.gr_forwarding, BGP_FAM_BIT(BGP_FAM_IPV4_UNICAST));
	assert_true(o.caps.as4);
	assert_int_equal(bgp_open_asn(&o), 65001);
}

static void test_open_as4_uses_as_trans(void **state)
{
	struct bgp_open o, back;
	bgp_open_init(&o, 4200000000u, 180, 0xc0000201);
	assert_int_equal(o.my_as, BGP_AS_TRANS);
	uint8_t buf[128];
	wbuf w = wbuf_make(buf, sizeof(buf));
	bgp_open_encode(&w, &o);
	const uint8_t want[] = {
		MARKER, 0x00, 0x25, 0x01,
		0x04, 0x5b, 0xa0, 0x00, 0xb4, 0xc0, 0x00, 0x02, 0x01,
		8, 0x02, 6, 0x41, 0x04, 0xfa, 0x56, 0xea, 0x00,
	};
	assert_int_equal(wbuf_len(&w), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_true(decode(buf, wbuf_len(&w), &back));
	assert_int_equal(bgp_open_asn(&back), 4200000000u);
	assert_false(back.caps.mp_seen);
}

static void test_open_without_capabilities(void **state)
{
	const uint8_t bytes[] = {
		MARKER, 0x00, 0x1d, 0x01, 0x04, 0xfd, 0xe9, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x01, 0x00,
	};
	struct bgp_open o;
	assert_true(decode(bytes, sizeof(bytes), &o));
	assert_int_equal(o.hold_time, 0);
	assert_false(o.caps.as4);
	assert_int_equal(bgp_open_asn(&o), 65001);
	/* And the encoder leaves the parameters out when there are no capabilities. */
	struct bgp_open e = { .version = 4, .my_as = 65001, .bgp_id = 0x0a000001 };
	uint8_t buf[64];
	wbuf w = wbuf_make(buf, sizeof(buf));
	bgp_open_encode(&w, &e);
	assert_int_equal(wbuf_len(&w), sizeof(bytes));
	assert_memory_equal(buf, bytes, sizeof(bytes));
}

static void test_unknown_capability_ignored(void **state)
{
	const uint8_t bytes[] = {
		MARKER, 0x00, 0x2b, 0x01, 0x04, 0xfd, 0xe9, 0x00, 0x5a, 0x0a, 0x00, 0x00, 0x01,
		14, 0x02, 12,
		0x49, 0x02, 'h', 'i',                /* FQDN-ish, unknown to us */
		0x80, 0x00,                          /* old route refresh */
		0x01, 0x04, 0x40, 0x04, 0x00, 0x47,  /* MP for a family we do not speak */
	};
	struct bgp_open o;
	assert_true(decode(bytes, sizeof(bytes), &o));
	assert_true(o.caps.route_refresh);
	assert_true(o.caps.mp_seen);
	assert_int_equal(o.caps.families, 0);
}

static void test_extended_optional_parameters(void **state)
{
	/* RFC 9072 §2: Opt Parm Len 255, Non-Ext OP Type 255, 2-octet lengths. */
	const uint8_t bytes[] = {
		MARKER, 0x00, 0x29, 0x01, 0x04, 0xfd, 0xe9, 0x00, 0x5a, 0x0a, 0x00, 0x00, 0x01,
		0xff, 0xff, 0x00, 0x09,
		0x02, 0x00, 0x06, 0x41, 0x04, 0x00, 0x01, 0x00, 0x00,
	};
	struct bgp_open o;
	assert_true(decode(bytes, sizeof(bytes), &o));
	assert_true(o.caps.as4);
	assert_int_equal(o.caps.as4_asn, 65536);
}

/* An OPEN with fields patched: version, my_as, hold, id, then the caps bytes given. */
static void expect_open_error(uint8_t version, uint16_t my_as, uint16_t hold, uint32_t id,
			      const uint8_t *params, size_t plen, uint8_t code, uint8_t subcode,
			      const uint8_t *data, size_t data_len)
{
	uint8_t buf[256];
	wbuf w = wbuf_make(buf, sizeof(buf));
	const uint8_t marker[16] = { MARKER };
	wbuf_put_bytes(&w, marker, 16);
	wbuf_put_u16(&w, (uint16_t)(29 + plen));
	wbuf_put_u8(&w, BGP_MSG_OPEN);
	wbuf_put_u8(&w, version);
	wbuf_put_u16(&w, my_as);
	wbuf_put_u16(&w, hold);
	wbuf_put_u32(&w, id);
	wbuf_put_u8(&w, (uint8_t)plen);
	wbuf_put_bytes(&w, params, plen);
	struct bgp_open o;
	assert_false(decode(buf, wbuf_len(&w), &o));
	assert_int_equal(err.code, code);
	assert_int_equal(err.subcode, subcode);
	assert_int_equal(err.disposition, BGP_DISP_SESSION_RESET);
	assert_int_equal(err.data_len, data_len);
	if (data_len)
		assert_memory_equal(err.data, data, data_len);
}

static void test_open_errors(void **state)
{
	const uint8_t none[1] = { 0 };
	/* RFC 4271 §6.2: version 3 → 2/1 with our version (4) as 2 octets. */
	expect_open_error(3, 65001, 90, 1, none, 0, 2, 1, (const uint8_t[]){ 0x00, 0x04 }, 2);
	expect_open_error(5, 65001, 90, 1, none, 0, 2, 1, (const uint8_t[]){ 0x00, 0x04 }, 2);
	/* RFC 4271 §6.2: hold time 1 or 2 → 2/6. */
	expect_open_error(4, 65001, 1, 1, none, 0, 2, 6, NULL, 0);
	expect_open_error(4, 65001, 2, 1, none, 0, 2, 6, NULL, 0);
	/* RFC 6286 §2.2: identifier 0 → 2/3. */
	expect_open_error(4, 65001, 90, 0, none, 0, 2, 3, NULL, 0);
	/* RFC 7607 §2: AS 0 → 2/2, in My AS or in the 4-octet AS capability. */
	expect_open_error(4, 0, 90, 1, none, 0, 2, 2, NULL, 0);
	const uint8_t as4_zero[] = { 0x02, 0x06, 0x41, 0x04, 0, 0, 0, 0 };
	expect_open_error(4, 65001, 90, 1, as4_zero, sizeof(as4_zero), 2, 2, NULL, 0);
	/* RFC 4271 §6.2: an optional parameter other than Capabilities → 2/4. */
	const uint8_t auth[] = { 0x01, 0x02, 0xaa, 0xbb };
	expect_open_error(4, 65001, 90, 1, auth, sizeof(auth), 2, 4, NULL, 0);
	/* A capability running past its parameter, a parameter running past the field: 2/0. */
	const uint8_t cap_overrun[] = { 0x02, 0x03, 0x41, 0x04, 0x00 };
	expect_open_error(4, 65001, 90, 1, cap_overrun, sizeof(cap_overrun), 2, 0, NULL, 0);
	const uint8_t param_overrun[] = { 0x02, 0x09, 0x02, 0x00 };
	expect_open_error(4, 65001, 90, 1, param_overrun, sizeof(param_overrun), 2, 0, NULL, 0);
	/* A known capability with the wrong length: 2/0. */
	const uint8_t mp3[] = { 0x02, 0x05, 0x01, 0x03, 0x00, 0x01, 0x00 };
	expect_open_error(4, 65001, 90, 1, mp3, sizeof(mp3), 2, 0, NULL, 0);
	const uint8_t gr3[] = { 0x02, 0x05, 0x40, 0x03, 0x00, 0x78, 0x00 };
	expect_open_error(4, 65001, 90, 1, gr3, sizeof(gr3), 2, 0, NULL, 0);
	const uint8_t rr1[] = { 0x02, 0x03, 0x02, 0x01, 0x00 };
	expect_open_error(4, 65001, 90, 1, rr1, sizeof(rr1), 2, 0, NULL, 0);
}

static void test_open_param_length_mismatch(void **state)
{
	/* Opt Parm Len 4 but 2 octets follow: the message Length is wrong (RFC 4271 §6.1). */
	const uint8_t bytes[] = {
		MARKER, 0x00, 0x1f, 0x01, 0x04, 0xfd, 0xe9, 0x00, 0x5a, 0x0a, 0x00, 0x00, 0x01,
		0x04, 0x02, 0x00,
	};
	struct bgp_open o;
	assert_false(decode(bytes, sizeof(bytes), &o));
	assert_int_equal(err.code, 1);
	assert_int_equal(err.subcode, 2);
	assert_int_equal(err.data_len, 2);
	assert_memory_equal(err.data, ((const uint8_t[]){ 0x00, 0x1f }), 2);
}

static void test_open_check(void **state)
{
	struct bgp_open remote;
	local_open(&remote);
	remote.caps.as4_asn = 65002;
	remote.my_as = 65002;
	remote.bgp_id = 0x0a000002;
	struct bgp_open_policy pol = {
		.local_as = 65001, .local_id = 0x0a000001, .peer_as = 65002, .min_hold_time = 3,
	};
	assert_true(bgp_open_check(&remote, &pol, &err));

	/* RFC 4271 §6.2: Bad Peer AS. */
	pol.peer_as = 65003;
	assert_false(bgp_open_check(&remote, &pol, &err));
	assert_int_equal(err.code, 2);
	assert_int_equal(err.subcode, 2);
	pol.peer_as = 0;
	assert_true(bgp_open_check(&remote, &pol, &err));

	/* RFC 6286 §2.2: an internal peer with our identifier. */
	struct bgp_open ibgp = remote;
	ibgp.caps.as4_asn = 65001;
	ibgp.bgp_id = 0x0a000001;
	assert_false(bgp_open_check(&ibgp, &pol, &err));
	assert_int_equal(err.subcode, 3);
	/* The same identifier from an external peer is allowed. */
	ibgp.caps.as4_asn = 65009;
	assert_true(bgp_open_check(&ibgp, &pol, &err));

	/* RFC 4271 §6.2: hold times we do not accept. */
	struct bgp_open h = remote;
	h.hold_time = 3;
	pol.min_hold_time = 9;
	assert_false(bgp_open_check(&h, &pol, &err));
	assert_int_equal(err.subcode, 6);
	h.hold_time = 0;
	assert_true(bgp_open_check(&h, &pol, &err));
	pol.refuse_zero_hold = true;
	assert_false(bgp_open_check(&h, &pol, &err));
	assert_int_equal(err.subcode, 6);
	pol.refuse_zero_hold = false;
	pol.min_hold_time = 3;

	/* RFC 5492 §5: Unsupported Capability carries the capabilities we needed. */
	struct bgp_open old = remote;
	old.caps.as4 = false;
	old.caps.mp_seen = false;
	old.caps.families = 0;
	pol.require_as4 = true;
	pol.required_families = BGP_FAM_BIT(BGP_FAM_IPV4_UNICAST) | BGP_FAM_BIT(BGP_FAM_IPV6_UNICAST);
	assert_false(bgp_open_check(&old, &pol, &err));
	assert_int_equal(err.code, 2);
	assert_int_equal(err.subcode, 7);
	const uint8_t want[] = { 0x41, 0x04, 0x00, 0x00, 0xfd, 0xe9, 0x01, 0x04, 0x00, 0x02, 0x00, 0x01 };
	assert_int_equal(err.data_len, sizeof(want));
	assert_memory_equal(err.data, want, sizeof(want));
	/* Without any MP capability, IPv4 unicast is implied. */
	pol.require_as4 = false;
	pol.required_families = BGP_FAM_BIT(BGP_FAM_IPV4_UNICAST);
	assert_true(bgp_open_check(&old, &pol, &err));
}

/* A peer with no configured AS (dynamicASN): internal must bring our AS, external any other;
 * a wrong one is Bad Peer AS (RFC 4271 §6.2). The AS is the 4-octet one (RFC 6793 §4.1). */
static void test_open_check_dynamic_as(void **state)
{
	struct bgp_open remote;
	local_open(&remote);
	remote.bgp_id = 0x0a000002;
	struct bgp_open_policy pol = {
		.local_as = 4200000001u, .local_id = 0x0a000001, .min_hold_time = 3,
		.peer_as_kind = BGP_PEER_AS_INTERNAL,
	};
	remote.caps.as4_asn = 4200000001u;
	remote.my_as = 23456;   /* AS_TRANS: the capability decides */
	assert_true(bgp_open_check(&remote, &pol, &err));
	remote.caps.as4_asn = 4200000002u;
	assert_false(bgp_open_check(&remote, &pol, &err));
	assert_int_equal(err.code, BGP_ERR_OPEN);
	assert_int_equal(err.subcode, BGP_OPEN_BAD_PEER_AS);

	pol.peer_as_kind = BGP_PEER_AS_EXTERNAL;
	assert_true(bgp_open_check(&remote, &pol, &err));
	remote.caps.as4_asn = 4200000001u;
	assert_false(bgp_open_check(&remote, &pol, &err));
	assert_int_equal(err.code, BGP_ERR_OPEN);
	assert_int_equal(err.subcode, BGP_OPEN_BAD_PEER_AS);

	/* A configured AS is checked as such: the kind only applies without one. */
	pol.peer_as = 4200000001u;
	assert_true(bgp_open_check(&remote, &pol, &err));
	pol.peer_as = 0;
	pol.peer_as_kind = BGP_PEER_AS_ANY;
	assert_true(bgp_open_check(&remote, &pol, &err));
}

static void test_negotiate(void **state)
{
	struct bgp_open local, remote;
	local_open(&local);
	bgp_open_init(&remote, 65002, 30, 0x0a000002);
	remote.caps.mp_seen = true;
	remote.caps.families = BGP_FAM_BIT(BGP_FAM_IPV6_UNICAST);
	remote.caps.gr = true;
	remote.caps.gr_flags = BGP_GR_FLAG_NOTIFICATION | BGP_GR_FLAG_RESTART;
	remote.caps.gr_time = 300;
	struct bgp_negotiated n;
	bgp_negotiate(&local, &remote, &n);
	assert_int_equal(n.peer_as, 65002);
	assert_int_equal(n.peer_id, 0x0a000002);
	assert_int_equal(n.hold_time, 30);
	assert_int_equal(n.families, BGP_FAM_BIT(BGP_FAM_IPV6_UNICAST));
	assert_true(n.as4);
	assert_false(n.route_refresh);
	assert_true(n.gr);
	assert_true(n.gr_n);
	assert_int_equal(n.peer_gr_time, 300);

	/* Hold 0 on either side wins; no capabilities at all means IPv4 only, 2-octet AS. */
	struct bgp_open bare = { .version = 4, .my_as = 65003, .hold_time = 0, .bgp_id = 3 };
	bgp_negotiate(&local, &bare, &n);
	assert_int_equal(n.hold_time, 0);
	assert_int_equal(n.families, BGP_FAM_BIT(BGP_FAM_IPV4_UNICAST));
	assert_false(n.as4);
	assert_false(n.gr);
	assert_false(n.gr_n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_encode_vector),
		cmocka_unit_test(test_open_decode_vector),
		cmocka_unit_test(test_open_as4_uses_as_trans),
		cmocka_unit_test(test_open_without_capabilities),
		cmocka_unit_test(test_unknown_capability_ignored),
		cmocka_unit_test(test_extended_optional_parameters),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_open_param_length_mismatch),
		cmocka_unit_test(test_open_check),
		cmocka_unit_test(test_open_check_dynamic_as),
		cmocka_unit_test(test_negotiate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
