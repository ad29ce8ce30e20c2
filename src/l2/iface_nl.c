/*
 * rtnetlink link and address decoders (see iface_nl.h; rtnetlink(7), RFC 3549 section 3.1.1).
 * Every attribute is length-checked with libmnl's validators before it is read.
 */
#include "l2/iface_nl.h"

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if_arp.h>
#include <string.h>
#include <sys/socket.h>

struct link_attrs {
	const struct nlattr *name, *address, *slave_kind;
};

static int linkinfo_attr_cb(const struct nlattr *attr, void *data)
{
	struct link_attrs *a = data;
	if (mnl_attr_get_type(attr) == IFLA_INFO_SLAVE_KIND &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
		a->slave_kind = attr;
	return MNL_CB_OK;
}

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	struct link_attrs *a = data;
	switch (mnl_attr_get_type(attr)) {
	case IFLA_LINKINFO:
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) >= 0)
			(void)mnl_attr_parse_nested(attr, linkinfo_attr_cb, a);
		break;
	case IFLA_IFNAME:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
			a->name = attr;
		break;
	case IFLA_ADDRESS:
		if (mnl_attr_get_payload_len(attr) == ETH_ADDR_LEN)
			a->address = attr;
		break;
	}
	return MNL_CB_OK;
}

bool l2_nl_parse_link(const struct nlmsghdr *nlh, struct l2_link_info *out)
{
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct ifinfomsg)))
		return false;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	/* Link messages proper have family AF_UNSPEC. AF_BRIDGE ones describe bridge ports: an
	 * RTM_DELLINK of that family means "left the bridge", not "deleted". */
	if (ifi->ifi_family != AF_UNSPEC)
		return false;
	struct link_attrs a = { 0 };
	if (mnl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, &a) < 0 || !a.name)
		return false;
	const char *name = mnl_attr_get_str(a.name);
	if (strlen(name) >= IF_NAMESIZE)
		return false;
	memset(out, 0, sizeof(*out));
	out->ifindex = ifi->ifi_index;
	strcpy(out->name, name);
	out->flags = ifi->ifi_flags;
	out->bridge_port = a.slave_kind && strcmp(mnl_attr_get_str(a.slave_kind), "bridge") == 0;
	if (ifi->ifi_type == ARPHRD_ETHER && a.address) {
		out->has_mac = true;
		memcpy(out->mac.b, mnl_attr_get_payload(a.address), ETH_ADDR_LEN);
	}
	return true;
}

struct addr_attrs {
	const struct nlattr *local, *address;
};

static int addr_attr_cb(const struct nlattr *attr, void *data)
{
	struct addr_attrs *a = data;
	switch (mnl_attr_get_type(attr)) {
	case IFA_LOCAL:
		a->local = attr;
		break;
	case IFA_ADDRESS:
		a->address = attr;
		break;
	}
	return MNL_CB_OK;
}

bool l2_nl_parse_addr(const struct nlmsghdr *nlh, int *ifindex, struct l2_if_addr *out)
{
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct ifaddrmsg)))
		return false;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	enum ip_family family;
	size_t len;
	if (ifa->ifa_family == AF_INET) {
		family = IP_V4;
		len = 4;
	} else if (ifa->ifa_family == AF_INET6) {
		family = IP_V6;
		len = 16;
	} else {
		return false;
	}
	if (ifa->ifa_prefixlen > 8 * len)
		return false;
	struct addr_attrs a = { 0 };
	if (mnl_attr_parse(nlh, sizeof(*ifa), addr_attr_cb, &a) < 0)
		return false;
	/* rtnetlink(7): IFA_LOCAL is the local address; IFA_ADDRESS is the peer on point-to-point
	 * links and equals IFA_LOCAL elsewhere. IPv6 sends only IFA_ADDRESS. */
	const struct nlattr *attr = a.local ? a.local : a.address;
	if (!attr || mnl_attr_get_payload_len(attr) != len)
		return false;
	*ifindex = (int)ifa->ifa_index;
	out->addr = ip_addr_from_bytes(family, mnl_attr_get_payload(attr));
	out->len = ifa->ifa_prefixlen;
	return true;
}
