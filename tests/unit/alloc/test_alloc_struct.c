/*
 * Unit tests for the allocator's building blocks: the interval treap, the order-statistic treap of
 * the sharing index, the hash map, and a pool's free space with avoidBuggyIPs (take/return
 * against a bitmap reference) and its capacity.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc/alloc_int.h"
#include "alloc_fixture.h"

static uint32_t rng_state;

static uint32_t rnd(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

static void test_ivtree_floor_above_first(void **state)
{
	struct ivtree t;
	ivtree_init(&t);
	assert_null(ivtree_first(&t));
	ivtree_insert(&t, 50, 59);
	ivtree_insert(&t, 10, 19);
	ivtree_insert(&t, 30, 39);
	assert_int_equal(t.n, 3);
	assert_true(ivtree_first(&t)->lo == 10);
	assert_null(ivtree_floor(&t, 9));
	assert_true(ivtree_floor(&t, 10)->lo == 10);
	assert_true(ivtree_floor(&t, 45)->lo == 30);
	assert_true(ivtree_above(&t, 30)->lo == 50);
	assert_null(ivtree_above(&t, 50));
	ivtree_remove(&t, 10);
	assert_true(ivtree_first(&t)->lo == 30);
	ivtree_clear(&t);
	assert_int_equal(t.n, 0);
}

static void test_ivtree_stays_ordered_under_churn(void **state)
{
	/* 2000 random disjoint unit intervals inserted and removed; an in-order walk via above()
	 * must always list exactly the members of a reference bitmap. */
	enum { N = 4096 };
	static bool in[N];
	memset(in, 0, sizeof(in));
	struct ivtree t;
	ivtree_init(&t);
	rng_state = 7;
	for (int step = 0; step < 20000; step++) {
		u128 x = rnd() % N;
		if (in[x])
			ivtree_remove(&t, x);
		else
			ivtree_insert(&t, x, x);
		in[x] = !in[x];
	}
	size_t count = 0;
	u128 expect = 0;
	for (struct ivnode *n = ivtree_first(&t); n; n = ivtree_above(&t, n->lo)) {
		while (!in[expect])
			expect++;
		assert_true(n->lo == expect);
		expect++;
		count++;
	}
	size_t ref = 0;
	for (int i = 0; i < N; i++)
		ref += in[i];
	assert_int_equal(count, ref);
	assert_int_equal(t.n, ref);
	ivtree_clear(&t);
}

static struct oskey K(u128 v)
{
	return (struct oskey){ .family = IP_V4, .value = v };
}

static void test_ostree_rank_select_skip(void **state)
{
	/* A set and a subset of 0..511 under random churn; rank, select and skip must agree with
	 * the bitmaps. */
	enum { N = 512 };
	static bool in_all[N], in_sub[N];
	memset(in_all, 0, sizeof(in_all));
	memset(in_sub, 0, sizeof(in_sub));
	struct ostree all, sub;
	ostree_init(&all);
	ostree_init(&sub);
	rng_state = 3;
	for (int step = 0; step < 6000; step++) {
		u128 x = rnd() % N;
		if (!in_all[x]) {
			ostree_insert(&all, K(x));
			in_all[x] = true;
		} else if (rnd() % 2) {
			if (in_sub[x])
				ostree_remove(&sub, K(x));
			else
				ostree_insert(&sub, K(x));
			in_sub[x] = !in_sub[x];
		} else {
			if (in_sub[x])
				ostree_remove(&sub, K(x));
			ostree_remove(&all, K(x));
			in_all[x] = in_sub[x] = false;
		}
		if (step % 50)
			continue;
		size_t rank = 0;
		for (u128 v = 0; v < N; v++) {
			assert_int_equal(ostree_rank(&all, K(v)), rank);
			if (in_all[v]) {
				assert_true(ostree_select(&all, rank).value == v);
				rank++;
				/* skip from v: the first member of all >= v not in sub */
				u128 want = v;
				while (want < N && (!in_all[want] || in_sub[want]))
					want++;
				struct oskey got;
				bool found = ostree_skip(&all, &sub, K(v), &got);
				assert_int_equal(found, want < N);
				if (found)
					assert_true(got.value == want);
			}
		}
		assert_int_equal(ostree_size(&all), rank);
	}
	/* Families order before values. */
	struct oskey v6 = { .family = IP_V6, .value = 0 };
	ostree_insert(&all, v6);
	assert_int_equal(ostree_rank(&all, v6), ostree_size(&all) - 1);
	ostree_clear(&all);
	ostree_clear(&sub);
}

