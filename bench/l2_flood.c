/*
 * l2_flood: ARP request (RFC 826) or neighbor solicitation (RFC 4861 4.3) flood generator and
 * reply measurer for the layer-2 benchmark (issue 6). Runs in the client namespace of a lab
 * (bench/bench_l2.py) on one AF_PACKET socket; links nothing of ingot's.
 *
 *   l2_flood --interface IF --target IP --src-base IP [--rate PPS] [--count N] [--duration S]
 *            [--wait-ms MS] [--slots K] [--dst-mac MAC]
 *
 * The target IP's family picks the protocol: IPv4 sends ARP requests (broadcast by default),
 * IPv6 sends NS with a source link-layer option to the target's solicited-node group (RFC 4291
 * 2.7.1). --rate 0 sends unpaced (bursts of BURST); otherwise requests are spaced evenly,
 * 1/rate apart. Sending stops after --count requests or --duration seconds, whichever comes first;
 * replies are collected for --wait-ms more. Hard limits: MAX_COUNT requests, MAX_DURATION_S.
 *
 * Matching replies to requests: request number s uses sender address src-base + (s mod K) (the
 * ARP sender protocol address, or the IPv6 source). A reply carries it back (ARP target protocol
 * address, IPv6 destination). A single responder answers in order, so a reply for slot k belongs
 * to the first request after the last matched one that used slot k. That is exact unless K or more
 * consecutive requests went unanswered; K is kept small (default 64) because every distinct
 * sender address makes the kernel responder create a neighbour entry, and the neighbour tables are
 * shared by all namespaces on the machine (gc_thresh3 1024).
 *
 * Latency is reported two ways, both from CLOCK_REALTIME taken just before send():
 *   wire  reply's kernel receive timestamp on our interface (SO_TIMESTAMPNS) minus send time:
 *         excludes our own wake-up and any delay from this single thread being busy sending.
 *   user  time recvmmsg() returned minus send time: what a user-space client would see.
 * Unpaced, the send time is taken once per sendmmsg() of BURST requests, so the later requests of a
 * burst carry the time it took to send the ones before them (with the kernel as the responder,
 * that includes answering them). Paced, a request due while we were not running (a late wake-up)
 * is sent at once, back to back with the others due, up to CATCH_UP; "late" counts them.
 *
 * CPU: our own CPU time over the measuring window (first send to end of wait): "cpu_ms" from
 * CLOCK_PROCESS_CPUTIME_ID (the scheduler's exact run time, which includes softirq work done
 * while we were current: with veth that is most of a kernel responder's work), and the tick-sampled
 * user/system split from getrusage. Also the machine-wide /proc/stat deltas (not per namespace,
 * and shared with every other tenant of the machine), in milliseconds of CPU.
 *
 * Output: one JSON object on stdout. Exit 0 on a completed run, 1 on a local error, 2 on usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_COUNT 10000000UL
#define MAX_DURATION_S 60.0
#define MAX_WAIT_MS 5000L
#define MAX_SLOTS 1024U
#define BURST 32        /* unpaced: requests per sendmmsg */
#define CATCH_UP 16     /* paced: most requests sent back to back after falling behind */
#define RX_BATCH 64
#define RX_SNAP 256
#define RCVBUF (16 << 20)
#define FRAME_MAX 128

#define ETH_HLEN_ 14
#define ARP_FRAME_LEN (ETH_HLEN_ + 28)
#define NS_FRAME_LEN (ETH_HLEN_ + 40 + 32)
#define IP6_OFF ETH_HLEN_
#define ICMP6_OFF (ETH_HLEN_ + 40)

struct options {
	const char *ifname;
	int family;                 /* 4: ARP, 6: NDP */
	uint8_t target[16];
	uint8_t src_base[16];
	double rate;                /* requests/s, 0 = unpaced */
	unsigned long count;
	double duration;
	long wait_ms;
	unsigned slots;
	bool have_dst_mac;
	uint8_t dst_mac[6];
};

struct cpu_sample {
	unsigned long long v[10];   /* user nice system idle iowait irq softirq steal guest guest_nice */
};

static struct {
	struct options o;
	int fd;
	int ifindex;
	uint8_t mac[6];
	uint64_t *tx_ns;            /* per request: CLOCK_REALTIME at send, 0 = not sent */
	uint32_t *lat_wire;         /* per matched reply, ns (capped) */
	uint32_t *lat_user;
	unsigned long sent, matched, unmatched, other_mac, no_stamp, send_errors, late;
	unsigned long last_matched; /* request number + 1 of the last matched reply, 0 = none */
	uint8_t responder_mac[6];
	bool have_responder;
} G;

