/*
 * Message framing and the small messages: the common header (RFC 4271 §4.1) with its checks
 * (§6.1), KEEPALIVE (§4.4), NOTIFICATION (§4.5, RFC 8538 §3 Hard Reset), ROUTE-REFRESH
 * (RFC 2918 §3, RFC 7313 §3), and the dispatch of a whole message to its decoder.
 */
#include "bgp/msg_wire.h"

#include <string.h>

bool bgp_family_from_afi_safi(uint16_t afi, uint8_t safi, enum bgp_family *out)
{
	if (safi != BGP_SAFI_UNICAST)
		return false;
	if (afi == BGP_AFI_IPV4)
		*out = BGP_FAM_IPV4_UNICAST;
	else if (afi == BGP_AFI_IPV6)
		*out = BGP_FAM_IPV6_UNICAST;
	else
		return false;
	return true;
}

uint16_t bgp_family_afi(enum bgp_family f)
{
	return f == BGP_FAM_IPV6_UNICAST ? BGP_AFI_IPV6 : BGP_AFI_IPV4;
}

enum ip_family bgp_family_ip(enum bgp_family f)
{
	return f == BGP_FAM_IPV6_UNICAST ? IP_V6 : IP_V4;
}

/* --- errors --------------------------------------------------------------------------------- */

void bgp_err_clear(struct bgp_error *err)
{
	err->code = 0;
	err->subcode = 0;
	err->disposition = BGP_DISP_NONE;
	err->data_len = 0;
}

void bgp_err_set(struct bgp_error *err, uint8_t code, uint8_t subcode,
		 enum bgp_disposition disposition, const void *data, size_t len)
{
	err->code = code;
	err->subcode = subcode;
	err->disposition = disposition;
	if (len > BGP_NOTIF_DATA_MAX)
		len = BGP_NOTIF_DATA_MAX;
	err->data_len = (uint16_t)len;
	if (len > 0)
		memcpy(err->data, data, len);
}

void bgp_err_set_span(struct bgp_error *err, uint8_t code, uint8_t subcode,
		      enum bgp_disposition disposition, rbuf from, size_t n)
{
	const uint8_t *p = NULL;
	if (n > rbuf_left(&from))
		n = rbuf_left(&from);
	if (!rbuf_get_ptr(&from, n, &p))
		n = 0;
	bgp_err_set(err, code, subcode, disposition, p, n);
}

void bgp_err_note(struct bgp_error *err, enum bgp_disposition *worst, uint8_t code, uint8_t subcode,
		  enum bgp_disposition disposition, rbuf from, size_t n)
{
	if (disposition <= *worst)
		return;
	*worst = disposition;
	bgp_err_set_span(err, code, subcode, disposition, from, n);
}

/* --- header ---------------------------------------------------------------------------------- */

size_t bgp_wire_begin(wbuf *w, uint8_t type)
{
	size_t start = wbuf_len(w);
	static const uint8_t marker[BGP_MARKER_LEN] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	wbuf_put_bytes(w, marker, sizeof(marker));
	wbuf_put_u16(w, 0);
	wbuf_put_u8(w, type);
	return start;
}

void bgp_wire_end(wbuf *w, size_t start)
{
	size_t len = wbuf_len(w) - start;
	if (len > UINT16_MAX) {
		wbuf_truncate(w, start);
		w->overflow = true;
		return;
	}
	wbuf_set_u16_at(w, start + BGP_MARKER_LEN, (uint16_t)len);
}

/* The smallest (and, when fixed, the only) length each message type may have. */
static bool type_length_ok(uint8_t type, uint16_t len, bool *known)
{
	*known = true;
	switch (type) {
	case BGP_MSG_OPEN:
		return len >= BGP_OPEN_MIN_LEN;
	case BGP_MSG_UPDATE:
		return len >= BGP_UPDATE_MIN_LEN;
	case BGP_MSG_NOTIFICATION:
		return len >= BGP_NOTIFICATION_MIN_LEN;
	case BGP_MSG_KEEPALIVE:
		return len == BGP_KEEPALIVE_LEN;
	case BGP_MSG_ROUTE_REFRESH:
		/* RFC 2918 §3: AFI, Res., SAFI: the message is exactly 23 octets. */
		return len == BGP_ROUTE_REFRESH_LEN;
	default:
		*known = false;
		return false;
	}
}

