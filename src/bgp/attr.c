/*
 * Path attributes (RFC 4271 §4.3, §5): decoding with the RFC 7606 dispositions (§3 flags,
 * duplicates; §4 attribute lengths; §7 per attribute), RFC 7607 (AS 0), RFC 6793 §4.2.2 (AS_TRANS
 * and AS4_PATH towards 2-octet peers), communities of RFC 1997, RFC 4360 and RFC 8092, and
 * MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760 §3-4, IPv6 next hops RFC 2545 §3).
 */
#include "bgp/msg_wire.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

#define WELL_KNOWN BGP_ATTR_FLAG_TRANSITIVE
#define OPT_TRANSITIVE (BGP_ATTR_FLAG_OPTIONAL | BGP_ATTR_FLAG_TRANSITIVE)
#define OPT_NON_TRANSITIVE BGP_ATTR_FLAG_OPTIONAL
#define FLAGS_OT (BGP_ATTR_FLAG_OPTIONAL | BGP_ATTR_FLAG_TRANSITIVE)

/* List attributes are present exactly when their list is non-empty; these use the bit. */
#define SCALAR_ATTRS (BGP_ATTR_BIT(BGP_ATTR_ORIGIN) | BGP_ATTR_BIT(BGP_ATTR_AS_PATH) | \
		      BGP_ATTR_BIT(BGP_ATTR_NEXT_HOP) | BGP_ATTR_BIT(BGP_ATTR_MED) | \
		      BGP_ATTR_BIT(BGP_ATTR_LOCAL_PREF) | BGP_ATTR_BIT(BGP_ATTR_ATOMIC_AGGREGATE) | \
		      BGP_ATTR_BIT(BGP_ATTR_AGGREGATOR))

/* The Optional and Transitive bits each known attribute must carry (RFC 4271 §5, RFC 4760 §3-4,
 * RFC 1997, RFC 4360 §2, RFC 8092 §3); -1 for types we do not decode. */
static int expected_flags(uint8_t type)
{
	switch (type) {
	case BGP_ATTR_ORIGIN:
	case BGP_ATTR_AS_PATH:
	case BGP_ATTR_NEXT_HOP:
	case BGP_ATTR_LOCAL_PREF:
	case BGP_ATTR_ATOMIC_AGGREGATE:
		return WELL_KNOWN;
	case BGP_ATTR_MED:
	case BGP_ATTR_MP_REACH_NLRI:
	case BGP_ATTR_MP_UNREACH_NLRI:
		return OPT_NON_TRANSITIVE;
	case BGP_ATTR_AGGREGATOR:
	case BGP_ATTR_COMMUNITIES:
	case BGP_ATTR_EXT_COMMUNITIES:
	case BGP_ATTR_LARGE_COMMUNITIES:
		return OPT_TRANSITIVE;
	default:
		return -1;
	}
}

/* One attribute being decoded: where it starts (for error data) and its value. */
struct attr {
	rbuf start;
	size_t total;        /* header + value */
	uint8_t flags;
	uint8_t type;
	rbuf val;
};

static void note(struct bgp_attr_ctx *c, const struct attr *a, uint8_t subcode,
		 enum bgp_disposition d)
{
	bgp_err_note(c->err, &c->u->disposition, BGP_ERR_UPDATE, subcode, d, a->start, a->total);
}

static bool reset(struct bgp_attr_ctx *c, const struct attr *a, uint8_t subcode)
{
	bgp_err_set_span(c->err, BGP_ERR_UPDATE, subcode, BGP_DISP_SESSION_RESET, a->start, a->total);
	c->u->disposition = BGP_DISP_SESSION_RESET;
	return false;
}

/* --- AS_PATH ---------------------------------------------------------------------------------- */

/* RFC 7606 §7.2: malformed on an unknown segment type, a zero Path Segment Length, an overrun,
 * or a single octet left over; RFC 7607 §2: AS 0 anywhere. Counts segments and ASNs. */
