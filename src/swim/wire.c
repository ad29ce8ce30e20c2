/*
 * The SWIM packet codec (wire.h): HMAC-SHA256 sealing and checking through OpenSSL's libcrypto,
 * parsing only through the core/buf.h readers. The MAC is checked before any field is parsed,
 * so unauthenticated bytes never reach the parser in the daemon (the fuzz target parses them
 * anyway).
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "swim/wire.h"

static const uint8_t magic[4] = { 'I', 'N', 'G', 'S' };

bool swim_name_valid(const char *p, size_t len)
{
	if (len == 0 || len > SWIM_MAX_NAME)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = p[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '.' || c == '-' || c == '_';
		if (!ok)
			return false;
	}
	return true;
}

static bool mac(const uint8_t key[SWIM_KEY_LEN], const uint8_t *p, size_t len,
		uint8_t out[SWIM_MAC_LEN])
{
	unsigned int n = 0;
	return HMAC(EVP_sha256(), key, SWIM_KEY_LEN, p, len, out, &n) != NULL &&
	       n == SWIM_MAC_LEN;
}

bool swim_wire_verify(const uint8_t key[SWIM_KEY_LEN], const uint8_t *pkt, size_t len,
		      size_t *body_len)
{
	if (len < SWIM_HEADER_MIN + SWIM_MAC_LEN || len > SWIM_MAX_PACKET)
		return false;
	rbuf r = rbuf_make(pkt, len);
	const uint8_t *body, *tag;
	size_t blen = len - SWIM_MAC_LEN;
	if (!rbuf_get_ptr(&r, blen, &body) || !rbuf_get_ptr(&r, SWIM_MAC_LEN, &tag))
		return false;
	uint8_t want[SWIM_MAC_LEN];
	if (!mac(key, body, blen, want))
		return false;
	if (CRYPTO_memcmp(want, tag, SWIM_MAC_LEN) != 0)
		return false;
	*body_len = blen;
	return true;
}

static bool get_u64(rbuf *r, uint64_t *out)
{
	uint32_t hi, lo;
	if (!rbuf_get_u32(r, &hi) || !rbuf_get_u32(r, &lo))
		return false;
	*out = (uint64_t)hi << 32 | lo;
	return true;
}

/* A length-prefixed name; empty allowed only when may_be_empty. */
static bool get_name(rbuf *r, struct swim_name *out, bool may_be_empty)
{
	uint8_t n;
	const uint8_t *p;
	if (!rbuf_get_u8(r, &n) || !rbuf_get_ptr(r, n, &p))
		return false;
	out->p = (const char *)p;
	out->len = n;
	if (n == 0)
		return may_be_empty;
	return swim_name_valid(out->p, n);
}

bool swim_wire_decode(const uint8_t *body, size_t len, struct swim_msg *out)
{
	memset(out, 0, sizeof(*out));
	rbuf r = rbuf_make(body, len);
	uint8_t m[4], version, reserved[2];
	if (!rbuf_get_bytes(&r, m, 4) || memcmp(m, magic, 4) != 0)
		return false;
	if (!rbuf_get_u8(&r, &version) || version != SWIM_VERSION)
		return false;
	/* Reserved bytes are zero in version 1: one encoding per message. */
	if (!rbuf_get_u8(&r, &out->type) || !rbuf_get_bytes(&r, reserved, 2) || reserved[0] ||
	    reserved[1])
		return false;
	if (!get_u64(&r, &out->nonce) || !get_u64(&r, &out->seq) ||
	    !get_u64(&r, &out->incarnation) || !get_name(&r, &out->sender, false))
		return false;
	switch (out->type) {
	case SWIM_MSG_PING:
		if (!rbuf_get_u32(&r, &out->probe) || !get_name(&r, &out->target, false) ||
		    !rbuf_get_u8(&r, &out->view_state) || out->view_state > SWIM_LEFT ||
		    !get_u64(&r, &out->view_incarnation))
			return false;
		break;
	case SWIM_MSG_PING_REQ:
		if (!rbuf_get_u32(&r, &out->probe) || !get_name(&r, &out->target, false))
			return false;
		break;
	case SWIM_MSG_ACK:
	case SWIM_MSG_NACK:
		if (!rbuf_get_u32(&r, &out->probe))
			return false;
		break;
	case SWIM_MSG_LEAVE:
		break;
	default:
		return false;
	}
	uint8_t n;
	if (!rbuf_get_u8(&r, &n) || n > SWIM_MAX_GOSSIP)
		return false;
	for (uint8_t i = 0; i < n; i++) {
		struct swim_gossip *g = &out->gossip[i];
		if (!rbuf_get_u8(&r, &g->state) || g->state > SWIM_LEFT ||
		    !get_u64(&r, &g->incarnation) || !get_name(&r, &g->name, false) ||
		    !get_name(&r, &g->from, true))
			return false;
	}
	out->ngossip = n;
	return rbuf_empty(&r);
}

static void put_u64(wbuf *w, uint64_t v)
{
	wbuf_put_u32(w, (uint32_t)(v >> 32));
	wbuf_put_u32(w, (uint32_t)v);
}

static void put_name(wbuf *w, struct swim_name n)
{
	wbuf_put_u8(w, (uint8_t)n.len);
	wbuf_put_bytes(w, n.p, n.len);
}

int swim_wire_encode(wbuf *w, const uint8_t key[SWIM_KEY_LEN], const struct swim_msg *m,
		     const struct swim_gossip *g, size_t n)
{
	size_t start = wbuf_len(w);
	size_t limit = wbuf_room(w);
	if (limit > SWIM_MAX_PACKET)
		limit = SWIM_MAX_PACKET;
	wbuf_put_bytes(w, magic, 4);
	wbuf_put_u8(w, SWIM_VERSION);
	wbuf_put_u8(w, m->type);
	wbuf_put_u16(w, 0);
	put_u64(w, m->nonce);
	put_u64(w, m->seq);
	put_u64(w, m->incarnation);
	put_name(w, m->sender);
	switch (m->type) {
	case SWIM_MSG_PING:
		wbuf_put_u32(w, m->probe);
		put_name(w, m->target);
		wbuf_put_u8(w, m->view_state);
		put_u64(w, m->view_incarnation);
		break;
	case SWIM_MSG_PING_REQ:
		wbuf_put_u32(w, m->probe);
		put_name(w, m->target);
		break;
	case SWIM_MSG_ACK:
	case SWIM_MSG_NACK:
		wbuf_put_u32(w, m->probe);
		break;
	default:
		break;
	}
	size_t count_at = wbuf_reserve(w, 1);
	if (!wbuf_ok(w) || wbuf_len(w) - start + SWIM_MAC_LEN > limit) {
		w->overflow = true;
		return -1;
	}
	size_t put = 0;
	for (size_t i = 0; i < n && put < SWIM_MAX_GOSSIP; i++) {
		size_t before = wbuf_len(w);
		wbuf_put_u8(w, g[i].state);
		put_u64(w, g[i].incarnation);
		put_name(w, g[i].name);
		put_name(w, g[i].from);
		if (!wbuf_ok(w) || wbuf_len(w) - start + SWIM_MAC_LEN > limit) {
			wbuf_truncate(w, before);
			break;
		}
		put++;
	}
	wbuf_set_u8_at(w, count_at, (uint8_t)put);
	uint8_t tag[SWIM_MAC_LEN];
	if (!mac(key, w->data + start, wbuf_len(w) - start, tag)) {
		w->overflow = true;
		return -1;
	}
	wbuf_put_bytes(w, tag, SWIM_MAC_LEN);
	return wbuf_ok(w) ? (int)put : -1;
}
