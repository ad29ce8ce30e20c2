/*
 * The metrics registry: families registered once at start, series created on first use and kept
 * by their owners as handles, updates without allocation (see metrics.h). The text exposition is
 * in metrics_text.c.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "ops/metrics_int.h"

const double metric_default_buckets[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
const size_t metric_default_buckets_count =
	sizeof(metric_default_buckets) / sizeof(metric_default_buckets[0]);

struct metrics *metrics_new(void)
{
	return XNEW(struct metrics);
}

static void series_free(struct metric_series *s)
{
	for (size_t i = 0; i < s->family->nlabels; i++)
		free(s->values[i]);
	free(s->values);
	free(s->buckets);
	free(s);
}

static void family_free(struct metric_family *f)
{
	for (size_t i = 0; i < f->nseries; i++)
		series_free(f->series[i]);
	free(f->series);
	for (size_t i = 0; i < f->nlabels; i++)
		free(f->labels[i]);
	free(f->labels);
	free(f->bounds);
	free(f->name);
	free(f->help);
	free(f);
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nfamilies; i++)
		family_free(m->families[i]);
	free(m->families);
	free(m->collectors);
	free(m);
}

/* --- names ------------------------------------------------------------------------------ */

static bool name_valid(const char *s, bool colon)
{
	if (!s || !*s)
		return false;
	for (const char *p = s; *p; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			  (colon && c == ':') || (p != s && c >= '0' && c <= '9');
		if (!ok)
			return false;
	}
	return true;
}

/* The sample names a family puts on the wire (a histogram's HELP name and its three suffixes). */
static size_t exposed_names(const char *name, enum metric_type type, char *out[4])
{
	out[0] = xstrdup(name);
	if (type != METRIC_HISTOGRAM)
		return 1;
	out[1] = xasprintf("%s_bucket", name);
	out[2] = xasprintf("%s_sum", name);
	out[3] = xasprintf("%s_count", name);
	return 4;
}

static bool names_clash(const char *a, enum metric_type ta, const char *b, enum metric_type tb)
{
	char *na[4], *nb[4];
	size_t ca = exposed_names(a, ta, na), cb = exposed_names(b, tb, nb);
	bool clash = false;
	for (size_t i = 0; i < ca; i++) {
		for (size_t j = 0; j < cb; j++)
			clash = clash || strcmp(na[i], nb[j]) == 0;
	}
	for (size_t i = 0; i < ca; i++)
		free(na[i]);
	for (size_t j = 0; j < cb; j++)
		free(nb[j]);
	return clash;
}

static size_t count_list(const char *const *list)
{
	size_t n = 0;
	while (list && list[n])
		n++;
	return n;
}

/* --- families --------------------------------------------------------------------------- */

static struct metric_family *family_add(struct metrics *m, enum metric_type type, const char *name,
					const char *help, const char *const *labels)
{
	if (!name_valid(name, true))
		log_fatal("ops", "invalid metric name", "metric=%s", name ? name : "(null)");
	/* promtool check metrics: "no help text" */
	if (!help || !*help)
		log_fatal("ops", "metric without help text", "metric=%s", name);
	size_t nlabels = count_list(labels);
	for (size_t i = 0; i < nlabels; i++) {
		if (!name_valid(labels[i], false) || strncmp(labels[i], "__", 2) == 0 ||
		    (type == METRIC_HISTOGRAM && strcmp(labels[i], "le") == 0))
			log_fatal("ops", "invalid label name", "metric=%s label=%s", name, labels[i]);
		for (size_t j = 0; j < i; j++) {
			if (strcmp(labels[i], labels[j]) == 0)
				log_fatal("ops", "duplicate label name", "metric=%s label=%s", name,
					  labels[i]);
		}
	}
	size_t pos = 0;
	for (size_t i = 0; i < m->nfamilies; i++) {
		const struct metric_family *o = m->families[i];
		if (names_clash(name, type, o->name, o->type))
			log_fatal("ops", "metric registered twice", "metric=%s other=%s", name, o->name);
		if (strcmp(o->name, name) < 0)
			pos = i + 1;
	}

	struct metric_family *f = XNEW(struct metric_family);
	f->owner = m;
	f->type = type;
	f->name = xstrdup(name);
	f->help = metrics_utf8_sanitize(help);
	f->nlabels = nlabels;
	f->labels = xcalloc(nlabels ? nlabels : 1, sizeof(char *));
	for (size_t i = 0; i < nlabels; i++)
		f->labels[i] = xstrdup(labels[i]);

	if (m->nfamilies == m->families_cap) {
		m->families_cap = m->families_cap ? 2 * m->families_cap : 16;
		m->families = xreallocarray(m->families, m->families_cap, sizeof(*m->families));
	}
	memmove(&m->families[pos + 1], &m->families[pos],
		(m->nfamilies - pos) * sizeof(*m->families));
	m->families[pos] = f;
	m->nfamilies++;
	return f;
}

struct metric_family *metrics_counter(struct metrics *m, const char *name, const char *help,
				      const char *const *labels)
{
	return family_add(m, METRIC_COUNTER, name, help, labels);
}

struct metric_family *metrics_gauge(struct metrics *m, const char *name, const char *help,
				    const char *const *labels)
{
	return family_add(m, METRIC_GAUGE, name, help, labels);
}

