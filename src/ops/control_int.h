/* The status registry's layout, shared by control_status.c and control_proto.c. Internal. */
#ifndef INGOT_OPS_CONTROL_INT_H
#define INGOT_OPS_CONTROL_INT_H

#include "ops/control.h"

struct status_provider {
	char *name;
	control_status_fn fn;
	void *arg;
};

struct status_registry {
	struct status_provider *providers;
	size_t n;
};

const struct status_provider *status_find(const struct status_registry *r, const char *name);

#endif
