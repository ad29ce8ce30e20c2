/*
 * A decision -> the announcers (spkd.h): BGP peers and routes through bgp/bgp.h, owned IPs per
 * interface through l2/responder.h.
 *
 * BGP: one session per BGPPeer that selects this node (unnumbered peers, `interface`, are not
 * supported and are skipped with a log line; a dynamicASN peer's AS is learned from its OPEN, and
 * a bfdProfile runs BFD to the peer with that profile's intervals; a vrf binds the session to
 * that Linux VRF). The next hop is this node's address
 * toward the peer (the session's local address); the router-id is the peer's routerID, else this
 * node's IPv4 address toward the peer, else a hash of the node name (MetalLB's fallbacks). With
 * enableGracefulRestart the OPEN carries the Restart State bit, so a speaker restarted after a
 * crash keeps its routes at a helper peer (a clean stop still withdraws them first).
 * L2: each owned IP goes to the interfaces the L2 selection rules pick (l2/iface.h: the
 * advertisement's interfaces, else those whose subnet holds the IP, else every eligible one);
 * interfaces are followed over netlink and the last decision is applied again when they change.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bgp/bgp.h"
#include "bgp/msg.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/xalloc.h"
#include "l2/iface.h"
#include "l2/responder.h"
#include "speaker/spkd.h"

#define MAX_IFACES 256

struct l2_set {
	int ifindex;
	ip_addr *ips;
	size_t n, cap;
};

struct session {
	char *name;
	ip_addr address;
	uint16_t port;
	uint32_t peer_as;
};

struct spkd_announcer {
	char *node_name;
	struct bgp_speaker *bgp;
	const struct cfg_model *model;   /* the last applied, borrowed */
	const struct spk_decision *decision;
	struct session *sessions;        /* the peers last given to the engine */
	size_t nsessions;
	int *l2_ifs;                     /* interfaces that own something */
	size_t nl2_ifs;
	bool stopped;
	struct timer *done_timer;
	void (*done)(void *arg);
	void *done_arg;
};

/* The local address the kernel picks toward dst, in the VRF when one is named (no packet is
 * sent). */
static bool local_toward(const ip_addr *dst, uint16_t port, const char *vrf, ip_addr *out)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	if (dst->family == IP_V4) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, dst->bytes, 4);
		len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		memcpy(&in6->sin6_addr, dst->bytes, 16);
		len = sizeof(*in6);
	}
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool ok = (!vrf || setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, vrf,
				      (socklen_t)strlen(vrf)) == 0) &&
		  connect(fd, (struct sockaddr *)&ss, len) == 0 &&
		  getsockname(fd, (struct sockaddr *)&ss, &len) == 0;
	close(fd);
	if (!ok)
		return false;
	if (ss.ss_family == AF_INET)
		*out = ip_addr_from_bytes(IP_V4, (const uint8_t *)&((struct sockaddr_in *)&ss)->sin_addr);
	else
		*out = ip_addr_from_bytes(IP_V6,
					  (const uint8_t *)&((struct sockaddr_in6 *)&ss)->sin6_addr);
	return true;
}

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;   /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h ? h : 1;
}

static uint32_t router_id_for(const struct spkd_announcer *a, const struct cfg_peer *p)
{
	if (p->has_router_id)
		return ip_addr_v4_value(&p->router_id);
	ip_addr local;
	if (p->has_src && p->src.family == IP_V4)
		return ip_addr_v4_value(&p->src);
	if (p->addr.family == IP_V4 && local_toward(&p->addr, p->port ? p->port : 179,
						     p->vrf && *p->vrf ? p->vrf : NULL, &local))
		return ip_addr_v4_value(&local);
	return name_hash(a->node_name);
}

static const struct cfg_bfd *find_bfd_profile(const struct cfg_model *m, const char *name)
{
	for (size_t i = 0; i < m->nbfds; i++) {
		if (strcmp(m->bfds[i].meta.name, name) == 0)
			return &m->bfds[i];
	}
	return NULL;
}

/* The password of the Secret that passwordSecret names, found as validation found it (same name,
 * the given namespace or the peer's); NULL when there is none. */
