/* Unit tests for the watch-stream framer (k8s/framer.h) and watch event decoding
 * (k8s/watch_event.h): splits at every byte boundary, huge events, the size bound, garbage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/framer.h"
#include "k8s/watch_event.h"

struct lines {
	char *all;               /* lines joined with '|' */
	size_t len;
	int count;
	int stop_after;          /* return false after this many lines (0: never) */
};

static bool collect(void *arg, const char *line, size_t len)
{
	struct lines *l = arg;
	l->all = realloc(l->all, l->len + len + 2);
	memcpy(l->all + l->len, line, len);
	l->len += len;
	l->all[l->len++] = '|';
	l->all[l->len] = '\0';
	l->count++;
	return !(l->stop_after && l->count >= l->stop_after);
}

static void lines_free(struct lines *l)
{
	free(l->all);
	memset(l, 0, sizeof(*l));
}

static const char stream[] =
	"{\"type\":\"ADDED\"}\n"
	"\n"
	"{\"type\":\"MODIFIED\",\"x\":\"a\\nb\"}\r\n"
	"{\"type\":\"BOOKMARK\"}\n"
	"tail-without-newline";
static const char expected[] =
	"{\"type\":\"ADDED\"}|{\"type\":\"MODIFIED\",\"x\":\"a\\nb\"}|{\"type\":\"BOOKMARK\"}|";

static void test_split_at_every_boundary(void **state)
{
	size_t n = strlen(stream);
	for (size_t cut1 = 0; cut1 <= n; cut1++) {
		for (size_t cut2 = cut1; cut2 <= n; cut2++) {
			struct k8s_framer f;
			struct lines l = { 0 };
			k8s_framer_init(&f, 0);
			assert_int_equal(k8s_framer_feed(&f, stream, cut1, collect, &l), K8S_FRAME_OK);
			assert_int_equal(k8s_framer_feed(&f, stream + cut1, cut2 - cut1, collect, &l),
					 K8S_FRAME_OK);
			assert_int_equal(k8s_framer_feed(&f, stream + cut2, n - cut2, collect, &l),
					 K8S_FRAME_OK);
			assert_string_equal(l.all, expected);
			assert_int_equal(k8s_framer_pending(&f), strlen("tail-without-newline"));
			lines_free(&l);
			k8s_framer_free(&f);
		}
	}
}

static void test_byte_by_byte(void **state)
{
	struct k8s_framer f;
	struct lines l = { 0 };
	k8s_framer_init(&f, 0);
	for (size_t i = 0; i < strlen(stream); i++)
		assert_int_equal(k8s_framer_feed(&f, stream + i, 1, collect, &l), K8S_FRAME_OK);
	assert_string_equal(l.all, expected);
	lines_free(&l);
	k8s_framer_free(&f);
}

static void test_huge_event_in_chunks(void **state)
{
	size_t big = 5u << 20;
	char *data = malloc(big + 1);
	for (size_t i = 0; i < big; i++)
		data[i] = (char)('a' + i % 26);
	data[big] = '\n';
	struct k8s_framer f;
	struct lines l = { 0 };
	k8s_framer_init(&f, 0);
	for (size_t off = 0; off < big + 1; off += 16384) {
		size_t n = big + 1 - off < 16384 ? big + 1 - off : 16384;
		assert_int_equal(k8s_framer_feed(&f, data + off, n, collect, &l), K8S_FRAME_OK);
	}
	assert_int_equal(l.count, 1);
	assert_int_equal(l.len, big + 1);
	assert_memory_equal(l.all, data, big);
	lines_free(&l);
	k8s_framer_free(&f);
	free(data);
}

static void test_size_bound(void **state)
{
	char line[1002];
	memset(line, 'x', sizeof(line));
	struct k8s_framer f;
	struct lines l = { 0 };

	/* exactly the maximum passes, in place and assembled */
	k8s_framer_init(&f, 1000);
	line[1000] = '\n';
	assert_int_equal(k8s_framer_feed(&f, line, 1001, collect, &l), K8S_FRAME_OK);
	assert_int_equal(k8s_framer_feed(&f, line, 500, collect, &l), K8S_FRAME_OK);
	assert_int_equal(k8s_framer_feed(&f, line + 500, 501, collect, &l), K8S_FRAME_OK);
	assert_int_equal(l.count, 2);
	lines_free(&l);
	k8s_framer_free(&f);

	/* one more byte fails: complete in one feed */
	k8s_framer_init(&f, 1000);
	line[1000] = 'x';
	line[1001] = '\n';
	assert_int_equal(k8s_framer_feed(&f, line, 1002, collect, &l), K8S_FRAME_TOO_LARGE);
	/* and the framer stays failed */
	assert_int_equal(k8s_framer_feed(&f, "ok\n", 3, collect, &l), K8S_FRAME_TOO_LARGE);
	assert_int_equal(l.count, 0);
	k8s_framer_reset(&f);
	assert_int_equal(k8s_framer_feed(&f, "ok\n", 3, collect, &l), K8S_FRAME_OK);
	assert_int_equal(l.count, 1);
	lines_free(&l);
	k8s_framer_free(&f);

	/* fails while still incomplete, without buffering past the bound */
	k8s_framer_init(&f, 1000);
	assert_int_equal(k8s_framer_feed(&f, line, 999, collect, &l), K8S_FRAME_OK);
	assert_int_equal(k8s_framer_feed(&f, line, 2, collect, &l), K8S_FRAME_TOO_LARGE);
	assert_true(f.cap <= 1001);
	assert_int_equal(l.count, 0);
	k8s_framer_free(&f);
	/* a single incomplete feed that is already too long */
	k8s_framer_init(&f, 1000);
	assert_int_equal(k8s_framer_feed(&f, line, 1001, collect, &l), K8S_FRAME_TOO_LARGE);
	assert_null(f.buf);
	k8s_framer_free(&f);
}

