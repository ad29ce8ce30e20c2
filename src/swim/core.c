/*
 * The SWIM + Lifeguard protocol core (swim.h): member states, probes, indirect probes, NACKs,
 * suspicion with confirmations, refutation, piggybacked gossip, graceful leave, and the
 * authentication and anti-replay checks on input. No sockets, no clock: time comes in as
 * arguments, packets go out through io->send.
 *
 * Member state changes follow the SWIM paper's rules (section 4.2, "suspicion mechanism"):
 *   alive(i)   overrides suspect(j) and dead/left(j) when i > j, alive(j) when i > j;
 *   suspect(i) overrides alive(j) when i >= j, suspect(j) when i > j;
 *   dead(i) and left(i) override alive and suspect when i >= j.
 * Any authenticated packet from a member is its own alive(incarnation) claim (the header).
 * A member that hears itself suspected, declared dead or left (not while leaving) refutes:
 * incarnation := claimed + 1, gossiped as alive.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "swim/wire.h"

#define WINDOW_BITS 64
#define MAX_CONFIRM 16
#define MAX_FORWARDS 64

struct member {
	char *name;
	struct swim_addr addr;
	enum swim_state state;
	uint64_t inc;
	bool heard;
	monotime last_heard;
	bool probed;                 /* a probe of it finished (startup readiness) */
	/* anti-replay */
	bool have_window;
	uint64_t nonce, max_seq, bitmap, max_inc_seen;
	/* suspicion (state SUSPECT) */
	monotime susp_start, susp_deadline;
	char *confirm[MAX_CONFIRM];  /* distinct members that suspected it besides the first */
	size_t nconfirm;
	char *suspecter;
	bool keep;                   /* scratch for swim_set_members */
};

struct bcast {
	char *name, *from;
	enum swim_state state;
	uint64_t inc;
	uint32_t transmits;
};

struct forward {
	uint32_t my_probe, their_probe;
	struct swim_addr requester;
	monotime nack_at, expire_at;
	bool nacked;
};

struct swim {
	struct swim_config cfg;
	char *self;
	struct swim_io io;
	uint64_t inc;
	uint64_t seq;
	uint32_t probe_counter;
	uint64_t rng;
	uint32_t lhm;                /* Lifeguard local health multiplier */
	bool leaving;
	bool ready;

	struct member *m;
	size_t n;
	size_t probe_idx;            /* next position in m[] to probe */
	size_t since_shuffle;        /* probes started since the last full pass */

	/* the probe in flight */
	bool probing;
	char *target;
	uint32_t probe_id;
	monotime probe_timeout_at, probe_end_at;
	bool acked, indirect_sent;
	uint32_t expected_nacks, nacks;
	enum swim_state target_state;
	monotime next_probe_at;

	struct forward fwd[MAX_FORWARDS];
	size_t nfwd;

	struct bcast *bq;
	size_t nbq;

	struct swim_stats st;
};

const char *swim_state_name(enum swim_state s)
{
	switch (s) {
	case SWIM_ALIVE: return "alive";
	case SWIM_SUSPECT: return "suspect";
	case SWIM_DEAD: return "dead";
	case SWIM_LEFT: return "left";
	}
	return "?";
}

void swim_config_defaults(struct swim_config *c)
{
	memset(c, 0, sizeof(*c));
	c->probe_interval_ms = SWIM_DEFAULT_PROBE_INTERVAL_MS;
	c->probe_timeout_ms = SWIM_DEFAULT_PROBE_TIMEOUT_MS;
	c->indirect_checks = SWIM_DEFAULT_INDIRECT_CHECKS;
	c->suspicion_mult = SWIM_DEFAULT_SUSPICION_MULT;
	c->suspicion_max_mult = SWIM_DEFAULT_SUSPICION_MAX_MULT;
	c->retransmit_mult = SWIM_DEFAULT_RETRANSMIT_MULT;
	c->max_local_health = SWIM_DEFAULT_MAX_LOCAL_HEALTH;
}

/* xorshift64*: the core must be deterministic for a given seed (tests), not cryptographic. */
static uint64_t rnd(struct swim *s)
{
	uint64_t x = s->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	s->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static bool name_eq(const char *a, struct swim_name b)
{
	return strlen(a) == b.len && memcmp(a, b.p, b.len) == 0;
}

static struct member *find_n(struct swim *s, struct swim_name nm)
{
	for (size_t i = 0; i < s->n; i++)
		if (name_eq(s->m[i].name, nm))
			return &s->m[i];
	return NULL;
}

static struct member *find(const struct swim *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->m[i].name, name) == 0)
			return &s->m[i];
	return NULL;
}

