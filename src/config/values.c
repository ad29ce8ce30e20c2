/* Go durations, BGP communities and base64 (see values.h). */
#include "config/values.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/xalloc.h"

/* Units of time.ParseDuration, in nanoseconds. */
static const struct {
	const char *name;
	uint64_t ns;
} duration_units[] = {
	{ "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 }, { "\xce\xbcs", 1000 },
	{ "ms", 1000000 }, { "s", 1000000000ULL }, { "m", 60000000000ULL },
	{ "h", 3600000000000ULL },
};

bool cfg_duration_parse_ms(const char *text, int64_t *ms)
{
	const char *p = text;
	if (*p == '+')
		p++;
	if (*p == '-' || !*p)
		return false;
	if (strcmp(p, "0") == 0) {
		*ms = 0;
		return true;
	}
	long double total_ns = 0;
	while (*p) {
		const char *start = p;
		long double value = 0;
		bool digits = false;
		while (*p >= '0' && *p <= '9') {
			value = value * 10 + (*p - '0');
			digits = true;
			p++;
		}
		if (*p == '.') {
			p++;
			long double scale = 0.1L;
			while (*p >= '0' && *p <= '9') {
				value += (*p - '0') * scale;
				scale /= 10;
				digits = true;
				p++;
			}
		}
		if (!digits || p == start)
			return false;
		size_t unit = sizeof(duration_units) / sizeof(duration_units[0]);
		for (size_t i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++) {
			size_t n = strlen(duration_units[i].name);
			if (strncmp(p, duration_units[i].name, n) == 0 &&
			    !(n == 1 && p[0] == 'm' && p[1] == 's')) {
				unit = i;
				p += n;
				break;
			}
		}
		if (unit == sizeof(duration_units) / sizeof(duration_units[0]))
			return false;
		total_ns += value * (long double)duration_units[unit].ns;
		if (total_ns > (long double)INT64_MAX)
			return false;
	}
	*ms = (int64_t)(total_ns / 1000000.0L);
	return true;
}

void cfg_duration_format_ms(int64_t ms, char *buf, size_t size)
{
	if (ms % 1000 == 0)
		snprintf(buf, size, "%" PRId64 "s", ms / 1000);
	else
		snprintf(buf, size, "%" PRId64 "ms", ms);
}

/* A decimal number of at most max, the whole of [s, s+n). */
static bool parse_part(const char *s, size_t n, uint64_t max, uint32_t *out)
{
	if (n == 0 || n > 10)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

enum community_error cfg_community_parse(const char *text, struct cfg_community *out)
{
	struct cfg_community c = { 0 };
	const char *p = text;
	uint64_t max = UINT16_MAX;
	size_t want = 2;
	if (strncmp(p, "large:", 6) == 0) {
		p += 6;
		c.large = true;
		max = UINT32_MAX;
		want = 3;
	}
	const char *parts[3];
	size_t lens[3], n = 0;
	const char *start = p;
	for (;; p++) {
		if (*p == ':' || *p == '\0') {
			if (n == 3)
				return COMMUNITY_BAD_FORMAT;
			parts[n] = start;
			lens[n] = (size_t)(p - start);
			n++;
			if (*p == '\0')
				break;
			start = p + 1;
		}
	}
	if (n != want)
		return COMMUNITY_BAD_FORMAT;
	uint32_t v[3] = { 0 };
	for (size_t i = 0; i < n; i++) {
		if (!parse_part(parts[i], lens[i], max, &v[i]))
			return COMMUNITY_BAD_VALUE;
	}
	c.a = v[0];
	c.b = v[1];
	c.c = v[2];
	*out = c;
	return COMMUNITY_OK;
}

void cfg_community_format(const struct cfg_community *c, char *buf, size_t size)
{
	if (c->large)
		snprintf(buf, size, "large:%" PRIu32 ":%" PRIu32 ":%" PRIu32, c->a, c->b, c->c);
	else
		snprintf(buf, size, "%" PRIu32 ":%" PRIu32, c->a, c->b);
}

int cfg_community_cmp(const struct cfg_community *a, const struct cfg_community *b)
{
	if (a->large != b->large)
		return a->large ? 1 : -1;
	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	if (a->b != b->b)
		return a->b < b->b ? -1 : 1;
	if (a->c != b->c)
		return a->c < b->c ? -1 : 1;
	return 0;
}

char *cfg_base64_decode(const char *text)
{
	uint8_t *out;
	size_t len;
	if (!base64_decode(text, strlen(text), BASE64_STRICT, &out, &len))
		return NULL;
	if (memchr(out, '\0', len)) {      /* a password is text: an embedded NUL would cut it */
		free(out);
		return NULL;
	}
	return (char *)out;
}

char *cfg_base64_encode(const char *data, size_t len)
{
	return base64_encode(data, len);
}
