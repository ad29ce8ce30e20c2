/*
 * Stdin command loop of the test drivers (see cmdloop.h). One read() may carry many lines; all of
 * them are handled before after_read runs, so a driver can apply what they changed together.
 */
#include "cmdloop.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/xalloc.h"

struct cmdloop {
	const struct cmdloop_config *cfg;
	struct watch *in;
	char *line;
	size_t line_len;
	bool discarding;          /* the current line was too long */
};

static void dispatch(const struct cmdloop_config *cfg, char *line)
{
	static char empty[1];
	char *save = NULL;
	char *verb = strtok_r(line, " \t\r", &save);
	if (!verb || verb[0] == '#')
		return;
	for (const struct cmdloop_verb *v = cfg->verbs; v->name; v++) {
		if (strcmp(verb, v->name) == 0) {
			v->run(save ? save : empty);
			return;
		}
	}
	printf("error: unknown command %s\n", verb);
}

static void on_stdin(int fd, int events, void *arg)
{
	struct cmdloop *c = arg;
	char buf[65536];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		loop_stop();
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			c->line[c->line_len] = '\0';
			if (c->discarding)
				printf("error: line too long\n");
			else
				dispatch(c->cfg, c->line);
			c->line_len = 0;
			c->discarding = false;
		} else if (c->line_len + 1 < c->cfg->line_max) {
			c->line[c->line_len++] = buf[i];
		} else {
			c->discarding = true;
		}
	}
	if (c->cfg->after_read)
		c->cfg->after_read();
}

static struct cmdloop *cmdloop_start(const struct cmdloop_config *cfg)
{
	struct cmdloop *c = XNEW(struct cmdloop);
	c->cfg = cfg;
	c->line = xmalloc(cfg->line_max);
	c->line_len = 0;
	c->discarding = false;
	c->in = watch_new(STDIN_FILENO, WATCH_READ, on_stdin, c);
	return c;
}

static void cmdloop_free(struct cmdloop *c)
{
	if (!c)
		return;
	watch_free(c->in);
	free(c->line);
	free(c);
}

static void on_signal(int signo, void *arg)
{
	loop_stop();
}

int cmdloop_run(const struct cmdloop_config *cfg)
{
	struct cmdloop *in = cfg ? cmdloop_start(cfg) : NULL;
	struct sigwatch *term = sigwatch_new(SIGTERM, on_signal, NULL);
	struct sigwatch *intr = sigwatch_new(SIGINT, on_signal, NULL);
	printf("ready\n");
	int rc = loop_run();
	cmdloop_free(in);
	sigwatch_free(term);
	sigwatch_free(intr);
	return rc;
}
