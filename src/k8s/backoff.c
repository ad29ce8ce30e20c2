/*
 * Exponential backoff with equal jitter (see backoff.h).
 */
#include "k8s/backoff.h"

void k8s_backoff_init(struct k8s_backoff *b, monotime initial, monotime max)
{
	if (mono_before(max, initial))
		max = initial;
	b->initial = initial;
	b->max = max;
	b->base = initial;
}

monotime k8s_backoff_next(struct k8s_backoff *b, uint32_t random)
{
	int64_t base = mono_to_ns(b->base);
	int64_t half = base / 2;
	/* uniform in [half, base]: half + span * random / 2^32 */
	int64_t span = base - half;
	int64_t jitter = (int64_t)((double)span * (double)random / 4294967296.0);
	monotime delay = mono_from_ns(half + jitter);
	int64_t next = base > mono_to_ns(b->max) / 2 ? mono_to_ns(b->max) : base * 2;
	b->base = mono_from_ns(next);
	return delay;
}

void k8s_backoff_reset(struct k8s_backoff *b)
{
	b->base = b->initial;
}
