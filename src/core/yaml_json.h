/*
 * YAML (or JSON) text → jansson trees, one per document, so that one decoder serves YAML files
 * and the JSON the Kubernetes API returns. Shared by src/config (MetalLB objects) and src/k8s
 * (kubeconfig), so both read YAML exactly as Kubernetes does.
 *
 * Scalars resolve as Kubernetes' YAML reader (go-yaml v2, YAML 1.1) does: plain null/~/empty →
 * null, true/false/yes/no/on/off/y/n → booleans, decimal / 0x / 0o integers and decimal floats →
 * numbers, everything else and every quoted or block scalar → strings. Duplicate keys, non-scalar
 * keys, NUL characters, nesting deeper than 64 and alias expansion past a million nodes are
 * errors. Lines of mappings, sequences, strings and numbers are kept in a side table (booleans and
 * null are jansson singletons, so callers fall back to the enclosing mapping's line).
 */
#ifndef INGOT_CORE_YAML_JSON_H
#define INGOT_CORE_YAML_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct yj_lines;

struct yj_lines *yj_lines_new(void);
void yj_lines_free(struct yj_lines *lines);
/* Record a line for a node built outside the reader (a renamed copy of a parsed mapping). */
void yj_lines_set(struct yj_lines *lines, const json_t *node, unsigned line);
/* 1-based line of node, or 0 when unknown. */
unsigned yj_line(const struct yj_lines *lines, const json_t *node);

struct yj_docs {
	json_t **v;          /* owned references; a document may be json_null() */
	unsigned *lines;     /* line each document starts on */
	size_t n;
};

void yj_docs_free(struct yj_docs *docs);

/*
 * Parse data (len bytes; NUL-terminated or not) as a stream of YAML documents, or as one JSON
 * value when it starts with '{' or '['. Node lines are recorded in lines (may be NULL) shifted by
 * line_offset. On error returns false, sets *err (caller frees) and *err_line, and leaves docs
 * empty.
 */
bool yj_parse(const char *data, size_t len, unsigned line_offset, struct yj_lines *lines,
		  struct yj_docs *docs, char **err, unsigned *err_line);

/* Whether text written as a plain (unquoted) scalar reads back as the same string, not as a
 * null, boolean or number (the printer quotes it otherwise). */
bool yj_plain_is_string(const char *text);

#endif