static const char *secret_password(const struct cfg_model *m, const struct cfg_peer *p)
{
	const char *ns = p->password_secret_namespace ? p->password_secret_namespace :
			 p->meta.namespace;
	for (size_t i = 0; i < m->nsecrets; i++) {
		const struct cfg_secret *s = &m->secrets[i];
		bool same_ns = !ns || !s->meta.namespace || strcmp(ns, s->meta.namespace) == 0;
		if (same_ns && strcmp(s->meta.name, p->password_secret) == 0)
			return s->has_password ? s->password : NULL;
	}
	return NULL;
}

static uint16_t seconds16(int64_t ms)
{
	int64_t s = ms / 1000;
	return (uint16_t)(s > 65535 ? 65535 : s < 0 ? 0 : s);
}

/*
 * The BFDProfile fields src/bfd implements: receiveInterval, transmitInterval, detectMultiplier,
 * passiveMode (unset ones keep the BFD defaults, 300 ms and 3, as FRR's). Not implemented by
 * src/bfd: echoMode/echoInterval (no Echo function) and minimumTtl (multihop only; our sessions
 * are single-hop with TTL 255, RFC 5881 §5).
 */
static void bfd_from_profile(const struct cfg_peer *p, const struct cfg_bfd *b,
			     struct bfd_params *out)
{
	memset(out, 0, sizeof(*out));
	if (b->has_receive_interval)
		out->receive_interval_ms = b->receive_interval;
	if (b->has_transmit_interval)
		out->transmit_interval_ms = b->transmit_interval;
	if (b->has_detect_multiplier)
		out->detect_mult = (uint8_t)(b->detect_multiplier > 255 ? 255 : b->detect_multiplier);
	out->passive = b->passive_mode;
	if (b->echo_mode || b->has_echo_interval || b->has_minimum_ttl) {
		static struct log_ratelimit rl = LOG_RATELIMIT(5, 1);
		log_rl(&rl, LOGL_WARN, "speaker", "BFD profile fields not supported, ignored",
		       "peer=%s profile=%s fields=%s%s%s", p->meta.name, b->meta.name,
		       b->echo_mode ? "echoMode," : "", b->has_echo_interval ? "echoInterval," : "",
		       b->has_minimum_ttl ? "minimumTtl" : "");
	}
}

