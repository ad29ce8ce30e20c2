/*
 * The RFC 4271 §8.2.2 state machine (see fsm.h): one switch per state over the events, and
 * change_state() for everything that happens on entering or leaving a state.
 */
#include "bgp/fsm.h"

#include <string.h>

#include "core/log.h"

#define DEFAULT_HOLD_TIME 90           /* RFC 4271 §10 */
#define DEFAULT_CONNECT_RETRY 120      /* RFC 4271 §10 */
#define DEFAULT_OPEN_HOLD 240          /* RFC 4271 §8.2.2: "a large value", 4 minutes suggested */
#define DEFAULT_IDLE_HOLD 2
#define DEFAULT_IDLE_HOLD_MAX 120

static const char *const state_names[] = {
	[BGP_ST_IDLE] = "Idle",
	[BGP_ST_CONNECT] = "Connect",
	[BGP_ST_ACTIVE] = "Active",
	[BGP_ST_OPENSENT] = "OpenSent",
	[BGP_ST_OPENCONFIRM] = "OpenConfirm",
	[BGP_ST_ESTABLISHED] = "Established",
};

static const char *const event_names[] = {
	[BGP_EV_MANUAL_START] = "ManualStart",
	[BGP_EV_MANUAL_STOP] = "ManualStop",
	[BGP_EV_AUTOMATIC_STOP] = "AutomaticStop",
	[BGP_EV_CONNECT_RETRY_EXPIRES] = "ConnectRetryTimer_Expires",
	[BGP_EV_HOLD_EXPIRES] = "HoldTimer_Expires",
	[BGP_EV_KEEPALIVE_EXPIRES] = "KeepaliveTimer_Expires",
	[BGP_EV_IDLE_HOLD_EXPIRES] = "IdleHoldTimer_Expires",
	[BGP_EV_TCP_CONNECTED] = "TcpConnectionConfirmed",
	[BGP_EV_TCP_FAILS] = "TcpConnectionFails",
	[BGP_EV_OPEN] = "BGPOpen",
	[BGP_EV_HEADER_ERR] = "BGPHeaderErr",
	[BGP_EV_OPEN_ERR] = "BGPOpenMsgErr",
	[BGP_EV_OPEN_COLLISION_DUMP] = "OpenCollisionDump",
	[BGP_EV_NOTIF] = "NotifMsg",
	[BGP_EV_KEEPALIVE] = "KeepAliveMsg",
	[BGP_EV_UPDATE] = "UpdateMsg",
	[BGP_EV_UPDATE_ERR] = "UpdateMsgErr",
	[BGP_EV_COLLISION_SWITCH] = "CollisionSwitch",
	[BGP_EV_SEND_HOLD_EXPIRES] = "SendHoldTimer_Expires",
	[BGP_EV_CONNECT_NOW] = "ConnectNow",
};

const char *bgp_state_name(enum bgp_state s)
{
	return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "?";
}

const char *bgp_event_name(enum bgp_event e)
{
	return (unsigned)e < sizeof(event_names) / sizeof(event_names[0]) ? event_names[e] : "?";
}

void bgp_fsm_init(struct bgp_fsm *f, const struct bgp_fsm_config *cfg)
{
	memset(f, 0, sizeof(*f));
	f->cfg = *cfg;
	if (!f->cfg.peer)
		f->cfg.peer = "?";
	if (f->cfg.hold_time == 0)
		f->cfg.hold_time = DEFAULT_HOLD_TIME;
	if (f->cfg.connect_retry_time == 0)
		f->cfg.connect_retry_time = DEFAULT_CONNECT_RETRY;
	if (f->cfg.open_hold_time == 0)
		f->cfg.open_hold_time = DEFAULT_OPEN_HOLD;
	if (f->cfg.idle_hold_time == 0)
		f->cfg.idle_hold_time = DEFAULT_IDLE_HOLD;
	if (f->cfg.idle_hold_max == 0)
		f->cfg.idle_hold_max = DEFAULT_IDLE_HOLD_MAX;
	if (f->cfg.idle_hold_max < f->cfg.idle_hold_time)
		f->cfg.idle_hold_max = f->cfg.idle_hold_time;
	f->rnd = f->cfg.jitter_seed;
	f->state = BGP_ST_IDLE;
	f->stopped = true;
	f->idle_hold_cur = f->cfg.idle_hold_time;
}

