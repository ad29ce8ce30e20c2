/*
 * UPDATE messages (RFC 4271 §4.3, errors §6.3 as revised by RFC 7606 §3-5), multiprotocol
 * reachability (RFC 4760 §3-4, §7), End-of-RIB (RFC 4724 §2), and the packing of many prefixes
 * with one attribute set into as few UPDATEs as the 4096-octet limit allows (RFC 4271 §4.1).
 */
#include "bgp/msg_wire.h"

#include <string.h>

/* --- decoding --------------------------------------------------------------------------------- */

static bool update_reset(struct bgp_update *u, struct bgp_error *err, uint8_t subcode)
{
	bgp_err_set(err, BGP_ERR_UPDATE, subcode, BGP_DISP_SESSION_RESET, NULL, 0);
	bgp_update_free(u);
	return false;
}

/* RFC 7606 §3 d: a missing well-known mandatory attribute is treat-as-withdraw, with the
 * RFC 4271 §6.3 "Missing Well-known Attribute" subcode and the type code as data. */
static void require_attr(struct bgp_update *u, struct bgp_error *err, uint8_t type)
{
	if (u->attrs.present & BGP_ATTR_BIT(type))
		return;
	if (u->disposition >= BGP_DISP_TREAT_AS_WITHDRAW)
		return;
	u->disposition = BGP_DISP_TREAT_AS_WITHDRAW;
	bgp_err_set(err, BGP_ERR_UPDATE, BGP_UPD_MISSING_WELLKNOWN, BGP_DISP_TREAT_AS_WITHDRAW,
		    &type, 1);
}

bool bgp_update_decode(rbuf *body, const struct bgp_codec_opts *o, struct bgp_update *out,
		       struct bgp_error *err)
{
	memset(out, 0, sizeof(*out));
	bgp_err_clear(err);
	uint16_t wlen, alen;
	rbuf withdrawn, attrs;
	/* RFC 4271 §6.3: Withdrawn Routes Length + Total Attribute Length + 23 beyond the message
	 * Length is "Malformed Attribute List" (kept as a session reset by RFC 7606 §4). */
	if (!rbuf_get_u16(body, &wlen) || !rbuf_sub(body, wlen, &withdrawn) ||
	    !rbuf_get_u16(body, &alen) || !rbuf_sub(body, alen, &attrs))
		return update_reset(out, err, BGP_UPD_MALFORMED_ATTR_LIST);
	rbuf nlri = rbuf_rest(body);

	/* RFC 7606 §5.3: syntactically incorrect Withdrawn Routes cannot be acted on; session
	 * reset with "Invalid Network Field" (RFC 4271 §6.3). */
	if (!bgp_prefixes_decode(withdrawn, IP_V4, &out->withdrawn))
		return update_reset(out, err, BGP_UPD_INVALID_NETWORK);

	struct bgp_attr_ctx ctx = { .opts = o, .u = out, .err = err };
	if (!bgp_attrs_decode(attrs, &ctx)) {
		bgp_update_free(out);
		return false;
	}
	/* RFC 4271 §6.3 / RFC 7606 §5.3: a syntactically incorrect NLRI field is "Invalid Network
	 * Field"; its prefixes are unknown, so only a session reset is left. */
	if (!bgp_prefixes_decode(nlri, IP_V4, &out->nlri))
		return update_reset(out, err, BGP_UPD_INVALID_NETWORK);

	/* RFC 4271 §5 with RFC 4760 §3: ORIGIN and AS_PATH are mandatory whenever routes are
	 * announced; NEXT_HOP only when the NLRI field carries them (RFC 7606 §3 d notes RFC
	 * 4760 made it discretionary otherwise). */
	if (out->nlri.n > 0 || (out->has_mp_reach && out->mp_reach.n > 0)) {
		require_attr(out, err, BGP_ATTR_ORIGIN);
		require_attr(out, err, BGP_ATTR_AS_PATH);
		if (out->nlri.n > 0)
			require_attr(out, err, BGP_ATTR_NEXT_HOP);
	}
	return true;
}

void bgp_update_free(struct bgp_update *u)
{
	bgp_prefixes_free(&u->withdrawn);
	bgp_prefixes_free(&u->nlri);
	bgp_prefixes_free(&u->mp_reach);
	bgp_prefixes_free(&u->mp_unreach);
	bgp_attrs_free(&u->attrs);
	u->has_mp_reach = false;
	u->has_mp_unreach = false;
}

