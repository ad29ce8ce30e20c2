/*
 * libFuzzer target: bytes (YAML or JSON) → configuration model. Must never crash, hang or leak.
 * When the input loads, the round trip is checked too: the canonical print must load again into
 * an equal model (the property `ingot config print` promises), or the target aborts.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "config/config.h"
#include "config/values.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool names_ok(const void *base, size_t n, size_t stride)
{
	for (size_t i = 0; i < n; i++) {
		const struct cfg_meta *meta = (const void *)((const char *)base + i * stride);
		if (!cfg_object_name_ok(meta->name))
			return false;
	}
	return true;
}

/*
 * The legacy format allows two things the CRDs refuse, and loading warns about them: object
 * names that are not Kubernetes names, and peer ports above 16384. Such a model has no CRD form.
 */
static bool has_crd_form(const struct cfg_model *m)
{
	for (size_t i = 0; i < m->npeers; i++) {
		if (m->peers[i].port > 16384)
			return false;
	}
	return names_ok(m->pools, m->npools, sizeof(*m->pools)) &&
	       names_ok(m->peers, m->npeers, sizeof(*m->peers)) &&
	       names_ok(m->bgp_advs, m->nbgp_advs, sizeof(*m->bgp_advs)) &&
	       names_ok(m->l2_advs, m->nl2_advs, sizeof(*m->l2_advs)) &&
	       names_ok(m->communities, m->ncommunities, sizeof(*m->communities)) &&
	       names_ok(m->bfds, m->nbfds, sizeof(*m->bfds)) &&
	       names_ok(m->secrets, m->nsecrets, sizeof(*m->secrets));
}

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
	if (!has_crd_form(m)) {
		model_free(m);
		return 0;
	}

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
