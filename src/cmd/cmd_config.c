/*
 * `ingot config`: check, convert and print configuration files without a cluster.
 *
 *   ingot config validate FILE...   exit 0, or 1 with every error (and warning) on stderr
 *   ingot config convert FILE       legacy MetalLB ConfigMap → the equivalent metallb.io CRDs
 *   ingot config print FILE...      the canonical CRD form, which re-parses to the same model
 *
 * FILE may be "-" for standard input; YAML (many documents) and JSON are both read.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"
#include "config/config.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: ingot config validate FILE...\n"
		"       ingot config convert FILE\n"
		"       ingot config print FILE...\n"
		"\n"
		"validate  check MetalLB configuration (legacy ConfigMap or metallb.io objects)\n"
		"          as a whole; print every error and warning, exit 1 on any error\n"
		"convert   write a legacy ConfigMap as the equivalent metallb.io CRD objects\n"
		"print     write the configuration in canonical CRD form\n");
}

/* Load the files and print every diagnostic on stderr; NULL on error. */
static struct cfg_model *load(char **paths, size_t n)
{
	struct cfg_diags diags = { 0 };
	struct cfg_model *m = config_load_files(paths, n, &diags);
	cfg_diags_print(&diags, stderr);
	size_t errors = cfg_diags_count(&diags, CFG_ERROR);
	if (!m)
		fprintf(stderr, "ingot config: %zu error%s\n", errors, errors == 1 ? "" : "s");
	cfg_diags_free(&diags);
	return m;
}

static int validate(char **paths, size_t n)
{
	struct cfg_model *m = load(paths, n);
	if (!m)
		return 1;
	printf("configuration OK: %zu pools, %zu peers, %zu BGP advertisements, "
	       "%zu L2 advertisements, %zu communities, %zu BFD profiles\n",
	       m->npools, m->npeers, m->nbgp_advs, m->nl2_advs, m->ncommunities, m->nbfds);
	model_free(m);
	return 0;
}

static int print(char **paths, size_t n)
{
	struct cfg_model *m = load(paths, n);
	if (!m)
		return 1;
	bool ok = config_print_yaml(m, stdout);
	model_free(m);
	if (!ok) {
		fprintf(stderr, "ingot config: cannot write the output\n");
		return 1;
	}
	return 0;
}

int cmd_config(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	const char *verb = argv[1];
	char **paths = argv + 2;
	size_t n = (size_t)(argc - 2);
	if (n == 0) {
		fprintf(stderr, "ingot config %s: no FILE given\n\n", verb);
		usage(stderr);
		return 2;
	}
	if (strcmp(verb, "validate") == 0)
		return validate(paths, n);
	if (strcmp(verb, "print") == 0)
		return print(paths, n);
	if (strcmp(verb, "convert") == 0) {
		if (n != 1) {
			fprintf(stderr, "ingot config convert: exactly one FILE\n");
			return 2;
		}
		return print(paths, n);
	}
	fprintf(stderr, "ingot config: unknown action '%s'\n\n", verb);
	usage(stderr);
	return 2;
}
