/*
 * OPEN messages (RFC 4271 §4.2, errors §6.2) and the capabilities ingot speaks: multiprotocol
 * (RFC 4760 §8), route refresh (RFC 2918 §2), graceful restart (RFC 4724 §3 with the RFC 8538 §2
 * N bit), 4-octet AS (RFC 6793 §3, §9), in Capabilities optional parameters (RFC 5492 §4) and the
 * extended optional parameters length (RFC 9072 §2). Also the policy check of a received OPEN and
 * the negotiation of hold time and capabilities.
 */
#include "bgp/msg_wire.h"

#include <string.h>

#define OPT_PARAM_CAPABILITIES 2           /* RFC 5492 §4 */
#define OPT_PARAM_EXTENDED 255             /* RFC 9072 §2 */

void bgp_open_init(struct bgp_open *o, uint32_t asn, uint16_t hold_time, uint32_t bgp_id)
{
	memset(o, 0, sizeof(*o));
	o->version = BGP_VERSION;
	/* RFC 6793 §3: a 4-octet AS goes in the capability; My AS carries AS_TRANS. */
	o->my_as = asn > UINT16_MAX ? BGP_AS_TRANS : (uint16_t)asn;
	o->hold_time = hold_time;
	o->bgp_id = bgp_id;
	o->caps.as4 = true;
	o->caps.as4_asn = asn;
}

uint32_t bgp_open_asn(const struct bgp_open *o)
{
	return o->caps.as4 ? o->caps.as4_asn : o->my_as;
}

/* --- encoding --------------------------------------------------------------------------------- */

static void put_cap_mp(wbuf *w, enum bgp_family f)
{
	wbuf_put_u8(w, BGP_CAP_MP);
	wbuf_put_u8(w, 4);
	wbuf_put_u16(w, bgp_family_afi(f));
	wbuf_put_u8(w, 0);
	wbuf_put_u8(w, BGP_SAFI_UNICAST);
}

static void put_caps(wbuf *w, const struct bgp_caps *c)
{
	for (int f = 0; f < BGP_FAM_COUNT; f++)
		if (c->families & BGP_FAM_BIT(f))
			put_cap_mp(w, (enum bgp_family)f);
	if (c->route_refresh) {
		wbuf_put_u8(w, BGP_CAP_ROUTE_REFRESH);
		wbuf_put_u8(w, 0);
	}
	if (c->gr) {
		size_t naf = 0;
		for (int f = 0; f < BGP_FAM_COUNT; f++)
			naf += (c->gr_families & BGP_FAM_BIT(f)) != 0;
		wbuf_put_u8(w, BGP_CAP_GRACEFUL_RESTART);
		wbuf_put_u8(w, (uint8_t)(2 + 4 * naf));
		/* RFC 4724 §3: Restart Flags in the top 4 bits, Restart Time in the low 12. */
		uint16_t time = c->gr_time > BGP_GR_TIME_MAX ? BGP_GR_TIME_MAX : c->gr_time;
		wbuf_put_u16(w, (uint16_t)((c->gr_flags & 0xf) << 12 | time));
		for (int f = 0; f < BGP_FAM_COUNT; f++) {
			if (!(c->gr_families & BGP_FAM_BIT(f)))
				continue;
			wbuf_put_u16(w, bgp_family_afi((enum bgp_family)f));
			wbuf_put_u8(w, BGP_SAFI_UNICAST);
			wbuf_put_u8(w, (c->gr_forwarding & BGP_FAM_BIT(f)) ? BGP_GR_AF_FORWARDING : 0);
		}
	}
	if (c->as4) {
		wbuf_put_u8(w, BGP_CAP_AS4);
		wbuf_put_u8(w, 4);
		wbuf_put_u32(w, c->as4_asn);
	}
}

void bgp_open_encode(wbuf *w, const struct bgp_open *o)
{
	size_t start = bgp_wire_begin(w, BGP_MSG_OPEN);
	wbuf_put_u8(w, o->version);
	wbuf_put_u16(w, o->my_as);
	wbuf_put_u16(w, o->hold_time);
	wbuf_put_u32(w, o->bgp_id);
	size_t opt_len_at = wbuf_reserve(w, 1);
	size_t params_start = wbuf_len(w);
	wbuf_put_u8(w, OPT_PARAM_CAPABILITIES);
	size_t param_len_at = wbuf_reserve(w, 1);
	size_t caps_start = wbuf_len(w);
	put_caps(w, &o->caps);
	size_t caps_len = wbuf_len(w) - caps_start;
	if (caps_len == 0) {
		wbuf_truncate(w, params_start);    /* no capabilities: no optional parameter */
	} else if (caps_len > 255) {
		/* Our own capabilities never reach 255 octets (RFC 9072 would be needed). */
		w->overflow = true;
		return;
	} else {
		wbuf_set_u8_at(w, param_len_at, (uint8_t)caps_len);
	}
	size_t opt_len = wbuf_len(w) - params_start;
	wbuf_set_u8_at(w, opt_len_at, (uint8_t)opt_len);
	bgp_wire_end(w, start);
}

