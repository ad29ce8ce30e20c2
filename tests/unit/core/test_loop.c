/* Unit tests for the event loop wrapper (core/loop.h): timers, fd watches, signals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <unistd.h>

#include "core/loop.h"

struct firing {
	int count;
	monotime at;
	int order;
};

static int order_counter;

static void record(void *arg)
{
	struct firing *f = arg;
	f->count++;
	f->at = mono_now();
	f->order = ++order_counter;
}

static void stop_loop(void *arg)
{
	loop_stop();
}

static int setup(void **state)
{
	loop_init();
	order_counter = 0;
	return 0;
}

static int teardown(void **state)
{
	loop_free();
	return 0;
}

static void test_timers_fire_in_deadline_order_not_start_order(void **state)
{
	struct firing late = { 0 }, early = { 0 };
	struct timer *t_late = timer_new(record, &late);
	struct timer *t_early = timer_new(record, &early);
	monotime start = mono_now();
	timer_start(t_late, mono_from_ms(40));
	timer_start(t_early, mono_from_ms(10));
	assert_true(timer_pending(t_early));
	assert_true(mono_to_ms(timer_remaining(t_late)) > 20);
	assert_int_equal(loop_run(), 0);             /* returns when nothing is registered */
	assert_int_equal(early.count, 1);
	assert_int_equal(late.count, 1);
	assert_int_equal(early.order, 1);
	assert_int_equal(late.order, 2);
	assert_true(mono_to_ms(mono_sub(early.at, start)) >= 10);
	assert_true(mono_to_ms(mono_sub(late.at, start)) >= 40);
	assert_false(timer_pending(t_late));
	assert_int_equal(mono_to_ns(timer_remaining(t_late)), 0);
	timer_free(t_late);
	timer_free(t_early);
}

static void test_restart_replaces_and_stop_cancels(void **state)
{
	struct firing a = { 0 }, b = { 0 };
	struct timer *ta = timer_new(record, &a);
	struct timer *tb = timer_new(record, &b);
	monotime start = mono_now();
	timer_start(ta, mono_from_ms(5));
	timer_start(ta, mono_from_ms(30));           /* re-arm: one firing, at the later time */
	timer_start(tb, mono_from_ms(10));
	timer_stop(tb);
	assert_false(timer_pending(tb));
	loop_run();
	assert_int_equal(a.count, 1);
	assert_true(mono_to_ms(mono_sub(a.at, start)) >= 30);
	assert_int_equal(b.count, 0);
	timer_free(ta);
	timer_free(tb);
}

struct pipe_reader {
	int reads;
	char last;
};

static void on_readable(int fd, int events, void *arg)
{
	struct pipe_reader *r = arg;
	assert_true(events & WATCH_READ);
	assert_int_equal(read(fd, &r->last, 1), 1);
	if (++r->reads == 2)
		loop_stop();
}

static void write_byte(void *arg)
{
	int *fd = arg;
	char c = 'x';
	assert_int_equal(write(*fd, &c, 1), 1);
}

static void test_fd_watch_is_persistent(void **state)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	struct pipe_reader r = { 0 };
	struct watch *w = watch_new(fds[0], WATCH_READ, on_readable, &r);
	struct timer *t1 = timer_new(write_byte, &fds[1]);
	struct timer *t2 = timer_new(write_byte, &fds[1]);
	struct timer *guard = timer_new(stop_loop, NULL);
	timer_start(t1, mono_from_ms(1));
	timer_start(t2, mono_from_ms(5));
	timer_start(guard, mono_from_s(2));          /* never hang the suite */
	loop_run();
	assert_int_equal(r.reads, 2);
	assert_int_equal(r.last, 'x');
	watch_set(w, 0);                             /* paused: a byte written now is not read */
	write_byte(&fds[1]);
	timer_start(guard, mono_from_ms(20));
	loop_run();
	assert_int_equal(r.reads, 2);
	watch_free(w);
	timer_free(t1);
	timer_free(t2);
	timer_free(guard);
	close(fds[0]);
	close(fds[1]);
}

static void on_signal(int signo, void *arg)
{
	int *got = arg;
	*got = signo;
	loop_stop();
}

static void raise_usr1(void *arg)
{
	raise(SIGUSR1);
}

static void test_signal_runs_from_loop(void **state)
{
	int got = 0;
	struct sigwatch *s = sigwatch_new(SIGUSR1, on_signal, &got);
	struct timer *t = timer_new(raise_usr1, NULL);
	struct timer *guard = timer_new(stop_loop, NULL);
	timer_start(t, mono_from_ms(1));
	timer_start(guard, mono_from_s(2));
	loop_run();
	assert_int_equal(got, SIGUSR1);
	sigwatch_free(s);
	timer_free(t);
	timer_free(guard);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_timers_fire_in_deadline_order_not_start_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_replaces_and_stop_cancels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_watch_is_persistent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signal_runs_from_loop, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
