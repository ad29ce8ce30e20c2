/*
 * Reading the Service view as MetalLB's controller does: the annotations and their deprecated
 * forms (controller/service.go valueForAnnotation, SharingKey), the requested IPs
 * (getDesiredLbIPs), the family (internal/ipfamily), the sharing backend key (k8salloc.BackendKey)
 * and loadBalancerClass filtering.
 */
#include "alloc/alloc_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

static const char *annotation(const struct alloc_service *svc, const char *stable,
			      const char *deprecated, unsigned bit, unsigned *used)
{
	const char *old = labels_get(&svc->annotations, deprecated);
	if (old)
		*used |= bit;
	const char *value = labels_get(&svc->annotations, stable);
	return value ? value : old;
}

void svc_annotations_read(const struct alloc_service *svc, struct svc_annotations *out)
{
	memset(out, 0, sizeof(*out));
	out->address_pool = annotation(svc, ALLOC_ANN_ADDRESS_POOL, ALLOC_ANN_DEPRECATED_ADDRESS_POOL,
				       ALLOC_DEPRECATED_ADDRESS_POOL, &out->deprecated);
	out->lb_ips = annotation(svc, ALLOC_ANN_LB_IPS, ALLOC_ANN_DEPRECATED_LB_IPS,
				 ALLOC_DEPRECATED_LB_IPS, &out->deprecated);
	out->sharing_key = annotation(svc, ALLOC_ANN_ALLOW_SHARED, ALLOC_ANN_DEPRECATED_ALLOW_SHARED,
				      ALLOC_DEPRECATED_ALLOW_SHARED, &out->deprecated);
	if (!out->sharing_key)
		out->sharing_key = "";
}

const char *svc_deprecated_key(unsigned bit)
{
	switch (bit) {
	case ALLOC_DEPRECATED_ADDRESS_POOL:
		return ALLOC_ANN_DEPRECATED_ADDRESS_POOL;
	case ALLOC_DEPRECATED_LB_IPS:
		return ALLOC_ANN_DEPRECATED_LB_IPS;
	case ALLOC_DEPRECATED_ALLOW_SHARED:
		return ALLOC_ANN_DEPRECATED_ALLOW_SHARED;
	}
	return NULL;
}

const char *svc_replacement_key(unsigned bit)
{
	switch (bit) {
	case ALLOC_DEPRECATED_ADDRESS_POOL:
		return ALLOC_ANN_ADDRESS_POOL;
	case ALLOC_DEPRECATED_LB_IPS:
		return ALLOC_ANN_LB_IPS;
	case ALLOC_DEPRECATED_ALLOW_SHARED:
		return ALLOC_ANN_ALLOW_SHARED;
	}
	return NULL;
}

bool svc_class_handled(const char *svc_class, const char *my_class)
{
	bool has_class = svc_class && *svc_class;
	if (my_class && *my_class)
		return has_class && strcmp(svc_class, my_class) == 0;
	return !has_class;
}

char *svc_key(const struct alloc_service *svc)
{
	return xasprintf("%s/%s", svc->namespace ? svc->namespace : "", svc->name ? svc->name : "");
}

static int label_cmp(const void *x, const void *y)
{
	const struct cfg_label *a = x, *b = y;
	return strcmp(a->key, b->key);
}

char *svc_backend_key(const struct alloc_service *svc)
{
	if (svc->traffic_policy != SVC_TRAFFIC_LOCAL || svc->selector.n == 0)
		return xstrdup("");
	/* labels.Set(selector).String(): "k1=v1,k2=v2", keys sorted. */
	struct cfg_label *sorted = xcalloc(svc->selector.n, sizeof(*sorted));
	memcpy(sorted, svc->selector.v, svc->selector.n * sizeof(*sorted));
	qsort(sorted, svc->selector.n, sizeof(*sorted), label_cmp);
	size_t len = 1;
	for (size_t i = 0; i < svc->selector.n; i++)
		len += strlen(sorted[i].key) + strlen(sorted[i].value) + 2;
	char *out = xmalloc(len);
	size_t o = 0;
	for (size_t i = 0; i < svc->selector.n; i++) {
		size_t k = strlen(sorted[i].key), v = strlen(sorted[i].value);
		if (i)
			out[o++] = ',';
		memcpy(out + o, sorted[i].key, k);
		o += k;
		out[o++] = '=';
		memcpy(out + o, sorted[i].value, v);
		o += v;
	}
	out[o] = '\0';
	free(sorted);
	return out;
}

