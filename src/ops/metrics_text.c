/*
 * Prometheus text exposition format 0.0.4 ("Exposition formats", prometheus.io/docs/instrumenting):
 * one `# HELP` and one `# TYPE` line per family, then one line per sample. Help text escapes `\`
 * and newline; label values escape `\`, `"` and newline. Histograms expose cumulative
 * `_bucket{le="..."}` samples ending with le="+Inf", then `_sum` and `_count`.
 */
#include <event2/buffer.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/metrics_int.h"

/* The shortest %g form that reads back as the same double; Go's ParseFloat accepts it. */
static void format_double(double v, char out[40])
{
	if (isnan(v)) {
		strcpy(out, "NaN");
		return;
	}
	if (isinf(v)) {
		strcpy(out, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(out, 40, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
}

static void add_escaped(struct evbuffer *out, const char *s, bool quote)
{
	const char *run = s;
	for (const char *p = s; *p; p++) {
		const char *esc = NULL;
		if (*p == '\\')
			esc = "\\\\";
		else if (*p == '\n')
			esc = "\\n";
		else if (quote && *p == '"')
			esc = "\\\"";
		if (!esc)
			continue;
		evbuffer_add(out, run, (size_t)(p - run));
		evbuffer_add(out, esc, 2);
		run = p + 1;
	}
	evbuffer_add(out, run, strlen(run));
}

/* name{labels[,le="..."]} value */
static void add_sample(struct evbuffer *out, const struct metric_family *f,
		       const struct metric_series *s, const char *suffix, const char *le, double v)
{
	evbuffer_add_printf(out, "%s%s", f->name, suffix);
	if (f->nlabels || le) {
		evbuffer_add(out, "{", 1);
		for (size_t i = 0; i < f->nlabels; i++) {
			evbuffer_add_printf(out, "%s%s=\"", i ? "," : "", f->labels[i]);
			add_escaped(out, s->values[i], true);
			evbuffer_add(out, "\"", 1);
		}
		if (le)
			evbuffer_add_printf(out, "%sle=\"%s\"", f->nlabels ? "," : "", le);
		evbuffer_add(out, "}", 1);
	}
	char num[40];
	format_double(v, num);
	evbuffer_add_printf(out, " %s\n", num);
}

static void add_histogram(struct evbuffer *out, const struct metric_family *f,
			  const struct metric_series *s)
{
	uint64_t cumulative = 0;
	char le[40];
	for (size_t i = 0; i < f->nbounds; i++) {
		cumulative += s->buckets[i];
		format_double(f->bounds[i], le);
		add_sample(out, f, s, "_bucket", le, (double)cumulative);
	}
	cumulative += s->buckets[f->nbounds];
	add_sample(out, f, s, "_bucket", "+Inf", (double)cumulative);
	add_sample(out, f, s, "_sum", NULL, s->sum);
	add_sample(out, f, s, "_count", NULL, (double)s->count);
}

static const char *type_name(enum metric_type t)
{
	switch (t) {
	case METRIC_COUNTER:
		return "counter";
	case METRIC_GAUGE:
		return "gauge";
	case METRIC_HISTOGRAM:
		return "histogram";
	case METRIC_UNTYPED:
		return "untyped";
	}
	return "untyped";
}

void metrics_write(struct metrics *m, struct evbuffer *out)
{
	for (size_t i = 0; i < m->ncollectors; i++)
		m->collectors[i].fn(m->collectors[i].arg);
	for (size_t i = 0; i < m->nfamilies; i++) {
		const struct metric_family *f = m->families[i];
		if (f->nseries == 0)
			continue;
		evbuffer_add_printf(out, "# HELP %s ", f->name);
		add_escaped(out, f->help, false);
		evbuffer_add_printf(out, "\n# TYPE %s %s\n", f->name, type_name(f->type));
		for (size_t j = 0; j < f->nseries; j++) {
			const struct metric_series *s = f->series[j];
			if (f->type == METRIC_HISTOGRAM)
				add_histogram(out, f, s);
			else
				add_sample(out, f, s, "", NULL, s->value);
		}
	}
}
