/* Unit tests for kubeconfig and in-cluster config loading (k8s/kubeconfig.h), the bearer token
 * source (k8s/token.h), base64 and the YAML converter. Files are written to a private temp dir. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base64.h"
#include "k8s/kubeconfig.h"
#include "k8s/token.h"
#include "k8s/yaml_json.h"

static char dir[64];

static char *path_in(const char *name)
{
	static char p[4][256];
	static int n;
	n = (n + 1) % 4;
	snprintf(p[n], sizeof(p[n]), "%s/%s", dir, name);
	return p[n];
}

static void write_file(const char *name, const char *text)
{
	FILE *f = fopen(path_in(name), "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	strcpy(dir, "/tmp/ingot-k8s-test.XXXXXX");
	assert_non_null(mkdtemp(dir));
	char sub[128];
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	mkdir(sub, 0700);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* base64 of "CA-PEM", "CERT-PEM", "KEY-PEM" */
#define CA_B64 "Q0EtUEVN"
#define CERT_B64 "Q0VSVC1QRU0="
#define KEY_B64 "S0VZLVBFTQ=="

static const char *const full_config =
	"apiVersion: v1\n"
	"kind: Config\n"
	"clusters:\n"
	"- name: c1\n"
	"  cluster:\n"
	"    server: https://127.0.0.1:6443/\n"
	"    certificate-authority-data: " CA_B64 "\n"
	"- name: c2\n"
	"  cluster:\n"
	"    server: https://[::1]:6443\n"
	"    insecure-skip-tls-verify: true\n"
	"    tls-server-name: kubernetes.default.svc\n"
	"users:\n"
	"- name: certuser\n"
	"  user:\n"
	"    client-certificate-data: " CERT_B64 "\n"
	"    client-key-data: " KEY_B64 "\n"
	"- name: tokenuser\n"
	"  user:\n"
	"    token: sekrit\n"
	"contexts:\n"
	"- name: a\n"
	"  context: {cluster: c1, user: certuser, namespace: metallb-system}\n"
	"- name: b\n"
	"  context:\n"
	"    cluster: c2\n"
	"    user: tokenuser\n"
	"current-context: a\n";

static void test_data_fields_and_current_context(void **state)
{
	write_file("full", full_config);
	struct k8s_config c;
	char err[K8S_ERRLEN];
	assert_true(k8s_kubeconfig_load(path_in("full"), NULL, &c, err));
	assert_string_equal(c.server, "https://127.0.0.1:6443");
	assert_string_equal(c.context, "a");
	assert_string_equal(c.namespace, "metallb-system");
	assert_int_equal(c.ca.len, 6);
	assert_string_equal((char *)c.ca.data, "CA-PEM");
	assert_string_equal((char *)c.client_cert.data, "CERT-PEM");
	assert_string_equal((char *)c.client_key.data, "KEY-PEM");
	assert_null(c.token);
	assert_null(c.token_file);
	assert_false(c.insecure);
	k8s_config_free(&c);
}

static void test_context_override_token_insecure(void **state)
{
	write_file("full", full_config);
	struct k8s_config c;
	char err[K8S_ERRLEN];
	assert_true(k8s_kubeconfig_load(path_in("full"), "b", &c, err));
	assert_string_equal(c.server, "https://[::1]:6443");
	assert_string_equal(c.namespace, "default");
	assert_string_equal(c.token, "sekrit");
	assert_true(c.insecure);
	assert_string_equal(c.tls_server_name, "kubernetes.default.svc");
	assert_int_equal(c.ca.len, 0);
	assert_int_equal(c.client_cert.len, 0);
	k8s_config_free(&c);
}

static void test_files_relative_to_kubeconfig_dir(void **state)
{
	write_file("sub/ca.crt", "CA FILE");
	write_file("sub/client.crt", "CERT FILE");
	write_file("sub/client.key", "KEY FILE");
	write_file("sub/token", "file-token\n");
	write_file("sub/config",
		   "clusters:\n"
		   "- name: c\n"
		   "  cluster: {server: 'https://10.0.0.1', certificate-authority: ca.crt}\n"
		   "users:\n"
		   "- name: u\n"
		   "  user: {client-certificate: client.crt, client-key: ./client.key, tokenFile: token}\n"
		   "contexts:\n"
		   "- {name: x, context: {cluster: c, user: u}}\n"
		   "current-context: x\n");
	struct k8s_config c;
	char err[K8S_ERRLEN];
	assert_true(k8s_kubeconfig_load(path_in("sub/config"), NULL, &c, err));
	assert_string_equal((char *)c.ca.data, "CA FILE");
	assert_string_equal((char *)c.client_cert.data, "CERT FILE");
	assert_string_equal((char *)c.client_key.data, "KEY FILE");
	assert_string_equal(c.token_file, path_in("sub/token"));
	assert_null(c.token);
	k8s_config_free(&c);
}

