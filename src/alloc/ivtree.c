/*
 * Treap of disjoint intervals (see ivtree.h). The shape changes (insert, remove) are treap.h's;
 * this file keeps the key (lo) and the searches the pool code needs. All O(log n) expected.
 */
#include "alloc/ivtree.h"

#include <stdlib.h>

#include "core/log.h"
#include "core/xalloc.h"

static inline struct ivnode *iv(const struct treap_node *n)
{
	return (struct ivnode *)n;   /* the treap_node is the first member */
}

static int iv_cmp(const struct treap_node *n, const void *key)
{
	u128 lo = iv(n)->lo, k = *(const u128 *)key;
	return lo < k ? -1 : lo > k;
}

static const struct treap_class iv_class = { .cmp = iv_cmp, .update = NULL };

void ivtree_init(struct ivtree *t)
{
	treap_init(&t->t, 0x9e3779b9u);
	t->n = 0;
}

void ivtree_clear(struct ivtree *t)
{
	treap_clear(&t->t);
	t->n = 0;
}

struct ivnode *ivtree_first(const struct ivtree *t)
{
	const struct treap_node *n = t->t.root;
	while (n && n->left)
		n = n->left;
	return n ? iv(n) : NULL;
}

struct ivnode *ivtree_floor(const struct ivtree *t, u128 x)
{
	const struct treap_node *best = NULL;
	for (const struct treap_node *n = t->t.root; n;) {
		if (iv(n)->lo <= x) {
			best = n;
			n = n->right;
		} else {
			n = n->left;
		}
	}
	return best ? iv(best) : NULL;
}

struct ivnode *ivtree_above(const struct ivtree *t, u128 x)
{
	const struct treap_node *best = NULL;
	for (const struct treap_node *n = t->t.root; n;) {
		if (iv(n)->lo > x) {
			best = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best ? iv(best) : NULL;
}

void ivtree_insert(struct ivtree *t, u128 lo, u128 hi)
{
	struct ivnode *node = XNEW(struct ivnode);
	node->lo = lo;
	node->hi = hi;
	treap_insert(&t->t, &iv_class, &node->t, &lo);
	t->n++;
}

void ivtree_remove(struct ivtree *t, u128 lo)
{
	struct treap_node *gone = treap_remove(&t->t, &iv_class, &lo);
	if (!gone)
		log_fatal("alloc", "interval to remove is missing", "tree_size=%zu", t->n);
	free(gone);
	t->n--;
}
