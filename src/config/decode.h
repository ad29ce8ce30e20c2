/*
 * Strict field readers over jansson objects, shared by the legacy and the CRD decoders. Each
 * reader reports its own error (object, field path, reason, line) into the diagnostics and
 * returns false; absent optional fields leave the output untouched and return true. Internal to
 * src/config.
 */
#ifndef INGOT_CONFIG_DECODE_H
#define INGOT_CONFIG_DECODE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "core/yaml_json.h"

#define DPATH_MAX 256

/* Decoding context for one object. */
struct dctx {
	struct cfg_diags *diags;
	struct yj_lines *lines;
	const char *file;
	char object[160];     /* "Kind/name" */
	unsigned line;        /* the object's line: the fallback for nodes without one */
	size_t errors;        /* errors reported through this context */
};

void dec_object(struct dctx *c, const char *kind, const char *name);
unsigned dec_line(const struct dctx *c, const json_t *node);

void dec_error(struct dctx *c, const json_t *node, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void dec_warn(struct dctx *c, const json_t *node, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* "base.key" and "base[i]" into a DPATH_MAX buffer (base may be empty). */
void dec_path(char *out, const char *base, const char *key);
void dec_path_index(char *out, const char *base, size_t index);

/* Report every key of obj that is not in allowed (NULL-terminated). Returns false if any. */
bool dec_known_keys(struct dctx *c, const json_t *obj, const char *path, const char *const *allowed);

/* obj must be a mapping (json object); reports "must be a mapping" otherwise. */
bool dec_is_object(struct dctx *c, const json_t *node, const char *path);

/* Optional fields of obj; null counts as absent (as Go's decoders treat it). */
bool dec_string(struct dctx *c, const json_t *obj, const char *path, const char *key, char **out);
bool dec_bool(struct dctx *c, const json_t *obj, const char *path, const char *key, bool *out);
bool dec_uint(struct dctx *c, const json_t *obj, const char *path, const char *key, uint64_t min,
	    uint64_t max, uint64_t *out, bool *present);
bool dec_int(struct dctx *c, const json_t *obj, const char *path, const char *key, int64_t min,
	   int64_t max, int64_t *out);
bool dec_strings(struct dctx *c, const json_t *obj, const char *path, const char *key,
	       struct cfg_strings *out);
bool dec_duration(struct dctx *c, const json_t *obj, const char *path, const char *key, int64_t *ms,
		bool *present);
/* A string → string map (labels, matchLabels). */
bool dec_labels(struct dctx *c, const json_t *obj, const char *path, const char *key,
	      struct cfg_labels *out);

/* Selector key spellings: the CRDs' and the legacy ConfigMap's. */
enum d_selector_style {
	D_SEL_CRD,      /* matchLabels, matchExpressions */
	D_SEL_LEGACY,   /* match-labels, match-expressions */
};
/* A list of label selectors at obj[key]. */
bool dec_selectors(struct dctx *c, const json_t *obj, const char *path, const char *key,
		 enum d_selector_style style, struct cfg_selectors *out);
bool dec_selector(struct dctx *c, const json_t *node, const char *path, enum d_selector_style style,
		struct cfg_selector *out);

/* An IP address string at obj[key]. */
bool dec_ip(struct dctx *c, const json_t *obj, const char *path, const char *key, const char *what,
	  ip_addr *out, bool *present);

#endif
