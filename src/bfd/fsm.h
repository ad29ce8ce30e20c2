/*
 * Internal to src/bfd: one BFD session's state machine (RFC 5880 §6.2, §6.8) as pure logic: no
 * sockets, no loop timers, time passed in. The glue feeds it received packets that passed the
 * codec checks and were demultiplexed to it (bfd_fsm_rx), and calls bfd_fsm_tick() at
 * bfd_fsm_next_deadline(); the returned actions say when to send and when the state changed.
 *
 * Follows §6.8.1 (state variables), §6.8.2 (timer negotiation: transmit at the larger of
 * bfd.DesiredMinTxInterval and bfd.RemoteMinRxInterval), §6.8.3 (slow start at 1 s while not
 * Up; interval changes run a Poll Sequence, and an increase of the transmit interval or a
 * decrease of the receive interval waits for its Final), §6.8.4 (Detection Time = remote Detect
 * Mult × the larger of bfd.RequiredMinRxInterval and the remote Desired Min TX), §6.8.6
 * (reception and state transitions), §6.8.7 (jitter 75-100 %, 75-90 % with Detect Mult 1; no
 * periodic packets while the remote asks for Demand mode, while its Required Min RX is zero, or
 * in the passive role until the remote spoke) and §6.8.16 (AdminDown).
 */
#ifndef INGOT_BFD_FSM_H
#define INGOT_BFD_FSM_H

#include <stdbool.h>
#include <stdint.h>

#include "bfd/bfd.h"
#include "bfd/packet.h"
#include "core/monotime.h"

#define BFD_SLOW_TX_US 1000000u             /* §6.8.3: at least 1 s while not Up */

struct bfd_fsm_config {
	const char *peer;                   /* for logs, borrowed */
	uint32_t local_discr;               /* non-zero, unique in the system (§6.8.1) */
	uint32_t desired_min_tx_us;         /* configured transmit interval */
	uint32_t required_min_rx_us;        /* configured receive interval */
	uint8_t detect_mult;                /* bfd.DetectMult */
	bool passive;                       /* §6.1 passive role */
	uint32_t jitter_seed;               /* any value; 0 is replaced */
};

/* What the glue does after a call. */
enum {
	BFD_ACT_SEND = 1 << 0,              /* a periodic packet: bfd_fsm_packet(f, false, ...) */
	BFD_ACT_SEND_FINAL = 1 << 1,        /* answer a Poll at once: bfd_fsm_packet(f, true, ...) */
	BFD_ACT_STATE = 1 << 2,             /* the state changed: from → f->state */
};

struct bfd_fsm_out {
	unsigned actions;
	enum bfd_state from;                /* BFD_ACT_STATE: the state before */
};

struct bfd_fsm {
	struct bfd_fsm_config cfg;
	/* §6.8.1 state variables */
	enum bfd_state state;               /* bfd.SessionState */
	enum bfd_state remote_state;        /* bfd.RemoteSessionState */
	uint32_t remote_discr;              /* bfd.RemoteDiscr */
	enum bfd_diag local_diag;           /* bfd.LocalDiag */
	enum bfd_diag remote_diag;          /* last Diag received */
	bool remote_demand;                 /* bfd.RemoteDemandMode */
	uint32_t remote_min_rx_us;          /* bfd.RemoteMinRxInterval, starts at 1 */
	uint32_t remote_min_tx_us;          /* last Desired Min TX received */
	uint8_t remote_detect_mult;
	/* §6.8.3: the values we advertise, and those in force until a Poll Sequence ends */
	uint32_t tx_adv_us, tx_use_us;      /* bfd.DesiredMinTxInterval */
	uint32_t rx_adv_us, rx_use_us;      /* bfd.RequiredMinRxInterval */
	bool poll;                          /* a Poll Sequence is running */
	/* timers */
	bool tx_on, detect_on;
	monotime next_tx, detect_at, last_tx, last_rx;
	uint32_t rnd;                       /* jitter state */
	/* counters */
	uint64_t rx_packets, tx_packets;
	uint32_t up_count, transitions;
	uint32_t down_count;                /* times the session left Up (for any state) */
};

void bfd_fsm_init(struct bfd_fsm *f, const struct bfd_fsm_config *cfg, monotime now);
/* A packet that passed bfd_packet_decode() and was demultiplexed to this session (§6.8.6 from
 * "Set bfd.RemoteDiscr" on). */
struct bfd_fsm_out bfd_fsm_rx(struct bfd_fsm *f, const struct bfd_packet *p, monotime now);
/* Runs the timers due at now: Detection Time expiry, then a periodic packet. */
struct bfd_fsm_out bfd_fsm_tick(struct bfd_fsm *f, monotime now);
/* The earliest running timer; false when none runs. */
bool bfd_fsm_next_deadline(const struct bfd_fsm *f, monotime *at);
/* The packet to send now (§6.8.7 contents); final: the answer to a Poll. */
void bfd_fsm_packet(struct bfd_fsm *f, bool final, monotime now, struct bfd_packet *out);
/* New configured intervals and multiplier (§6.8.3 Poll Sequence when Up). */
void bfd_fsm_set_params(struct bfd_fsm *f, uint32_t desired_min_tx_us, uint32_t required_min_rx_us,
			uint8_t detect_mult, monotime now);
/* Administratively down (§6.8.16) or back to Down from AdminDown. */
struct bfd_fsm_out bfd_fsm_admin(struct bfd_fsm *f, bool down, monotime now);

/* The negotiated transmit interval (§6.8.2) and the current Detection Time (§6.8.4; 0 before the
 * first packet from the remote). */
uint32_t bfd_fsm_tx_interval_us(const struct bfd_fsm *f);
uint32_t bfd_fsm_detect_time_us(const struct bfd_fsm *f);

#endif
