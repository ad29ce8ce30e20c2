/*
 * Structured one-line logging (see log.h). A line is built in a fixed buffer and written with one
 * fputs, so lines from one process never interleave.
 */
#include "core/log.h"

#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include "core/monotime.h"

#define LOG_LINE_MAX 4096
#define LOG_FIELDS_MAX 32

static struct {
	enum log_level min;
	enum log_format format;
	FILE *out;
} logger = { LOGL_INFO, LOG_FORMAT_TEXT, NULL };

static const char *const level_names[] = {
	[LOGL_DEBUG] = "debug",
	[LOGL_INFO] = "info",
	[LOGL_WARN] = "warn",
	[LOGL_ERROR] = "error",
};

void log_setup(enum log_level min, enum log_format format, FILE *out)
{
	logger.min = min;
	logger.format = format;
	logger.out = out;
}

bool log_level_parse(const char *text, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(text, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return true;
		}
	}
	if (strcasecmp(text, "warning") == 0) {
		*out = LOGL_WARN;
		return true;
	}
	return false;
}

bool log_format_parse(const char *text, enum log_format *out)
{
	if (strcmp(text, "text") == 0 || strcmp(text, "logfmt") == 0)
		*out = LOG_FORMAT_TEXT;
	else if (strcmp(text, "json") == 0)
		*out = LOG_FORMAT_JSON;
	else
		return false;
	return true;
}

const char *log_level_name(enum log_level level)
{
	return level <= LOGL_ERROR ? level_names[level] : "?";
}

bool log_enabled(enum log_level level)
{
	return level >= logger.min;
}

/* One key=value pair cut out of the formatted fields string; both point into that string. */
struct field {
	const char *key;
	size_t key_len;
	const char *value;
	size_t value_len;
};

/* Whether text starts a new field: an identifier followed by '='. */
static bool starts_field(const char *p)
{
	if (!isalpha((unsigned char)*p) && *p != '_')
		return false;
	while (isalnum((unsigned char)*p) || *p == '_' || *p == '-' || *p == '.')
		p++;
	return *p == '=';
}

/* Splits "a=1 b=two words c=3" into fields; a value runs until the next " key=". */
static size_t split_fields(const char *s, struct field *out, size_t max)
{
	size_t n = 0;
	while (*s == ' ')
		s++;
	while (*s && n < max) {
		if (!starts_field(s))
			break;
		const char *eq = strchr(s, '=');
		struct field *f = &out[n++];
		f->key = s;
		f->key_len = (size_t)(eq - s);
		f->value = eq + 1;
		const char *p = f->value;
		while (*p && !(*p == ' ' && starts_field(p + 1)))
			p++;
		f->value_len = (size_t)(p - f->value);
		s = *p ? p + 1 : p;
	}
	return n;
}

static void format_timestamp(char *buf, size_t size)
{
	struct timeval tv;
	struct tm tm;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%03ldZ", (long)(tv.tv_usec / 1000));
}

