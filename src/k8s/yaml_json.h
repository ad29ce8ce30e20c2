/*
 * YAML to a jansson tree, for kubeconfig files (internal to src/k8s): a thin adapter over the
 * YAML reader shared with src/config (core/yaml_json.h), which resolves scalars as Kubernetes'
 * own reader does (YAML 1.1), refuses duplicate keys and bounds alias expansion.
 *
 * Only the first document is used, as kubectl does.
 */
#ifndef INGOT_K8S_YAML_JSON_H
#define INGOT_K8S_YAML_JSON_H

#include <jansson.h>
#include <stddef.h>

/* Returns a new reference (caller json_decref()s it), or NULL with a message in err. An empty
 * stream gives an empty object. */
json_t *k8s_yaml_to_json(const char *text, size_t len, char *err, size_t errlen);

#endif
