/* Unit tests for the Adj-RIB-Out (bgp/ribout.c): differences, grouping by attributes, families,
 * session attributes, refresh. Messages are collected from the callback and decoded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "bgp/ribout.h"
#include "bgp_test_util.h"

#define MAXMSG 200

static struct bgp_update got[MAXMSG];
static size_t ngot;

static void collect(void *arg, const uint8_t *msg, size_t len)
{
	const struct bgp_ribout_ctx *ctx = arg;
	assert_true(len <= BGP_MAX_MSG_LEN);
	assert_true(ngot < MAXMSG);
	rbuf r = rbuf_make(msg, len);
	struct bgp_msg m;
	static struct bgp_error err;
	assert_true(bgp_msg_decode(&r, &ctx->opts, &m, &err));
	assert_int_equal(m.type, BGP_MSG_UPDATE);
	assert_int_equal(m.u.update.disposition, BGP_DISP_NONE);
	got[ngot++] = m.u.update;
}

static void clear(void)
{
	for (size_t i = 0; i < ngot; i++)
		bgp_update_free(&got[i]);
	ngot = 0;
}

static struct bgp_ribout_ctx ebgp_ctx(void)
{
	struct bgp_ribout_ctx c;
	memset(&c, 0, sizeof(c));
	c.opts.as4 = true;
	c.families = BGP_FAM_BIT(BGP_FAM_IPV4_UNICAST) | BGP_FAM_BIT(BGP_FAM_IPV6_UNICAST);
	c.local_as = 65001;
	c.next_hop_v4 = v4(10, 0, 0, 2);
	c.next_hop_v6 = v6(0x2001, 2);
	return c;
}

static const uint32_t comm_a[] = { 0xfde90001 };
static const struct bgp_route_attrs attrs_a = { .ncommunities = 1, .communities = comm_a };
static const struct bgp_route_attrs attrs_b = { .has_med = true, .med = 5 };

static void test_first_sync_groups_by_attributes(void **state)
{
	struct bgp_ribout_ctx ctx = ebgp_ctx();
	struct bgp_ribout r;
	bgp_ribout_init(&r);
	struct bgp_route routes[] = {
		{ pfx4(0xc0000201, 32), &attrs_a },
		{ pfx6(1, 128), &attrs_a },
		{ pfx4(0xc0000202, 32), &attrs_b },
		{ pfx4(0xc0000203, 32), &attrs_a },
		{ pfx6(2, 128), NULL },
	};
	bgp_ribout_set(&r, routes, 5);
	assert_int_equal(bgp_ribout_sync(&r, &ctx, collect, &ctx), 4);
	assert_int_equal(ngot, 4);
	assert_int_equal(bgp_ribout_advertised(&r), 5);
	/* IPv4 with A (two prefixes), IPv4 with B, then IPv6 runs. */
	assert_int_equal(got[0].nlri.n, 2);
	assert_int_equal(got[0].attrs.ncommunities, 1);
	assert_int_equal(got[0].attrs.aspath_len, 1);
	assert_int_equal(got[0].attrs.aspath[0].asns[0], 65001);
	assert_false(got[0].attrs.present & BGP_ATTR_BIT(BGP_ATTR_LOCAL_PREF));
	assert_int_equal(got[0].attrs.next_hop.bytes[3], 2);
	assert_int_equal(got[1].nlri.n, 1);
	assert_int_equal(got[1].attrs.med, 5);
	assert_true(got[2].has_mp_reach || got[3].has_mp_reach);
	assert_int_equal(got[2].mp_reach.n + got[3].mp_reach.n, 2);
	clear();
	/* Nothing changed: nothing sent. */
	assert_int_equal(bgp_ribout_sync(&r, &ctx, collect, &ctx), 0);
	bgp_ribout_free(&r);
}

