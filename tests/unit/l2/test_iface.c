/*
 * Unit tests for interface following without a kernel: the interface table (iface_table.c), the
 * selection rules (iface_select.c) and the rtnetlink decoders (iface_nl.c) fed with messages
 * built by libmnl as the kernel lays them out (rtnetlink(7)).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "l2/iface_nl.h"
#include "l2/iface_select.h"
#include "l2/iface_table.h"

#define UP_ETHER (IFF_UP | IFF_BROADCAST | IFF_MULTICAST | IFF_RUNNING)

static struct l2_link_info link_info(int ifindex, const char *name, unsigned flags, bool mac)
{
	struct l2_link_info l;
	memset(&l, 0, sizeof(l));
	l.ifindex = ifindex;
	strcpy(l.name, name);
	l.flags = flags;
	l.has_mac = mac;
	l.mac.b[0] = 0x02;
	l.mac.b[5] = (uint8_t)ifindex;
	return l;
}

static struct l2_if_addr if_addr(const char *text, uint8_t len)
{
	struct l2_if_addr a;
	assert_true(ip_addr_parse(text, &a.addr));
	a.len = len;
	return a;
}

static ip_addr ip(const char *text)
{
	ip_addr a;
	assert_true(ip_addr_parse(text, &a));
	return a;
}

static void add_link(struct l2_link_table *t, int ifindex, const char *name, unsigned flags)
{
	struct l2_link_info l = link_info(ifindex, name, flags, true);
	assert_true(l2_table_set_link(t, &l));
}

/* --- table ---------------------------------------------------------------------------------- */

static void test_table_tracks_links_and_addresses(void **state)
{
	struct l2_link_table t = { 0 };
	struct l2_link_info l = link_info(2, "eth0", UP_ETHER, true);
	struct l2_if_addr a = if_addr("192.0.2.11", 24), b = if_addr("2001:db8::11", 64);
	assert_true(l2_table_set_link(&t, &l));
	assert_false(l2_table_set_link(&t, &l));             /* unchanged */
	assert_true(l2_table_add_addr(&t, 2, &a));
	assert_false(l2_table_add_addr(&t, 2, &a));          /* already there */
	assert_true(l2_table_add_addr(&t, 2, &b));
	assert_false(l2_table_add_addr(&t, 9, &a));          /* unknown link */
	l.flags &= ~(unsigned)IFF_UP;
	assert_true(l2_table_set_link(&t, &l));               /* flags changed; addresses stay */
	const struct l2_link *found = l2_table_find(&t, 2);
	assert_non_null(found);
	assert_int_equal(found->n_addrs, 2);
	assert_int_equal(found->info.flags & IFF_UP, 0);
	assert_ptr_equal(l2_table_find_name(&t, "eth0"), found);
	assert_null(l2_table_find_name(&t, "eth1"));
	assert_true(l2_table_del_addr(&t, 2, &a));
	assert_false(l2_table_del_addr(&t, 2, &a));
	assert_int_equal(l2_table_find(&t, 2)->n_addrs, 1);
	assert_true(l2_table_del_link(&t, 2));
	assert_false(l2_table_del_link(&t, 2));
	assert_null(l2_table_find(&t, 2));
	l2_table_clear(&t);
	assert_int_equal(t.n, 0);
}

static void test_table_grows(void **state)
{
	struct l2_link_table t = { 0 };
	char name[IF_NAMESIZE];
	for (int i = 1; i <= 100; i++) {
		snprintf(name, sizeof(name), "eth%d", i);
		add_link(&t, i, name, UP_ETHER);
		for (int j = 0; j < 10; j++) {
			struct l2_if_addr a = if_addr("10.0.0.1", (uint8_t)(8 + j));
			assert_true(l2_table_add_addr(&t, i, &a));
		}
	}
	assert_int_equal(t.n, 100);
	assert_int_equal(l2_table_find(&t, 77)->n_addrs, 10);
	l2_table_clear(&t);
}

/* --- selection ------------------------------------------------------------------------------ */