static bool peer_config(const struct spkd_announcer *a, const struct cfg_peer *p,
			struct bgp_peer_config *c)
{
	memset(c, 0, sizeof(*c));
	if (!p->has_addr) {
		/* BGP unnumbered (peering over an interface's IPv6 link-local address, the neighbour
		 * found from Router Advertisements, RFC 8950 next hops) is not implemented. */
		static struct log_ratelimit rl = LOG_RATELIMIT(5, 1);
		log_rl(&rl, LOGL_WARN, "speaker", "BGP peer not supported, skipped",
		       "peer=%s interface=%s reason=%s", p->meta.name, p->iface ? p->iface : "",
		       "unnumbered BGP (interface) is not implemented");
		return false;
	}
	c->address = p->addr;
	c->port = p->port;
	c->peer_as = p->peer_asn;
	/* dynamicASN: the AS comes from the peer's OPEN; internal must be ours, external another. */
	if (p->dynamic_asn == CFG_DYNAMIC_ASN_INTERNAL)
		c->dynamic_as = BGP_DYNAMIC_AS_INTERNAL;
	else if (p->dynamic_asn == CFG_DYNAMIC_ASN_EXTERNAL)
		c->dynamic_as = BGP_DYNAMIC_AS_EXTERNAL;
	if (c->dynamic_as != BGP_DYNAMIC_AS_NONE)
		c->peer_as = 0;
	/* localASN: the AS this session presents instead of myASN, in the OPEN and alone in the
	 * AS_PATH (FRR's "local-as N no-prepend replace-as", which MetalLB's FRR mode writes). */
	c->local_as = p->local_asn ? p->local_asn : p->my_asn;
	c->router_id = router_id_for(a, p);
	if (p->has_src)
		c->source = p->src;
	/* Timers as MetalLB's parseTimers resolved them (hold = 3 x keepalive or keepalive =
	 * hold / 3 when one is given; validation refused hold 1-2 s and keepalive > hold). Unset:
	 * the engine's 90 s and a third of the negotiated hold time. Hold 0 is proposed as 0: no
	 * hold timer and no keepalives (RFC 4271 §4.2, FRR's "timers 0 0"). */
	if (p->has_timers && p->hold_ms >= 0) {
		c->hold_time = seconds16(p->hold_ms);
		c->no_hold_time = c->hold_time == 0;
		/* Whole seconds as BGP counts them; a sub-second keepalive becomes 1 s. */
		if (!c->no_hold_time && p->keepalive_ms > 0)
			c->keepalive_time = p->keepalive_ms < 1000 ? 1 : seconds16(p->keepalive_ms);
	}
	if (p->has_connect_time && p->connect_ms >= 1000)
		c->connect_retry_time = seconds16(p->connect_ms);
	/* dualStackAddressFamily: IPv6 routes over an IPv4 session and the reverse, next hop this
	 * node's address of that family on the same interface. Without it only the session's own
	 * family goes out (MetalLB's per-family sessions). */
	c->dual_stack = p->dual_stack_address_family;
	/* vrf: the session runs in that Linux VRF (FRR's "router bgp ASN vrf NAME"). */
	c->vrf = p->vrf;
	c->password = p->password;
	if (p->password_secret && !p->password)
		c->password = secret_password(a->model, p);
	c->ebgp_multihop = p->ebgp_multihop ? 255 : 0;
	c->graceful_restart = p->graceful_restart;
	c->gr_time = p->graceful_restart ? 120 : 0;
	/* Every start may be a restart: with graceful restart the peer keeps our routes while we
	 * were away and replaces them with what this process announces (RFC 4724 §4.1). */
	c->gr_restarting = p->graceful_restart;
	if (p->bfd_profile) {
		const struct cfg_bfd *b = find_bfd_profile(a->model, p->bfd_profile);
		if (b) {
			c->bfd = true;
			bfd_from_profile(p, b, &c->bfd_params);
		} else {
			/* Validation refuses a missing profile (MetalLB: the config is not loaded
			 * until it exists), so this is only a safety net. */
			static struct log_ratelimit rl = LOG_RATELIMIT(5, 1);
			log_rl(&rl, LOGL_WARN, "speaker", "BFD profile not found: BGP runs without BFD",
			       "peer=%s profile=%s", p->meta.name, p->bfd_profile);
		}
	}
	log_debug("speaker", "BGP peer",
		  "peer=%s asn=%u local_asn=%u dynamic=%d hold=%u%s keepalive=%u connect=%u vrf=%s "
		  "bfd=%d bfd_rx=%u bfd_tx=%u bfd_mult=%u",
		  p->meta.name, c->peer_as, c->local_as, (int)c->dynamic_as, c->hold_time,
		  c->no_hold_time ? "(0)" : "", c->keepalive_time, c->connect_retry_time,
		  c->vrf ? c->vrf : "", c->bfd, c->bfd_params.receive_interval_ms,
		  c->bfd_params.transmit_interval_ms, c->bfd_params.detect_mult);
	return true;
}

static void push_routes(struct bgp_peer *bp, const struct spk_bgp_peer *sp)
{
	size_t n = sp ? sp->nroutes : 0;
	struct bgp_route *routes = xcalloc(n + 1, sizeof(*routes));
	struct bgp_route_attrs *attrs = xcalloc(n + 1, sizeof(*attrs));
	struct bgp_large_community **large = xcalloc(n + 1, sizeof(*large));
	for (size_t i = 0; i < n; i++) {
		const struct spk_bgp_route *r = &sp->routes[i];
		attrs[i].has_local_pref = r->has_local_pref;
		attrs[i].local_pref = r->local_pref;
		attrs[i].ncommunities = r->ncommunities;
		attrs[i].communities = r->communities;
		large[i] = xcalloc(r->nlarge_communities + 1, sizeof(**large));
		for (size_t j = 0; j < r->nlarge_communities; j++)
			large[i][j] = (struct bgp_large_community){ r->large_communities[j].global,
								    r->large_communities[j].local1,
								    r->large_communities[j].local2 };
		attrs[i].nlarge_communities = r->nlarge_communities;
		attrs[i].large_communities = large[i];
		routes[i] = (struct bgp_route){ .prefix = r->prefix, .attrs = &attrs[i] };
	}
	bgp_peer_set_routes(bp, routes, n);
	for (size_t i = 0; i < n; i++)
		free(large[i]);
	free(large);
	free(attrs);
	free(routes);
}

