/*
 * bgp-announce: runs the BGP speaker (src/bgp/bgp.h) for one node, for system tests and the
 * benchmark before `ingot speaker` exists. Thin on purpose: it parses lines and calls bgp.h.
 *
 *   bgp-announce [--log-level LEVEL] [--listen ADDR[,PORT]]...
 *
 * Prints "ready", then reads commands on stdin, one per line, and answers each with one line
 * ("ok", a JSON object, or "error: ..."):
 *   peer ADDR as=N local-as=N router-id=IPV4 [port=N] [passive] [hold=N] [keepalive=N]
 *        [connect-retry=N]
 *        [md5=PASSWORD] [multihop=TTL] [source=IP] [gr] [gr-time=N] [gr-restarting]
 *        [next-hop=IPV4] [next-hop6=IPV6] [next-hop6-ll=IPV6]
 *                 declare a peer (keepalive: a third of the negotiated hold time by default)
 *   start         apply the declared peers (bgp_set_peers) with the routes so far; later `peer`
 *                 lines apply at once
 *   route PREFIX [local-pref=N] [med=N] [community=A:B[,A:B...]]
 *                [large-community=A:B:C[,...]] [link-bandwidth=AS:BYTES_PER_SECOND]
 *                 add or replace a route (to every peer)
 *   range FIRST COUNT [attributes as for route]
 *                 add COUNT host routes FIRST, FIRST+1, ...
 *   withdraw PREFIX | withdraw-all
 *   status        {"peers":[{"address":...,"state":...,...}]}
 *   graceful-shutdown SECONDS
 *                 RFC 8326 on every peer: re-announce with 65535:0, withdraw after SECONDS
 *   stop          Cease to every peer and exit (also on end of input, SIGTERM, SIGINT)
 * Route changes made by the lines of one read are given to the speaker together. The line reading
 * and dispatch are common/cmdloop.h's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgp/bgp.h"
#include "bgp/msg.h"
#include "core/addr.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/xalloc.h"
#include "cmdloop.h"

#define MAX_PEERS 64
#define MAX_LIST 32
#define LINE_MAX_LEN 8192

/* One attribute set as given on a line; routes point at it. Never freed before exit. */
struct attr_set {
	struct bgp_route_attrs a;
	uint32_t communities[MAX_LIST];
	uint64_t ext[1];
	struct bgp_large_community large[MAX_LIST];
};

static struct {
	struct bgp_speaker *speaker;
	struct bgp_peer_config peers[MAX_PEERS];
	char passwords[MAX_PEERS][81];
	size_t npeers;
	bool started;
	struct bgp_route *routes;
	size_t nroutes, cap;
	struct attr_set **sets;
	size_t nsets;
	bool routes_dirty;
} D;

static _Noreturn void usage(void)
{
	fprintf(stderr, "usage: bgp-announce [--log-level LEVEL] [--listen ADDR[,PORT]]...\n");
	exit(2);
}

