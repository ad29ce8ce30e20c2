/*
 * Golden tests for src/config over the files in $TESTDATA:
 *   valid/      must load without error; their canonical print must equal valid/<file>.golden,
 *              re-parse to an equal model and print identically again (convert → validate →
 *              print → parse round trip for the legacy inputs);
 *   invalid/    must fail with exactly the errors listed in their "# expect: " header lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "core/xalloc.h"

static char *path_of(const char *dir, const char *name)
{
	const char *root = getenv("TESTDATA");
	assert_non_null(root);
	return name ? xasprintf("%s/%s/%s", root, dir, name) : xasprintf("%s/%s", root, dir);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t cap = 0;
	FILE *mem = open_memstream(&buf, &cap);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, mem);
	fclose(f);
	fclose(mem);
	*len = cap;
	return buf;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Input files of a testdata folder (not the .golden outputs), sorted. */
static size_t list_inputs(const char *dir, char ***out)
{
	char *path = path_of(dir, NULL);
	DIR *d = opendir(path);
	assert_non_null(d);
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		bool input = (len > 5 && strcmp(e->d_name + len - 5, ".yaml") == 0) ||
			     (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0);
		if (!input)
			continue;
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	free(path);
	qsort(names, n, sizeof(*names), by_name);
	*out = names;
	return n;
}

static char *print_model(const struct cfg_model *m)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_true(config_print_yaml(m, f));
	fclose(f);
	return text;
}

static struct cfg_model *load_text(const char *name, const char *text, struct cfg_diags *diags)
{
	struct cfg_input in = { .name = name, .data = text, .len = strlen(text) };
	return config_load(&in, 1, diags);
}

static void test_valid_examples(void **state)
{
	char **names;
	size_t n = list_inputs("valid", &names);
	assert_true(n >= 7);
	for (size_t i = 0; i < n; i++) {
		char *path = path_of("valid", names[i]);
		struct cfg_diags diags = { 0 };
		struct cfg_model *m = config_load_files(&path, 1, &diags);
		if (!m)
			cfg_diags_print(&diags, stdout);
		assert_non_null(m);
		char *text = print_model(m);

		char *golden_path = xasprintf("%s.golden", path);
		size_t golden_len = 0;
		char *golden = slurp(golden_path, &golden_len);
		if (!golden || strcmp(golden, text) != 0)
			printf("%s: canonical print differs from %s:\n%s", names[i], golden_path, text);
		assert_non_null(golden);
		assert_string_equal(golden, text);

		struct cfg_diags diags2 = { 0 };
		struct cfg_model *again = load_text("printed", text, &diags2);
		if (!again)
			cfg_diags_print(&diags2, stdout);
		assert_non_null(again);
		assert_true(model_equal(m, again));
		char *text2 = print_model(again);
		assert_string_equal(text, text2);

		free(text2);
		model_free(again);
		cfg_diags_free(&diags2);
		free(golden);
		free(golden_path);
		free(text);
		model_free(m);
		cfg_diags_free(&diags);
		free(path);
		free(names[i]);
	}
	free(names);
}

static void test_invalid_examples(void **state)
{
	static const char prefix[] = "# expect: ";
	char **names;
	size_t n = list_inputs("invalid", &names);
	assert_true(n >= 90);
	for (size_t i = 0; i < n; i++) {
		char *path = path_of("invalid", names[i]);
		size_t len = 0;
		char *text = slurp(path, &len);
		assert_non_null(text);
		struct cfg_diags diags = { 0 };
		struct cfg_model *m = config_load_files(&path, 1, &diags);
		if (m)
			printf("%s: loaded without error\n", names[i]);
		assert_null(m);

		size_t expected = 0;
		for (char *line = text; strncmp(line, prefix, sizeof(prefix) - 1) == 0;) {
			char *end = strchr(line, '\n');
			assert_non_null(end);
			*end = '\0';
			const char *want = line + sizeof(prefix) - 1;
			bool found = false;
			for (size_t d = 0; d < diags.n && !found; d++) {
				char *msg = cfg_diag_message(&diags.v[d]);
				found = diags.v[d].severity == CFG_ERROR && strcmp(msg, want) == 0;
				free(msg);
			}
			if (!found) {
				printf("%s: expected error not reported: %s\ngot:\n", names[i], want);
				cfg_diags_print(&diags, stdout);
			}
			assert_true(found);
			expected++;
			line = end + 1;
		}
		assert_true(expected > 0);
		if (cfg_diags_count(&diags, CFG_ERROR) != expected)
			cfg_diags_print(&diags, stdout);
		assert_int_equal(cfg_diags_count(&diags, CFG_ERROR), expected);
		cfg_diags_free(&diags);
		free(text);
		free(path);
		free(names[i]);
	}
	free(names);
}