static void test_eligibility(void **state)
{
	struct l2_iface_policy p = { 0 };
	struct l2_link_info l = link_info(2, "eth0", UP_ETHER, true);
	assert_int_equal(l2_link_eligibility(&l, &p, false), L2_ELIGIBLE);
	l = link_info(1, "lo", IFF_UP | IFF_LOOPBACK, false);
	assert_int_equal(l2_link_eligibility(&l, &p, true), L2_LOOPBACK);
	l = link_info(3, "wg0", IFF_UP | IFF_NOARP | IFF_POINTOPOINT, false);
	assert_int_equal(l2_link_eligibility(&l, &p, true), L2_NOARP);
	l = link_info(4, "eth1", UP_ETHER | IFF_SLAVE, true);
	assert_int_equal(l2_link_eligibility(&l, &p, true), L2_BOND_MEMBER);
	l = link_info(4, "eth1", UP_ETHER, true);
	l.bridge_port = true;
	assert_int_equal(l2_link_eligibility(&l, &p, true), L2_BRIDGE_PORT);
	l = link_info(5, "ib0", UP_ETHER, false);
	assert_int_equal(l2_link_eligibility(&l, &p, false), L2_NOT_ETHERNET);
	l = link_info(6, "eth2", IFF_BROADCAST, true);
	assert_int_equal(l2_link_eligibility(&l, &p, false), L2_NOT_UP);
	/* Default name excludes apply, unless the interface is named explicitly. */
	const char *excluded[] = { "docker0", "cbr0", "dummy0", "virbr0", "lxcbr0", "veth1234",
				   "cali123", "tunl0", "flannel.1", "kube-ipvs0", "cni0",
				   "nodelocaldns", "lxc99" };
	for (size_t i = 0; i < sizeof(excluded) / sizeof(excluded[0]); i++) {
		l = link_info(7, excluded[i], UP_ETHER, true);
		assert_int_equal(l2_link_eligibility(&l, &p, false), L2_EXCLUDED_NAME);
		assert_int_equal(l2_link_eligibility(&l, &p, true), L2_ELIGIBLE);
	}
	/* A configured list replaces the default. */
	const char *mine[] = { "eth" };
	p.excludes = mine;
	p.n_excludes = 1;
	l = link_info(8, "eth3", UP_ETHER, true);
	assert_int_equal(l2_link_eligibility(&l, &p, false), L2_EXCLUDED_NAME);
	l = link_info(9, "docker0", UP_ETHER, true);
	assert_int_equal(l2_link_eligibility(&l, &p, false), L2_ELIGIBLE);
	for (int e = L2_ELIGIBLE; e <= L2_EXCLUDED_NAME; e++)
		assert_string_not_equal(l2_eligibility_name((enum l2_eligibility)e), "unknown");
}

/* lo, eth0 (192.0.2.0/24, 2001:db8::/64), eth1 (198.51.100.0/24), docker0 (192.0.2.0/24 too),
 * bond0 with member eth2, vlan eth0.100 (203.0.113.0/24), bridge port ens8. */
static void lab_table(struct l2_link_table *t)
{
	struct l2_link_info lo = link_info(1, "lo", IFF_UP | IFF_LOOPBACK, false);
	l2_table_set_link(t, &lo);
	add_link(t, 2, "eth0", UP_ETHER);
	add_link(t, 3, "eth1", UP_ETHER);
	add_link(t, 4, "docker0", UP_ETHER);
	add_link(t, 5, "bond0", UP_ETHER | IFF_MASTER);
	add_link(t, 6, "eth2", UP_ETHER | IFF_SLAVE);
	add_link(t, 7, "eth0.100", UP_ETHER);
	struct l2_link_info port = link_info(8, "ens8", UP_ETHER, true);
	port.bridge_port = true;
	l2_table_set_link(t, &port);
	struct l2_if_addr a;
	a = if_addr("127.0.0.1", 8);
	l2_table_add_addr(t, 1, &a);
	a = if_addr("192.0.2.11", 24);
	l2_table_add_addr(t, 2, &a);
	a = if_addr("2001:db8::11", 64);
	l2_table_add_addr(t, 2, &a);
	a = if_addr("198.51.100.11", 24);
	l2_table_add_addr(t, 3, &a);
	a = if_addr("192.0.2.1", 24);
	l2_table_add_addr(t, 4, &a);
	a = if_addr("203.0.113.11", 24);
	l2_table_add_addr(t, 7, &a);
}

static void test_selects_by_subnet(void **state)
{
	struct l2_link_table t = { 0 };
	struct l2_iface_policy p = { 0 };
	int out[8];
	lab_table(&t);
	ip_addr svc = ip("192.0.2.100");
	assert_int_equal(l2_select_interfaces(&t, &p, &svc, out, 8), 1);
	assert_int_equal(out[0], 2);                          /* eth0, not docker0 */
	svc = ip("2001:db8::100");
	assert_int_equal(l2_select_interfaces(&t, &p, &svc, out, 8), 1);
	assert_int_equal(out[0], 2);
	svc = ip("203.0.113.5");
	assert_int_equal(l2_select_interfaces(&t, &p, &svc, out, 8), 1);
	assert_int_equal(out[0], 7);                          /* the VLAN interface */
	svc = ip("198.51.100.200");
	assert_int_equal(l2_select_interfaces(&t, &p, &svc, out, 8), 1);
	assert_int_equal(out[0], 3);
	l2_table_clear(&t);
}

