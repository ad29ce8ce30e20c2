/*
 * Bounds-checked byte reader and writer (see buf.h). Each reader checks the length before it
 * touches a byte; a failed read leaves the view as it was.
 */
#include "core/buf.h"

#include <string.h>

/* The next unread byte. An empty view may have data == NULL, and NULL + 0 is undefined in C. */
static const uint8_t *cursor(const rbuf *b)
{
	return b->data ? b->data + b->pos : NULL;
}

bool rbuf_get_u8(rbuf *b, uint8_t *out)
{
	if (rbuf_left(b) < 1)
		return false;
	*out = b->data[b->pos++];
	return true;
}

bool rbuf_get_u16(rbuf *b, uint16_t *out)
{
	if (rbuf_left(b) < 2)
		return false;
	*out = (uint16_t)(b->data[b->pos] << 8 | b->data[b->pos + 1]);
	b->pos += 2;
	return true;
}

bool rbuf_get_u32(rbuf *b, uint32_t *out)
{
	if (rbuf_left(b) < 4)
		return false;
	const uint8_t *p = cursor(b);
	*out = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	b->pos += 4;
	return true;
}

bool rbuf_get_bytes(rbuf *b, void *out, size_t n)
{
	if (rbuf_left(b) < n)
		return false;
	if (n > 0)
		memcpy(out, cursor(b), n);
	b->pos += n;
	return true;
}

bool rbuf_skip(rbuf *b, size_t n)
{
	if (rbuf_left(b) < n)
		return false;
	b->pos += n;
	return true;
}

bool rbuf_peek_u8(const rbuf *b, size_t at, uint8_t *out)
{
	if (rbuf_left(b) <= at)
		return false;
	*out = b->data[b->pos + at];
	return true;
}

bool rbuf_sub(rbuf *b, size_t n, rbuf *sub)
{
	if (rbuf_left(b) < n)
		return false;
	*sub = rbuf_make(cursor(b), n);
	b->pos += n;
	return true;
}

rbuf rbuf_rest(rbuf *b)
{
	rbuf rest = rbuf_make(cursor(b), rbuf_left(b));
	b->pos = b->len;
	return rest;
}

bool rbuf_get_ptr(rbuf *b, size_t n, const uint8_t **out)
{
	if (rbuf_left(b) < n)
		return false;
	*out = cursor(b);
	b->pos += n;
	return true;
}

/* Returns where n bytes may be written, or NULL (and marks overflow) if they do not fit. */
static uint8_t *wbuf_claim(wbuf *b, size_t n)
{
	if (b->overflow || b->cap - b->len < n) {
		b->overflow = true;
		return NULL;
	}
	uint8_t *p = b->data + b->len;
	b->len += n;
	return p;
}

void wbuf_put_u8(wbuf *b, uint8_t v)
{
	uint8_t *p = wbuf_claim(b, 1);
	if (p)
		p[0] = v;
}

void wbuf_put_u16(wbuf *b, uint16_t v)
{
	uint8_t *p = wbuf_claim(b, 2);
	if (p) {
		p[0] = (uint8_t)(v >> 8);
		p[1] = (uint8_t)v;
	}
}

void wbuf_put_u32(wbuf *b, uint32_t v)
{
	uint8_t *p = wbuf_claim(b, 4);
	if (p) {
		p[0] = (uint8_t)(v >> 24);
		p[1] = (uint8_t)(v >> 16);
		p[2] = (uint8_t)(v >> 8);
		p[3] = (uint8_t)v;
	}
}

void wbuf_put_bytes(wbuf *b, const void *src, size_t n)
{
	uint8_t *p = wbuf_claim(b, n);
	if (p && n > 0)
		memcpy(p, src, n);
}

void wbuf_put_zero(wbuf *b, size_t n)
{
	uint8_t *p = wbuf_claim(b, n);
	if (p && n > 0)
		memset(p, 0, n);
}

size_t wbuf_reserve(wbuf *b, size_t n)
{
	size_t at = b->len;
	wbuf_put_zero(b, n);
	return at;
}

void wbuf_set_u8_at(wbuf *b, size_t at, uint8_t v)
{
	if (b->overflow || at >= b->len) {
		b->overflow = true;
		return;
	}
	b->data[at] = v;
}

void wbuf_set_u16_at(wbuf *b, size_t at, uint16_t v)
{
	if (b->overflow || b->len < 2 || at > b->len - 2) {
		b->overflow = true;
		return;
	}
	b->data[at] = (uint8_t)(v >> 8);
	b->data[at + 1] = (uint8_t)v;
}

void wbuf_truncate(wbuf *b, size_t len)
{
	if (len <= b->len) {
		b->len = len;
		b->overflow = false;
	}
}