static struct swim_name sname(const char *p)
{
	struct swim_name n = { p, p ? strlen(p) : 0 };
	return n;
}

static monotime scaled(const struct swim *s, uint32_t ms)
{
	return mono_from_ms((int64_t)ms * (s->lhm + 1));
}

static void health(struct swim *s, int delta)
{
	int64_t v = (int64_t)s->lhm + delta;
	if (v < 0)
		v = 0;
	if (v > (int64_t)s->cfg.max_local_health)
		v = s->cfg.max_local_health;
	s->lhm = (uint32_t)v;
}

/* --- gossip queue ---------------------------------------------------------------------------- */

static uint32_t retransmit_limit(const struct swim *s)
{
	return s->cfg.retransmit_mult * (uint32_t)ceil(log10((double)s->n + 2));
}

static void bq_drop(struct swim *s, size_t i)
{
	free(s->bq[i].name);
	free(s->bq[i].from);
	s->bq[i] = s->bq[--s->nbq];
}

/* Queues an update about name, replacing any older one about the same member. */
static void gossip(struct swim *s, const char *name, enum swim_state st, uint64_t inc,
		   const char *from)
{
	for (size_t i = 0; i < s->nbq; i++) {
		if (strcmp(s->bq[i].name, name) == 0) {
			bq_drop(s, i);
			break;
		}
	}
	s->bq = xreallocarray(s->bq, s->nbq + 1, sizeof(*s->bq));
	s->bq[s->nbq++] = (struct bcast){ xstrdup(name), xstrdup(from ? from : ""), st, inc, 0 };
}

static int bq_cmp(const void *a, const void *b)
{
	const struct bcast *x = a, *y = b;
	return (x->transmits > y->transmits) - (x->transmits < y->transmits);
}

/* Encodes m with as much gossip as fits (fewest transmitted first) and sends it to `to`. */
static void send_msg(struct swim *s, const struct swim_addr *to, struct swim_msg *m)
{
	m->nonce = s->cfg.nonce;
	m->seq = ++s->seq;
	m->incarnation = s->inc;
	m->sender = sname(s->self);
	if (s->nbq > 1)
		qsort(s->bq, s->nbq, sizeof(*s->bq), bq_cmp);
	size_t n = s->nbq < SWIM_MAX_GOSSIP ? s->nbq : SWIM_MAX_GOSSIP;
	struct swim_gossip g[SWIM_MAX_GOSSIP];
	for (size_t i = 0; i < n; i++)
		g[i] = (struct swim_gossip){ (uint8_t)s->bq[i].state, s->bq[i].inc,
					     sname(s->bq[i].name), sname(s->bq[i].from) };
	uint8_t buf[SWIM_MAX_PACKET];
	wbuf w = wbuf_make(buf, sizeof(buf));
	int put = swim_wire_encode(&w, s->cfg.key, m, g, n);
	if (put < 0)
		return;
	uint32_t limit = retransmit_limit(s);
	for (size_t i = (size_t)put; i-- > 0;) {
		if (++s->bq[i].transmits >= limit)
			bq_drop(s, i);
	}
	s->st.sent++;
	s->io.send(s->io.arg, to, buf, wbuf_len(&w));
}

/* --- member state ---------------------------------------------------------------------------- */

static void clear_suspicion(struct member *mb)
{
	for (size_t i = 0; i < mb->nconfirm; i++)
		free(mb->confirm[i]);
	mb->nconfirm = 0;
	free(mb->suspecter);
	mb->suspecter = NULL;
}

static void change_state(struct swim *s, struct member *mb, enum swim_state to, uint64_t inc,
			 const char *reason)
{
	enum swim_state from = mb->state;
	mb->state = to;
	mb->inc = inc;
	if (to != SWIM_SUSPECT)
		clear_suspicion(mb);
	if (from != to && s->io.event) {
		struct swim_event ev = { mb->name, from, to, inc, reason };
		s->io.event(s->io.arg, &ev);
	}
}