static void test_changes_send_only_the_difference(void **state)
{
	struct bgp_ribout_ctx ctx = ebgp_ctx();
	struct bgp_ribout r;
	bgp_ribout_init(&r);
	struct bgp_route routes[] = {
		{ pfx4(0xc0000201, 32), &attrs_a },
		{ pfx4(0xc0000202, 32), &attrs_a },
		{ pfx4(0xc0000203, 32), &attrs_a },
		{ pfx6(1, 128), &attrs_a },
	};
	bgp_ribout_set(&r, routes, 4);
	bgp_ribout_sync(&r, &ctx, collect, &ctx);
	clear();
	/* .1 goes, .2 changes attributes, .3 stays, ::1 goes, ::2 arrives. */
	struct bgp_route next[] = {
		{ pfx4(0xc0000202, 32), &attrs_b },
		{ pfx4(0xc0000203, 32), &attrs_a },
		{ pfx6(2, 128), &attrs_a },
	};
	bgp_ribout_set(&r, next, 3);
	/* Pending before the sync: .1 and ::1 to withdraw, .2 (new attributes) and ::2 to announce;
	 * .3 is held as wanted. */
	assert_int_equal(bgp_ribout_pending(&r), 4);
	assert_int_equal(bgp_ribout_sync(&r, &ctx, collect, &ctx), 4);
	assert_int_equal(bgp_ribout_pending(&r), 0);
	/* Withdrawals first. */
	assert_int_equal(got[0].withdrawn.n, 1);
	assert_int_equal(got[0].withdrawn.v[0].addr.bytes[3], 1);
	assert_true(got[1].has_mp_unreach);
	assert_int_equal(got[1].mp_unreach.n, 1);
	assert_int_equal(got[2].nlri.n, 1);
	assert_int_equal(got[2].nlri.v[0].addr.bytes[3], 2);
	assert_int_equal(got[2].attrs.med, 5);
	assert_true(got[3].has_mp_reach);
	assert_int_equal(got[3].mp_reach.v[0].addr.bytes[15], 2);
	assert_int_equal(bgp_ribout_advertised(&r), 3);
	clear();
	/* Everything goes. */
	bgp_ribout_set(&r, NULL, 0);
	assert_int_equal(bgp_ribout_pending(&r), 3);
	assert_int_equal(bgp_ribout_sync(&r, &ctx, collect, &ctx), 2);
	assert_int_equal(got[0].withdrawn.n, 2);
	assert_int_equal(got[1].mp_unreach.n, 1);
	assert_int_equal(bgp_ribout_advertised(&r), 0);
	assert_int_equal(r.nattrs, 0);   /* unused attribute sets are dropped */
	clear();
	bgp_ribout_free(&r);
}

static void test_ibgp_attributes_and_families(void **state)
{
	struct bgp_ribout_ctx ctx = ebgp_ctx();
	ctx.opts.ibgp = true;
	ctx.families = BGP_FAM_BIT(BGP_FAM_IPV4_UNICAST);
	struct bgp_ribout r;
	bgp_ribout_init(&r);
	const struct bgp_route_attrs lp = { .has_local_pref = true, .local_pref = 250 };
	struct bgp_route routes[] = {
		{ pfx4(0xc0000201, 32), NULL },
		{ pfx4(0xc0000202, 32), &lp },
		{ pfx6(1, 128), NULL },
	};
	bgp_ribout_set(&r, routes, 3);
	assert_int_equal(bgp_ribout_sync(&r, &ctx, collect, &ctx), 2);
	/* RFC 4271 §5.1.2 / §5.1.5: empty AS_PATH and LOCAL_PREF (100 by default) to iBGP. */
	assert_true(got[0].attrs.present & BGP_ATTR_BIT(BGP_ATTR_AS_PATH));
	assert_int_equal(got[0].attrs.aspath_len, 0);
	assert_int_equal(got[0].attrs.local_pref, 100);
	assert_int_equal(got[1].attrs.local_pref, 250);
	assert_int_equal(bgp_ribout_advertised(&r), 2);   /* IPv6 was not negotiated */
	clear();
	/* Route refresh resends the family; reset forgets what the peer holds. */
	assert_int_equal(bgp_ribout_refresh(&r, &ctx, BGP_FAM_IPV4_UNICAST, collect, &ctx), 2);
	clear();
	bgp_ribout_reset(&r);
	assert_int_equal(bgp_ribout_advertised(&r), 0);
	assert_int_equal(bgp_ribout_sync(&r, &ctx, collect, &ctx), 2);
	clear();
	bgp_ribout_free(&r);
}

static void test_duplicates_keep_the_last(void **state)
{
	struct bgp_ribout_ctx ctx = ebgp_ctx();
	struct bgp_ribout r;
	bgp_ribout_init(&r);
	struct bgp_route routes[] = {
		{ pfx4(0xc0000201, 32), &attrs_a },
		{ pfx4(0xc0000201, 32), &attrs_b },
	};
	bgp_ribout_set(&r, routes, 2);
	assert_int_equal(bgp_ribout_sync(&r, &ctx, collect, &ctx), 1);
	assert_int_equal(got[0].nlri.n, 1);
	assert_int_equal(got[0].attrs.med, 5);
	clear();
	bgp_ribout_free(&r);
}

/* RFC 8326 §3: with graceful shutdown on, a refresh re-announces every route with
 * GRACEFUL_SHUTDOWN added after its own communities (once, even if the route already has it). */