static void test_hmap_put_get_del(void **state)
{
	struct hmap m;
	hmap_init(&m);
	enum { N = 5000 };
	static int values[N];
	char key[32];
	for (int i = 0; i < N; i++) {
		values[i] = i;
		snprintf(key, sizeof(key), "ns/svc-%d", i);
		assert_null(hmap_put(&m, key, strlen(key), &values[i]));
	}
	assert_int_equal(m.n, N);
	/* Delete every third, then check everything (backward shift must keep probe runs whole). */
	for (int i = 0; i < N; i += 3) {
		snprintf(key, sizeof(key), "ns/svc-%d", i);
		assert_ptr_equal(hmap_del(&m, key, strlen(key)), &values[i]);
	}
	for (int i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "ns/svc-%d", i);
		void *v = hmap_get(&m, key, strlen(key));
		if (i % 3 == 0)
			assert_null(v);
		else
			assert_ptr_equal(v, &values[i]);
	}
	assert_null(hmap_del(&m, "absent", 6));
	size_t it = 0, seen = 0;
	const struct hmap_slot *slot;
	while (hmap_next(&m, &it, &slot))
		seen++;
	assert_int_equal(seen, m.n);
	hmap_free(&m);
}

/* A one-range pool built from text, outside any allocator. */
static struct cfg_model *model_with(const char *range, bool avoid_buggy, struct apool *out)
{
	struct cfg_model *m = model_new();
	struct cfg_pool *p = FX_POOL(m, "p", range);
	p->avoid_buggy_ips = avoid_buggy;
	pool_build(out, p);
	return m;
}

static void test_pool_capacity(void **state)
{
	static const struct {
		const char *range;
		bool buggy;
		uint64_t v4, v6;
	} cases[] = {
		{ "198.51.100.0/24", false, 256, 0 },
		{ "198.51.100.0/24", true, 254, 0 },
		{ "10.0.0.0/16", true, 65536 - 512, 0 },
		{ "10.0.0.250-10.0.1.5", true, 12 - 2, 0 },
		{ "10.0.0.255-10.0.0.255", true, 0, 0 },
		{ "2001:db8::/120", true, 0, 256 },
		{ "2001:db8::/64", false, 0, INT64_MAX },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct apool p;
		struct cfg_model *m = model_with(cases[i].range, cases[i].buggy, &p);
		assert_true(p.capacity_v4 == cases[i].v4);
		assert_true(p.capacity_v6 == cases[i].v6);
		pool_destroy(&p);
		model_free(m);
	}
}

static void test_pool_take_put_matches_bitmap(void **state)
{
	/* 10.0.0.200-10.0.3.60 with avoidBuggyIPs: random takes and returns; the lowest free address
	 * must always be the lowest usable one the bitmap has free. */
	struct apool p;
	struct cfg_model *m = model_with("10.0.0.200-10.0.3.60", true, &p);
	u128 base = p.ranges[0].lo, size = p.ranges[0].hi - base + 1;
	static bool used[1024];
	memset(used, 0, sizeof(used));
	rng_state = 99;
	for (int step = 0; step < 20000; step++) {
		u128 off = rnd() % size, v = base + off;
		if (!pool_usable(&p, IP_V4, v))
			continue;
		if (used[off])
			pool_put(&p, 0, v);
		else
			pool_take(&p, 0, v);
		used[off] = !used[off];
		u128 lowest;
		bool any = pool_lowest_free(&p, 0, &lowest);
		u128 ref = 0;
		bool ref_any = false;
		for (u128 o = 0; o < size && !ref_any; o++) {
			if (!used[o] && pool_usable(&p, IP_V4, base + o)) {
				ref = base + o;
				ref_any = true;
			}
		}
		assert_int_equal(any, ref_any);
		if (any)
			assert_true(lowest == ref);
	}
	pool_destroy(&p);
	model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ivtree_floor_above_first),
		cmocka_unit_test(test_ivtree_stays_ordered_under_churn),
		cmocka_unit_test(test_ostree_rank_select_skip),
		cmocka_unit_test(test_hmap_put_get_del),
		cmocka_unit_test(test_pool_capacity),
		cmocka_unit_test(test_pool_take_put_matches_bitmap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
