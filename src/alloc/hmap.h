/*
 * A hash map from byte-string keys to pointers (internal to src/alloc).
 *
 * Open addressing with linear probing and backward-shift deletion (no tombstones), so lookups
 * stay O(1) on average however many services come and go. The map copies keys and owns the
 * copies; values are borrowed pointers the caller manages. Iteration order depends only on the
 * sequence of operations, never on addresses or time, so it is reproducible.
 */
#ifndef INGOT_ALLOC_HMAP_H
#define INGOT_ALLOC_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hmap_slot {
	uint64_t hash;
	char *key;          /* NULL: empty slot */
	size_t klen;
	void *value;
};

struct hmap {
	struct hmap_slot *slots;
	size_t cap;         /* 0 or a power of two */
	size_t n;
};

void hmap_init(struct hmap *m);
/* Frees the slots and the key copies, not the values. */
void hmap_free(struct hmap *m);
void *hmap_get(const struct hmap *m, const void *key, size_t klen);
/* Sets key to value, replacing any previous value (which is returned, or NULL). */
void *hmap_put(struct hmap *m, const void *key, size_t klen, void *value);
/* Removes key; returns its value, or NULL when it was absent. */
void *hmap_del(struct hmap *m, const void *key, size_t klen);
/*
 * Iteration: `size_t it = 0; while (hmap_next(m, &it, &slot)) ...`. The map must not be changed
 * during the walk.
 */
bool hmap_next(const struct hmap *m, size_t *it, const struct hmap_slot **slot);

#endif
