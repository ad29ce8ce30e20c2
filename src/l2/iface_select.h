/*
 * Which interfaces answer for a service IP (pure decision, no I/O): the L2Advertisement's explicit
 * `interfaces` if given, else the eligible interfaces with an address whose subnet holds the
 * service IP, else every eligible interface. Never loopback, NOARP, bond members, bridge ports
 * (the bond or bridge answers for them, or every frame would be answered twice), non-Ethernet or
 * down links; names starting with an excluded prefix (MetalLB's default list unless configured)
 * are skipped unless named explicitly.
 *
 * Internal to src/l2; the public view is iface.h.
 */
#ifndef INGOT_L2_IFACE_SELECT_H
#define INGOT_L2_IFACE_SELECT_H

#include <stddef.h>

#include "core/addr.h"
#include "l2/iface_table.h"

struct l2_iface_policy {
	const char *const *interfaces;   /* explicit names; n_interfaces == 0: the subnet rule */
	size_t n_interfaces;
	const char *const *excludes;     /* name prefixes; NULL: l2_default_excludes */
	size_t n_excludes;
};

/* MetalLB's default: docker, cbr, dummy, virbr, lxcbr, veth, lo, cali, tunl, flannel, kube-ipvs,
 * cni, nodelocaldns, lxc. */
extern const char *const l2_default_excludes[];
extern const size_t l2_n_default_excludes;

enum l2_eligibility {
	L2_ELIGIBLE = 0,
	L2_NOT_UP,
	L2_LOOPBACK,
	L2_NOARP,
	L2_BOND_MEMBER,
	L2_BRIDGE_PORT,
	L2_NOT_ETHERNET,
	L2_EXCLUDED_NAME,
};

/* Whether a link may answer; `named` means it was listed explicitly (name excludes then do not
 * apply). */
enum l2_eligibility l2_link_eligibility(const struct l2_link_info *l, const struct l2_iface_policy *p,
					bool named);
const char *l2_eligibility_name(enum l2_eligibility e);

/*
 * The interfaces that should answer for service (ifindexes in table order, explicit names in list
 * order). Writes up to max of them to out and returns how many there are.
 */
size_t l2_select_interfaces(const struct l2_link_table *t, const struct l2_iface_policy *p,
			    const ip_addr *service, int *out, size_t max);

#endif
