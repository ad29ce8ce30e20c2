/*
 * A generic treap (internal to src/alloc): the split/join machinery that ivtree.h and ostree.h
 * share. A treap is a binary search tree on a key whose nodes also form a max-heap on a
 * pseudo-random priority, which keeps it O(log n) deep in expectation.
 *
 * Nodes are intrusive: a tree's node struct starts with a struct treap_node, and is allocated
 * with malloc (treap_clear frees them with free). The tree knows keys only through the class's
 * cmp callback. A class may also have an update callback, called on every node whose children
 * changed, bottom-up, so that per-subtree summaries (ostree's sizes) stay right.
 *
 * Priorities come from a xorshift32 generator with a seed fixed per tree, so the shape of a tree
 * (and hence every run) is reproducible.
 *
 * Insertion walks down while the new node's priority is lower, then splits the subtree there
 * around the new key and hangs the two halves under the new node; removal replaces a node with
 * the join of its children. Both are O(log n) expected, and call the class's update on each node
 * of the changed path, bottom-up.
 *
 * Why the code is here, static inline, rather than in a treap.c: each tree passes one constant
 * class, so the compiler specializes these functions per tree and the cmp/update calls become
 * direct (and inlined) instead of indirect calls on every level of every operation. Functions
 * whose names end in '_' are internal.
 */
#ifndef INGOT_ALLOC_TREAP_H
#define INGOT_ALLOC_TREAP_H

#include <stdint.h>
#include <stdlib.h>

#include "core/xorshift.h"

struct treap_node {
	struct treap_node *left, *right;
	uint32_t prio;
};

struct treap_class {
	/* Negative, zero or positive as n's key is below, equal to or above *key. */
	int (*cmp)(const struct treap_node *n, const void *key);
	/* Optional (NULL: none): recomputes n's summary from its children's. */
	void (*update)(struct treap_node *n);
};

struct treap {
	struct treap_node *root;
	uint32_t rng;         /* priority generator state, never 0 */
};

static inline void treap_init(struct treap *t, uint32_t seed)
{
	t->root = NULL;
	t->rng = seed;
}

static inline void treap_free_nodes_(struct treap_node *n)
{
	while (n) {
		treap_free_nodes_(n->left);
		struct treap_node *right = n->right;
		free(n);
		n = right;
	}
}

/* Frees every node (with free) and empties the tree. */
static inline void treap_clear(struct treap *t)
{
	treap_free_nodes_(t->root);
	t->root = NULL;
}

static inline void treap_update_(const struct treap_class *c, struct treap_node *n)
{
	if (c->update)
		c->update(n);
}

/* Splits n into keys < key (*l) and keys >= key (*r). */
static inline void treap_split_(const struct treap_class *c, struct treap_node *n,
				 const void *key, struct treap_node **l, struct treap_node **r)
{
	if (!n) {
		*l = *r = NULL;
	} else if (c->cmp(n, key) < 0) {
		treap_split_(c, n->right, key, &n->right, r);
		treap_update_(c, n);
		*l = n;
	} else {
		treap_split_(c, n->left, key, l, &n->left);
		treap_update_(c, n);
		*r = n;
	}
}

/* Joins two treaps where every key of l is below every key of r. */
static inline struct treap_node *treap_join_(const struct treap_class *c,
					     struct treap_node *l, struct treap_node *r)
{
	if (!l)
		return r;
	if (!r)
		return l;
	if (l->prio > r->prio) {
		l->right = treap_join_(c, l->right, r);
		treap_update_(c, l);
		return l;
	}
	r->left = treap_join_(c, l, r->left);
	treap_update_(c, r);
	return r;
}

static inline uint32_t treap_next_prio_(struct treap *t)
{
	/* deterministic, cheap, good enough for balancing */
	return xorshift32(&t->rng);
}

static inline struct treap_node *treap_insert_node_(const struct treap_class *c,
						    struct treap_node *root,
						    struct treap_node *node, const void *key)
{
	if (!root)
		return node;
	if (node->prio > root->prio) {
		treap_split_(c, root, key, &node->left, &node->right);
		treap_update_(c, node);
		return node;
	}
	if (c->cmp(root, key) > 0)
		root->left = treap_insert_node_(c, root->left, node, key);
	else
		root->right = treap_insert_node_(c, root->right, node, key);
	treap_update_(c, root);
	return root;
}

/* Links node (whose key, seen through cmp, is key) into the tree; the tree takes ownership. Keys
 * equal to one already there go after it. */
static inline void treap_insert(struct treap *t, const struct treap_class *c,
				struct treap_node *node, const void *key)
{
	node->left = node->right = NULL;
	node->prio = treap_next_prio_(t);
	treap_update_(c, node);
	t->root = treap_insert_node_(c, t->root, node, key);
}

/* Removes the node equal to key from the subtree at *link; returns it or NULL. */
static inline struct treap_node *treap_remove_node_(const struct treap_class *c,
						    struct treap_node **link,
						    const void *key)
{
	struct treap_node *n = *link;
	if (!n)
		return NULL;
	int d = c->cmp(n, key);
	if (d == 0) {
		*link = treap_join_(c, n->left, n->right);
		return n;
	}
	struct treap_node *gone = treap_remove_node_(c, d > 0 ? &n->left : &n->right, key);
	if (gone)
		treap_update_(c, n);
	return gone;
}

/* Unlinks the node whose key is equal to key and returns it (the caller frees it), or NULL when
 * there is none. */
static inline struct treap_node *treap_remove(struct treap *t, const struct treap_class *c,
					      const void *key)
{
	return treap_remove_node_(c, &t->root, key);
}

#endif
