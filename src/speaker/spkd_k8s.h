/*
 * The speaker fed from the API server (what `ingot speaker` runs; internal to src/speaker).
 *
 * Informers watch Services, discovery.k8s.io/v1 EndpointSlices, Nodes and the configuration
 * (the legacy ConfigMap or the metallb.io CRDs, found as the controller finds them). Once all
 * have synced and a valid configuration is loaded, every change recomputes this node's
 * announcements (debounced) and applies them; Events nodeAssigned and announceFailed go on the
 * Service. An invalid configuration is refused and the last good one stays in force. When the API
 * server cannot be reached the informers keep their last state, so the last announcements stay:
 * nothing is withdrawn for want of an answer, and the loss and recovery are logged.
 * The Nodes are also the failure detector's member list (spkd_members.h): with a key, node
 * liveness for the L2 election comes from the detector, not from the Node conditions.
 */
#ifndef INGOT_SPEAKER_SPKD_K8S_H
#define INGOT_SPEAKER_SPKD_K8S_H

#include <stdbool.h>
#include <stdint.h>

#include "k8s/client.h"
#include "speaker/spkd.h"
#include "speaker/spkd_members.h"

struct spkd_k8s_options {
	const char *node_name;
	const char *namespace;       /* "metallb-system" */
	const char *configmap;       /* "config" */
	const char *lb_class;        /* NULL: Services without a class */
	uint16_t gshut_wait;         /* seconds of RFC 8326 graceful shutdown on stop; 0: none */
	struct spkd_members_options ml;  /* failure detection between speakers */
};

struct spkd_k8s;

/* Options are copied; the client is borrowed. Call after loop_init(). */
struct spkd_k8s *spkd_k8s_new(struct k8s_client *c, const struct spkd_k8s_options *o);
void spkd_k8s_start(struct spkd_k8s *s);
/* Tell the other speakers we leave (signed LEAVE), withdraw everything (spkd_stop), then
 * done(arg). */
void spkd_k8s_shutdown(struct spkd_k8s *s, void (*done)(void *arg), void *arg);
void spkd_k8s_free(struct spkd_k8s *s);
/* The daemon inside (for spkd_ops_new) and whether the API server answers (arg: the spkd_k8s). */
struct spkd *spkd_k8s_daemon(struct spkd_k8s *s);
bool spkd_k8s_api_ok(void *arg);
/* The failure detector's view (for spkd_control_new and metrics). */
struct spkd_members *spkd_k8s_members(struct spkd_k8s *s);

#endif
