/*
 * Who holds which address: Service records, in-use address entries and the sharing index, and
 * MetalLB's sharing check (internal/allocator checkSharing, sharingOK). Every change to the free
 * space of a pool goes through state_assign() and state_unassign(), so the free intervals, the
 * address map and the pool counters always agree.
 */
#include "alloc/alloc_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"

/* Most Services have no sharing key and a Cluster policy: one shared "" instead of two mallocs. */
static char empty_key[1];

static char *key_dup(const char *text)
{
	return *text ? xstrdup(text) : empty_key;
}

static void key_free(char *text)
{
	if (text != empty_key)
		free(text);
}

static bool same_port(const struct svc_port *x, const struct svc_port *y)
{
	return x->port == y->port && x->protocol == y->protocol;
}

/* Map key of an address: the family byte and the 16 address bytes. */
#define IPKEY_LEN 17

static void ip_key(const ip_addr *ip, unsigned char key[IPKEY_LEN])
{
	key[0] = ip->family;
	memcpy(key + 1, ip->bytes, 16);
}

struct asvc *svc_get(const struct alloc *a, const char *key)
{
	return hmap_get(&a->services, key, strlen(key));
}

struct asvc *svc_get_or_add(struct alloc *a, const char *key)
{
	struct asvc *s = svc_get(a, key);
	if (!s) {
		s = XNEW(struct asvc);
		s->key = xstrdup(key);
		hmap_put(&a->services, key, strlen(key), s);
	}
	return s;
}

void svc_set_pending(struct alloc *a, struct asvc *s, bool pending)
{
	if (s->pending == pending)
		return;
	s->pending = pending;
	if (pending) {
		s->pending_prev = a->pending_tail;
		s->pending_next = NULL;
		if (a->pending_tail)
			a->pending_tail->pending_next = s;
		else
			a->pending_head = s;
		a->pending_tail = s;
		return;
	}
	if (s->pending_prev)
		s->pending_prev->pending_next = s->pending_next;
	else
		a->pending_head = s->pending_next;
	if (s->pending_next)
		s->pending_next->pending_prev = s->pending_prev;
	else
		a->pending_tail = s->pending_prev;
	s->pending_prev = s->pending_next = NULL;
}

void svc_maybe_drop(struct alloc *a, struct asvc *s)
{
	if (s->nips || s->pending)
		return;
	hmap_del(&a->services, s->key, strlen(s->key));
	svc_record_free(s);
}

void svc_record_free(struct asvc *s)
{
	free(s->key);
	free(s->ports);
	key_free(s->sharing);
	key_free(s->backend);
	free(s);
}

struct ipent *ipent_get(const struct alloc *a, const ip_addr *ip)
{
	unsigned char key[IPKEY_LEN];
	ip_key(ip, key);
	return hmap_get(&a->ips, key, IPKEY_LEN);
}

/*
 * Map key of a sharing group: the sharing key, a NUL, the backend key. Built in buf when it fits
 * (the caller frees the result only when it is not buf).
 */
static char *group_key(const char *sharing, const char *backend, char *buf, size_t size,
		       size_t *len)
{
	size_t ls = strlen(sharing), lb = strlen(backend);
	char *k = ls + lb + 2 <= size ? buf : xmalloc(ls + lb + 2);
	memcpy(k, sharing, ls + 1);
	memcpy(k + ls + 1, backend, lb + 1);
	*len = ls + 1 + lb;
	return k;
}

struct keylist *keylist_get(const struct alloc *a, const char *sharing, const char *backend)
{
	char buf[256];
	size_t len;
	char *k = group_key(sharing, backend, buf, sizeof(buf), &len);
	struct keylist *l = hmap_get(&a->sharing, k, len);
	if (k != buf)
		free(k);
	return l;
}

static void port_key(const struct svc_port *p, unsigned char key[3])
{
	key[0] = (unsigned char)p->protocol;
	key[1] = (unsigned char)(p->port >> 8);
	key[2] = (unsigned char)(p->port & 0xff);
}

const struct ostree *keylist_port_users(const struct keylist *l, const struct svc_port *p)
{
	unsigned char key[3];
	port_key(p, key);
	return hmap_get(&l->ports, key, sizeof(key));
}

struct oskey ipent_key(const struct ipent *e)
{
	return (struct oskey){ .family = e->ip.family, .value = e->value };
}

