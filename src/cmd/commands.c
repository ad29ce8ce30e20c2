/* The subcommand table: one line per implemented subcommand. */
#include "cmd/commands.h"

#include <stddef.h>

const struct command ingot_commands[] = {
	{ "config", "validate, convert and print MetalLB configuration", cmd_config },
	{ "controller", "assign LoadBalancer IPs to Services and write their status", cmd_controller },
	{ "run", "allocate and announce without Kubernetes, from YAML files", cmd_run },
	{ "speaker", "announce this node's Service IPs over BGP and ARP/NDP", cmd_speaker },
	{ "status", "show what the local daemon is doing, through its control socket", cmd_status },
	{ "version", "print the version and the libraries in use", cmd_version },
	{ NULL, NULL, NULL },
};
