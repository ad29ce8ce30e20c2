/*
 * Metrics registry and Prometheus text exposition (format 0.0.4).
 *
 * Each component creates its metric families once at start, with a fixed list of label names, and
 * keeps a handle per series (one combination of label values):
 *
 *   struct metric_family *up = metrics_gauge(m, "metallb_bgp_session_up",
 *           "BGP session state (1 is up, 0 is down)", METRIC_LABELS("peer"));
 *   struct metric_series *s = metric_series(up, METRIC_LABELS("10.0.0.1:179"));
 *   metric_set(s, 1);
 *
 * Updating a series through its handle is a few instructions and never allocates; looking a
 * series up (metric_series) is a binary search and allocates only the first time. Everything runs
 * on the one event loop thread, so nothing is atomic.
 *
 * metrics_write() renders every family in name order and every series in label-value order:
 * `# HELP` and `# TYPE` lines, label values and help text escaped as the format requires, and
 * `_bucket{le="..."}`, `_sum` and `_count` samples for histograms. A family without series is left
 * out, as the Go client does. Invalid names, clashing families and wrong label counts are
 * programming errors and fatal (log_fatal) when the family or series is created at start; label
 * values are any text and are stored as valid UTF-8 (bad bytes become U+FFFD).
 *
 * Names and types, a decision: `promtool check metrics` lints names (counters must end in `_total`,
 * other types must not), and a few of MetalLB's historical names break that rule, e.g. the gauge
 * metallb_allocator_addresses_in_use_total and the counter metallb_layer2_requests_received.
 * ingot keeps MetalLB's names exactly, because users' dashboards and alerts depend on them, and
 * registers those that break the lint as `untyped` (metrics_untyped), which promtool's linter
 * exempts and Prometheus treats like a gauge in queries (rate() still works on a counter-like
 * untyped series). ingot's own metrics (ingot_*) follow the lint and use counter or gauge.
 */
#ifndef INGOT_OPS_METRICS_H
#define INGOT_OPS_METRICS_H

#include <stddef.h>

struct evbuffer;

enum metric_type {
	METRIC_COUNTER,
	METRIC_GAUGE,
	METRIC_HISTOGRAM,
	METRIC_UNTYPED,     /* only for MetalLB's names that break the lint (see above) */
};

/* A NULL-terminated list of label names or label values, for the calls below. */
#define METRIC_LABELS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define METRIC_NO_LABELS ((const char *const *)NULL)

struct metrics;
struct metric_family;
struct metric_series;

struct metrics *metrics_new(void);
/* Frees the registry with every family and series; handles into it become invalid. */
void metrics_free(struct metrics *m);

/*
 * Registers a family. name follows [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*
 * and must not start with "__"; labels may be METRIC_NO_LABELS; help must not be empty. Strings
 * are copied. The family belongs to the registry.
 */
struct metric_family *metrics_counter(struct metrics *m, const char *name, const char *help,
				      const char *const *labels);
struct metric_family *metrics_gauge(struct metrics *m, const char *name, const char *help,
				    const char *const *labels);
/* A family with `# TYPE name untyped`; updates behave as on a gauge (metric_add takes any delta). */
struct metric_family *metrics_untyped(struct metrics *m, const char *name, const char *help,
				      const char *const *labels);
/* bounds: nbounds finite upper bounds in increasing order; the +Inf bucket is implied. */
struct metric_family *metrics_histogram(struct metrics *m, const char *name, const char *help,
					const char *const *labels, const double *bounds,
					size_t nbounds);

/* Prometheus' default buckets (seconds): 5 ms to 10 s. */
extern const double metric_default_buckets[];
extern const size_t metric_default_buckets_count;
/* Fills out[0..count) with start, start*factor, start*factor^2, ... (start > 0, factor > 1). */
void metric_exponential_buckets(double start, double factor, size_t count, double *out);

/*
 * The series for these label values (one per label name, in the family's order), created at zero
 * the first time. The handle stays valid until metric_series_remove() or metrics_free().
 */
struct metric_series *metric_series(struct metric_family *f, const char *const *values);
/* Forgets a series (a peer or a Service that went away); its handle becomes invalid. */
void metric_series_remove(struct metric_series *s);

/* Counters and gauges. A counter ignores negative or NaN increments. */
void metric_inc(struct metric_series *s);
void metric_add(struct metric_series *s, double delta);
/* Gauges; on a counter, only to mirror a monotonic count kept elsewhere (a kernel counter). */
void metric_set(struct metric_series *s, double value);
double metric_value(const struct metric_series *s);
/* Histograms: counts v into the first bucket whose bound is >= v. */
void metric_observe(struct metric_series *s, double v);

/*
 * Called at the start of every metrics_write(), in registration order: for gauges that are
 * cheaper to compute at scrape time (addresses in use per pool) than to keep up to date.
 */
typedef void (*metrics_collect_fn)(void *arg);
void metrics_on_collect(struct metrics *m, metrics_collect_fn fn, void *arg);

/* Appends the exposition of every family to out. */
void metrics_write(struct metrics *m, struct evbuffer *out);
/* The Content-Type that goes with it. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