static void test_falls_back_to_all_eligible(void **state)
{
	struct l2_link_table t = { 0 };
	struct l2_iface_policy p = { 0 };
	int out[8];
	lab_table(&t);
	ip_addr svc = ip("10.9.0.100");
	/* eth0, eth1, bond0, eth0.100: never lo, docker0, the bond member eth2 or bridge port ens8. */
	assert_int_equal(l2_select_interfaces(&t, &p, &svc, out, 8), 4);
	int want[] = { 2, 3, 5, 7 };
	assert_memory_equal(out, want, sizeof(want));
	/* A short output array still gets the count. */
	assert_int_equal(l2_select_interfaces(&t, &p, &svc, out, 1), 4);
	assert_int_equal(out[0], 2);
	l2_table_clear(&t);
}

static void test_explicit_list_overrides(void **state)
{
	struct l2_link_table t = { 0 };
	const char *names[] = { "eth1", "docker0", "lo", "eth2", "missing0" };
	struct l2_iface_policy p = { .interfaces = names, .n_interfaces = 5 };
	int out[8];
	lab_table(&t);
	ip_addr svc = ip("192.0.2.100");
	/* The subnet rule and the name excludes do not apply; loopback and bond members still
	 * never answer, and unknown names are skipped. */
	assert_int_equal(l2_select_interfaces(&t, &p, &svc, out, 8), 2);
	assert_int_equal(out[0], 3);
	assert_int_equal(out[1], 4);
	l2_table_clear(&t);
}

/* --- rtnetlink decoders --------------------------------------------------------------------- */

static struct nlmsghdr *link_msg(char *buf, uint16_t type, int ifindex, const char *name,
				 unsigned flags, unsigned short arptype, const uint8_t *mac, size_t mac_len)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_type = arptype;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = flags;
	mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, mac_len, mac);
	mnl_attr_put_u32(nlh, IFLA_MASTER, 5);
	return nlh;
}

static void test_parses_link(void **state)
{
	_Alignas(struct nlmsghdr) char buf[512];
	const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x11 };
	struct l2_link_info l;
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, 7, "eth0.100", UP_ETHER, ARPHRD_ETHER, mac, 6);
	assert_true(l2_nl_parse_link(nlh, &l));
	assert_int_equal(l.ifindex, 7);
	assert_string_equal(l.name, "eth0.100");
	assert_int_equal(l.flags, UP_ETHER);
	assert_true(l.has_mac);
	assert_memory_equal(l.mac.b, mac, 6);
	/* Not Ethernet, or an address of another length: no MAC. */
	nlh = link_msg(buf, RTM_NEWLINK, 8, "ib0", UP_ETHER, 32 /* ARPHRD_INFINIBAND */, mac, 6);
	assert_true(l2_nl_parse_link(nlh, &l));
	assert_false(l.has_mac);
	nlh = link_msg(buf, RTM_NEWLINK, 8, "odd0", UP_ETHER, ARPHRD_ETHER, mac, 4);
	assert_true(l2_nl_parse_link(nlh, &l));
	assert_false(l.has_mac);
	/* No name, or a name too long for an interface: unusable. */
	nlh = link_msg(buf, RTM_NEWLINK, 9, NULL, UP_ETHER, ARPHRD_ETHER, mac, 6);
	assert_false(l2_nl_parse_link(nlh, &l));
	nlh = link_msg(buf, RTM_NEWLINK, 9, "a-name-of-twenty-chars", UP_ETHER, ARPHRD_ETHER, mac, 6);
	assert_false(l2_nl_parse_link(nlh, &l));
	/* IFLA_LINKINFO { IFLA_INFO_SLAVE_KIND "bridge" } marks a bridge port; "bond" does not. */
	const char *kinds[] = { "bridge", "bond" };
	for (int k = 0; k < 2; k++) {
		nlh = link_msg(buf, RTM_NEWLINK, 7, "eth0", UP_ETHER, ARPHRD_ETHER, mac, 6);
		struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
		mnl_attr_put_strz(nlh, IFLA_INFO_SLAVE_KIND, kinds[k]);
		mnl_attr_nest_end(nlh, info);
		assert_true(l2_nl_parse_link(nlh, &l));
		assert_int_equal(l.bridge_port, k == 0);
	}
	/* A bridge port notification (AF_BRIDGE): an RTM_DELLINK of it only means the port left
	 * its bridge, so it must not be taken for the link going away. */
	nlh = link_msg(buf, RTM_DELLINK, 7, "eth0", UP_ETHER, ARPHRD_ETHER, mac, 6);
	((struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))->ifi_family = AF_BRIDGE;
	assert_false(l2_nl_parse_link(nlh, &l));
	/* Shorter than its fixed header. */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	assert_false(l2_nl_parse_link(nlh, &l));
}