/* The seed article's bgp.yml, field by field. */
static void test_seed_bgp_model(void **state)
{
	char *path = path_of("valid", "seed_bgp.yaml");
	struct cfg_diags diags = { 0 };
	struct cfg_model *m = config_load_files(&path, 1, &diags);
	assert_non_null(m);
	assert_int_equal(diags.n, 0);
	assert_int_equal(m->npools, 1);
	const struct cfg_pool *p = &m->pools[0];
	assert_string_equal(p->meta.name, "my-ip-space");
	assert_string_equal(p->meta.namespace, "metallb-system");
	assert_int_equal(p->legacy_protocol, CFG_PROTO_BGP);
	assert_true(p->avoid_buggy_ips);
	assert_true(p->auto_assign);
	assert_int_equal(p->naddrs, 1);
	ip_addr first, last;
	assert_true(ip_addr_parse("198.51.100.0", &first));
	assert_true(ip_addr_parse("198.51.100.255", &last));
	assert_true(ip_addr_eq(&p->addrs[0].range.first, &first));
	assert_true(ip_addr_eq(&p->addrs[0].range.last, &last));

	assert_int_equal(m->npeers, 1);
	const struct cfg_peer *peer = &m->peers[0];
	assert_int_equal(peer->my_asn, 64501);
	assert_int_equal(peer->peer_asn, 64500);
	ip_addr addr;
	assert_true(ip_addr_parse("172.30.8.35", &addr));
	assert_true(peer->has_addr && ip_addr_eq(&peer->addr, &addr));
	assert_int_equal(peer->port, 179);
	assert_true(peer->has_timers);
	assert_int_equal(peer->hold_ms, 90000);
	assert_int_equal(peer->keepalive_ms, 30000);
	assert_int_equal(peer->node_selectors.n, 0);

	assert_int_equal(m->nbgp_advs, 1);
	assert_int_equal(m->bgp_advs[0].aggregation_length, 32);
	assert_int_equal(m->bgp_advs[0].aggregation_length_v6, 128);
	assert_int_equal(m->bgp_advs[0].pools.n, 1);
	assert_string_equal(m->bgp_advs[0].pools.v[0], "my-ip-space");
	assert_int_equal(m->nl2_advs, 0);
	model_free(m);
	cfg_diags_free(&diags);
	free(path);
}

static void test_seed_l2_model(void **state)
{
	char *path = path_of("valid", "seed_l2.yaml");
	struct cfg_diags diags = { 0 };
	struct cfg_model *m = config_load_files(&path, 1, &diags);
	assert_non_null(m);
	assert_int_equal(m->npools, 1);
	assert_int_equal(m->pools[0].legacy_protocol, CFG_PROTO_LAYER2);
	assert_false(m->pools[0].avoid_buggy_ips);
	assert_int_equal(ip_range_size(&m->pools[0].addrs[0].range), 16);
	assert_int_equal(m->nl2_advs, 1);
	assert_string_equal(m->l2_advs[0].pools.v[0], "my-ip-space");
	assert_int_equal(m->l2_advs[0].interfaces.n, 0);
	assert_int_equal(m->nbgp_advs, 0);
	assert_int_equal(m->npeers, 0);
	model_free(m);
	cfg_diags_free(&diags);
	free(path);
}

/* Community aliases resolve to values; literal and large communities parse. */
static void test_communities_resolved(void **state)
{
	char *path = path_of("valid", "bgp.yaml");
	struct cfg_diags diags = { 0 };
	struct cfg_model *m = config_load_files(&path, 1, &diags);
	assert_non_null(m);
	const struct cfg_bgp_adv *ext = NULL;
	for (size_t i = 0; i < m->nbgp_advs; i++) {
		if (strcmp(m->bgp_advs[i].meta.name, "external") == 0)
			ext = &m->bgp_advs[i];
	}
	assert_non_null(ext);
	assert_int_equal(ext->ncommunity_values, 2);
	assert_false(ext->community_values[0].large);
	assert_int_equal(ext->community_values[0].a, 65535);
	assert_int_equal(ext->community_values[0].b, 65282);
	assert_true(ext->community_values[1].large);
	assert_int_equal(ext->community_values[1].c, 789);
	/* The peer's Secret resolves. */
	bool found = false;
	for (size_t i = 0; i < m->nsecrets; i++)
		found |= m->secrets[i].has_password && strcmp(m->secrets[i].password, "verysecret") == 0;
	assert_true(found);
	model_free(m);
	cfg_diags_free(&diags);
	free(path);
}

