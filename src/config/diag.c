/* Diagnostics: every error and warning of a load, collected rather than stopping at the first. */
#include "config/config.h"

#include <stdarg.h>
#include <stdlib.h>

#include "core/xalloc.h"

void cfg_diags_add(struct cfg_diags *d, enum cfg_severity severity, const char *file,
		   unsigned line, const char *object, const char *field, const char *fmt, ...)
{
	d->v = cfg_grow(d->v, d->n, sizeof(*d->v));
	struct cfg_diag *diag = &d->v[d->n++];
	diag->severity = severity;
	diag->file = file ? xstrdup(file) : NULL;
	diag->line = line;
	diag->object = xstrdup(object ? object : "");
	diag->field = field && *field ? xstrdup(field) : NULL;
	va_list ap;
	va_start(ap, fmt);
	char *reason = NULL;
	if (vasprintf(&reason, fmt, ap) < 0)
		reason = NULL;
	va_end(ap);
	diag->reason = reason ? reason : xstrdup(fmt);
}

size_t cfg_diags_count(const struct cfg_diags *d, enum cfg_severity severity)
{
	size_t count = 0;
	for (size_t i = 0; i < d->n; i++)
		count += d->v[i].severity == severity;
	return count;
}

void cfg_diags_free(struct cfg_diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].object);
		free(d->v[i].field);
		free(d->v[i].reason);
	}
	free(d->v);
	d->v = NULL;
	d->n = 0;
}

char *cfg_diag_message(const struct cfg_diag *diag)
{
	if (diag->field)
		return xasprintf("%s: %s: %s", diag->object, diag->field, diag->reason);
	return xasprintf("%s: %s", diag->object, diag->reason);
}

char *cfg_diag_format(const struct cfg_diag *diag)
{
	char *msg = cfg_diag_message(diag);
	const char *sev = diag->severity == CFG_ERROR ? "error" : "warning";
	char *out;
	if (diag->file && diag->line)
		out = xasprintf("%s:%u: %s: %s", diag->file, diag->line, sev, msg);
	else if (diag->file)
		out = xasprintf("%s: %s: %s", diag->file, sev, msg);
	else
		out = xasprintf("%s: %s", sev, msg);
	free(msg);
	return out;
}

void cfg_diags_print(const struct cfg_diags *d, FILE *out)
{
	for (size_t i = 0; i < d->n; i++) {
		char *line = cfg_diag_format(&d->v[i]);
		fprintf(out, "%s\n", line);
		free(line);
	}
}
