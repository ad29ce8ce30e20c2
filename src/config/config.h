/*
 * Loading, validating, printing and converting ingot's configuration (the public face of
 * src/config; the model itself is in config/model.h).
 *
 * Inputs are YAML files (one or many documents) or the JSON the Kubernetes API returns, holding:
 *   - metallb.io objects: IPAddressPool, L2Advertisement, BGPAdvertisement, BGPPeer (v1beta1 and
 *     v1beta2), Community, BFDProfile, plus v1 Secrets named by BGPPeer.passwordSecret; lists of
 *     them (kind: List or <Kind>List, as `kubectl get -o yaml` prints);
 *   - MetalLB's legacy configuration (v0.1–v0.12): the ConfigMap object whose data.config holds
 *     the YAML, or that YAML alone.
 *
 * Contract (OpenBGPD's merge_config): a load parses everything into a FRESH model, validates the
 * model as a whole, and returns it only when there is no error. config_reload() swaps the new
 * model in only on success: a reload that fails leaves the model in force untouched.
 *
 * Every diagnostic names the object (Kind/name), the field path and the reason, and every one is
 * reported, not only the first.
 */
#ifndef INGOT_CONFIG_CONFIG_H
#define INGOT_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config/model.h"

enum cfg_severity {
	CFG_ERROR,
	CFG_WARNING,     /* accepted, but worth saying (unsupported field, ignored reference) */
};

struct cfg_diag {
	enum cfg_severity severity;
	char *file;      /* may be NULL */
	unsigned line;   /* 1-based; 0 when unknown */
	char *object;    /* "IPAddressPool/name", "ConfigMap/config", ... */
	char *field;     /* "spec.addresses[1]"; may be NULL */
	char *reason;
};

struct cfg_diags {
	struct cfg_diag *v;
	size_t n;
};

void cfg_diags_add(struct cfg_diags *d, enum cfg_severity severity, const char *file,
		   unsigned line, const char *object, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
size_t cfg_diags_count(const struct cfg_diags *d, enum cfg_severity severity);
void cfg_diags_free(struct cfg_diags *d);
/*
 * "Kind/name: field: reason" (the stable part the golden tests compare), or with the location
 * "file:line: error: Kind/name: field: reason". The caller frees the string.
 */
char *cfg_diag_message(const struct cfg_diag *diag);
char *cfg_diag_format(const struct cfg_diag *diag);
/* Every diagnostic, one per line, with location. */
void cfg_diags_print(const struct cfg_diags *d, FILE *out);

/* One input: a name for messages and its bytes (borrowed; need not be NUL-terminated). */
struct cfg_input {
	const char *name;
	const char *data;
	size_t len;
};

/*
 * Parse and validate inputs into a fresh, sorted model. Returns it (the caller frees it with
 * model_free) when no error was found, NULL otherwise. Diagnostics (errors and warnings) are
 * appended to diags in either case.
 */
struct cfg_model *config_load(const struct cfg_input *inputs, size_t n, struct cfg_diags *diags);
/* The same over files read from disk; an unreadable file is an error like any other. */
struct cfg_model *config_load_files(char *const *paths, size_t n, struct cfg_diags *diags);

/*
 * Reload: load paths; on success free *live and store the new model there, and return true; on
 * any error leave *live exactly as it was (the previous configuration stays in force) and return
 * false. *live may be NULL on the first load.
 */
bool config_reload(struct cfg_model **live, char *const *paths, size_t n, struct cfg_diags *diags);
/* The same from inputs in memory (objects the Kubernetes API returned, as JSON). */
bool config_reload_inputs(struct cfg_model **live, const struct cfg_input *inputs, size_t n,
			  struct cfg_diags *diags);

/*
 * Decode without cross-object validation (what config_load runs first). Returns the model even
 * when errors were found, for tools that want to see what was understood; may hold invalid data.
 */
struct cfg_model *config_decode(const struct cfg_input *inputs, size_t n, struct cfg_diags *diags);
/* Cross-object validation of a decoded model; resolves community aliases. Returns error count. */
size_t config_validate(struct cfg_model *m, struct cfg_diags *diags);

/*
 * Write the model as metallb.io CRD YAML documents (BGPPeer as v1beta2), kinds in a fixed order
 * and objects sorted by name, defaults omitted. The output re-parses to an equal model; for a
 * model loaded from a legacy ConfigMap it is the equivalent CRD configuration. Returns false on
 * a write error.
 */
bool config_print_yaml(const struct cfg_model *m, FILE *out);

#endif