/* --- timers ------------------------------------------------------------------------------------ */

static void timer_start(struct bgp_timer_deadline *t, monotime now, unsigned seconds)
{
	t->on = true;
	t->at = mono_add(now, mono_from_s(seconds));
}

/* RFC 4271 §10: jitter (a random 75-100 % of the interval) on ConnectRetry and KeepAlive, and
 * here also on the idle-hold backoff, so that speakers restarted together do not reconnect in
 * step. Deterministic (xorshift from cfg.jitter_seed) so tests can replay it. */
static void timer_start_jittered(struct bgp_fsm *f, struct bgp_timer_deadline *t, monotime now,
				 unsigned seconds)
{
	if (f->cfg.jitter_seed == 0) {
		timer_start(t, now, seconds);
		return;
	}
	f->rnd ^= f->rnd << 13;
	f->rnd ^= f->rnd >> 17;
	f->rnd ^= f->rnd << 5;
	int64_t ms = (int64_t)seconds * (750 + (int64_t)(f->rnd % 251));
	t->on = true;
	t->at = mono_add(now, mono_from_ms(ms));
}

static void timer_stop(struct bgp_timer_deadline *t)
{
	t->on = false;
}

/* RFC 4271 §4.4: a non-zero hold time restarts on every KEEPALIVE or UPDATE received. */
static void hold_restart(struct bgp_fsm *f, monotime now)
{
	if (f->hold_time != 0)
		timer_start(&f->hold, now, f->hold_time);
}

static void keepalive_restart(struct bgp_fsm *f, monotime now)
{
	if (f->keepalive_time != 0)
		timer_start_jittered(f, &f->keepalive, now, f->keepalive_time);
}

bool bgp_fsm_next_deadline(const struct bgp_fsm *f, monotime *at)
{
	const struct bgp_timer_deadline *ts[] = { &f->connect_retry, &f->hold, &f->keepalive,
						  &f->idle_hold, &f->send_hold };
	bool any = false;
	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		if (ts[i]->on && (!any || mono_before(ts[i]->at, *at))) {
			*at = ts[i]->at;
			any = true;
		}
	}
	return any;
}

struct bgp_fsm_out bgp_fsm_tick(struct bgp_fsm *f, monotime now, bool *fired)
{
	struct { struct bgp_timer_deadline *t; enum bgp_event ev; } ts[] = {
		{ &f->hold, BGP_EV_HOLD_EXPIRES },
		{ &f->send_hold, BGP_EV_SEND_HOLD_EXPIRES },
		{ &f->keepalive, BGP_EV_KEEPALIVE_EXPIRES },
		{ &f->connect_retry, BGP_EV_CONNECT_RETRY_EXPIRES },
		{ &f->idle_hold, BGP_EV_IDLE_HOLD_EXPIRES },
	};
	size_t best = sizeof(ts) / sizeof(ts[0]);
	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		if (!ts[i].t->on || mono_before(now, ts[i].t->at))
			continue;
		if (best == sizeof(ts) / sizeof(ts[0]) || mono_before(ts[i].t->at, ts[best].t->at))
			best = i;
	}
	*fired = best < sizeof(ts) / sizeof(ts[0]);
	if (!*fired)
		return (struct bgp_fsm_out){ 0 };
	timer_stop(ts[best].t);
	return bgp_fsm_event(f, ts[best].ev, now);
}

/* --- state changes ------------------------------------------------------------------------------ */

static void change_state(struct bgp_fsm *f, enum bgp_state to, enum bgp_event ev, monotime now,
			 struct bgp_fsm_out *out)
{
	enum bgp_state from = f->state;
	if (from == to)
		return;
	f->transitions++;
	log_info("bgp", "session state", "peer=%s from=%s to=%s event=%s", f->cfg.peer,
		 bgp_state_name(from), bgp_state_name(to), bgp_event_name(ev));

	if (from == BGP_ST_ESTABLISHED) {
		out->actions |= BGP_ACT_DOWN;
		/* Backoff reset (OpenBGPD's IdleHoldReset): a session that stayed up for the
		 * whole current backoff starts the next one from the beginning. */
		if (mono_to_s(mono_sub(now, f->established_at)) >= f->idle_hold_cur)
			f->idle_hold_cur = f->cfg.idle_hold_time;
	}

