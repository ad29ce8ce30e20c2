/*
 * Object store keyed by namespace/name (see store.h). A jansson object is the hash table.
 */
#include "k8s/store.h"

#include <stdlib.h>

#include "core/log.h"
#include "core/xalloc.h"

struct k8s_store {
	json_t *map;
};

struct k8s_store *k8s_store_new(void)
{
	struct k8s_store *s = XNEW(struct k8s_store);
	s->map = json_object();
	if (!s->map)
		log_fatal("k8s", "out of memory", "");
	return s;
}

void k8s_store_free(struct k8s_store *s)
{
	if (!s)
		return;
	json_decref(s->map);
	free(s);
}

const char *k8s_meta(const json_t *obj, const char *field)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), field));
}

char *k8s_object_key(const json_t *obj)
{
	const char *name = k8s_meta(obj, "name");
	const char *ns = k8s_meta(obj, "namespace");
	if (!name || !*name)
		return NULL;
	return ns && *ns ? xasprintf("%s/%s", ns, name) : xstrdup(name);
}

const json_t *k8s_store_get(const struct k8s_store *s, const char *key)
{
	return json_object_get(s->map, key);
}

const json_t *k8s_store_get_nn(const struct k8s_store *s, const char *ns, const char *name)
{
	if (!ns || !*ns)
		return k8s_store_get(s, name);
	char *key = xasprintf("%s/%s", ns, name);
	const json_t *o = k8s_store_get(s, key);
	free(key);
	return o;
}

json_t *k8s_store_put(struct k8s_store *s, json_t *obj)
{
	char *key = k8s_object_key(obj);
	if (!key) {
		json_decref(obj);
		return NULL;
	}
	json_t *old = json_incref(json_object_get(s->map, key));
	json_object_set_new(s->map, key, obj);
	free(key);
	return old;
}

json_t *k8s_store_remove(struct k8s_store *s, const char *key)
{
	json_t *old = json_incref(json_object_get(s->map, key));
	if (old)
		json_object_del(s->map, key);
	return old;
}

size_t k8s_store_count(const struct k8s_store *s)
{
	return json_object_size(s->map);
}

void k8s_store_foreach(const struct k8s_store *s, void (*fn)(void *arg, const char *key,
							      const json_t *obj), void *arg)
{
	const char *key;
	json_t *obj;
	json_object_foreach(s->map, key, obj)
		fn(arg, key, obj);
}

void k8s_store_swap(struct k8s_store *a, struct k8s_store *b)
{
	json_t *t = a->map;
	a->map = b->map;
	b->map = t;
}

void k8s_store_clear(struct k8s_store *s)
{
	json_object_clear(s->map);
}
