/*
 * Decoders for the metallb.io objects (and the v1 Secret a BGPPeer may name), one function per
 * kind, and for MetalLB's legacy ConfigMap. Each appends to the model and reports through the
 * context; cross-object rules are validate.c's. Internal to src/config.
 */
#ifndef INGOT_CONFIG_CRD_H
#define INGOT_CONFIG_CRD_H

#include <jansson.h>

#include "config/decode.h"
#include "config/model.h"

/* The annotation that carries a legacy pool's protocol through a CRD round trip. */
#define CFG_LEGACY_PROTOCOL_ANNOTATION "ingot.io/legacy-protocol"

/* Which BGPPeer schema a document uses. */
enum crd_peer_version {
	CRD_PEER_V1BETA1,
	CRD_PEER_V1BETA2,
};

/* Each takes the object's spec (NULL when absent) and meta, whose contents it moves into the
 * model (meta is left zeroed). */
void crd_ipaddresspool(struct dctx *c, struct cfg_model *m, const json_t *spec,
		       const json_t *annotations, struct cfg_meta *meta);
void crd_l2advertisement(struct dctx *c, struct cfg_model *m, const json_t *spec,
			 struct cfg_meta *meta);
void crd_community(struct dctx *c, struct cfg_model *m, const json_t *spec, struct cfg_meta *meta);
void crd_bfdprofile(struct dctx *c, struct cfg_model *m, const json_t *spec, struct cfg_meta *meta);
void crd_secret(struct dctx *c, struct cfg_model *m, const json_t *doc, struct cfg_meta *meta);
void crd_bgppeer(struct dctx *c, struct cfg_model *m, const json_t *spec, struct cfg_meta *meta,
		 enum crd_peer_version version);
void crd_bgpadvertisement(struct dctx *c, struct cfg_model *m, const json_t *spec,
			  struct cfg_meta *meta);

/*
 * One parsed document (a YAML document or a JSON value): a metallb.io object, a List of them, a
 * legacy ConfigMap or a bare legacy configuration. base carries diags, file and line table.
 */
void crd_decode_document(const struct dctx *base, struct cfg_model *m, const json_t *doc,
			 unsigned doc_line);

/* The legacy configuration (already parsed into doc). namespace may be NULL. */
void legacy_decode(const struct dctx *base, struct cfg_model *m, const json_t *doc,
		   const char *namespace);

/* Shared by the decoders: pool entry text → range; peer timer rules (MetalLB parseTimers). */
bool crd_pool_addr(struct dctx *c, const json_t *node, const char *path, const char *text,
		   struct cfg_pool_addr *out);
void crd_peer_timers(struct dctx *c, const json_t *obj, const char *path, struct cfg_peer *p,
		     bool hold_set, int64_t hold_ms, bool ka_set, int64_t ka_ms,
		     const char *hold_key, const char *ka_key);
/* Rules every peer obeys whatever the format: ASNs, iBGP multihop, address/interface, etc. */
void crd_peer_check(struct dctx *c, const json_t *obj, const char *path, const struct cfg_peer *p,
		    bool legacy);

#endif
