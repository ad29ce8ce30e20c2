/*
 * The host's interfaces as the layer-2 code sees them: index, name, flags, Ethernet address and
 * IP addresses, kept up to date from rtnetlink (RFC 3549) by iface.c. Plain data with no I/O, so
 * the selection rules in iface_select.c are unit-tested on hand-made tables.
 *
 * Internal to src/l2; the public view is iface.h.
 */
#ifndef INGOT_L2_IFACE_TABLE_H
#define INGOT_L2_IFACE_TABLE_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/addr.h"
#include "l2/eth.h"

/* An address configured on an interface, with its prefix length ("192.0.2.11/24"). */
struct l2_if_addr {
	ip_addr addr;
	uint8_t len;
};

/* What an RTM_NEWLINK message says about a link. */
struct l2_link_info {
	int ifindex;
	char name[IF_NAMESIZE];
	unsigned flags;          /* IFF_* (IFF_SLAVE marks a bond member) */
	bool bridge_port;        /* enslaved to a bridge (IFLA_INFO_SLAVE_KIND "bridge") */
	bool has_mac;            /* an Ethernet (ARPHRD_ETHER) link with a 6-byte address */
	eth_addr mac;
};

struct l2_link {
	struct l2_link_info info;
	struct l2_if_addr *addrs;   /* owned by the table */
	size_t n_addrs, cap_addrs;
};

struct l2_link_table {
	struct l2_link *links;      /* owned; pointers into it are valid until the next change */
	size_t n, cap;
};

/* Frees everything and leaves an empty table. */
void l2_table_clear(struct l2_link_table *t);
struct l2_link *l2_table_find(const struct l2_link_table *t, int ifindex);
const struct l2_link *l2_table_find_name(const struct l2_link_table *t, const char *name);
/* Adds the link or updates it in place (its addresses stay). Returns whether anything changed. */
bool l2_table_set_link(struct l2_link_table *t, const struct l2_link_info *info);
/* Removes the link and its addresses. Returns whether it was there. */
bool l2_table_del_link(struct l2_link_table *t, int ifindex);
/* Adds/removes an address on a known link. Return whether anything changed (an address for an
 * unknown link is ignored: the link dump or event that introduces it comes first). */
bool l2_table_add_addr(struct l2_link_table *t, int ifindex, const struct l2_if_addr *a);
bool l2_table_del_addr(struct l2_link_table *t, int ifindex, const struct l2_if_addr *a);

#endif
