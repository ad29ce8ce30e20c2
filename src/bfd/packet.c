/*
 * The BFD Control packet codec (RFC 5880 §4.1) and the session-independent reception checks of
 * §6.8.6. Authentication (§4.2-4.4, §6.7) is not implemented, so a packet with the A bit is
 * discarded as §6.8.6 requires when bfd.AuthType is zero.
 */
#include "bfd/packet.h"

#include <string.h>

enum bfd_rx_check bfd_packet_decode(rbuf *r, struct bfd_packet *out)
{
	memset(out, 0, sizeof(*out));
	size_t payload = rbuf_left(r);
	uint8_t vd, flags;
	if (!rbuf_get_u8(r, &vd) || !rbuf_get_u8(r, &flags) || !rbuf_get_u8(r, &out->detect_mult) ||
	    !rbuf_get_u8(r, &out->length) || !rbuf_get_u32(r, &out->my_discr) ||
	    !rbuf_get_u32(r, &out->your_discr) || !rbuf_get_u32(r, &out->desired_min_tx_us) ||
	    !rbuf_get_u32(r, &out->required_min_rx_us) ||
	    !rbuf_get_u32(r, &out->required_min_echo_rx_us))
		return BFD_RX_SHORT;
	out->version = vd >> 5;
	out->diag = vd & 0x1f;
	out->state = flags >> 6;
	out->poll = flags & BFD_FLAG_POLL;
	out->final = flags & BFD_FLAG_FINAL;
	out->cpi = flags & BFD_FLAG_CPI;
	out->auth = flags & BFD_FLAG_AUTH;
	out->demand = flags & BFD_FLAG_DEMAND;
	out->multipoint = flags & BFD_FLAG_MULTIPOINT;

	/* RFC 5880 §6.8.6: "If the version number is not correct (1), the packet MUST be
	 * discarded." */
	if (out->version != BFD_VERSION)
		return BFD_RX_BAD_VERSION;
	/* §6.8.6: Length less than the minimum correct value (24 if the A bit is clear, 26 if it is
	 * set) is discarded. */
	if (out->length < (out->auth ? BFD_PKT_LEN_AUTH_MIN : BFD_PKT_LEN))
		return BFD_RX_BAD_LENGTH;
	/* §6.8.6: Length greater than the payload of the encapsulating protocol is discarded. */
	if (out->length > payload)
		return BFD_RX_LENGTH_OVER_PAYLOAD;
	/* §6.8.6: Detect Mult zero is discarded. */
	if (out->detect_mult == 0)
		return BFD_RX_ZERO_MULT;
	/* §6.8.6: Multipoint (M) bit nonzero is discarded. */
	if (out->multipoint)
		return BFD_RX_MULTIPOINT;
	/* §6.8.6: My Discriminator zero is discarded. */
	if (out->my_discr == 0)
		return BFD_RX_ZERO_MY_DISCR;
	/* §6.8.6: Your Discriminator zero with State not Down or AdminDown is discarded. */
	if (out->your_discr == 0 && out->state != BFD_STATE_DOWN &&
	    out->state != BFD_STATE_ADMIN_DOWN)
		return BFD_RX_ZERO_YOUR_DISCR;
	/* §6.8.6: the A bit set while no authentication is in use (bfd.AuthType zero, always so
	 * here) is discarded. */
	if (out->auth)
		return BFD_RX_AUTH;
	return BFD_RX_OK;
}

void bfd_packet_encode(wbuf *w, const struct bfd_packet *p)
{
	uint8_t flags = (uint8_t)((p->state & 3) << 6);
	/* §6.5: a packet never carries both P and F; F (the answer) wins. */
	if (p->final)
		flags |= BFD_FLAG_FINAL;
	else if (p->poll)
		flags |= BFD_FLAG_POLL;
	if (p->cpi)
		flags |= BFD_FLAG_CPI;
	if (p->demand)
		flags |= BFD_FLAG_DEMAND;
	wbuf_put_u8(w, (uint8_t)((BFD_VERSION << 5) | (p->diag & 0x1f)));
	wbuf_put_u8(w, flags);
	wbuf_put_u8(w, p->detect_mult);
	wbuf_put_u8(w, BFD_PKT_LEN);
	wbuf_put_u32(w, p->my_discr);
	wbuf_put_u32(w, p->your_discr);
	wbuf_put_u32(w, p->desired_min_tx_us);
	wbuf_put_u32(w, p->required_min_rx_us);
	wbuf_put_u32(w, p->required_min_echo_rx_us);
}

const char *bfd_rx_check_name(enum bfd_rx_check c)
{
	switch (c) {
	case BFD_RX_OK: return "ok";
	case BFD_RX_SHORT: return "shorter than 24 bytes";
	case BFD_RX_BAD_VERSION: return "version not 1";
	case BFD_RX_BAD_LENGTH: return "length below minimum";
	case BFD_RX_LENGTH_OVER_PAYLOAD: return "length beyond payload";
	case BFD_RX_ZERO_MULT: return "detect multiplier zero";
	case BFD_RX_MULTIPOINT: return "multipoint bit set";
	case BFD_RX_ZERO_MY_DISCR: return "my discriminator zero";
	case BFD_RX_ZERO_YOUR_DISCR: return "your discriminator zero while not down";
	case BFD_RX_AUTH: return "authentication not in use";
	case BFD_RX_NO_SESSION: return "no matching session";
	case BFD_RX_BAD_TTL: return "TTL not 255";
	}
	return "unknown";
}