	f->state = to;
	f->wait_since = now;
	switch (to) {
	case BGP_ST_IDLE:
		/* RFC 4271 §8.2.2: every way into Idle drops the connection and releases the
		 * session's resources and timers. */
		out->actions |= BGP_ACT_CLOSE;
		timer_stop(&f->connect_retry);
		timer_stop(&f->send_hold);
		timer_stop(&f->hold);
		timer_stop(&f->keepalive);
		f->hold_time = 0;
		f->keepalive_time = 0;
		f->gr_n = false;
		/* §8.1.1 DampPeerOscillations: restart on our own after IdleHoldTime, which
		 * doubles with each failure up to the cap. */
		if (f->stopped) {
			timer_stop(&f->idle_hold);
		} else {
			timer_start_jittered(f, &f->idle_hold, now, f->idle_hold_cur);
			unsigned next = 2u * f->idle_hold_cur;
			f->idle_hold_cur = (uint16_t)(next > f->cfg.idle_hold_max ? f->cfg.idle_hold_max
										 : next);
		}
		break;
	case BGP_ST_CONNECT:
	case BGP_ST_ACTIVE:
		timer_stop(&f->idle_hold);
		timer_stop(&f->send_hold);
		timer_stop(&f->hold);
		timer_stop(&f->keepalive);
		break;
	case BGP_ST_OPENSENT:
		/* §8.2.2: OPEN sent, HoldTimer set to a large value until the peer's OPEN. */
		timer_stop(&f->connect_retry);
		timer_start(&f->hold, now, f->cfg.open_hold_time);
		break;
	case BGP_ST_OPENCONFIRM:
		/* §8.2.2 BGPOpen: the negotiated hold time; 0 stops both timers (§4.4). */
		timer_stop(&f->connect_retry);
		timer_stop(&f->hold);
		timer_stop(&f->keepalive);
		hold_restart(f, now);
		keepalive_restart(f, now);
		break;
	case BGP_ST_ESTABLISHED:
		out->actions |= BGP_ACT_ESTABLISHED;
		f->established_at = now;
		f->established_count++;
		break;
	}
}

/* --- actions ------------------------------------------------------------------------------------ */

static void notify(struct bgp_fsm *f, struct bgp_fsm_out *out, uint8_t code, uint8_t subcode,
		   const uint8_t *data, uint16_t len)
{
	out->actions |= BGP_ACT_SEND_NOTIFICATION;
	out->code = code;
	out->subcode = subcode;
	out->data = data;
	out->data_len = len;
	/* RFC 8538 §5: with the N bit negotiated, Cease "Maximum Number of Prefixes Reached",
	 * "Administrative Shutdown" and "Peer De-configured" go out as Hard Reset, so the peer
	 * drops our routes at once instead of keeping them as stale. */
	out->hard_reset = f->gr_n && code == BGP_ERR_CEASE &&
			  (subcode == BGP_CEASE_MAX_PREFIXES || subcode == BGP_CEASE_ADMIN_SHUTDOWN ||
			   subcode == BGP_CEASE_PEER_DECONFIGURED);
	f->last_sent_code = code;
	f->last_sent_subcode = subcode;
}

static void notify_error(struct bgp_fsm *f, struct bgp_fsm_out *out, const struct bgp_error *e)
{
	if (e)
		notify(f, out, e->code, e->subcode, e->data, e->data_len);
	else
		notify(f, out, BGP_ERR_FSM, BGP_SUB_UNSPECIFIC, NULL, 0);
}

/* Events 1, 3, 4 in Idle: ConnectRetryTimer on, then connect (or just listen when passive). */
static void start(struct bgp_fsm *f, enum bgp_event ev, monotime now, struct bgp_fsm_out *out)
{
	f->stopped = false;
	timer_stop(&f->idle_hold);
	timer_start_jittered(f, &f->connect_retry, now, f->cfg.connect_retry_time);
	if (f->cfg.passive) {
		change_state(f, BGP_ST_ACTIVE, ev, now, out);
	} else {
		out->actions |= BGP_ACT_CONNECT;
		change_state(f, BGP_ST_CONNECT, ev, now, out);
	}
}