static void test_graceful_shutdown_adds_the_community(void **state)
{
	struct bgp_ribout_ctx ctx = ebgp_ctx();
	struct bgp_ribout r;
	bgp_ribout_init(&r);
	static const uint32_t has_gshut[] = { BGP_COMMUNITY_GRACEFUL_SHUTDOWN };
	static const struct bgp_route_attrs attrs_g = { .ncommunities = 1, .communities = has_gshut };
	struct bgp_route routes[] = {
		{ pfx4(0xc0000201, 32), &attrs_a },
		{ pfx4(0xc0000202, 32), NULL },
		{ pfx6(1, 128), &attrs_g },
	};
	bgp_ribout_set(&r, routes, 3);
	bgp_ribout_sync(&r, &ctx, collect, &ctx);
	clear();
	ctx.graceful_shutdown = true;
	size_t msgs = bgp_ribout_refresh(&r, &ctx, BGP_FAM_IPV4_UNICAST, collect, &ctx);
	msgs += bgp_ribout_refresh(&r, &ctx, BGP_FAM_IPV6_UNICAST, collect, &ctx);
	assert_int_equal(msgs, 3);
	for (size_t i = 0; i < ngot; i++) {
		const struct bgp_attrs *a = &got[i].attrs;
		assert_true(a->ncommunities >= 1);
		assert_int_equal(a->communities[a->ncommunities - 1], BGP_COMMUNITY_GRACEFUL_SHUTDOWN);
		if (got[i].nlri.n && got[i].nlri.v[0].addr.bytes[3] == 1) {
			assert_int_equal(a->ncommunities, 2);
			assert_int_equal(a->communities[0], comm_a[0]);
		} else {
			assert_int_equal(a->ncommunities, 1);
		}
	}
	clear();
	/* Withdrawals are unchanged. */
	bgp_ribout_set(&r, NULL, 0);
	assert_int_equal(bgp_ribout_sync(&r, &ctx, collect, &ctx), 2);
	clear();
	bgp_ribout_free(&r);
}

static void test_100000_routes(void **state)
{
	enum { N = 100000 };
	struct bgp_ribout_ctx ctx = ebgp_ctx();
	struct bgp_route *routes = calloc(N, sizeof(*routes));
	for (size_t i = 0; i < N; i++)
		routes[i].prefix = pfx4(0x0ac80000u + (uint32_t)i, 32);
	struct bgp_ribout r;
	bgp_ribout_init(&r);
	bgp_ribout_set(&r, routes, N);
	/* 810 /32s per UPDATE with ORIGIN, AS_PATH, NEXT_HOP (see test_msg_pack). */
	size_t total = 0;
	assert_int_equal(bgp_ribout_sync(&r, &ctx, collect, &ctx), (N + 809) / 810);
	for (size_t i = 0; i < ngot; i++)
		total += got[i].nlri.n;
	assert_int_equal(total, N);
	clear();
	free(routes);
	bgp_ribout_free(&r);
}

/* Pending counts only what a sync with the last families would send: a family the session does
 * not carry is never pending. */
static void test_pending_follows_the_synced_families(void **state)
{
	struct bgp_ribout_ctx ctx = ebgp_ctx();
	ctx.families = BGP_FAM_BIT(BGP_FAM_IPV4_UNICAST);
	struct bgp_ribout r;
	bgp_ribout_init(&r);
	struct bgp_route routes[] = {
		{ pfx4(0xc0000201, 32), &attrs_a },
		{ pfx4(0xc0000202, 32), &attrs_a },
		{ pfx6(1, 128), &attrs_a },
	};
	bgp_ribout_set(&r, routes, 3);
	/* Never synced: no family known yet, nothing the session would send. */
	assert_int_equal(bgp_ribout_pending(&r), 0);
	assert_int_equal(bgp_ribout_sync(&r, &ctx, collect, &ctx), 1);
	clear();
	assert_int_equal(bgp_ribout_advertised(&r), 2);
	assert_int_equal(bgp_ribout_pending(&r), 0);
	/* A new IPv4 route is pending, a new IPv6 one is not. */
	struct bgp_route more[] = {
		routes[0], routes[1], routes[2],
		{ pfx4(0xc0000203, 32), &attrs_b },
		{ pfx6(2, 128), &attrs_b },
	};
	bgp_ribout_set(&r, more, 5);
	assert_int_equal(bgp_ribout_pending(&r), 1);
	assert_int_equal(bgp_ribout_sync(&r, &ctx, collect, &ctx), 1);
	clear();
	assert_int_equal(bgp_ribout_pending(&r), 0);
	/* The session went down: the peer holds nothing, so every wanted IPv4 route is pending
	 * again (bgp_peer_status reports it only while Established). */
	bgp_ribout_reset(&r);
	assert_int_equal(bgp_ribout_pending(&r), 3);
	bgp_ribout_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_sync_groups_by_attributes),
		cmocka_unit_test(test_changes_send_only_the_difference),
		cmocka_unit_test(test_ibgp_attributes_and_families),
		cmocka_unit_test(test_duplicates_keep_the_last),
		cmocka_unit_test(test_graceful_shutdown_adds_the_community),
		cmocka_unit_test(test_100000_routes),
		cmocka_unit_test(test_pending_follows_the_synced_families),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