static void test_stop(void **state)
{
	struct k8s_framer f;
	struct lines l = { .stop_after = 1 };
	k8s_framer_init(&f, 0);
	assert_int_equal(k8s_framer_feed(&f, "a\nb\nc\n", 6, collect, &l), K8S_FRAME_STOPPED);
	assert_string_equal(l.all, "a|");
	lines_free(&l);
	k8s_framer_free(&f);
}

static void test_garbage_lines_are_rejected_by_the_decoder(void **state)
{
	/* pseudo-random bytes: the framer must deliver whatever lines there are, and the decoder
	 * must refuse every one without crashing */
	uint32_t x = 12345;
	char data[20000];
	for (size_t i = 0; i < sizeof(data); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		data[i] = (char)(x % 7 == 0 ? '\n' : x >> 8);
	}
	struct k8s_framer f;
	struct lines l = { 0 };
	k8s_framer_init(&f, 0);
	assert_int_equal(k8s_framer_feed(&f, data, sizeof(data), collect, &l), K8S_FRAME_OK);
	assert_true(l.count > 100);
	char *save = NULL;
	for (char *tok = strtok_r(l.all, "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
		struct k8s_watch_event ev;
		char err[128];
		if (k8s_watch_event_parse(tok, strlen(tok), &ev, err, sizeof(err)) == 0)
			k8s_watch_event_clear(&ev);
	}
	lines_free(&l);
	k8s_framer_free(&f);
}

static int parse(const char *s, struct k8s_watch_event *ev, char *err)
{
	return k8s_watch_event_parse(s, strlen(s), ev, err, 128);
}

static void test_watch_events(void **state)
{
	struct k8s_watch_event ev;
	char err[128];
	assert_int_equal(parse("{\"type\":\"ADDED\",\"object\":{\"kind\":\"Service\",\"metadata\":"
			       "{\"name\":\"a\",\"resourceVersion\":\"42\"}}}", &ev, err), 0);
	assert_int_equal(ev.type, K8S_WATCH_ADDED);
	assert_string_equal(ev.rv, "42");
	assert_string_equal(json_string_value(json_object_get(ev.object, "kind")), "Service");
	k8s_watch_event_clear(&ev);

	assert_int_equal(parse("{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Service\",\"metadata\":"
			       "{\"resourceVersion\":\"99\"}}}", &ev, err), 0);
	assert_int_equal(ev.type, K8S_WATCH_BOOKMARK);
	assert_string_equal(ev.rv, "99");
	k8s_watch_event_clear(&ev);

	assert_int_equal(parse("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\","
			       "\"status\":\"Failure\",\"message\":\"too old resource version: 1 (5)\","
			       "\"reason\":\"Expired\",\"code\":410}}", &ev, err), 0);
	assert_int_equal(ev.type, K8S_WATCH_ERROR);
	assert_int_equal(ev.code, 410);
	assert_string_equal(ev.reason, "Expired");
	assert_string_equal(ev.message, "too old resource version: 1 (5)");
	assert_null(ev.rv);
	k8s_watch_event_clear(&ev);

	assert_int_equal(parse("{\"type\":\"DELETED\",\"object\":{\"metadata\":{}}}", &ev, err), -1);
	assert_non_null(strstr(err, "resourceVersion"));
	assert_int_equal(parse("{\"type\":\"ADDED\"}", &ev, err), -1);
	assert_non_null(strstr(err, "without an object"));
	assert_int_equal(parse("{\"type\":\"EXPLODED\",\"object\":{}}", &ev, err), -1);
	assert_non_null(strstr(err, "unknown event type"));
	assert_int_equal(parse("{\"type\":3,\"object\":{}}", &ev, err), -1);
	assert_int_equal(parse("{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":\"1\"}}",
			       &ev, err), -1);
	assert_non_null(strstr(err, "invalid JSON"));
	assert_int_equal(parse("{\"type\":\"ADDED\",\"type\":\"DELETED\",\"object\":{}}", &ev, err), -1);
	assert_int_equal(parse("[]", &ev, err), -1);
	assert_null(ev.object);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_at_every_boundary),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_huge_event_in_chunks),
		cmocka_unit_test(test_size_bound),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_garbage_lines_are_rejected_by_the_decoder),
		cmocka_unit_test(test_watch_events),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
