/*
 * ingot: bare-metal LoadBalancer for Kubernetes. One binary, many roles:
 *
 *   ingot <command> [options]
 *
 * main() only dispatches; each subcommand parses its own options (cmd_<name>.c).
 */
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: ingot <command> [options]\n\ncommands:\n");
	for (const struct command *c = ingot_commands; c->name; c++)
		fprintf(out, "  %-12s %s\n", c->name, c->summary);
	fprintf(out, "\nRun 'ingot <command> --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *name = argv[1];
	if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(name, "--version") == 0)
		name = "version";
	for (const struct command *c = ingot_commands; c->name; c++) {
		if (strcmp(c->name, name) == 0)
			return c->run(argc - 1, argv + 1);
	}
	fprintf(stderr, "ingot: unknown command '%s'\n\n", name);
	usage(stderr);
	return 2;
}
