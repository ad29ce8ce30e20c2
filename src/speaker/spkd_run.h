/*
 * Allocation and announcement in one process without Kubernetes (what `ingot run` runs; internal
 * to src/speaker): the objects come from files (spkd_files.c), IPs from the allocator
 * (alloc/alloc.h, as the controller would give them), announcements from the speaker daemon
 * (spkd.h). A Service without any EndpointSlice counts as served by this node; Node objects in the
 * files, when present, are the member set for L2 elections (else this node alone) and, with a
 * key, for the failure detector (spkd_members.h) that decides which of them are live.
 *
 * Reload (SIGHUP): the files are read and validated as a whole first; any error is logged with
 * file, object and field and leaves the running state (configuration, Services, IPs,
 * announcements) untouched. IPs stay with their Services across reloads.
 */
#ifndef INGOT_SPEAKER_SPKD_RUN_H
#define INGOT_SPEAKER_SPKD_RUN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/model.h"
#include "speaker/spkd.h"
#include "speaker/spkd_members.h"

/* What one load of the files gave: owned by the struct. */
struct spkd_files {
	struct cfg_model *model;
	json_t *services;            /* arrays of objects */
	json_t *slices;
	json_t *nodes;
};

/* Reads paths (files, or directories of .yaml, .yml and .json files). Returns false, with every error
 * logged and *out empty, on any error. */
bool spkd_files_load(char *const *paths, size_t n, struct spkd_files *out);
void spkd_files_free(struct spkd_files *f);

struct spkd_run_options {
	const char *node_name;
	const char *lb_class;        /* NULL: Services without spec.loadBalancerClass */
	char *const *paths;
	size_t npaths;
	uint16_t gshut_wait;
	struct spkd_members_options ml;  /* failure detection between nodes */
};

struct spkd_run;

/* Strings are copied. Call after loop_init(). */
struct spkd_run *spkd_run_new(const struct spkd_run_options *o);
/* Loads the files and, when they are valid, allocates and announces. Returns whether it did. */
bool spkd_run_reload(struct spkd_run *r);
void spkd_run_shutdown(struct spkd_run *r, void (*done)(void *arg), void *arg);
void spkd_run_free(struct spkd_run *r);
/* The daemon inside (for spkd_ops_new). */
struct spkd *spkd_run_daemon(struct spkd_run *r);
/* The failure detector's view (for spkd_control_new and metrics). */
struct spkd_members *spkd_run_members(struct spkd_run *r);

#endif
