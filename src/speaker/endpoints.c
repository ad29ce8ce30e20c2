/*
 * Which endpoints of a Service can serve, and on which nodes.
 *
 * An endpoint can serve when `ready` is unset or true, or `serving` is true (MetalLB
 * internal/k8s/epslices EndpointCanServe). An address listed several times for one node (a
 * Service whose ports are split over several slices, mid-update) serves only if every occurrence
 * can: one that cannot takes precedence, as MetalLB's hasHealthyEndpoint decides. An endpoint
 * without addresses stands for itself.
 */
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "speaker/speaker_int.h"

bool spk_endpoint_can_serve(const struct spk_endpoint *ep)
{
	return ep->ready != SPK_COND_FALSE || ep->serving == SPK_COND_TRUE;
}

struct occurrence {
	const char *node;        /* NULL when the endpoint has none */
	const char *address;     /* NULL for an endpoint without addresses (never grouped) */
	size_t serial;           /* keeps address-less endpoints apart */
	bool can_serve;
};

static int str_cmp_null(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int occurrence_cmp(const void *pa, const void *pb)
{
	const struct occurrence *a = pa, *b = pb;
	int c = str_cmp_null(a->node, b->node);
	if (c)
		return c;
	c = str_cmp_null(a->address, b->address);
	if (c)
		return c;
	if (!a->address && a->serial != b->serial)
		return a->serial < b->serial ? -1 : 1;
	return 0;
}

static int name_cmp(const void *pa, const void *pb)
{
	return strcmp(*(const char *const *)pa, *(const char *const *)pb);
}

void spk_serving_compute(const struct spk_service *svc, struct spk_serving *out)
{
	memset(out, 0, sizeof(*out));
	size_t n = 0;
	for (size_t s = 0; s < svc->nslices; s++) {
		for (size_t e = 0; e < svc->slices[s].nendpoints; e++) {
			size_t na = svc->slices[s].endpoints[e].naddresses;
			n += na ? na : 1;
		}
	}
	if (n == 0)
		return;
	struct occurrence *occ = xcalloc(n, sizeof(*occ));
	size_t k = 0;
	for (size_t s = 0; s < svc->nslices; s++) {
		for (size_t e = 0; e < svc->slices[s].nendpoints; e++) {
			const struct spk_endpoint *ep = &svc->slices[s].endpoints[e];
			bool ok = spk_endpoint_can_serve(ep);
			if (ep->naddresses == 0) {
				occ[k] = (struct occurrence){ ep->node, NULL, k, ok };
				k++;
			}
			for (size_t a = 0; a < ep->naddresses; a++) {
				occ[k] = (struct occurrence){ ep->node, ep->addresses[a], k, ok };
				k++;
			}
		}
	}
	qsort(occ, n, sizeof(*occ), occurrence_cmp);

	const char **nodes = xcalloc(n, sizeof(*nodes));
	size_t nn = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		bool ok = true;
		while (j < n && occurrence_cmp(&occ[i], &occ[j]) == 0) {
			ok = ok && occ[j].can_serve;
			j++;
		}
		if (ok) {
			out->any = true;
			if (occ[i].node && (nn == 0 || strcmp(nodes[nn - 1], occ[i].node) != 0))
				nodes[nn++] = occ[i].node;
		}
		i = j;
	}
	free(occ);
	/* occurrences are ordered by node first, so nodes is sorted and unique */
	if (nn == 0) {
		free(nodes);
		nodes = NULL;
	}
	out->nodes = nodes;
	out->nnodes = nn;
}

bool spk_serving_on(const struct spk_serving *s, const char *node)
{
	if (!node)
		return s->any;
	return s->nnodes && bsearch(&node, s->nodes, s->nnodes, sizeof(*s->nodes), name_cmp);
}

void spk_serving_free(struct spk_serving *s)
{
	free(s->nodes);
	memset(s, 0, sizeof(*s));
}

bool spk_service_serving(const struct spk_service *svc, const char *node)
{
	struct spk_serving s;
	spk_serving_compute(svc, &s);
	bool r = spk_serving_on(&s, node);
	spk_serving_free(&s);
	return r;
}