/* Records that user u of address e uses (add) or no longer uses (!add) its ports. */
static void count_ports(struct keylist *l, const struct ipent *e, const struct asvc *u, bool add)
{
	for (size_t i = 0; l && i < u->nports; i++) {
		unsigned char key[3];
		port_key(&u->ports[i], key);
		struct ostree *t = hmap_get(&l->ports, key, sizeof(key));
		if (add) {
			if (!t) {
				t = XNEW(struct ostree);
				ostree_init(t);
				hmap_put(&l->ports, key, sizeof(key), t);
			}
			ostree_insert(t, ipent_key(e));
		} else {
			ostree_remove(t, ipent_key(e));
			if (ostree_size(t) == 0) {
				hmap_del(&l->ports, key, sizeof(key));
				free(t);
			}
		}
	}
}

static void index_add(struct alloc *a, struct ipent *e)
{
	if (!*e->sharing)
		return;
	struct keylist *l = keylist_get(a, e->sharing, e->backend);
	if (!l) {
		l = XNEW(struct keylist);
		ostree_init(&l->all);
		hmap_init(&l->ports);
		char buf[256];
		size_t len;
		char *k = group_key(e->sharing, e->backend, buf, sizeof(buf), &len);
		hmap_put(&a->sharing, k, len, l);
		if (k != buf)
			free(k);
	}
	e->group = l;
	ostree_insert(&l->all, ipent_key(e));
	for (size_t u = 0; u < e->nusers; u++)
		count_ports(l, e, e->users[u], true);
}

static void keylist_free(struct keylist *l)
{
	size_t it = 0;
	const struct hmap_slot *slot;
	while (hmap_next(&l->ports, &it, &slot)) {
		ostree_clear(slot->value);
		free(slot->value);
	}
	hmap_free(&l->ports);
	ostree_clear(&l->all);
	free(l);
}

static void index_remove(struct alloc *a, struct ipent *e)
{
	if (!*e->sharing)
		return;
	struct keylist *l = e->group;
	if (!l)
		log_fatal("alloc", "sharing index out of step", "key=%s", e->sharing);
	for (size_t u = 0; u < e->nusers; u++)
		count_ports(l, e, e->users[u], false);
	ostree_remove(&l->all, ipent_key(e));
	e->group = NULL;
	if (ostree_size(&l->all) == 0) {
		char buf[256];
		size_t len;
		char *k = group_key(e->sharing, e->backend, buf, sizeof(buf), &len);
		hmap_del(&a->sharing, k, len);
		if (k != buf)
			free(k);
		keylist_free(l);
	}
}

static void set_keys(struct alloc *a, struct ipent *e, const char *sharing, const char *backend)
{
	if (e->sharing && strcmp(e->sharing, sharing) == 0 && strcmp(e->backend, backend) == 0)
		return;
	if (e->sharing) {
		index_remove(a, e);
		key_free(e->sharing);
		key_free(e->backend);
	}
	e->sharing = key_dup(sharing);
	e->backend = key_dup(backend);
	index_add(a, e);
}

static void ipent_free(struct ipent *e)
{
	key_free(e->sharing);
	key_free(e->backend);
	free(e->users);
	free(e);
}

void state_unassign(struct alloc *a, struct asvc *s)
{
	for (size_t i = 0; i < s->nips; i++) {
		unsigned char key[IPKEY_LEN];
		ip_key(&s->ips[i], key);
		struct ipent *e = hmap_get(&a->ips, key, IPKEY_LEN);
		if (!e)
			log_fatal("alloc", "assigned address has no entry", "service=%s", s->key);
		size_t j = 0;
		while (j < e->nusers && e->users[j] != s)
			j++;
		if (j == e->nusers)
			log_fatal("alloc", "service missing from its address", "service=%s", s->key);
		count_ports(e->group, e, s, false);
		e->users[j] = e->users[--e->nusers];
		if (e->nusers == 0) {
			index_remove(a, e);
			if (e->pool)      /* NULL: its pool went away in alloc_set_pools */
				pool_put(e->pool, e->range, e->value);
			hmap_del(&a->ips, key, IPKEY_LEN);
			ipent_free(e);
		}
	}
	s->nips = 0;
	s->pool = NULL;
}

