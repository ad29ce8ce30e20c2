/*
 * Interface discovery and following for layer 2: the host's links and addresses, learnt from an
 * rtnetlink dump at start and then kept current from RTMGRP_LINK, RTMGRP_IPV4_IFADDR and
 * RTMGRP_IPV6_IFADDR events on the event loop (rtnetlink(7), RFC 3549), never by polling; and the
 * selection of the interfaces that answer for a service IP (iface_select.h).
 *
 * The table is rebuilt from a fresh dump if the kernel reports that events were lost (ENOBUFS).
 */
#ifndef INGOT_L2_IFACE_H
#define INGOT_L2_IFACE_H

#include <stddef.h>

#include "core/addr.h"
#include "l2/iface_select.h"
#include "l2/iface_table.h"

enum l2_iface_change {
	L2_IFACE_LINK,        /* a link appeared or its name, flags or MAC changed */
	L2_IFACE_LINK_GONE,   /* a link was removed */
	L2_IFACE_ADDR,        /* an address was added to or removed from a link */
	L2_IFACE_RESYNC,      /* events were lost and the table was rebuilt: recheck everything */
};

/* Called from the loop after each change has been applied to the table; ifindex is 0 for
 * L2_IFACE_RESYNC. Selections may be recomputed from inside it. */
typedef void (*l2_iface_fn)(enum l2_iface_change change, int ifindex, void *arg);

/* Dumps links and addresses and subscribes to changes. Call after loop_init(). Returns 0, or -1
 * (logged) if rtnetlink cannot be used. fn may be NULL. */
int l2_iface_start(l2_iface_fn fn, void *arg);
void l2_iface_stop(void);

/* The current table (valid until the next loop iteration). */
const struct l2_link_table *l2_iface_table(void);
/* l2_select_interfaces() on the current table. */
size_t l2_iface_select(const struct l2_iface_policy *p, const ip_addr *service, int *out,
		       size_t max);

#endif
