/*
 * l2-announce: runs the layer-2 responder (src/l2/responder.h) on one interface, for system tests
 * before the speaker exists.
 *
 *   l2-announce --interface eth0 [--burst N] [--burst-span-ms MS] [--refresh-ms MS] [IP...]
 *
 * Announces and answers for the IPs given, prints "ready" on stdout, then reads commands on stdin,
 * one per line:
 *   own [IP...]   replace the owned set (no IPs: release everything)
 *   changed       re-read the interface's MAC and announce everything again
 *   counters      print the interface's counters as one JSON line
 *   select IP [IFNAME...]
 *                 print the interfaces that would answer for IP (src/l2/iface.h rules, with
 *                 IFNAMEs as the explicit list) as one JSON line: {"interfaces":["eth0"]}
 * Interfaces are followed through rtnetlink; when the announcing interface comes up or changes its
 * MAC, everything is announced again.
 * and exits on end of input, SIGTERM or SIGINT. Every command is answered with one line on stdout
 * ("ok", the counters, or "error: ...") so a test can wait for it to take effect. The line
 * reading and dispatch are common/cmdloop.h's.
 */
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/xalloc.h"
#include "cmdloop.h"
#include "l2/iface.h"
#include "l2/responder.h"

#define MAX_IPS 1024
#define LINE_MAX_LEN 65536

static struct {
	int ifindex;
} D;

static _Noreturn void usage(void)
{
	fprintf(stderr, "usage: l2-announce --interface IFNAME [--burst N] [--burst-span-ms MS] "
			"[--refresh-ms MS] [IP...]\n");
	exit(2);
}

static long parse_num(const char *text)
{
	char *end;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno || *end || v < 0)
		usage();
	return v;
}

/* Parses whitespace-separated IPs from text into ips; returns how many, or -1 naming the bad one. */
static long parse_ips(char *text, ip_addr *ips, size_t max)
{
	size_t n = 0;
	for (char *save = NULL, *tok = strtok_r(text, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (n == max || !ip_addr_parse(tok, &ips[n])) {
			printf("error: bad address %s\n", tok);
			return -1;
		}
		n++;
	}
	return (long)n;
}

static void print_counters(void)
{
	struct l2_counters c;
	memset(&c, 0, sizeof(c));
	l2_counters_get(D.ifindex, &c);
	printf("{\"requests_seen\":%" PRIu64 ",\"replies_sent\":%" PRIu64 ",\"gratuitous_sent\":%" PRIu64
	       ",\"malformed\":%" PRIu64 ",\"conflicts\":%" PRIu64 ",\"errors\":%" PRIu64
	       ",\"dropped\":%" PRIu64 "}\n",
	       c.requests_seen, c.replies_sent, c.gratuitous_sent, c.malformed, c.conflicts, c.errors,
	       c.dropped);
}

static void print_selection(char *args)
{
	char *save = NULL;
	char *text = strtok_r(args, " \t", &save);
	ip_addr service;
	if (!text || !ip_addr_parse(text, &service)) {
		printf("error: select needs an IP\n");
		return;
	}
	const char *names[64];
	size_t n_names = 0;
	for (char *tok; n_names < 64 && (tok = strtok_r(NULL, " \t", &save));)
		names[n_names++] = tok;
	struct l2_iface_policy policy = { .interfaces = names, .n_interfaces = n_names };
	int out[256];
	size_t n = l2_iface_select(&policy, &service, out, 256);
	printf("{\"interfaces\":[");
	for (size_t i = 0; i < n && i < 256; i++) {
		const struct l2_link *l = l2_table_find(l2_iface_table(), out[i]);
		printf("%s\"%s\"", i ? "," : "", l ? l->info.name : "?");
	}
	printf("]}\n");
}

static void cmd_own(char *args)
{
	static ip_addr ips[MAX_IPS];
	long n = parse_ips(args, ips, MAX_IPS);
	if (n < 0)
		return;
	if (l2_set_owned(D.ifindex, ips, (size_t)n) != 0)
		printf("error: cannot respond on this interface\n");
	else
		printf("ok\n");
}

static void cmd_changed(char *args)
{
	l2_interface_changed(D.ifindex);
	printf("ok\n");
}

static void cmd_counters(char *args)
{
	print_counters();
}

static const struct cmdloop_verb verbs[] = {
	{ "own", cmd_own },
	{ "changed", cmd_changed },
	{ "counters", cmd_counters },
	{ "select", print_selection },
	{ NULL, NULL },
};

static void on_iface(enum l2_iface_change change, int ifindex, void *arg)
{
	if (change == L2_IFACE_RESYNC || (change == L2_IFACE_LINK && ifindex == D.ifindex)) {
		const struct l2_link *l = l2_table_find(l2_iface_table(), D.ifindex);
		if (l && (l->info.flags & IFF_UP))
			l2_interface_changed(D.ifindex);
	}
}

int main(int argc, char **argv)
{
	struct l2_config cfg = l2_config_default();
	const char *ifname = NULL;
	int i = 1;
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--interface") == 0)
			ifname = argv[i + 1];
		else if (strcmp(argv[i], "--burst") == 0)
			cfg.burst_count = (unsigned)parse_num(argv[i + 1]);
		else if (strcmp(argv[i], "--burst-span-ms") == 0)
			cfg.burst_span = mono_from_ms(parse_num(argv[i + 1]));
		else if (strcmp(argv[i], "--refresh-ms") == 0)
			cfg.refresh = mono_from_ms(parse_num(argv[i + 1]));
		else
			usage();
	}
	if (!ifname)
		usage();
	D.ifindex = (int)if_nametoindex(ifname);
	if (D.ifindex == 0) {
		fprintf(stderr, "l2-announce: no interface %s\n", ifname);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	loop_init();
	if (l2_iface_start(on_iface, NULL) != 0)
		return 1;
	l2_responder_init(&cfg);
	static ip_addr ips[MAX_IPS];
	size_t n = 0;
	for (; i < argc; i++) {
		if (n == MAX_IPS || !ip_addr_parse(argv[i], &ips[n])) {
			fprintf(stderr, "l2-announce: bad address %s\n", argv[i]);
			return 2;
		}
		n++;
	}
	if (n > 0 && l2_set_owned(D.ifindex, ips, n) != 0)
		return 1;
	static const struct cmdloop_config cmds = { .verbs = verbs, .line_max = LINE_MAX_LEN };
	int rc = cmdloop_run(&cmds);
	l2_responder_shutdown();
	l2_iface_stop();
	loop_free();
	return rc == 0 ? 0 : 1;
}