enum bgp_frame_rc bgp_frame(const rbuf *stream, struct bgp_header *hdr, struct bgp_error *err)
{
	bgp_err_clear(err);
	if (rbuf_left(stream) < BGP_HEADER_LEN)
		return BGP_FRAME_NEED_MORE;
	rbuf r = *stream;
	for (size_t i = 0; i < BGP_MARKER_LEN; i++) {
		uint8_t m = 0;
		rbuf_get_u8(&r, &m);
		/* RFC 4271 §6.1: a marker that is not all ones is "Connection Not Synchronized". */
		if (m != 0xff) {
			bgp_err_set(err, BGP_ERR_HEADER, BGP_HDR_NOT_SYNC, BGP_DISP_SESSION_RESET, NULL, 0);
			return BGP_FRAME_ERROR;
		}
	}
	rbuf len_field = r;
	uint16_t len = 0;
	uint8_t type = 0;
	rbuf_get_u16(&r, &len);
	rbuf_get_u8(&r, &type);
	/* RFC 4271 §6.1: Length below 19 or above 4096 is "Bad Message Length", with the
	 * erroneous Length field as data. */
	if (len < BGP_HEADER_LEN || len > BGP_MAX_MSG_LEN) {
		bgp_err_set_span(err, BGP_ERR_HEADER, BGP_HDR_BAD_LENGTH, BGP_DISP_SESSION_RESET,
				 len_field, 2);
		return BGP_FRAME_ERROR;
	}
	bool known;
	bool len_ok = type_length_ok(type, len, &known);
	/* RFC 4271 §6.1: an unrecognised Type is "Bad Message Type", with the Type as data. */
	if (!known) {
		bgp_err_set(err, BGP_ERR_HEADER, BGP_HDR_BAD_TYPE, BGP_DISP_SESSION_RESET, &type, 1);
		return BGP_FRAME_ERROR;
	}
	/* RFC 4271 §6.1: OPEN < 29, UPDATE < 23, KEEPALIVE != 19, NOTIFICATION < 21 are "Bad
	 * Message Length" with the Length field as data (ROUTE-REFRESH != 23, RFC 2918 §3). */
	if (!len_ok) {
		bgp_err_set_span(err, BGP_ERR_HEADER, BGP_HDR_BAD_LENGTH, BGP_DISP_SESSION_RESET,
				 len_field, 2);
		return BGP_FRAME_ERROR;
	}
	hdr->len = len;
	hdr->type = type;
	return BGP_FRAME_OK;
}

/* --- KEEPALIVE, NOTIFICATION, ROUTE-REFRESH ----------------------------------------------------- */

void bgp_keepalive_encode(wbuf *w)
{
	size_t start = bgp_wire_begin(w, BGP_MSG_KEEPALIVE);
	bgp_wire_end(w, start);
}

void bgp_notification_encode(wbuf *w, uint8_t code, uint8_t subcode, const void *data, size_t len)
{
	size_t start = bgp_wire_begin(w, BGP_MSG_NOTIFICATION);
	wbuf_put_u8(w, code);
	wbuf_put_u8(w, subcode);
	if (len > BGP_NOTIF_DATA_MAX)
		len = BGP_NOTIF_DATA_MAX;
	if (len > 0)
		wbuf_put_bytes(w, data, len);
	bgp_wire_end(w, start);
}

void bgp_notification_encode_error(wbuf *w, const struct bgp_error *err)
{
	bgp_notification_encode(w, err->code, err->subcode, err->data, err->data_len);
}

