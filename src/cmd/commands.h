/*
 * The subcommands of the multi-call `ingot` binary. Each lives in its own cmd_<name>.c and takes
 * the arguments after its name (argv[0] is the subcommand's name). Returns the process exit code.
 */
#ifndef INGOT_CMD_COMMANDS_H
#define INGOT_CMD_COMMANDS_H

struct command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

int cmd_config(int argc, char **argv);
int cmd_controller(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_speaker(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_version(int argc, char **argv);

/* The table main() dispatches on, NULL-name terminated (commands.c). */
extern const struct command ingot_commands[];

#endif
