/*
 * bfd-probe: runs one single-hop BFD session (src/bfd/bfd.h) to a peer, or a BGP peer that uses
 * BFD (src/bgp/bfd_link.c), for system tests against real routers.
 *
 *   bfd-probe --peer ADDR [--local ADDR] [--interface IFNAME] [--rx MS] [--tx MS] [--mult N]
 *             [--passive] [--log-level LEVEL]
 *             [--bgp AS,LOCAL_AS,ROUTER_ID [--hold S] [--route PREFIX]...]
 *
 * Without --bgp: prints one JSON line per BFD state change,
 *   {"t_ms":123,"bfd":"Up","old":"Init","diag":"none","remote":"Up"}
 * With --bgp: a BGP peer (peer AS, local AS, router id) with BFD from the same options announces
 * the routes; one JSON line per BGP state change, {"t_ms":123,"bgp":"Established"}.
 * t_ms is CLOCK_MONOTONIC in milliseconds (the same clock as Python's time.monotonic()).
 * Prints "ready" first; runs until SIGTERM or SIGINT.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bfd/bfd.h"
#include "bgp/bgp.h"
#include "bgp/fsm.h"
#include "core/log.h"
#include "core/loop.h"
#include "cmdloop.h"

#define MAX_ROUTES 16

static struct {
	struct bfd_session_config bfd;
	bool bgp;
	struct bgp_peer_config peer;
	struct bgp_route routes[MAX_ROUTES];
	size_t nroutes;
	struct bgp_speaker *speaker;
	struct timer *poll;
	int last_bgp_state;
} D = { .last_bgp_state = -1 };

static _Noreturn void usage(void)
{
	fprintf(stderr, "usage: bfd-probe --peer ADDR [--local ADDR] [--interface IFNAME] [--rx MS] "
			"[--tx MS] [--mult N] [--passive] [--log-level LEVEL] "
			"[--bgp AS,LOCAL_AS,ROUTER_ID [--hold S] [--route PREFIX]...]\n");
	exit(2);
}

static uint32_t num(const char *text, uint32_t max)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(text, &end, 10);
	if (errno || *end || end == text || v > max)
		usage();
	return (uint32_t)v;
}

static void addr(const char *text, ip_addr *out)
{
	if (!ip_addr_parse(text, out))
		usage();
}

static int64_t now_ms(void)
{
	return mono_to_ms(mono_now());
}

static void on_bfd(void *arg, const struct bfd_event *ev)
{
	printf("{\"t_ms\":%" PRId64 ",\"bfd\":\"%s\",\"old\":\"%s\",\"diag\":\"%s\","
	       "\"remote\":\"%s\"}\n", now_ms(), bfd_state_name(ev->state),
	       bfd_state_name(ev->old_state), bfd_diag_name(ev->diag),
	       bfd_state_name(ev->remote_state));
}

/* BGP state changes are read from the status every 5 ms: bgp.h has no callback. */
static void poll_cb(void *arg)
{
	struct bgp_peer_status st;
	bgp_peer_status(bgp_peer_at(D.speaker, 0), &st);
	if (st.state != D.last_bgp_state) {
		D.last_bgp_state = st.state;
		printf("{\"t_ms\":%" PRId64 ",\"bgp\":\"%s\",\"sent_code\":%u,\"sent_subcode\":%u}\n",
		       now_ms(), st.state_name, st.last_sent_code, st.last_sent_subcode);
	}
	timer_start(D.poll, mono_from_ms(5));
}

static void parse_bgp(const char *spec)
{
	char copy[128];
	snprintf(copy, sizeof(copy), "%s", spec);
	char *save = NULL;
	char *as = strtok_r(copy, ",", &save), *las = strtok_r(NULL, ",", &save),
	     *rid = strtok_r(NULL, ",", &save);
	if (!as || !las || !rid)
		usage();
	D.bgp = true;
	D.peer.peer_as = num(as, UINT32_MAX);
	D.peer.local_as = num(las, UINT32_MAX);
	ip_addr id;
	addr(rid, &id);
	if (id.family != IP_V4)
		usage();
	D.peer.router_id = ip_addr_v4_value(&id);
}

int main(int argc, char **argv)
{
	enum log_level level = LOGL_INFO;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i];
		if (strcmp(opt, "--passive") == 0) {
			D.bfd.params.passive = true;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		const char *val = argv[++i];
		if (strcmp(opt, "--peer") == 0)
			addr(val, &D.bfd.peer);
		else if (strcmp(opt, "--local") == 0)
			addr(val, &D.bfd.local);
		else if (strcmp(opt, "--interface") == 0)
			D.bfd.ifname = val;
		else if (strcmp(opt, "--rx") == 0)
			D.bfd.params.receive_interval_ms = num(val, 60000);
		else if (strcmp(opt, "--tx") == 0)
			D.bfd.params.transmit_interval_ms = num(val, 60000);
		else if (strcmp(opt, "--mult") == 0)
			D.bfd.params.detect_mult = (uint8_t)num(val, 255);
		else if (strcmp(opt, "--log-level") == 0) {
			if (!log_level_parse(val, &level))
				usage();
		} else if (strcmp(opt, "--bgp") == 0)
			parse_bgp(val);
		else if (strcmp(opt, "--hold") == 0)
			D.peer.hold_time = (uint16_t)num(val, 65535);
		else if (strcmp(opt, "--route") == 0) {
			if (D.nroutes == MAX_ROUTES ||
			    !ip_prefix_parse(val, &D.routes[D.nroutes].prefix, NULL))
				usage();
			D.nroutes++;
		} else
			usage();
	}
	if (D.bfd.peer.family == IP_NONE)
		usage();
	log_setup(level, LOG_FORMAT_TEXT, stderr);
	loop_init();
	struct bfd_session *bfd = NULL;
	if (D.bgp) {
		D.peer.address = D.bfd.peer;
		D.peer.source = D.bfd.local;
		D.peer.connect_retry_time = 1;
		D.peer.bfd = true;
		D.peer.bfd_params = D.bfd.params;
		D.speaker = bgp_speaker_new();
		if (!bgp_set_peers(D.speaker, &D.peer, 1))
			return 1;
		bgp_peer_set_routes(bgp_peer_at(D.speaker, 0), D.routes, D.nroutes);
		D.poll = timer_new(poll_cb, NULL);
		timer_start(D.poll, mono_zero());
	} else if (!(bfd = bfd_session_new(&D.bfd, on_bfd, NULL))) {
		return 1;
	}
	int rc = cmdloop_run(NULL);   /* no commands: runs until SIGTERM or SIGINT */
	if (D.poll)
		timer_free(D.poll);
	bgp_speaker_free(D.speaker);
	bfd_session_free(bfd);
	loop_free();
	return rc == 0 ? 0 : 1;
}