static size_t live_count(const struct swim *s)
{
	size_t n = 1;
	for (size_t i = 0; i < s->n; i++)
		if (s->m[i].state == SWIM_ALIVE || s->m[i].state == SWIM_SUSPECT)
			n++;
	return n;
}

/* Lifeguard section 4.3: min * max_mult at first, down to min after k confirmations. */
static void suspicion_deadline(struct swim *s, struct member *mb)
{
	double n = (double)live_count(s);
	double lg = log10(n) < 1 ? 1 : log10(n);
	double min_ms = s->cfg.suspicion_mult * lg * s->cfg.probe_interval_ms;
	double max_ms = min_ms * (s->cfg.suspicion_max_mult ? s->cfg.suspicion_max_mult : 1);
	/* Expected independent confirmations: the indirect checks, or none when too few other
	 * members exist to ever send them. */
	double k = s->cfg.indirect_checks;
	if (n - 2 < k)
		k = 0;
	double t = min_ms;
	if (k >= 1) {
		double c = (double)mb->nconfirm;
		double frac = log(c + 1) / log(k + 1);
		t = max_ms - (max_ms - min_ms) * (frac > 1 ? 1 : frac);
		if (t < min_ms)
			t = min_ms;
	}
	mb->susp_deadline = mono_add(mb->susp_start, mono_from_ms((int64_t)t));
}

static void refute(struct swim *s, uint64_t claimed)
{
	if (s->leaving)
		return;
	if (claimed >= s->inc)
		s->inc = claimed + 1;
	else
		s->inc++;
	s->st.refutations++;
	health(s, 1);
	gossip(s, s->self, SWIM_ALIVE, s->inc, NULL);
}

static void on_alive(struct swim *s, struct member *mb, uint64_t inc, const char *reason)
{
	bool newer = inc > mb->inc;
	/* Never heard of at all (DEAD at 0): any claim from it counts. */
	if (!newer && !(mb->state == SWIM_ALIVE && inc == mb->inc))
		return;
	if (mb->state == SWIM_ALIVE) {
		mb->inc = inc;
		return;
	}
	change_state(s, mb, SWIM_ALIVE, inc, reason);
	gossip(s, mb->name, SWIM_ALIVE, inc, NULL);
}

static bool has_confirm(const struct member *mb, const char *from)
{
	if (mb->suspecter && strcmp(mb->suspecter, from) == 0)
		return true;
	for (size_t i = 0; i < mb->nconfirm; i++)
		if (strcmp(mb->confirm[i], from) == 0)
			return true;
	return false;
}

static void on_suspect(struct swim *s, struct member *mb, uint64_t inc, const char *from,
		       monotime now)
{
	if (mb->state == SWIM_DEAD || mb->state == SWIM_LEFT || inc < mb->inc)
		return;
	if (mb->state == SWIM_SUSPECT && inc == mb->inc) {
		/* Another member's independent suspicion shortens the timeout (Lifeguard 4.3). */
		if (from && *from && !has_confirm(mb, from) && mb->nconfirm < MAX_CONFIRM) {
			mb->confirm[mb->nconfirm++] = xstrdup(from);
			suspicion_deadline(s, mb);
			gossip(s, mb->name, SWIM_SUSPECT, inc, from);
		}
		return;
	}
	char reason[SWIM_MAX_NAME + 64];
	if (from && strcmp(from, s->self) == 0)
		snprintf(reason, sizeof(reason), "no ack to direct or indirect probes");
	else
		snprintf(reason, sizeof(reason), "suspected by %s", from && *from ? from : "?");
	change_state(s, mb, SWIM_SUSPECT, inc, reason);
	/* A suspicion at a higher incarnation starts over: earlier confirmations were about the
	 * old one. */
	clear_suspicion(mb);
	mb->suspecter = xstrdup(from ? from : "");
	mb->susp_start = now;
	suspicion_deadline(s, mb);
	s->st.suspicions++;
	gossip(s, mb->name, SWIM_SUSPECT, inc, from);
}

static void on_dead(struct swim *s, struct member *mb, enum swim_state to, uint64_t inc,
		    const char *reason)
{
	if (inc < mb->inc || mb->state == SWIM_LEFT || (mb->state == SWIM_DEAD && to == SWIM_DEAD))
		return;
	change_state(s, mb, to, inc, reason);
	gossip(s, mb->name, to, inc, NULL);
}

