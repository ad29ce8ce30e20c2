/*
 * Internal to src/bfd: the BFD Control packet (RFC 5880 §4.1) as pure functions over the core
 * buffers, and the stateless part of the reception checks of §6.8.6. Checks that need a session
 * (which session Your Discriminator selects, the TTL of RFC 5881 §5) are the glue's.
 */
#ifndef INGOT_BFD_PACKET_H
#define INGOT_BFD_PACKET_H

#include <stdbool.h>
#include <stdint.h>

#include "bfd/bfd.h"
#include "core/buf.h"

#define BFD_VERSION 1
#define BFD_PKT_LEN 24                      /* mandatory section (§4.1) */
#define BFD_PKT_LEN_AUTH_MIN 26             /* with the A bit: the auth section's first bytes */
#define BFD_PKT_MAX 255                     /* Length is one octet */

/* Flag bits of the second octet (§4.1). */
#define BFD_FLAG_POLL 0x20
#define BFD_FLAG_FINAL 0x10
#define BFD_FLAG_CPI 0x08
#define BFD_FLAG_AUTH 0x04
#define BFD_FLAG_DEMAND 0x02
#define BFD_FLAG_MULTIPOINT 0x01

struct bfd_packet {
	uint8_t version;
	uint8_t diag;                       /* enum bfd_diag; 0..31 on the wire */
	uint8_t state;                      /* enum bfd_state */
	bool poll, final, cpi, auth, demand, multipoint;
	uint8_t detect_mult;
	uint8_t length;
	uint32_t my_discr, your_discr;
	uint32_t desired_min_tx_us, required_min_rx_us, required_min_echo_rx_us;
};

/* Why a packet was discarded (RFC 5880 §6.8.6, in the order the checks run). */
enum bfd_rx_check {
	BFD_RX_OK,
	BFD_RX_SHORT,                       /* fewer than 24 bytes of payload */
	BFD_RX_BAD_VERSION,                 /* Vers is not 1 */
	BFD_RX_BAD_LENGTH,                  /* Length below 24, or 26 with the A bit */
	BFD_RX_LENGTH_OVER_PAYLOAD,         /* Length beyond the UDP payload */
	BFD_RX_ZERO_MULT,                   /* Detect Mult is zero */
	BFD_RX_MULTIPOINT,                  /* M bit set */
	BFD_RX_ZERO_MY_DISCR,               /* My Discriminator is zero */
	BFD_RX_ZERO_YOUR_DISCR,             /* Your Discriminator zero in state Init or Up */
	BFD_RX_AUTH,                        /* A bit set: we use no authentication */
	/* Set by the glue, not by bfd_packet_decode(): */
	BFD_RX_NO_SESSION,                  /* no session for Your Discriminator or the source */
	BFD_RX_BAD_TTL,                     /* TTL / Hop Limit not 255 (RFC 5881 §5) */
};

/*
 * Reads one control packet from the whole UDP payload r and runs the §6.8.6 checks that need no
 * session. On anything but BFD_RX_OK the packet must be discarded; *out is then partly filled.
 */
enum bfd_rx_check bfd_packet_decode(rbuf *r, struct bfd_packet *out);
/* Writes the 24-byte mandatory section (no authentication), Length 24; check wbuf_ok(). */
void bfd_packet_encode(wbuf *w, const struct bfd_packet *p);
const char *bfd_rx_check_name(enum bfd_rx_check c);

#endif