static void test_merge_first_file_wins(void **state)
{
	write_file("m1",
		   "clusters:\n"
		   "- {name: shared, cluster: {server: 'https://first'}}\n"
		   "users:\n"
		   "- {name: u, user: {token: one}}\n"
		   "contexts:\n"
		   "- {name: ctx, context: {cluster: shared, user: u}}\n");
	write_file("m2",
		   "clusters:\n"
		   "- {name: shared, cluster: {server: 'https://second'}}\n"
		   "- {name: only2, cluster: {server: 'https://only2'}}\n"
		   "users:\n"
		   "- {name: u, user: {token: two}}\n"
		   "contexts:\n"
		   "- {name: ctx, context: {cluster: only2, user: u}}\n"
		   "- {name: ctx2, context: {cluster: shared, user: u}}\n"
		   "current-context: ctx2\n");
	write_file("m3", "current-context: ctx\n");
	char list[800];
	snprintf(list, sizeof(list), "%s::%s:%s:%s", path_in("m1"), path_in("missing"), path_in("m2"),
		 path_in("m3"));
	struct k8s_config c;
	char err[K8S_ERRLEN];
	/* current-context comes from m2, the first file that sets it; ctx2's cluster "shared" and user
	 * "u" come from m1, the first file that defines them. */
	assert_true(k8s_kubeconfig_load(list, NULL, &c, err));
	assert_string_equal(c.context, "ctx2");
	assert_string_equal(c.server, "https://first");
	assert_string_equal(c.token, "one");
	k8s_config_free(&c);
	/* context "ctx" is m1's (cluster shared), not m2's (cluster only2) */
	assert_true(k8s_kubeconfig_load(list, "ctx", &c, err));
	assert_string_equal(c.server, "https://first");
	k8s_config_free(&c);
}

static void expect_error(const char *yaml, const char *context, const char *needle)
{
	write_file("bad", yaml);
	struct k8s_config c;
	char err[K8S_ERRLEN];
	assert_false(k8s_kubeconfig_load(path_in("bad"), context, &c, err));
	if (!strstr(err, needle))
		fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
	assert_null(c.server);
}

static void test_errors(void **state)
{
	const char *base =
		"clusters:\n- {name: c, cluster: {server: 'https://x'}}\n"
		"users:\n- {name: u, user: {token: t}}\n";
	char buf[1024];
	snprintf(buf, sizeof(buf), "%scontexts:\n- {name: a, context: {cluster: c, user: u}}\n", base);
	expect_error(buf, NULL, "no current-context");
	expect_error(buf, "nope", "context \"nope\" not found");
	snprintf(buf, sizeof(buf), "%scontexts:\n- {name: a, context: {cluster: zz, user: u}}\n", base);
	expect_error(buf, "a", "cluster \"zz\" of context \"a\" not found");
	snprintf(buf, sizeof(buf), "%scontexts:\n- {name: a, context: {cluster: c, user: zz}}\n", base);
	expect_error(buf, "a", "user \"zz\" of context \"a\" not found");
	expect_error("clusters:\n- {name: c, cluster: {certificate-authority-data: " CA_B64 "}}\n"
		     "contexts:\n- {name: a, context: {cluster: c}}\n", "a", "has no server");
	expect_error("clusters:\n- {name: c, cluster: {server: s, certificate-authority-data: '!!'}}\n"
		     "contexts:\n- {name: a, context: {cluster: c}}\n", "a", "not valid base64");
	expect_error("clusters:\n- {name: c, cluster: {server: s, certificate-authority-data: " CA_B64
		     ", certificate-authority: /x}}\n"
		     "contexts:\n- {name: a, context: {cluster: c}}\n", "a", "both");
	expect_error("clusters:\n- {name: c, cluster: {server: s, certificate-authority-data: " CA_B64
		     ", insecure-skip-tls-verify: true}}\n"
		     "contexts:\n- {name: a, context: {cluster: c}}\n", "a", "insecure-skip-tls-verify");
	expect_error("clusters:\n- {name: c, cluster: {server: s, insecure-skip-tls-verify: maybe}}\n"
		     "contexts:\n- {name: a, context: {cluster: c}}\n", "a", "true or false");
	expect_error("clusters:\n- {name: c, cluster: {server: s, certificate-authority: nothere}}\n"
		     "contexts:\n- {name: a, context: {cluster: c}}\n", "a", "nothere");
	expect_error("clusters:\n- {name: c, cluster: {server: s}}\n"
		     "users:\n- {name: u, user: {client-certificate-data: " CERT_B64 "}}\n"
		     "contexts:\n- {name: a, context: {cluster: c, user: u}}\n", "a", "client key");
	expect_error("clusters:\n- {name: c, cluster: {server: s}}\n"
		     "users:\n- {name: u, user: {exec: {command: aws}}}\n"
		     "contexts:\n- {name: a, context: {cluster: c, user: u}}\n", "a", "exec");
	expect_error("clusters: [\n", NULL, "YAML error");
	expect_error("- just\n- a list\n", NULL, "not a mapping");
	expect_error("clusters: 3\n", NULL, "not a list");
	expect_error("clusters:\n- cluster: {server: s}\n", NULL, "missing name");
	expect_error("kind: Config\n", NULL, "no contexts");

	struct k8s_config c;
	char err[K8S_ERRLEN];
	assert_false(k8s_kubeconfig_load(path_in("does-not-exist"), NULL, &c, err));
	assert_non_null(strstr(err, "No such file"));
	assert_false(k8s_kubeconfig_load("", NULL, &c, err));
}