static void apply_gossip(struct swim *s, const struct swim_gossip *g, const char *sender,
			 monotime now)
{
	char name[SWIM_MAX_NAME + 1], from[SWIM_MAX_NAME + 1];
	memcpy(name, g->name.p, g->name.len);
	name[g->name.len] = 0;
	memcpy(from, g->from.p, g->from.len);
	from[g->from.len] = 0;
	if (strcmp(name, s->self) == 0) {
		if (g->state != SWIM_ALIVE && g->incarnation >= s->inc)
			refute(s, g->incarnation);
		return;
	}
	struct member *mb = find(s, name);
	if (!mb)
		return;
	char reason[2 * SWIM_MAX_NAME + 64];
	switch ((enum swim_state)g->state) {
	case SWIM_ALIVE:
		snprintf(reason, sizeof(reason), "alive (gossip from %s)", sender);
		on_alive(s, mb, g->incarnation, reason);
		break;
	case SWIM_SUSPECT:
		on_suspect(s, mb, g->incarnation, *from ? from : sender, now);
		break;
	case SWIM_DEAD:
		snprintf(reason, sizeof(reason), "declared dead (gossip from %s)", sender);
		on_dead(s, mb, SWIM_DEAD, g->incarnation, reason);
		break;
	case SWIM_LEFT:
		snprintf(reason, sizeof(reason), "left (gossip from %s)", sender);
		on_dead(s, mb, SWIM_LEFT, g->incarnation, reason);
		break;
	}
}

/* --- anti-replay ----------------------------------------------------------------------------- */

static bool replay_ok(struct member *mb, const struct swim_msg *m)
{
	if (!mb->have_window || m->nonce != mb->nonce) {
		/* A new process of the member must come with a higher incarnation than any seen:
		 * a replayed packet of an older boot cannot reset the window. */
		if (mb->have_window && m->incarnation <= mb->max_inc_seen)
			return false;
		mb->have_window = true;
		mb->nonce = m->nonce;
		mb->max_seq = m->seq;
		mb->bitmap = 1;
		mb->max_inc_seen = m->incarnation;
		return true;
	}
	if (m->seq > mb->max_seq) {
		uint64_t shift = m->seq - mb->max_seq;
		mb->bitmap = shift >= WINDOW_BITS ? 0 : mb->bitmap << shift;
		mb->bitmap |= 1;
		mb->max_seq = m->seq;
	} else {
		uint64_t back = mb->max_seq - m->seq;
		if (back >= WINDOW_BITS || (mb->bitmap & (1ULL << back)))
			return false;
		mb->bitmap |= 1ULL << back;
	}
	if (m->incarnation > mb->max_inc_seen)
		mb->max_inc_seen = m->incarnation;
	return true;
}

/* --- probing --------------------------------------------------------------------------------- */

static void send_ping(struct swim *s, struct member *mb, uint32_t probe)
{
	struct swim_msg m = { .type = SWIM_MSG_PING, .probe = probe, .target = sname(mb->name) };
	/* Buddy system (Lifeguard 4.4): tell a member what we hold against it. */
	m.view_state = (uint8_t)mb->state;
	m.view_incarnation = mb->inc;
	send_msg(s, &mb->addr, &m);
}

static void shuffle(struct swim *s)
{
	for (size_t i = s->n; i > 1; i--) {
		size_t j = (size_t)(rnd(s) % i);
		struct member t = s->m[i - 1];
		s->m[i - 1] = s->m[j];
		s->m[j] = t;
	}
}

static void start_probe(struct swim *s, monotime now)
{
	s->next_probe_at = mono_add(now, scaled(s, s->cfg.probe_interval_ms));
	if (s->n == 0 || s->leaving)
		return;
	if (s->probe_idx >= s->n) {
		s->probe_idx = 0;
		shuffle(s);
	}
	struct member *mb = &s->m[s->probe_idx++];
	free(s->target);
	s->target = xstrdup(mb->name);
	s->probing = true;
	s->probe_id = ++s->probe_counter;
	s->acked = false;
	s->indirect_sent = false;
	s->expected_nacks = 0;
	s->nacks = 0;
	s->target_state = mb->state;
	s->probe_timeout_at = mono_add(now, scaled(s, s->cfg.probe_timeout_ms));
	s->probe_end_at = s->next_probe_at;
	s->st.probes++;
	send_ping(s, mb, s->probe_id);
}