static enum svc_family one_family(enum ip_family f)
{
	return f == IP_V4 ? FAM_V4 : f == IP_V6 ? FAM_V6 : FAM_UNKNOWN;
}

enum svc_family svc_family_of(const struct alloc_service *svc)
{
	if (svc->nfamilies == 1)
		return one_family(svc->families[0]);
	if (svc->nfamilies == 2 && svc->families[0] != svc->families[1] &&
	    one_family(svc->families[0]) != FAM_UNKNOWN &&
	    one_family(svc->families[1]) != FAM_UNKNOWN)
		return FAM_DUAL;
	return FAM_UNKNOWN;
}

const char *svc_family_name(enum svc_family f)
{
	switch (f) {
	case FAM_V4:
		return "ipv4";
	case FAM_V6:
		return "ipv6";
	case FAM_DUAL:
		return "dual";
	case FAM_UNKNOWN:
		break;
	}
	return "unknown";
}

enum svc_family family_of_ips(const ip_addr *ips, size_t n)
{
	if (n == 1)
		return one_family(ips[0].family);
	if (n == 2 && ips[0].family != ips[1].family)
		return FAM_DUAL;
	return FAM_UNKNOWN;
}

/* Trims ASCII spaces at both ends of [*s, *s + *n). */
static void trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

char *svc_requested_ips(const struct alloc_service *svc, const struct svc_annotations *ann,
			ip_addr out[2], size_t *n, enum svc_family *family)
{
	const char *list = ann->lb_ips && *ann->lb_ips ? ann->lb_ips : NULL;
	const char *spec = svc->lb_ip && *svc->lb_ip ? svc->lb_ip : NULL;
	*n = 0;
	*family = FAM_UNKNOWN;
	if (!list && !spec)
		return NULL;
	if (list && spec)
		return xasprintf("service can not have both %s and svc.Spec.LoadBalancerIP",
				 ALLOC_ANN_LB_IPS);
	if (spec) {
		if (!ip_addr_parse(spec, &out[0])) {
			char *q = go_quote(spec);
			char *err = xasprintf("invalid spec.loadBalancerIP %s", q);
			free(q);
			return err;
		}
		*n = 1;
		*family = one_family(out[0].family);
		return NULL;
	}
	size_t count = 0;
	ip_addr parsed[3];
	for (const char *p = list;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		const char *item = p;
		trim(&item, &len);
		ip_addr ip;
		if (!ip_addr_parse_n(item, len, &ip)) {
			char *q = go_quote(list);
			char *err = xasprintf("invalid %s: %s", ALLOC_ANN_LB_IPS, q);
			free(q);
			return err;
		}
		if (count < 3)
			parsed[count] = ip;
		count++;
		if (!comma)
			break;
		p = comma + 1;
	}
	size_t shown = count < 3 ? count : 3;
	if (count > 2 || (count == 2 && parsed[0].family == parsed[1].family)) {
		char *q = go_quote_ips(parsed, shown);
		char *err = count > 2
			? xasprintf("IPFamilyForAddresses: invalid ips length %zu %s", count, q)
			: xasprintf("IPFamilyForAddresses: same address family %s", q);
		free(q);
		return err;
	}
	memcpy(out, parsed, count * sizeof(*out));
	*n = count;
	*family = family_of_ips(out, count);
	return NULL;
}
