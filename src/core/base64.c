/*
 * Base64, RFC 4648 §4 (see base64.h).
 */
#include "core/base64.h"

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

bool base64_decode(const char *text, size_t len, enum base64_mode mode, uint8_t **out,
		   size_t *outlen)
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
		if (mode == BASE64_LENIENT && is_space(ch))
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
	/* RFC 4648 §3.2: padding may be left out only where the caller allows it. */
	if (mode == BASE64_STRICT && bits != 0 && pad == 0)
		goto bad;
	/* RFC 4648 §4: a final quantum of 2 or 3 sextets carries 1 or 2 bytes; 1 sextet is invalid. */
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

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *base64_encode(const void *data, size_t len)
{
	const uint8_t *in = data;
	char *out = xmalloc((len + 2) / 3 * 4 + 1);
	size_t o = 0;
	for (size_t i = 0; i < len; i += 3) {
		size_t n = len - i < 3 ? len - i : 3;
		uint32_t w = (uint32_t)in[i] << 16;
		if (n > 1)
			w |= (uint32_t)in[i + 1] << 8;
		if (n > 2)
			w |= (uint32_t)in[i + 2];
		out[o++] = alphabet[(w >> 18) & 63];
		out[o++] = alphabet[(w >> 12) & 63];
		out[o++] = n > 1 ? alphabet[(w >> 6) & 63] : '=';
		out[o++] = n > 2 ? alphabet[w & 63] : '=';
	}
	out[o] = '\0';
	return out;
}