/* --- decoding --------------------------------------------------------------------------------- */

static bool open_error(struct bgp_error *err, uint8_t subcode, const void *data, size_t len)
{
	bgp_err_set(err, BGP_ERR_OPEN, subcode, BGP_DISP_SESSION_RESET, data, len);
	return false;
}

/* One capability value (RFC 5492 §4). Unknown codes are ignored (RFC 5492 §4: "MUST ignore"). */
static bool parse_cap(uint8_t code, rbuf *v, struct bgp_caps *c, struct bgp_error *err)
{
	switch (code) {
	case BGP_CAP_MP: {
		/* RFC 4760 §8: AFI (2), Reserved (1), SAFI (1). */
		uint16_t afi;
		uint8_t res, safi;
		enum bgp_family f;
		if (rbuf_left(v) != 4 || !rbuf_get_u16(v, &afi) || !rbuf_get_u8(v, &res) ||
		    !rbuf_get_u8(v, &safi))
			return open_error(err, BGP_SUB_UNSPECIFIC, NULL, 0);
		c->mp_seen = true;
		if (bgp_family_from_afi_safi(afi, safi, &f))
			c->families |= BGP_FAM_BIT(f);
		return true;
	}
	case BGP_CAP_ROUTE_REFRESH:
	case BGP_CAP_ROUTE_REFRESH_OLD:
		/* RFC 2918 §2: Capability Length 0. */
		if (!rbuf_empty(v))
			return open_error(err, BGP_SUB_UNSPECIFIC, NULL, 0);
		c->route_refresh = true;
		return true;
	case BGP_CAP_GRACEFUL_RESTART: {
		/* RFC 4724 §3: Restart Flags + Time (2), then AFI (2), SAFI (1), Flags (1) per family. */
		uint16_t ft;
		if (rbuf_left(v) < 2 || (rbuf_left(v) - 2) % 4 != 0 || !rbuf_get_u16(v, &ft))
			return open_error(err, BGP_SUB_UNSPECIFIC, NULL, 0);
		c->gr = true;
		c->gr_flags = (uint8_t)(ft >> 12);
		c->gr_time = ft & BGP_GR_TIME_MAX;
		c->gr_families = 0;
		c->gr_forwarding = 0;
		while (!rbuf_empty(v)) {
			uint16_t afi;
			uint8_t safi, flags;
			enum bgp_family f;
			rbuf_get_u16(v, &afi);
			rbuf_get_u8(v, &safi);
			rbuf_get_u8(v, &flags);
			if (!bgp_family_from_afi_safi(afi, safi, &f))
				continue;
			c->gr_families |= BGP_FAM_BIT(f);
			if (flags & BGP_GR_AF_FORWARDING)
				c->gr_forwarding |= BGP_FAM_BIT(f);
		}
		return true;
	}
	case BGP_CAP_AS4: {
		uint32_t asn;
		if (rbuf_left(v) != 4 || !rbuf_get_u32(v, &asn))
			return open_error(err, BGP_SUB_UNSPECIFIC, NULL, 0);
		/* RFC 7607 §2: AS 0 in the 4-octet AS capability is "Bad Peer AS". */
		if (asn == 0)
			return open_error(err, BGP_OPEN_BAD_PEER_AS, NULL, 0);
		c->as4 = true;
		c->as4_asn = asn;
		return true;
	}
	default:
		return true;
	}
}

static bool parse_caps(rbuf *param, struct bgp_caps *c, struct bgp_error *err)
{
	while (!rbuf_empty(param)) {
		uint8_t code, len;
		rbuf v;
		/* RFC 5492 §4: code (1), length (1), value; a capability must fit in its parameter
		 * (no subcode is defined for this: Unspecific, RFC 4271 §4.5). */
		if (!rbuf_get_u8(param, &code) || !rbuf_get_u8(param, &len) || !rbuf_sub(param, len, &v))
			return open_error(err, BGP_SUB_UNSPECIFIC, NULL, 0);
		if (!parse_cap(code, &v, c, err))
			return false;
	}
	return true;
}