static bool aspath_check(rbuf v, size_t asn_size, size_t *nsegs, size_t *nasns)
{
	*nsegs = 0;
	*nasns = 0;
	while (!rbuf_empty(&v)) {
		uint8_t type, count;
		if (!rbuf_get_u8(&v, &type) || !rbuf_get_u8(&v, &count))
			return false;
		if (type < BGP_AS_SET || type > BGP_AS_CONFED_SET || count == 0)
			return false;
		for (unsigned i = 0; i < count; i++) {
			uint32_t asn = 0;
			uint16_t asn16;
			bool ok = asn_size == 4 ? rbuf_get_u32(&v, &asn) : rbuf_get_u16(&v, &asn16);
			if (!ok)
				return false;
			if (asn_size == 2)
				asn = asn16;
			if (asn == 0)
				return false;
		}
		(*nsegs)++;
		*nasns += count;
	}
	return true;
}

static void aspath_decode(struct bgp_attr_ctx *c, struct attr *a)
{
	size_t asn_size = c->opts->as4 ? 4 : 2;
	size_t nsegs, nasns;
	if (!aspath_check(a->val, asn_size, &nsegs, &nasns)) {
		note(c, a, BGP_UPD_MALFORMED_AS_PATH, BGP_DISP_TREAT_AS_WITHDRAW);
		return;
	}
	struct bgp_attrs *at = &c->u->attrs;
	at->present |= BGP_ATTR_BIT(BGP_ATTR_AS_PATH);
	if (nsegs == 0)
		return;
	at->aspath = xcalloc(nsegs, sizeof(*at->aspath));
	uint32_t *asns = xcalloc(nasns, sizeof(*asns));
	for (size_t s = 0; s < nsegs; s++) {
		struct bgp_as_segment *seg = &at->aspath[s];
		rbuf_get_u8(&a->val, &seg->type);
		rbuf_get_u8(&a->val, &seg->count);
		seg->asns = asns;
		for (unsigned i = 0; i < seg->count; i++) {
			uint16_t asn16;
			if (asn_size == 4) {
				rbuf_get_u32(&a->val, &asns[i]);
			} else {
				rbuf_get_u16(&a->val, &asn16);
				asns[i] = asn16;
			}
		}
		asns += seg->count;
	}
	at->aspath_len = nsegs;
}

/* --- MP_REACH_NLRI / MP_UNREACH_NLRI ---------------------------------------------------------- */

static bool mp_reach_decode(struct bgp_attr_ctx *c, struct attr *a)
{
	uint16_t afi;
	uint8_t safi, nh_len, reserved;
	rbuf nh;
	struct bgp_update *u = c->u;
	/* RFC 4760 §3: AFI, SAFI, Length of Next Hop, Next Hop, Reserved, NLRI. A next hop that
	 * does not fit makes the NLRI impossible to find: session reset (RFC 7606 §7.11), with
	 * Optional Attribute Error (RFC 4760 §7). */
	if (!rbuf_get_u16(&a->val, &afi) || !rbuf_get_u8(&a->val, &safi) ||
	    !rbuf_get_u8(&a->val, &nh_len) || !rbuf_sub(&a->val, nh_len, &nh) ||
	    !rbuf_get_u8(&a->val, &reserved))
		return reset(c, a, BGP_UPD_OPTIONAL_ATTR);
	enum bgp_family f;
	if (!bgp_family_from_afi_safi(afi, safi, &f))
		return true;   /* a family we never offered: nothing of ours to withdraw */
	uint8_t bytes[16];
	/* RFC 7606 §7.11: a Length of Next Hop the family does not allow is a session reset:
	 * 4 for IPv4; 16, or 32 with the link-local address, for IPv6 (RFC 2545 §3). */
	if (f == BGP_FAM_IPV4_UNICAST) {
		if (nh_len != 4)
			return reset(c, a, BGP_UPD_OPTIONAL_ATTR);
		rbuf_get_bytes(&nh, bytes, 4);
		u->mp_next_hop = bgp_ip_from_wire(IP_V4, bytes);
	} else {
		if (nh_len != 16 && nh_len != 32)
			return reset(c, a, BGP_UPD_OPTIONAL_ATTR);
		rbuf_get_bytes(&nh, bytes, 16);
		u->mp_next_hop = bgp_ip_from_wire(IP_V6, bytes);
		if (nh_len == 32) {
			rbuf_get_bytes(&nh, bytes, 16);
			u->mp_next_hop_ll = bgp_ip_from_wire(IP_V6, bytes);
		}
	}
	/* RFC 7606 §5.3 (with §7.11): NLRI that cannot be parsed cannot be withdrawn either. */
	if (!bgp_prefixes_decode(a->val, bgp_family_ip(f), &u->mp_reach))
		return reset(c, a, BGP_UPD_OPTIONAL_ATTR);
	u->has_mp_reach = true;
	u->mp_reach_family = f;
	return true;
}

