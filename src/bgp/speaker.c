/*
 * The speaker behind bgp.h: the listening sockets (RFC 4271 §8.2.1.1 passive side, TCP-MD5 per
 * peer address on each, RFC 2385), the set of peers reconciled from configuration (Cease
 * "Peer De-configured" / "Other Configuration Change", RFC 4486 §4), the routes per peer, and
 * status for the rest of ingot.
 */
#include "bgp/session.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bgp/bfd_link.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/xalloc.h"

#define MAX_LISTENERS 8

struct listener {
	int fd;
	uint8_t family;
	struct watch *watch;
};

struct bgp_speaker {
	struct bgp_peer **peers;
	size_t npeers;
	struct listener listeners[MAX_LISTENERS];
	size_t nlisteners;
};

struct bgp_speaker *bgp_speaker_new(void)
{
	return XNEW(struct bgp_speaker);
}

void bgp_speaker_free(struct bgp_speaker *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->npeers; i++)
		bgp_session_free(s->peers[i], BGP_CEASE_ADMIN_SHUTDOWN);
	free(s->peers);
	for (size_t i = 0; i < s->nlisteners; i++) {
		watch_free(s->listeners[i].watch);
		close(s->listeners[i].fd);
	}
	free(s);
}

/* --- listening ------------------------------------------------------------------------------------ */

static bool addr_same(const ip_addr *a, const ip_addr *b)
{
	return a->family == b->family && memcmp(a->bytes, b->bytes, sizeof(a->bytes)) == 0;
}

static struct log_ratelimit rl_accept = LOG_RATELIMIT(10, 1);

static void accept_cb(int fd, int events, void *arg)
{
	struct bgp_speaker *s = arg;
	for (int i = 0; i < 16; i++) {   /* bounded work per wake-up */
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int c = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c < 0)
			return;
		ip_addr from = bgp_from_sockaddr(&ss);
		struct bgp_peer *p = NULL;
		for (size_t k = 0; k < s->npeers && !p; k++)
			if (addr_same(&s->peers[k]->cfg.address, &from))
				p = s->peers[k];
		if (!p) {
			char text[IP_ADDR_STRLEN];
			ip_addr_format(&from, text, sizeof(text));
			log_rl(&rl_accept, LOGL_WARN, "bgp", "connection from unknown peer refused",
			       "from=%s", text);
			close(c);
			continue;
		}
		bgp_session_incoming(p, c);
	}
}

static void listener_md5(const struct listener *l, const struct bgp_peer_config *cfg)
{
	if (cfg->password && *cfg->password && cfg->address.family == l->family &&
	    !bgp_set_md5(l->fd, &cfg->address, cfg->password))
		log_error("bgp", "cannot set TCP-MD5 on listener", "errno=%d", errno);
}

bool bgp_speaker_listen(struct bgp_speaker *s, const ip_addr *addr, uint16_t port,
			uint16_t *bound_port)
{
	if (s->nlisteners == MAX_LISTENERS)
		return false;
	int fd = socket(addr->family == IP_V6 ? AF_INET6 : AF_INET,
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (addr->family == IP_V6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	struct sockaddr_storage ss;
	socklen_t sl = bgp_to_sockaddr(addr, port, &ss);
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 64) != 0) {
		log_error("bgp", "cannot listen", "port=%u errno=%d", port, errno);
		close(fd);
		return false;
	}
	sl = sizeof(ss);
	if (bound_port && getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		*bound_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
							  : ((struct sockaddr_in *)&ss)->sin_port);
	struct listener *l = &s->listeners[s->nlisteners++];
	l->fd = fd;
	l->family = addr->family;
	l->watch = watch_new(fd, WATCH_READ, accept_cb, s);
	for (size_t i = 0; i < s->npeers; i++)
		listener_md5(l, &s->peers[i]->cfg);
	return true;
}

/* --- peers -------------------------------------------------------------------------------------- */

