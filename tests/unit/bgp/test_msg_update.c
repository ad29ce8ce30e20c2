/* Unit tests for UPDATE decoding/encoding and the RFC 7606 dispositions (bgp/msg_update.c,
 * bgp/attr.c, bgp/nlri.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "bgp_test_util.h"

static struct bgp_error err;
static const struct bgp_codec_opts ebgp4 = { .as4 = true, .ibgp = false };
static const struct bgp_codec_opts ibgp4 = { .as4 = true, .ibgp = true };

static uint8_t msgbuf[8192];

/* An UPDATE from its three fields. */
static size_t build(const uint8_t *wd, size_t wdlen, const uint8_t *at, size_t atlen,
		    const uint8_t *nlri, size_t nlen)
{
	wbuf w = wbuf_make(msgbuf, sizeof(msgbuf));
	const uint8_t marker[16] = { MARKER };
	wbuf_put_bytes(&w, marker, 16);
	wbuf_put_u16(&w, (uint16_t)(23 + wdlen + atlen + nlen));
	wbuf_put_u8(&w, BGP_MSG_UPDATE);
	wbuf_put_u16(&w, (uint16_t)wdlen);
	wbuf_put_bytes(&w, wd, wdlen);
	wbuf_put_u16(&w, (uint16_t)atlen);
	wbuf_put_bytes(&w, at, atlen);
	wbuf_put_bytes(&w, nlri, nlen);
	assert_true(wbuf_ok(&w));
	return wbuf_len(&w);
}

static bool decode_as(const uint8_t *bytes, size_t len, const struct bgp_codec_opts *o,
		      struct bgp_update *u)
{
	rbuf r = rbuf_make(bytes, len);
	struct bgp_msg m;
	bool ok = bgp_msg_decode(&r, o, &m, &err);
	if (ok) {
		assert_int_equal(m.type, BGP_MSG_UPDATE);
		*u = m.u.update;
	} else {
		memset(u, 0, sizeof(*u));
	}
	return ok;
}

#define ORIGIN_IGP 0x40, 0x01, 0x01, 0x00
#define ASPATH_65001 0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, 0xfd, 0xe9
#define NEXTHOP_10_0_0_2 0x40, 0x03, 0x04, 0x0a, 0x00, 0x00, 0x02
#define BASIC_ATTRS ORIGIN_IGP, ASPATH_65001, NEXTHOP_10_0_0_2
static const uint8_t nlri_one[] = { 0x20, 0xc0, 0x00, 0x02, 0x01 };   /* 192.0.2.1/32 */

/* --- vectors -------------------------------------------------------------------------------- */

static uint32_t asn_65001 = 65001;
static struct bgp_as_segment seg_65001 = { BGP_AS_SEQUENCE, 1, &asn_65001 };

static void basic_attrs(struct bgp_attrs *a)
{
	memset(a, 0, sizeof(*a));
	a->present = BGP_ATTR_BIT(BGP_ATTR_ORIGIN) | BGP_ATTR_BIT(BGP_ATTR_AS_PATH) |
		     BGP_ATTR_BIT(BGP_ATTR_NEXT_HOP);
	a->origin = BGP_ORIGIN_IGP;
	a->aspath = &seg_65001;
	a->aspath_len = 1;
	a->next_hop = v4(10, 0, 0, 2);
}

static void test_ipv4_announce_vector(void **state)
{
	const uint8_t want[] = {
		MARKER, 0x00, 0x3b, 0x02,
		0x00, 0x00,                                   /* no withdrawn routes */
		0x00, 0x1b,                                   /* 27 octets of attributes */
		BASIC_ATTRS,
		0xc0, 0x08, 0x04, 0xff, 0xff, 0xff, 0x01,     /* COMMUNITIES NO_EXPORT */
		0x20, 0xc0, 0x00, 0x02, 0x01,                 /* 192.0.2.1/32 */
		0x18, 0xc6, 0x33, 0x64,                       /* 198.51.100.0/24 */
	};
	uint32_t comm = BGP_COMMUNITY_NO_EXPORT;
	ip_prefix nlri[] = { pfx4(0xc0000201, 32), pfx4(0xc6336400, 24) };
	struct bgp_update u;
	memset(&u, 0, sizeof(u));
	basic_attrs(&u.attrs);
	u.attrs.communities = &comm;
	u.attrs.ncommunities = 1;
	u.nlri.v = nlri;
	u.nlri.n = 2;
	uint8_t buf[256];
	wbuf w = wbuf_make(buf, sizeof(buf));
	assert_true(bgp_update_encode(&w, &ebgp4, &u));
	assert_int_equal(wbuf_len(&w), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));

	struct bgp_update d;
	assert_true(decode_as(want, sizeof(want), &ebgp4, &d));
	assert_int_equal(d.disposition, BGP_DISP_NONE);
	assert_true(bgp_attrs_equal(&d.attrs, &u.attrs));
	assert_int_equal(d.nlri.n, 2);
	assert_true(prefix_eq(&d.nlri.v[0], &nlri[0]));
	assert_true(prefix_eq(&d.nlri.v[1], &nlri[1]));
	assert_int_equal(d.withdrawn.n, 0);
	assert_false(d.has_mp_reach);
	enum bgp_family f;
	assert_false(bgp_update_is_eor(&d, &f));
	bgp_update_free(&d);
}