static bool mp_unreach_decode(struct bgp_attr_ctx *c, struct attr *a)
{
	uint16_t afi;
	uint8_t safi;
	struct bgp_update *u = c->u;
	/* RFC 4760 §4: AFI, SAFI, Withdrawn Routes; errors as for MP_REACH_NLRI (RFC 4760 §7,
	 * RFC 7606 §5.3). */
	if (!rbuf_get_u16(&a->val, &afi) || !rbuf_get_u8(&a->val, &safi))
		return reset(c, a, BGP_UPD_OPTIONAL_ATTR);
	enum bgp_family f;
	if (!bgp_family_from_afi_safi(afi, safi, &f))
		return true;
	if (!bgp_prefixes_decode(a->val, bgp_family_ip(f), &u->mp_unreach))
		return reset(c, a, BGP_UPD_OPTIONAL_ATTR);
	u->has_mp_unreach = true;
	u->mp_unreach_family = f;
	return true;
}

/* --- the other attributes ----------------------------------------------------------------------- */

/* An IPv4 NEXT_HOP that cannot be one: unspecified, limited broadcast, multicast. */
static bool next_hop_bad(const uint8_t b[4])
{
	uint32_t v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return v == 0 || v == 0xffffffffu || (b[0] & 0xf0) == 0xe0;
}

static bool u32_list(struct attr *a, size_t unit, size_t *n)
{
	size_t len = rbuf_left(&a->val);
	if (len == 0 || len % unit != 0)
		return false;
	*n = len / unit;
	return true;
}

