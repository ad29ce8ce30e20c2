/*
 * A work queue of object keys ("namespace/name"): first in, first out, and a key that is already
 * waiting is not added twice (a Service changed five times before it was looked at is synced
 * once, from its latest state).
 */
#ifndef INGOT_CONTROLLER_KEYQ_H
#define INGOT_CONTROLLER_KEYQ_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct keyq {
	char **ring;
	size_t cap, head, n;
	json_t *members;     /* key -> true, for the "already waiting" test */
};

void keyq_init(struct keyq *q);
void keyq_free(struct keyq *q);
/* Copies key. Returns false if it was already waiting. */
bool keyq_push(struct keyq *q, const char *key);
/* The oldest key (caller frees), or NULL when empty. */
char *keyq_pop(struct keyq *q);
size_t keyq_len(const struct keyq *q);
void keyq_clear(struct keyq *q);

#endif
