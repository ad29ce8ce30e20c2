/*
 * The prefix encoding shared by the Withdrawn Routes and NLRI fields (RFC 4271 §4.3) and by
 * MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760 §5): a length in bits, then just enough octets to hold
 * it, trailing bits irrelevant. Syntax errors are whole-field errors (RFC 7606 §5.3).
 */
#include "bgp/msg_wire.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

size_t bgp_prefix_wire_len(const ip_prefix *p)
{
	return 1 + ((size_t)p->len + 7) / 8;
}

void bgp_prefix_put(wbuf *w, const ip_prefix *p)
{
	wbuf_put_u8(w, p->len);
	wbuf_put_bytes(w, p->addr.bytes, ((size_t)p->len + 7) / 8);
}

/* Reads one prefix; false when it is syntactically incorrect (RFC 7606 §5.3). */
static bool prefix_get(rbuf *r, enum ip_family family, ip_prefix *out)
{
	uint8_t len;
	unsigned bits = family == IP_V6 ? 128 : 32;
	if (!rbuf_get_u8(r, &len))
		return false;
	/* RFC 7606 §5.3: a length longer than the family's addresses. */
	if (len > bits)
		return false;
	size_t n = ((size_t)len + 7) / 8;
	memset(out, 0, sizeof(*out));
	out->addr.family = (uint8_t)family;
	out->len = len;
	/* RFC 7606 §5.3: a prefix that runs past the end of its field. */
	if (!rbuf_get_bytes(r, out->addr.bytes, n))
		return false;
	/* RFC 4271 §4.3: trailing bits are irrelevant; ip_prefix keeps them zero. */
	if (len % 8 != 0)
		out->addr.bytes[n - 1] &= (uint8_t)(0xff << (8 - len % 8));
	return true;
}

bool bgp_prefixes_decode(rbuf field, enum ip_family family, struct bgp_prefixes *out)
{
	out->n = 0;
	out->v = NULL;
	rbuf count = field;
	size_t n = 0;
	ip_prefix p;
	while (!rbuf_empty(&count)) {
		if (!prefix_get(&count, family, &p))
			return false;
		n++;
	}
	if (n == 0)
		return true;
	/* n is bounded by the field's length, itself bounded by the message (4096 octets). */
	out->v = xcalloc(n, sizeof(*out->v));
	while (!rbuf_empty(&field))
		prefix_get(&field, family, &out->v[out->n++]);
	return true;
}

void bgp_prefixes_free(struct bgp_prefixes *p)
{
	free(p->v);
	p->v = NULL;
	p->n = 0;
}