/* Lines point into the ConfigMap's embedded YAML and into multi-document files. */
static void test_error_lines(void **state)
{
	const char *text =
		"apiVersion: v1\n"
		"kind: ConfigMap\n"
		"metadata: {name: config, namespace: metallb-system}\n"
		"data:\n"
		"  config: |\n"
		"    peers:\n"
		"    - my-asn: 1\n"
		"      peer-asn: 2\n"
		"      peer-address: 10.0.0.1\n"
		"      hold-time: 1s\n"
		"---\n"
		"apiVersion: metallb.io/v1beta1\n"
		"kind: IPAddressPool\n"
		"metadata: {name: a}\n"
		"spec:\n"
		"  addresses:\n"
		"  - 10.0.0.0/24\n"
		"  - bogus\n";
	struct cfg_diags diags = { 0 };
	assert_null(load_text("f.yaml", text, &diags));
	assert_int_equal(cfg_diags_count(&diags, CFG_ERROR), 2);
	assert_int_equal(diags.v[0].line, 10);
	assert_string_equal(diags.v[0].field, "peers[0].hold-time");
	assert_int_equal(diags.v[1].line, 18);
	char *full = cfg_diag_format(&diags.v[1]);
	assert_string_equal(full, "f.yaml:18: error: IPAddressPool/a: spec.addresses[1]: "
				  "invalid CIDR \"bogus\"");
	free(full);
	cfg_diags_free(&diags);
}

/* Every field is kept in the model; only what the speaker cannot do (BGP unnumbered) and the
 * deprecated disableMP are reported, as warnings, not errors. */
static void test_unsupported_fields_warn(void **state)
{
	const char *text =
		"apiVersion: metallb.io/v1beta2\n"
		"kind: BGPPeer\n"
		"metadata: {name: p}\n"
		"spec:\n"
		"  myASN: 64500\n"
		"  dynamicASN: external\n"
		"  interface: eth1\n"
		"  vrf: red\n"
		"  localASN: 65000\n"
		"  dualStackAddressFamily: true\n"
		"  disableMP: true\n";
	struct cfg_diags diags = { 0 };
	struct cfg_model *m = load_text("w.yaml", text, &diags);
	assert_non_null(m);
	assert_int_equal(cfg_diags_count(&diags, CFG_WARNING), 2);
	assert_int_equal(m->peers[0].dynamic_asn, CFG_DYNAMIC_ASN_EXTERNAL);
	assert_string_equal(m->peers[0].iface, "eth1");
	assert_string_equal(m->peers[0].vrf, "red");
	assert_int_equal(m->peers[0].local_asn, 65000);
	assert_true(m->peers[0].dual_stack_address_family);
	model_free(m);
	cfg_diags_free(&diags);
}

/* What the API server would refuse after conversion is said when the legacy file is read. */
static void test_legacy_conversion_warnings(void **state)
{
	const char *text = "peers:\n- {my-asn: 1, peer-asn: 2, peer-address: 10.0.0.1, peer-port: 20000}\n"
			   "address-pools:\n- {name: Gold_Pool, protocol: layer2, addresses: [10.0.0.0/24]}\n";
	struct cfg_diags diags = { 0 };
	struct cfg_model *m = load_text("legacy.yaml", text, &diags);
	assert_non_null(m);
	assert_int_equal(cfg_diags_count(&diags, CFG_WARNING), 2);
	char *w0 = cfg_diag_message(&diags.v[0]);
	assert_string_equal(w0, "ConfigMap/config: peers[0].peer-port: above 16384: the BGPPeer CRD "
				"schema would refuse the converted peer");
	free(w0);
	assert_int_equal(m->peers[0].port, 20000);
	model_free(m);
	cfg_diags_free(&diags);
}

/* Reload from in-memory inputs (what the Kubernetes watcher hands over) keeps the same contract. */
static void test_reload_inputs(void **state)
{
	const char *good = "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\n"
			   "metadata: {name: a}\nspec: {addresses: [10.0.0.0/24]}\n";
	const char *bad = "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\n"
			  "metadata: {name: a}\nspec: {}\n";
	struct cfg_input in = { .name = "api", .data = good, .len = strlen(good) };
	struct cfg_model *live = NULL;
	struct cfg_diags diags = { 0 };
	assert_true(config_reload_inputs(&live, &in, 1, &diags));
	struct cfg_model *before = live;
	in.data = bad;
	in.len = strlen(bad);
	assert_false(config_reload_inputs(&live, &in, 1, &diags));
	assert_ptr_equal(live, before);
	assert_int_equal(live->pools[0].naddrs, 1);
	model_free(live);
	cfg_diags_free(&diags);
}