static void apply_bgp(struct spkd_announcer *a)
{
	const struct spk_decision *d = a->decision;
	struct bgp_peer_config *cfgs = xcalloc(d->npeers + 1, sizeof(*cfgs));
	const struct spk_bgp_peer **which = xcalloc(d->npeers + 1, sizeof(*which));
	size_t n = 0;
	for (size_t i = 0; i < d->npeers; i++) {
		const struct cfg_peer *p = &a->model->peers[d->peers[i].peer];
		if (peer_config(a, p, &cfgs[n]))
			which[n++] = &d->peers[i];
	}
	if (!bgp_set_peers(a->bgp, cfgs, n))
		log_error("speaker", "BGP peers refused by the engine", "peers=%zu", n);
	for (size_t i = 0; i < a->nsessions; i++)
		free(a->sessions[i].name);
	a->sessions = xreallocarray(a->sessions, n + 1, sizeof(*a->sessions));
	a->nsessions = n;
	for (size_t i = 0; i < n; i++)
		a->sessions[i] = (struct session){ xstrdup(a->model->peers[which[i]->peer].meta.name),
						   cfgs[i].address, cfgs[i].port,
						   cfgs[i].peer_as };
	for (size_t i = 0; i < n; i++) {
		struct bgp_peer *bp = bgp_find_peer(a->bgp, &cfgs[i].address, cfgs[i].port);
		if (bp)
			push_routes(bp, which[i]);
	}
	free(which);
	free(cfgs);
}

static struct l2_set *set_for(struct l2_set **sets, size_t *n, int ifindex)
{
	for (size_t i = 0; i < *n; i++) {
		if ((*sets)[i].ifindex == ifindex)
			return &(*sets)[i];
	}
	*sets = xreallocarray(*sets, *n + 1, sizeof(**sets));
	(*sets)[*n] = (struct l2_set){ .ifindex = ifindex };
	return &(*sets)[(*n)++];
}

static void apply_l2(struct spkd_announcer *a)
{
	const struct spk_decision *d = a->decision;
	struct l2_set *sets = NULL;
	size_t nsets = 0;
	for (size_t i = 0; d && i < d->nowned; i++) {
		const struct spk_l2_owned *o = &d->owned[i];
		struct l2_iface_policy pol = { .interfaces = (const char *const *)o->ifaces,
					       .n_interfaces = o->nifaces };
		int ifs[MAX_IFACES];
		size_t k = l2_iface_select(&pol, &o->ip, ifs, MAX_IFACES);
		if (k > MAX_IFACES)
			k = MAX_IFACES;
		if (k == 0) {
			char ip[IP_ADDR_STRLEN];
			ip_addr_format(&o->ip, ip, sizeof(ip));
			static struct log_ratelimit rl = LOG_RATELIMIT(5, 1);
			log_rl(&rl, LOGL_WARN, "speaker", "no interface may answer for this IP",
			       "ip=%s", ip);
		}
		for (size_t j = 0; j < k; j++) {
			struct l2_set *s = set_for(&sets, &nsets, ifs[j]);
			if (s->n == s->cap) {
				s->cap = s->cap ? 2 * s->cap : 8;
				s->ips = xreallocarray(s->ips, s->cap, sizeof(*s->ips));
			}
			s->ips[s->n++] = o->ip;
		}
	}
	/* Interfaces that owned something before and own nothing now are released. */
	for (size_t i = 0; i < a->nl2_ifs; i++) {
		bool kept = false;
		for (size_t j = 0; j < nsets && !kept; j++)
			kept = sets[j].ifindex == a->l2_ifs[i];
		if (!kept)
			l2_set_owned(a->l2_ifs[i], NULL, 0);
	}
	a->l2_ifs = xreallocarray(a->l2_ifs, nsets + 1, sizeof(*a->l2_ifs));
	a->nl2_ifs = nsets;
	for (size_t j = 0; j < nsets; j++) {
		a->l2_ifs[j] = sets[j].ifindex;
		l2_set_owned(sets[j].ifindex, sets[j].ips, sets[j].n);
		free(sets[j].ips);
	}
	free(sets);
}

static void on_iface(enum l2_iface_change change, int ifindex, void *arg)
{
	struct spkd_announcer *a = arg;
	if (a->stopped || !a->decision)
		return;
	apply_l2(a);
	if (change == L2_IFACE_LINK && ifindex > 0)
		l2_interface_changed(ifindex);
}

struct spkd_announcer *spkd_announcer_new(const char *node_name)
{
	struct spkd_announcer *a = xcalloc(1, sizeof(*a));
	a->node_name = xstrdup(node_name);
	a->bgp = bgp_speaker_new();
	struct l2_config cfg = l2_config_default();
	l2_responder_init(&cfg);
	if (l2_iface_start(on_iface, a) != 0)
		log_error("speaker", "cannot follow interfaces; layer 2 announcements disabled", "%s",
			  "");
	return a;
}