static void send_indirect(struct swim *s, struct member *target)
{
	s->indirect_sent = true;
	size_t *cand = xcalloc(s->n + 1, sizeof(*cand)), nc = 0;
	for (size_t i = 0; i < s->n; i++) {
		struct member *o = &s->m[i];
		if (o != target && o->state == SWIM_ALIVE)
			cand[nc++] = i;
	}
	for (uint32_t k = 0; k < s->cfg.indirect_checks && nc > 0; k++) {
		size_t j = (size_t)(rnd(s) % nc);
		struct member *via = &s->m[cand[j]];
		cand[j] = cand[--nc];
		struct swim_msg m = { .type = SWIM_MSG_PING_REQ, .probe = s->probe_id,
				      .target = sname(target->name) };
		send_msg(s, &via->addr, &m);
		s->expected_nacks++;
	}
	free(cand);
}

static void finish_probe(struct swim *s, monotime now)
{
	s->probing = false;
	struct member *mb = find(s, s->target);
	if (!mb)
		return;
	mb->probed = true;
	bool counts = s->target_state == SWIM_ALIVE || s->target_state == SWIM_SUSPECT;
	if (s->acked) {
		if (counts)
			health(s, -1);
		return;
	}
	if (!counts)
		return;
	/* Lifeguard 4.2: missing NACKs mean our own network or process is the slow part. */
	if (s->expected_nacks > 0)
		health(s, (int)(s->expected_nacks - (s->nacks < s->expected_nacks ? s->nacks
							     : s->expected_nacks)));
	else
		health(s, 1);
	if (mb->state == SWIM_ALIVE)
		on_suspect(s, mb, mb->inc, s->self, now);
}

static void check_ready(struct swim *s)
{
	if (s->ready)
		return;
	for (size_t i = 0; i < s->n; i++)
		if (!s->m[i].probed && !s->m[i].heard)
			return;
	s->ready = true;
}

/* --- input ----------------------------------------------------------------------------------- */

static void handle(struct swim *s, struct member *mb, const struct swim_addr *from,
		   const struct swim_msg *m, monotime now)
{
	switch (m->type) {
	case SWIM_MSG_PING: {
		if (!name_eq(s->self, m->target))
			return;
		if (m->view_state != SWIM_ALIVE && m->view_incarnation >= s->inc)
			refute(s, m->view_incarnation);
		struct swim_msg a = { .type = SWIM_MSG_ACK, .probe = m->probe };
		send_msg(s, from, &a);
		break;
	}
	case SWIM_MSG_ACK:
		if (s->probing && m->probe == s->probe_id) {
			s->acked = true;
			return;
		}
		for (size_t i = 0; i < s->nfwd; i++) {
			if (s->fwd[i].my_probe == m->probe) {
				struct swim_msg a = { .type = SWIM_MSG_ACK,
						      .probe = s->fwd[i].their_probe };
				struct swim_addr to = s->fwd[i].requester;
				s->fwd[i] = s->fwd[--s->nfwd];
				send_msg(s, &to, &a);
				return;
			}
		}
		break;
	case SWIM_MSG_NACK:
		if (s->probing && m->probe == s->probe_id)
			s->nacks++;
		break;
	case SWIM_MSG_PING_REQ: {
		if (name_eq(s->self, m->target)) {
			struct swim_msg a = { .type = SWIM_MSG_ACK, .probe = m->probe };
			send_msg(s, from, &a);
			return;
		}
		struct member *t = find_n(s, m->target);
		if (!t || s->nfwd >= MAX_FORWARDS || s->leaving)
			return;
		struct forward *f = &s->fwd[s->nfwd++];
		f->my_probe = ++s->probe_counter;
		f->their_probe = m->probe;
		f->requester = *from;
		/* Lifeguard 4.2: NACK at 80% of the timeout, so it arrives before the requester's
		 * protocol period ends. */
		f->nack_at = mono_add(now, mono_from_ns(mono_to_ns(scaled(s,
					s->cfg.probe_timeout_ms)) * 8 / 10));
		f->expire_at = mono_add(now, scaled(s, s->cfg.probe_interval_ms));
		f->nacked = false;
		send_ping(s, t, f->my_probe);
		break;
	}
	case SWIM_MSG_LEAVE:
		on_dead(s, mb, SWIM_LEFT, m->incarnation, "left (graceful leave)");
		break;
	}
}