struct metric_family *metrics_untyped(struct metrics *m, const char *name, const char *help,
				      const char *const *labels)
{
	return family_add(m, METRIC_UNTYPED, name, help, labels);
}

struct metric_family *metrics_histogram(struct metrics *m, const char *name, const char *help,
					const char *const *labels, const double *bounds,
					size_t nbounds)
{
	for (size_t i = 0; i < nbounds; i++) {
		if (!isfinite(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1])))
			log_fatal("ops", "histogram bounds must be finite and increasing",
				  "metric=%s index=%zu", name, i);
	}
	struct metric_family *f = family_add(m, METRIC_HISTOGRAM, name, help, labels);
	f->nbounds = nbounds;
	f->bounds = xcalloc(nbounds ? nbounds : 1, sizeof(double));
	if (nbounds)
		memcpy(f->bounds, bounds, nbounds * sizeof(double));
	return f;
}

void metric_exponential_buckets(double start, double factor, size_t count, double *out)
{
	if (!(start > 0) || !(factor > 1))
		log_fatal("ops", "exponential buckets need start > 0 and factor > 1", "start=%g factor=%g",
			  start, factor);
	double b = start;
	for (size_t i = 0; i < count; i++) {
		out[i] = b;
		b *= factor;
	}
}

void metrics_on_collect(struct metrics *m, metrics_collect_fn fn, void *arg)
{
	m->collectors = xreallocarray(m->collectors, m->ncollectors + 1, sizeof(*m->collectors));
	m->collectors[m->ncollectors++] = (struct metrics_collector){ fn, arg };
}

/* --- series ----------------------------------------------------------------------------- */

static int values_cmp(const struct metric_family *f, char *const *a, const char *const *b)
{
	for (size_t i = 0; i < f->nlabels; i++) {
		int c = strcmp(a[i], b[i]);
		if (c)
			return c;
	}
	return 0;
}

/* Index of the series with these values, or where it would be inserted (*found false). */
static size_t series_find(const struct metric_family *f, const char *const *values, bool *found)
{
	size_t lo = 0, hi = f->nseries;
	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = values_cmp(f, f->series[mid]->values, values);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct metric_series *series_get(struct metric_family *f, const char *const *values)
{
	bool found;
	size_t pos = series_find(f, values, &found);
	if (found)
		return f->series[pos];

	struct metric_series *s = XNEW(struct metric_series);
	s->family = f;
	s->values = xcalloc(f->nlabels ? f->nlabels : 1, sizeof(char *));
	for (size_t i = 0; i < f->nlabels; i++)
		s->values[i] = xstrdup(values[i]);
	if (f->type == METRIC_HISTOGRAM)
		s->buckets = xcalloc(f->nbounds + 1, sizeof(uint64_t));
	if (f->nseries == f->series_cap) {
		f->series_cap = f->series_cap ? 2 * f->series_cap : 4;
		f->series = xreallocarray(f->series, f->series_cap, sizeof(*f->series));
	}
	memmove(&f->series[pos + 1], &f->series[pos], (f->nseries - pos) * sizeof(*f->series));
	f->series[pos] = s;
	f->nseries++;
	return s;
}

struct metric_series *metric_series(struct metric_family *f, const char *const *values)
{
	size_t n = count_list(values);
	if (n != f->nlabels)
		log_fatal("ops", "wrong number of label values", "metric=%s want=%zu got=%zu", f->name,
			  f->nlabels, n);
	bool valid = true;
	for (size_t i = 0; i < n; i++)
		valid = valid && metrics_utf8_valid(values[i]);
	if (valid)
		return series_get(f, values);

	char **clean = xcalloc(n, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		clean[i] = metrics_utf8_sanitize(values[i]);
	struct metric_series *s = series_get(f, (const char *const *)clean);
	for (size_t i = 0; i < n; i++)
		free(clean[i]);
	free(clean);
	return s;
}

void metric_series_remove(struct metric_series *s)
{
	struct metric_family *f = s->family;
	bool found;
	size_t pos = series_find(f, (const char *const *)s->values, &found);
	if (!found || f->series[pos] != s)
		log_fatal("ops", "removing a series that is not registered", "metric=%s", f->name);
	memmove(&f->series[pos], &f->series[pos + 1], (f->nseries - pos - 1) * sizeof(*f->series));
	f->nseries--;
	series_free(s);
}

/* --- updates (hot path) ----------------------------------------------------------------- */

void metric_inc(struct metric_series *s)
{
	s->value += 1;
}

void metric_add(struct metric_series *s, double delta)
{
	if (s->family->type == METRIC_COUNTER && !(delta >= 0))
		return;
	s->value += delta;
}

void metric_set(struct metric_series *s, double value)
{
	s->value = value;
}

double metric_value(const struct metric_series *s)
{
	return s->value;
}

void metric_observe(struct metric_series *s, double v)
{
	const struct metric_family *f = s->family;
	if (f->type != METRIC_HISTOGRAM)
		log_fatal("ops", "observe on a metric that is not a histogram", "metric=%s", f->name);
	size_t i = 0;
	while (i < f->nbounds && !(v <= f->bounds[i]))
		i++;
	s->buckets[i]++;
	s->sum += v;
	s->count++;
}