void spkd_announcer_apply(struct spkd_announcer *a, const struct cfg_model *m,
			  const struct spk_decision *d)
{
	if (a->stopped)
		return;
	a->model = m;
	a->decision = d;
	apply_bgp(a);
	apply_l2(a);
}

size_t spkd_announcer_ifaces_for(const struct spk_l2_owned *o, const char **out, size_t max)
{
	struct l2_iface_policy pol = { .interfaces = (const char *const *)o->ifaces,
				       .n_interfaces = o->nifaces };
	int ifs[MAX_IFACES];
	size_t k = l2_iface_select(&pol, &o->ip, ifs, MAX_IFACES);
	size_t n = 0;
	for (size_t i = 0; i < k && i < MAX_IFACES && n < max; i++) {
		const struct l2_link *l = l2_table_find(l2_iface_table(), ifs[i]);
		if (l)
			out[n++] = l->info.name;
	}
	return n;
}

size_t spkd_announcer_ifaces(struct spkd_announcer *a, const char **out, size_t max)
{
	const struct l2_link_table *t = l2_iface_table();
	size_t n = 0;
	for (size_t i = 0; t && i < t->n && n < max; i++)
		out[n++] = t->links[i].info.name;
	return n;
}

static void done_fire(void *arg)
{
	struct spkd_announcer *a = arg;
	if (a->done)
		a->done(a->done_arg);
}

void spkd_announcer_stop(struct spkd_announcer *a, uint16_t gshut_wait, void (*done)(void *arg),
			 void *arg)
{
	a->stopped = true;
	for (size_t i = 0; i < a->nl2_ifs; i++)
		l2_set_owned(a->l2_ifs[i], NULL, 0);
	a->nl2_ifs = 0;
	size_t npeers = bgp_peer_count(a->bgp);
	for (size_t i = 0; i < npeers; i++) {
		struct bgp_peer *p = bgp_peer_at(a->bgp, i);
		if (gshut_wait > 0)
			bgp_peer_graceful_shutdown(p, gshut_wait);
		else
			bgp_peer_set_routes(p, NULL, 0);
	}
	log_info("speaker", "withdrawing announcements", "peers=%zu gshut_wait_s=%u", npeers,
		 (unsigned)gshut_wait);
	a->done = done;
	a->done_arg = arg;
	a->done_timer = timer_new(done_fire, a);
	/* Give the withdrawals a moment to leave before the sessions are closed. */
	monotime wait = mono_from_ns(npeers ? ((int64_t)gshut_wait * 1000 + 300) * 1000000 : 0);
	timer_start(a->done_timer, wait);
}

size_t spkd_announcer_sessions(const struct spkd_announcer *a)
{
	return a->nsessions;
}

bool spkd_announcer_session(struct spkd_announcer *a, size_t i, const char **name,
			    uint32_t *peer_as, struct bgp_peer_status *st)
{
	if (i >= a->nsessions)
		return false;
	struct bgp_peer *p = bgp_find_peer(a->bgp, &a->sessions[i].address, a->sessions[i].port);
	if (!p)
		return false;
	*name = a->sessions[i].name;
	bgp_peer_status(p, st);
	/* A dynamic-AS peer's AS is the one learned from its OPEN (0 until then). */
	if (peer_as)
		*peer_as = a->sessions[i].peer_as ? a->sessions[i].peer_as : st->peer_as;
	return true;
}

bool spkd_announcer_session_label(const struct spkd_announcer *a, size_t i, char *buf,
				  size_t len)
{
	if (i >= a->nsessions)
		return false;
	char ip[IP_ADDR_STRLEN];
	if (ip_addr_format(&a->sessions[i].address, ip, sizeof(ip)) < 0)
		return false;
	snprintf(buf, len, "%s:%u", ip, a->sessions[i].port ? a->sessions[i].port : 179u);
	return true;
}

void spkd_announcer_free(struct spkd_announcer *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nsessions; i++)
		free(a->sessions[i].name);
	free(a->sessions);
	if (a->done_timer)
		timer_free(a->done_timer);
	bgp_speaker_free(a->bgp);
	l2_iface_stop();
	l2_responder_shutdown();
	free(a->l2_ifs);
	free(a->node_name);
	free(a);
}