void state_assign(struct alloc *a, struct asvc *s, struct apool *pool, const ip_addr *ips,
		  size_t nips, const struct svc_port *ports, size_t nports, const char *sharing,
		  const char *backend)
{
	/* The inputs may point into s itself (re-assigning the same IPs): copy them first. */
	ip_addr want[2];
	memcpy(want, ips, nips * sizeof(*want));
	/* Duplicates dropped (the API server refuses them anyway): the port counts of the sharing
	 * index assume each port appears once per Service. */
	struct svc_port *port_copy = xcalloc(nports ? nports : 1, sizeof(*port_copy));
	size_t nunique = 0;
	for (size_t i = 0; i < nports; i++) {
		bool dup = false;
		for (size_t j = 0; j < nunique && !dup; j++)
			dup = same_port(&port_copy[j], &ports[i]);
		if (!dup)
			port_copy[nunique++] = ports[i];
	}
	nports = nunique;
	char *sharing_copy = key_dup(sharing);
	char *backend_copy = key_dup(backend);

	state_unassign(a, s);
	free(s->ports);
	key_free(s->sharing);
	key_free(s->backend);
	s->ports = port_copy;
	s->nports = nports;
	s->sharing = sharing_copy;
	s->backend = backend_copy;
	s->pool = pool;
	/* IPv4 first, as MetalLB orders status ingress. */
	if (nips == 2 && want[0].family == IP_V6) {
		ip_addr t = want[0];
		want[0] = want[1];
		want[1] = t;
	}
	for (size_t i = 0; i < nips; i++) {
		unsigned char key[IPKEY_LEN];
		ip_key(&want[i], key);
		struct ipent *e = hmap_get(&a->ips, key, IPKEY_LEN);
		if (!e) {
			struct apool *p;
			size_t r;
			if (!pool_find(a, &want[i], &p, &r) || p != pool)
				log_fatal("alloc", "assigning an address outside its pool",
					  "service=%s", s->key);
			e = XNEW(struct ipent);
			e->ip = want[i];
			e->value = u128_from_addr(&want[i]);
			e->pool = pool;
			e->range = r;
			pool_take(pool, r, e->value);
			hmap_put(&a->ips, key, IPKEY_LEN, e);
		}
		set_keys(a, e, s->sharing, s->backend);
		if ((e->nusers & (e->nusers - 1)) == 0)
			e->users = xreallocarray(e->users, e->nusers ? e->nusers * 2 : 1,
						 sizeof(*e->users));
		e->users[e->nusers++] = s;
		count_ports(e->group, e, s, true);
		s->ips[i] = want[i];
	}
	s->nips = nips;
}

void state_drop_all_ips(struct alloc *a)
{
	size_t it = 0;
	const struct hmap_slot *slot;
	while (hmap_next(&a->ips, &it, &slot))
		ipent_free(slot->value);
	hmap_free(&a->ips);
	it = 0;
	while (hmap_next(&a->sharing, &it, &slot))
		keylist_free(slot->value);
	hmap_free(&a->sharing);
}

/* The first of the Service's ports already used on e by another Service, or NULL. */
static const struct svc_port *port_in_use(const struct ipent *e, const char *key,
					  const struct svc_port *ports, size_t nports)
{
	for (size_t u = 0; u < e->nusers; u++) {
		const struct asvc *other = e->users[u];
		if (strcmp(other->key, key) == 0)
			continue;
		for (size_t i = 0; i < nports; i++) {
			for (size_t j = 0; j < other->nports; j++) {
				if (same_port(&ports[i], &other->ports[j]))
					return &ports[i];
			}
		}
	}
	return NULL;
}

char *state_check_sharing(const struct alloc *a, const char *key, const ip_addr *ip,
			  const struct svc_port *ports, size_t nports, const char *sharing,
			  const char *backend)
{
	const struct ipent *e = ipent_get(a, ip);
	if (!e)
		return NULL;
	bool keys_ok = *e->sharing && *sharing && strcmp(e->sharing, sharing) == 0 &&
		       strcmp(e->backend, backend) == 0;
	if (!keys_ok) {
		/* A lone owner may change its own key; anyone else is refused. */
		size_t len = 0, others = 0;
		for (size_t u = 0; u < e->nusers; u++) {
			if (strcmp(e->users[u]->key, key) != 0) {
				len += strlen(e->users[u]->key) + 1;
				others++;
			}
		}
		if (others) {
			char *list = xmalloc(len + 1);
			size_t o = 0;
			for (size_t u = 0; u < e->nusers; u++) {
				const char *k = e->users[u]->key;
				if (strcmp(k, key) == 0)
					continue;
				if (o)
					list[o++] = ',';
				memcpy(list + o, k, strlen(k));
				o += strlen(k);
			}
			list[o] = '\0';
			char *q = go_quote(key);
			char *err = xasprintf("can't change sharing key for %s, "
					      "address also in use by %s", q, list);
			free(q);
			free(list);
			return err;
		}
	}
	const struct svc_port *clash = port_in_use(e, key, ports, nports);
	if (clash) {
		char port[32];
		port_string(clash, port, sizeof(port));
		char *q = go_quote_ips(ip, 1);
		/* %q of one net.IP: strip the brackets go_quote_ips adds for a list. */
		q[strlen(q) - 1] = '\0';
		char *err = xasprintf("port %s is already in use on %s", port, q + 1);
		free(q);
		return err;
	}
	return NULL;
}