static _Noreturn void usage(void)
{
	fprintf(stderr, "usage: l2_flood --interface IF --target IP --src-base IP [--rate PPS] "
			"[--count N] [--duration S] [--wait-ms MS] [--slots K] [--dst-mac MAC]\n");
	exit(2);
}

static _Noreturn void die(const char *what)
{
	fprintf(stderr, "l2_flood: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static double parse_double(const char *text, double lo, double hi)
{
	char *end;
	errno = 0;
	double v = strtod(text, &end);
	if (errno || *end || end == text || !(v >= lo && v <= hi))
		usage();
	return v;
}

static int parse_ip(const char *text, uint8_t out[16])
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, text, out) == 1)
		return 4;
	if (inet_pton(AF_INET6, text, out) == 1)
		return 6;
	usage();
}

static void parse_mac(const char *text, uint8_t out[6])
{
	unsigned b[6];
	char extra;
	if (sscanf(text, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &extra) != 6)
		usage();
	for (int i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			usage();
		out[i] = (uint8_t)b[i];
	}
}

static void parse_args(int argc, char **argv, struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->count = 100000;
	o->duration = 5.0;
	o->wait_ms = 300;
	o->slots = 64;
	int src_family = 0;
	for (int i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			usage();
		const char *k = argv[i], *v = argv[i + 1];
		if (strcmp(k, "--interface") == 0)
			o->ifname = v;
		else if (strcmp(k, "--target") == 0)
			o->family = parse_ip(v, o->target);
		else if (strcmp(k, "--src-base") == 0)
			src_family = parse_ip(v, o->src_base);
		else if (strcmp(k, "--rate") == 0)
			o->rate = parse_double(v, 0, 1e7);
		else if (strcmp(k, "--count") == 0)
			o->count = (unsigned long)parse_double(v, 1, (double)MAX_COUNT);
		else if (strcmp(k, "--duration") == 0)
			o->duration = parse_double(v, 0.001, MAX_DURATION_S);
		else if (strcmp(k, "--wait-ms") == 0)
			o->wait_ms = (long)parse_double(v, 0, (double)MAX_WAIT_MS);
		else if (strcmp(k, "--slots") == 0)
			o->slots = (unsigned)parse_double(v, 1, MAX_SLOTS);
		else if (strcmp(k, "--dst-mac") == 0) {
			parse_mac(v, o->dst_mac);
			o->have_dst_mac = true;
		} else
			usage();
	}
	if (!o->ifname || !o->family || src_family != o->family)
		usage();
}

/* --- frames ---------------------------------------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Sender address for slot k: the base plus k in its last 32 bits (IPv4: the whole address). */
static void slot_addr(unsigned k, uint8_t *out, size_t len)
{
	memcpy(out, G.o.src_base, len);
	uint32_t low = get32(out + len - 4) + k;
	out[len - 4] = (uint8_t)(low >> 24);
	out[len - 3] = (uint8_t)(low >> 16);
	out[len - 2] = (uint8_t)(low >> 8);
	out[len - 1] = (uint8_t)low;
}

/* Slot of a sender address echoed back, or -1 when it is not one of ours. */
static long addr_slot(const uint8_t *addr, size_t len)
{
	if (memcmp(addr, G.o.src_base, len - 4) != 0)
		return -1;
	uint32_t d = get32(addr + len - 4) - get32(G.o.src_base + len - 4);
	return d < G.o.slots ? (long)d : -1;
}

/* RFC 826 request: who has target, tell src-base + slot. */
static size_t build_arp(uint8_t *f, unsigned slot)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	memcpy(f, G.o.have_dst_mac ? G.o.dst_mac : bcast, 6);
	memcpy(f + 6, G.mac, 6);
	put16(f + 12, ETH_P_ARP);
	uint8_t *a = f + ETH_HLEN_;
	put16(a, 1);                /* htype Ethernet */
	put16(a + 2, ETH_P_IP);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1);            /* request */
	memcpy(a + 8, G.mac, 6);
	slot_addr(slot, a + 14, 4);
	memset(a + 18, 0, 6);
	memcpy(a + 24, G.o.target, 4);
	return ARP_FRAME_LEN;
}