/* Objects spread over namespaces load, with a warning: MetalLB would read only one. */
static void test_several_namespaces_warn(void **state)
{
	const char *text = "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\n"
			   "metadata: {name: a, namespace: metallb-system}\n"
			   "spec: {addresses: [10.0.0.0/24]}\n---\n"
			   "apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\n"
			   "metadata: {name: l, namespace: default}\n";
	struct cfg_diags diags = { 0 };
	struct cfg_model *m = load_text("ns.yaml", text, &diags);
	assert_non_null(m);
	assert_int_equal(diags.n, 1);
	char *msg = cfg_diag_message(&diags.v[0]);
	assert_string_equal(msg, "L2Advertisement/l: metadata.namespace: namespace \"default\" "
				 "differs from \"metallb-system\": MetalLB reads only the objects in "
				 "its own namespace");
	free(msg);
	model_free(m);
	cfg_diags_free(&diags);
}

/* Several files load as one configuration; cross-file rules apply. */
static void test_multiple_inputs(void **state)
{
	const char *pools = "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\n"
			    "metadata: {name: a}\nspec: {addresses: [10.0.0.0/24]}\n";
	const char *advs = "apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\n"
			   "metadata: {name: x}\nspec: {ipAddressPools: [a], aggregationLength: 16}\n";
	struct cfg_input in[2] = {
		{ .name = "pools.yaml", .data = pools, .len = strlen(pools) },
		{ .name = "advs.yaml", .data = advs, .len = strlen(advs) },
	};
	struct cfg_diags diags = { 0 };
	assert_null(config_load(in, 2, &diags));
	assert_int_equal(cfg_diags_count(&diags, CFG_ERROR), 1);
	assert_string_equal(diags.v[0].file, "advs.yaml");
	assert_string_equal(diags.v[0].object, "BGPAdvertisement/x");
	cfg_diags_free(&diags);
}

static char *write_temp(const char *text)
{
	char *path = xstrdup("/tmp/ingot-config-test-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

/* A reload that fails leaves the model in force untouched; one that succeeds replaces it. */
static void test_reload_keeps_previous(void **state)
{
	char *good = write_temp("apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\n"
				"metadata: {name: a}\nspec: {addresses: [10.0.0.0/24]}\n");
	char *bad = write_temp("apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\n"
			       "metadata: {name: a}\nspec: {addresses: [10.0.0.0/33]}\n");
	char *other = write_temp("apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\n"
				 "metadata: {name: b}\nspec: {addresses: [10.0.1.0/24]}\n");
	struct cfg_model *live = NULL;
	struct cfg_diags diags = { 0 };
	assert_true(config_reload(&live, &good, 1, &diags));
	assert_non_null(live);
	struct cfg_model *before = live;
	assert_false(config_reload(&live, &bad, 1, &diags));
	assert_ptr_equal(live, before);
	assert_string_equal(live->pools[0].meta.name, "a");
	assert_int_equal(cfg_diags_count(&diags, CFG_ERROR), 1);
	char *missing = "/nonexistent/ingot.yaml";
	assert_false(config_reload(&live, &missing, 1, &diags));
	assert_ptr_equal(live, before);
	assert_true(config_reload(&live, &other, 1, &diags));
	assert_string_equal(live->pools[0].meta.name, "b");
	model_free(live);
	cfg_diags_free(&diags);
	unlink(good);
	unlink(bad);
	unlink(other);
	free(good);
	free(bad);
	free(other);
}

/* Equality notices every kind of difference. */
static void test_model_equal_differences(void **state)
{
	char *path = path_of("valid", "bgp.yaml");
	struct cfg_diags diags = { 0 };
	struct cfg_model *a = config_load_files(&path, 1, &diags);
	struct cfg_model *b = config_load_files(&path, 1, &diags);
	assert_true(model_equal(a, b));
	b->peers[0].port = 1790;
	assert_false(model_equal(a, b));
	b->peers[0].port = a->peers[0].port;
	b->bgp_advs[0].local_pref++;
	assert_false(model_equal(a, b));
	b->bgp_advs[0].local_pref--;
	b->bfds[0].echo_mode = !b->bfds[0].echo_mode;
	assert_false(model_equal(a, b));
	b->bfds[0].echo_mode = !b->bfds[0].echo_mode;
	assert_true(model_equal(a, b));
	model_free(a);
	model_free(b);
	cfg_diags_free(&diags);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_examples),
		cmocka_unit_test(test_invalid_examples),
		cmocka_unit_test(test_seed_bgp_model),
		cmocka_unit_test(test_seed_l2_model),
		cmocka_unit_test(test_communities_resolved),
		cmocka_unit_test(test_error_lines),
		cmocka_unit_test(test_unsupported_fields_warn),
		cmocka_unit_test(test_multiple_inputs),
		cmocka_unit_test(test_several_namespaces_warn),
		cmocka_unit_test(test_legacy_conversion_warnings),
		cmocka_unit_test(test_reload_inputs),
		cmocka_unit_test(test_reload_keeps_previous),
		cmocka_unit_test(test_model_equal_differences),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
