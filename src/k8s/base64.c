/*
 * Base64 decoding, RFC 4648 section 4 (see base64.h).
 */
#include "k8s/base64.h"

#include <stdlib.h>

#include "core/xalloc.h"

static int sextet(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

bool k8s_base64_decode(const char *text, size_t len, uint8_t **out, size_t *outlen)
{
	*out = NULL;
	*outlen = 0;
	uint8_t *buf = xmalloc(len / 4 * 3 + 4);
	size_t n = 0;
	uint32_t acc = 0;
	unsigned bits = 0;     /* sextets collected in acc for the current quantum */
	unsigned pad = 0;
	for (size_t i = 0; i < len; i++) {
		char ch = text[i];
		if (is_space(ch))
			continue;
		if (ch == '=') {
			pad++;
			continue;
		}
		int v = sextet(ch);
		if (v < 0 || pad)       /* data after padding */
			goto bad;
		acc = acc << 6 | (uint32_t)v;
		if (++bits == 4) {
			buf[n++] = (uint8_t)(acc >> 16);
			buf[n++] = (uint8_t)(acc >> 8);
			buf[n++] = (uint8_t)acc;
			acc = 0;
			bits = 0;
		}
	}
	/* RFC 4648 4: a final quantum of 2 or 3 sextets carries 1 or 2 bytes; 1 sextet is invalid. */
	switch (bits) {
	case 0:
		if (pad)
			goto bad;
		break;
	case 2:
		if (pad && pad != 2)
			goto bad;
		buf[n++] = (uint8_t)(acc >> 4);
		break;
	case 3:
		if (pad && pad != 1)
			goto bad;
		buf[n++] = (uint8_t)(acc >> 10);
		buf[n++] = (uint8_t)(acc >> 2);
		break;
	default:
		goto bad;
	}
	buf[n] = 0;
	*out = buf;
	*outlen = n;
	return true;
bad:
	free(buf);
	return false;
}
