/*
 * The status providers behind `{"cmd":"status"}` (see control.h): named callbacks, each
 * contributing one section of the status document.
 */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "ops/control.h"
#include "ops/control_int.h"

struct status_registry *status_registry_new(void)
{
	return XNEW(struct status_registry);
}

void status_registry_free(struct status_registry *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->providers[i].name);
	free(r->providers);
	free(r);
}

const struct status_provider *status_find(const struct status_registry *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++) {
		if (strcmp(r->providers[i].name, name) == 0)
			return &r->providers[i];
	}
	return NULL;
}

void status_register(struct status_registry *r, const char *name, control_status_fn fn, void *arg)
{
	if (status_find(r, name))
		log_fatal("ops", "status section registered twice", "section=%s", name);
	r->providers = xreallocarray(r->providers, r->n + 1, sizeof(*r->providers));
	r->providers[r->n++] = (struct status_provider){ xstrdup(name), fn, arg };
}

void status_unregister(struct status_registry *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++) {
		if (strcmp(r->providers[i].name, name) != 0)
			continue;
		free(r->providers[i].name);
		memmove(&r->providers[i], &r->providers[i + 1],
			(r->n - i - 1) * sizeof(*r->providers));
		r->n--;
		return;
	}
}