static void test_ipv6_announce_vector(void **state)
{
	/* MP_REACH_NLRI first (RFC 7606 §5.1), global + link-local next hop (RFC 2545 §3). */
	const uint8_t want[] = {
		MARKER, 0x00, 0x5d, 0x02,
		0x00, 0x00, 0x00, 0x46,
		0x80, 0x0e, 0x36,                             /* MP_REACH_NLRI, 54 octets */
		0x00, 0x02, 0x01, 0x20,                       /* IPv6 unicast, next hop 32 */
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x02,
		0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x02,
		0x00,                                         /* reserved */
		0x80, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00,   /* ::100/128 */
		ORIGIN_IGP, ASPATH_65001,
	};
	ip_prefix pfx = pfx6(0x0100, 128);
	struct bgp_update u;
	memset(&u, 0, sizeof(u));
	basic_attrs(&u.attrs);
	u.attrs.present &= ~BGP_ATTR_BIT(BGP_ATTR_NEXT_HOP);
	u.has_mp_reach = true;
	u.mp_reach_family = BGP_FAM_IPV6_UNICAST;
	u.mp_next_hop = v6(0x2001, 2);
	u.mp_next_hop_ll = v6(0xfe80, 2);
	u.mp_reach.v = &pfx;
	u.mp_reach.n = 1;
	uint8_t buf[256];
	wbuf w = wbuf_make(buf, sizeof(buf));
	assert_true(bgp_update_encode(&w, &ebgp4, &u));
	assert_int_equal(wbuf_len(&w), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));

	struct bgp_update d;
	assert_true(decode_as(want, sizeof(want), &ebgp4, &d));
	assert_int_equal(d.disposition, BGP_DISP_NONE);
	assert_true(d.has_mp_reach);
	assert_int_equal(d.mp_reach_family, BGP_FAM_IPV6_UNICAST);
	assert_memory_equal(d.mp_next_hop.bytes, u.mp_next_hop.bytes, 16);
	assert_int_equal(d.mp_next_hop_ll.family, IP_V6);
	assert_memory_equal(d.mp_next_hop_ll.bytes, u.mp_next_hop_ll.bytes, 16);
	assert_int_equal(d.mp_reach.n, 1);
	assert_true(prefix_eq(&d.mp_reach.v[0], &pfx));
	assert_true(bgp_attrs_equal(&d.attrs, &u.attrs));
	bgp_update_free(&d);
}

static void test_withdraw_vectors(void **state)
{
	/* IPv4 in the Withdrawn Routes field; a /27 takes 4 octets. */
	const uint8_t want4[] = {
		MARKER, 0x00, 0x1c, 0x02, 0x00, 0x05, 0x1b, 0x0a, 0x01, 0x02, 0x00, 0x00, 0x00,
	};
	struct bgp_update d;
	assert_true(decode_as(want4, sizeof(want4), &ebgp4, &d));
	assert_int_equal(d.withdrawn.n, 1);
	ip_prefix p = pfx4(0x0a010200, 27);
	assert_true(prefix_eq(&d.withdrawn.v[0], &p));
	uint8_t buf[256];
	wbuf w = wbuf_make(buf, sizeof(buf));
	assert_true(bgp_update_encode(&w, &ebgp4, &d));
	assert_int_equal(wbuf_len(&w), sizeof(want4));
	assert_memory_equal(buf, want4, sizeof(want4));
	bgp_update_free(&d);

	/* IPv6 in MP_UNREACH_NLRI. */
	const uint8_t want6[] = {
		MARKER, 0x00, 0x26, 0x02, 0x00, 0x00, 0x00, 0x0f,
		0x80, 0x0f, 0x0c, 0x00, 0x02, 0x01,
		0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,        /* 2001:db8::/64 */
	};
	assert_true(decode_as(want6, sizeof(want6), &ebgp4, &d));
	assert_true(d.has_mp_unreach);
	assert_int_equal(d.mp_unreach_family, BGP_FAM_IPV6_UNICAST);
	assert_int_equal(d.mp_unreach.n, 1);
	assert_int_equal(d.mp_unreach.v[0].len, 64);
	assert_int_equal(d.mp_unreach.v[0].addr.bytes[1], 0x01);
	enum bgp_family f;
	assert_false(bgp_update_is_eor(&d, &f));
	bgp_update_free(&d);
}

static void test_end_of_rib(void **state)
{
	const uint8_t eor4[] = { MARKER, 0x00, 0x17, 0x02, 0x00, 0x00, 0x00, 0x00 };
	const uint8_t eor6[] = {
		MARKER, 0x00, 0x1d, 0x02, 0x00, 0x00, 0x00, 0x06, 0x80, 0x0f, 0x03, 0x00, 0x02, 0x01,
	};
	uint8_t buf[64];
	wbuf w = wbuf_make(buf, sizeof(buf));
	bgp_eor_encode(&w, BGP_FAM_IPV4_UNICAST);
	assert_int_equal(wbuf_len(&w), sizeof(eor4));
	assert_memory_equal(buf, eor4, sizeof(eor4));
	w = wbuf_make(buf, sizeof(buf));
	bgp_eor_encode(&w, BGP_FAM_IPV6_UNICAST);
	assert_int_equal(wbuf_len(&w), sizeof(eor6));
	assert_memory_equal(buf, eor6, sizeof(eor6));

	struct bgp_update d;
	enum bgp_family f;
	assert_true(decode_as(eor4, sizeof(eor4), &ebgp4, &d));
	assert_true(bgp_update_is_eor(&d, &f));
	assert_int_equal(f, BGP_FAM_IPV4_UNICAST);
	bgp_update_free(&d);
	assert_true(decode_as(eor6, sizeof(eor6), &ebgp4, &d));
	assert_true(bgp_update_is_eor(&d, &f));
	assert_int_equal(f, BGP_FAM_IPV6_UNICAST);
	bgp_update_free(&d);
}

