/*
 * kubeconfig YAML to a jansson tree (see yaml_json.h), on the YAML reader ingot shares with its
 * configuration (core/yaml_json.h), so kubeconfig and MetalLB objects read YAML alike.
 */
#include "k8s/yaml_json.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/yaml_json.h"

json_t *k8s_yaml_to_json(const char *text, size_t len, char *err, size_t errlen)
{
	struct yj_docs docs = { 0 };
	char *why = NULL;
	unsigned line = 0;
	if (errlen > 0)
		err[0] = '\0';
	if (!yj_parse(text, len, 0, NULL, &docs, &why, &line)) {
		snprintf(err, errlen, "YAML error at line %u: %s", line, why ? why : "invalid YAML");
		free(why);
		return NULL;
	}
	/* kubectl reads the first document; an empty file is an empty configuration. */
	json_t *doc = docs.n > 0 && !json_is_null(docs.v[0]) ? json_incref(docs.v[0]) : json_object();
	yj_docs_free(&docs);
	return doc;
}