static struct nlmsghdr *addr_msg(char *buf, uint8_t family, uint8_t prefixlen, int ifindex,
				 const void *local, const void *address, size_t len)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = family;
	ifa->ifa_prefixlen = prefixlen;
	ifa->ifa_index = (unsigned)ifindex;
	if (address)
		mnl_attr_put(nlh, IFA_ADDRESS, len, address);
	if (local)
		mnl_attr_put(nlh, IFA_LOCAL, len, local);
	mnl_attr_put_strz(nlh, IFA_LABEL, "eth0");
	return nlh;
}

static void test_parses_addr(void **state)
{
	_Alignas(struct nlmsghdr) char buf[512];
	struct l2_if_addr a;
	int ifindex = 0;
	const uint8_t v4[4] = { 192, 0, 2, 11 }, peer[4] = { 192, 0, 2, 99 };
	const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x11 };
	/* IPv4 prefers IFA_LOCAL (IFA_ADDRESS is the peer on point-to-point links). */
	struct nlmsghdr *nlh = addr_msg(buf, AF_INET, 24, 2, v4, peer, 4);
	assert_true(l2_nl_parse_addr(nlh, &ifindex, &a));
	assert_int_equal(ifindex, 2);
	assert_int_equal(a.len, 24);
	ip_addr want = ip("192.0.2.11");
	assert_true(ip_addr_eq(&a.addr, &want));
	/* IPv6 has only IFA_ADDRESS. */
	nlh = addr_msg(buf, AF_INET6, 64, 3, NULL, v6, 16);
	assert_true(l2_nl_parse_addr(nlh, &ifindex, &a));
	assert_int_equal(ifindex, 3);
	assert_int_equal(a.len, 64);
	want = ip("2001:db8::11");
	assert_true(ip_addr_eq(&a.addr, &want));
	/* Wrong lengths, impossible prefix lengths, other families, missing addresses. */
	nlh = addr_msg(buf, AF_INET6, 64, 3, NULL, v4, 4);
	assert_false(l2_nl_parse_addr(nlh, &ifindex, &a));
	nlh = addr_msg(buf, AF_INET, 33, 2, v4, NULL, 4);
	assert_false(l2_nl_parse_addr(nlh, &ifindex, &a));
	nlh = addr_msg(buf, AF_PACKET, 0, 2, v4, NULL, 4);
	assert_false(l2_nl_parse_addr(nlh, &ifindex, &a));
	nlh = addr_msg(buf, AF_INET, 24, 2, NULL, NULL, 4);
	assert_false(l2_nl_parse_addr(nlh, &ifindex, &a));
	nlh = mnl_nlmsg_put_header(buf);
	assert_false(l2_nl_parse_addr(nlh, &ifindex, &a));
}

static void test_decoded_messages_feed_the_table(void **state)
{
	_Alignas(struct nlmsghdr) char buf[512];
	const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x11 };
	const uint8_t v4[4] = { 192, 0, 2, 11 };
	struct l2_link_table t = { 0 };
	struct l2_link_info l;
	struct l2_if_addr a;
	int ifindex;
	assert_true(l2_nl_parse_link(link_msg(buf, RTM_NEWLINK, 2, "eth0", UP_ETHER, ARPHRD_ETHER, mac, 6), &l));
	l2_table_set_link(&t, &l);
	assert_true(l2_nl_parse_addr(addr_msg(buf, AF_INET, 24, 2, v4, v4, 4), &ifindex, &a));
	l2_table_add_addr(&t, ifindex, &a);
	struct l2_iface_policy p = { 0 };
	int out[2];
	ip_addr svc = ip("192.0.2.77");
	assert_int_equal(l2_select_interfaces(&t, &p, &svc, out, 2), 1);
	assert_int_equal(out[0], 2);
	l2_table_clear(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_tracks_links_and_addresses),
		cmocka_unit_test(test_table_grows),
		cmocka_unit_test(test_eligibility),
		cmocka_unit_test(test_selects_by_subnet),
		cmocka_unit_test(test_falls_back_to_all_eligible),
		cmocka_unit_test(test_explicit_list_overrides),
		cmocka_unit_test(test_parses_link),
		cmocka_unit_test(test_parses_addr),
		cmocka_unit_test(test_decoded_messages_feed_the_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