void bgp_notification_encode_hard_reset(wbuf *w, uint8_t code, uint8_t subcode, const void *data,
					size_t len)
{
	/* RFC 8538 §3: the data of a Hard Reset is the code, subcode and data of the original
	 * NOTIFICATION. */
	size_t start = bgp_wire_begin(w, BGP_MSG_NOTIFICATION);
	wbuf_put_u8(w, BGP_ERR_CEASE);
	wbuf_put_u8(w, BGP_CEASE_HARD_RESET);
	wbuf_put_u8(w, code);
	wbuf_put_u8(w, subcode);
	if (len > BGP_NOTIF_DATA_MAX - 2)
		len = BGP_NOTIF_DATA_MAX - 2;
	if (len > 0)
		wbuf_put_bytes(w, data, len);
	bgp_wire_end(w, start);
}

bool bgp_notification_decode(rbuf *body, struct bgp_notification *out, struct bgp_error *err)
{
	memset(out, 0, sizeof(*out));
	bgp_err_clear(err);
	/* RFC 4271 §4.5: Error code, Error subcode, then Data up to the message length. The
	 * header check already required 21 octets; a NOTIFICATION is never answered (§6.4), so a
	 * short body is only reported. */
	if (!rbuf_get_u8(body, &out->code) || !rbuf_get_u8(body, &out->subcode)) {
		bgp_err_set(err, BGP_ERR_HEADER, BGP_HDR_BAD_LENGTH, BGP_DISP_SESSION_RESET, NULL, 0);
		return false;
	}
	rbuf data = rbuf_rest(body);
	out->data_len = (uint16_t)rbuf_left(&data);
	rbuf inner = data;
	rbuf_get_ptr(&data, out->data_len, &out->data);
	/* RFC 8538 §3: Cease/Hard Reset carries the original code and subcode first. */
	if (out->code == BGP_ERR_CEASE && out->subcode == BGP_CEASE_HARD_RESET &&
	    rbuf_get_u8(&inner, &out->inner_code) && rbuf_get_u8(&inner, &out->inner_subcode))
		out->hard_reset = true;
	return true;
}

void bgp_route_refresh_encode(wbuf *w, uint16_t afi, uint8_t safi)
{
	size_t start = bgp_wire_begin(w, BGP_MSG_ROUTE_REFRESH);
	wbuf_put_u16(w, afi);
	wbuf_put_u8(w, 0);
	wbuf_put_u8(w, safi);
	bgp_wire_end(w, start);
}

bool bgp_route_refresh_decode(rbuf *body, struct bgp_route_refresh *out, struct bgp_error *err)
{
	bgp_err_clear(err);
	/* RFC 2918 §3: AFI (2), Reserved (1, the RFC 7313 §3 subtype), SAFI (1); the header check
	 * fixed the length, this only guards the reader. */
	if (!rbuf_get_u16(body, &out->afi) || !rbuf_get_u8(body, &out->subtype) ||
	    !rbuf_get_u8(body, &out->safi) || !rbuf_empty(body)) {
		bgp_err_set(err, BGP_ERR_HEADER, BGP_HDR_BAD_LENGTH, BGP_DISP_SESSION_RESET, NULL, 0);
		return false;
	}
	return true;
}

/* --- any message ------------------------------------------------------------------------------- */

bool bgp_msg_decode(rbuf *msg, const struct bgp_codec_opts *o, struct bgp_msg *out,
		    struct bgp_error *err)
{
	memset(out, 0, sizeof(*out));
	struct bgp_header hdr;
	if (bgp_frame(msg, &hdr, err) != BGP_FRAME_OK) {
		if (err->disposition == BGP_DISP_NONE)   /* fewer than 19 bytes */
			bgp_err_set(err, BGP_ERR_HEADER, BGP_HDR_BAD_LENGTH, BGP_DISP_SESSION_RESET,
				    NULL, 0);
		return false;
	}
	rbuf whole;
	/* The caller passes exactly one message: the Length field must cover all of it. */
	if (hdr.len != rbuf_left(msg) || !rbuf_sub(msg, hdr.len, &whole)) {
		uint8_t len_be[2] = { (uint8_t)(hdr.len >> 8), (uint8_t)hdr.len };
		bgp_err_set(err, BGP_ERR_HEADER, BGP_HDR_BAD_LENGTH, BGP_DISP_SESSION_RESET, len_be, 2);
		return false;
	}
	rbuf_skip(&whole, BGP_HEADER_LEN);
	out->type = hdr.type;
	switch (hdr.type) {
	case BGP_MSG_OPEN:
		return bgp_open_decode(&whole, &out->u.open, err);
	case BGP_MSG_UPDATE:
		return bgp_update_decode(&whole, o, &out->u.update, err);
	case BGP_MSG_NOTIFICATION:
		return bgp_notification_decode(&whole, &out->u.notification, err);
	case BGP_MSG_KEEPALIVE:
		return true;
	case BGP_MSG_ROUTE_REFRESH:
		return bgp_route_refresh_decode(&whole, &out->u.route_refresh, err);
	default:
		return false;   /* bgp_frame() refused every other type */
	}
}

