/*
 * Unit tests for the classic BPF socket filter (src/l2/bpf.c). The program runs in the kernel on a
 * local AF_UNIX datagram socket pair, where it sees each datagram as it would see an Ethernet
 * frame on an AF_PACKET socket, so no network and no privileges are needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "l2/arp.h"
#include "l2/bpf.h"
#include "l2/ndp.h"

static const eth_addr self = { { 0x02, 0x00, 0x00, 0x00, 0x00, 0xaa } };
static const eth_addr peer = { { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 } };

struct pair {
	int tx, rx;
};

static int setup(void **state)
{
	static struct pair p;
	int fds[2];
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, fds) != 0)
		return -1;
	p.tx = fds[0];
	p.rx = fds[1];
	if (l2_bpf_attach(p.rx) != 0)
		return -1;
	*state = &p;
	return 0;
}

static int teardown(void **state)
{
	struct pair *p = *state;
	close(p->tx);
	close(p->rx);
	return 0;
}

/* Whether the filter lets the frame through. */
static bool passes(struct pair *p, const uint8_t *frame, size_t len)
{
	uint8_t got[256];
	assert_int_equal(send(p->tx, frame, len, 0), (ssize_t)len);
	ssize_t n = recv(p->rx, got, sizeof(got), MSG_DONTWAIT);
	if (n < 0) {
		assert_int_equal(errno, EAGAIN);
		return false;
	}
	assert_int_equal(n, (ssize_t)len);
	assert_memory_equal(got, frame, len);
	return true;
}

static ip_addr v4(void)
{
	ip_addr a;
	memset(&a, 0, sizeof(a));
	a.family = IP_V4;
	memcpy(a.bytes, "\xc0\x00\x02\x0a", 4);
	return a;
}

static ip_addr v6(void)
{
	ip_addr a;
	a.family = IP_V6;
	memcpy(a.bytes, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x10", 16);
	return a;
}

static void test_program_shape(void **state)
{
	const struct sock_fprog *prog = l2_bpf_program();
	assert_non_null(prog->filter);
	assert_true(prog->len > 0 && prog->len <= BPF_MAXINSNS);
}

static void test_passes_arp_requests_only(void **state)
{
	struct pair *p = *state;
	uint8_t f[ARP_FRAME_MAX];
	ip_addr ip = v4();
	wbuf w = wbuf_make(f, sizeof(f));
	arp_build_gratuitous_request(&w, &ip, &self);
	assert_true(passes(p, f, wbuf_len(&w)));
	w = wbuf_make(f, sizeof(f));
	arp_build_gratuitous_reply(&w, &ip, &self);
	assert_false(passes(p, f, wbuf_len(&w)));
}

static void test_passes_neighbor_solicitations_only(void **state)
{
	struct pair *p = *state;
	uint8_t f[NDP_NA_FRAME_LEN];
	ip_addr ip = v6();
	wbuf w = wbuf_make(f, sizeof(f));
	ndp_build_unsolicited_na(&w, &ip, &self);
	assert_false(passes(p, f, wbuf_len(&w)));    /* type 136 */
	f[54] = ICMP6_NS;
	assert_true(passes(p, f, wbuf_len(&w)));     /* the filter does not check sums */
	f[20] = 0;                                   /* hop-by-hop header before ICMPv6 */
	assert_false(passes(p, f, wbuf_len(&w)));
}

static void test_drops_everything_else(void **state)
{
	struct pair *p = *state;
	uint8_t f[64];
	memset(f, 0, sizeof(f));
	wbuf w = wbuf_make(f, sizeof(f));
	eth_put_hdr(&w, &self, &peer, ETHERTYPE_IPV4);
	assert_false(passes(p, f, sizeof(f)));
	f[12] = 0x81;                                /* an 802.1Q tag left in the frame */
	f[13] = 0x00;
	assert_false(passes(p, f, sizeof(f)));
	/* Frames too short to hold the fields the filter loads. */
	const uint8_t arp_short[14] = { [12] = 0x08, [13] = 0x06 };
	assert_false(passes(p, arp_short, sizeof(arp_short)));
	const uint8_t ip6_short[40] = { [12] = 0x86, [13] = 0xdd, [20] = 58 };
	assert_false(passes(p, ip6_short, sizeof(ip6_short)));
	assert_false(passes(p, f, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_program_shape),
		cmocka_unit_test(test_passes_arp_requests_only),
		cmocka_unit_test(test_passes_neighbor_solicitations_only),
		cmocka_unit_test(test_drops_everything_else),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
