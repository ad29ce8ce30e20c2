/*
 * An ordered set of addresses with ranks (internal to src/alloc): an order-statistic treap keyed
 * by (family, address), each node knowing its subtree's size, so that rank ("how many are below
 * x") and select ("the i-th smallest") are O(log n).
 *
 * The sharing index keeps one per sharing group (every address holding a key) and one per port
 * used in the group. Because the port sets are subsets of the group set, the first address of
 * the group that does not use a port is found by binary search over ranks (see ostree_skip).
 * The treap machinery is treap.h's; ostree.c adds the keys and the sizes.
 */
#ifndef INGOT_ALLOC_OSTREE_H
#define INGOT_ALLOC_OSTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alloc/treap.h"
#include "alloc/u128.h"

struct oskey {
	uint8_t family;
	u128 value;
};

struct osnode {
	struct treap_node t;     /* first: the tree links it through this */
	size_t size;             /* nodes in this subtree */
	struct oskey key;
};

struct ostree {
	struct treap t;
};

void ostree_init(struct ostree *t);
void ostree_clear(struct ostree *t);
size_t ostree_size(const struct ostree *t);
/* Adds k (which must not be there) / removes k (which must be there). */
void ostree_insert(struct ostree *t, struct oskey k);
void ostree_remove(struct ostree *t, struct oskey k);
/* How many keys are below k. */
size_t ostree_rank(const struct ostree *t, struct oskey k);
/* The i-th smallest key, i < size. */
struct oskey ostree_select(const struct ostree *t, size_t i);
int oskey_cmp(struct oskey a, struct oskey b);
/*
 * For sub a subset of all and x a key of all: the smallest key of all that is >= x and not in
 * sub. Returns false when every such key of all is in sub. O(log^2 n).
 */
bool ostree_skip(const struct ostree *all, const struct ostree *sub, struct oskey x,
		 struct oskey *out);

#endif