bool bgp_open_decode(rbuf *body, struct bgp_open *out, struct bgp_error *err)
{
	memset(out, 0, sizeof(*out));
	bgp_err_clear(err);
	size_t msg_len = BGP_HEADER_LEN + rbuf_left(body);
	uint8_t len_be[2] = { (uint8_t)(msg_len >> 8), (uint8_t)msg_len };
	uint8_t opt_len8;
	if (!rbuf_get_u8(body, &out->version) || !rbuf_get_u16(body, &out->my_as) ||
	    !rbuf_get_u16(body, &out->hold_time) || !rbuf_get_u32(body, &out->bgp_id) ||
	    !rbuf_get_u8(body, &opt_len8)) {
		/* RFC 4271 §6.1: an OPEN shorter than 29 octets. */
		bgp_err_set(err, BGP_ERR_HEADER, BGP_HDR_BAD_LENGTH, BGP_DISP_SESSION_RESET, len_be, 2);
		return false;
	}
	/* RFC 4271 §6.2: unsupported version; the data is the largest version we support below
	 * the one bid, as a 2-octet number (we only do 4). */
	if (out->version != BGP_VERSION) {
		uint8_t v[2] = { 0, BGP_VERSION };
		return open_error(err, BGP_OPEN_BAD_VERSION, v, 2);
	}
	/* RFC 7607 §2: AS 0 in My AS is "Bad Peer AS". */
	if (out->my_as == 0)
		return open_error(err, BGP_OPEN_BAD_PEER_AS, NULL, 0);
	/* RFC 4271 §6.2: a Hold Time of one or two seconds MUST be rejected. */
	if (out->hold_time == 1 || out->hold_time == 2)
		return open_error(err, BGP_OPEN_BAD_HOLD_TIME, NULL, 0);
	/* RFC 6286 §2.2: the BGP Identifier is a non-zero 4-octet number. */
	if (out->bgp_id == 0)
		return open_error(err, BGP_OPEN_BAD_BGP_ID, NULL, 0);

	bool extended = false;
	size_t opt_len = opt_len8;
	uint8_t first;
	/* RFC 9072 §2: Opt Parm Len 255 followed by a Parm Type of 255 announces a 2-octet
	 * length, and 2-octet parameter lengths. */
	if (opt_len8 == 255 && rbuf_peek_u8(body, 0, &first) && first == OPT_PARAM_EXTENDED) {
		uint16_t ext_len;
		rbuf_skip(body, 1);
		if (!rbuf_get_u16(body, &ext_len)) {
			bgp_err_set(err, BGP_ERR_HEADER, BGP_HDR_BAD_LENGTH, BGP_DISP_SESSION_RESET,
				    len_be, 2);
			return false;
		}
		extended = true;
		opt_len = ext_len;
	}
	/* RFC 4271 §4.2: the optional parameters fill the rest of the message exactly; anything
	 * else makes the Length field wrong (§6.1 Bad Message Length). */
	rbuf params;
	if (rbuf_left(body) != opt_len || !rbuf_sub(body, opt_len, &params)) {
		bgp_err_set(err, BGP_ERR_HEADER, BGP_HDR_BAD_LENGTH, BGP_DISP_SESSION_RESET, len_be, 2);
		return false;
	}
	while (!rbuf_empty(&params)) {
		uint8_t type;
		uint16_t plen16 = 0;
		uint8_t plen8 = 0;
		rbuf param;
		bool ok = rbuf_get_u8(&params, &type);
		if (ok && extended)
			ok = rbuf_get_u16(&params, &plen16);
		else if (ok) {
			ok = rbuf_get_u8(&params, &plen8);
			plen16 = plen8;
		}
		/* A parameter that runs past the Optional Parameters field: Unspecific (§4.5). */
		if (!ok || !rbuf_sub(&params, plen16, &param))
			return open_error(err, BGP_SUB_UNSPECIFIC, NULL, 0);
		/* RFC 4271 §6.2: an unrecognised optional parameter is "Unsupported Optional
		 * Parameter"; Capabilities (RFC 5492 §4) is the only one in use. */
		if (type != OPT_PARAM_CAPABILITIES)
			return open_error(err, BGP_OPEN_UNSUPPORTED_PARAM, NULL, 0);
		if (!parse_caps(&param, &out->caps, err))
			return false;
	}
	return true;
}

/* --- policy and negotiation ------------------------------------------------------------------- */