static bool attrs_empty(const struct bgp_attrs *a)
{
	return a->present == 0 && a->ncommunities == 0 && a->next_communities == 0 &&
	       a->nlarge_communities == 0;
}

bool bgp_update_is_eor(const struct bgp_update *u, enum bgp_family *family)
{
	if (u->withdrawn.n != 0 || u->nlri.n != 0 || u->has_mp_reach || !attrs_empty(&u->attrs))
		return false;
	/* RFC 4724 §2: IPv4 unicast End-of-RIB is an UPDATE with nothing in it; for any other
	 * family it carries only an MP_UNREACH_NLRI with no withdrawn routes. */
	if (!u->has_mp_unreach) {
		*family = BGP_FAM_IPV4_UNICAST;
		return true;
	}
	if (u->mp_unreach.n != 0)
		return false;
	*family = u->mp_unreach_family;
	return true;
}

/* --- encoding --------------------------------------------------------------------------------- */

static size_t prefixes_wire_len(const ip_prefix *v, size_t n)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		len += bgp_prefix_wire_len(&v[i]);
	return len;
}

static void put_prefixes(wbuf *w, const ip_prefix *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bgp_prefix_put(w, &v[i]);
}

static size_t next_hop_len(enum bgp_family f, const ip_addr *ll)
{
	if (f == BGP_FAM_IPV4_UNICAST)
		return 4;
	return ll->family == IP_V6 ? 32 : 16;
}

/* RFC 4760 §3: AFI, SAFI, next hop (RFC 2545 §3: global, then link-local if any), a reserved
 * zero octet, NLRI. */
static void put_mp_reach(wbuf *w, enum bgp_family f, const ip_addr *nh, const ip_addr *ll,
			 const ip_prefix *v, size_t n)
{
	size_t nhl = next_hop_len(f, ll);
	bgp_attr_put_header(w, BGP_ATTR_FLAG_OPTIONAL, BGP_ATTR_MP_REACH_NLRI,
			    5 + nhl + prefixes_wire_len(v, n));
	wbuf_put_u16(w, bgp_family_afi(f));
	wbuf_put_u8(w, BGP_SAFI_UNICAST);
	wbuf_put_u8(w, (uint8_t)nhl);
	if (f == BGP_FAM_IPV4_UNICAST) {
		wbuf_put_bytes(w, nh->bytes, 4);
	} else {
		wbuf_put_bytes(w, nh->bytes, 16);
		if (nhl == 32)
			wbuf_put_bytes(w, ll->bytes, 16);
	}
	wbuf_put_u8(w, 0);
	put_prefixes(w, v, n);
}

/* RFC 4760 §4: AFI, SAFI, withdrawn routes. */
static void put_mp_unreach(wbuf *w, enum bgp_family f, const ip_prefix *v, size_t n)
{
	bgp_attr_put_header(w, BGP_ATTR_FLAG_OPTIONAL, BGP_ATTR_MP_UNREACH_NLRI,
			    3 + prefixes_wire_len(v, n));
	wbuf_put_u16(w, bgp_family_afi(f));
	wbuf_put_u8(w, BGP_SAFI_UNICAST);
	put_prefixes(w, v, n);
}

bool bgp_update_encode(wbuf *w, const struct bgp_codec_opts *o, const struct bgp_update *u)
{
	size_t start = bgp_wire_begin(w, BGP_MSG_UPDATE);
	size_t wlen_at = wbuf_reserve(w, 2);
	put_prefixes(w, u->withdrawn.v, u->withdrawn.n);
	size_t alen_at = wbuf_reserve(w, 2);
	wbuf_set_u16_at(w, wlen_at, (uint16_t)(alen_at - wlen_at - 2));
	/* RFC 7606 §5.1: MP_REACH_NLRI / MP_UNREACH_NLRI go first. */
	if (u->has_mp_reach)
		put_mp_reach(w, u->mp_reach_family, &u->mp_next_hop, &u->mp_next_hop_ll,
			     u->mp_reach.v, u->mp_reach.n);
	if (u->has_mp_unreach)
		put_mp_unreach(w, u->mp_unreach_family, u->mp_unreach.v, u->mp_unreach.n);
	bgp_attrs_encode(w, o, &u->attrs);
	size_t alen = wbuf_len(w) - alen_at - 2;
	if (alen > UINT16_MAX)
		w->overflow = true;
	wbuf_set_u16_at(w, alen_at, (uint16_t)alen);
	put_prefixes(w, u->nlri.v, u->nlri.n);
	bgp_wire_end(w, start);
	if (!wbuf_ok(w)) {
		wbuf_truncate(w, start);
		w->overflow = true;
		return false;
	}
	return true;
}