static bool attr_decode(struct bgp_attr_ctx *c, struct attr *a)
{
	struct bgp_attrs *at = &c->u->attrs;
	size_t len = rbuf_left(&a->val);
	size_t n;
	uint8_t b4[4];

	int want = expected_flags(a->type);
	if (want < 0) {
		/* RFC 4271 §6.3: an unrecognised well-known attribute is "Unrecognized Well-known
		 * Attribute" with the attribute as data (not revised by RFC 7606). */
		if (!(a->flags & BGP_ATTR_FLAG_OPTIONAL))
			return reset(c, a, BGP_UPD_UNRECOGNIZED_WELLKNOWN);
		/* RFC 4271 §5: unrecognised optional attributes are ignored here (nothing we
		 * decode is passed on); AS4_PATH/AS4_AGGREGATOR from a 4-octet peer are to be
		 * discarded anyway (RFC 6793 §4.1). */
		return true;
	}
	/* RFC 7606 §3 c: Optional or Transitive bits in conflict with the attribute's
	 * definition make it malformed: treat-as-withdraw. MP attributes are still parsed so
	 * their NLRI can be withdrawn. */
	if ((a->flags & FLAGS_OT) != want) {
		note(c, a, BGP_UPD_ATTR_FLAGS, BGP_DISP_TREAT_AS_WITHDRAW);
		if (a->type != BGP_ATTR_MP_REACH_NLRI && a->type != BGP_ATTR_MP_UNREACH_NLRI)
			return true;
	}

	switch (a->type) {
	case BGP_ATTR_ORIGIN:
		/* RFC 7606 §7.1: a length other than 1 or an undefined value: treat-as-withdraw
		 * (RFC 4271 §6.3 subcodes Attribute Length Error / Invalid ORIGIN). */
		if (len != 1) {
			note(c, a, BGP_UPD_ATTR_LENGTH, BGP_DISP_TREAT_AS_WITHDRAW);
			return true;
		}
		rbuf_get_u8(&a->val, &at->origin);
		if (at->origin > BGP_ORIGIN_INCOMPLETE) {
			at->origin = 0;
			note(c, a, BGP_UPD_INVALID_ORIGIN, BGP_DISP_TREAT_AS_WITHDRAW);
			return true;
		}
		at->present |= BGP_ATTR_BIT(BGP_ATTR_ORIGIN);
		return true;
	case BGP_ATTR_AS_PATH:
		aspath_decode(c, a);
		return true;
	case BGP_ATTR_NEXT_HOP:
		/* RFC 7606 §7.3: a length other than 4, or a syntactically incorrect address
		 * (RFC 4271 §6.3 Invalid NEXT_HOP): treat-as-withdraw. */
		if (len != 4) {
			note(c, a, BGP_UPD_ATTR_LENGTH, BGP_DISP_TREAT_AS_WITHDRAW);
			return true;
		}
		rbuf_get_bytes(&a->val, b4, 4);
		if (next_hop_bad(b4)) {
			note(c, a, BGP_UPD_INVALID_NEXT_HOP, BGP_DISP_TREAT_AS_WITHDRAW);
			return true;
		}
		at->next_hop = bgp_ip_from_wire(IP_V4, b4);
		at->present |= BGP_ATTR_BIT(BGP_ATTR_NEXT_HOP);
		return true;
	case BGP_ATTR_MED:
		/* RFC 7606 §7.4: a length other than 4: treat-as-withdraw. */
		if (len != 4) {
			note(c, a, BGP_UPD_ATTR_LENGTH, BGP_DISP_TREAT_AS_WITHDRAW);
			return true;
		}
		rbuf_get_u32(&a->val, &at->med);
		at->present |= BGP_ATTR_BIT(BGP_ATTR_MED);
		return true;
	case BGP_ATTR_LOCAL_PREF:
		/* RFC 4271 §5.1.5 and RFC 7606 §7.5: from an external peer it is discarded;
		 * from an internal one a length other than 4 is treat-as-withdraw. */
		if (!c->opts->ibgp)
			return true;
		if (len != 4) {
			note(c, a, BGP_UPD_ATTR_LENGTH, BGP_DISP_TREAT_AS_WITHDRAW);
			return true;
		}
		rbuf_get_u32(&a->val, &at->local_pref);
		at->present |= BGP_ATTR_BIT(BGP_ATTR_LOCAL_PREF);
		return true;
	case BGP_ATTR_ATOMIC_AGGREGATE:
		/* RFC 7606 §7.6: a length other than 0: attribute discard. */
		if (len != 0) {
			note(c, a, BGP_UPD_ATTR_LENGTH, BGP_DISP_ATTR_DISCARD);
			return true;
		}
		at->present |= BGP_ATTR_BIT(BGP_ATTR_ATOMIC_AGGREGATE);
		return true;
	case BGP_ATTR_AGGREGATOR: {
		/* RFC 7606 §7.7: a length other than 6 (8 with 4-octet AS numbers): attribute
		 * discard; RFC 7607 §2: so is AS 0. */
		uint32_t asn = 0;
		uint16_t asn16;
		if (len != (c->opts->as4 ? 8u : 6u)) {
			note(c, a, BGP_UPD_ATTR_LENGTH, BGP_DISP_ATTR_DISCARD);
			return true;
		}
		if (c->opts->as4) {
			rbuf_get_u32(&a->val, &asn);
		} else {
			rbuf_get_u16(&a->val, &asn16);
			asn = asn16;
		}
		if (asn == 0) {
			note(c, a, BGP_UPD_OPTIONAL_ATTR, BGP_DISP_ATTR_DISCARD);
			return true;
		}
		at->aggregator_as = asn;
		rbuf_get_u32(&a->val, &at->aggregator_id);
		at->present |= BGP_ATTR_BIT(BGP_ATTR_AGGREGATOR);
		return true;
	}
	case BGP_ATTR_COMMUNITIES:
		/* RFC 7606 §7.8: a length that is not a non-zero multiple of 4: treat-as-withdraw. */
		if (!u32_list(a, 4, &n)) {
			note(c, a, BGP_UPD_ATTR_LENGTH, BGP_DISP_TREAT_AS_WITHDRAW);
			return true;
		}
		at->communities = xcalloc(n, sizeof(*at->communities));
		for (size_t i = 0; i < n; i++)
			rbuf_get_u32(&a->val, &at->communities[i]);
		at->ncommunities = n;
		at->present |= BGP_ATTR_BIT(BGP_ATTR_COMMUNITIES);
		return true;
	case BGP_ATTR_EXT_COMMUNITIES:
		/* RFC 7606 §7.14: a length that is not a non-zero multiple of 8: treat-as-withdraw. */
		if (!u32_list(a, 8, &n)) {
			note(c, a, BGP_UPD_ATTR_LENGTH, BGP_DISP_TREAT_AS_WITHDRAW);
			return true;
		}
		at->ext_communities = xcalloc(n, sizeof(*at->ext_communities));
		for (size_t i = 0; i < n; i++) {
			uint32_t hi, lo;
			rbuf_get_u32(&a->val, &hi);
			rbuf_get_u32(&a->val, &lo);
			at->ext_communities[i] = (uint64_t)hi << 32 | lo;
		}
		at->next_communities = n;
		at->present |= BGP_ATTR_BIT(BGP_ATTR_EXT_COMMUNITIES);
		return true;
	case BGP_ATTR_LARGE_COMMUNITIES:
		/* RFC 8092 §6: a length that is not a non-zero multiple of 12: treat-as-withdraw. */
		if (!u32_list(a, 12, &n)) {
			note(c, a, BGP_UPD_ATTR_LENGTH, BGP_DISP_TREAT_AS_WITHDRAW);
			return true;
		}
		at->large_communities = xcalloc(n, sizeof(*at->large_communities));
		for (size_t i = 0; i < n; i++) {
			struct bgp_large_community *lc = &at->large_communities[i];
			rbuf_get_u32(&a->val, &lc->global);
			rbuf_get_u32(&a->val, &lc->local1);
			rbuf_get_u32(&a->val, &lc->local2);
		}
		at->nlarge_communities = n;
		at->present |= BGP_ATTR_BIT(BGP_ATTR_LARGE_COMMUNITIES);
		return true;
	case BGP_ATTR_MP_REACH_NLRI:
		return mp_reach_decode(c, a);
	case BGP_ATTR_MP_UNREACH_NLRI:
		return mp_unreach_decode(c, a);
	default:
		return true;
	}
}

