/*
 * The metrics registry's data structures, shared by the registry (metrics.c) and the text
 * exposition (metrics_text.c). Internal to src/ops.
 */
#ifndef INGOT_OPS_METRICS_INT_H
#define INGOT_OPS_METRICS_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "ops/metrics.h"

struct metric_series {
	struct metric_family *family;
	char **values;          /* one per label name, valid UTF-8 */
	double value;           /* counter, gauge */
	uint64_t *buckets;      /* histogram: nbounds + 1 counts, not cumulative (the last is +Inf) */
	double sum;
	uint64_t count;
};

struct metric_family {
	struct metrics *owner;
	enum metric_type type;
	char *name;
	char *help;
	char **labels;
	size_t nlabels;
	double *bounds;         /* histogram */
	size_t nbounds;
	struct metric_series **series;  /* sorted by label values */
	size_t nseries, series_cap;
};

struct metrics_collector {
	metrics_collect_fn fn;
	void *arg;
};

struct metrics {
	struct metric_family **families;  /* sorted by name */
	size_t nfamilies, families_cap;
	struct metrics_collector *collectors;
	size_t ncollectors;
};

/* UTF-8 helpers (metrics_utf8.c). */
bool metrics_utf8_valid(const char *s);
/* A copy of s with every invalid sequence replaced by U+FFFD; the caller frees it. */
char *metrics_utf8_sanitize(const char *s);

#endif
