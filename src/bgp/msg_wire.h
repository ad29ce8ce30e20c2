/*
 * Internal helpers shared by the codec files (not part of the public map, see msg.h): the common
 * header (RFC 4271 §4.1), the prefix encoding of NLRI and withdrawn routes (RFC 4271 §4.3,
 * RFC 4760 §5) and filling a struct bgp_error.
 */
#ifndef INGOT_BGP_MSG_WIRE_H
#define INGOT_BGP_MSG_WIRE_H

#include "bgp/msg.h"

/* Writes marker, a length placeholder and the type; returns the message's start offset. */
size_t bgp_wire_begin(wbuf *w, uint8_t type);
/* Fills in the length of the message that started at `start`. */
void bgp_wire_end(wbuf *w, size_t start);

/* Sets *err (data copied, cut at BGP_NOTIF_DATA_MAX). */
void bgp_err_set(struct bgp_error *err, uint8_t code, uint8_t subcode,
		 enum bgp_disposition disposition, const void *data, size_t len);
/* Sets *err with the bytes of `from` (a saved reader position) up to n bytes as data. */
void bgp_err_set_span(struct bgp_error *err, uint8_t code, uint8_t subcode,
		      enum bgp_disposition disposition, rbuf from, size_t n);
/* Records a lesser error: keeps the first error of the worst disposition seen so far. */
void bgp_err_note(struct bgp_error *err, enum bgp_disposition *worst, uint8_t code, uint8_t subcode,
		  enum bgp_disposition disposition, rbuf from, size_t n);
void bgp_err_clear(struct bgp_error *err);

/* An address from 4 (IPv4) or 16 (IPv6) wire octets (kept local: addr.c is not needed). */
static inline ip_addr bgp_ip_from_wire(enum ip_family family, const uint8_t *bytes)
{
	ip_addr a = { .family = (uint8_t)family };
	for (size_t i = 0; i < (family == IP_V6 ? 16u : 4u); i++)
		a.bytes[i] = bytes[i];
	return a;
}

/* Wire size of one prefix: the length octet plus ceil(len/8) address octets. */
size_t bgp_prefix_wire_len(const ip_prefix *p);
void bgp_prefix_put(wbuf *w, const ip_prefix *p);
/*
 * Decodes a whole field of prefixes of one IP family into a new array (RFC 4271 §4.3). False if
 * the field is syntactically incorrect (RFC 7606 §5.3): a length beyond the family's width or a
 * prefix that runs past the field.
 */
bool bgp_prefixes_decode(rbuf field, enum ip_family family, struct bgp_prefixes *out);
void bgp_prefixes_free(struct bgp_prefixes *p);

/* Attribute helpers for msg_update.c (attr.c). */
/* Decodes one attribute at the reader (header included) into *a / *u; see attr.c. */
struct bgp_attr_ctx {
	const struct bgp_codec_opts *opts;
	struct bgp_update *u;
	struct bgp_error *err;
	uint8_t seen[32];                  /* bitmap of type codes met (RFC 7606 §3 g) */
	bool mp_seen;
};
/* Parses the Path Attributes field. False only for a session reset (in ctx->err). */
bool bgp_attrs_decode(rbuf field, struct bgp_attr_ctx *ctx);
/* Encodes all attributes of *a except MP_REACH/MP_UNREACH, in type code order. */
void bgp_attrs_encode(wbuf *w, const struct bgp_codec_opts *o, const struct bgp_attrs *a);
/* Writes one attribute header with the extended length bit chosen from len. */
void bgp_attr_put_header(wbuf *w, uint8_t flags, uint8_t type, size_t len);

#endif
