/*
 * The event loop: one libevent event_base per process, single-threaded, shared by every component.
 *
 * Components register file descriptors and timers here rather than touching libevent directly, so
 * timers always run on monotonic time (core/monotime.h) and their ownership is explicit: a timer
 * or watcher belongs to the object that created it and is freed by that object's teardown.
 * Code that needs more of libevent (the HTTP server for /metrics, libcurl's multi socket
 * integration) gets the base from loop_base().
 */
#ifndef INGOT_CORE_LOOP_H
#define INGOT_CORE_LOOP_H

#include <stdbool.h>

#include "core/monotime.h"

struct event_base;

/* Creates the process's loop; call once at start. */
void loop_init(void);
/* Frees the loop after loop_run() returned and every timer/watcher was freed. */
void loop_free(void);
struct event_base *loop_base(void);
/* Runs until loop_stop() or until nothing is registered. Returns 0, or -1 on a libevent error. */
int loop_run(void);
/* Makes loop_run() return after the current callback. */
void loop_stop(void);
/* The current monotonic time, as timers see it. */
monotime loop_now(void);

/* --- timers ---------------------------------------------------------------------------- */

typedef void (*timer_fn)(void *arg);
struct timer;

/* A stopped one-shot timer that calls fn(arg) when it fires. Owner frees it with timer_free(). */
struct timer *timer_new(timer_fn fn, void *arg);
/* (Re)arms the timer to fire once after `after`, replacing any pending expiry. */
void timer_start(struct timer *t, monotime after);
void timer_stop(struct timer *t);
bool timer_pending(const struct timer *t);
/* Time left before it fires, or zero when not pending. */
monotime timer_remaining(const struct timer *t);
void timer_free(struct timer *t);

/* --- file descriptors ------------------------------------------------------------------ */

enum {
	WATCH_READ = 1,
	WATCH_WRITE = 2,
};
typedef void (*watch_fn)(int fd, int events, void *arg);
struct watch;

/* Calls fn whenever fd is ready for any of `events` (persistent). fd stays the caller's. */
struct watch *watch_new(int fd, int events, watch_fn fn, void *arg);
/* Changes the event set (for example, wait for WATCH_WRITE only while output is queued). */
void watch_set(struct watch *w, int events);
void watch_free(struct watch *w);

/* --- signals --------------------------------------------------------------------------- */

typedef void (*signal_fn)(int signo, void *arg);
struct sigwatch;
/* Runs fn from the loop (not from the signal handler) when signo arrives. */
struct sigwatch *sigwatch_new(int signo, signal_fn fn, void *arg);
void sigwatch_free(struct sigwatch *s);

#endif
