/*
 * The event loop on libevent 2.1 (see loop.h; docs/ARCHITECTURE.md says why libevent).
 */
#include "core/loop.h"

#include <event2/event.h>
#include <stdlib.h>

#include "core/log.h"
#include "core/xalloc.h"

static struct event_base *base;

struct timer {
	struct event *ev;
	timer_fn fn;
	void *arg;
	monotime deadline;
};

struct watch {
	struct event *ev;
	int fd;
	int events;
	watch_fn fn;
	void *arg;
};

struct sigwatch {
	struct event *ev;
	signal_fn fn;
	void *arg;
};

void loop_init(void)
{
	if (base)
		return;
	struct event_config *cfg = event_config_new();
	if (!cfg)
		log_fatal("core", "cannot create event config", "");
	/*
	 * Precise timers: BFD and heartbeat intervals are tens of milliseconds, and the coarse
	 * monotonic clock libevent uses by default can be off by a scheduler tick.
	 */
	event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (!base)
		log_fatal("core", "cannot create event loop", "");
}

void loop_free(void)
{
	if (base)
		event_base_free(base);
	base = NULL;
}

struct event_base *loop_base(void)
{
	if (!base)
		loop_init();
	return base;
}

int loop_run(void)
{
	return event_base_dispatch(loop_base()) < 0 ? -1 : 0;
}

void loop_stop(void)
{
	event_base_loopbreak(loop_base());
}

monotime loop_now(void)
{
	return mono_now();
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct timer *t = arg;
	t->deadline = mono_zero();
	t->fn(t->arg);
}

struct timer *timer_new(timer_fn fn, void *arg)
{
	struct timer *t = XNEW(struct timer);
	t->fn = fn;
	t->arg = arg;
	t->ev = evtimer_new(loop_base(), timer_cb, t);
	if (!t->ev)
		log_fatal("core", "cannot create timer", "");
	return t;
}

void timer_start(struct timer *t, monotime after)
{
	if (after.ns < 0)
		after = mono_zero();
	struct timeval tv = mono_to_timeval(after);
	t->deadline = mono_add(mono_now(), after);
	evtimer_add(t->ev, &tv);
}

void timer_stop(struct timer *t)
{
	evtimer_del(t->ev);
	t->deadline = mono_zero();
}

bool timer_pending(const struct timer *t)
{
	return evtimer_pending(t->ev, NULL);
}

monotime timer_remaining(const struct timer *t)
{
	if (!timer_pending(t))
		return mono_zero();
	monotime left = mono_sub(t->deadline, mono_now());
	return left.ns > 0 ? left : mono_zero();
}

void timer_free(struct timer *t)
{
	if (!t)
		return;
	event_free(t->ev);
	free(t);
}

static void watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct watch *w = arg;
	int events = (what & EV_READ ? WATCH_READ : 0) | (what & EV_WRITE ? WATCH_WRITE : 0);
	w->fn(w->fd, events, w->arg);
}

static void watch_arm(struct watch *w)
{
	short what = EV_PERSIST | (w->events & WATCH_READ ? EV_READ : 0) |
		     (w->events & WATCH_WRITE ? EV_WRITE : 0);
	if (w->ev) {
		event_del(w->ev);
		event_free(w->ev);
	}
	w->ev = event_new(loop_base(), w->fd, what, watch_cb, w);
	if (!w->ev)
		log_fatal("core", "cannot create fd watcher", "fd=%d", w->fd);
	if (w->events)
		event_add(w->ev, NULL);
}

struct watch *watch_new(int fd, int events, watch_fn fn, void *arg)
{
	struct watch *w = XNEW(struct watch);
	w->fd = fd;
	w->events = events;
	w->fn = fn;
	w->arg = arg;
	watch_arm(w);
	return w;
}

void watch_set(struct watch *w, int events)
{
	if (w->events == events)
		return;
	w->events = events;
	watch_arm(w);
}

void watch_free(struct watch *w)
{
	if (!w)
		return;
	event_free(w->ev);
	free(w);
}

static void sigwatch_cb(evutil_socket_t signo, short what, void *arg)
{
	struct sigwatch *s = arg;
	s->fn((int)signo, s->arg);
}

struct sigwatch *sigwatch_new(int signo, signal_fn fn, void *arg)
{
	struct sigwatch *s = XNEW(struct sigwatch);
	s->fn = fn;
	s->arg = arg;
	s->ev = evsignal_new(loop_base(), signo, sigwatch_cb, s);
	if (!s->ev || evsignal_add(s->ev, NULL) != 0)
		log_fatal("core", "cannot watch signal", "signal=%d", signo);
	return s;
}

void sigwatch_free(struct sigwatch *s)
{
	if (!s)
		return;
	event_free(s->ev);
	free(s);
}
