/*
 * Order-statistic treap (see ostree.h): split/join like ivtree.c, plus subtree sizes kept up to
 * date on every path that changes shape.
 */
#include "alloc/ostree.h"

#include <stdlib.h>

#include "core/log.h"
#include "core/xalloc.h"

int oskey_cmp(struct oskey a, struct oskey b)
{
	if (a.family != b.family)
		return a.family < b.family ? -1 : 1;
	if (a.value != b.value)
		return a.value < b.value ? -1 : 1;
	return 0;
}

void ostree_init(struct ostree *t)
{
	t->root = NULL;
	t->rng = 0x2545f491u;
}

static void free_nodes(struct osnode *n)
{
	while (n) {
		free_nodes(n->left);
		struct osnode *right = n->right;
		free(n);
		n = right;
	}
}

void ostree_clear(struct ostree *t)
{
	free_nodes(t->root);
	t->root = NULL;
}

static size_t size_of(const struct osnode *n)
{
	return n ? n->size : 0;
}

static void fix(struct osnode *n)
{
	n->size = 1 + size_of(n->left) + size_of(n->right);
}

size_t ostree_size(const struct ostree *t)
{
	return size_of(t->root);
}

/* Splits n into keys < k (*l) and keys >= k (*r). */
static void split(struct osnode *n, struct oskey k, struct osnode **l, struct osnode **r)
{
	if (!n) {
		*l = *r = NULL;
	} else if (oskey_cmp(n->key, k) < 0) {
		split(n->right, k, &n->right, r);
		fix(n);
		*l = n;
	} else {
		split(n->left, k, l, &n->left);
		fix(n);
		*r = n;
	}
}

static struct osnode *join(struct osnode *l, struct osnode *r)
{
	if (!l)
		return r;
	if (!r)
		return l;
	if (l->prio > r->prio) {
		l->right = join(l->right, r);
		fix(l);
		return l;
	}
	r->left = join(l, r->left);
	fix(r);
	return r;
}

static struct osnode *insert_node(struct osnode *root, struct osnode *node)
{
	if (!root)
		return node;
	if (node->prio > root->prio) {
		split(root, node->key, &node->left, &node->right);
		fix(node);
		return node;
	}
	if (oskey_cmp(node->key, root->key) < 0)
		root->left = insert_node(root->left, node);
	else
		root->right = insert_node(root->right, node);
	fix(root);
	return root;
}

void ostree_insert(struct ostree *t, struct oskey k)
{
	uint32_t x = t->rng;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	t->rng = x;
	struct osnode *node = XNEW(struct osnode);
	node->key = k;
	node->prio = x;
	node->size = 1;
	t->root = insert_node(t->root, node);
}

static struct osnode *remove_node(struct osnode *n, struct oskey k)
{
	if (!n)
		log_fatal("alloc", "ordered set is missing a key", "family=%u", k.family);
	int c = oskey_cmp(k, n->key);
	if (c == 0) {
		struct osnode *rest = join(n->left, n->right);
		free(n);
		return rest;
	}
	if (c < 0)
		n->left = remove_node(n->left, k);
	else
		n->right = remove_node(n->right, k);
	fix(n);
	return n;
}

void ostree_remove(struct ostree *t, struct oskey k)
{
	t->root = remove_node(t->root, k);
}

size_t ostree_rank(const struct ostree *t, struct oskey k)
{
	size_t rank = 0;
	for (const struct osnode *n = t->root; n;) {
		if (oskey_cmp(n->key, k) < 0) {
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
	const struct osnode *n = t->root;
	while (n) {
		size_t left = size_of(n->left);
		if (i < left) {
			n = n->left;
		} else if (i == left) {
			return n->key;
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
