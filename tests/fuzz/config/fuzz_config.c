/*
 * libFuzzer target: bytes (YAML or JSON) → configuration model. Must never crash, hang or leak.
 * When the input loads, the round trip is checked too: the canonical print must load again into
 * an equal model (the property `ingot config print` promises), or the target aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg_input in = { .name = "fuzz", .data = (const char *)data, .len = size };
	struct cfg_diags diags = { 0 };
	struct cfg_model *m = config_load(&in, 1, &diags);
	for (size_t i = 0; i < diags.n; i++)
		free(cfg_diag_format(&diags.v[i]));
	cfg_diags_free(&diags);
	if (!m)
		return 0;

	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f || !config_print_yaml(m, f))
		abort();
	fclose(f);
	struct cfg_input again_in = { .name = "printed", .data = text, .len = len };
	struct cfg_diags again_diags = { 0 };
	struct cfg_model *again = config_load(&again_in, 1, &again_diags);
	if (!again || !model_equal(m, again)) {
		fprintf(stderr, "round trip failed; printed:\n%s\n", text);
		cfg_diags_print(&again_diags, stderr);
		abort();
	}
	cfg_diags_free(&again_diags);
	model_free(again);
	model_free(m);
	free(text);
	return 0;
}