static void test_all_attributes_round_trip(void **state)
{
	uint32_t asns[] = { 65001, 4200000000u, 65010, 65011 };
	struct bgp_as_segment segs[] = {
		{ BGP_AS_SEQUENCE, 2, &asns[0] },
		{ BGP_AS_SET, 2, &asns[2] },
	};
	uint32_t comms[] = { BGP_COMMUNITY_GRACEFUL_SHUTDOWN, 0xfde90064 };
	uint64_t ecs[] = { bgp_ext_community_link_bandwidth(65001, 1.25e9f), 0x0002fde900000064ull };
	struct bgp_large_community lcs[] = { { 4200000000u, 1, 2 }, { 65001, 0, 0xffffffffu } };
	ip_prefix nlri[] = { pfx4(0x0a000000, 8), pfx4(0, 0), pfx4(0xc0000280, 25) };
	struct bgp_update u;
	memset(&u, 0, sizeof(u));
	struct bgp_attrs *a = &u.attrs;
	a->present = BGP_ATTR_BIT(BGP_ATTR_ORIGIN) | BGP_ATTR_BIT(BGP_ATTR_AS_PATH) |
		     BGP_ATTR_BIT(BGP_ATTR_NEXT_HOP) | BGP_ATTR_BIT(BGP_ATTR_MED) |
		     BGP_ATTR_BIT(BGP_ATTR_LOCAL_PREF) | BGP_ATTR_BIT(BGP_ATTR_ATOMIC_AGGREGATE) |
		     BGP_ATTR_BIT(BGP_ATTR_AGGREGATOR);
	a->origin = BGP_ORIGIN_INCOMPLETE;
	a->aspath = segs;
	a->aspath_len = 2;
	a->next_hop = v4(192, 0, 2, 9);
	a->med = 77;
	a->local_pref = 200;
	a->aggregator_as = 4200000000u;
	a->aggregator_id = 0x0a000009;
	a->communities = comms;
	a->ncommunities = 2;
	a->ext_communities = ecs;
	a->next_communities = 2;
	a->large_communities = lcs;
	a->nlarge_communities = 2;
	u.nlri.v = nlri;
	u.nlri.n = 3;
	uint8_t buf[512];
	wbuf w = wbuf_make(buf, sizeof(buf));
	assert_true(bgp_update_encode(&w, &ibgp4, &u));
	struct bgp_update d;
	assert_true(decode_as(buf, wbuf_len(&w), &ibgp4, &d));
	assert_int_equal(d.disposition, BGP_DISP_NONE);
	assert_true(bgp_attrs_equal(&d.attrs, &u.attrs));
	assert_int_equal(d.nlri.n, 3);
	for (size_t i = 0; i < 3; i++)
		assert_true(prefix_eq(&d.nlri.v[i], &nlri[i]));
	uint16_t lb_as;
	float bw;
	assert_true(bgp_ext_community_is_link_bandwidth(d.attrs.ext_communities[0], &lb_as, &bw));
	assert_int_equal(lb_as, 65001);
	assert_true(bw == 1.25e9f);
	assert_false(bgp_ext_community_is_link_bandwidth(d.attrs.ext_communities[1], &lb_as, &bw));
	bgp_update_free(&d);

	/* From an external peer LOCAL_PREF is dropped without error (RFC 7606 §7.5). */
	assert_true(decode_as(buf, wbuf_len(&w), &ebgp4, &d));
	assert_int_equal(d.disposition, BGP_DISP_NONE);
	assert_false(d.attrs.present & BGP_ATTR_BIT(BGP_ATTR_LOCAL_PREF));
	bgp_update_free(&d);
}

static void test_link_bandwidth_layout(void **state)
{
	/* Type 0x40, subtype 0x04, AS 65001, IEEE float 1e9 = 0x4e6e6b28. */
	assert_true(bgp_ext_community_link_bandwidth(65001, 1e9f) == 0x4004fde94e6e6b28ull);
}

