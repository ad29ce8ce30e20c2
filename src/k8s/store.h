/*
 * A local cache of API objects of one kind, keyed by "namespace/name" (or "name" for
 * cluster-scoped objects), as an informer keeps it. Objects are jansson trees shared by reference:
 * the store holds one reference to each; readers borrow.
 */
#ifndef INGOT_K8S_STORE_H
#define INGOT_K8S_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct k8s_store;

struct k8s_store *k8s_store_new(void);
void k8s_store_free(struct k8s_store *s);
/* Borrowed; NULL if absent. */
const json_t *k8s_store_get(const struct k8s_store *s, const char *key);
const json_t *k8s_store_get_nn(const struct k8s_store *s, const char *ns, const char *name);
/* Stores obj (steals the reference) under its key. Returns the object it replaced, as a
 * reference the caller must json_decref(), or NULL. */
json_t *k8s_store_put(struct k8s_store *s, json_t *obj);
/* Removes key; returns the removed object (caller decrefs) or NULL. */
json_t *k8s_store_remove(struct k8s_store *s, const char *key);
size_t k8s_store_count(const struct k8s_store *s);
/* Calls fn for every object (in no particular order). fn must not change the store. */
void k8s_store_foreach(const struct k8s_store *s, void (*fn)(void *arg, const char *key,
							      const json_t *obj), void *arg);
/* Swaps the contents of two stores (a relist builds a new snapshot, then swaps). */
void k8s_store_swap(struct k8s_store *a, struct k8s_store *b);
void k8s_store_clear(struct k8s_store *s);

/* The store key of an object ("ns/name" or "name"); NULL if it has no name. Caller frees. */
char *k8s_object_key(const json_t *obj);
/* metadata.<field> as a string, or NULL. */
const char *k8s_meta(const json_t *obj, const char *field);

#endif