bool bgp_attrs_decode(rbuf field, struct bgp_attr_ctx *c)
{
	while (!rbuf_empty(&field)) {
		struct attr a = { .start = field };
		uint16_t len16 = 0;
		uint8_t len8 = 0;
		bool ok = rbuf_get_u8(&field, &a.flags) && rbuf_get_u8(&field, &a.type);
		if (ok && (a.flags & BGP_ATTR_FLAG_EXTENDED))
			ok = rbuf_get_u16(&field, &len16);
		else if (ok) {
			ok = rbuf_get_u8(&field, &len8);
			len16 = len8;
		}
		/* RFC 7606 §4: fewer octets left than an attribute header, or a value running
		 * past the Total Path Attribute Length: treat-as-withdraw, and the Total Path
		 * Attribute Length still locates the NLRI. Nothing after this point is usable. */
		if (!ok || !rbuf_sub(&field, len16, &a.val)) {
			a.total = rbuf_left(&a.start);
			note(c, &a, BGP_UPD_MALFORMED_ATTR_LIST, BGP_DISP_TREAT_AS_WITHDRAW);
			return true;
		}
		a.total = rbuf_left(&a.start) - rbuf_left(&field);
		/* RFC 7606 §3 g: MP_REACH_NLRI or MP_UNREACH_NLRI more than once is "Malformed
		 * Attribute List" (session reset); any other repeated attribute keeps its first
		 * occurrence only. */
		if (c->seen[a.type / 8] & (1u << (a.type % 8))) {
			if (a.type == BGP_ATTR_MP_REACH_NLRI || a.type == BGP_ATTR_MP_UNREACH_NLRI) {
				bgp_err_set(c->err, BGP_ERR_UPDATE, BGP_UPD_MALFORMED_ATTR_LIST,
					    BGP_DISP_SESSION_RESET, NULL, 0);
				c->u->disposition = BGP_DISP_SESSION_RESET;
				return false;
			}
			continue;
		}
		c->seen[a.type / 8] |= (uint8_t)(1u << (a.type % 8));
		if (!attr_decode(c, &a))
			return false;
	}
	return true;
}

