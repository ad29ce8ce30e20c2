/*
 * Decoders for the rtnetlink messages (RFC 3549; rtnetlink(7)) that describe links and addresses,
 * on top of libmnl's bounded attribute walker. Pure: a message in, a struct out.
 *
 * Internal to src/l2.
 */
#ifndef INGOT_L2_IFACE_NL_H
#define INGOT_L2_IFACE_NL_H

#include <linux/netlink.h>
#include <stdbool.h>

#include "l2/iface_table.h"

/* RTM_NEWLINK / RTM_DELLINK of family AF_UNSPEC. False if the message is of another family
 * (bridge port notifications), too short, or has no usable name. */
bool l2_nl_parse_link(const struct nlmsghdr *nlh, struct l2_link_info *out);
/* RTM_NEWADDR / RTM_DELADDR of AF_INET or AF_INET6. False for other families or short messages. */
bool l2_nl_parse_addr(const struct nlmsghdr *nlh, int *ifindex, struct l2_if_addr *out);

#endif