void bgp_msg_free(struct bgp_msg *m)
{
	if (m->type == BGP_MSG_UPDATE)
		bgp_update_free(&m->u.update);
	m->type = 0;
}

/* --- names ------------------------------------------------------------------------------------ */

const char *bgp_error_name(uint8_t code, uint8_t subcode)
{
	switch (code) {
	case BGP_ERR_HEADER:
		switch (subcode) {
		case BGP_HDR_NOT_SYNC: return "connection not synchronized";
		case BGP_HDR_BAD_LENGTH: return "bad message length";
		case BGP_HDR_BAD_TYPE: return "bad message type";
		default: return "message header error";
		}
	case BGP_ERR_OPEN:
		switch (subcode) {
		case BGP_OPEN_BAD_VERSION: return "unsupported version number";
		case BGP_OPEN_BAD_PEER_AS: return "bad peer AS";
		case BGP_OPEN_BAD_BGP_ID: return "bad BGP identifier";
		case BGP_OPEN_UNSUPPORTED_PARAM: return "unsupported optional parameter";
		case BGP_OPEN_BAD_HOLD_TIME: return "unacceptable hold time";
		case BGP_OPEN_UNSUPPORTED_CAP: return "unsupported capability";
		default: return "OPEN message error";
		}
	case BGP_ERR_UPDATE:
		switch (subcode) {
		case BGP_UPD_MALFORMED_ATTR_LIST: return "malformed attribute list";
		case BGP_UPD_UNRECOGNIZED_WELLKNOWN: return "unrecognized well-known attribute";
		case BGP_UPD_MISSING_WELLKNOWN: return "missing well-known attribute";
		case BGP_UPD_ATTR_FLAGS: return "attribute flags error";
		case BGP_UPD_ATTR_LENGTH: return "attribute length error";
		case BGP_UPD_INVALID_ORIGIN: return "invalid ORIGIN attribute";
		case BGP_UPD_INVALID_NEXT_HOP: return "invalid NEXT_HOP attribute";
		case BGP_UPD_OPTIONAL_ATTR: return "optional attribute error";
		case BGP_UPD_INVALID_NETWORK: return "invalid network field";
		case BGP_UPD_MALFORMED_AS_PATH: return "malformed AS_PATH";
		default: return "UPDATE message error";
		}
	case BGP_ERR_HOLD_TIMER:
		return "hold timer expired";
	case BGP_ERR_FSM:
		return "finite state machine error";
	case BGP_ERR_CEASE:
		switch (subcode) {
		case BGP_CEASE_MAX_PREFIXES: return "maximum number of prefixes reached";
		case BGP_CEASE_ADMIN_SHUTDOWN: return "administrative shutdown";
		case BGP_CEASE_PEER_DECONFIGURED: return "peer de-configured";
		case BGP_CEASE_ADMIN_RESET: return "administrative reset";
		case BGP_CEASE_CONNECTION_REJECTED: return "connection rejected";
		case BGP_CEASE_OTHER_CONFIG_CHANGE: return "other configuration change";
		case BGP_CEASE_COLLISION: return "connection collision resolution";
		case BGP_CEASE_OUT_OF_RESOURCES: return "out of resources";
		case BGP_CEASE_HARD_RESET: return "hard reset";
		default: return "cease";
		}
	case BGP_ERR_ROUTE_REFRESH:
		return "ROUTE-REFRESH message error";
	case BGP_ERR_SEND_HOLD_TIMER:
		return "send hold timer expired";
	default:
		return "unknown error";
	}
}