void swim_input(struct swim *s, const struct swim_addr *from, const uint8_t *pkt, size_t len,
		monotime now)
{
	size_t blen;
	if (!swim_wire_verify(s->cfg.key, pkt, len, &blen)) {
		s->st.auth_failures++;
		return;
	}
	struct swim_msg m;
	if (!swim_wire_decode(pkt, blen, &m)) {
		s->st.malformed++;
		return;
	}
	if (name_eq(s->self, m.sender)) {
		s->st.unknown_sender++;
		return;
	}
	struct member *mb = find_n(s, m.sender);
	if (!mb) {
		s->st.unknown_sender++;
		return;
	}
	if (!replay_ok(mb, &m)) {
		s->st.replays++;
		return;
	}
	s->st.received++;
	mb->heard = true;
	mb->last_heard = now;
	/* The header is the sender's own claim to be alive at its incarnation; a LEAVE claims
	 * the opposite. */
	if (m.type != SWIM_MSG_LEAVE)
		on_alive(s, mb, m.incarnation, "answered");
	char sender[SWIM_MAX_NAME + 1];
	snprintf(sender, sizeof(sender), "%s", mb->name);
	handle(s, mb, from, &m, now);
	for (size_t i = 0; i < m.ngossip; i++)
		apply_gossip(s, &m.gossip[i], sender, now);
	check_ready(s);
}

/* --- timers ---------------------------------------------------------------------------------- */

void swim_tick(struct swim *s, monotime now)
{
	for (size_t i = 0; i < s->nfwd;) {
		struct forward *f = &s->fwd[i];
		if (!f->nacked && !mono_before(now, f->nack_at)) {
			f->nacked = true;
			struct swim_msg nk = { .type = SWIM_MSG_NACK, .probe = f->their_probe };
			struct swim_addr to = f->requester;
			send_msg(s, &to, &nk);
		}
		if (!mono_before(now, s->fwd[i].expire_at))
			s->fwd[i] = s->fwd[--s->nfwd];
		else
			i++;
	}
	for (size_t i = 0; i < s->n; i++) {
		struct member *mb = &s->m[i];
		if (mb->state == SWIM_SUSPECT && !mono_before(now, mb->susp_deadline)) {
			char reason[64];
			snprintf(reason, sizeof(reason), "suspicion timeout (%lld ms)",
				 (long long)mono_to_ms(mono_sub(now, mb->susp_start)));
			change_state(s, mb, SWIM_DEAD, mb->inc, reason);
			gossip(s, mb->name, SWIM_DEAD, mb->inc, NULL);
		}
	}
	if (s->probing && !s->acked && !s->indirect_sent && !mono_before(now, s->probe_timeout_at)) {
		struct member *t = find(s, s->target);
		bool counts = s->target_state == SWIM_ALIVE || s->target_state == SWIM_SUSPECT;
		if (t && counts)
			send_indirect(s, t);
		else
			s->indirect_sent = true;
	}
	if (s->probing && !mono_before(now, s->probe_end_at))
		finish_probe(s, now);
	if (!s->probing && !mono_before(now, s->next_probe_at))
		start_probe(s, now);
	check_ready(s);
}

static monotime earliest(monotime a, monotime b)
{
	return mono_before(b, a) ? b : a;
}

monotime swim_next_deadline(const struct swim *s)
{
	monotime t = s->next_probe_at;
	if (s->probing) {
		t = earliest(t, s->probe_end_at);
		if (!s->acked && !s->indirect_sent)
			t = earliest(t, s->probe_timeout_at);
	}
	for (size_t i = 0; i < s->nfwd; i++) {
		if (!s->fwd[i].nacked)
			t = earliest(t, s->fwd[i].nack_at);
		t = earliest(t, s->fwd[i].expire_at);
	}
	for (size_t i = 0; i < s->n; i++)
		if (s->m[i].state == SWIM_SUSPECT)
			t = earliest(t, s->m[i].susp_deadline);
	return t;
}

/* --- life cycle ------------------------------------------------------------------------------ */

