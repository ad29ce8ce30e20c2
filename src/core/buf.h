/*
 * Bounds-checked byte reader and writer: the only place that does pointer arithmetic on wire data.
 *
 * Every parser of untrusted input (BGP, BFD, ARP/NDP, heartbeats) reads through a `rbuf`: a view of
 * bytes that is never owned. A read that would pass the end fails, returns false and leaves the view
 * unchanged, so a parser is a sequence of `if (!rbuf_get_u16(...)) return error;`. Nested fields
 * (a BGP attribute, an ICMPv6 option) are read through a sub-view cut with `rbuf_sub`, so a length a
 * peer declared can never let a parser wander past the field it bounds.
 *
 * Writers (`wbuf`) append into caller-owned storage with a sticky error: encode everything, then
 * check `wbuf_ok()` once (OpenBGPD's ibuf style). Length fields that are only known at the end are
 * reserved with `wbuf_reserve` and filled with `wbuf_set_u16_at`.
 */
#ifndef INGOT_CORE_BUF_H
#define INGOT_CORE_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rbuf {
	const uint8_t *data;
	size_t len;      /* bytes in the view */
	size_t pos;      /* next byte to read */
} rbuf;

static inline rbuf rbuf_make(const void *data, size_t len)
{
	rbuf b = { .data = data, .len = len, .pos = 0 };
	return b;
}

static inline size_t rbuf_left(const rbuf *b) { return b->len - b->pos; }
static inline bool rbuf_empty(const rbuf *b) { return b->pos == b->len; }
/* Offset of the next byte from the start of the view (for error reports). */
static inline size_t rbuf_offset(const rbuf *b) { return b->pos; }

bool rbuf_get_u8(rbuf *b, uint8_t *out);
bool rbuf_get_u16(rbuf *b, uint16_t *out);   /* network order */
bool rbuf_get_u32(rbuf *b, uint32_t *out);   /* network order */
bool rbuf_get_bytes(rbuf *b, void *out, size_t n);
bool rbuf_skip(rbuf *b, size_t n);
/* Peek without consuming. */
bool rbuf_peek_u8(const rbuf *b, size_t at, uint8_t *out);
/* Cut the next n bytes off as their own view and advance past them. */
bool rbuf_sub(rbuf *b, size_t n, rbuf *sub);
/* The rest of the view as a sub-view; b becomes empty. */
rbuf rbuf_rest(rbuf *b);
/* Point at the next n bytes without copying (for comparison or hashing) and advance. */
bool rbuf_get_ptr(rbuf *b, size_t n, const uint8_t **out);

typedef struct wbuf {
	uint8_t *data;
	size_t cap;
	size_t len;
	bool overflow;   /* sticky: set by any write that did not fit */
} wbuf;

static inline wbuf wbuf_make(void *data, size_t cap)
{
	wbuf b = { .data = data, .cap = cap, .len = 0, .overflow = false };
	return b;
}

static inline bool wbuf_ok(const wbuf *b) { return !b->overflow; }
static inline size_t wbuf_len(const wbuf *b) { return b->len; }
static inline size_t wbuf_room(const wbuf *b) { return b->overflow ? 0 : b->cap - b->len; }

void wbuf_put_u8(wbuf *b, uint8_t v);
void wbuf_put_u16(wbuf *b, uint16_t v);
void wbuf_put_u32(wbuf *b, uint32_t v);
void wbuf_put_bytes(wbuf *b, const void *p, size_t n);
void wbuf_put_zero(wbuf *b, size_t n);
/* Reserve n bytes to fill in later; returns their offset (meaningless once overflowed). */
size_t wbuf_reserve(wbuf *b, size_t n);
/* Overwrite already-written bytes at offset (length fields); marks overflow if out of range. */
void wbuf_set_u8_at(wbuf *b, size_t at, uint8_t v);
void wbuf_set_u16_at(wbuf *b, size_t at, uint16_t v);
/* Drop everything after offset len and clear the overflow flag: undoes a partly written element
 * that did not fit, so an encoder can pack as many elements as fit and send the rest later. */
void wbuf_truncate(wbuf *b, size_t len);

#endif
