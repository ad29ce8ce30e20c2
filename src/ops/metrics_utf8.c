/*
 * UTF-8 validation for metric label values: the exposition format (and Prometheus) require valid
 * UTF-8, while label values may come from remote peers. Follows RFC 3629 section 4 (no overlong
 * forms, no surrogates, nothing above U+10FFFF).
 */
#include <string.h>

#include "core/xalloc.h"
#include "ops/metrics_int.h"

/* Length of the valid sequence at s, or 0 when the bytes there are not valid UTF-8. */
static size_t seq_len(const unsigned char *s)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	size_t n;
	unsigned char lo = 0x80, hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		if (c == 0xE0)
			lo = 0xA0;      /* overlong */
		else if (c == 0xED)
			hi = 0x9F;      /* surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		if (c == 0xF0)
			lo = 0x90;      /* overlong */
		else if (c == 0xF4)
			hi = 0x8F;      /* above U+10FFFF */
	} else {
		return 0;
	}
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++) {
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	}
	return n;
}

bool metrics_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = seq_len(p);
		if (n == 0)
			return false;
		p += n;
	}
	return true;
}

char *metrics_utf8_sanitize(const char *s)
{
	size_t len = strlen(s);
	/* each bad byte becomes three bytes at most */
	char *out = xcalloc(len + 1, 3);
	char *o = out;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = seq_len(p);
		if (n == 0) {
			memcpy(o, "\xEF\xBF\xBD", 3);
			o += 3;
			p++;
			continue;
		}
		memcpy(o, p, n);
		o += n;
		p += n;
	}
	*o = '\0';
	return out;
}