struct swim *swim_new(const struct swim_config *cfg, const struct swim_io *io, monotime now)
{
	struct swim *s = xcalloc(1, sizeof(*s));
	s->cfg = *cfg;
	s->self = xstrdup(cfg->self);
	s->cfg.self = s->self;
	if (s->cfg.probe_interval_ms == 0)
		s->cfg.probe_interval_ms = SWIM_DEFAULT_PROBE_INTERVAL_MS;
	if (s->cfg.probe_timeout_ms == 0 || s->cfg.probe_timeout_ms > s->cfg.probe_interval_ms)
		s->cfg.probe_timeout_ms = s->cfg.probe_interval_ms / 2 ? s->cfg.probe_interval_ms / 2
								       : 1;
	if (s->cfg.suspicion_mult == 0)
		s->cfg.suspicion_mult = 1;
	if (s->cfg.retransmit_mult == 0)
		s->cfg.retransmit_mult = 1;
	s->io = *io;
	s->inc = cfg->incarnation;
	s->rng = cfg->seed ? cfg->seed : 0x9E3779B97F4A7C15ULL;
	s->next_probe_at = now;
	return s;
}

static void member_free(struct member *mb)
{
	clear_suspicion(mb);
	free(mb->name);
}

void swim_free(struct swim *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		member_free(&s->m[i]);
	free(s->m);
	while (s->nbq)
		bq_drop(s, 0);
	free(s->bq);
	free(s->target);
	free(s->self);
	free(s);
}

void swim_set_members(struct swim *s, const struct swim_member_spec *spec, size_t n, monotime now)
{
	(void)now;
	for (size_t i = 0; i < s->n; i++)
		s->m[i].keep = false;
	for (size_t i = 0; i < n; i++) {
		if (!spec[i].name || strcmp(spec[i].name, s->self) == 0 ||
		    !swim_name_valid(spec[i].name, strlen(spec[i].name)))
			continue;
		struct member *mb = find(s, spec[i].name);
		if (!mb) {
			s->m = xreallocarray(s->m, s->n + 1, sizeof(*s->m));
			mb = &s->m[s->n++];
			memset(mb, 0, sizeof(*mb));
			mb->name = xstrdup(spec[i].name);
			mb->state = SWIM_DEAD;   /* never heard: not live until it answers */
			/* Probe the newcomer soon rather than at the end of the current pass. */
			if (s->probe_idx + 1 < s->n) {
				struct member t = s->m[s->probe_idx];
				s->m[s->probe_idx] = *mb;
				*mb = t;
				mb = &s->m[s->probe_idx];
			}
		}
		mb->addr = spec[i].addr;
		mb->keep = true;
	}
	for (size_t i = 0; i < s->n;) {
		if (s->m[i].keep) {
			i++;
			continue;
		}
		member_free(&s->m[i]);
		s->m[i] = s->m[--s->n];
	}
	if (s->probe_idx > s->n)
		s->probe_idx = s->n;
	check_ready(s);
}

void swim_leave(struct swim *s, monotime now)
{
	(void)now;
	if (s->leaving)
		return;
	s->leaving = true;
	s->inc++;
	s->probing = false;
	gossip(s, s->self, SWIM_LEFT, s->inc, NULL);
	for (size_t i = 0; i < s->n; i++) {
		struct swim_msg m = { .type = SWIM_MSG_LEAVE };
		send_msg(s, &s->m[i].addr, &m);
	}
}

bool swim_ready(const struct swim *s)
{
	return s->ready;
}

size_t swim_members(const struct swim *s)
{
	return s->n;
}

static void info_of(const struct member *mb, struct swim_member_info *out)
{
	*out = (struct swim_member_info){ mb->name, mb->addr, mb->state, mb->inc, mb->heard,
					  mb->last_heard };
}

void swim_member(const struct swim *s, size_t i, struct swim_member_info *out)
{
	info_of(&s->m[i], out);
}

bool swim_find(const struct swim *s, const char *name, struct swim_member_info *out)
{
	const struct member *mb = find(s, name);
	if (!mb)
		return false;
	info_of(mb, out);
	return true;
}

uint32_t swim_local_health(const struct swim *s)
{
	return s->lhm;
}

uint64_t swim_incarnation(const struct swim *s)
{
	return s->inc;
}

const char *swim_self(const struct swim *s)
{
	return s->self;
}

void swim_get_stats(const struct swim *s, struct swim_stats *out)
{
	*out = s->st;
}
