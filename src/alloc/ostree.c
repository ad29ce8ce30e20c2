/*
 * Order-statistic treap (see ostree.h): the shape changes are treap.h's, with an update callback
 * that keeps subtree sizes right on every path that changes shape; rank, select and skip walk the
 * sizes here.
 */
#include "alloc/ostree.h"

#include <stdlib.h>

#include "core/log.h"
#include "core/xalloc.h"

static inline const struct osnode *os(const struct treap_node *n)
{
	return (const struct osnode *)n;   /* the treap_node is the first member */
}

int oskey_cmp(struct oskey a, struct oskey b)
{
	if (a.family != b.family)
		return a.family < b.family ? -1 : 1;
	if (a.value != b.value)
		return a.value < b.value ? -1 : 1;
	return 0;
}

static size_t size_of(const struct treap_node *n)
{
	return n ? os(n)->size : 0;
}

static int os_cmp(const struct treap_node *n, const void *key)
{
	return oskey_cmp(os(n)->key, *(const struct oskey *)key);
}

static void os_update(struct treap_node *n)
{
	((struct osnode *)n)->size = 1 + size_of(n->left) + size_of(n->right);
}

static const struct treap_class os_class = { .cmp = os_cmp, .update = os_update };

void ostree_init(struct ostree *t)
{
	treap_init(&t->t, 0x2545f491u);
}

void ostree_clear(struct ostree *t)
{
	treap_clear(&t->t);
}

size_t ostree_size(const struct ostree *t)
{
	return size_of(t->t.root);
}

void ostree_insert(struct ostree *t, struct oskey k)
{
	struct osnode *node = XNEW(struct osnode);
	node->key = k;
	treap_insert(&t->t, &os_class, &node->t, &k);
}

void ostree_remove(struct ostree *t, struct oskey k)
{
	struct treap_node *gone = treap_remove(&t->t, &os_class, &k);
	if (!gone)
		log_fatal("alloc", "ordered set is missing a key", "family=%u", k.family);
	free(gone);
}

size_t ostree_rank(const struct ostree *t, struct oskey k)
{
	size_t rank = 0;
	for (const struct treap_node *n = t->t.root; n;) {
		if (oskey_cmp(os(n)->key, k) < 0) {
			rank += size_of(n->left) + 1;
			n = n->right;
		} else {
			n = n->left;
		}
	}
	return rank;
}

struct oskey ostree_select(const struct ostree *t, size_t i)
{
	const struct treap_node *n = t->t.root;
	while (n) {
		size_t left = size_of(n->left);
		if (i < left) {
			n = n->left;
		} else if (i == left) {
			return os(n)->key;
		} else {
			i -= left + 1;
			n = n->right;
		}
	}
	log_fatal("alloc", "ordered set index out of range", "index=%zu", i);
}

bool ostree_skip(const struct ostree *all, const struct ostree *sub, struct oskey x,
		 struct oskey *out)
{
	size_t na = ostree_size(all), ns = ostree_size(sub);
	size_t i = ostree_rank(all, x), j = ostree_rank(sub, x);
	/* all[i + t] == sub[j + t] holds for t below the answer and never after it: sub is a
	 * subset of all, so once it misses one key of all it stays behind. */
	size_t lo = 0, hi = na - i;          /* answer t in [lo, hi]; hi means none */
	while (lo < hi) {
		size_t t = lo + (hi - lo) / 2;
		bool same = j + t < ns &&
			    oskey_cmp(ostree_select(all, i + t), ostree_select(sub, j + t)) == 0;
		if (same)
			lo = t + 1;
		else
			hi = t;
	}
	if (lo == na - i)
		return false;
	*out = ostree_select(all, i + lo);
	return true;
}
