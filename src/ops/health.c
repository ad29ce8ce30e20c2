/*
 * Liveness and readiness checks (see health.h): a list of named callbacks and the Kubernetes-style
 * verbose report over them.
 */
#include "ops/health.h"

#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

struct health_check {
	enum health_kind kind;
	char *name;
	health_check_fn fn;
	void *arg;
};

struct health {
	struct health_check *checks;
	size_t n;
};

struct health *health_new(void)
{
	return XNEW(struct health);
}

void health_free(struct health *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++)
		free(h->checks[i].name);
	free(h->checks);
	free(h);
}

void health_add(struct health *h, enum health_kind kind, const char *name, health_check_fn fn,
		void *arg)
{
	h->checks = xreallocarray(h->checks, h->n + 1, sizeof(*h->checks));
	h->checks[h->n++] = (struct health_check){ kind, xstrdup(name), fn, arg };
}

void health_remove(struct health *h, health_check_fn fn, void *arg)
{
	size_t kept = 0;
	for (size_t i = 0; i < h->n; i++) {
		if (h->checks[i].fn == fn && h->checks[i].arg == arg) {
			free(h->checks[i].name);
			continue;
		}
		h->checks[kept++] = h->checks[i];
	}
	h->n = kept;
}

/* Reasons are one line: control characters become spaces. */
static void add_reason(struct evbuffer *out, char *why)
{
	for (char *p = why; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	evbuffer_add_printf(out, ": %s", why);
}

bool health_report(const struct health *h, enum health_kind kind, const char *prefix,
		   struct evbuffer *out)
{
	bool all = true;
	for (size_t i = 0; i < h->n; i++) {
		const struct health_check *c = &h->checks[i];
		if (c->kind != kind)
			continue;
		char why[256] = "";
		bool ok = c->fn(c->arg, why, sizeof(why));
		why[sizeof(why) - 1] = '\0';
		all = all && ok;
		evbuffer_add_printf(out, "[%c]%s %s", ok ? '+' : '-', c->name, ok ? "ok" : "failed");
		if (!ok && why[0])
			add_reason(out, why);
		evbuffer_add(out, "\n", 1);
	}
	evbuffer_add_printf(out, "%s check %s\n", prefix, all ? "passed" : "failed");
	return all;
}