static uint16_t icmp6_checksum(const uint8_t *ip6, const uint8_t *icmp, size_t len)
{
	uint32_t sum = 0;
	for (int i = 8; i < 40; i += 2)        /* source and destination addresses */
		sum += get16(ip6 + i);
	sum += (uint32_t)len;
	sum += 58;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get16(icmp + i);
	if (len & 1)
		sum += (uint32_t)icmp[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* RFC 4861 4.3 NS from src-base + slot for the target, with a source link-layer option (7.2.2),
 * to the target's solicited-node address (or to the target itself when --dst-mac is given). */
static size_t build_ns(uint8_t *f, unsigned slot)
{
	uint8_t *ip = f + IP6_OFF, *icmp = f + ICMP6_OFF;
	memset(f, 0, NS_FRAME_LEN);
	if (G.o.have_dst_mac) {
		memcpy(f, G.o.dst_mac, 6);
		memcpy(ip + 24, G.o.target, 16);
	} else {
		const uint8_t snm[16] = { 0xff, 0x02, [11] = 1, [12] = 0xff, [13] = G.o.target[13],
					  [14] = G.o.target[14], [15] = G.o.target[15] };
		memcpy(ip + 24, snm, 16);
		const uint8_t mmac[6] = { 0x33, 0x33, 0xff, G.o.target[13], G.o.target[14],
					  G.o.target[15] };
		memcpy(f, mmac, 6);
	}
	memcpy(f + 6, G.mac, 6);
	put16(f + 12, ETH_P_IPV6);
	ip[0] = 0x60;
	put16(ip + 4, 32);          /* payload length */
	ip[6] = 58;                 /* ICMPv6 */
	ip[7] = 255;                /* RFC 4861 7.1.1: hop limit 255 */
	slot_addr(slot, ip + 8, 16);
	icmp[0] = 135;
	memcpy(icmp + 8, G.o.target, 16);
	icmp[24] = 1;               /* source link-layer address option, 8 bytes */
	icmp[25] = 1;
	memcpy(icmp + 26, G.mac, 6);
	put16(icmp + 2, icmp6_checksum(ip, icmp, 32));
	return NS_FRAME_LEN;
}

/* --- socket ---------------------------------------------------------------------------------- */

/* Classic BPF: only replies about the target reach us (ARP op 2 with spa == target, or an
 * ICMPv6 NA whose target is the target address). */
static void attach_filter(int fd)
{
	struct sock_filter arp[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_ARP, 0, 5),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 28),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, get32(G.o.target), 0, 1),
		BPF_STMT(BPF_RET | BPF_K, RX_SNAP),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_filter ns[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 13),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, IP6_OFF + 6),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 58, 0, 11),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, ICMP6_OFF),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 136, 0, 9),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ICMP6_OFF + 8),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, get32(G.o.target), 0, 7),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ICMP6_OFF + 12),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, get32(G.o.target + 4), 0, 5),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ICMP6_OFF + 16),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, get32(G.o.target + 8), 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ICMP6_OFF + 20),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, get32(G.o.target + 12), 0, 1),
		BPF_STMT(BPF_RET | BPF_K, RX_SNAP),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = G.o.family == 4
		? (struct sock_fprog){ .len = sizeof(arp) / sizeof(arp[0]), .filter = arp }
		: (struct sock_fprog){ .len = sizeof(ns) / sizeof(ns[0]), .filter = ns };
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) != 0)
		die("SO_ATTACH_FILTER");
}

