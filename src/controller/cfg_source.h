/*
 * Where the controller's configuration comes from: MetalLB's legacy ConfigMap (namespace
 * metallb-system by default, name `config`) or the metallb.io CRDs in that namespace
 * (IPAddressPool, L2Advertisement, BGPAdvertisement, BGPPeer, Community, BFDProfile, plus the
 * basic-auth Secrets a BGPPeer's passwordSecret may name), whichever exists; the CRDs win when
 * both do. One informer per kind; the CRD informers start once discovery shows the metallb.io
 * API (checked again every 10 s while it is missing).
 *
 * The owner gets changed(arg) (debounced) after the first complete sync and whenever an object
 * changes, then takes the objects as one JSON List document for config_load. A relist after a
 * 410 or an API server restart changes nothing unless the objects did.
 */
#ifndef INGOT_CONTROLLER_CFG_SOURCE_H
#define INGOT_CONTROLLER_CFG_SOURCE_H

#include <jansson.h>
#include <stdbool.h>

#include "k8s/client.h"

enum cfg_mode {
	CFG_MODE_NONE,       /* neither the ConfigMap nor any metallb.io object exists */
	CFG_MODE_LEGACY,     /* the ConfigMap */
	CFG_MODE_CRD,        /* metallb.io objects */
};

struct cfg_source;

/* Strings are copied. changed runs from the loop. */
struct cfg_source *cfg_source_new(struct k8s_client *c, const char *ns, const char *cm_name,
				  void (*changed)(void *arg), void *arg);
void cfg_source_start(struct cfg_source *cs);
/* Every informer in use has delivered its first list. */
bool cfg_source_synced(const struct cfg_source *cs);
enum cfg_mode cfg_source_mode(const struct cfg_source *cs);
/* The legacy ConfigMap exists (whether or not it is the mode in use). */
bool cfg_source_has_configmap(const struct cfg_source *cs);
const char *cfg_mode_name(enum cfg_mode m);
/* The objects of the current mode as one JSON List text (caller frees); NULL in CFG_MODE_NONE. */
char *cfg_source_document(const struct cfg_source *cs);
/* The object a diagnostic names ("IPAddressPool/name", "ConfigMap/config"), or for anything
 * else the ConfigMap in legacy mode; borrowed, NULL if none. */
const json_t *cfg_source_object(const struct cfg_source *cs, const char *diag_object);
void cfg_source_free(struct cfg_source *cs);

#endif
