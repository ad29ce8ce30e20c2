/*
 * libFuzzer target: the YAML to JSON converter used for kubeconfig files (k8s/yaml_json.h).
 * Any input must give a tree or an error message, within the node bound, without leaks.
 */
#include <stdint.h>
#include <stdlib.h>

#include "k8s/yaml_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	json_t *j = k8s_yaml_to_json((const char *)data, size, err, sizeof(err));
	if (!j && !err[0])
		abort();         /* every failure explains itself */
	json_decref(j);
	return 0;
}
