/*
 * Monotonic time. Every timer and timeout in ingot counts on CLOCK_MONOTONIC through this type,
 * never wall-clock time, so a clock step cannot fire or starve a hold timer. The value is wrapped
 * in a struct so seconds and milliseconds cannot be mixed by accident (OpenBGPD's monotime idea):
 * build one with mono_from_ms()/mono_from_s() and read it with mono_to_ms().
 */
#ifndef INGOT_CORE_MONOTIME_H
#define INGOT_CORE_MONOTIME_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/time.h>
#include <time.h>

typedef struct monotime {
	int64_t ns;
} monotime;

static inline monotime mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	monotime t = { (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec };
	return t;
}

static inline monotime mono_from_ns(int64_t ns) { monotime t = { ns }; return t; }
static inline monotime mono_from_us(int64_t us) { monotime t = { us * 1000 }; return t; }
static inline monotime mono_from_ms(int64_t ms) { monotime t = { ms * 1000000 }; return t; }
static inline monotime mono_from_s(int64_t s) { monotime t = { s * 1000000000 }; return t; }
static inline monotime mono_zero(void) { monotime t = { 0 }; return t; }

static inline int64_t mono_to_ns(monotime t) { return t.ns; }
static inline int64_t mono_to_us(monotime t) { return t.ns / 1000; }
static inline int64_t mono_to_ms(monotime t) { return t.ns / 1000000; }
static inline int64_t mono_to_s(monotime t) { return t.ns / 1000000000; }

static inline monotime mono_add(monotime a, monotime b) { monotime t = { a.ns + b.ns }; return t; }
static inline monotime mono_sub(monotime a, monotime b) { monotime t = { a.ns - b.ns }; return t; }
static inline bool mono_before(monotime a, monotime b) { return a.ns < b.ns; }
static inline bool mono_is_zero(monotime t) { return t.ns == 0; }
/* Time elapsed since `since`. */
static inline monotime mono_since(monotime since) { return mono_sub(mono_now(), since); }

static inline struct timeval mono_to_timeval(monotime t)
{
	struct timeval tv = { .tv_sec = t.ns / 1000000000, .tv_usec = (t.ns % 1000000000) / 1000 };
	return tv;
}

#endif