static void open_socket(void)
{
	G.ifindex = (int)if_nametoindex(G.o.ifname);
	if (G.ifindex == 0)
		die(G.o.ifname);
	/* Protocol 0 receives nothing until bound, so nothing arrives before the filter is on. */
	G.fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (G.fd < 0)
		die("socket(AF_PACKET)");
	attach_filter(G.fd);
	int one = 1;
	if (setsockopt(G.fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) != 0)
		die("PACKET_IGNORE_OUTGOING");
	if (setsockopt(G.fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) != 0)
		die("SO_TIMESTAMPNS");
	int rcvbuf = RCVBUF;
	if (setsockopt(G.fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
		(void)setsockopt(G.fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", G.o.ifname);
	if (ioctl(G.fd, SIOCGIFHWADDR, &ifr) != 0)
		die("SIOCGIFHWADDR");
	memcpy(G.mac, ifr.ifr_hwaddr.sa_data, 6);
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(G.o.family == 4 ? ETH_P_ARP : ETH_P_IPV6),
		.sll_ifindex = G.ifindex,
	};
	if (bind(G.fd, (struct sockaddr *)&sll, sizeof(sll)) != 0)
		die("bind");
	/* Drain whatever the unfiltered instant let in (nothing, but be sure), and reset stats. */
	uint8_t junk[RX_SNAP];
	while (recv(G.fd, junk, sizeof(junk), 0) > 0)
		;
	struct tpacket_stats st;
	socklen_t len = sizeof(st);
	(void)getsockopt(G.fd, SOL_PACKET, PACKET_STATISTICS, &st, &len);
}

/* --- sending and receiving ------------------------------------------------------------------- */

static size_t build(uint8_t *f, unsigned long seq)
{
	unsigned slot = (unsigned)(seq % G.o.slots);
	return G.o.family == 4 ? build_arp(f, slot) : build_ns(f, slot);
}

/* Sends requests [G.sent, G.sent + n) back to back; returns how many went out. */
static unsigned send_batch(unsigned n)
{
	static uint8_t frames[BURST][FRAME_MAX];
	struct mmsghdr msgs[BURST];
	struct iovec iov[BURST];
	if (n > BURST)
		n = BURST;
	memset(msgs, 0, sizeof(msgs));
	for (unsigned i = 0; i < n; i++) {
		iov[i].iov_base = frames[i];
		iov[i].iov_len = build(frames[i], G.sent + i);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = G.ifindex, .sll_halen = 6 };
	for (unsigned i = 0; i < n; i++) {
		msgs[i].msg_hdr.msg_name = &to;
		msgs[i].msg_hdr.msg_namelen = sizeof(to);
	}
	uint64_t t = clock_ns(CLOCK_REALTIME);
	int r = n == 1 ? (send(G.fd, frames[0], iov[0].iov_len, 0) == (ssize_t)iov[0].iov_len ? 1 : -1)
		       : sendmmsg(G.fd, msgs, n, 0);
	if (r <= 0) {
		G.send_errors++;
		return 0;
	}
	for (int i = 0; i < r; i++)
		G.tx_ns[G.sent + (unsigned long)i] = t;
	G.sent += (unsigned long)r;
	return (unsigned)r;
}

static uint32_t cap_ns(int64_t d)
{
	if (d < 0)
		return 0;
	return d > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

static void handle_reply(const uint8_t *f, size_t len, uint64_t wire_ns, uint64_t user_ns)
{
	long slot;
	const uint8_t *sender;
	if (G.o.family == 4) {
		if (len < ARP_FRAME_LEN) {
			G.unmatched++;
			return;
		}
		sender = f + ETH_HLEN_ + 8;
		slot = addr_slot(f + ETH_HLEN_ + 24, 4);     /* tpa echoes our spa */
	} else {
		if (len < ICMP6_OFF + 24) {
			G.unmatched++;
			return;
		}
		sender = f + 6;
		slot = addr_slot(f + IP6_OFF + 24, 16);      /* IPv6 destination: our source */
	}
	if (!G.have_responder) {
		memcpy(G.responder_mac, sender, 6);
		G.have_responder = true;
	} else if (memcmp(G.responder_mac, sender, 6) != 0) {
		G.other_mac++;
	}
	if (slot < 0) {
		G.unmatched++;
		return;
	}
	/* First request after the last matched one that used this slot (in-order responder). */
	unsigned long first = G.last_matched;
	unsigned long s = first + ((unsigned long)slot + G.o.slots - first % G.o.slots) % G.o.slots;
	if (s >= G.sent) {
		G.unmatched++;
		return;
	}
	G.last_matched = s + 1;
	uint64_t tx = G.tx_ns[s];
	G.lat_wire[G.matched] = cap_ns(wire_ns ? (int64_t)(wire_ns - tx) : (int64_t)(user_ns - tx));
	G.lat_user[G.matched] = cap_ns((int64_t)(user_ns - tx));
	if (!wire_ns)
		G.no_stamp++;
	G.matched++;
}

/* Reads every queued reply without blocking; returns how many frames were read. */
static unsigned drain(void)
{
	static uint8_t bufs[RX_BATCH][RX_SNAP];
	static uint8_t ctrl[RX_BATCH][CMSG_SPACE(sizeof(struct timespec)) + 64];
	struct mmsghdr msgs[RX_BATCH];
	struct iovec iov[RX_BATCH];
	unsigned total = 0;
	for (;;) {
		memset(msgs, 0, sizeof(msgs));
		for (int i = 0; i < RX_BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = RX_SNAP;
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_control = ctrl[i];
			msgs[i].msg_hdr.msg_controllen = sizeof(ctrl[i]);
		}
		int n = recvmmsg(G.fd, msgs, RX_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				die("recvmmsg");
			return total;
		}
		uint64_t user_ns = clock_ns(CLOCK_REALTIME);
		for (int i = 0; i < n; i++) {
			uint64_t wire_ns = 0;
			for (struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c;
			     c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
				if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
					struct timespec ts;
					memcpy(&ts, CMSG_DATA(c), sizeof(ts));
					wire_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
				}
			}
			handle_reply(bufs[i], msgs[i].msg_len, wire_ns, user_ns);
		}
		total += (unsigned)n;
		if (n < RX_BATCH)
			return total;
	}
}

static void wait_readable(uint64_t until_mono_ns)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	if (now >= until_mono_ns)
		return;
	uint64_t d = until_mono_ns - now;
	struct timespec ts = { .tv_sec = (time_t)(d / 1000000000ULL), .tv_nsec = (long)(d % 1000000000ULL) };
	struct pollfd p = { .fd = G.fd, .events = POLLIN };
	(void)ppoll(&p, 1, &ts, NULL);
}

/* --- measurement bookkeeping ----------------------------------------------------------------- */

static void read_cpu(struct cpu_sample *s)
{
	memset(s, 0, sizeof(*s));
	FILE *f = fopen("/proc/stat", "r");
	if (!f)
		return;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &s->v[0], &s->v[1],
		   &s->v[2], &s->v[3], &s->v[4], &s->v[5], &s->v[6], &s->v[7], &s->v[8], &s->v[9]) < 8)
		memset(s, 0, sizeof(*s));
	fclose(f);
}

