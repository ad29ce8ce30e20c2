/* Go durations, BGP communities and base64 (see values.h). */
#include "config/values.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(char c)
{
	const char *at = c ? strchr(b64, c) : NULL;
	return at ? (int)(at - b64) : -1;
}

char *cfg_base64_decode(const char *text)
{
	size_t len = strlen(text);
	if (len % 4 != 0)
		return NULL;
	char *out = xmalloc(len / 4 * 3 + 1);
	size_t o = 0;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		size_t pad = 0;
		for (size_t j = 0; j < 4; j++) {
			if (text[i + j] == '=' && i + 4 == len && j >= 2) {
				v[j] = 0;
				pad++;
				continue;
			}
			v[j] = pad ? -1 : b64_value(text[i + j]);
			if (v[j] < 0) {
				free(out);
				return NULL;
			}
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
			     (uint32_t)v[3];
		char bytes[3] = { (char)(w >> 16), (char)(w >> 8), (char)w };
		for (size_t j = 0; j < 3 - pad; j++) {
			if (bytes[j] == '\0') {
				free(out);
				return NULL;
			}
			out[o++] = bytes[j];
		}
	}
	out[o] = '\0';
	return out;
}

char *cfg_base64_encode(const char *data, size_t len)
{
	char *out = xmalloc((len + 2) / 3 * 4 + 1);
	size_t o = 0;
	for (size_t i = 0; i < len; i += 3) {
		size_t n = len - i < 3 ? len - i : 3;
		uint32_t w = (uint32_t)(unsigned char)data[i] << 16;
		if (n > 1)
			w |= (uint32_t)(unsigned char)data[i + 1] << 8;
		if (n > 2)
			w |= (uint32_t)(unsigned char)data[i + 2];
		out[o++] = b64[(w >> 18) & 63];
		out[o++] = b64[(w >> 12) & 63];
		out[o++] = n > 1 ? b64[(w >> 6) & 63] : '=';
		out[o++] = n > 2 ? b64[w & 63] : '=';
	}
	out[o] = '\0';
	return out;
}