static bool parse_u32(const char *text, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno || *end || end == text || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool parse_u16(const char *text, uint16_t *out)
{
	uint32_t v;
	if (!parse_u32(text, &v) || v > UINT16_MAX)
		return false;
	*out = (uint16_t)v;
	return true;
}

/* --- peers -------------------------------------------------------------------------------- */

static bool peer_option(struct bgp_peer_config *c, char *pw, const char *key, const char *val)
{
	ip_addr a;
	uint16_t u16;
	if (strcmp(key, "as") == 0)
		return val && parse_u32(val, &c->peer_as);
	if (strcmp(key, "local-as") == 0)
		return val && parse_u32(val, &c->local_as);
	if (strcmp(key, "router-id") == 0) {
		if (!val || !ip_addr_parse(val, &a) || a.family != IP_V4)
			return false;
		c->router_id = ip_addr_v4_value(&a);
		return true;
	}
	if (strcmp(key, "port") == 0)
		return val && parse_u16(val, &c->port);
	if (strcmp(key, "hold") == 0)
		return val && parse_u16(val, &c->hold_time);
	if (strcmp(key, "keepalive") == 0)
		return val && parse_u16(val, &c->keepalive_time);
	if (strcmp(key, "connect-retry") == 0)
		return val && parse_u16(val, &c->connect_retry_time);
	if (strcmp(key, "gr-time") == 0)
		return val && parse_u16(val, &c->gr_time);
	if (strcmp(key, "multihop") == 0) {
		if (!val || !parse_u16(val, &u16) || u16 > 255)
			return false;
		c->ebgp_multihop = (uint8_t)u16;
		return true;
	}
	if (strcmp(key, "md5") == 0) {
		if (!val || strlen(val) > 80)
			return false;
		strcpy(pw, val);
		c->password = pw;
		return true;
	}
	if (strcmp(key, "passive") == 0)
		return (c->passive = true);
	if (strcmp(key, "gr") == 0)
		return (c->graceful_restart = true);
	if (strcmp(key, "gr-restarting") == 0)
		return (c->gr_restarting = true);
	ip_addr *dst = strcmp(key, "source") == 0      ? &c->source
		       : strcmp(key, "next-hop") == 0    ? &c->next_hop_v4
		       : strcmp(key, "next-hop6") == 0   ? &c->next_hop_v6
		       : strcmp(key, "next-hop6-ll") == 0 ? &c->next_hop_v6_ll
							  : NULL;
	return dst && val && ip_addr_parse(val, dst);
}

static void push_routes(struct bgp_peer *p)
{
	bgp_peer_set_routes(p, D.routes, D.nroutes);
}

static bool apply_peers(void)
{
	if (!bgp_set_peers(D.speaker, D.peers, D.npeers))
		return false;
	for (size_t i = 0; i < bgp_peer_count(D.speaker); i++)
		push_routes(bgp_peer_at(D.speaker, i));
	D.routes_dirty = false;
	return true;
}

static void cmd_peer(char *save)
{
	if (D.npeers == MAX_PEERS) {
		printf("error: too many peers\n");
		return;
	}
	struct bgp_peer_config c = { 0 };
	char *pw = D.passwords[D.npeers];
	char *tok = strtok_r(NULL, " \t", &save);
	if (!tok || !ip_addr_parse(tok, &c.address)) {
		printf("error: peer needs an address\n");
		return;
	}
	while ((tok = strtok_r(NULL, " \t", &save))) {
		char *val = strchr(tok, '=');
		if (val)
			*val++ = '\0';
		if (!peer_option(&c, pw, tok, val)) {
			printf("error: bad peer option %s\n", tok);
			return;
		}
	}
	D.peers[D.npeers++] = c;
	if (D.started && !apply_peers()) {
		D.npeers--;
		printf("error: peer refused (see the log)\n");
		return;
	}
	printf("ok\n");
}

/* --- routes ------------------------------------------------------------------------------- */

/* Parses "A:B[:C],..." into up to max tuples of n numbers. */
static long parse_tuples(const char *text, size_t n, uint32_t *out, size_t max)
{
	size_t count = 0;
	const char *s = text;
	while (*s) {
		if (count == max)
			return -1;
		for (size_t k = 0; k < n; k++) {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(s, &end, 10);
			if (errno || end == s || v > UINT32_MAX)
				return -1;
			out[count * n + k] = (uint32_t)v;
			s = end;
			if (k + 1 < n && *s++ != ':')
				return -1;
		}
		if (*s == ',')
			s++;
		else if (*s)
			return -1;
		count++;
	}
	return (long)count;
}

/* Reads the attribute options that follow on the line; NULL (after printing why) if bad. */
static const struct bgp_route_attrs *parse_attrs(char **save)
{
	struct attr_set *set = XNEW(struct attr_set);
	uint32_t tmp[MAX_LIST * 3];
	char *tok;
	while ((tok = strtok_r(NULL, " \t", save))) {
		char *val = strchr(tok, '=');
		long n = -1;
		if (val)
			*val++ = '\0';
		if (!val) {
			n = -1;
		} else if (strcmp(tok, "local-pref") == 0) {
			set->a.has_local_pref = true;
			n = parse_u32(val, &set->a.local_pref) ? 1 : -1;
		} else if (strcmp(tok, "med") == 0) {
			set->a.has_med = true;
			n = parse_u32(val, &set->a.med) ? 1 : -1;
		} else if (strcmp(tok, "community") == 0 &&
			   (n = parse_tuples(val, 2, tmp, MAX_LIST)) >= 0) {
			for (long i = 0; i < n && n >= 0; i++) {
				if (tmp[2 * i] > 0xffff || tmp[2 * i + 1] > 0xffff)
					n = -1;
				else
					set->communities[i] = tmp[2 * i] << 16 | tmp[2 * i + 1];
			}
			set->a.communities = set->communities;
			set->a.ncommunities = n > 0 ? (size_t)n : 0;
		} else if (strcmp(tok, "large-community") == 0 &&
			   (n = parse_tuples(val, 3, tmp, MAX_LIST)) >= 0) {
			for (long i = 0; i < n; i++)
				set->large[i] = (struct bgp_large_community){ tmp[3 * i], tmp[3 * i + 1],
									      tmp[3 * i + 2] };
			set->a.large_communities = set->large;
			set->a.nlarge_communities = (size_t)n;
		} else if (strcmp(tok, "link-bandwidth") == 0 &&
			   parse_tuples(val, 2, tmp, 1) == 1 && tmp[0] <= 0xffff) {
			set->ext[0] = bgp_ext_community_link_bandwidth((uint16_t)tmp[0], (float)tmp[1]);
			set->a.ext_communities = set->ext;
			set->a.next_communities = 1;
			n = 1;
		}
		if (n < 0) {
			printf("error: bad route option %s\n", tok);
			free(set);
			return NULL;
		}
	}
	D.sets = xreallocarray(D.sets, D.nsets + 1, sizeof(*D.sets));
	D.sets[D.nsets++] = set;
	return &set->a;
}

static void add_route(const ip_prefix *prefix, const struct bgp_route_attrs *a)
{
	if (D.nroutes == D.cap) {
		D.cap = D.cap ? 2 * D.cap : 1024;
		D.routes = xreallocarray(D.routes, D.cap, sizeof(*D.routes));
	}
	/* Duplicates are fine: bgp_peer_set_routes() keeps the last one. */
	D.routes[D.nroutes++] = (struct bgp_route){ .prefix = *prefix, .attrs = a };
	D.routes_dirty = true;
}

static void cmd_route(char *save)
{
	ip_prefix prefix;
	char *tok = strtok_r(NULL, " \t", &save);
	if (!tok || !ip_prefix_parse(tok, &prefix, NULL)) {
		printf("error: route needs a prefix\n");
		return;
	}
	const struct bgp_route_attrs *a = parse_attrs(&save);
	if (!a)
		return;
	add_route(&prefix, a);
	printf("ok\n");
}

static void cmd_range(char *save)
{
	ip_addr first;
	uint32_t count;
	char *tok = strtok_r(NULL, " \t", &save);
	char *num = strtok_r(NULL, " \t", &save);
	if (!tok || !ip_addr_parse(tok, &first) || !num || !parse_u32(num, &count)) {
		printf("error: range needs FIRST COUNT\n");
		return;
	}
	const struct bgp_route_attrs *a = parse_attrs(&save);
	if (!a)
		return;
	unsigned bits = ip_family_bits((enum ip_family)first.family);
	for (uint32_t i = 0; i < count; i++) {
		ip_addr x;
		if (!ip_addr_add(&first, i, &x)) {
			printf("error: range runs out of addresses\n");
			return;
		}
		ip_prefix p = ip_prefix_make(&x, bits);
		add_route(&p, a);
	}
	printf("ok\n");
}

static void cmd_withdraw(char *save)
{
	ip_prefix prefix;
	char *tok = strtok_r(NULL, " \t", &save);
	if (!tok || !ip_prefix_parse(tok, &prefix, NULL)) {
		printf("error: withdraw needs a prefix\n");
		return;
	}
	size_t kept = 0;
	for (size_t i = 0; i < D.nroutes; i++)
		if (!(ip_addr_eq(&D.routes[i].prefix.addr, &prefix.addr) &&
		      D.routes[i].prefix.len == prefix.len))
			D.routes[kept++] = D.routes[i];
	D.nroutes = kept;
	D.routes_dirty = true;
	printf("ok\n");
}

/* --- status ------------------------------------------------------------------------------- */

static void cmd_status(char *args)
{
	printf("{\"peers\":[");
	for (size_t i = 0; i < bgp_peer_count(D.speaker); i++) {
		struct bgp_peer_status st;
		bgp_peer_status(bgp_peer_at(D.speaker, i), &st);
		char addr[IP_ADDR_STRLEN];
		ip_addr_format(&D.peers[i].address, addr, sizeof(addr));
		printf("%s{\"address\":\"%s\",\"state\":\"%s\",\"established_count\":%" PRIu32
		       ",\"msgs_in\":%" PRIu64 ",\"msgs_out\":%" PRIu64 ",\"updates_in\":%" PRIu64
		       ",\"updates_out\":%" PRIu64 ",\"prefixes_advertised\":%zu"
		       ",\"last_sent\":[%u,%u],\"last_recv\":[%u,%u],\"graceful_shutdown\":%s"
		       ",\"gr_negotiated\":%s}",
		       i ? "," : "", addr, st.state_name, st.established_count, st.msgs_in, st.msgs_out,
		       st.updates_in, st.updates_out, st.prefixes_advertised, st.last_sent_code,
		       st.last_sent_subcode, st.last_recv_code, st.last_recv_subcode,
		       st.graceful_shutdown ? "true" : "false", st.gr_negotiated ? "true" : "false");
	}
	printf("]}\n");
}

/* --- input -------------------------------------------------------------------------------- */

static void cmd_start(char *args)
{
	D.started = true;
	if (apply_peers())
		printf("ok\n");
	else
		printf("error: peers refused (see the log)\n");
}

static void cmd_withdraw_all(char *args)
{
	D.nroutes = 0;
	D.routes_dirty = true;
	printf("ok\n");
}

static void cmd_graceful_shutdown(char *save)
{
	uint16_t secs;
	char *tok = strtok_r(NULL, " \t", &save);
	if (!tok || !parse_u16(tok, &secs)) {
		printf("error: graceful-shutdown needs SECONDS\n");
		return;
	}
	for (size_t i = 0; i < bgp_peer_count(D.speaker); i++)
		bgp_peer_graceful_shutdown(bgp_peer_at(D.speaker, i), secs);
	printf("ok\n");
}

static void cmd_stop(char *args)
{
	printf("ok\n");
	loop_stop();
}

static const struct cmdloop_verb verbs[] = {
	{ "peer", cmd_peer },
	{ "start", cmd_start },
	{ "route", cmd_route },
	{ "range", cmd_range },
	{ "withdraw", cmd_withdraw },
	{ "withdraw-all", cmd_withdraw_all },
	{ "status", cmd_status },
	{ "graceful-shutdown", cmd_graceful_shutdown },
	{ "stop", cmd_stop },
	{ NULL, NULL },
};

/* After each read: the route changes of all its lines go to the peers at once. */
static void after_read(void)
{
	if (D.routes_dirty && D.started) {
		for (size_t i = 0; i < bgp_peer_count(D.speaker); i++)
			push_routes(bgp_peer_at(D.speaker, i));
		D.routes_dirty = false;
	}
}

static void listen_on(const char *spec)
{
	char text[IP_ADDR_STRLEN + 8];
	snprintf(text, sizeof(text), "%s", spec);
	uint16_t port = BGP_PORT;
	char *comma = strchr(text, ',');
	if (comma) {
		*comma = '\0';
		if (!parse_u16(comma + 1, &port))
			usage();
	}
	ip_addr a;
	uint16_t bound = 0;
	if (!ip_addr_parse(text, &a) || !bgp_speaker_listen(D.speaker, &a, port, &bound)) {
		fprintf(stderr, "bgp-announce: cannot listen on %s\n", spec);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	enum log_level level = LOGL_INFO;
	setvbuf(stdout, NULL, _IOLBF, 0);
	loop_init();
	D.speaker = bgp_speaker_new();
	for (int i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--log-level") == 0) {
			if (!log_level_parse(argv[i + 1], &level))
				usage();
		} else if (strcmp(argv[i], "--listen") == 0) {
			listen_on(argv[i + 1]);
		} else {
			usage();
		}
	}
	log_setup(level, LOG_FORMAT_TEXT, stderr);
	static const struct cmdloop_config cmds = {
		.verbs = verbs, .line_max = LINE_MAX_LEN, .after_read = after_read,
	};
	int rc = cmdloop_run(&cmds);
	bgp_speaker_free(D.speaker);   /* Cease/Administrative Shutdown to every peer */
	loop_free();
	for (size_t i = 0; i < D.nsets; i++)
		free(D.sets[i]);
	free(D.sets);
	free(D.routes);
	return rc == 0 ? 0 : 1;
}
