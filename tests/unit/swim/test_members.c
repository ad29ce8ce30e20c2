/*
 * Unit tests for the speaker's use of the failure detector (src/speaker/spkd_members.c and the
 * liveness rule of spkd_snapshot.c):
 *   - the --ml-* option parser (values, ranges, defaults);
 *   - the snapshot's live set: the detector's answer when it has one, the Ready condition when
 *     it says -1 (off, not ready yet, not a member);
 *   - no key: detector off, no answer, status says why;
 *   - two members over loopback UDP (127.0.0.1 and 127.0.0.2, one port), on the real event loop:
 *     each sees the other alive after one probe round, a member with the wrong key does not, and
 *     a LEAVE is seen at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "config/model.h"
#include "core/log.h"
#include "core/loop.h"
#include "speaker/spkd.h"
#include "speaker/spkd_members.h"

static void test_options(void **state)
{
	(void)state;
	struct spkd_members_options o;
	unsetenv("METALLB_ML_SECRET_KEY_PATH");
	spkd_members_options_defaults(&o);
	assert_null(o.secret_key_path);
	assert_int_equal(o.bind_port, 7946);
	assert_int_equal(o.probe_interval_ms, 100);
	assert_int_equal(o.probe_timeout_ms, 50);
	assert_int_equal(o.indirect_checks, 3);
	assert_int_equal(o.suspicion_mult, 3);
	assert_false(o.disable);
	setenv("METALLB_ML_SECRET_KEY_PATH", "/etc/ml_secret_key", 1);
	spkd_members_options_defaults(&o);
	assert_string_equal(o.secret_key_path, "/etc/ml_secret_key");
	unsetenv("METALLB_ML_SECRET_KEY_PATH");
	assert_true(spkd_members_option(&o, "ml-bind-port", "8000"));
	assert_int_equal(o.bind_port, 8000);
	assert_false(spkd_members_option(&o, "ml-bind-port", "0"));
	assert_false(spkd_members_option(&o, "ml-bind-port", "70000"));
	assert_false(spkd_members_option(&o, "ml-bind-port", "-1"));
	assert_false(spkd_members_option(&o, "ml-bind-port", "12x"));
	assert_true(spkd_members_option(&o, "ml-bind-addr", "2001:db8::1"));
	assert_false(spkd_members_option(&o, "ml-bind-addr", "nope"));
	assert_true(spkd_members_option(&o, "ml-probe-interval-ms", "250"));
	assert_int_equal(o.probe_interval_ms, 250);
	assert_false(spkd_members_option(&o, "ml-probe-interval-ms", "5"));
	assert_true(spkd_members_option(&o, "ml-suspicion-mult", "6"));
	assert_int_equal(o.suspicion_mult, 6);
	assert_true(spkd_members_option(&o, "ml-indirect-checks", "0"));
	assert_int_equal(o.indirect_checks, 0);
	assert_true(spkd_members_option(&o, "ml-disable", NULL));
	assert_true(o.disable);
	assert_false(spkd_members_option(&o, "ml-unknown", "1"));
}

/* n1 Ready, n2 NotReady, n3 without conditions; the detector's verdicts below. */
static const char *NODES = "["
	"{\"metadata\":{\"name\":\"n1\"},"
	" \"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}},"
	"{\"metadata\":{\"name\":\"n2\"},"
	" \"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}]}},"
	"{\"metadata\":{\"name\":\"n3\"}},"
	"{\"metadata\":{\"name\":\"n4\"},"
	" \"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}"
	"]";

static int verdict(void *arg, const char *node)
{
	(void)arg;
	if (strcmp(node, "n1") == 0)
		return 0;       /* Ready, but the detector says dead: not live */
	if (strcmp(node, "n2") == 0)
		return 1;       /* NotReady, but the detector hears it: live */
	return -1;          /* no answer: the conditions decide */
}

static bool has(const struct spk_inputs *in, const char *name)
{
	for (size_t i = 0; i < in->nlive; i++)
		if (strcmp(in->live[i], name) == 0)
			return true;
	return false;
}

