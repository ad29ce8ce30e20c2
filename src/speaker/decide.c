/*
 * Entry points of the decisions (speaker.h) and the one function that frees a decision.
 */
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "speaker/speaker_int.h"

static void start(struct spk_ctx *c, const struct spk_inputs *in, struct spk_decision *out)
{
	memset(out, 0, sizeof(*out));
	out->node_name = xstrdup(in->node_name ? in->node_name : "");
	spk_ctx_init(c, in);
}

void spk_decide(const struct spk_inputs *in, struct spk_decision *out)
{
	struct spk_ctx c;
	start(&c, in, out);
	spk_bgp_fill(&c, out);
	spk_l2_fill(&c, out);
	spk_ctx_free(&c);
}

void spk_decide_bgp(const struct spk_inputs *in, struct spk_decision *out)
{
	struct spk_ctx c;
	start(&c, in, out);
	spk_bgp_fill(&c, out);
	spk_ctx_free(&c);
}

void spk_decide_l2(const struct spk_inputs *in, struct spk_decision *out)
{
	struct spk_ctx c;
	start(&c, in, out);
	spk_l2_fill(&c, out);
	spk_ctx_free(&c);
}

static void free_refs(struct spk_svc_ref *refs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		spk_svc_ref_free(&refs[i]);
	free(refs);
}

void spk_decision_free(struct spk_decision *d)
{
	for (size_t i = 0; i < d->npeers; i++) {
		struct spk_bgp_peer *p = &d->peers[i];
		for (size_t r = 0; r < p->nroutes; r++) {
			free(p->routes[r].communities);
			free(p->routes[r].large_communities);
			free_refs(p->routes[r].services, p->routes[r].nservices);
		}
		free(p->routes);
		free(p->name);
	}
	free(d->peers);
	for (size_t i = 0; i < d->nowned; i++) {
		for (size_t k = 0; k < d->owned[i].nifaces; k++)
			free(d->owned[i].ifaces[k]);
		free(d->owned[i].ifaces);
		free_refs(d->owned[i].services, d->owned[i].nservices);
	}
	free(d->owned);
	for (size_t i = 0; i < d->nelections; i++)
		free(d->elections[i].owner);
	free(d->elections);
	for (size_t i = 0; i < d->nfailures; i++)
		free_refs(d->failures[i].services, d->failures[i].nservices);
	free(d->failures);
	free(d->node_name);
	memset(d, 0, sizeof(*d));
}