void bgp_eor_encode(wbuf *w, enum bgp_family family)
{
	/* RFC 4724 §2: see bgp_update_is_eor(). */
	struct bgp_update u;
	struct bgp_codec_opts o = { .as4 = true };
	memset(&u, 0, sizeof(u));
	if (family != BGP_FAM_IPV4_UNICAST) {
		u.has_mp_unreach = true;
		u.mp_unreach_family = family;
	}
	bgp_update_encode(w, &o, &u);
}

/* --- packing ------------------------------------------------------------------------------------ */

/* How many of the prefixes fit in budget octets, in order. */
static size_t fit(const ip_prefix *v, size_t n, size_t budget)
{
	size_t used = 0, k = 0;
	while (k < n) {
		size_t l = bgp_prefix_wire_len(&v[k]);
		if (l > budget - used)
			break;
		used += l;
		k++;
	}
	return k;
}

size_t bgp_update_pack(wbuf *w, const struct bgp_codec_opts *o, const struct bgp_pack *p)
{
	size_t max = p->max_len ? p->max_len : BGP_MAX_MSG_LEN;
	if (max > BGP_MAX_MSG_LEN)
		max = BGP_MAX_MSG_LEN;   /* RFC 4271 §4.1: 4096 octets at most */
	if (max > wbuf_room(w))
		max = wbuf_room(w);
	if (p->n == 0 || max < BGP_UPDATE_MIN_LEN)
		return 0;

	/* The attributes other than MP_REACH_NLRI, encoded once to learn their size. */
	uint8_t scratch[BGP_MAX_MSG_LEN];
	wbuf attrs = wbuf_make(scratch, sizeof(scratch));
	size_t fixed = BGP_UPDATE_MIN_LEN;
	if (!p->withdraw) {
		struct bgp_attrs a = *p->attrs;
		if (p->family == BGP_FAM_IPV4_UNICAST)
			a.present |= BGP_ATTR_BIT(BGP_ATTR_NEXT_HOP);
		else   /* RFC 4760 §3 / RFC 7606 §5.1: no NEXT_HOP with only MP_REACH_NLRI */
			a.present &= ~BGP_ATTR_BIT(BGP_ATTR_NEXT_HOP);
		bgp_attrs_encode(&attrs, o, &a);
		if (!wbuf_ok(&attrs))
			return 0;
		fixed += wbuf_len(&attrs);
		if (p->family != BGP_FAM_IPV4_UNICAST)   /* MP_REACH header, extended length */
			fixed += 4 + 5 + next_hop_len(p->family, &p->next_hop_ll);
	} else if (p->family != BGP_FAM_IPV4_UNICAST) {
		fixed += 4 + 3;                          /* MP_UNREACH header, extended length */
	}
	if (fixed >= max)
		return 0;
	size_t k = fit(p->prefixes, p->n, max - fixed);
	if (k == 0)
		return 0;

	size_t start = bgp_wire_begin(w, BGP_MSG_UPDATE);
	if (p->withdraw && p->family == BGP_FAM_IPV4_UNICAST) {
		wbuf_put_u16(w, (uint16_t)prefixes_wire_len(p->prefixes, k));
		put_prefixes(w, p->prefixes, k);
		wbuf_put_u16(w, 0);
	} else {
		wbuf_put_u16(w, 0);
		size_t alen_at = wbuf_reserve(w, 2);
		if (p->withdraw)
			put_mp_unreach(w, p->family, p->prefixes, k);
		else if (p->family != BGP_FAM_IPV4_UNICAST)
			put_mp_reach(w, p->family, &p->next_hop, &p->next_hop_ll, p->prefixes, k);
		wbuf_put_bytes(w, scratch, wbuf_len(&attrs));
		wbuf_set_u16_at(w, alen_at, (uint16_t)(wbuf_len(w) - alen_at - 2));
		if (!p->withdraw && p->family == BGP_FAM_IPV4_UNICAST)
			put_prefixes(w, p->prefixes, k);
	}
	bgp_wire_end(w, start);
	if (!wbuf_ok(w)) {
		wbuf_truncate(w, start);
		return 0;
	}
	return k;
}
