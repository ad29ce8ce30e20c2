/*
 * Failure detection between speakers: SWIM (Das, Gupta, Motivala 2002) with the Lifeguard
 * refinements (Dadgar, Phillips, Currey 2018), over authenticated UDP.
 *
 * Two layers, kept apart so the protocol is tested without sockets or clocks:
 *   - the core (struct swim, core.c, codec in wire.c): fed packets and the monotonic time, it
 *     calls io->send() for packets to send and io->event() for member state changes, and says
 *     when it next wants to run (swim_next_deadline). Deterministic for a given seed.
 *   - the glue (struct swim_udp, udp.c): one UDP socket and one timer on the core/loop.h loop.
 *
 * The member list comes from outside (Kubernetes Nodes, or Node objects in files): there is no
 * join protocol. A member nobody has heard from is DEAD at incarnation 0 until it answers, so a
 * node that runs no speaker is never live. Every member probes one member per protocol period,
 * round-robin over a shuffled list; a probe not acked within the probe timeout is retried through
 * indirect_checks other members (PING-REQ), which answer NACK when they got no ack either.
 * A member that did not answer directly or indirectly becomes SUSPECT; unless it refutes (by
 * raising its incarnation) within the suspicion timeout it becomes DEAD. Updates ride on every
 * packet (piggyback gossip), each retransmitted retransmit_mult * ceil(log10(n + 1)) times.
 *
 * Lifeguard: (1) a local health multiplier (0..max_local_health) scales the probe interval and
 * timeout: failed probes and refutations raise it, acked probes lower it, so a slow member stops
 * accusing others; (2) indirect probers send NACKs, and missing NACKs count against our own
 * health; (3) the suspicion timeout starts at max_mult * min and shrinks towards min with each
 * independent confirmation (log-scaled), min = suspicion_mult * max(1, log10(n)) * interval;
 * (4) buddy system: a PING to a member we think suspect or dead says so, so it refutes at once.
 *
 * Authentication: every packet ends with HMAC-SHA256 over all of it, keyed with the 32 bytes
 * the caller gives (sha256 of the shared secret). Anti-replay: the header carries the sender's
 * random boot nonce and a strictly increasing sequence number; a 64-packet window per sender
 * drops replays, and a new nonce is accepted only with a higher incarnation than any seen from
 * the sender (a restarted process starts from a higher incarnation: the glue uses wall-clock
 * milliseconds). Packets failing any check are dropped and counted; they never make anyone live.
 */
#ifndef INGOT_SWIM_SWIM_H
#define INGOT_SWIM_SWIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/monotime.h"

enum swim_state {
	SWIM_ALIVE = 0,
	SWIM_SUSPECT = 1,
	SWIM_DEAD = 2,
	SWIM_LEFT = 3,
};

/* "alive", "suspect", "dead", "left". */
const char *swim_state_name(enum swim_state s);

#define SWIM_KEY_LEN 32
#define SWIM_MAX_NAME 253            /* a Kubernetes Node name (DNS subdomain) */

struct swim_addr {
	ip_addr ip;
	uint16_t port;
};

struct swim_config {
	const char *self;                /* this member's name; copied */
	uint8_t key[SWIM_KEY_LEN];       /* HMAC-SHA256 key */
	uint32_t probe_interval_ms;      /* protocol period at full health */
	uint32_t probe_timeout_ms;       /* direct ack wait at full health */
	uint32_t indirect_checks;        /* members asked to probe on our behalf */
	uint32_t suspicion_mult;         /* min suspicion timeout in protocol periods (x log10 n) */
	uint32_t suspicion_max_mult;     /* max suspicion timeout = this x min */
	uint32_t retransmit_mult;        /* gossip retransmits = this x ceil(log10(n + 1)) */
	uint32_t max_local_health;       /* Lifeguard's awareness ceiling */
	uint64_t nonce;                  /* random per process start */
	uint64_t incarnation;            /* starting incarnation; must grow across restarts */
	uint64_t seed;                   /* for probe order and indirect prober choice */
};

