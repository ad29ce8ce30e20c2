/*
 * Deduplicating FIFO of keys (see keyq.h): a growable ring plus a jansson object as the set.
 */
#include "controller/keyq.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

void keyq_init(struct keyq *q)
{
	memset(q, 0, sizeof(*q));
	q->members = json_object();
}

void keyq_clear(struct keyq *q)
{
	char *k;
	while ((k = keyq_pop(q)))
		free(k);
}

void keyq_free(struct keyq *q)
{
	keyq_clear(q);
	free(q->ring);
	json_decref(q->members);
	memset(q, 0, sizeof(*q));
}

static void grow(struct keyq *q)
{
	size_t cap = q->cap ? q->cap * 2 : 64;
	char **ring = xcalloc(cap, sizeof(*ring));
	for (size_t i = 0; i < q->n; i++)
		ring[i] = q->ring[(q->head + i) % q->cap];
	free(q->ring);
	q->ring = ring;
	q->cap = cap;
	q->head = 0;
}

bool keyq_push(struct keyq *q, const char *key)
{
	if (json_object_get(q->members, key))
		return false;
	if (q->n == q->cap)
		grow(q);
	q->ring[(q->head + q->n) % q->cap] = xstrdup(key);
	q->n++;
	json_object_set_new(q->members, key, json_true());
	return true;
}

char *keyq_pop(struct keyq *q)
{
	if (q->n == 0)
		return NULL;
	char *key = q->ring[q->head];
	q->ring[q->head] = NULL;
	q->head = (q->head + 1) % q->cap;
	q->n--;
	json_object_del(q->members, key);
	return key;
}

size_t keyq_len(const struct keyq *q)
{
	return q->n;
}