static void test_incluster(void **state)
{
	write_file("sa-token", "tok-1\n");
	write_file("sa-ca", "SA CA");
	write_file("sa-ns", "metallb-system\n");
	struct k8s_incluster_paths p = { path_in("sa-token"), path_in("sa-ca"), path_in("sa-ns") };
	struct k8s_config c;
	char err[K8S_ERRLEN];
	assert_true(k8s_incluster_load("10.96.0.1", "443", &p, &c, err));
	assert_string_equal(c.server, "https://10.96.0.1:443");
	assert_string_equal(c.namespace, "metallb-system");
	assert_string_equal((char *)c.ca.data, "SA CA");
	assert_string_equal(c.token_file, path_in("sa-token"));
	assert_null(c.token);
	k8s_config_free(&c);

	assert_true(k8s_incluster_load("fd00::1", "6443", &p, &c, err));
	assert_string_equal(c.server, "https://[fd00::1]:6443");
	k8s_config_free(&c);

	struct k8s_incluster_paths nons = { path_in("sa-token"), path_in("sa-ca"), path_in("nope") };
	assert_true(k8s_incluster_load("h", "1", &nons, &c, err));
	assert_string_equal(c.namespace, "default");
	k8s_config_free(&c);

	assert_false(k8s_incluster_load(NULL, "443", &p, &c, err));
	assert_false(k8s_incluster_load("h", "https", &p, &c, err));
	struct k8s_incluster_paths notok = { path_in("nope"), path_in("sa-ca"), NULL };
	assert_false(k8s_incluster_load("h", "443", &notok, &c, err));
	assert_non_null(strstr(err, "token"));
	struct k8s_incluster_paths noca = { path_in("sa-token"), path_in("nope"), NULL };
	assert_false(k8s_incluster_load("h", "443", &noca, &c, err));
	assert_non_null(strstr(err, "CA"));
}

static void test_token_reread(void **state)
{
	struct k8s_token t;
	k8s_token_init(&t, NULL, path_in("tok"));
	write_file("tok", "first\n");
	monotime t0 = mono_from_s(1000);
	assert_string_equal(k8s_token_get(&t, t0), "first");
	write_file("tok", "second");
	/* cached for a minute */
	assert_string_equal(k8s_token_get(&t, mono_add(t0, mono_from_s(59))), "first");
	assert_string_equal(k8s_token_get(&t, mono_add(t0, mono_from_s(60))), "second");
	/* a 401 forces a re-read at once */
	write_file("tok", "third");
	assert_true(k8s_token_invalidate(&t));
	assert_string_equal(k8s_token_get(&t, mono_add(t0, mono_from_s(61))), "third");
	/* an unreadable file keeps the last good token */
	unlink(path_in("tok"));
	assert_string_equal(k8s_token_get(&t, mono_add(t0, mono_from_s(200))), "third");
	k8s_token_free(&t);

	k8s_token_init(&t, "fixed", NULL);
	assert_string_equal(k8s_token_get(&t, t0), "fixed");
	assert_false(k8s_token_invalidate(&t));
	k8s_token_free(&t);
	k8s_token_init(&t, NULL, NULL);
	assert_null(k8s_token_get(&t, t0));
	k8s_token_free(&t);
}