/* Appends printf output to line at *len, never past LOG_LINE_MAX. */
static void append(char *line, size_t *len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *line, size_t *len, const char *fmt, ...)
{
	if (*len >= LOG_LINE_MAX - 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line + *len, LOG_LINE_MAX - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len += (size_t)n < LOG_LINE_MAX - *len ? (size_t)n : LOG_LINE_MAX - 1 - *len;
}

/* A value needs quotes in text format when it is empty or holds spaces, quotes or '='. */
static void append_text_value(char *line, size_t *len, const char *v, size_t n)
{
	bool quote = n == 0 || memchr(v, ' ', n) || memchr(v, '"', n) || memchr(v, '=', n);
	if (!quote) {
		append(line, len, "%.*s", (int)n, v);
		return;
	}
	append(line, len, "\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c == '"' || c == '\\')
			append(line, len, "\\%c", c);
		else if (c < 0x20)
			append(line, len, "\\x%02x", c);
		else
			append(line, len, "%c", c);
	}
	append(line, len, "\"");
}

static void write_text(char *line, size_t *len, const char *ts, enum log_level level,
		       const char *component, const char *msg, const struct field *f, size_t nf)
{
	append(line, len, "%s level=%s component=%s msg=", ts, level_names[level], component);
	append_text_value(line, len, msg, strlen(msg));
	for (size_t i = 0; i < nf; i++) {
		append(line, len, " %.*s=", (int)f[i].key_len, f[i].key);
		append_text_value(line, len, f[i].value, f[i].value_len);
	}
}

static void write_json(char *line, size_t *len, const char *ts, enum log_level level,
		       const char *component, const char *msg, const struct field *f, size_t nf)
{
	json_t *obj = json_object();
	json_object_set_new(obj, "ts", json_string(ts));
	json_object_set_new(obj, "level", json_string(level_names[level]));
	json_object_set_new(obj, "component", json_string(component));
	json_object_set_new(obj, "msg", json_string(msg));
	for (size_t i = 0; i < nf; i++) {
		char key[64];
		snprintf(key, sizeof(key), "%.*s", (int)f[i].key_len, f[i].key);
		/* Remote-supplied text may not be UTF-8: jansson refuses it, so fall back. */
		json_t *v = json_stringn(f[i].value, f[i].value_len);
		json_object_set_new(obj, key, v ? v : json_string("<invalid utf-8>"));
	}
	*len = json_dumpb(obj, line, LOG_LINE_MAX - 1, JSON_COMPACT);
	if (*len >= LOG_LINE_MAX - 1)   /* too long to fit: drop the fields, keep the message */
		*len = (size_t)snprintf(line, LOG_LINE_MAX - 1,
					"{\"ts\":\"%s\",\"level\":\"%s\",\"component\":\"%s\",\"msg\":\"line too long\"}",
					ts, level_names[level], component);
	json_decref(obj);
}

static void log_vemit(enum log_level level, const char *component, const char *msg,
		      const char *fields_fmt, va_list ap) __attribute__((format(printf, 4, 0)));
static void log_vemit(enum log_level level, const char *component, const char *msg,
		      const char *fields_fmt, va_list ap)
{
	char fields[LOG_LINE_MAX];
	char line[LOG_LINE_MAX + 1];
	char ts[40];
	struct field f[LOG_FIELDS_MAX];
	size_t len = 0;

	vsnprintf(fields, sizeof(fields), fields_fmt, ap);
	size_t nf = split_fields(fields, f, LOG_FIELDS_MAX);
	format_timestamp(ts, sizeof(ts));
	if (logger.format == LOG_FORMAT_JSON)
		write_json(line, &len, ts, level, component, msg, f, nf);
	else
		write_text(line, &len, ts, level, component, msg, f, nf);
	line[len++] = '\n';
	line[len] = '\0';
	FILE *out = logger.out ? logger.out : stderr;
	fputs(line, out);
	fflush(out);
}

void log_emit(enum log_level level, const char *component, const char *msg, const char *fields, ...)
{
	if (!log_enabled(level))
		return;
	va_list ap;
	va_start(ap, fields);
	log_vemit(level, component, msg, fields, ap);
	va_end(ap);
}

/* Refills the bucket for the time passed; returns whether one line may go out now. */
static bool ratelimit_take(struct log_ratelimit *rl)
{
	int64_t now = mono_to_ns(mono_now());
	if (rl->last_ns != 0) {
		double refill = (double)(now - rl->last_ns) / 1e9 * rl->per_second;
		rl->tokens = rl->tokens + refill > rl->burst ? rl->burst : rl->tokens + refill;
	}
	rl->last_ns = now;
	if (rl->tokens < 1.0) {
		rl->suppressed++;
		return false;
	}
	rl->tokens -= 1.0;
	return true;
}

void log_rl(struct log_ratelimit *rl, enum log_level level, const char *component, const char *msg,
	    const char *fields, ...)
{
	if (!log_enabled(level) || !ratelimit_take(rl))
		return;
	if (rl->suppressed > 0) {
		log_emit(LOGL_WARN, component, "suppressed repeated messages", "count=%llu like=%s",
			 (unsigned long long)rl->suppressed, msg);
		rl->suppressed = 0;
	}
	va_list ap;
	va_start(ap, fields);
	log_vemit(level, component, msg, fields, ap);
	va_end(ap);
}

_Noreturn void log_fatal(const char *component, const char *msg, const char *fields, ...)
{
	va_list ap;
	va_start(ap, fields);
	log_vemit(LOGL_ERROR, component, msg, fields, ap);
	va_end(ap);
	exit(1);
}