/* ManualStop in any state but Idle (§8.2.2): Cease once an OPEN went out, counter to zero, no
 * automatic restart. */
static void stop(struct bgp_fsm *f, const struct bgp_fsm_input *in, monotime now,
		 struct bgp_fsm_out *out)
{
	if (f->state >= BGP_ST_OPENSENT)
		notify(f, out, BGP_ERR_CEASE, in->subcode ? in->subcode : BGP_CEASE_ADMIN_SHUTDOWN,
		       NULL, 0);
	f->stopped = true;
	f->connect_retry_counter = 0;
	change_state(f, BGP_ST_IDLE, BGP_EV_MANUAL_STOP, now, out);
}

/* A failure that sends the session to Idle and counts (§8.2.2 "increments the
 * ConnectRetryCounter by 1"). */
static void fail(struct bgp_fsm *f, enum bgp_event ev, monotime now, struct bgp_fsm_out *out)
{
	f->connect_retry_counter++;
	change_state(f, BGP_ST_IDLE, ev, now, out);
}

/* The peer's OPEN was accepted (on the current or the pending connection). */
static void take_open(struct bgp_fsm *f, const struct bgp_negotiated *neg)
{
	f->hold_time = neg ? neg->hold_time : f->cfg.hold_time;
	/* RFC 4271 §4.4 / §10: keepalives at a third of the hold time; none when it is 0. */
	f->keepalive_time = f->hold_time == 0 ? 0 : (uint16_t)(f->hold_time / 3 ? f->hold_time / 3 : 1);
	/* A configured interval, if shorter than the hold time (§4.4: keepalives often enough
	 * that the hold timer does not expire). */
	if (f->hold_time != 0 && f->cfg.keepalive_time != 0 && f->cfg.keepalive_time < f->hold_time)
		f->keepalive_time = f->cfg.keepalive_time;
	f->gr_n = neg && neg->gr_n;
}

/* RFC 6608 §4: the FSM Error subcode names the state an unexpected message arrived in. */
static uint8_t fsm_subcode(enum bgp_state s, enum bgp_event ev)
{
	bool message = ev == BGP_EV_OPEN || ev == BGP_EV_KEEPALIVE || ev == BGP_EV_UPDATE ||
		       ev == BGP_EV_UPDATE_ERR;
	if (!message)
		return BGP_SUB_UNSPECIFIC;
	switch (s) {
	case BGP_ST_OPENSENT: return BGP_FSM_UNEXPECTED_OPENSENT;
	case BGP_ST_OPENCONFIRM: return BGP_FSM_UNEXPECTED_OPENCONFIRM;
	case BGP_ST_ESTABLISHED: return BGP_FSM_UNEXPECTED_ESTABLISHED;
	default: return BGP_SUB_UNSPECIFIC;
	}
}

/* The events every state from OpenSent on handles alike. True when handled. */
static bool common_open_states(struct bgp_fsm *f, const struct bgp_fsm_input *in, monotime now,
			       struct bgp_fsm_out *out)
{
	switch (in->event) {
	case BGP_EV_MANUAL_START:
	case BGP_EV_IDLE_HOLD_EXPIRES:
		return true;   /* ignored (§8.2.2) */
	case BGP_EV_CONNECT_NOW:
		return true;   /* a connection is up already */
	case BGP_EV_MANUAL_STOP:
		stop(f, in, now, out);
		return true;
	case BGP_EV_AUTOMATIC_STOP:
		/* §8.2.2 OpenSent/OpenConfirm/Established Event 8: Cease, counter up, Idle with
		 * the DampPeerOscillations backoff. */
		notify(f, out, BGP_ERR_CEASE, in->subcode ? in->subcode : BGP_CEASE_ADMIN_SHUTDOWN,
		       NULL, 0);
		fail(f, in->event, now, out);
		return true;
	case BGP_EV_HOLD_EXPIRES:
		/* §6.5: Hold Timer Expired, then Idle. */
		notify(f, out, BGP_ERR_HOLD_TIMER, BGP_SUB_UNSPECIFIC, NULL, 0);
		fail(f, in->event, now, out);
		return true;
	case BGP_EV_HEADER_ERR:
	case BGP_EV_OPEN_ERR:
	case BGP_EV_UPDATE_ERR:
		/* §6.1-6.3: the NOTIFICATION the decoder prescribed. */
		notify_error(f, out, in->error);
		fail(f, in->event, now, out);
		return true;
	case BGP_EV_SEND_HOLD_EXPIRES:
		/* RFC 9687 §4.3/§5: error code 8, subcode 0, attempted without delaying the
		 * teardown. */
		notify(f, out, BGP_ERR_SEND_HOLD_TIMER, BGP_SUB_UNSPECIFIC, NULL, 0);
		fail(f, in->event, now, out);
		return true;
	case BGP_EV_OPEN_COLLISION_DUMP:
		/* §6.8: Cease / Connection Collision Resolution. */
		notify(f, out, BGP_ERR_CEASE, BGP_CEASE_COLLISION, NULL, 0);
		fail(f, in->event, now, out);
		return true;
	case BGP_EV_NOTIF:
		/* §6.4: a NOTIFICATION is never answered. Event 24 (version error) does not
		 * count as a failure. */
		f->last_recv_code = in->code;
		f->last_recv_subcode = in->subcode;
		if (in->code == BGP_ERR_OPEN && in->subcode == BGP_OPEN_BAD_VERSION)
			change_state(f, BGP_ST_IDLE, in->event, now, out);
		else
			fail(f, in->event, now, out);
		return true;
	default:
		return false;
	}
}

