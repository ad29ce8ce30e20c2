/*
 * An ordered set of disjoint address intervals [lo, hi] (internal to src/alloc).
 *
 * Each pool range keeps its free addresses here, so that the lowest free address is found in
 * O(log n) and taking or returning one address splits or merges at most two intervals, whatever
 * the size of the range (a /64 is one interval until something is taken from it). The tree is a
 * treap (treap.h) keyed on lo. Priorities come from a fixed-seed generator, so runs are
 * reproducible.
 *
 * Intervals never overlap, so a node's lo and hi may be edited in place as long as the interval
 * stays between its neighbours; the pool code relies on that to split and merge cheaply.
 */
#ifndef INGOT_ALLOC_IVTREE_H
#define INGOT_ALLOC_IVTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alloc/treap.h"
#include "alloc/u128.h"

struct ivnode {
	struct treap_node t;  /* first: the tree links it through this */
	u128 lo, hi;
};

struct ivtree {
	struct treap t;
	size_t n;             /* number of intervals */
};

void ivtree_init(struct ivtree *t);
/* Frees every node. */
void ivtree_clear(struct ivtree *t);
/* The interval with the lowest lo, or NULL. */
struct ivnode *ivtree_first(const struct ivtree *t);
/* The interval with the largest lo <= x, or NULL. */
struct ivnode *ivtree_floor(const struct ivtree *t, u128 x);
/* The interval with the smallest lo > x, or NULL. */
struct ivnode *ivtree_above(const struct ivtree *t, u128 x);
/* Adds [lo, hi]; it must not overlap any interval already there. */
void ivtree_insert(struct ivtree *t, u128 lo, u128 hi);
/* Removes (and frees) the interval whose lo is exactly lo; it must exist. */
void ivtree_remove(struct ivtree *t, u128 lo);

#endif
