/*
 * libFuzzer target for the BGP message codec (bgp/msg.h). The first input byte picks the
 * session options (bit 0: 4-octet AS, bit 1: internal peer) and, for OPENs, the kind of peer AS
 * the policy expects (bits 2-3: any, dynamic internal, dynamic external, any; MetalLB's
 * dynamicASN), the rest is a byte stream framed
 * with bgp_frame(). Each message that decodes is encoded again and decoded a second time, and
 * both typed results must agree; an UPDATE's prefixes are also re-packed with
 * bgp_update_pack(). A decode error must carry a NOTIFICATION that itself round-trips.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bgp/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static uint8_t out[2 * BGP_MAX_MSG_LEN];
static struct bgp_error err, err2;

static bool prefixes_same(const struct bgp_prefixes *a, const struct bgp_prefixes *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].len != b->v[i].len || a->v[i].addr.family != b->v[i].addr.family ||
		    memcmp(a->v[i].addr.bytes, b->v[i].addr.bytes, 16) != 0)
			return false;
	return true;
}

static bool addr_same(const ip_addr *a, const ip_addr *b)
{
	return a->family == b->family && memcmp(a->bytes, b->bytes, 16) == 0;
}

static void decode_again(size_t len, const struct bgp_codec_opts *o, struct bgp_msg *m2)
{
	rbuf r = rbuf_make(out, len);
	CHECK(bgp_msg_decode(&r, o, m2, &err2));
}

static void check_open(const struct bgp_open *a, const struct bgp_codec_opts *o,
		       enum bgp_peer_as_kind kind)
{
	wbuf w = wbuf_make(out, sizeof(out));
	bgp_open_encode(&w, a);
	CHECK(wbuf_ok(&w));
	struct bgp_msg m2;
	decode_again(wbuf_len(&w), o, &m2);
	const struct bgp_open *b = &m2.u.open;
	CHECK(a->version == b->version && a->my_as == b->my_as && a->hold_time == b->hold_time &&
	      a->bgp_id == b->bgp_id);
	const struct bgp_caps *x = &a->caps, *y = &b->caps;
	CHECK(x->families == y->families && x->as4 == y->as4 && x->route_refresh == y->route_refresh &&
	      x->gr == y->gr);
	if (x->as4)
		CHECK(x->as4_asn == y->as4_asn);
	if (x->gr)
		CHECK(x->gr_flags == y->gr_flags && x->gr_time == y->gr_time &&
		      x->gr_families == y->gr_families && x->gr_forwarding == y->gr_forwarding);

	/* The policy check answers with an OPEN Message Error or nothing; negotiation takes the
	 * smaller hold time and only families both sides offer. */
	struct bgp_open local;
	bgp_open_init(&local, 65001, 90, 1);
	local.caps.mp_seen = true;
	local.caps.families = BGP_FAM_BIT(BGP_FAM_IPV4_UNICAST) | BGP_FAM_BIT(BGP_FAM_IPV6_UNICAST);
	struct bgp_open_policy pol = { .local_as = 65001, .local_id = 1, .peer_as = 0,
				       .peer_as_kind = kind,
				       .min_hold_time = 3, .require_as4 = a->my_as & 1,
				       .required_families = (uint8_t)(a->bgp_id & 3) };
	if (!bgp_open_check(a, &pol, &err)) {
		CHECK(err.code == BGP_ERR_OPEN && err.disposition == BGP_DISP_SESSION_RESET &&
		      (err.subcode == BGP_OPEN_BAD_BGP_ID || err.subcode == BGP_OPEN_BAD_HOLD_TIME ||
		       err.subcode == BGP_OPEN_UNSUPPORTED_CAP ||
		       (kind != BGP_PEER_AS_ANY && err.subcode == BGP_OPEN_BAD_PEER_AS)));
	} else {
		/* A dynamic AS is learned from the OPEN: internal means ours, external any other. */
		bool internal = bgp_open_asn(a) == pol.local_as;
		CHECK(kind != BGP_PEER_AS_INTERNAL || internal);
		CHECK(kind != BGP_PEER_AS_EXTERNAL || !internal);
	}
	struct bgp_negotiated n;
	bgp_negotiate(&local, a, &n);
	CHECK(n.hold_time <= 90 && n.hold_time <= a->hold_time &&
	      (n.hold_time == 90 || n.hold_time == a->hold_time));
	CHECK((n.families & (uint8_t)~local.caps.families) == 0);
	CHECK(n.peer_as == bgp_open_asn(a) && n.peer_as != 0);
}

/* Packs the IPv4 NLRI again with the same attributes and checks every prefix comes back. */
static void check_pack(const struct bgp_update *u, const struct bgp_codec_opts *o)
{
	struct bgp_pack p = {
		.family = BGP_FAM_IPV4_UNICAST, .attrs = &u->attrs, .prefixes = u->nlri.v,
		.n = u->nlri.n,
	};
	size_t at = 0;
	while (p.n > 0) {
		wbuf w = wbuf_make(out, BGP_MAX_MSG_LEN);
		size_t k = bgp_update_pack(&w, o, &p);
		CHECK(k > 0 && wbuf_len(&w) <= BGP_MAX_MSG_LEN);
		struct bgp_msg m2;
		decode_again(wbuf_len(&w), o, &m2);
		CHECK(m2.u.update.disposition == BGP_DISP_NONE);
		struct bgp_prefixes want = { .n = k, .v = u->nlri.v + at };
		CHECK(prefixes_same(&m2.u.update.nlri, &want));
		bgp_msg_free(&m2);
		at += k;
		p.prefixes += k;
		p.n -= k;
	}
}