/* Lifeguard's and memberlist's defaults where they fit a LAN of speakers. */
#define SWIM_DEFAULT_PROBE_INTERVAL_MS 100
#define SWIM_DEFAULT_PROBE_TIMEOUT_MS 50
#define SWIM_DEFAULT_INDIRECT_CHECKS 3
#define SWIM_DEFAULT_SUSPICION_MULT 3
#define SWIM_DEFAULT_SUSPICION_MAX_MULT 4
#define SWIM_DEFAULT_RETRANSMIT_MULT 4
#define SWIM_DEFAULT_MAX_LOCAL_HEALTH 8

/* Fills c with the defaults (self, key, nonce, incarnation, seed left zero). */
void swim_config_defaults(struct swim_config *c);

struct swim_event {
	const char *name;                /* the member; valid during the call */
	enum swim_state from, to;
	uint64_t incarnation;
	const char *reason;              /* valid during the call */
};

struct swim_io {
	void (*send)(void *arg, const struct swim_addr *to, const uint8_t *pkt, size_t len);
	void (*event)(void *arg, const struct swim_event *ev);
	void *arg;
};

struct swim_member_spec {
	const char *name;
	struct swim_addr addr;
};

struct swim_member_info {
	const char *name;                /* valid until the next call into the core */
	struct swim_addr addr;
	enum swim_state state;
	uint64_t incarnation;
	bool heard;                      /* a valid packet came from it since we started */
	monotime last_heard;
};

struct swim_stats {
	uint64_t probes;                 /* direct probes started */
	uint64_t auth_failures;          /* bad MAC */
	uint64_t replays;                /* window or nonce check failed */
	uint64_t malformed;              /* authenticated but unparsable, or not our format */
	uint64_t unknown_sender;         /* authenticated, but the sender is not a member */
	uint64_t suspicions;             /* members we started suspecting */
	uint64_t refutations;            /* times we raised our incarnation */
	uint64_t sent, received;
};

struct swim;

/* The core. cfg and io are copied. Owner frees with swim_free(). */
struct swim *swim_new(const struct swim_config *cfg, const struct swim_io *io, monotime now);
void swim_free(struct swim *s);
/*
 * Replaces the member list (this member's own entry, if listed, is skipped). Members that stay
 * keep their state; new ones start DEAD at incarnation 0, unheard; gone ones are forgotten.
 */
void swim_set_members(struct swim *s, const struct swim_member_spec *m, size_t n, monotime now);
/* One UDP payload from `from`. */
void swim_input(struct swim *s, const struct swim_addr *from, const uint8_t *pkt, size_t len,
		monotime now);
/* Runs whatever is due at now. */
void swim_tick(struct swim *s, monotime now);
/* When swim_tick() next has work. */
monotime swim_next_deadline(const struct swim *s);
/* Graceful leave: marks this member LEFT and sends a signed LEAVE to every member at once.
 * The core probes nobody afterwards. */
void swim_leave(struct swim *s, monotime now);

/* Whether the member view is known: a full probe round has completed, or every member was
 * heard from. Until then callers should not trust "not alive". */
bool swim_ready(const struct swim *s);
size_t swim_members(const struct swim *s);
void swim_member(const struct swim *s, size_t i, struct swim_member_info *out);
/* false when name is not a member (this member itself is not one). */
bool swim_find(const struct swim *s, const char *name, struct swim_member_info *out);
uint32_t swim_local_health(const struct swim *s);
uint64_t swim_incarnation(const struct swim *s);
const char *swim_self(const struct swim *s);
void swim_get_stats(const struct swim *s, struct swim_stats *out);

/* --- the glue: UDP socket and timer on the loop (udp.c) ------------------------------------- */

struct swim_udp;

/* Binds bind (port included) and starts probing. cfg->nonce, incarnation and seed are filled in
 * here when zero. event(arg) gets every member state change. NULL with err set on failure. */
struct swim_udp *swim_udp_new(const struct swim_config *cfg, const struct swim_addr *bind,
			      void (*event)(void *arg, const struct swim_event *ev), void *arg,
			      char *err, size_t err_len);
/* Members of another address family than the socket's are skipped. */
void swim_udp_set_members(struct swim_udp *u, const struct swim_member_spec *m, size_t n);
void swim_udp_leave(struct swim_udp *u);
struct swim *swim_udp_core(struct swim_udp *u);
void swim_udp_free(struct swim_udp *u);

#endif