static bool str_same(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

static bool config_same(const struct bgp_peer_config *a, const struct bgp_peer_config *b)
{
	return addr_same(&a->address, &b->address) && a->port == b->port &&
	       a->peer_as == b->peer_as && a->dynamic_as == b->dynamic_as &&
	       a->local_as == b->local_as && a->no_hold_time == b->no_hold_time &&
	       a->router_id == b->router_id && addr_same(&a->source, &b->source) &&
	       a->hold_time == b->hold_time && a->keepalive_time == b->keepalive_time &&
	       a->connect_retry_time == b->connect_retry_time &&
	       str_same(a->password, b->password) && str_same(a->vrf, b->vrf) &&
	       a->ebgp_multihop == b->ebgp_multihop &&
	       a->passive == b->passive && a->graceful_restart == b->graceful_restart &&
	       a->gr_time == b->gr_time && a->gr_restarting == b->gr_restarting && addr_same(&a->next_hop_v4, &b->next_hop_v4) &&
	       addr_same(&a->next_hop_v6, &b->next_hop_v6) &&
	       addr_same(&a->next_hop_v6_ll, &b->next_hop_v6_ll) && a->dual_stack == b->dual_stack &&
	       bgp_bfd_link_compatible(a, b);
}

/* Every field of every config checked before anything changes. */
static bool config_valid(const struct bgp_peer_config *c, const struct bgp_peer_config *all,
			 size_t i)
{
	const char *why = NULL;
	if (c->address.family != IP_V4 && c->address.family != IP_V6)
		why = "address";
	else if (c->local_as == 0 || (c->peer_as == 0 && c->dynamic_as == BGP_DYNAMIC_AS_NONE))
		why = "AS number 0 (RFC 7607)";
	else if (c->peer_as != 0 && c->dynamic_as != BGP_DYNAMIC_AS_NONE)
		why = "both a peer AS and a dynamic AS";
	else if (c->no_hold_time && c->hold_time != 0)
		why = "hold time both 0 and not 0";
	else if (c->router_id == 0)
		why = "router id 0 (RFC 6286)";
	else if (c->hold_time == 1 || c->hold_time == 2)
		why = "hold time 1 or 2 (RFC 4271 4.2)";
	else if (c->password && strlen(c->password) > 80)
		why = "TCP-MD5 password longer than 80";
	else if (c->vrf && strlen(c->vrf) >= IF_NAMESIZE)
		why = "VRF name too long for an interface name";
	else if (c->gr_time > BGP_GR_TIME_MAX)
		why = "graceful restart time above 4095";
	else if (c->bfd && !bfd_params_valid(&c->bfd_params, NULL))
		why = "BFD intervals outside 10..60000 ms or multiplier outside 2..255";
	for (size_t k = 0; k < i && !why; k++)
		if (addr_same(&all[k].address, &c->address) && all[k].port == c->port)
			why = "duplicate peer";
	if (why) {
		char text[IP_ADDR_STRLEN];
		ip_addr_format(&c->address, text, sizeof(text));
		log_error("bgp", "invalid peer", "peer=%s reason=%s", text, why);
	}
	return why == NULL;
}

bool bgp_set_peers(struct bgp_speaker *s, const struct bgp_peer_config *cfgs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!config_valid(&cfgs[i], cfgs, i))
			return false;
	struct bgp_peer **next = n ? xcalloc(n, sizeof(*next)) : NULL;
	for (size_t k = 0; k < s->npeers; k++) {
		struct bgp_peer *p = s->peers[k];
		size_t i = 0;
		while (i < n && !(addr_same(&cfgs[i].address, &p->cfg.address) &&
				  cfgs[i].port == p->cfg.port))
			i++;
		if (i == n) {
			bgp_session_free(p, BGP_CEASE_PEER_DECONFIGURED);
			continue;
		}
		if (config_same(&cfgs[i], &p->cfg)) {
			bgp_bfd_link_update(p, &cfgs[i]);   /* new BFD intervals, no restart */
			next[i] = p;
			continue;
		}
		/* Changed: restart with the new config, keeping the wanted routes. */
		struct bgp_ribout routes = p->ribout;
		bgp_ribout_init(&p->ribout);
		bgp_session_free(p, BGP_CEASE_OTHER_CONFIG_CHANGE);
		next[i] = bgp_session_new(s, &cfgs[i]);
		bgp_ribout_free(&next[i]->ribout);
		next[i]->ribout = routes;
		bgp_ribout_reset(&next[i]->ribout);
	}
	for (size_t i = 0; i < n; i++) {
		if (next[i])
			continue;
		next[i] = bgp_session_new(s, &cfgs[i]);
		for (size_t l = 0; l < s->nlisteners; l++)
			listener_md5(&s->listeners[l], &cfgs[i]);
	}
	free(s->peers);
	s->peers = next;
	s->npeers = n;
	return true;
}

struct bgp_peer *bgp_find_peer(struct bgp_speaker *s, const ip_addr *address, uint16_t port)
{
	for (size_t i = 0; i < s->npeers; i++)
		if (addr_same(&s->peers[i]->cfg.address, address) && s->peers[i]->cfg.port == port)
			return s->peers[i];
	return NULL;
}

size_t bgp_peer_count(const struct bgp_speaker *s)
{
	return s->npeers;
}

struct bgp_peer *bgp_peer_at(struct bgp_speaker *s, size_t i)
{
	return i < s->npeers ? s->peers[i] : NULL;
}

void bgp_peer_set_routes(struct bgp_peer *p, const struct bgp_route *routes, size_t n)
{
	bgp_ribout_set(&p->ribout, routes, n);
	bgp_session_routes_changed(p);
}

void bgp_peer_status(const struct bgp_peer *p, struct bgp_peer_status *out)
{
	memset(out, 0, sizeof(*out));
	out->state = (int)p->fsm.state;
	out->state_name = bgp_state_name(p->fsm.state);
	out->established_count = p->fsm.established_count;
	out->uptime_ms = p->fsm.state == BGP_ST_ESTABLISHED
		? mono_to_ms(mono_since(p->fsm.established_at)) : -1;
	out->msgs_in = p->msgs_in;
	out->msgs_out = p->msgs_out;
	out->updates_in = p->updates_in;
	out->updates_out = p->updates_out;
	out->opens_in = p->opens_in;
	out->opens_out = p->opens_out;
	out->notifications_in = p->notifications_in;
	out->notifications_out = p->notifications_out;
	out->keepalives_in = p->keepalives_in;
	out->keepalives_out = p->keepalives_out;
	out->route_refresh_in = p->route_refresh_in;
	out->route_refresh_out = p->route_refresh_out;
	out->prefixes_advertised = bgp_ribout_advertised(&p->ribout);
	/* Down, the peer has no Adj-RIB-Out to be behind on. */
	if (p->fsm.state == BGP_ST_ESTABLISHED)
		out->prefixes_pending = bgp_ribout_pending(&p->ribout);
	out->last_sent_code = p->fsm.last_sent_code;
	out->last_sent_subcode = p->fsm.last_sent_subcode;
	out->last_recv_code = p->fsm.last_recv_code;
	out->last_recv_subcode = p->fsm.last_recv_subcode;
	out->peer_as = p->cfg.peer_as ? p->cfg.peer_as : p->neg.peer_as;
	out->hold_time = p->fsm.hold_time;
	out->keepalive_time = p->fsm.keepalive_time;
	out->graceful_shutdown = p->gshut;
	out->gr_negotiated = p->neg.gr;
	out->has_bfd = bgp_peer_bfd_status(p, &out->bfd);
}
