/* Open-addressing hash map (see hmap.h). */
#include "alloc/hmap.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

void hmap_init(struct hmap *m)
{
	m->slots = NULL;
	m->cap = 0;
	m->n = 0;
}

void hmap_free(struct hmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	hmap_init(m);
}

static uint64_t hash_bytes(const void *key, size_t len)
{
	/* FNV-1a, then a final avalanche (splitmix64) so that low bits are well mixed. */
	const unsigned char *p = key;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 31;
	return h;
}

static size_t find_slot(const struct hmap *m, uint64_t hash, const void *key, size_t klen)
{
	size_t mask = m->cap - 1;
	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		const struct hmap_slot *s = &m->slots[i];
		if (!s->key)
			return i;
		if (s->hash == hash && s->klen == klen && memcmp(s->key, key, klen) == 0)
			return i;
	}
}

static void grow(struct hmap *m)
{
	struct hmap_slot *old = m->slots;
	size_t old_cap = m->cap;
	m->cap = old_cap ? old_cap * 2 : 4;   /* small: many maps hold a port or two */
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	for (size_t i = 0; i < old_cap; i++) {
		if (!old[i].key)
			continue;
		size_t j = find_slot(m, old[i].hash, old[i].key, old[i].klen);
		m->slots[j] = old[i];
	}
	free(old);
}

void *hmap_get(const struct hmap *m, const void *key, size_t klen)
{
	if (m->n == 0)
		return NULL;
	size_t i = find_slot(m, hash_bytes(key, klen), key, klen);
	return m->slots[i].key ? m->slots[i].value : NULL;
}

void *hmap_put(struct hmap *m, const void *key, size_t klen, void *value)
{
	if ((m->n + 1) * 4 > m->cap * 3)   /* keep the load factor under 3/4 */
		grow(m);
	uint64_t hash = hash_bytes(key, klen);
	size_t i = find_slot(m, hash, key, klen);
	struct hmap_slot *s = &m->slots[i];
	if (s->key) {
		void *prev = s->value;
		s->value = value;
		return prev;
	}
	s->hash = hash;
	s->key = xmalloc(klen ? klen : 1);
	memcpy(s->key, key, klen);
	s->klen = klen;
	s->value = value;
	m->n++;
	return NULL;
}

void *hmap_del(struct hmap *m, const void *key, size_t klen)
{
	if (m->n == 0)
		return NULL;
	size_t mask = m->cap - 1;
	size_t i = find_slot(m, hash_bytes(key, klen), key, klen);
	if (!m->slots[i].key)
		return NULL;
	void *value = m->slots[i].value;
	free(m->slots[i].key);
	m->slots[i].key = NULL;
	m->n--;
	/* Backward shift: pull later members of the probe run into the hole when allowed. */
	for (size_t j = (i + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
		size_t home = m->slots[j].hash & mask;
		/* The entry at j may move to i only if its home is not cyclically in (i, j]. */
		bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (stays)
			continue;
		m->slots[i] = m->slots[j];
		m->slots[j].key = NULL;
		i = j;
	}
	return value;
}

bool hmap_next(const struct hmap *m, size_t *it, const struct hmap_slot **slot)
{
	while (*it < m->cap) {
		const struct hmap_slot *s = &m->slots[(*it)++];
		if (s->key) {
			*slot = s;
			return true;
		}
	}
	return false;
}
