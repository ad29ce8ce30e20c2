/*
 * YAML to a jansson tree, for kubeconfig files (internal to src/k8s).
 *
 * Only the first document is converted. Mappings become objects (keys must be scalars), sequences
 * arrays. Plain scalars follow the YAML 1.2 core schema: null/~/empty -> null, true/false -> bool,
 * decimal integers -> integer, anything else -> string; quoted and block scalars are always strings.
 * Aliases are expanded by copying, with a bound on the total number of nodes so a "billion laughs"
 * document is refused instead of exhausting memory.
 */
#ifndef INGOT_K8S_YAML_JSON_H
#define INGOT_K8S_YAML_JSON_H

#include <jansson.h>
#include <stddef.h>

/* Largest number of nodes (after alias expansion) one document may produce. */
#define K8S_YAML_MAX_NODES 1000000

/* Returns a new reference (caller json_decref()s it), or NULL with a message in err. An empty
 * stream gives an empty object. */
json_t *k8s_yaml_to_json(const char *text, size_t len, char *err, size_t errlen);

#endif