/* --- encoding ----------------------------------------------------------------------------------- */

void bgp_attr_put_header(wbuf *w, uint8_t flags, uint8_t type, size_t len)
{
	/* RFC 4271 §4.3: the Extended Length bit selects a 2-octet Attribute Length. */
	if (len > 255) {
		wbuf_put_u8(w, flags | BGP_ATTR_FLAG_EXTENDED);
		wbuf_put_u8(w, type);
		wbuf_put_u16(w, len > UINT16_MAX ? UINT16_MAX : (uint16_t)len);
	} else {
		wbuf_put_u8(w, flags);
		wbuf_put_u8(w, type);
		wbuf_put_u8(w, (uint8_t)len);
	}
}

static bool aspath_needs_as4_path(const struct bgp_attrs *a)
{
	for (size_t s = 0; s < a->aspath_len; s++)
		for (unsigned i = 0; i < a->aspath[s].count; i++)
			if (a->aspath[s].asns[i] > UINT16_MAX)
				return true;
	return false;
}

/* Writes the AS_PATH segments with asn_size-octet numbers (AS_TRANS for what does not fit in
 * two, RFC 6793 §4.2.2). */
static void put_aspath(wbuf *w, uint8_t type, uint8_t flags, const struct bgp_attrs *a,
		       size_t asn_size, bool skip_confed)
{
	size_t len = 0;
	for (size_t s = 0; s < a->aspath_len; s++) {
		if (skip_confed && a->aspath[s].type >= BGP_AS_CONFED_SEQUENCE)
			continue;
		len += 2 + asn_size * a->aspath[s].count;
	}
	bgp_attr_put_header(w, flags, type, len);
	for (size_t s = 0; s < a->aspath_len; s++) {
		const struct bgp_as_segment *seg = &a->aspath[s];
		if (skip_confed && seg->type >= BGP_AS_CONFED_SEQUENCE)
			continue;
		wbuf_put_u8(w, seg->type);
		wbuf_put_u8(w, seg->count);
		for (unsigned i = 0; i < seg->count; i++) {
			uint32_t asn = seg->asns[i];
			if (asn_size == 4)
				wbuf_put_u32(w, asn);
			else
				wbuf_put_u16(w, asn > UINT16_MAX ? BGP_AS_TRANS : (uint16_t)asn);
		}
	}
}

