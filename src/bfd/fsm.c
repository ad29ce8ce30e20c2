/*
 * One BFD session's state machine (RFC 5880 §6.2, §6.8), pure logic over a fake or real clock.
 * See fsm.h for the clauses it follows. change_state() does all entry and exit work (slow start
 * on and off, the Poll Sequence for the new intervals) and logs every transition.
 */
#include "bfd/fsm.h"

#include <string.h>

#include "core/log.h"
#include "core/xorshift.h"

static uint32_t max_u32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

/* Jitter only needs to differ between packets and between sessions. */
static uint32_t next_rnd(struct bfd_fsm *f)
{
	return xorshift32(&f->rnd);
}

uint32_t bfd_fsm_tx_interval_us(const struct bfd_fsm *f)
{
	/* §6.8.2/§6.8.7: never faster than our Desired Min TX nor the remote's Required Min RX. */
	return max_u32(f->tx_use_us, f->remote_min_rx_us);
}

static int64_t detect_time_ns(const struct bfd_fsm *f)
{
	/* §6.8.4: remote Detect Mult × max(bfd.RequiredMinRxInterval, remote Desired Min TX). */
	return (int64_t)f->remote_detect_mult * max_u32(f->rx_use_us, f->remote_min_tx_us) * 1000;
}

uint32_t bfd_fsm_detect_time_us(const struct bfd_fsm *f)
{
	int64_t us = detect_time_ns(f) / 1000;
	return us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

/* §6.8.7: each interval is reduced by 0-25 %, or by 10-25 % when bfd.DetectMult is 1. */
static int64_t jittered_ns(struct bfd_fsm *f)
{
	int64_t interval = (int64_t)bfd_fsm_tx_interval_us(f) * 1000;
	int64_t most = interval / 4;
	int64_t least = f->cfg.detect_mult == 1 ? interval / 10 : 0;
	int64_t cut = least + (int64_t)(next_rnd(f) % (uint64_t)(most - least + 1));
	return interval - cut;
}

/* The next periodic packet one jittered interval after `from`, but not in the past. */
static void schedule_tx(struct bfd_fsm *f, monotime from, monotime now)
{
	f->tx_on = true;
	f->next_tx = mono_add(from, mono_from_ns(jittered_ns(f)));
	if (mono_before(f->next_tx, now))
		f->next_tx = now;
}

/* The transmit interval may have changed: re-time the next packet from the last one. */
static void retime_tx(struct bfd_fsm *f, uint32_t old_interval, monotime now)
{
	if (bfd_fsm_tx_interval_us(f) == old_interval || mono_is_zero(f->last_tx))
		return;
	schedule_tx(f, f->last_tx, now);
}

/* §6.8.4: the Detection Time counts from the last packet received. */
static void retime_detect(struct bfd_fsm *f)
{
	if (f->detect_on)
		f->detect_at = mono_add(f->last_rx, mono_from_ns(detect_time_ns(f)));
}

/* §6.8.3: a new bfd.DesiredMinTxInterval. While Up an increase waits for the Poll Sequence's
 * Final, so the remote has stretched its Detection Time first. */
static void set_tx(struct bfd_fsm *f, uint32_t v, monotime now)
{
	if (v == f->tx_adv_us)
		return;
	uint32_t old = bfd_fsm_tx_interval_us(f);
	f->tx_adv_us = v;
	if (f->state != BFD_STATE_UP || v < f->tx_use_us) {
		f->tx_use_us = v;
		retime_tx(f, old, now);
	}
	if (f->state == BFD_STATE_UP)
		f->poll = true;
}

/* §6.8.3: a new bfd.RequiredMinRxInterval. While Up a decrease waits for the Final, so the remote
 * sends faster before our Detection Time shrinks. */
static void set_rx(struct bfd_fsm *f, uint32_t v)
{
	if (v == f->rx_adv_us)
		return;
	f->rx_adv_us = v;
	if (f->state != BFD_STATE_UP || v > f->rx_use_us) {
		f->rx_use_us = v;
		retime_detect(f);
	}
	if (f->state == BFD_STATE_UP)
		f->poll = true;
}

/* Outside Up nothing waits for a Final: advertised values are the ones in force (§6.8.3). */
static void settle_intervals(struct bfd_fsm *f, monotime now)
{
	uint32_t old = bfd_fsm_tx_interval_us(f);
	f->poll = false;
	f->tx_use_us = f->tx_adv_us;
	f->rx_use_us = f->rx_adv_us;
	retime_tx(f, old, now);
	retime_detect(f);
}

static void change_state(struct bfd_fsm *f, enum bfd_state to, enum bfd_diag diag, monotime now,
			 struct bfd_fsm_out *out)
{
	enum bfd_state from = f->state;
	if (from == to)
		return;
	if (!(out->actions & BFD_ACT_STATE))
		out->from = from;
	out->actions |= BFD_ACT_STATE | BFD_ACT_SEND;   /* tell the peer at once */
	f->state = to;
	f->local_diag = to == BFD_STATE_UP ? BFD_DIAG_NONE : diag;
	f->transitions++;
	if (from == BFD_STATE_UP)
		f->down_count++;   /* to Down, or AdminDown when we stop */
	log_info("bfd", "session state changed", "peer=%s from=%s to=%s diag=%s remote=%s",
		 f->cfg.peer, bfd_state_name(from), bfd_state_name(to),
		 bfd_diag_name(f->local_diag), bfd_state_name(f->remote_state));
	if (to == BFD_STATE_UP) {
		/* §6.8.3: slow start ends; the configured rate goes out with a Poll Sequence. */
		f->up_count++;
		set_tx(f, f->cfg.desired_min_tx_us, now);
		if (f->tx_adv_us != f->tx_use_us || f->rx_adv_us != f->rx_use_us)
			f->poll = true;
	} else {
		/* §6.8.3: not Up, so at least one second between packets. */
		set_tx(f, max_u32(BFD_SLOW_TX_US, f->cfg.desired_min_tx_us), now);
		settle_intervals(f, now);
	}
	if (to == BFD_STATE_ADMIN_DOWN)
		f->detect_on = false;
}

void bfd_fsm_init(struct bfd_fsm *f, const struct bfd_fsm_config *cfg, monotime now)
{
	memset(f, 0, sizeof(*f));
	f->cfg = *cfg;
	f->state = BFD_STATE_DOWN;
	f->remote_state = BFD_STATE_DOWN;
	f->remote_min_rx_us = 1;    /* §6.8.1: bfd.RemoteMinRxInterval starts at 1 µs */
	f->tx_adv_us = f->tx_use_us = max_u32(BFD_SLOW_TX_US, cfg->desired_min_tx_us);
	f->rx_adv_us = f->rx_use_us = cfg->required_min_rx_us;
	f->rnd = cfg->jitter_seed ? cfg->jitter_seed : 0x9e3779b9u;
	f->tx_on = true;
	f->next_tx = now;           /* the first packet at once */
}

/* §6.8.7: when periodic packets must not go out. */
static bool may_send_periodic(const struct bfd_fsm *f)
{
	if (f->cfg.passive && f->remote_discr == 0)
		return false;
	if (f->remote_min_rx_us == 0)
		return false;
	if (f->remote_demand && f->state == BFD_STATE_UP && f->remote_state == BFD_STATE_UP &&
	    !f->poll)
		return false;
	return true;
}

struct bfd_fsm_out bfd_fsm_rx(struct bfd_fsm *f, const struct bfd_packet *p, monotime now)
{
	struct bfd_fsm_out out = { 0 };
	uint32_t old_interval = bfd_fsm_tx_interval_us(f);
	f->rx_packets++;
	/* §6.8.6, in its order. */
	f->remote_discr = p->my_discr;
	f->remote_state = p->state;
	f->remote_demand = p->demand;
	f->remote_diag = p->diag;
	f->remote_min_rx_us = p->required_min_rx_us;
	f->remote_min_tx_us = p->desired_min_tx_us;
	f->remote_detect_mult = p->detect_mult;
	/* §6.8.6: a Final ends our Poll Sequence; the new values are now in force (§6.8.3). */
	if (f->poll && p->final) {
		f->poll = false;
		f->tx_use_us = f->tx_adv_us;
		f->rx_use_us = f->rx_adv_us;
	}
	/* §6.8.6: update the transmit interval (§6.8.2) and the Detection Time (§6.8.4). */
	retime_tx(f, old_interval, now);
	if (f->state == BFD_STATE_ADMIN_DOWN)
		return out;    /* §6.8.6: discard in AdminDown */
	f->detect_on = true;
	f->last_rx = now;
	retime_detect(f);

	if (p->state == BFD_STATE_ADMIN_DOWN) {
		if (f->state != BFD_STATE_DOWN)
			change_state(f, BFD_STATE_DOWN, BFD_DIAG_NEIGHBOR_DOWN, now, &out);
	} else {
		switch (f->state) {
		case BFD_STATE_DOWN:
			if (p->state == BFD_STATE_DOWN)
				change_state(f, BFD_STATE_INIT, f->local_diag, now, &out);
			else if (p->state == BFD_STATE_INIT)
				change_state(f, BFD_STATE_UP, BFD_DIAG_NONE, now, &out);
			break;
		case BFD_STATE_INIT:
			if (p->state == BFD_STATE_INIT || p->state == BFD_STATE_UP)
				change_state(f, BFD_STATE_UP, BFD_DIAG_NONE, now, &out);
			break;
		case BFD_STATE_UP:
			if (p->state == BFD_STATE_DOWN)
				change_state(f, BFD_STATE_DOWN, BFD_DIAG_NEIGHBOR_DOWN, now, &out);
			break;
		case BFD_STATE_ADMIN_DOWN:
			break;
		}
	}
	/* §6.8.6/§6.8.7: a Poll is answered with a Final at once, whatever the state. */
	if (p->poll)
		out.actions |= BFD_ACT_SEND_FINAL;
	/* A passive session that just learned the remote's discriminator starts talking. */
	if ((out.actions & BFD_ACT_STATE) || (f->cfg.passive && mono_is_zero(f->last_tx)))
		out.actions |= BFD_ACT_SEND;
	if ((out.actions & BFD_ACT_SEND) && !may_send_periodic(f))
		out.actions &= ~(unsigned)BFD_ACT_SEND;
	return out;
}

struct bfd_fsm_out bfd_fsm_tick(struct bfd_fsm *f, monotime now)
{
	struct bfd_fsm_out out = { 0 };
	if (f->detect_on && !mono_before(now, f->detect_at)) {
		/* §6.8.1: a Detection Time without a packet zeroes bfd.RemoteDiscr; §6.8.4: in Init or
		 * Up the session goes Down with diagnostic 1. */
		f->detect_on = false;
		f->remote_discr = 0;
		f->remote_state = BFD_STATE_DOWN;
		f->remote_demand = false;
		if (f->state == BFD_STATE_INIT || f->state == BFD_STATE_UP)
			change_state(f, BFD_STATE_DOWN, BFD_DIAG_DETECT_EXPIRED, now, &out);
	}
	if (f->tx_on && !mono_before(now, f->next_tx))
		out.actions |= BFD_ACT_SEND;
	if ((out.actions & BFD_ACT_SEND) && !may_send_periodic(f)) {
		out.actions &= ~(unsigned)BFD_ACT_SEND;
		if (!mono_before(now, f->next_tx))
			schedule_tx(f, now, now);   /* stay silent, look again next interval */
	}
	return out;
}

bool bfd_fsm_next_deadline(const struct bfd_fsm *f, monotime *at)
{
	bool any = false;
	if (f->tx_on) {
		*at = f->next_tx;
		any = true;
	}
	if (f->detect_on && (!any || mono_before(f->detect_at, *at))) {
		*at = f->detect_at;
		any = true;
	}
	return any;
}

void bfd_fsm_packet(struct bfd_fsm *f, bool final, monotime now, struct bfd_packet *out)
{
	memset(out, 0, sizeof(*out));
	/* §6.8.7 "Transmitting BFD Control Packets": the contents. */
	out->version = BFD_VERSION;
	out->diag = (uint8_t)f->local_diag;
	out->state = (uint8_t)f->state;
	out->poll = f->poll && !final;     /* §6.5: never P and F together */
	out->final = final;
	out->cpi = false;                  /* we share fate with the control plane */
	out->demand = false;
	out->detect_mult = f->cfg.detect_mult;
	out->length = BFD_PKT_LEN;
	out->my_discr = f->cfg.local_discr;
	out->your_discr = f->remote_discr;
	out->desired_min_tx_us = f->tx_adv_us;
	out->required_min_rx_us = f->rx_adv_us;
	out->required_min_echo_rx_us = 0;  /* no Echo function */
	f->tx_packets++;
	if (!final) {
		f->last_tx = now;
		schedule_tx(f, now, now);
	}
}

void bfd_fsm_set_params(struct bfd_fsm *f, uint32_t desired_min_tx_us, uint32_t required_min_rx_us,
			uint8_t detect_mult, monotime now)
{
	f->cfg.desired_min_tx_us = desired_min_tx_us;
	f->cfg.required_min_rx_us = required_min_rx_us;
	f->cfg.detect_mult = detect_mult;
	set_tx(f, f->state == BFD_STATE_UP ? desired_min_tx_us
					   : max_u32(BFD_SLOW_TX_US, desired_min_tx_us), now);
	set_rx(f, required_min_rx_us);
}

struct bfd_fsm_out bfd_fsm_admin(struct bfd_fsm *f, bool down, monotime now)
{
	struct bfd_fsm_out out = { 0 };
	if (down)
		change_state(f, BFD_STATE_ADMIN_DOWN, BFD_DIAG_ADMIN_DOWN, now, &out);
	else if (f->state == BFD_STATE_ADMIN_DOWN)
		change_state(f, BFD_STATE_DOWN, BFD_DIAG_NONE, now, &out);
	return out;
}