static void test_two_octet_as_path_and_as4_path(void **state)
{
	/* RFC 6793 §4.2.2: to a 2-octet peer, AS_TRANS in AS_PATH plus AS4_PATH. */
	uint32_t asn = 4200000000u;
	struct bgp_as_segment seg = { BGP_AS_SEQUENCE, 1, &asn };
	struct bgp_update u;
	memset(&u, 0, sizeof(u));
	u.attrs.present = BGP_ATTR_BIT(BGP_ATTR_ORIGIN) | BGP_ATTR_BIT(BGP_ATTR_AS_PATH) |
			  BGP_ATTR_BIT(BGP_ATTR_NEXT_HOP);
	u.attrs.aspath = &seg;
	u.attrs.aspath_len = 1;
	u.attrs.next_hop = v4(10, 0, 0, 2);
	ip_prefix p = pfx4(0xc0000201, 32);
	u.nlri.v = &p;
	u.nlri.n = 1;
	const struct bgp_codec_opts as2 = { .as4 = false };
	const uint8_t want[] = {
		MARKER, 0x00, 0x37, 0x02, 0x00, 0x00, 0x00, 0x1b,
		ORIGIN_IGP,
		0x40, 0x02, 0x04, 0x02, 0x01, 0x5b, 0xa0,
		NEXTHOP_10_0_0_2,
		0xc0, 0x11, 0x06, 0x02, 0x01, 0xfa, 0x56, 0xea, 0x00,
		0x20, 0xc0, 0x00, 0x02, 0x01,
	};
	uint8_t buf[128];
	wbuf w = wbuf_make(buf, sizeof(buf));
	assert_true(bgp_update_encode(&w, &as2, &u));
	assert_int_equal(wbuf_len(&w), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	struct bgp_update d;
	assert_true(decode_as(want, sizeof(want), &as2, &d));
	assert_int_equal(d.disposition, BGP_DISP_NONE);
	assert_int_equal(d.attrs.aspath[0].asns[0], BGP_AS_TRANS);
	bgp_update_free(&d);
}

/* --- errors ------------------------------------------------------------------------------------ */

static void expect_reset(size_t len, const struct bgp_codec_opts *o, uint8_t subcode,
			 const uint8_t *data, size_t data_len)
{
	struct bgp_update d;
	assert_false(decode_as(msgbuf, len, o, &d));
	assert_int_equal(err.code, 3);
	assert_int_equal(err.subcode, subcode);
	assert_int_equal(err.disposition, BGP_DISP_SESSION_RESET);
	assert_int_equal(err.data_len, data_len);
	if (data_len)
		assert_memory_equal(err.data, data, data_len);
}

static void expect_soft(size_t len, const struct bgp_codec_opts *o, enum bgp_disposition disp,
			uint8_t subcode, const uint8_t *data, size_t data_len)
{
	struct bgp_update d;
	assert_true(decode_as(msgbuf, len, o, &d));
	assert_int_equal(d.disposition, disp);
	assert_int_equal(err.disposition, disp);
	assert_int_equal(err.code, 3);
	assert_int_equal(err.subcode, subcode);
	assert_int_equal(err.data_len, data_len);
	if (data_len)
		assert_memory_equal(err.data, data, data_len);
	bgp_update_free(&d);
}

static void test_field_lengths_too_large(void **state)
{
	/* RFC 4271 §6.3: Withdrawn Routes Length beyond the message → 3/1, session reset. */
	size_t len = build(NULL, 0, NULL, 0, NULL, 0);
	msgbuf[19] = 0x00;
	msgbuf[20] = 0x01;
	expect_reset(len, &ebgp4, 1, NULL, 0);
	/* Total Attribute Length beyond the message. */
	const uint8_t at[] = { BASIC_ATTRS };
	len = build(NULL, 0, at, sizeof(at), NULL, 0);
	msgbuf[22] = (uint8_t)(sizeof(at) + 1);
	expect_reset(len, &ebgp4, 1, NULL, 0);
}

static void test_bad_nlri(void **state)
{
	const uint8_t at[] = { BASIC_ATTRS };
	/* RFC 4271 §6.3 / RFC 7606 §5.3: a /33, or a prefix running off the end → 3/10. */
	const uint8_t nlri33[] = { 0x21, 1, 2, 3, 4, 5 };
	size_t len = build(NULL, 0, at, sizeof(at), nlri33, sizeof(nlri33));
	expect_reset(len, &ebgp4, 10, NULL, 0);
	const uint8_t short_nlri[] = { 0x18, 10, 0 };
	len = build(NULL, 0, at, sizeof(at), short_nlri, sizeof(short_nlri));
	expect_reset(len, &ebgp4, 10, NULL, 0);
	const uint8_t wd_short[] = { 0x20, 10, 0, 0 };
	len = build(wd_short, sizeof(wd_short), NULL, 0, NULL, 0);
	expect_reset(len, &ebgp4, 10, NULL, 0);
}

static void test_origin_errors(void **state)
{
	/* RFC 7606 §7.1: treat-as-withdraw with 3/6 (bad value) or 3/5 (bad length). */
	const uint8_t bad_value[] = { 0x40, 0x01, 0x01, 0x03, ASPATH_65001, NEXTHOP_10_0_0_2 };
	size_t len = build(NULL, 0, bad_value, sizeof(bad_value), nlri_one, sizeof(nlri_one));
	expect_soft(len, &ebgp4, BGP_DISP_TREAT_AS_WITHDRAW, 6,
		    (const uint8_t[]){ 0x40, 0x01, 0x01, 0x03 }, 4);
	const uint8_t bad_len[] = { 0x40, 0x01, 0x02, 0x00, 0x00, ASPATH_65001, NEXTHOP_10_0_0_2 };
	len = build(NULL, 0, bad_len, sizeof(bad_len), nlri_one, sizeof(nlri_one));
	expect_soft(len, &ebgp4, BGP_DISP_TREAT_AS_WITHDRAW, 5,
		    (const uint8_t[]){ 0x40, 0x01, 0x02, 0x00, 0x00 }, 5);
}

static void test_flags_error(void **state)
{
	/* RFC 7606 §3 c: ORIGIN marked optional → 3/4, treat-as-withdraw, data = attribute. */
	const uint8_t at[] = { 0xc0, 0x01, 0x01, 0x00, ASPATH_65001, NEXTHOP_10_0_0_2 };
	size_t len = build(NULL, 0, at, sizeof(at), nlri_one, sizeof(nlri_one));
	expect_soft(len, &ebgp4, BGP_DISP_TREAT_AS_WITHDRAW, 4,
		    (const uint8_t[]){ 0xc0, 0x01, 0x01, 0x00 }, 4);
	/* The Partial and Extended Length bits are not in conflict. */
	const uint8_t ext[] = { 0x50, 0x01, 0x00, 0x01, 0x00, ASPATH_65001, NEXTHOP_10_0_0_2 };
	len = build(NULL, 0, ext, sizeof(ext), nlri_one, sizeof(nlri_one));
	struct bgp_update d;
	assert_true(decode_as(msgbuf, len, &ebgp4, &d));
	assert_int_equal(d.disposition, BGP_DISP_NONE);
	bgp_update_free(&d);
}

static void test_missing_well_known(void **state)
{
	/* RFC 7606 §3 d: 3/3 with the type code as data, treat-as-withdraw. */
	const uint8_t no_nh[] = { ORIGIN_IGP, ASPATH_65001 };
	size_t len = build(NULL, 0, no_nh, sizeof(no_nh), nlri_one, sizeof(nlri_one));
	expect_soft(len, &ebgp4, BGP_DISP_TREAT_AS_WITHDRAW, 3, (const uint8_t[]){ 3 }, 1);
	const uint8_t no_origin[] = { ASPATH_65001, NEXTHOP_10_0_0_2 };
	len = build(NULL, 0, no_origin, sizeof(no_origin), nlri_one, sizeof(nlri_one));
	expect_soft(len, &ebgp4, BGP_DISP_TREAT_AS_WITHDRAW, 3, (const uint8_t[]){ 1 }, 1);
	const uint8_t no_path[] = { ORIGIN_IGP, NEXTHOP_10_0_0_2 };
	len = build(NULL, 0, no_path, sizeof(no_path), nlri_one, sizeof(nlri_one));
	expect_soft(len, &ebgp4, BGP_DISP_TREAT_AS_WITHDRAW, 3, (const uint8_t[]){ 2 }, 1);
	/* Without NLRI nothing is mandatory. */
	len = build(NULL, 0, no_nh, sizeof(no_nh), NULL, 0);
	struct bgp_update d;
	assert_true(decode_as(msgbuf, len, &ebgp4, &d));
	assert_int_equal(d.disposition, BGP_DISP_NONE);
	bgp_update_free(&d);
}

static void test_as_path_errors(void **state)
{
	/* RFC 7606 §7.2 / RFC 7607 §2: 3/11, treat-as-withdraw. */
	const uint8_t zero_seg[] = { ORIGIN_IGP, 0x40, 0x02, 0x02, 0x02, 0x00, NEXTHOP_10_0_0_2 };
	size_t len = build(NULL, 0, zero_seg, sizeof(zero_seg), nlri_one, sizeof(nlri_one));
	expect_soft(len, &ebgp4, BGP_DISP_TREAT_AS_WITHDRAW, 11,
		    (const uint8_t[]){ 0x40, 0x02, 0x02, 0x02, 0x00 }, 5);
	const uint8_t as0[] = { ORIGIN_IGP, 0x40, 0x02, 0x06, 0x02, 0x01, 0, 0, 0, 0,
				NEXTHOP_10_0_0_2 };
	len = build(NULL, 0, as0, sizeof(as0), nlri_one, sizeof(nlri_one));
	expect_soft(len, &ebgp4, BGP_DISP_TREAT_AS_WITHDRAW, 11,
		    (const uint8_t[]){ 0x40, 0x02, 0x06, 0x02, 0x01, 0, 0, 0, 0 }, 9);
	const uint8_t bad_type[] = { ORIGIN_IGP, 0x40, 0x02, 0x06, 0x05, 0x01, 0, 0, 0xfd, 0xe9,
				     NEXTHOP_10_0_0_2 };
	len = build(NULL, 0, bad_type, sizeof(bad_type), nlri_one, sizeof(nlri_one));
	expect_soft(len, &ebgp4, BGP_DISP_TREAT_AS_WITHDRAW, 11,
		    (const uint8_t[]){ 0x40, 0x02, 0x06, 0x05, 0x01, 0, 0, 0xfd, 0xe9 }, 9);
	const uint8_t overrun[] = { ORIGIN_IGP, 0x40, 0x02, 0x06, 0x02, 0x02, 0, 0, 0xfd, 0xe9,
				    NEXTHOP_10_0_0_2 };
	len = build(NULL, 0, overrun, sizeof(overrun), nlri_one, sizeof(nlri_one));
	expect_soft(len, &ebgp4, BGP_DISP_TREAT_AS_WITHDRAW, 11,
		    (const uint8_t[]){ 0x40, 0x02, 0x06, 0x02, 0x02, 0, 0, 0xfd, 0xe9 }, 9);
	const uint8_t underrun[] = { ORIGIN_IGP, 0x40, 0x02, 0x07, 0x02, 0x01, 0, 0, 0xfd, 0xe9, 0x02,
				     NEXTHOP_10_0_0_2 };
	len = build(NULL, 0, underrun, sizeof(underrun), nlri_one, sizeof(nlri_one));
	expect_soft(len, &ebgp4, BGP_DISP_TREAT_AS_WITHDRAW, 11,
		    (const uint8_t[]){ 0x40, 0x02, 0x07, 0x02, 0x01, 0, 0, 0xfd, 0xe9, 0x02 }, 10);
	/* An empty AS_PATH (iBGP origination) is fine. */
	const uint8_t empty[] = { ORIGIN_IGP, 0x40, 0x02, 0x00, NEXTHOP_10_0_0_2 };
	len = build(NULL, 0, empty, sizeof(empty), nlri_one, sizeof(nlri_one));
	struct bgp_update d;
	assert_true(decode_as(msgbuf, len, &ibgp4, &d));
	assert_int_equal(d.disposition, BGP_DISP_NONE);
	assert_true(d.attrs.present & BGP_ATTR_BIT(BGP_ATTR_AS_PATH));
	assert_int_equal(d.attrs.aspath_len, 0);
	bgp_update_free(&d);
}

static void test_next_hop_errors(void **state)
{
	/* RFC 7606 §7.3: 3/8 for a bad address, 3/5 for a bad length; treat-as-withdraw. */
	const uint8_t zero[] = { ORIGIN_IGP, ASPATH_65001, 0x40, 0x03, 0x04, 0, 0, 0, 0 };
	size_t len = build(NULL, 0, zero, sizeof(zero), nlri_one, sizeof(nlri_one));
	expect_soft(len, &ebgp4, BGP_DISP_TREAT_AS_WITHDRAW, 8,
		    (const uint8_t[]){ 0x40, 0x03, 0x04, 0, 0, 0, 0 }, 7);
	const uint8_t mcast[] = { ORIGIN_IGP, ASPATH_65001, 0x40, 0x03, 0x04, 224, 0, 0, 5 };
	len = build(NULL, 0, mcast, sizeof(mcast), nlri_one, sizeof(nlri_one));
	expect_soft(len, &ebgp4, BGP_DISP_TREAT_AS_WITHDRAW, 8,
		    (const uint8_t[]){ 0x40, 0x03, 0x04, 224, 0, 0, 5 }, 7);
	const uint8_t five[] = { ORIGIN_IGP, ASPATH_65001, 0x40, 0x03, 0x05, 10, 0, 0, 2, 0 };
	len = build(NULL, 0, five, sizeof(five), nlri_one, sizeof(nlri_one));
	expect_soft(len, &ebgp4, BGP_DISP_TREAT_AS_WITHDRAW, 5,
		    (const uint8_t[]){ 0x40, 0x03, 0x05, 10, 0, 0, 2, 0 }, 8);
}

static void test_length_errors_of_optional_attributes(void **state)
{
	/* MED (§7.4), COMMUNITIES (§7.8), EXTENDED COMMUNITIES (§7.14), LARGE (RFC 8092 §6):
	 * treat-as-withdraw with 3/5. */
	const uint8_t med[] = { BASIC_ATTRS, 0x80, 0x04, 0x02, 0, 1 };
	size_t len = build(NULL, 0, med, sizeof(med), nlri_one, sizeof(nlri_one));
	expect_soft(len, &ebgp4, BGP_DISP_TREAT_AS_WITHDRAW, 5,
		    (const uint8_t[]){ 0x80, 0x04, 0x02, 0, 1 }, 5);
	const uint8_t comm[] = { BASIC_ATTRS, 0xc0, 0x08, 0x03, 1, 2, 3 };
	len = build(NULL, 0, comm, sizeof(comm), nlri_one, sizeof(nlri_one));
	expect_soft(len, &ebgp4, BGP_DISP_TREAT_AS_WITHDRAW, 5,
		    (const uint8_t[]){ 0xc0, 0x08, 0x03, 1, 2, 3 }, 6);
	const uint8_t comm0[] = { BASIC_ATTRS, 0xc0, 0x08, 0x00 };
	len = build(NULL, 0, comm0, sizeof(comm0), nlri_one, sizeof(nlri_one));
	expect_soft(len, &ebgp4, BGP_DISP_TREAT_AS_WITHDRAW, 5,
		    (const uint8_t[]){ 0xc0, 0x08, 0x00 }, 3);
	const uint8_t ext[] = { BASIC_ATTRS, 0xc0, 0x10, 0x04, 1, 2, 3, 4 };
	len = build(NULL, 0, ext, sizeof(ext), nlri_one, sizeof(nlri_one));
	expect_soft(len, &ebgp4, BGP_DISP_TREAT_AS_WITHDRAW, 5,
		    (const uint8_t[]){ 0xc0, 0x10, 0x04, 1, 2, 3, 4 }, 7);
	const uint8_t large[] = { BASIC_ATTRS, 0xc0, 0x20, 0x08, 1, 2, 3, 4, 5, 6, 7, 8 };
	len = build(NULL, 0, large, sizeof(large), nlri_one, sizeof(nlri_one));
	expect_soft(len, &ebgp4, BGP_DISP_TREAT_AS_WITHDRAW, 5,
		    (const uint8_t[]){ 0xc0, 0x20, 0x08, 1, 2, 3, 4, 5, 6, 7, 8 }, 11);
	/* LOCAL_PREF of the wrong length from an internal peer (§7.5). */
	const uint8_t lp[] = { BASIC_ATTRS, 0x40, 0x05, 0x03, 0, 0, 100 };
	len = build(NULL, 0, lp, sizeof(lp), nlri_one, sizeof(nlri_one));
	expect_soft(len, &ibgp4, BGP_DISP_TREAT_AS_WITHDRAW, 5,
		    (const uint8_t[]){ 0x40, 0x05, 0x03, 0, 0, 100 }, 6);
}

static void test_attribute_discard(void **state)
{
	/* RFC 7606 §7.6 / §7.7: ATOMIC_AGGREGATE and AGGREGATOR of the wrong length are dropped
	 * and the route kept. */
	const uint8_t atomic[] = { BASIC_ATTRS, 0x40, 0x06, 0x01, 0x00 };
	size_t len = build(NULL, 0, atomic, sizeof(atomic), nlri_one, sizeof(nlri_one));
	expect_soft(len, &ebgp4, BGP_DISP_ATTR_DISCARD, 5,
		    (const uint8_t[]){ 0x40, 0x06, 0x01, 0x00 }, 4);
	const uint8_t aggr[] = { BASIC_ATTRS, 0xc0, 0x07, 0x06, 0xfd, 0xe9, 10, 0, 0, 1 };
	len = build(NULL, 0, aggr, sizeof(aggr), nlri_one, sizeof(nlri_one));
	expect_soft(len, &ebgp4, BGP_DISP_ATTR_DISCARD, 5,
		    (const uint8_t[]){ 0xc0, 0x07, 0x06, 0xfd, 0xe9, 10, 0, 0, 1 }, 9);
	struct bgp_update d;
	assert_true(decode_as(msgbuf, len, &ebgp4, &d));
	assert_false(d.attrs.present & BGP_ATTR_BIT(BGP_ATTR_AGGREGATOR));
	assert_int_equal(d.nlri.n, 1);
	bgp_update_free(&d);
	/* The worst disposition wins: discard then treat-as-withdraw. */
	const uint8_t both[] = { BASIC_ATTRS, 0x40, 0x06, 0x01, 0x00, 0xc0, 0x08, 0x01, 0x00 };
	len = build(NULL, 0, both, sizeof(both), nlri_one, sizeof(nlri_one));
	expect_soft(len, &ebgp4, BGP_DISP_TREAT_AS_WITHDRAW, 5,
		    (const uint8_t[]){ 0xc0, 0x08, 0x01, 0x00 }, 4);
}

static void test_duplicates(void **state)
{
	/* RFC 7606 §3 g: a second ORIGIN is dropped; a second MP_REACH_NLRI resets (3/1). */
	const uint8_t dup_origin[] = { BASIC_ATTRS, 0x40, 0x01, 0x01, 0x02 };
	size_t len = build(NULL, 0, dup_origin, sizeof(dup_origin), nlri_one, sizeof(nlri_one));
	struct bgp_update d;
	assert_true(decode_as(msgbuf, len, &ebgp4, &d));
	assert_int_equal(d.disposition, BGP_DISP_NONE);
	assert_int_equal(d.attrs.origin, BGP_ORIGIN_IGP);
	bgp_update_free(&d);
	const uint8_t dup_mp[] = {
		0x80, 0x0f, 0x03, 0x00, 0x02, 0x01,
		0x80, 0x0f, 0x03, 0x00, 0x02, 0x01,
	};
	len = build(NULL, 0, dup_mp, sizeof(dup_mp), NULL, 0);
	expect_reset(len, &ebgp4, 1, NULL, 0);
}

static void test_unknown_attributes(void **state)
{
	/* RFC 4271 §6.3: unrecognised well-known → 3/2 with the attribute, session reset. */
	const uint8_t wk[] = { BASIC_ATTRS, 0x40, 0x63, 0x01, 0x07 };
	size_t len = build(NULL, 0, wk, sizeof(wk), nlri_one, sizeof(nlri_one));
	expect_reset(len, &ebgp4, 2, (const uint8_t[]){ 0x40, 0x63, 0x01, 0x07 }, 4);
	/* Unknown optional attributes (here OTC and AS4_PATH) are skipped. */
	const uint8_t opt[] = { BASIC_ATTRS, 0xc0, 0x23, 0x04, 0, 0, 0xfd, 0xe9,
				0xc0, 0x11, 0x06, 0x02, 0x01, 0, 0, 0xfd, 0xe9 };
	len = build(NULL, 0, opt, sizeof(opt), nlri_one, sizeof(nlri_one));
	struct bgp_update d;
	assert_true(decode_as(msgbuf, len, &ebgp4, &d));
	assert_int_equal(d.disposition, BGP_DISP_NONE);
	bgp_update_free(&d);
}

static void test_attribute_list_overrun(void **state)
{
	/* RFC 7606 §4: an attribute running past the Total Attribute Length → treat-as-withdraw;
	 * the NLRI after the attributes is still read. */
	const uint8_t at[] = { BASIC_ATTRS, 0xc0, 0x08, 0x08, 0xff, 0xff };
	size_t len = build(NULL, 0, at, sizeof(at), nlri_one, sizeof(nlri_one));
	struct bgp_update d;
	assert_true(decode_as(msgbuf, len, &ebgp4, &d));
	assert_int_equal(d.disposition, BGP_DISP_TREAT_AS_WITHDRAW);
	assert_int_equal(err.subcode, 1);
	assert_int_equal(d.nlri.n, 1);
	bgp_update_free(&d);
	/* Two octets left: not even a header. */
	const uint8_t at2[] = { BASIC_ATTRS, 0xc0, 0x08 };
	len = build(NULL, 0, at2, sizeof(at2), nlri_one, sizeof(nlri_one));
	assert_true(decode_as(msgbuf, len, &ebgp4, &d));
	assert_int_equal(d.disposition, BGP_DISP_TREAT_AS_WITHDRAW);
	assert_int_equal(err.data_len, 2);
	bgp_update_free(&d);
}

static void test_mp_errors(void **state)
{
	/* RFC 7606 §7.11: an IPv6 next hop length of 8 → session reset, 3/9, attribute as data. */
	const uint8_t bad_nh[] = { 0x80, 0x0e, 0x0d, 0x00, 0x02, 0x01, 0x08, 1, 2, 3, 4, 5, 6, 7, 8,
				   0x00, ORIGIN_IGP, ASPATH_65001 };
	size_t len = build(NULL, 0, bad_nh, sizeof(bad_nh), NULL, 0);
	expect_reset(len, &ebgp4, 9, bad_nh, 16);
	/* Next hop longer than the attribute. */
	const uint8_t nh_overrun[] = { 0x80, 0x0e, 0x05, 0x00, 0x02, 0x01, 0x10, 0x00 };
	len = build(NULL, 0, nh_overrun, sizeof(nh_overrun), NULL, 0);
	expect_reset(len, &ebgp4, 9, nh_overrun, sizeof(nh_overrun));
	/* RFC 7606 §5.3: bad NLRI inside MP_UNREACH_NLRI (a /129). */
	const uint8_t bad_unreach[] = { 0x80, 0x0f, 0x04, 0x00, 0x02, 0x01, 0x81 };
	len = build(NULL, 0, bad_unreach, sizeof(bad_unreach), NULL, 0);
	expect_reset(len, &ebgp4, 9, bad_unreach, sizeof(bad_unreach));
	/* A family we do not speak is ignored. */
	const uint8_t other[] = { 0x80, 0x0f, 0x04, 0x00, 0x19, 0x46, 0x00 };
	len = build(NULL, 0, other, sizeof(other), NULL, 0);
	struct bgp_update d;
	assert_true(decode_as(msgbuf, len, &ebgp4, &d));
	assert_int_equal(d.disposition, BGP_DISP_NONE);
	assert_false(d.has_mp_unreach);
	bgp_update_free(&d);
	/* MP_REACH_NLRI with the wrong flags is still parsed (to withdraw its NLRI). */
	const uint8_t flags[] = { 0xc0, 0x0e, 0x19, 0x00, 0x02, 0x01, 0x10,
				  0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
				  0x00, 0x18, 0x20, 0x01, 0x0d, ORIGIN_IGP, ASPATH_65001 };
	len = build(NULL, 0, flags, sizeof(flags), NULL, 0);
	assert_true(decode_as(msgbuf, len, &ebgp4, &d));
	assert_int_equal(d.disposition, BGP_DISP_TREAT_AS_WITHDRAW);
	assert_int_equal(err.subcode, 4);
	assert_true(d.has_mp_reach);
	assert_int_equal(d.mp_reach.n, 1);
	assert_int_equal(d.mp_next_hop_ll.family, IP_NONE);
	bgp_update_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_announce_vector),
		cmocka_unit_test(test_ipv6_announce_vector),
		cmocka_unit_test(test_withdraw_vectors),
		cmocka_unit_test(test_end_of_rib),
		cmocka_unit_test(test_all_attributes_round_trip),
		cmocka_unit_test(test_link_bandwidth_layout),
		cmocka_unit_test(test_two_octet_as_path_and_as4_path),
		cmocka_unit_test(test_field_lengths_too_large),
		cmocka_unit_test(test_bad_nlri),
		cmocka_unit_test(test_origin_errors),
		cmocka_unit_test(test_flags_error),
		cmocka_unit_test(test_missing_well_known),
		cmocka_unit_test(test_as_path_errors),
		cmocka_unit_test(test_next_hop_errors),
		cmocka_unit_test(test_length_errors_of_optional_attributes),
		cmocka_unit_test(test_attribute_discard),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_unknown_attributes),
		cmocka_unit_test(test_attribute_list_overrun),
		cmocka_unit_test(test_mp_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