static void test_snapshot_liveness(void **state)
{
	(void)state;
	struct cfg_model model = { 0 };
	json_t *nodes = json_loads(NODES, 0, NULL), *empty = json_array();
	assert_non_null(nodes);
	struct spkd_source src = { .config = &model, .node_name = "n1", .services = empty,
				   .slices = empty, .nodes = nodes };
	struct spkd_snapshot snap;
	spkd_snapshot_build(&snap, &src);
	assert_int_equal(snap.in.nlive, 3);   /* the Node-conditions fallback: n1, n3, n4 */
	assert_true(has(&snap.in, "n1") && has(&snap.in, "n3") && has(&snap.in, "n4"));
	spkd_snapshot_free(&snap);

	src.live = verdict;
	spkd_snapshot_build(&snap, &src);
	assert_int_equal(snap.in.nlive, 3);
	assert_false(has(&snap.in, "n1"));
	assert_true(has(&snap.in, "n2") && has(&snap.in, "n3") && has(&snap.in, "n4"));
	spkd_snapshot_free(&snap);
	json_decref(nodes);
	json_decref(empty);
}

static void test_no_key(void **state)
{
	(void)state;
	loop_init();
	struct spkd_members_options o;
	spkd_members_options_defaults(&o);
	o.secret_key_path = NULL;
	struct spkd_members *m = spkd_members_new("n1", &o, NULL, NULL);
	json_t *nodes = json_loads("[{\"metadata\":{\"name\":\"n2\"},\"status\":{\"addresses\":"
				   "[{\"type\":\"InternalIP\",\"address\":\"127.0.0.2\"}]}}]", 0, NULL);
	spkd_members_set_nodes(m, nodes);
	assert_false(spkd_members_enabled(m));
	assert_int_equal(spkd_members_live(m, "n2"), -1);
	json_t *st = spkd_members_status(m);
	assert_false(json_is_true(json_object_get(st, "enabled")));
	assert_string_equal(json_string_value(json_object_get(st, "reason")), "no secret key");
	json_decref(st);
	/* A missing key file: off as well. */
	o.secret_key_path = "/nonexistent/ingot/key";
	struct spkd_members *m2 = spkd_members_new("n1", &o, NULL, NULL);
	spkd_members_set_nodes(m2, nodes);
	assert_false(spkd_members_enabled(m2));
	spkd_members_free(m2);
	json_decref(nodes);
	spkd_members_free(m);
	loop_free();
}

/* --- two members over loopback ---------------------------------------------------------------- */

static int changes;

static void changed(void *arg)
{
	(void)arg;
	changes++;
}

static char keydir[64];

static void write_key(const char *name, const char *text)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", keydir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static struct spkd_members *member(const char *name, const char *ip, const char *key)
{
	struct spkd_members_options o;
	spkd_members_options_defaults(&o);
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", keydir, key);
	o.secret_key_path = path;
	o.bind_addr = ip;
	o.bind_port = 17946;
	o.probe_interval_ms = 20;
	o.probe_timeout_ms = 10;
	return spkd_members_new(name, &o, changed, NULL);
}

struct wait_ctx {
	struct spkd_members *m;
	const char *node;
	int want;
	bool done;
};

static struct timer *poll_timer, *deadline;

static void poll_cb(void *arg)
{
	struct wait_ctx *w = arg;
	if (spkd_members_live(w->m, w->node) == w->want) {
		w->done = true;
		loop_stop();
		return;
	}
	timer_start(poll_timer, mono_from_ms(5));
}

static void deadline_cb(void *arg)
{
	(void)arg;
	loop_stop();
}

/* Runs the loop until m's answer for node is want, or ms passed; returns whether it came. */
static bool run_until(struct spkd_members *m, const char *node, int want, int ms)
{
	struct wait_ctx w = { m, node, want, false };
	poll_timer = timer_new(poll_cb, &w);
	deadline = timer_new(deadline_cb, NULL);
	timer_start(poll_timer, mono_zero());
	timer_start(deadline, mono_from_ms(ms));
	loop_run();
	timer_free(poll_timer);
	timer_free(deadline);
	return w.done;
}

