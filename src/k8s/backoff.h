/*
 * Exponential backoff with jitter (internal to src/k8s; pure: the random number is passed in).
 *
 * Each failure doubles the base delay up to a maximum; the delay handed out is drawn uniformly
 * from [base/2, base] ("equal jitter"), so many clients that failed together (an API server
 * restart) do not come back together, and no delay is ever shorter than half the base.
 * A success resets the base to the initial value.
 */
#ifndef INGOT_K8S_BACKOFF_H
#define INGOT_K8S_BACKOFF_H

#include <stdint.h>

#include "core/monotime.h"

struct k8s_backoff {
	monotime initial;
	monotime max;
	monotime base;           /* the next delay's upper bound */
};

void k8s_backoff_init(struct k8s_backoff *b, monotime initial, monotime max);
/* The delay to wait now (given a uniformly random 32-bit value), then doubles the base. */
monotime k8s_backoff_next(struct k8s_backoff *b, uint32_t random);
void k8s_backoff_reset(struct k8s_backoff *b);

#endif
