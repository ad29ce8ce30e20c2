/*
 * The BGP finite state machine of RFC 4271 §8 as pure logic: no sockets, no loop timers, time
 * passed in. One bgp_fsm_handle() switch over states × events returns the actions the session
 * glue must carry out (connect, send OPEN/KEEPALIVE/NOTIFICATION, close, routes up/down), and one
 * change_state() does all entry/exit work and logs every transition.
 *
 * Follows RFC 4271 §8.1 (events), §8.2.2 (transitions; DelayOpen and the optional "collision
 * detect in Established" attributes are not implemented), §4.4/§10 (hold and keepalive timers;
 * a negotiated hold time of 0 switches both off), §6.8 (connection collision), §8.1.1
 * DampPeerOscillations as an OpenBGPD-style idle-hold backoff (doubling, capped, reset after a
 * session stayed up), RFC 6608 (FSM error subcodes), RFC 8538 §5 (Hard Reset for the Cease
 * subcodes that must not be handled gracefully) and RFC 9687 (the Send Hold Timer drops a peer
 * that stopped reading).
 *
 * Timers are deadlines in the struct; the glue arms one loop timer at bgp_fsm_next_deadline()
 * and calls bgp_fsm_tick() when it fires.
 */
#ifndef INGOT_BGP_FSM_H
#define INGOT_BGP_FSM_H

#include <stdbool.h>
#include <stdint.h>

#include "bgp/msg.h"
#include "core/monotime.h"

enum bgp_state {
	BGP_ST_IDLE,
	BGP_ST_CONNECT,
	BGP_ST_ACTIVE,
	BGP_ST_OPENSENT,
	BGP_ST_OPENCONFIRM,
	BGP_ST_ESTABLISHED,
};

/* RFC 4271 §8.1 events (their numbers in comments); the optional ones we do not use are left
 * out. */
enum bgp_event {
	BGP_EV_MANUAL_START,            /* 1 (4 with passive configured) */
	BGP_EV_MANUAL_STOP,             /* 2 */
	BGP_EV_AUTOMATIC_STOP,          /* 8: the local system stops the session and restarts it after
					 * the idle-hold backoff (input.subcode: the Cease subcode) */
	BGP_EV_CONNECT_RETRY_EXPIRES,   /* 9 */
	BGP_EV_HOLD_EXPIRES,            /* 10 */
	BGP_EV_KEEPALIVE_EXPIRES,       /* 11 */
	BGP_EV_IDLE_HOLD_EXPIRES,       /* 13, restarts the session (AutomaticStart, 3) */
	BGP_EV_TCP_CONNECTED,           /* 16 TcpCRAcked / 17 TcpConnectionConfirmed */
	BGP_EV_TCP_FAILS,               /* 18 */
	BGP_EV_OPEN,                    /* 19 BGPOpen: a valid OPEN, negotiated (input.neg) */
	BGP_EV_HEADER_ERR,              /* 21 BGPHeaderErr (input.error) */
	BGP_EV_OPEN_ERR,                /* 22 BGPOpenMsgErr (input.error) */
	BGP_EV_OPEN_COLLISION_DUMP,     /* 23 */
	BGP_EV_NOTIF,                   /* 24/25 NotifMsg(VerErr) (input.code/subcode) */
	BGP_EV_KEEPALIVE,               /* 26 KeepAliveMsg */
	BGP_EV_UPDATE,                  /* 27 UpdateMsg (also ROUTE-REFRESH) */
	BGP_EV_UPDATE_ERR,              /* 28 UpdateMsgErr (input.error, session reset only) */
	BGP_EV_COLLISION_SWITCH,        /* §6.8: the pending connection won (input.neg) */
	BGP_EV_SEND_HOLD_EXPIRES,       /* 29 (RFC 9687 §4.2) */
	BGP_EV_CONNECT_NOW,             /* local: the path to the peer is back (BFD Up), so a session
					 * waiting in Idle (backoff) or Connect/Active (ConnectRetry)
					 * connects now instead of when its timer fires; no sooner
					 * than idle_hold_time after the wait began, though */
};

struct bgp_fsm_input {
	enum bgp_event event;
	const struct bgp_negotiated *neg;     /* BGP_EV_OPEN, BGP_EV_COLLISION_SWITCH */
	const struct bgp_error *error;        /* BGP_EV_*_ERR: the NOTIFICATION to send */
	uint8_t code, subcode;                /* BGP_EV_NOTIF: what the peer sent; BGP_EV_MANUAL_STOP,
					 * BGP_EV_AUTOMATIC_STOP: the Cease subcode (0:
					 * Administrative Shutdown) */
};