void bgp_attrs_encode(wbuf *w, const struct bgp_codec_opts *o, const struct bgp_attrs *a)
{
	uint64_t p = a->present;
	if (p & BGP_ATTR_BIT(BGP_ATTR_ORIGIN)) {
		bgp_attr_put_header(w, WELL_KNOWN, BGP_ATTR_ORIGIN, 1);
		wbuf_put_u8(w, a->origin);
	}
	if (p & BGP_ATTR_BIT(BGP_ATTR_AS_PATH))
		put_aspath(w, BGP_ATTR_AS_PATH, WELL_KNOWN, a, o->as4 ? 4 : 2, false);
	if (p & BGP_ATTR_BIT(BGP_ATTR_NEXT_HOP)) {
		bgp_attr_put_header(w, WELL_KNOWN, BGP_ATTR_NEXT_HOP, 4);
		wbuf_put_bytes(w, a->next_hop.bytes, 4);
	}
	if (p & BGP_ATTR_BIT(BGP_ATTR_MED)) {
		bgp_attr_put_header(w, OPT_NON_TRANSITIVE, BGP_ATTR_MED, 4);
		wbuf_put_u32(w, a->med);
	}
	if (p & BGP_ATTR_BIT(BGP_ATTR_LOCAL_PREF)) {
		bgp_attr_put_header(w, WELL_KNOWN, BGP_ATTR_LOCAL_PREF, 4);
		wbuf_put_u32(w, a->local_pref);
	}
	if (p & BGP_ATTR_BIT(BGP_ATTR_ATOMIC_AGGREGATE))
		bgp_attr_put_header(w, WELL_KNOWN, BGP_ATTR_ATOMIC_AGGREGATE, 0);
	if (p & BGP_ATTR_BIT(BGP_ATTR_AGGREGATOR)) {
		bgp_attr_put_header(w, OPT_TRANSITIVE, BGP_ATTR_AGGREGATOR, o->as4 ? 8 : 6);
		if (o->as4)
			wbuf_put_u32(w, a->aggregator_as);
		else
			wbuf_put_u16(w, a->aggregator_as > UINT16_MAX ? BGP_AS_TRANS
								   : (uint16_t)a->aggregator_as);
		wbuf_put_u32(w, a->aggregator_id);
	}
	if (a->ncommunities > 0) {
		bgp_attr_put_header(w, OPT_TRANSITIVE, BGP_ATTR_COMMUNITIES, 4 * a->ncommunities);
		for (size_t i = 0; i < a->ncommunities; i++)
			wbuf_put_u32(w, a->communities[i]);
	}
	if (a->next_communities > 0) {
		bgp_attr_put_header(w, OPT_TRANSITIVE, BGP_ATTR_EXT_COMMUNITIES,
				    8 * a->next_communities);
		for (size_t i = 0; i < a->next_communities; i++) {
			wbuf_put_u32(w, (uint32_t)(a->ext_communities[i] >> 32));
			wbuf_put_u32(w, (uint32_t)a->ext_communities[i]);
		}
	}
	/* RFC 6793 §4.2.2: towards a 2-octet peer, a path with 4-octet numbers also goes out as
	 * AS4_PATH (confederation segments left out). */
	if ((p & BGP_ATTR_BIT(BGP_ATTR_AS_PATH)) && !o->as4 && aspath_needs_as4_path(a))
		put_aspath(w, BGP_ATTR_AS4_PATH, OPT_TRANSITIVE, a, 4, true);
	if (a->nlarge_communities > 0) {
		bgp_attr_put_header(w, OPT_TRANSITIVE, BGP_ATTR_LARGE_COMMUNITIES,
				    12 * a->nlarge_communities);
		for (size_t i = 0; i < a->nlarge_communities; i++) {
			wbuf_put_u32(w, a->large_communities[i].global);
			wbuf_put_u32(w, a->large_communities[i].local1);
			wbuf_put_u32(w, a->large_communities[i].local2);
		}
	}
}