/*
 * BGP_EV_CONNECT_NOW while waiting on timer t (the idle hold, or ConnectRetry): true when the
 * attempt should be made now. A wait that began less than idle_hold_time ago is only cut short to
 * that point: a peer that has just closed the session may still be clearing it and ignore a new
 * connection (FRR's Clearing state holds an accepted connection without an OPEN).
 */
static bool connect_now_due(struct bgp_fsm *f, struct bgp_timer_deadline *t, monotime now)
{
	monotime at = mono_add(f->wait_since, mono_from_s(f->cfg.idle_hold_time));
	if (!mono_before(now, at))
		return true;
	if (t->on && mono_before(at, t->at))
		t->at = at;
	return false;
}

/* --- the machine -------------------------------------------------------------------------------- */

struct bgp_fsm_out bgp_fsm_handle(struct bgp_fsm *f, const struct bgp_fsm_input *in, monotime now)
{
	struct bgp_fsm_out out = { 0 };
	enum bgp_event ev = in->event;

	switch (f->state) {
	case BGP_ST_IDLE:
		switch (ev) {
		case BGP_EV_MANUAL_START:
			f->connect_retry_counter = 0;
			start(f, ev, now, &out);
			break;
		case BGP_EV_IDLE_HOLD_EXPIRES:
			/* AutomaticStart (Event 3) after the backoff. */
			if (!f->stopped)
				start(f, ev, now, &out);
			break;
		case BGP_EV_MANUAL_STOP:
			/* Ignored by §8.2.2, but it also cancels our automatic restart. */
			f->stopped = true;
			timer_stop(&f->idle_hold);
			break;
		case BGP_EV_CONNECT_NOW:
			/* The backoff waits out a failure; the path is known to work again, so the
			 * automatic restart happens now (a stopped session stays stopped). */
			if (!f->stopped && f->idle_hold.on && connect_now_due(f, &f->idle_hold, now))
				start(f, ev, now, &out);
			break;
		default:
			break;   /* §8.2.2: other events (AutomaticStop too) leave Idle alone */
		}
		break;

	case BGP_ST_CONNECT:
		switch (ev) {
		case BGP_EV_MANUAL_START:
		case BGP_EV_IDLE_HOLD_EXPIRES:
			break;
		case BGP_EV_MANUAL_STOP:
			stop(f, in, now, &out);
			break;
		case BGP_EV_CONNECT_NOW:
			/* RFC 4271 §8.2.2: the ConnectRetryTimer's value is a local matter, and §8:
			 * the FSM is conceptual, only the externally visible behaviour counts; so a
			 * restart when the path comes back (a SYN lost to the dead link may be in a
			 * long TCP backoff) is a ConnectRetry expiry brought forward. */
			if (!connect_now_due(f, &f->connect_retry, now))
				break;
			out.actions |= BGP_ACT_CLOSE | BGP_ACT_CONNECT;
			timer_start_jittered(f, &f->connect_retry, now, f->cfg.connect_retry_time);
			f->wait_since = now;
			break;
		case BGP_EV_CONNECT_RETRY_EXPIRES:
			/* Drop the attempt, restart the timer, connect again. */
			f->wait_since = now;
			out.actions |= BGP_ACT_CLOSE | BGP_ACT_CONNECT;
			timer_start_jittered(f, &f->connect_retry, now, f->cfg.connect_retry_time);
			break;
		case BGP_EV_TCP_CONNECTED:
			out.actions |= BGP_ACT_SEND_OPEN;
			change_state(f, BGP_ST_OPENSENT, ev, now, &out);
			break;
		case BGP_EV_TCP_FAILS:
			/* Without DelayOpen: to Idle (the backoff restarts us). */
			change_state(f, BGP_ST_IDLE, ev, now, &out);
			break;
		default:
			fail(f, ev, now, &out);
			break;
		}
		break;

	case BGP_ST_ACTIVE:
		switch (ev) {
		case BGP_EV_MANUAL_START:
		case BGP_EV_IDLE_HOLD_EXPIRES:
			break;
		case BGP_EV_MANUAL_STOP:
			stop(f, in, now, &out);
			break;
		case BGP_EV_CONNECT_NOW:
			/* As in Connect: the ConnectRetry expiry brought forward (not when passive:
			 * only the peer connects then). */
			if (f->cfg.passive || !connect_now_due(f, &f->connect_retry, now))
				break;
			timer_start_jittered(f, &f->connect_retry, now, f->cfg.connect_retry_time);
			out.actions |= BGP_ACT_CONNECT;
			change_state(f, BGP_ST_CONNECT, ev, now, &out);
			break;
		case BGP_EV_CONNECT_RETRY_EXPIRES:
			timer_start_jittered(f, &f->connect_retry, now, f->cfg.connect_retry_time);
			if (!f->cfg.passive) {
				out.actions |= BGP_ACT_CONNECT;
				change_state(f, BGP_ST_CONNECT, ev, now, &out);
			}
			break;
		case BGP_EV_TCP_CONNECTED:
			out.actions |= BGP_ACT_SEND_OPEN;
			change_state(f, BGP_ST_OPENSENT, ev, now, &out);
			break;
		default:
			fail(f, ev, now, &out);
			break;
		}
		break;

	case BGP_ST_OPENSENT:
		if (common_open_states(f, in, now, &out))
			break;
		switch (ev) {
		case BGP_EV_TCP_FAILS:
			out.actions |= BGP_ACT_CLOSE;
			if (f->cfg.passive) {
				/* §8.2.2 OpenSent Event 18: close, restart ConnectRetryTimer,
				 * listen in Active. */
				timer_start_jittered(f, &f->connect_retry, now,
						     f->cfg.connect_retry_time);
				change_state(f, BGP_ST_ACTIVE, ev, now, &out);
			} else {
				/* A router still clearing our previous session closes the new
				 * connection before its OPEN; Active would then wait the whole
				 * ConnectRetry (120 s) with nobody connecting back to a passive
				 * router. As in Connect, go to Idle: the idle-hold backoff (2 s,
				 * doubling) reconnects. §8: only the visible behaviour counts, and
				 * the ConnectRetry value is a local matter (§8.2.2). */
				change_state(f, BGP_ST_IDLE, ev, now, &out);
			}
			break;
		case BGP_EV_OPEN:
			take_open(f, in->neg);
			out.actions |= BGP_ACT_SEND_KEEPALIVE;
			change_state(f, BGP_ST_OPENCONFIRM, ev, now, &out);
			break;
		case BGP_EV_COLLISION_SWITCH:
			/* §6.8: Cease on the connection that lost, continue on the one that won
			 * (our OPEN went out on it, its OPEN came in). */
			notify(f, &out, BGP_ERR_CEASE, BGP_CEASE_COLLISION, NULL, 0);
			out.actions |= BGP_ACT_CLOSE | BGP_ACT_SWITCH | BGP_ACT_SEND_KEEPALIVE;
			take_open(f, in->neg);
			change_state(f, BGP_ST_OPENCONFIRM, ev, now, &out);
			break;
		default:
			notify(f, &out, BGP_ERR_FSM, fsm_subcode(f->state, ev), NULL, 0);
			fail(f, ev, now, &out);
			break;
		}
		break;

	case BGP_ST_OPENCONFIRM:
		if (common_open_states(f, in, now, &out))
			break;
		switch (ev) {
		case BGP_EV_KEEPALIVE_EXPIRES:
			out.actions |= BGP_ACT_SEND_KEEPALIVE;
			keepalive_restart(f, now);
			break;
		case BGP_EV_TCP_FAILS:
			fail(f, ev, now, &out);
			break;
		case BGP_EV_KEEPALIVE:
			hold_restart(f, now);
			change_state(f, BGP_ST_ESTABLISHED, ev, now, &out);
			break;
		case BGP_EV_COLLISION_SWITCH:
			notify(f, &out, BGP_ERR_CEASE, BGP_CEASE_COLLISION, NULL, 0);
			out.actions |= BGP_ACT_CLOSE | BGP_ACT_SWITCH | BGP_ACT_SEND_KEEPALIVE;
			take_open(f, in->neg);
			timer_stop(&f->hold);
			timer_stop(&f->keepalive);
			hold_restart(f, now);
			keepalive_restart(f, now);
			break;
		default:
			notify(f, &out, BGP_ERR_FSM, fsm_subcode(f->state, ev), NULL, 0);
			fail(f, ev, now, &out);
			break;
		}
		break;

	case BGP_ST_ESTABLISHED:
		if (common_open_states(f, in, now, &out))
			break;
		switch (ev) {
		case BGP_EV_KEEPALIVE_EXPIRES:
			out.actions |= BGP_ACT_SEND_KEEPALIVE;
			keepalive_restart(f, now);
			break;
		case BGP_EV_KEEPALIVE:
		case BGP_EV_UPDATE:
			hold_restart(f, now);
			break;
		case BGP_EV_TCP_FAILS:
			fail(f, ev, now, &out);
			break;
		default:
			notify(f, &out, BGP_ERR_FSM, fsm_subcode(f->state, ev), NULL, 0);
			fail(f, ev, now, &out);
			break;
		}
		break;
	}
	return out;
}

