/*
 * The Events the speaker posts on Services, from the change between two decisions, with
 * MetalLB's reasons and texts (speaker/main.go handleService, layer2_controller.go SetBalancer):
 *   nodeAssigned   Normal   announcing from node "N" with protocol "layer2" | "bgp"
 *   announceFailed Warning  the interfaces specified by LB IP "X" doesn't exist in assigned node
 *                           "N" with protocol "layer2"
 * MetalLB posts them on every successful sync; given no previous decision this does the same,
 * given one it posts only what is new. A Service that wins an IP whose interfaces are missing
 * gets announceFailed and, unlike MetalLB, no nodeAssigned for that IP.
 */
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "speaker/speaker_int.h"

struct refs {
	const struct spk_svc_ref **v;
	size_t n, cap;
};

static void refs_add(struct refs *r, const struct spk_svc_ref *ref)
{
	r->v = spk_grow(r->v, &r->cap, r->n, sizeof(*r->v));
	r->v[r->n++] = ref;
}

static int ref_ptr_cmp(const void *pa, const void *pb)
{
	return spk_svc_ref_cmp(*(const struct spk_svc_ref *const *)pa,
			       *(const struct spk_svc_ref *const *)pb);
}

static void refs_finish(struct refs *r)
{
	spk_sort(r->v, r->n, sizeof(*r->v), ref_ptr_cmp);
	size_t k = 0;
	for (size_t i = 0; i < r->n; i++) {
		if (k == 0 || spk_svc_ref_cmp(r->v[k - 1], r->v[i]) != 0)
			r->v[k++] = r->v[i];
	}
	r->n = k;
}

static bool refs_has(const struct refs *r, const struct spk_svc_ref *ref)
{
	return r->n && bsearch(&ref, r->v, r->n, sizeof(*r->v), ref_ptr_cmp);
}

static void collect_l2(const struct spk_decision *d, struct refs *r)
{
	for (size_t i = 0; d && i < d->nowned; i++) {
		for (size_t k = 0; k < d->owned[i].nservices; k++)
			refs_add(r, &d->owned[i].services[k]);
	}
	refs_finish(r);
}

static void collect_bgp(const struct spk_decision *d, struct refs *r)
{
	for (size_t p = 0; d && p < d->npeers; p++) {
		for (size_t i = 0; i < d->peers[p].nroutes; i++) {
			const struct spk_bgp_route *rt = &d->peers[p].routes[i];
			for (size_t k = 0; k < rt->nservices; k++)
				refs_add(r, &rt->services[k]);
		}
	}
	refs_finish(r);
}

static void add(struct spk_events *ev, size_t *cap, const struct spk_svc_ref *svc,
		enum spk_event_type type, const char *reason, char *message)
{
	ev->v = spk_grow(ev->v, cap, ev->n, sizeof(*ev->v));
	struct spk_event *e = &ev->v[ev->n++];
	spk_svc_ref_copy(&e->service, svc);
	e->type = type;
	e->reason = reason;
	e->message = message;
}

static void assigned(struct spk_events *ev, size_t *cap, const struct refs *prev,
		     const struct refs *next, const char *node, const char *protocol)
{
	for (size_t i = 0; i < next->n; i++) {
		if (refs_has(prev, next->v[i]))
			continue;
		add(ev, cap, next->v[i], SPK_EVENT_NORMAL, SPK_REASON_NODE_ASSIGNED,
		    xasprintf("announcing from node \"%s\" with protocol \"%s\"", node, protocol));
	}
}

static bool failed_before(const struct spk_decision *prev, const ip_addr *ip,
			  const struct spk_svc_ref *svc)
{
	for (size_t i = 0; prev && i < prev->nfailures; i++) {
		if (!ip_addr_eq(&prev->failures[i].ip, ip))
			continue;
		for (size_t k = 0; k < prev->failures[i].nservices; k++) {
			if (spk_svc_ref_cmp(&prev->failures[i].services[k], svc) == 0)
				return true;
		}
	}
	return false;
}

static int event_cmp(const void *pa, const void *pb)
{
	const struct spk_event *a = pa, *b = pb;
	int c = spk_svc_ref_cmp(&a->service, &b->service);
	if (!c)
		c = strcmp(a->reason, b->reason);
	return c ? c : strcmp(a->message, b->message);
}

void spk_events(const struct spk_decision *prev, const struct spk_decision *next,
		struct spk_events *out)
{
	memset(out, 0, sizeof(*out));
	size_t cap = 0;
	const char *node = next->node_name ? next->node_name : "";

	struct refs p2 = { 0 }, n2 = { 0 }, pb = { 0 }, nb = { 0 };
	collect_l2(prev, &p2);
	collect_l2(next, &n2);
	collect_bgp(prev, &pb);
	collect_bgp(next, &nb);
	assigned(out, &cap, &p2, &n2, node, "layer2");
	assigned(out, &cap, &pb, &nb, node, "bgp");
	free(p2.v);
	free(n2.v);
	free(pb.v);
	free(nb.v);

	for (size_t i = 0; i < next->nfailures; i++) {
		const struct spk_l2_failure *f = &next->failures[i];
		char ip[IP_ADDR_STRLEN];
		ip_addr_format(&f->ip, ip, sizeof(ip));
		for (size_t k = 0; k < f->nservices; k++) {
			if (failed_before(prev, &f->ip, &f->services[k]))
				continue;
			add(out, &cap, &f->services[k], SPK_EVENT_WARNING, SPK_REASON_ANNOUNCE_FAILED,
			    xasprintf("the interfaces specified by LB IP \"%s\" doesn't exist in "
				      "assigned node \"%s\" with protocol \"layer2\"", ip, node));
		}
	}
	spk_sort(out->v, out->n, sizeof(*out->v), event_cmp);
}

void spk_events_free(struct spk_events *ev)
{
	for (size_t i = 0; i < ev->n; i++) {
		spk_svc_ref_free(&ev->v[i].service);
		free(ev->v[i].message);
	}
	free(ev->v);
	memset(ev, 0, sizeof(*ev));
}
