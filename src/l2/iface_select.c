/*
 * Interface selection for layer-2 announcements (see iface_select.h). The rules follow MetalLB's
 * speaker (L2Advertisement.spec.interfaces, its default interface exclusion list), with the
 * subnet preference the issue asks for.
 */
#include "l2/iface_select.h"

#include <string.h>

const char *const l2_default_excludes[] = {
	"docker", "cbr", "dummy", "virbr", "lxcbr", "veth", "lo", "cali", "tunl", "flannel",
	"kube-ipvs", "cni", "nodelocaldns", "lxc",
};
const size_t l2_n_default_excludes = sizeof(l2_default_excludes) / sizeof(l2_default_excludes[0]);

static bool name_excluded(const char *name, const struct l2_iface_policy *p)
{
	const char *const *list = p->excludes ? p->excludes : l2_default_excludes;
	size_t n = p->excludes ? p->n_excludes : l2_n_default_excludes;
	for (size_t i = 0; i < n; i++)
		if (strncmp(name, list[i], strlen(list[i])) == 0)
			return true;
	return false;
}

enum l2_eligibility l2_link_eligibility(const struct l2_link_info *l, const struct l2_iface_policy *p,
					bool named)
{
	if (l->flags & IFF_LOOPBACK)
		return L2_LOOPBACK;
	if (l->flags & IFF_NOARP)
		return L2_NOARP;
	/* The bond or bridge answers for its members: their frames reach its socket too. */
	if (l->flags & IFF_SLAVE)
		return L2_BOND_MEMBER;
	if (l->bridge_port)
		return L2_BRIDGE_PORT;
	if (!l->has_mac)
		return L2_NOT_ETHERNET;
	if (!(l->flags & IFF_UP))
		return L2_NOT_UP;
	if (!named && name_excluded(l->name, p))
		return L2_EXCLUDED_NAME;
	return L2_ELIGIBLE;
}

const char *l2_eligibility_name(enum l2_eligibility e)
{
	switch (e) {
	case L2_ELIGIBLE: return "eligible";
	case L2_NOT_UP: return "down";
	case L2_LOOPBACK: return "loopback";
	case L2_NOARP: return "NOARP";
	case L2_BOND_MEMBER: return "bond member";
	case L2_BRIDGE_PORT: return "bridge port";
	case L2_NOT_ETHERNET: return "not Ethernet";
	case L2_EXCLUDED_NAME: return "excluded by name";
	}
	return "unknown";
}

static bool has_subnet_for(const struct l2_link *l, const ip_addr *service)
{
	for (size_t i = 0; i < l->n_addrs; i++) {
		ip_prefix p = ip_prefix_make(&l->addrs[i].addr, l->addrs[i].len);
		if (ip_prefix_contains(&p, service))
			return true;
	}
	return false;
}

static void emit(int ifindex, int *out, size_t max, size_t *n)
{
	if (*n < max)
		out[*n] = ifindex;
	(*n)++;
}

size_t l2_select_interfaces(const struct l2_link_table *t, const struct l2_iface_policy *p,
			    const ip_addr *service, int *out, size_t max)
{
	size_t n = 0;
	if (p->n_interfaces > 0) {
		for (size_t i = 0; i < p->n_interfaces; i++) {
			const struct l2_link *l = l2_table_find_name(t, p->interfaces[i]);
			if (l && l2_link_eligibility(&l->info, p, true) == L2_ELIGIBLE)
				emit(l->info.ifindex, out, max, &n);
		}
		return n;
	}
	for (size_t i = 0; i < t->n; i++) {
		const struct l2_link *l = &t->links[i];
		if (l2_link_eligibility(&l->info, p, false) == L2_ELIGIBLE && has_subnet_for(l, service))
			emit(l->info.ifindex, out, max, &n);
	}
	if (n > 0)
		return n;
	for (size_t i = 0; i < t->n; i++) {
		const struct l2_link *l = &t->links[i];
		if (l2_link_eligibility(&l->info, p, false) == L2_ELIGIBLE)
			emit(l->info.ifindex, out, max, &n);
	}
	return n;
}
