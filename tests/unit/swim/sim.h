/*
 * A simulated network of SWIM cores for the unit tests (test_core.c): N members "n0".."n<N-1>" at 10.0.0.1.., a fake millisecond clock, 1 ms
 * latency, seeded packet loss, cut links, stopped members, and a log of every state change
 * each member saw. Everything is deterministic for a given seed.
 */
#ifndef INGOT_TESTS_SWIM_SIM_H
#define INGOT_TESTS_SWIM_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swim/swim.h"

#define SIM_MAX 16
#define SIM_MAX_EVENTS 4096

struct sim_pkt {
	int from, to;
	int64_t at;
	size_t len;
	uint8_t *data;
};

struct sim_event {
	int64_t at;
	int observer;
	char name[16];
	enum swim_state from, to;
	char reason[96];
};

struct sim;

struct sim_node {
	struct sim *sim;
	int idx;
	char name[16];
	struct swim *core;
	bool running;
	uint8_t key[SWIM_KEY_LEN];
};

struct sim {
	int n;
	int64_t now;
	struct sim_node node[SIM_MAX];
	bool cut[SIM_MAX][SIM_MAX];      /* packets from i to j are dropped */
	double loss;
	uint64_t rng;
	struct sim_pkt *q;
	size_t nq;
	struct sim_event ev[SIM_MAX_EVENTS];
	size_t nev;
	/* a copy of every packet delivered, for replay tests */
	bool record;
	struct sim_pkt *rec;
	size_t nrec;
};

static inline double sim_rand(struct sim *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return (double)(s->rng >> 11) / (double)(1ULL << 53);
}

static inline struct swim_addr sim_addr(int i)
{
	struct swim_addr a = { ip_addr_v4(0x0a000001u + (uint32_t)i), 7946 };
	return a;
}

static inline int sim_index(const struct swim_addr *a)
{
	return (int)(ip_addr_v4_value(&a->ip) - 0x0a000001u);
}

static inline void sim_send(void *arg, const struct swim_addr *to, const uint8_t *pkt, size_t len)
{
	struct sim_node *nd = arg;
	struct sim *s = nd->sim;
	int dst = sim_index(to);
	if (dst < 0 || dst >= s->n || s->cut[nd->idx][dst])
		return;
	if (s->loss > 0 && sim_rand(s) < s->loss)
		return;
	s->q = realloc(s->q, (s->nq + 1) * sizeof(*s->q));
	uint8_t *copy = malloc(len);
	memcpy(copy, pkt, len);
	s->q[s->nq++] = (struct sim_pkt){ nd->idx, dst, s->now + 1, len, copy };
}

static inline void sim_event_cb(void *arg, const struct swim_event *ev)
{
	struct sim_node *nd = arg;
	struct sim *s = nd->sim;
	if (s->nev >= SIM_MAX_EVENTS)
		return;
	struct sim_event *e = &s->ev[s->nev++];
	e->at = s->now;
	e->observer = nd->idx;
	snprintf(e->name, sizeof(e->name), "%s", ev->name);
	e->from = ev->from;
	e->to = ev->to;
	snprintf(e->reason, sizeof(e->reason), "%s", ev->reason);
}

static inline void sim_key(uint8_t key[SWIM_KEY_LEN], uint8_t fill)
{
	memset(key, fill, SWIM_KEY_LEN);
}

/* Starts (or restarts, with a new nonce and a higher incarnation) member i. */
static inline void sim_start(struct sim *s, int i, uint64_t incarnation)
{
	struct sim_node *nd = &s->node[i];
	if (nd->core)
		swim_free(nd->core);
	struct swim_config c;
	swim_config_defaults(&c);
	c.self = nd->name;
	memcpy(c.key, nd->key, SWIM_KEY_LEN);
	c.nonce = 0x1000u + (uint64_t)i * 7919u + incarnation;
	c.incarnation = incarnation;
	c.seed = (uint64_t)i * 2654435761u + 17u;
	struct swim_io io = { sim_send, sim_event_cb, nd };
	nd->core = swim_new(&c, &io, mono_from_ms(s->now));
	struct swim_member_spec spec[SIM_MAX];
	for (int k = 0; k < s->n; k++)
		spec[k] = (struct swim_member_spec){ s->node[k].name, sim_addr(k) };
	swim_set_members(nd->core, spec, (size_t)s->n, mono_from_ms(s->now));
	nd->running = true;
}

