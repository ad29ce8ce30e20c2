/* Unit tests for UPDATE packing (bgp_update_pack in bgp/msg_update.c): prefixes with one
 * attribute set fill each UPDATE up to 4096 octets, in order, each exactly once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "bgp_test_util.h"

#define N 10000

static const struct bgp_codec_opts opts = { .as4 = true };
static uint32_t asn_65001 = 65001;
static struct bgp_as_segment seg_65001 = { BGP_AS_SEQUENCE, 1, &asn_65001 };
static ip_prefix prefixes[N];
static ip_prefix seen[N];

static struct bgp_attrs attrs(void)
{
	struct bgp_attrs a;
	memset(&a, 0, sizeof(a));
	a.present = BGP_ATTR_BIT(BGP_ATTR_ORIGIN) | BGP_ATTR_BIT(BGP_ATTR_AS_PATH);
	a.aspath = &seg_65001;
	a.aspath_len = 1;
	a.next_hop = v4(10, 77, 0, 2);
	return a;
}

/* Packs everything, one UPDATE per 4096-octet buffer; decodes each message and returns how many
 * there were. The prefixes seen are appended to seen[] in order. */
static size_t pack_all(const struct bgp_pack *tmpl, size_t *nseen)
{
	struct bgp_pack p = *tmpl;
	size_t msgs = 0;
	*nseen = 0;
	while (p.n > 0) {
		uint8_t buf[BGP_MAX_MSG_LEN];
		wbuf w = wbuf_make(buf, sizeof(buf));
		size_t k = bgp_update_pack(&w, &opts, &p);
		assert_true(k > 0);
		assert_true(wbuf_len(&w) <= BGP_MAX_MSG_LEN);
		/* Minimal: the next prefix would not have fitted. */
		if (k < p.n) {
			size_t next = 1 + (p.prefixes[k].len + 7u) / 8;
			assert_true(wbuf_len(&w) + next > BGP_MAX_MSG_LEN);
		}
		rbuf r = rbuf_make(buf, wbuf_len(&w));
		struct bgp_msg m;
		struct bgp_error err;
		assert_true(bgp_msg_decode(&r, &opts, &m, &err));
		assert_int_equal(m.type, BGP_MSG_UPDATE);
		struct bgp_update *u = &m.u.update;
		assert_int_equal(u->disposition, BGP_DISP_NONE);
		const struct bgp_prefixes *got;
		if (p.family == BGP_FAM_IPV4_UNICAST)
			got = p.withdraw ? &u->withdrawn : &u->nlri;
		else
			got = p.withdraw ? &u->mp_unreach : &u->mp_reach;
		assert_int_equal(got->n, k);
		for (size_t i = 0; i < got->n; i++)
			seen[(*nseen)++] = got->v[i];
		if (!p.withdraw) {
			struct bgp_attrs want = *p.attrs;
			if (p.family == BGP_FAM_IPV4_UNICAST) {
				want.present |= BGP_ATTR_BIT(BGP_ATTR_NEXT_HOP);
				want.next_hop = p.attrs->next_hop;
			}
			assert_true(bgp_attrs_equal(&u->attrs, &want));
		}
		if (p.family == BGP_FAM_IPV6_UNICAST && !p.withdraw) {
			assert_memory_equal(u->mp_next_hop.bytes, p.next_hop.bytes, 16);
			assert_int_equal(u->mp_next_hop_ll.family, p.next_hop_ll.family);
		}
		bgp_msg_free(&m);
		p.prefixes += k;
		p.n -= k;
		msgs++;
	}
	return msgs;
}

static void check_all_seen_once(size_t nseen, size_t n)
{
	assert_int_equal(nseen, n);
	for (size_t i = 0; i < n; i++)
		assert_true(prefix_eq(&seen[i], &prefixes[i]));   /* in order, so each exactly once */
}

static void test_pack_10000_ipv4_host_routes(void **state)
{
	for (size_t i = 0; i < N; i++)
		prefixes[i] = pfx4(0x0ac80000u + (uint32_t)i, 32);
	struct bgp_attrs a = attrs();
	struct bgp_pack p = { .family = BGP_FAM_IPV4_UNICAST, .attrs = &a, .prefixes = prefixes,
			      .n = N };
	size_t nseen;
	size_t msgs = pack_all(&p, &nseen);
	/* 23 octets of header and field lengths, 20 of ORIGIN + AS_PATH + NEXT_HOP: 4053 left,
	 * 810 /32s (5 octets each) per UPDATE, so 13 UPDATEs. */
	assert_int_equal(msgs, (N + 809) / 810);
	assert_int_equal(msgs, 13);
	check_all_seen_once(nseen, N);

	/* Withdrawals: 4073 octets for prefixes, 814 per UPDATE. */
	p.withdraw = true;
	msgs = pack_all(&p, &nseen);
	assert_int_equal(msgs, (N + 813) / 814);
	check_all_seen_once(nseen, N);
}

