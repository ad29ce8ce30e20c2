/*
 * The interface table (see iface_table.h): links by index, each with its addresses.
 */
#include "l2/iface_table.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

void l2_table_clear(struct l2_link_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->links[i].addrs);
	free(t->links);
	t->links = NULL;
	t->n = t->cap = 0;
}

struct l2_link *l2_table_find(const struct l2_link_table *t, int ifindex)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->links[i].info.ifindex == ifindex)
			return &t->links[i];
	return NULL;
}

const struct l2_link *l2_table_find_name(const struct l2_link_table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->links[i].info.name, name) == 0)
			return &t->links[i];
	return NULL;
}

static bool info_eq(const struct l2_link_info *a, const struct l2_link_info *b)
{
	return a->ifindex == b->ifindex && strcmp(a->name, b->name) == 0 && a->flags == b->flags &&
	       a->bridge_port == b->bridge_port && a->has_mac == b->has_mac &&
	       (!a->has_mac || eth_addr_eq(&a->mac, &b->mac));
}

bool l2_table_set_link(struct l2_link_table *t, const struct l2_link_info *info)
{
	struct l2_link *l = l2_table_find(t, info->ifindex);
	if (l) {
		if (info_eq(&l->info, info))
			return false;
		l->info = *info;
		return true;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->links = xreallocarray(t->links, t->cap, sizeof(*t->links));
	}
	l = &t->links[t->n++];
	memset(l, 0, sizeof(*l));
	l->info = *info;
	return true;
}

bool l2_table_del_link(struct l2_link_table *t, int ifindex)
{
	struct l2_link *l = l2_table_find(t, ifindex);
	if (!l)
		return false;
	free(l->addrs);
	*l = t->links[--t->n];
	return true;
}

static struct l2_if_addr *find_addr(const struct l2_link *l, const struct l2_if_addr *a)
{
	for (size_t i = 0; i < l->n_addrs; i++)
		if (l->addrs[i].len == a->len && ip_addr_eq(&l->addrs[i].addr, &a->addr))
			return &l->addrs[i];
	return NULL;
}

bool l2_table_add_addr(struct l2_link_table *t, int ifindex, const struct l2_if_addr *a)
{
	struct l2_link *l = l2_table_find(t, ifindex);
	if (!l || find_addr(l, a))
		return false;
	if (l->n_addrs == l->cap_addrs) {
		l->cap_addrs = l->cap_addrs ? 2 * l->cap_addrs : 4;
		l->addrs = xreallocarray(l->addrs, l->cap_addrs, sizeof(*l->addrs));
	}
	l->addrs[l->n_addrs++] = *a;
	return true;
}

bool l2_table_del_addr(struct l2_link_table *t, int ifindex, const struct l2_if_addr *a)
{
	struct l2_link *l = l2_table_find(t, ifindex);
	struct l2_if_addr *found = l ? find_addr(l, a) : NULL;
	if (!found)
		return false;
	*found = l->addrs[--l->n_addrs];
	return true;
}