static const char *LOOP_NODES = "["
	"{\"metadata\":{\"name\":\"a\"},\"status\":{\"addresses\":["
	"  {\"type\":\"Hostname\",\"address\":\"a\"},"
	"  {\"type\":\"InternalIP\",\"address\":\"127.0.0.1\"}]}},"
	"{\"metadata\":{\"name\":\"b\"},\"status\":{\"addresses\":["
	"  {\"type\":\"InternalIP\",\"address\":\"2001:db8::2\"},"
	"  {\"type\":\"InternalIP\",\"address\":\"127.0.0.2\"}]}},"
	"{\"metadata\":{\"name\":\"c\"},\"status\":{\"addresses\":["
	"  {\"type\":\"InternalIP\",\"address\":\"127.0.0.3\"}]}},"
	"{\"metadata\":{\"name\":\"noaddr\"}}"
	"]";

static void test_loopback_members(void **state)
{
	(void)state;
	snprintf(keydir, sizeof(keydir), "/tmp/ingot-swim-test.XXXXXX");
	assert_non_null(mkdtemp(keydir));
	write_key("good", "shared secret\n");
	write_key("bad", "other secret\n");
	loop_init();
	json_t *nodes = json_loads(LOOP_NODES, 0, NULL);
	assert_non_null(nodes);
	struct spkd_members *a = member("a", "127.0.0.1", "good");
	struct spkd_members *b = member("b", "127.0.0.2", "good");
	struct spkd_members *c = member("c", "127.0.0.3", "bad");
	spkd_members_set_nodes(a, nodes);
	spkd_members_set_nodes(b, nodes);
	spkd_members_set_nodes(c, nodes);
	assert_true(spkd_members_enabled(a) && spkd_members_enabled(b) && spkd_members_enabled(c));
	/* Before the first round: no answer; this node itself is always live. */
	assert_int_equal(spkd_members_live(a, "b"), -1);
	assert_int_equal(spkd_members_live(a, "a"), 1);
	assert_true(run_until(a, "b", 1, 3000));
	assert_true(run_until(b, "a", 1, 3000));
	/* The wrong key: never alive, and a Node without an address is no member (no answer). */
	assert_true(run_until(a, "c", 0, 3000));
	assert_true(run_until(c, "a", 0, 3000));
	assert_int_equal(spkd_members_live(a, "noaddr"), -1);
	assert_true(changes > 0);
	json_t *st = spkd_members_status(a);
	assert_true(json_is_true(json_object_get(st, "enabled")));
	assert_true(json_is_true(json_object_get(st, "ready")));
	assert_string_equal(json_string_value(json_object_get(st, "bind")), "127.0.0.1:17946");
	json_t *counters = json_object_get(st, "counters");
	assert_true(json_integer_value(json_object_get(counters, "auth_failures")) > 0);
	size_t i;
	json_t *row;
	json_array_foreach(json_object_get(st, "members"), i, row) {
		const char *n = json_string_value(json_object_get(row, "node"));
		const char *s = json_string_value(json_object_get(row, "state"));
		if (strcmp(n, "b") == 0) {
			assert_string_equal(s, "alive");
			assert_string_equal(json_string_value(json_object_get(row, "address")),
					    "127.0.0.2");
			assert_true(json_is_integer(json_object_get(row, "last_heard_ms")));
		} else {
			assert_string_equal(n, "c");
			assert_string_equal(s, "dead");
			assert_true(json_is_null(json_object_get(row, "last_heard_ms")));
		}
	}
	json_decref(st);
	/* b leaves: a sees it at once (well before any suspicion could time out). */
	spkd_members_leave(b);
	monotime t0 = mono_now();
	assert_true(run_until(a, "b", 0, 3000));
	assert_true(mono_to_ms(mono_since(t0)) < 100);
	spkd_members_free(a);
	spkd_members_free(b);
	spkd_members_free(c);
	json_decref(nodes);
	loop_free();
	char path[128];
	snprintf(path, sizeof(path), "%s/good", keydir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/bad", keydir);
	unlink(path);
	rmdir(keydir);
}

int main(void)
{
	log_setup(LOGL_ERROR, LOG_FORMAT_TEXT, stderr);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_snapshot_liveness),
		cmocka_unit_test(test_no_key),
		cmocka_unit_test(test_loopback_members),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
