/* Unit tests for the deduplicating key queue (controller/keyq.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/keyq.h"

static void test_fifo_and_dedup(void **state)
{
	struct keyq q;
	keyq_init(&q);
	assert_null(keyq_pop(&q));
	assert_true(keyq_push(&q, "a/1"));
	assert_true(keyq_push(&q, "a/2"));
	assert_false(keyq_push(&q, "a/1"));
	assert_int_equal(keyq_len(&q), 2);
	char *k = keyq_pop(&q);
	assert_string_equal(k, "a/1");
	free(k);
	/* popped: may wait again, behind a/2 */
	assert_true(keyq_push(&q, "a/1"));
	k = keyq_pop(&q);
	assert_string_equal(k, "a/2");
	free(k);
	k = keyq_pop(&q);
	assert_string_equal(k, "a/1");
	free(k);
	assert_int_equal(keyq_len(&q), 0);
	keyq_free(&q);
}

static void test_grows_across_the_wrap(void **state)
{
	struct keyq q;
	keyq_init(&q);
	char key[32];
	/* move head forward first so growth has to unwrap the ring */
	for (int i = 0; i < 50; i++) {
		snprintf(key, sizeof(key), "w/%d", i);
		keyq_push(&q, key);
	}
	for (int i = 0; i < 40; i++)
		free(keyq_pop(&q));
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "n/%d", i);
		assert_true(keyq_push(&q, key));
	}
	assert_int_equal(keyq_len(&q), 1010);
	for (int i = 40; i < 50; i++) {
		char *k = keyq_pop(&q);
		snprintf(key, sizeof(key), "w/%d", i);
		assert_string_equal(k, key);
		free(k);
	}
	for (int i = 0; i < 1000; i++) {
		char *k = keyq_pop(&q);
		snprintf(key, sizeof(key), "n/%d", i);
		assert_string_equal(k, key);
		free(k);
	}
	keyq_push(&q, "left/over");
	keyq_free(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fifo_and_dedup),
		cmocka_unit_test(test_grows_across_the_wrap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
