/*
 * The IPv6 link-local next hop (RFC 2545 §3): MP_REACH_NLRI carries our link-local address after
 * the global one "if and only if the BGP speaker shares a common subnet with the entity identified
 * by the global IPv6 address ... and the peer the route is being advertised to". Our global next
 * hop is the session's own address, so the test is whether the peer lies inside a prefix of the
 * interface that holds that address; the link-local address is then that interface's.
 *
 * Also the next hop of the other family for a session that carries both (MetalLB's
 * dualStackAddressFamily): an address of that family on the interface that holds the session's
 * local address (a global one for IPv6).
 */
#include "bgp/session.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <string.h>

static unsigned mask_len(const struct sockaddr_in6 *m)
{
	unsigned len = 0;
	for (size_t i = 0; i < 16; i++)
		len += (unsigned)__builtin_popcount(m->sin6_addr.s6_addr[i]);
	return len;
}

static bool is_link_local(const uint8_t *b)
{
	return b[0] == 0xfe && (b[1] & 0xc0) == 0x80;
}

bool bgp_link_local_next_hop(const ip_addr *local, const ip_addr *peer, ip_addr *out)
{
	if (local->family != IP_V6 || peer->family != IP_V6 || is_link_local(local->bytes))
		return false;
	struct ifaddrs *all;
	if (getifaddrs(&all) != 0)
		return false;
	const char *ifname = NULL;
	for (struct ifaddrs *i = all; i && !ifname; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET6 || !i->ifa_netmask)
			continue;
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)i->ifa_addr;
		if (memcmp(a->sin6_addr.s6_addr, local->bytes, 16) != 0)
			continue;
		ip_prefix subnet = ip_prefix_make(local,
						  mask_len((const struct sockaddr_in6 *)i->ifa_netmask));
		if (ip_prefix_contains(&subnet, peer))
			ifname = i->ifa_name;
	}
	bool found = false;
	for (struct ifaddrs *i = all; i && ifname && !found; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET6 || strcmp(i->ifa_name, ifname))
			continue;
		const uint8_t *b = ((const struct sockaddr_in6 *)i->ifa_addr)->sin6_addr.s6_addr;
		if (is_link_local(b)) {
			*out = ip_addr_from_bytes(IP_V6, b);
			found = true;
		}
	}
	freeifaddrs(all);
	return found;
}

/* The interface name holding addr, from a getifaddrs() list (borrowed from it), or NULL. */
static const char *iface_of(const struct ifaddrs *all, const ip_addr *addr)
{
	for (const struct ifaddrs *i = all; i; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		if (addr->family == IP_V4 && i->ifa_addr->sa_family == AF_INET &&
		    memcmp(&((const struct sockaddr_in *)i->ifa_addr)->sin_addr, addr->bytes, 4) == 0)
			return i->ifa_name;
		if (addr->family == IP_V6 && i->ifa_addr->sa_family == AF_INET6 &&
		    memcmp(((const struct sockaddr_in6 *)i->ifa_addr)->sin6_addr.s6_addr, addr->bytes,
			   16) == 0)
			return i->ifa_name;
	}
	return NULL;
}

bool bgp_other_family_next_hop(const ip_addr *local, ip_addr *out)
{
	if (local->family != IP_V4 && local->family != IP_V6)
		return false;
	struct ifaddrs *all;
	if (getifaddrs(&all) != 0)
		return false;
	const char *ifname = iface_of(all, local);
	bool found = false;
	for (struct ifaddrs *i = all; i && ifname && !found; i = i->ifa_next) {
		if (!i->ifa_addr || strcmp(i->ifa_name, ifname) != 0)
			continue;
		if (local->family == IP_V6 && i->ifa_addr->sa_family == AF_INET) {
			*out = ip_addr_from_bytes(
				IP_V4, (const uint8_t *)&((const struct sockaddr_in *)i->ifa_addr)->sin_addr);
			found = true;
		} else if (local->family == IP_V4 && i->ifa_addr->sa_family == AF_INET6) {
			const uint8_t *b = ((const struct sockaddr_in6 *)i->ifa_addr)->sin6_addr.s6_addr;
			/* A link-local address cannot be the global next hop (RFC 2545 §3). */
			if (!is_link_local(b)) {
				*out = ip_addr_from_bytes(IP_V6, b);
				found = true;
			}
		}
	}
	freeifaddrs(all);
	return found;
}
