/*
 * BFD as the rest of ingot sees it: single-hop BFD sessions (RFC 5880 asynchronous mode over UDP,
 * RFC 5881) to directly connected peers, each with the intervals of a BFDProfile, and a callback
 * on every state change. Everything runs on the process loop (core/loop.h).
 *
 * Sessions share one listening socket per address family, local address and port (UDP 3784), and
 * packets are demultiplexed by Your Discriminator or, while the peer does not know ours yet, by
 * source address and interface (RFC 5880 §6.8.6, RFC 5881 §3). Each session sends from its own
 * socket with a source port in 49152-65535 and TTL 255 (RFC 5881 §4, §5).
 *
 * Not implemented: authentication (packets with the A bit are discarded, RFC 5880 §6.8.6), the
 * Echo function (Required Min Echo RX Interval is sent as 0), Demand mode of our own (a peer's
 * Demand mode is honoured: we stop periodic transmission), multihop (RFC 5883).
 */
#ifndef INGOT_BFD_BFD_H
#define INGOT_BFD_BFD_H

#include <stdbool.h>
#include <stdint.h>

#include "core/addr.h"

/* RFC 5880 §4.1 State (Sta) values. */
enum bfd_state {
	BFD_STATE_ADMIN_DOWN = 0,
	BFD_STATE_DOWN = 1,
	BFD_STATE_INIT = 2,
	BFD_STATE_UP = 3,
};

/* RFC 5880 §4.1 Diagnostic codes. */
enum bfd_diag {
	BFD_DIAG_NONE = 0,
	BFD_DIAG_DETECT_EXPIRED = 1,        /* Control Detection Time Expired */
	BFD_DIAG_ECHO_FAILED = 2,
	BFD_DIAG_NEIGHBOR_DOWN = 3,         /* Neighbor Signaled Session Down */
	BFD_DIAG_FWD_RESET = 4,
	BFD_DIAG_PATH_DOWN = 5,
	BFD_DIAG_CONCAT_PATH_DOWN = 6,
	BFD_DIAG_ADMIN_DOWN = 7,
	BFD_DIAG_REV_CONCAT_PATH_DOWN = 8,
};

/* Defaults of MetalLB's BFDProfile (FRR's): 300 ms both ways, multiplier 3. */
#define BFD_DEFAULT_INTERVAL_MS 300
#define BFD_DEFAULT_DETECT_MULT 3
#define BFD_PORT 3784                       /* RFC 5881 §4: single-hop control packets */

/* The BFDProfile fields BFD uses; 0 picks the default. */
struct bfd_params {
	uint32_t receive_interval_ms;       /* Required Min RX Interval (receiveInterval) */
	uint32_t transmit_interval_ms;      /* Desired Min TX Interval (transmitInterval) */
	uint8_t detect_mult;                /* detectMultiplier */
	bool passive;                       /* passiveMode: speak only once the peer has (§6.1) */
	uint16_t port;                      /* UDP port of both ends: 0 is 3784; others for tests */
};

/* Whether a profile's values are usable: intervals 0 (default) or 10..60000 ms, multiplier 0
 * (default) or 2..255, as MetalLB's CRD validation allows. *why gets a static reason. */
bool bfd_params_valid(const struct bfd_params *p, const char **why);
bool bfd_params_equal(const struct bfd_params *a, const struct bfd_params *b);

struct bfd_session_config {
	ip_addr peer;                       /* directly connected neighbour */
	ip_addr local;                      /* IP_NONE: the kernel picks the source */
	const char *ifname;                 /* NULL or "": any interface; needed for link-local */
	struct bfd_params params;
};

/* What a state change callback learns. */
struct bfd_event {
	enum bfd_state state;               /* new state */
	enum bfd_state old_state;
	enum bfd_diag diag;                 /* bfd.LocalDiag: why */
	enum bfd_state remote_state;        /* the peer's last State (AdminDown: not a failure) */
};

/* Called from the loop on every change of the session's state. It may free the session. */
typedef void (*bfd_state_fn)(void *arg, const struct bfd_event *ev);

struct bfd_session;

/*
 * Creates a session in state Down and starts it (slow start: one packet a second until Up,
 * RFC 5880 §6.8.3). cfg is copied. Returns NULL (logged) when the parameters are invalid or no
 * socket can be opened. The caller frees it with bfd_session_free().
 */
struct bfd_session *bfd_session_new(const struct bfd_session_config *cfg, bfd_state_fn fn,
				    void *arg);
/* Tells the peer AdminDown (RFC 5880 §6.8.16: its clients must not treat this as a failure),
 * then closes and frees everything the session holds. NULL is fine. */
void bfd_session_free(struct bfd_session *s);
/* New profile values for a running session: changes of the intervals run a Poll Sequence
 * (RFC 5880 §6.8.3). Returns false (nothing changes) when they are invalid. */
bool bfd_session_set_params(struct bfd_session *s, const struct bfd_params *p);

struct bfd_status {
	enum bfd_state state, remote_state;
	enum bfd_diag local_diag, remote_diag;
	uint32_t local_discr, remote_discr;
	uint32_t tx_interval_us;            /* negotiated transmit interval */
	uint32_t detect_time_us;            /* current Detection Time (0: none yet) */
	uint64_t rx_packets, tx_packets, rx_dropped;
	uint32_t up_count;                  /* times the session came Up */
	uint32_t down_count;                /* times it left Up */
};
void bfd_session_status(const struct bfd_session *s, struct bfd_status *out);
enum bfd_state bfd_session_state(const struct bfd_session *s);

const char *bfd_state_name(enum bfd_state s);
const char *bfd_diag_name(enum bfd_diag d);

#endif
