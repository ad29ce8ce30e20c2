/*
 * Service references in decisions: owned copies of namespace and name, ordered by namespace then
 * name so that every list a decision holds comes out in one order whatever the input order.
 */
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "speaker/speaker_int.h"

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

void spk_svc_ref_set(struct spk_svc_ref *r, const struct spk_service *s)
{
	r->namespace = xstrdup(or_empty(s->namespace));
	r->name = xstrdup(or_empty(s->name));
}

void spk_svc_ref_copy(struct spk_svc_ref *dst, const struct spk_svc_ref *src)
{
	dst->namespace = xstrdup(src->namespace);
	dst->name = xstrdup(src->name);
}

void spk_svc_ref_free(struct spk_svc_ref *r)
{
	free(r->namespace);
	free(r->name);
	r->namespace = r->name = NULL;
}

int spk_svc_ref_cmp(const struct spk_svc_ref *a, const struct spk_svc_ref *b)
{
	int c = strcmp(a->namespace, b->namespace);
	return c ? c : strcmp(a->name, b->name);
}

int spk_service_cmp(const struct spk_service *a, const struct spk_service *b)
{
	int c = strcmp(or_empty(a->namespace), or_empty(b->namespace));
	return c ? c : strcmp(or_empty(a->name), or_empty(b->name));
}