static void test_pack_10000_ipv6_host_routes(void **state)
{
	for (size_t i = 0; i < N; i++) {
		prefixes[i] = pfx6((uint16_t)i, 128);
		prefixes[i].addr.bytes[13] = (uint8_t)(i >> 16);
	}
	struct bgp_attrs a = attrs();
	struct bgp_pack p = { .family = BGP_FAM_IPV6_UNICAST, .attrs = &a, .prefixes = prefixes,
			      .n = N, .next_hop = v6(0x2001, 2), .next_hop_ll = v6(0xfe80, 2) };
	size_t nseen;
	size_t msgs = pack_all(&p, &nseen);
	/* 23 + 13 (ORIGIN, AS_PATH) + 4 + 5 + 32 (MP_REACH_NLRI with both next hops) = 77:
	 * 4019 octets, 236 /128s (17 octets each) per UPDATE. */
	assert_int_equal(msgs, (N + 235) / 236);
	check_all_seen_once(nseen, N);

	p.withdraw = true;
	msgs = pack_all(&p, &nseen);
	/* 23 + 4 + 3 = 30: 4066 octets, 239 per UPDATE. */
	assert_int_equal(msgs, (N + 238) / 239);
	check_all_seen_once(nseen, N);
}

static void test_pack_mixed_lengths(void **state)
{
	for (size_t i = 0; i < N; i++)
		prefixes[i] = pfx4(((uint32_t)i << 12) & 0xfffff000u, (uint8_t)(20 + i % 5));
	for (size_t i = 0; i < N; i++) {   /* mask to the length */
		ip_prefix *p = &prefixes[i];
		for (unsigned b = p->len; b < 32; b++)
			p->addr.bytes[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
	}
	struct bgp_attrs a = attrs();
	uint32_t comms[300];
	for (size_t i = 0; i < 300; i++)
		comms[i] = 0xfde90000u + (uint32_t)i;
	a.communities = comms;
	a.ncommunities = 300;   /* 1200 octets, extended length */
	struct bgp_pack p = { .family = BGP_FAM_IPV4_UNICAST, .attrs = &a, .prefixes = prefixes,
			      .n = N };
	size_t nseen;
	pack_all(&p, &nseen);
	check_all_seen_once(nseen, N);
}

static void test_pack_limits(void **state)
{
	prefixes[0] = pfx4(0x0a000001, 32);
	prefixes[1] = pfx4(0x0a000002, 32);
	struct bgp_attrs a = attrs();
	struct bgp_pack p = { .family = BGP_FAM_IPV4_UNICAST, .attrs = &a, .prefixes = prefixes,
			      .n = 2, .max_len = 48 };
	uint8_t buf[BGP_MAX_MSG_LEN];
	/* max_len 48 leaves room for exactly one /32 (43 + 5). */
	wbuf w = wbuf_make(buf, sizeof(buf));
	assert_int_equal(bgp_update_pack(&w, &opts, &p), 1);
	assert_int_equal(wbuf_len(&w), 48);
	/* A buffer too small for even one prefix: nothing written. */
	w = wbuf_make(buf, 47);
	p.max_len = 0;
	assert_int_equal(bgp_update_pack(&w, &opts, &p), 0);
	assert_int_equal(wbuf_len(&w), 0);
	assert_true(wbuf_ok(&w));
	/* Attributes larger than a message: nothing written. */
	static uint32_t many[1100];
	a.communities = many;
	a.ncommunities = 1100;
	w = wbuf_make(buf, sizeof(buf));
	assert_int_equal(bgp_update_pack(&w, &opts, &p), 0);
	assert_int_equal(wbuf_len(&w), 0);
	/* Nothing to pack. */
	p.n = 0;
	assert_int_equal(bgp_update_pack(&w, &opts, &p), 0);
}

static void test_pack_appends_to_a_queue(void **state)
{
	for (size_t i = 0; i < 2000; i++)
		prefixes[i] = pfx4(0x0ac80000u + (uint32_t)i, 32);
	struct bgp_attrs a = attrs();
	struct bgp_pack p = { .family = BGP_FAM_IPV4_UNICAST, .attrs = &a, .prefixes = prefixes,
			      .n = 2000 };
	static uint8_t queue[65536];
	wbuf w = wbuf_make(queue, sizeof(queue));
	size_t msgs = 0;
	while (p.n > 0) {
		size_t k = bgp_update_pack(&w, &opts, &p);
		assert_true(k > 0);
		p.prefixes += k;
		p.n -= k;
		msgs++;
	}
	assert_int_equal(msgs, 3);
	/* The queue frames back into three messages. */
	rbuf r = rbuf_make(queue, wbuf_len(&w));
	size_t framed = 0;
	while (!rbuf_empty(&r)) {
		struct bgp_header h;
		struct bgp_error err;
		assert_int_equal(bgp_frame(&r, &h, &err), BGP_FRAME_OK);
		assert_true(rbuf_skip(&r, h.len));
		framed++;
	}
	assert_int_equal(framed, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pack_10000_ipv4_host_routes),
		cmocka_unit_test(test_pack_10000_ipv6_host_routes),
		cmocka_unit_test(test_pack_mixed_lengths),
		cmocka_unit_test(test_pack_limits),
		cmocka_unit_test(test_pack_appends_to_a_queue),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