static inline void sim_init(struct sim *s, int n, uint64_t seed)
{
	memset(s, 0, sizeof(*s));
	s->n = n;
	s->rng = seed ? seed : 88172645463325252ULL;
	for (int i = 0; i < n; i++) {
		s->node[i].sim = s;
		s->node[i].idx = i;
		snprintf(s->node[i].name, sizeof(s->node[i].name), "n%d", i);
		sim_key(s->node[i].key, 0x42);
	}
}

static inline void sim_start_all(struct sim *s)
{
	for (int i = 0; i < s->n; i++)
		sim_start(s, i, 1000 + (uint64_t)i);
}

static inline void sim_deliver(struct sim *s, const struct sim_pkt *p)
{
	struct sim_node *nd = &s->node[p->to];
	if (!nd->running)
		return;
	struct swim_addr from = sim_addr(p->from);
	swim_input(nd->core, &from, p->data, p->len, mono_from_ms(s->now));
}

/* Runs the network for ms milliseconds in 1 ms steps. */
static inline void sim_run(struct sim *s, int64_t ms)
{
	int64_t end = s->now + ms;
	while (s->now < end) {
		s->now++;
		size_t keep = 0;
		for (size_t i = 0; i < s->nq; i++) {
			struct sim_pkt p = s->q[i];
			if (p.at > s->now) {
				s->q[keep++] = p;
				continue;
			}
			sim_deliver(s, &p);
			if (s->record) {
				s->rec = realloc(s->rec, (s->nrec + 1) * sizeof(*s->rec));
				s->rec[s->nrec++] = p;
			} else {
				free(p.data);
			}
		}
		/* Packets sent while delivering were appended behind the loop's position and kept. */
		s->nq = keep;
		for (int i = 0; i < s->n; i++) {
			struct sim_node *nd = &s->node[i];
			if (!nd->running)
				continue;
			if (!mono_before(mono_from_ms(s->now), swim_next_deadline(nd->core)))
				swim_tick(nd->core, mono_from_ms(s->now));
		}
	}
}

static inline enum swim_state sim_view(struct sim *s, int observer, int member)
{
	struct swim_member_info mi;
	if (!swim_find(s->node[observer].core, s->node[member].name, &mi))
		return SWIM_DEAD;
	return mi.state;
}

/* First time any running member other than m saw m reach state st at or after since; -1: never. */
static inline int64_t sim_first(struct sim *s, int m, enum swim_state st, int64_t since)
{
	for (size_t i = 0; i < s->nev; i++)
		if (s->ev[i].at >= since && s->ev[i].to == st &&
		    strcmp(s->ev[i].name, s->node[m].name) == 0)
			return s->ev[i].at;
	return -1;
}

/* Whether every running member other than m sees m in state st. */
static inline bool sim_all_see(struct sim *s, int m, enum swim_state st)
{
	for (int i = 0; i < s->n; i++)
		if (i != m && s->node[i].running && sim_view(s, i, m) != st)
			return false;
	return true;
}

static inline size_t sim_count(struct sim *s, int m, enum swim_state st, int64_t since)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nev; i++)
		if (s->ev[i].at >= since && s->ev[i].to == st &&
		    (m < 0 || strcmp(s->ev[i].name, s->node[m].name) == 0))
			n++;
	return n;
}

static inline void sim_free(struct sim *s)
{
	for (int i = 0; i < s->n; i++)
		swim_free(s->node[i].core);
	for (size_t i = 0; i < s->nq; i++)
		free(s->q[i].data);
	free(s->q);
	for (size_t i = 0; i < s->nrec; i++)
		free(s->rec[i].data);
	free(s->rec);
}

#endif