static void test_config_auto_order(void **state)
{
	write_file("auto1", "clusters:\n- {name: c, cluster: {server: 'one.example:6443', "
		   "insecure-skip-tls-verify: 'true'}}\n"
		   "contexts:\n- {name: a, context: {cluster: c}}\ncurrent-context: a\n");
	write_file("auto2", "clusters:\n- {name: c, cluster: {server: 'https://two'}}\n"
		   "contexts:\n- {name: a, context: {cluster: c}}\ncurrent-context: a\n");
	struct k8s_config c;
	char err[K8S_ERRLEN];
	char list[600];
	snprintf(list, sizeof(list), "%s:%s", path_in("auto1"), path_in("auto2"));
	setenv("KUBECONFIG", list, 1);
	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	/* an explicit path beats $KUBECONFIG */
	assert_true(k8s_config_auto(path_in("auto2"), NULL, &c, err));
	assert_string_equal(c.server, "https://two");
	k8s_config_free(&c);
	/* $KUBECONFIG beats in-cluster; a server without a scheme gets https:// */
	assert_true(k8s_config_auto(NULL, NULL, &c, err));
	assert_string_equal(c.server, "https://one.example:6443");
	assert_true(c.insecure);
	k8s_config_free(&c);
	/* in-cluster next: the default service-account files do not exist here */
	unsetenv("KUBECONFIG");
	assert_false(k8s_config_auto(NULL, NULL, &c, err));
	assert_non_null(strstr(err, "in-cluster"));
	/* then ~/.kube/config */
	unsetenv("KUBERNETES_SERVICE_HOST");
	char home[128];
	snprintf(home, sizeof(home), "%s/home", dir);
	mkdir(home, 0700);
	char kube[160];
	snprintf(kube, sizeof(kube), "%s/.kube", home);
	mkdir(kube, 0700);
	write_file("home/.kube/config", "clusters:\n- {name: c, cluster: {server: 'https://home'}}\n"
		   "contexts:\n- {name: a, context: {cluster: c}}\ncurrent-context: a\n");
	setenv("HOME", home, 1);
	assert_true(k8s_config_auto(NULL, NULL, &c, err));
	assert_string_equal(c.server, "https://home");
	k8s_config_free(&c);
	unsetenv("KUBERNETES_SERVICE_PORT");
}

static void check_b64(const char *in, const char *want)
{
	uint8_t *out;
	size_t len;
	assert_true(base64_decode(in, strlen(in), BASE64_LENIENT, &out, &len));
	assert_int_equal(len, strlen(want));
	assert_memory_equal(out, want, len);
	free(out);
}

static void test_base64(void **state)
{
	/* RFC 4648 section 10 vectors */
	check_b64("", "");
	check_b64("Zg==", "f");
	check_b64("Zm8=", "fo");
	check_b64("Zm9v", "foo");
	check_b64("Zm9vYg==", "foob");
	check_b64("Zm9vYmE=", "fooba");
	check_b64("Zm9vYmFy", "foobar");
	check_b64("Zm9v\nYmFy\n", "foobar");
	check_b64("Zm9vYg", "foob");    /* unpadded */
	const char *bad[] = { "Z", "Zm9vY", "Zg=", "Zg===", "Zg==Zg==", "Zm9*", "=", "Zm8==" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t *out = (uint8_t *)"x";
		size_t len = 7;
		if (base64_decode(bad[i], strlen(bad[i]), BASE64_LENIENT, &out, &len))
			fail_msg("accepted \"%s\"", bad[i]);
		assert_null(out);
	}
}

static void test_yaml_scalars_and_aliases(void **state)
{
	char err[256];
	const char *y = "a: 1\nb: 'x'\nc: true\nd: ~\ne:\nf: &anc {k: [1, two]}\ng: *anc\nh: \"007\"\n";
	json_t *j = k8s_yaml_to_json(y, strlen(y), err, sizeof(err));
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "a")), 1);
	assert_string_equal(json_string_value(json_object_get(j, "b")), "x");
	assert_true(json_is_true(json_object_get(j, "c")));
	assert_true(json_is_null(json_object_get(j, "d")));
	assert_true(json_is_null(json_object_get(j, "e")));
	assert_true(json_equal(json_object_get(j, "f"), json_object_get(j, "g")));
	assert_string_equal(json_string_value(json_object_get(j, "h")), "007");
	json_decref(j);

	const char *dup = "a: 1\na: 2\n";
	assert_null(k8s_yaml_to_json(dup, strlen(dup), err, sizeof(err)));
	assert_non_null(strstr(err, "duplicate"));

	/* billion laughs: refused, not expanded */
	char lol[4096] = "a: &a [x,x,x,x,x,x,x,x,x,x]\n";
	for (char c = 'b'; c <= 'k'; c++) {
		char line[128];
		snprintf(line, sizeof(line), "%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n", c, c,
			 c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
		strcat(lol, line);
	}
	assert_null(k8s_yaml_to_json(lol, strlen(lol), err, sizeof(err)));
	assert_non_null(strstr(err, "too large"));

	j = k8s_yaml_to_json("", 0, err, sizeof(err));
	assert_true(json_is_object(j));
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_fields_and_current_context),
		cmocka_unit_test(test_context_override_token_insecure),
		cmocka_unit_test(test_files_relative_to_kubeconfig_dir),
		cmocka_unit_test(test_merge_first_file_wins),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_incluster),
		cmocka_unit_test(test_token_reread),
		cmocka_unit_test(test_config_auto_order),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_yaml_scalars_and_aliases),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