static void check_update(const struct bgp_update *a, const struct bgp_codec_opts *o)
{
	if (a->disposition != BGP_DISP_NONE && a->disposition != BGP_DISP_ATTR_DISCARD)
		return;
	wbuf w = wbuf_make(out, sizeof(out));
	CHECK(bgp_update_encode(&w, o, a));
	/* What we decoded never takes more room than what was sent. */
	CHECK(wbuf_len(&w) <= BGP_MAX_MSG_LEN);
	struct bgp_msg m2;
	decode_again(wbuf_len(&w), o, &m2);
	const struct bgp_update *b = &m2.u.update;
	CHECK(b->disposition == BGP_DISP_NONE);
	CHECK(prefixes_same(&a->withdrawn, &b->withdrawn));
	CHECK(prefixes_same(&a->nlri, &b->nlri));
	CHECK(bgp_attrs_equal(&a->attrs, &b->attrs));
	CHECK(a->has_mp_reach == b->has_mp_reach && a->has_mp_unreach == b->has_mp_unreach);
	if (a->has_mp_reach)
		CHECK(a->mp_reach_family == b->mp_reach_family &&
		      addr_same(&a->mp_next_hop, &b->mp_next_hop) &&
		      addr_same(&a->mp_next_hop_ll, &b->mp_next_hop_ll) &&
		      prefixes_same(&a->mp_reach, &b->mp_reach));
	if (a->has_mp_unreach)
		CHECK(a->mp_unreach_family == b->mp_unreach_family &&
		      prefixes_same(&a->mp_unreach, &b->mp_unreach));
	enum bgp_family fa, fb;
	bool ea = bgp_update_is_eor(a, &fa), eb = bgp_update_is_eor(b, &fb);
	CHECK(ea == eb && (!ea || fa == fb));
	bgp_msg_free(&m2);
	if (a->nlri.n > 0 && (a->attrs.present & BGP_ATTR_BIT(BGP_ATTR_NEXT_HOP)))
		check_pack(a, o);
}

static void check_notification(const struct bgp_notification *a, const struct bgp_codec_opts *o)
{
	wbuf w = wbuf_make(out, sizeof(out));
	bgp_notification_encode(&w, a->code, a->subcode, a->data, a->data_len);
	CHECK(wbuf_ok(&w));
	struct bgp_msg m2;
	decode_again(wbuf_len(&w), o, &m2);
	const struct bgp_notification *b = &m2.u.notification;
	CHECK(a->code == b->code && a->subcode == b->subcode && a->data_len == b->data_len &&
	      a->hard_reset == b->hard_reset);
	CHECK(a->data_len == 0 || memcmp(a->data, b->data, a->data_len) == 0);
}

/* The NOTIFICATION for a decode error is well-formed and carries what the error says. */
static void check_error(const struct bgp_codec_opts *o)
{
	CHECK(err.code >= BGP_ERR_HEADER && err.code <= BGP_ERR_UPDATE);
	CHECK(err.disposition == BGP_DISP_SESSION_RESET);
	wbuf w = wbuf_make(out, sizeof(out));
	bgp_notification_encode_error(&w, &err);
	CHECK(wbuf_ok(&w) && wbuf_len(&w) <= BGP_MAX_MSG_LEN);
	struct bgp_msg m2;
	decode_again(wbuf_len(&w), o, &m2);
	CHECK(m2.type == BGP_MSG_NOTIFICATION && m2.u.notification.code == err.code &&
	      m2.u.notification.subcode == err.subcode &&
	      m2.u.notification.data_len == err.data_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rbuf in = rbuf_make(data, size);
	uint8_t flags;
	if (!rbuf_get_u8(&in, &flags))
		return 0;
	struct bgp_codec_opts o = { .as4 = flags & 1, .ibgp = (flags & 2) != 0 };
	unsigned k = (flags >> 2) & 3;
	enum bgp_peer_as_kind kind = k == 1 ? BGP_PEER_AS_INTERNAL :
				     k == 2 ? BGP_PEER_AS_EXTERNAL : BGP_PEER_AS_ANY;
	for (;;) {
		struct bgp_header h;
		enum bgp_frame_rc rc = bgp_frame(&in, &h, &err);
		if (rc == BGP_FRAME_ERROR)
			check_error(&o);
		if (rc != BGP_FRAME_OK)
			return 0;
		rbuf msg;
		if (!rbuf_sub(&in, h.len, &msg))
			return 0;
		struct bgp_msg m;
		if (!bgp_msg_decode(&msg, &o, &m, &err)) {
			check_error(&o);
			continue;
		}
		CHECK(m.type == h.type);
		switch (m.type) {
		case BGP_MSG_OPEN:
			check_open(&m.u.open, &o, kind);
			break;
		case BGP_MSG_UPDATE:
			check_update(&m.u.update, &o);
			break;
		case BGP_MSG_NOTIFICATION:
			check_notification(&m.u.notification, &o);
			break;
		default:
			break;
		}
		bgp_msg_free(&m);
	}
}
