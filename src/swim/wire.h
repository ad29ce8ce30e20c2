/*
 * Internal to src/swim: the packet format, as pure functions over core/buf.h.
 *
 *   0  magic "INGS" (4)          not memberlist's format: its packets on 7946 are dropped early
 *   4  version (1) = 1
 *   5  type (1)                  PING ACK PING_REQ NACK LEAVE
 *   6  reserved (2) = 0         anything else is malformed
 *   8  boot nonce (8)            sender's random per-process value
 *  16  sequence (8)              strictly increasing per sender and nonce
 *  24  incarnation (8)           the sender's own incarnation: a claim that it is alive
 *  32  sender name (1 + n)
 *      body by type:
 *        PING      probe (4), target name (1 + n), view state (1), view incarnation (8)
 *        PING_REQ  probe (4), target name (1 + n)
 *        ACK, NACK probe (4)
 *        LEAVE     (nothing)
 *      gossip count (1), each: state (1), incarnation (8), name (1 + n), from (1 + n)
 *      HMAC-SHA256 (32) over every byte before it
 * All integers in network order. Names are 1..253 bytes of [A-Za-z0-9._-] (a "from" may be
 * empty); anything else, and any trailing byte, makes the packet malformed.
 */
#ifndef INGOT_SWIM_WIRE_H
#define INGOT_SWIM_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "swim/swim.h"

#define SWIM_VERSION 1
#define SWIM_MAC_LEN 32
#define SWIM_MAX_PACKET 1400         /* below any LAN MTU: no fragmentation */
#define SWIM_MAX_GOSSIP 64
#define SWIM_HEADER_MIN 33           /* up to the sender name's length byte */

enum swim_msg_type {
	SWIM_MSG_PING = 1,
	SWIM_MSG_ACK = 2,
	SWIM_MSG_PING_REQ = 3,
	SWIM_MSG_NACK = 4,
	SWIM_MSG_LEAVE = 5,
};

/* A name inside a packet (borrowed, not NUL-terminated). */
struct swim_name {
	const char *p;
	size_t len;
};

struct swim_gossip {
	uint8_t state;                   /* enum swim_state */
	uint64_t incarnation;
	struct swim_name name, from;
};

struct swim_msg {
	uint8_t type;
	uint64_t nonce, seq, incarnation;
	struct swim_name sender;
	uint32_t probe;                  /* PING, PING_REQ, ACK, NACK */
	struct swim_name target;         /* PING, PING_REQ */
	uint8_t view_state;              /* PING: what the sender thinks of the target */
	uint64_t view_incarnation;
	size_t ngossip;
	struct swim_gossip gossip[SWIM_MAX_GOSSIP];
};

/* Checks the trailing MAC of pkt with key; on success *body_len is the length before it. */
bool swim_wire_verify(const uint8_t key[SWIM_KEY_LEN], const uint8_t *pkt, size_t len,
		      size_t *body_len);
/* Parses an authenticated body (the bytes before the MAC). Names in *out point into body. */
bool swim_wire_decode(const uint8_t *body, size_t len, struct swim_msg *out);
/*
 * Writes the header and type body of m, then as many of the n gossip entries as fit before
 * the MAC within SWIM_MAX_PACKET, then the MAC. Returns how many gossip entries went in, or -1
 * when even the header did not fit (w is then overflowed).
 */
int swim_wire_encode(wbuf *w, const uint8_t key[SWIM_KEY_LEN], const struct swim_msg *m,
		     const struct swim_gossip *g, size_t n);
/* Whether a name is acceptable on the wire. */
bool swim_name_valid(const char *p, size_t len);

#endif
