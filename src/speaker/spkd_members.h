/*
 * The speakers' member view (internal to src/speaker): the SWIM + Lifeguard failure detector
 * (swim/swim.h) fed with the member list from Node objects, as `ingot speaker` (from the API
 * server) and `ingot run` (from files) both have them.
 *
 * A Node is a member when it has a status.addresses entry of type InternalIP in the family of
 * the bind address; its detector address is that IP and the bind port. The key is sha256 of the
 * bytes of the secret key file (MetalLB's `memberlist` Secret, key `secretkey`, mounted as a
 * directory or given as the file). Without a key, with --ml-disable, or when the socket cannot
 * be bound, the detector is off and Node conditions decide liveness, as before (one warning).
 *
 * Liveness answers for the L2 election (spkd_members_live): this node is live; a member is live
 * while the detector holds it alive or suspect; before the first full probe round, and for Nodes
 * that are not members, there is no answer and the Node conditions decide.
 */
#ifndef INGOT_SPEAKER_SPKD_MEMBERS_H
#define INGOT_SPEAKER_SPKD_MEMBERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct metrics;

struct spkd_members_options {
	const char *secret_key_path; /* file or directory with `secretkey`; NULL: none */
	const char *bind_addr;       /* NULL: this node's InternalIP, else 0.0.0.0 */
	uint16_t bind_port;          /* 7946 */
	uint32_t probe_interval_ms;
	uint32_t probe_timeout_ms;
	uint32_t indirect_checks;
	uint32_t suspicion_mult;
	bool disable;
};

#define SPKD_MEMBERS_DEFAULT_PORT 7946

/* Defaults, with secret_key_path from $METALLB_ML_SECRET_KEY_PATH. */
void spkd_members_options_defaults(struct spkd_members_options *o);
/* Parses the --ml-* option `name` (without dashes) into o; false on a bad value. Strings are
 * borrowed. */
bool spkd_members_option(struct spkd_members_options *o, const char *name, const char *value);

struct spkd_members;

/*
 * Options are copied. changed(arg) runs from the loop (never from inside the detector) whenever
 * the answers of spkd_members_live() may have changed. Call after loop_init().
 */
struct spkd_members *spkd_members_new(const char *node_name, const struct spkd_members_options *o,
				      void (*changed)(void *arg), void *arg);
/* The Node objects now known (a JSON array, borrowed for the call). */
void spkd_members_set_nodes(struct spkd_members *m, const json_t *nodes);
/* 1: live, 0: not live, -1: no answer (detector off or not ready, or node not a member). arg is
 * the spkd_members (for struct spkd_source). */
int spkd_members_live(void *arg, const char *node);
/* Graceful leave: a signed LEAVE to every member at once. */
void spkd_members_leave(struct spkd_members *m);
bool spkd_members_enabled(const struct spkd_members *m);
/* The `ingot status` section "members"; the caller owns the result. */
json_t *spkd_members_status(const struct spkd_members *m);
/* Registers ingot_memberlist_* in reg, filled at each scrape. */
void spkd_members_metrics(struct spkd_members *m, struct metrics *reg);
void spkd_members_free(struct spkd_members *m);

#endif