struct bgp_fsm_out bgp_fsm_event(struct bgp_fsm *f, enum bgp_event ev, monotime now)
{
	struct bgp_fsm_input in = { .event = ev };
	return bgp_fsm_handle(f, &in, now);
}

void bgp_fsm_send_progress(struct bgp_fsm *f, bool wrote, bool pending, monotime now)
{
	/* RFC 9687 §4: only once an OPEN went out; restarted whenever data could be sent. */
	if (!pending || f->state < BGP_ST_OPENSENT) {
		timer_stop(&f->send_hold);
		return;
	}
	if (wrote || !f->send_hold.on) {
		/* RFC 9687 §6: the larger of 8 minutes and twice the hold time by default. */
		unsigned t = f->cfg.send_hold_time;
		if (t == 0) {
			unsigned hold = f->hold_time ? f->hold_time : f->cfg.hold_time;
			t = 2 * hold > 480 ? 2 * hold : 480;
		}
		timer_start(&f->send_hold, now, t);
	}
}

/* --- incoming connections and collisions ------------------------------------------------------ */

enum bgp_incoming bgp_fsm_incoming(const struct bgp_fsm *f)
{
	switch (f->state) {
	case BGP_ST_IDLE:
		return BGP_IN_REFUSE;     /* §8.2.2 Idle: incoming connections are refused */
	case BGP_ST_CONNECT:
	case BGP_ST_ACTIVE:
		return BGP_IN_ACCEPT;     /* Event 17 */
	default:
		return BGP_IN_COLLISION;  /* §6.8 */
	}
}

bool bgp_fsm_collision_keep_pending(const struct bgp_fsm *f, bool current_outbound,
				    uint32_t local_id, uint32_t remote_id, uint32_t local_as,
				    uint32_t remote_as)
{
	/* §6.8: a collision with an Established session closes the newly created connection. */
	if (f->state == BGP_ST_ESTABLISHED)
		return false;
	/* Both connections came from the peer: it gave up on the older one. */
	if (!current_outbound)
		return true;
	/* §6.8: if our BGP Identifier is lower, the connection we initiated is closed; RFC 6286
	 * §2.3: on equal identifiers the connection initiated by the larger AS is kept. */
	if (local_id != remote_id)
		return local_id < remote_id;
	return local_as < remote_as;
}
