/*
 * Treap of disjoint intervals (see ivtree.h). Insertion splits the tree around the new key and
 * joins the parts back with the new node in between; removal replaces a node with the join of its
 * children. Both are O(log n) expected.
 */
#include "alloc/ivtree.h"

#include <stdlib.h>

#include "core/log.h"
#include "core/xalloc.h"

void ivtree_init(struct ivtree *t)
{
	t->root = NULL;
	t->n = 0;
	t->rng = 0x9e3779b9u;
}

static void free_nodes(struct ivnode *n)
{
	while (n) {
		free_nodes(n->left);
		struct ivnode *right = n->right;
		free(n);
		n = right;
	}
}

void ivtree_clear(struct ivtree *t)
{
	free_nodes(t->root);
	t->root = NULL;
	t->n = 0;
}

struct ivnode *ivtree_first(const struct ivtree *t)
{
	struct ivnode *n = t->root;
	while (n && n->left)
		n = n->left;
	return n;
}

struct ivnode *ivtree_floor(const struct ivtree *t, u128 x)
{
	struct ivnode *best = NULL;
	for (struct ivnode *n = t->root; n;) {
		if (n->lo <= x) {
			best = n;
			n = n->right;
		} else {
			n = n->left;
		}
	}
	return best;
}

struct ivnode *ivtree_above(const struct ivtree *t, u128 x)
{
	struct ivnode *best = NULL;
	for (struct ivnode *n = t->root; n;) {
		if (n->lo > x) {
			best = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

/* Splits n into keys < key (*l) and keys >= key (*r). */
static void split(struct ivnode *n, u128 key, struct ivnode **l, struct ivnode **r)
{
	if (!n) {
		*l = *r = NULL;
	} else if (n->lo < key) {
		split(n->right, key, &n->right, r);
		*l = n;
	} else {
		split(n->left, key, l, &n->left);
		*r = n;
	}
}

/* Joins two treaps where every key of l is below every key of r. */
static struct ivnode *join(struct ivnode *l, struct ivnode *r)
{
	if (!l)
		return r;
	if (!r)
		return l;
	if (l->prio > r->prio) {
		l->right = join(l->right, r);
		return l;
	}
	r->left = join(l, r->left);
	return r;
}

static uint32_t next_prio(struct ivtree *t)
{
	/* xorshift32: deterministic, cheap, good enough for balancing. */
	uint32_t x = t->rng;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	t->rng = x;
	return x;
}

static struct ivnode *insert_node(struct ivnode *root, struct ivnode *node)
{
	if (!root)
		return node;
	if (node->prio > root->prio) {
		split(root, node->lo, &node->left, &node->right);
		return node;
	}
	if (node->lo < root->lo)
		root->left = insert_node(root->left, node);
	else
		root->right = insert_node(root->right, node);
	return root;
}

void ivtree_insert(struct ivtree *t, u128 lo, u128 hi)
{
	struct ivnode *node = XNEW(struct ivnode);
	node->lo = lo;
	node->hi = hi;
	node->prio = next_prio(t);
	t->root = insert_node(t->root, node);
	t->n++;
}

void ivtree_remove(struct ivtree *t, u128 lo)
{
	struct ivnode **link = &t->root;
	while (*link && (*link)->lo != lo)
		link = lo < (*link)->lo ? &(*link)->left : &(*link)->right;
	if (!*link)
		log_fatal("alloc", "interval to remove is missing", "tree_size=%zu", t->n);
	struct ivnode *gone = *link;
	*link = join(gone->left, gone->right);
	free(gone);
	t->n--;
}
