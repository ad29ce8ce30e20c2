/*
 * src/controller: the glue that turns API objects into allocator calls and writes the results back
 * (docs/ARCHITECTURE.md). What `ingot controller` runs.
 *
 * Informers watch Services, Namespaces (their labels feed namespaceSelectors) and the
 * configuration (cfg_source.h: the legacy ConfigMap or the metallb.io CRDs). Once every informer
 * has synced and a valid configuration is loaded, and only while this replica leads (always,
 * without leader election), the controller:
 *   1. imports every IP already in Service status (alloc_import) before allocating anything, so a
 *      restart never renumbers a Service;
 *   2. syncs every Service through the allocator and writes status.loadBalancer.ingress and the
 *      metallb.io/ip-allocated-from-pool annotation in one status-subresource update, with
 *      MetalLB's Events (IPAllocated, AllocationFailed, ClearAssignment, deprecatedAnnotation...);
 *   3. then follows changes: a changed Service is synced again, a deleted one frees its IPs and
 *      the pending Services are retried at once; a new configuration replaces the pools (the
 *      Services it no longer allows are re-synced) while an invalid one is refused with a log
 *      line and a Warning Event and the last good one stays in force; IPAddressPool status
 *      counters are kept up to date when the CRDs are in use.
 * Services of another spec.loadBalancerClass are ignored. Services that stop being LoadBalancers
 * have their status cleared. Losing the API server stops nothing but the writes (retried later):
 * the informers keep their last state, and nothing is cleared for want of an answer.
 * Losing leadership cancels every write at once and drops the allocator state; it is rebuilt from
 * Service status when leadership comes back.
 *
 * At start it also creates the failure detector's Secret when it is missing (ml_secret.h), and it
 * reports what it is doing through controller_state() and controller_pools(), which ctl_ops.h
 * turns into /metrics, /healthz, /readyz and `ingot status`.
 */
#ifndef INGOT_CONTROLLER_CONTROLLER_H
#define INGOT_CONTROLLER_CONTROLLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller/ctl_report.h"
#include "controller/leader.h"
#include "k8s/client.h"

struct ctl_options {
	const char *namespace;       /* where the configuration lives: "metallb-system" */
	const char *configmap;       /* the legacy ConfigMap's name: "config" */
	const char *lb_class;        /* --lb-class; NULL: only Services without a class */
	bool leader_elect;
	const char *lease_name;      /* "ingot-controller" */
	const char *identity;        /* this replica's name in the Lease */
	struct le_timing timing;
	const char *ml_secret_name;  /* the memberlist Secret to create if absent; NULL: none */
};

struct controller;

/* Options are copied. Does not start. */
struct controller *controller_new(struct k8s_client *c, const struct ctl_options *o);
void controller_start(struct controller *ctl);
/* Stops writing, releases the Lease if held, then calls done(arg). */
void controller_shutdown(struct controller *ctl, void (*done)(void *arg), void *arg);
void controller_free(struct controller *ctl);

/* What the controller is doing now (strings borrowed until the next loop iteration). */
void controller_state(const struct controller *ctl, struct ctl_state *out);
/* Size and use of every pool of the configuration in force (in use only while assigning). */
void controller_pools(const struct controller *ctl, struct ctl_pools *out);
/* The memberlist Secret's state name (ml_secret.h), or NULL when not managed. */
const char *controller_ml_secret_state(const struct controller *ctl);

#endif