/* --- comparison, release, link bandwidth ------------------------------------------------------ */

static bool ip_same(const ip_addr *a, const ip_addr *b)
{
	return a->family == b->family && memcmp(a->bytes, b->bytes, sizeof(a->bytes)) == 0;
}

bool bgp_attrs_equal(const struct bgp_attrs *a, const struct bgp_attrs *b)
{
	uint64_t pa = a->present & SCALAR_ATTRS, pb = b->present & SCALAR_ATTRS;
	if (pa != pb)
		return false;
	if ((pa & BGP_ATTR_BIT(BGP_ATTR_ORIGIN)) && a->origin != b->origin)
		return false;
	if ((pa & BGP_ATTR_BIT(BGP_ATTR_NEXT_HOP)) && !ip_same(&a->next_hop, &b->next_hop))
		return false;
	if ((pa & BGP_ATTR_BIT(BGP_ATTR_MED)) && a->med != b->med)
		return false;
	if ((pa & BGP_ATTR_BIT(BGP_ATTR_LOCAL_PREF)) && a->local_pref != b->local_pref)
		return false;
	if ((pa & BGP_ATTR_BIT(BGP_ATTR_AGGREGATOR)) &&
	    (a->aggregator_as != b->aggregator_as || a->aggregator_id != b->aggregator_id))
		return false;
	if ((pa & BGP_ATTR_BIT(BGP_ATTR_AS_PATH))) {
		if (a->aspath_len != b->aspath_len)
			return false;
		for (size_t s = 0; s < a->aspath_len; s++) {
			const struct bgp_as_segment *x = &a->aspath[s], *y = &b->aspath[s];
			if (x->type != y->type || x->count != y->count)
				return false;
			for (unsigned i = 0; i < x->count; i++)
				if (x->asns[i] != y->asns[i])
					return false;
		}
	}
	if (a->ncommunities != b->ncommunities || a->next_communities != b->next_communities ||
	    a->nlarge_communities != b->nlarge_communities)
		return false;
	for (size_t i = 0; i < a->ncommunities; i++)
		if (a->communities[i] != b->communities[i])
			return false;
	for (size_t i = 0; i < a->next_communities; i++)
		if (a->ext_communities[i] != b->ext_communities[i])
			return false;
	for (size_t i = 0; i < a->nlarge_communities; i++) {
		const struct bgp_large_community *x = &a->large_communities[i];
		const struct bgp_large_community *y = &b->large_communities[i];
		if (x->global != y->global || x->local1 != y->local1 || x->local2 != y->local2)
			return false;
	}
	return true;
}

void bgp_attrs_free(struct bgp_attrs *a)
{
	if (a->aspath_len > 0)
		free(a->aspath[0].asns);
	free(a->aspath);
	free(a->communities);
	free(a->ext_communities);
	free(a->large_communities);
	memset(a, 0, sizeof(*a));
}

uint64_t bgp_ext_community_link_bandwidth(uint16_t asn, float bytes_per_second)
{
	uint32_t bits;
	memcpy(&bits, &bytes_per_second, sizeof(bits));
	return (uint64_t)0x40 << 56 | (uint64_t)0x04 << 48 | (uint64_t)asn << 32 | bits;
}

bool bgp_ext_community_is_link_bandwidth(uint64_t ec, uint16_t *asn, float *bytes_per_second)
{
	/* Type 0x40 (non-transitive two-octet AS specific) or 0x00 (transitive), subtype 0x04. */
	uint8_t type = (uint8_t)(ec >> 56), subtype = (uint8_t)(ec >> 48);
	if ((type != 0x40 && type != 0x00) || subtype != 0x04)
		return false;
	uint32_t bits = (uint32_t)ec;
	*asn = (uint16_t)(ec >> 32);
	memcpy(bytes_per_second, &bits, sizeof(bits));
	return true;
}