/* Families the peer can carry: without any multiprotocol capability only IPv4 unicast, the
 * RFC 4271 default (RFC 4760 §8 makes the capability the way to offer any other). */
static uint8_t effective_families(const struct bgp_caps *c)
{
	return c->mp_seen ? c->families : BGP_FAM_BIT(BGP_FAM_IPV4_UNICAST);
}

bool bgp_open_check(const struct bgp_open *remote, const struct bgp_open_policy *pol,
		    struct bgp_error *err)
{
	bgp_err_clear(err);
	uint32_t asn = bgp_open_asn(remote);
	/* RFC 4271 §6.2: My AS not the one we expect is "Bad Peer AS" (with RFC 6793 §4.1 the
	 * 4-octet capability carries the real AS). */
	if (pol->peer_as != 0 && asn != pol->peer_as)
		return open_error(err, BGP_OPEN_BAD_PEER_AS, NULL, 0);
	/* The same for a peer whose AS is learned from this OPEN: an internal one must have our
	 * AS, an external one any other (FRR's "remote-as internal|external"). */
	bool internal = asn == pol->local_as;
	if (pol->peer_as == 0 && ((pol->peer_as_kind == BGP_PEER_AS_INTERNAL && !internal) ||
				  (pol->peer_as_kind == BGP_PEER_AS_EXTERNAL && internal)))
		return open_error(err, BGP_OPEN_BAD_PEER_AS, NULL, 0);
	/* RFC 6286 §2.2: an internal peer with our own BGP Identifier is "Bad BGP Identifier". */
	if (asn == pol->local_as && remote->bgp_id == pol->local_id)
		return open_error(err, BGP_OPEN_BAD_BGP_ID, NULL, 0);
	/* RFC 4271 §6.2: an implementation MAY reject any Hold Time it finds unacceptable. */
	if ((remote->hold_time == 0 && pol->refuse_zero_hold) ||
	    (remote->hold_time != 0 && remote->hold_time < pol->min_hold_time))
		return open_error(err, BGP_OPEN_BAD_HOLD_TIME, NULL, 0);
	/* RFC 5492 §5: when the peer lacks a capability we need, "Unsupported Capability" with
	 * the capabilities in question as data. */
	uint8_t data[16];
	wbuf w = wbuf_make(data, sizeof(data));
	if (pol->require_as4 && !remote->caps.as4) {
		wbuf_put_u8(&w, BGP_CAP_AS4);
		wbuf_put_u8(&w, 4);
		wbuf_put_u32(&w, pol->local_as);
	}
	uint8_t missing = pol->required_families & (uint8_t)~effective_families(&remote->caps);
	for (int f = 0; f < BGP_FAM_COUNT; f++)
		if (missing & BGP_FAM_BIT(f))
			put_cap_mp(&w, (enum bgp_family)f);
	if (wbuf_len(&w) > 0)
		return open_error(err, BGP_OPEN_UNSUPPORTED_CAP, data, wbuf_len(&w));
	return true;
}

void bgp_negotiate(const struct bgp_open *local, const struct bgp_open *remote,
		   struct bgp_negotiated *out)
{
	memset(out, 0, sizeof(*out));
	out->peer_as = bgp_open_asn(remote);
	out->peer_id = remote->bgp_id;
	/* RFC 4271 §4.2: the smaller of our Hold Time and the one received; 0 switches both the
	 * hold timer and keepalives off (§4.4). */
	out->hold_time = local->hold_time < remote->hold_time ? local->hold_time : remote->hold_time;
	/* RFC 5492 §3 / RFC 4760 §8: a family is usable when both sides offered it. */
	out->families = effective_families(&local->caps) & effective_families(&remote->caps);
	/* RFC 6793 §4.1: 4-octet AS numbers only when both sides have the capability. */
	out->as4 = local->caps.as4 && remote->caps.as4;
	/* RFC 2918 §4: we may send ROUTE-REFRESH only to a peer that advertised the capability. */
	out->route_refresh = remote->caps.route_refresh;
	out->gr = local->caps.gr && remote->caps.gr;
	/* RFC 8538 §2: the N bit applies when both sides set it. */
	out->gr_n = out->gr && (local->caps.gr_flags & BGP_GR_FLAG_NOTIFICATION) &&
		    (remote->caps.gr_flags & BGP_GR_FLAG_NOTIFICATION);
	out->peer_gr_time = remote->caps.gr ? remote->caps.gr_time : 0;
	out->peer_gr_forwarding = remote->caps.gr ? remote->caps.gr_forwarding : 0;
}
