/*
 * The stdin command loop the test drivers share: reads stdin through the event loop, cuts it into
 * lines, takes the first word of each as the verb and calls that verb's handler with the rest of
 * the line. Empty lines and lines starting with '#' are skipped; an unknown verb is answered
 * "error: unknown command VERB", a line longer than the driver's limit "error: line too long".
 * End of input (or a read error) stops the event loop, as do SIGTERM and SIGINT.
 */
#ifndef INGOT_TESTS_DRIVERS_CMDLOOP_H
#define INGOT_TESTS_DRIVERS_CMDLOOP_H

#include <stddef.h>

struct cmdloop_verb {
	const char *name;
	/* args: the rest of the line after the verb, a strtok_r save pointer (never NULL), so the
	 * handler reads its words with strtok_r(NULL, " \t", &args). */
	void (*run)(char *args);
};

struct cmdloop_config {
	const struct cmdloop_verb *verbs;   /* ends with { NULL, NULL } */
	size_t line_max;                    /* longest line accepted, with its terminating NUL */
	void (*after_read)(void);           /* optional: after the lines of one read() */
};

/*
 * A driver's main loop, after its setup: watches stdin for commands (cfg NULL: none, for a driver
 * that only runs until told to stop), stops on SIGTERM and SIGINT, prints "ready" and runs the
 * event loop until stopped. Returns loop_run()'s result.
 */
int cmdloop_run(const struct cmdloop_config *cfg);

#endif
