/* Helpers shared by the ops unit tests: evbuffer to string, running promtool on text. */
#ifndef INGOT_TESTS_OPS_UTIL_H
#define INGOT_TESTS_OPS_UTIL_H

#include <event2/buffer.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The buffer's contents as a NUL-terminated string; the caller frees it. Drains the buffer. */
static inline char *evbuffer_to_string(struct evbuffer *b)
{
	size_t len = evbuffer_get_length(b);
	char *s = malloc(len + 1);
	evbuffer_remove(b, s, len);
	s[len] = '\0';
	return s;
}

/* promtool's path from $PROMTOOL or $PATH, or NULL when it is not installed. */
static inline const char *find_promtool(void)
{
	static char path[4096];
	const char *env = getenv("PROMTOOL");
	if (env && *env && access(env, X_OK) == 0)
		return env;
	const char *p = getenv("PATH");
	if (!p)
		p = "/usr/local/bin:/usr/bin:/bin";
	while (*p) {
		size_t n = strcspn(p, ":");
		snprintf(path, sizeof(path), "%.*s/promtool", (int)n, p);
		if (n && access(path, X_OK) == 0)
			return path;
		p += n + (p[n] == ':');
	}
	return NULL;
}

/* Pipes text into `promtool check metrics`; returns its exit status, its output in *report. */
static inline int promtool_check(const char *promtool, const char *text, char *report, size_t cap)
{
	char tmpl[] = "/tmp/ingot-promtool-XXXXXX";
	int fd = mkstemp(tmpl);
	if (fd < 0)
		return -1;
	size_t len = strlen(text);
	if (write(fd, text, len) != (ssize_t)len) {
		close(fd);
		unlink(tmpl);
		return -1;
	}
	close(fd);
	char cmd[8192];
	snprintf(cmd, sizeof(cmd), "'%s' check metrics < '%s' 2>&1", promtool, tmpl);
	FILE *p = popen(cmd, "r");
	size_t got = p ? fread(report, 1, cap - 1, p) : 0;
	report[got] = '\0';
	int status = p ? pclose(p) : -1;
	unlink(tmpl);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#endif