/* Sum of the "dropped" column (second) of /proc/net/softnet_stat over all CPUs. */
static unsigned long long softnet_dropped(void)
{
	FILE *f = fopen("/proc/net/softnet_stat", "r");
	if (!f)
		return 0;
	unsigned long long total = 0;
	unsigned processed, dropped;
	char line[512];
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%x %x", &processed, &dropped) == 2)
			total += dropped;
	fclose(f);
	return total;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static double pct(const uint32_t *sorted, unsigned long n, double p)
{
	if (n == 0)
		return -1;
	unsigned long i = (unsigned long)(p / 100.0 * (double)(n - 1) + 0.5);
	return sorted[i] / 1000.0;
}

static void print_lat(const char *name, uint32_t *lat, unsigned long n)
{
	qsort(lat, n, sizeof(*lat), cmp_u32);
	printf("\"%s_us\":{\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f}", name,
	       pct(lat, n, 50), pct(lat, n, 90), pct(lat, n, 99), pct(lat, n, 99.9),
	       n ? lat[n - 1] / 1000.0 : -1.0);
}

static double tv_ms(struct timeval tv)
{
	return (double)tv.tv_sec * 1000.0 + (double)tv.tv_usec / 1000.0;
}

int main(int argc, char **argv)
{
	parse_args(argc, argv, &G.o);
	if (G.o.rate > 0 && (double)G.o.count > G.o.rate * G.o.duration + 1)
		G.o.count = (unsigned long)(G.o.rate * G.o.duration) + 1;
	G.tx_ns = calloc(G.o.count, sizeof(*G.tx_ns));
	G.lat_wire = calloc(G.o.count, sizeof(*G.lat_wire));
	G.lat_user = calloc(G.o.count, sizeof(*G.lat_user));
	if (!G.tx_ns || !G.lat_wire || !G.lat_user)
		die("calloc");
	(void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);   /* paced sleeps of tens of µs */
	open_socket();

	struct rusage ru0, ru1;
	struct cpu_sample c0, c1;
	uint64_t cpu0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	getrusage(RUSAGE_SELF, &ru0);
	read_cpu(&c0);
	unsigned long long sn0 = softnet_dropped();
	uint64_t start = clock_ns(CLOCK_MONOTONIC);
	uint64_t stop = start + (uint64_t)(G.o.duration * 1e9);
	double interval_ns = G.o.rate > 0 ? 1e9 / G.o.rate : 0;
	uint64_t now = start;
	while (G.sent < G.o.count && now < stop) {
		if (G.o.rate == 0) {
			unsigned long left = G.o.count - G.sent;
			send_batch(left < BURST ? (unsigned)left : BURST);
			drain();
		} else {
			uint64_t due = start + (uint64_t)((double)G.sent * interval_ns);
			if (now >= due) {
				unsigned n = 1;
				/* Behind schedule: catch up a little at a time, and count it. */
				while (n < CATCH_UP && G.sent + n < G.o.count &&
				       now >= start + (uint64_t)((double)(G.sent + n) * interval_ns))
					n++;
				if (n > 1)
					G.late += n - 1;
				send_batch(n);
				drain();
			} else {
				drain();
				wait_readable(due);
			}
		}
		now = clock_ns(CLOCK_MONOTONIC);
	}
	uint64_t send_end = clock_ns(CLOCK_MONOTONIC);
	uint64_t wait_end = send_end + (uint64_t)G.o.wait_ms * 1000000ULL;
	while ((now = clock_ns(CLOCK_MONOTONIC)) < wait_end && G.last_matched < G.sent) {
		drain();
		wait_readable(now + 1000000ULL < wait_end ? now + 1000000ULL : wait_end);
	}
	drain();
	uint64_t end = clock_ns(CLOCK_MONOTONIC);
	read_cpu(&c1);
	getrusage(RUSAGE_SELF, &ru1);
	uint64_t cpu1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	unsigned long long sn1 = softnet_dropped();
	struct tpacket_stats st;
	socklen_t stlen = sizeof(st);
	memset(&st, 0, sizeof(st));
	(void)getsockopt(G.fd, SOL_PACKET, PACKET_STATISTICS, &st, &stlen);

	double send_s = (double)(send_end - start) / 1e9;
	double window_s = (double)(end - start) / 1e9;
	double tick_ms = 1000.0 / (double)sysconf(_SC_CLK_TCK);
	static const char *const cpu_names[] = { "user", "nice", "system", "idle", "iowait",
						 "irq", "softirq", "steal" };
	printf("{\"proto\":\"%s\",\"rate_target\":%.0f,\"sent\":%lu,\"send_s\":%.4f,\"send_rate\":%.1f,"
	       "\"late\":%lu,\"send_errors\":%lu,\"received\":%lu,\"reply_ratio\":%.5f,"
	       "\"reply_rate\":%.1f,\"unmatched\":%lu,\"other_mac\":%lu,\"no_stamp\":%lu,"
	       "\"gen_rx_drops\":%u,\"softnet_dropped\":%llu,\"window_s\":%.4f,",
	       G.o.family == 4 ? "arp" : "ndp", G.o.rate, G.sent, send_s,
	       send_s > 0 ? (double)G.sent / send_s : 0.0, G.late, G.send_errors, G.matched,
	       G.sent ? (double)G.matched / (double)G.sent : 0.0,
	       send_s > 0 ? (double)G.matched / send_s : 0.0, G.unmatched, G.other_mac, G.no_stamp,
	       st.tp_drops, sn1 - sn0, window_s);
	char mac[18] = "";
	if (G.have_responder)
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", G.responder_mac[0],
			 G.responder_mac[1], G.responder_mac[2], G.responder_mac[3], G.responder_mac[4],
			 G.responder_mac[5]);
	printf("\"responder_mac\":\"%s\",", mac);
	print_lat("wire", G.lat_wire, G.matched);
	printf(",");
	print_lat("user", G.lat_user, G.matched);
	printf(",\"gen_cpu_ms\":{\"cpu\":%.2f,\"user\":%.1f,\"system\":%.1f},\"sys_cpu_ms\":{",
	       (double)(cpu1 - cpu0) / 1e6, tv_ms(ru1.ru_utime) - tv_ms(ru0.ru_utime),
	       tv_ms(ru1.ru_stime) - tv_ms(ru0.ru_stime));
	for (int i = 0; i < 8; i++)
		printf("%s\"%s\":%.0f", i ? "," : "", cpu_names[i],
		       (double)(c1.v[i] - c0.v[i]) * tick_ms);
	printf("}}\n");
	close(G.fd);
	free(G.tx_ns);
	free(G.lat_wire);
	free(G.lat_user);
	return 0;
}