/* What the glue does, in this order. */
enum {
	BGP_ACT_SEND_NOTIFICATION = 1 << 0,   /* out.code/subcode/data, on the current connection */
	BGP_ACT_CLOSE = 1 << 1,               /* drop the current TCP connection */
	BGP_ACT_SWITCH = 1 << 2,              /* make the pending connection the current one */
	BGP_ACT_CONNECT = 1 << 3,             /* start a TCP connection to the peer */
	BGP_ACT_SEND_OPEN = 1 << 4,
	BGP_ACT_SEND_KEEPALIVE = 1 << 5,
	BGP_ACT_ESTABLISHED = 1 << 6,         /* session up: send the routes, then End-of-RIB */
	BGP_ACT_DOWN = 1 << 7,                /* session left Established */
};

struct bgp_fsm_out {
	unsigned actions;
	uint8_t code, subcode;                /* BGP_ACT_SEND_NOTIFICATION */
	bool hard_reset;                      /* wrap it in Cease/Hard Reset (RFC 8538 §3) */
	const uint8_t *data;                  /* borrowed from input.error */
	uint16_t data_len;
};

/* Times in seconds; 0 picks the default in brackets. */
struct bgp_fsm_config {
	const char *peer;              /* for logs, borrowed */
	uint16_t hold_time;            /* what we propose [90] (RFC 4271 §10) */
	uint16_t connect_retry_time;   /* [120] (RFC 4271 §10) */
	uint16_t keepalive_time;       /* [a third of the negotiated hold time]; used only when
					* below the negotiated hold time (RFC 4271 §4.4) */
	uint16_t open_hold_time;       /* hold timer in OpenSent [240] (RFC 4271 §8.2.2) */
	uint16_t idle_hold_time;       /* first backoff [2] */
	uint16_t idle_hold_max;        /* backoff cap [120] */
	uint16_t send_hold_time;       /* [the larger of 480 and twice the hold time] (RFC 9687 §6) */
	bool passive;                  /* never connect, wait for the peer (RFC 4271 Event 4) */
	uint32_t jitter_seed;          /* non-zero: jitter timers (RFC 4271 §10) from this seed */
};

struct bgp_timer_deadline {
	bool on;
	monotime at;
};

struct bgp_fsm {
	enum bgp_state state;
	struct bgp_fsm_config cfg;
	bool stopped;                  /* ManualStop: no automatic restart */
	struct bgp_timer_deadline connect_retry, hold, keepalive, idle_hold, send_hold;
	uint16_t hold_time;            /* negotiated; 0 = no hold timer, no keepalives */
	uint16_t keepalive_time;
	bool gr_n;                     /* RFC 8538 N bit negotiated */
	uint16_t idle_hold_cur;        /* next backoff wait, seconds */
	uint32_t rnd;                  /* jitter state */
	monotime established_at;
	monotime wait_since;           /* this state entered, or the last connection attempt */
	/* counters */
	uint32_t connect_retry_counter;
	uint32_t established_count;
	uint32_t transitions;
	uint8_t last_sent_code, last_sent_subcode;
	uint8_t last_recv_code, last_recv_subcode;
};

void bgp_fsm_init(struct bgp_fsm *f, const struct bgp_fsm_config *cfg);
struct bgp_fsm_out bgp_fsm_handle(struct bgp_fsm *f, const struct bgp_fsm_input *in, monotime now);
/* Shorthand for events without data. */
struct bgp_fsm_out bgp_fsm_event(struct bgp_fsm *f, enum bgp_event ev, monotime now);

/* After each attempt to write: wrote says whether bytes went out, pending whether some are still
 * queued. Runs the Send Hold Timer while output is stuck (RFC 9687 §4). */
void bgp_fsm_send_progress(struct bgp_fsm *f, bool wrote, bool pending, monotime now);

/* The earliest running timer; false when none runs. */
bool bgp_fsm_next_deadline(const struct bgp_fsm *f, monotime *at);
/* Fires the earliest timer that is due at `now`, if any (*fired says whether one did). */
struct bgp_fsm_out bgp_fsm_tick(struct bgp_fsm *f, monotime now, bool *fired);

/* Whether an incoming connection can be taken as the session's connection (RFC 4271 §8.2.2:
 * Idle refuses; Connect and Active accept), or must be handled as a collision (§6.8). */
enum bgp_incoming {
	BGP_IN_REFUSE,
	BGP_IN_ACCEPT,                 /* feed BGP_EV_TCP_CONNECTED (close any connect in progress) */
	BGP_IN_COLLISION,              /* keep it pending until its OPEN arrives */
};
enum bgp_incoming bgp_fsm_incoming(const struct bgp_fsm *f);

/* RFC 4271 §6.8: the pending (incoming) connection's OPEN came with remote_id; should it
 * replace the current connection? current_outbound: the current connection was initiated by us.
 * The AS numbers break a tie of identifiers (RFC 6286 §2.3). */
bool bgp_fsm_collision_keep_pending(const struct bgp_fsm *f, bool current_outbound,
				    uint32_t local_id, uint32_t remote_id, uint32_t local_as,
				    uint32_t remote_as);

const char *bgp_state_name(enum bgp_state s);
const char *bgp_event_name(enum bgp_event e);

#endif
