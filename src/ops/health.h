/*
 * Liveness and readiness checks behind /healthz and /readyz.
 *
 * Each component registers named checks at start: liveness checks say the process is not wedged
 * (restart it if they fail), readiness checks say it is doing its job (informers synced, config
 * valid). A report runs every check of one kind, in registration order, and prints them as
 * Kubernetes' `?verbose` does:
 *
 *   [+]informers-synced ok
 *   [-]config-valid failed: pool "blue": range overlaps pool "red"
 *   readyz check failed
 */
#ifndef INGOT_OPS_HEALTH_H
#define INGOT_OPS_HEALTH_H

#include <stdbool.h>
#include <stddef.h>

struct evbuffer;

enum health_kind {
	HEALTH_LIVENESS,
	HEALTH_READINESS,
};

/* Returns true when healthy; when not, may write a one-line reason into why (why_len bytes). */
typedef bool (*health_check_fn)(void *arg, char *why, size_t why_len);

struct health;

struct health *health_new(void);
void health_free(struct health *h);
/* name is copied; arg is borrowed and must outlive the registration. */
void health_add(struct health *h, enum health_kind kind, const char *name, health_check_fn fn,
		void *arg);
/* Drops every check registered with this fn and arg (a component shutting down). */
void health_remove(struct health *h, health_check_fn fn, void *arg);
/*
 * Runs the checks of one kind and appends the report, ending with "<prefix> check passed" or
 * "<prefix> check failed" (prefix "healthz" or "readyz"). Returns true when all passed.
 */
bool health_report(const struct health *h, enum health_kind kind, const char *prefix,
		   struct evbuffer *out);

#endif
