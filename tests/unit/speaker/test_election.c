/*
 * The L2 election: MetalLB's key (sha256 of "node#ip"), the winner rule (weight, then key), its
 * independence from input order, and its stability: removing a node that does not own an IP never
 * moves it, adding a node moves only the IPs the newcomer wins, about 1/(N+1) of them, and IPs
 * spread evenly over nodes (checked over many IPs).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spk_fixture.h"

static void hex(const uint8_t key[32], char out[65])
{
	for (size_t i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", key[i]);
}

static void test_key_vectors(void **state)
{
	(void)state;
	/* python3: hashlib.sha256(b"node1#10.0.0.1").hexdigest() */
	uint8_t key[32];
	char text[65];
	ip_addr ip = fx_ip("10.0.0.1");
	spk_election_key("node1", &ip, key);
	hex(key, text);
	assert_string_equal(text, "414b4c5392caa413d81d44f63a055c8b42cd8cfd6c339c8525f16eebc27e271b");
	ip = fx_ip("2001:db8::1");
	spk_election_key("worker-2", &ip, key);
	hex(key, text);
	assert_string_equal(text, "54f592102a92a13118648dccda6b609072771bb0b9298b82fa9044351d2f1c39");
}

/* The winners MetalLB's sort gives (python: min of names by sha256(name + "#" + ip)). */
static void test_metallb_winners(void **state)
{
	(void)state;
	static const struct {
		const char *ip, *winner;
	} cases[] = {
		{ "10.0.0.1", "node-b" },
		{ "10.0.0.2", "node-b" },
		{ "2001:db8::1", "node-d" },
	};
	const char *names[] = { "node-a", "node-b", "node-c", "node-d" };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ip_addr ip = fx_ip(cases[i].ip);
		size_t w = spk_elect(&ip, names, NULL, 4);
		assert_true(w < 4);
		assert_string_equal(names[w], cases[i].winner);
	}
}

static void test_empty_and_single(void **state)
{
	(void)state;
	ip_addr ip = fx_ip("10.0.0.1");
	assert_int_equal(spk_elect(&ip, NULL, NULL, 0), 0);
	const char *one[] = { "only" };
	assert_int_equal(spk_elect(&ip, one, NULL, 1), 0);
}

static void test_weights_first(void **state)
{
	(void)state;
	const char *names[] = { "node-a", "node-b", "node-c", "node-d" };
	ip_addr ip = fx_ip("10.0.0.1");   /* node-b wins on the hash */
	int32_t w[4] = { 0, 0, 0, 0 };
	assert_string_equal(names[spk_elect(&ip, names, w, 4)], "node-b");
	w[2] = 10;
	assert_string_equal(names[spk_elect(&ip, names, w, 4)], "node-c");
	w[0] = 10;   /* a tie on weight falls back to the hash between a and c */
	size_t r = spk_elect(&ip, names, w, 4);
	assert_true(r == 0 || r == 2);
	uint8_t ka[32], kc[32];
	spk_election_key("node-a", &ip, ka);
	spk_election_key("node-c", &ip, kc);
	assert_int_equal(r, memcmp(ka, kc, 32) < 0 ? 0 : 2);
	w[1] = 1;   /* lower weight than 10 */
	assert_int_equal(spk_elect(&ip, names, w, 4), r);
}

#define NNODES 10
#define NIPS 6000

static const char *node_names[NNODES + 1];
static char node_buf[NNODES + 1][16];

static void setup_names(void)
{
	for (size_t i = 0; i <= NNODES; i++) {
		snprintf(node_buf[i], sizeof(node_buf[i]), "worker-%zu", i);
		node_names[i] = node_buf[i];
	}
}

static ip_addr nth_ip(size_t i)
{
	return ip_addr_v4(0x0a000000u + (uint32_t)i * 7u + 1u);
}

static void test_order_independent(void **state)
{
	(void)state;
	setup_names();
	const char *perm[NNODES];
	srand(1);
	for (size_t k = 0; k < 300; k++) {
		ip_addr ip = nth_ip(k);
		const char *want = node_names[spk_elect(&ip, node_names, NULL, NNODES)];
		memcpy(perm, node_names, sizeof(perm));
		for (size_t i = NNODES - 1; i > 0; i--) {
			size_t j = (size_t)rand() % (i + 1);
			const char *t = perm[i];
			perm[i] = perm[j];
			perm[j] = t;
		}
		assert_string_equal(perm[spk_elect(&ip, perm, NULL, NNODES)], want);
	}
}

static void test_remove_non_owner_never_moves(void **state)
{
	(void)state;
	setup_names();
	const char *rest[NNODES];
	for (size_t k = 0; k < NIPS; k++) {
		ip_addr ip = nth_ip(k);
		size_t owner = spk_elect(&ip, node_names, NULL, NNODES);
		size_t gone = (owner + 1 + k % (NNODES - 1)) % NNODES;   /* some other node */
		size_t n = 0;
		for (size_t i = 0; i < NNODES; i++) {
			if (i != gone)
				rest[n++] = node_names[i];
		}
		assert_string_equal(rest[spk_elect(&ip, rest, NULL, n)], node_names[owner]);
	}
}

static void test_add_node_moves_about_one_in_n(void **state)
{
	(void)state;
	setup_names();
	size_t moved = 0, per_node[NNODES] = { 0 };
	for (size_t k = 0; k < NIPS; k++) {
		ip_addr ip = nth_ip(k);
		size_t before = spk_elect(&ip, node_names, NULL, NNODES);
		size_t after = spk_elect(&ip, node_names, NULL, NNODES + 1);
		per_node[before]++;
		if (after != before) {
			assert_int_equal(after, NNODES);   /* only to the newcomer */
			moved++;
		}
	}
	/* expected NIPS/(N+1) = 545; allow a generous band (binomial sd is about 22) */
	double frac = (double)moved / NIPS, want = 1.0 / (NNODES + 1);
	assert_true(frac > want * 0.75 && frac < want * 1.25);
	/* and the IPs spread over the nodes: each gets about NIPS/N = 600 */
	for (size_t i = 0; i < NNODES; i++)
		assert_true(per_node[i] > 450 && per_node[i] < 750);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_vectors),
		cmocka_unit_test(test_metallb_winners),
		cmocka_unit_test(test_empty_and_single),
		cmocka_unit_test(test_weights_first),
		cmocka_unit_test(test_order_independent),
		cmocka_unit_test(test_remove_non_owner_never_moves),
		cmocka_unit_test(test_add_node_moves_about_one_in_n),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
