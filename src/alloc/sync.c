/*
 * Converging one Service (MetalLB controller/service.go convergeBalancer) and restart import.
 *
 * Keep what is right, change only what must change: IPs already in status stay when the config
 * still allows them and the Service still asks for them; otherwise they are dropped (with
 * MetalLB's ClearAssignment event when the config refused them) and a fresh allocation is made.
 * A PreferDualStack Service that holds one IP gets the other family added from the same pool.
 */
#include "alloc/alloc_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

static void request_init(struct request *rq, const struct alloc_service *svc)
{
	rq->svc = svc;
	rq->key = svc_key(svc);
	svc_annotations_read(svc, &rq->ann);
	rq->sharing = rq->ann.sharing_key;
	rq->backend = svc_backend_key(svc);
	rq->family = svc_family_of(svc);
}

static void request_free(struct request *rq)
{
	free(rq->key);
	free(rq->backend);
}

static void add_event(struct alloc_result *res, bool warning, const char *reason,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void add_event(struct alloc_result *res, bool warning, const char *reason,
		      const char *fmt, ...)
{
	if (res->nevents == ALLOC_MAX_EVENTS)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = xstrdup(reason);
	va_end(ap);
	res->events[res->nevents++] = (struct alloc_event){
		.warning = warning, .reason = reason, .message = msg,
	};
}

/* %q of the status IPs as written: ["a" "b"]. */
static char *quote_status(const struct alloc_service *svc)
{
	size_t len = 3;
	char **parts = xcalloc(svc->nstatus_ips ? svc->nstatus_ips : 1, sizeof(*parts));
	size_t n = 0;
	for (size_t i = 0; i < svc->nstatus_ips; i++) {
		if (svc->status_ips[i] && *svc->status_ips[i]) {
			parts[n] = go_quote(svc->status_ips[i]);
			len += strlen(parts[n++]) + 1;
		}
	}
	char *out = xmalloc(len);
	size_t o = 0;
	out[o++] = '[';
	for (size_t i = 0; i < n; i++) {
		if (i)
			out[o++] = ' ';
		memcpy(out + o, parts[i], strlen(parts[i]));
		o += strlen(parts[i]);
		free(parts[i]);
	}
	out[o++] = ']';
	out[o] = '\0';
	free(parts);
	return out;
}

/*
 * The IPs in status. Returns false when they cannot be read as a valid set (unparsable, more than
 * two, two of one family); *err then holds MetalLB's nolbIPsIPFamily text (ipfamily.ForAddresses).
 */
static bool status_ips(const struct alloc_service *svc, ip_addr out[2], size_t *n, char **err)
{
	*n = 0;
	*err = NULL;
	size_t seen = 0;
	bool parsed = true;
	for (size_t i = 0; i < svc->nstatus_ips; i++) {
		const char *text = svc->status_ips[i];
		if (!text || !*text)
			continue;
		ip_addr ip;
		if (!ip_addr_parse(text, &ip))
			parsed = false;
		else if (seen < 2)
			out[seen] = ip;
		seen++;
	}
	const char *why = NULL;
	if (seen > 2)
		why = "invalid ips length";
	else if (!parsed)
		why = "Invalid address";
	else if (seen == 2 && out[0].family == out[1].family)
		why = "same address family";
	if (why) {
		char *q = quote_status(svc);
		*err = seen > 2 ? xasprintf("IPFamilyForAddresses: %s %zu %s", why, seen, q)
				: xasprintf("IPFamilyForAddresses: %s %s", why, q);
		free(q);
		return false;
	}
	*n = seen;
	return true;
}

/* MetalLB serviceFamilyChanged. */
static bool family_changed(enum svc_family lb, enum svc_family svc, enum svc_family_policy policy)
{
	if (lb == FAM_UNKNOWN)
		return true;
	if (lb == svc)
		return false;
	return !(svc == FAM_DUAL && policy == SVC_PREFER_DUAL_STACK);
}

static bool same_ips(const ip_addr *a, size_t na, const ip_addr *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++) {
		bool found = false;
		for (size_t j = 0; j < nb && !found; j++)
			found = ip_addr_eq(&a[i], &b[j]);
		if (!found)
			return false;
	}
	return true;
}

static void unassign_key(struct alloc *a, const char *key)
{
	struct asvc *s = svc_get(a, key);
	if (s)
		state_unassign(a, s);
}

static void mark_pending(struct alloc *a, const char *key)
{
	struct asvc *s = svc_get_or_add(a, key);
	state_unassign(a, s);
	svc_set_pending(a, s, true);
}

/* Keeps the current IPs if still right; returns how many are kept (0: allocate afresh). */
static size_t keep_current(struct alloc *a, const struct request *rq, const ip_addr *cur,
			   size_t ncur, struct alloc_result *res, bool *bad_request)
{
	char *err = choose_assign(a, rq, cur, ncur);
	if (err) {
		char *q = go_quote(rq->key);
		add_event(res, false, "ClearAssignment", "current IP for %s not allowed by config, "
			  "will attempt for new IP assignment: %s", q, err);
		free(q);
		free(err);
		unassign_key(a, rq->key);
		return 0;
	}
	struct asvc *s = svc_get(a, rq->key);
	const char *want_pool = rq->ann.address_pool;
	if (want_pool && *want_pool && strcmp(s->pool->name, want_pool) != 0) {
		state_unassign(a, s);      /* differentPoolRequested */
		return 0;
	}
	ip_addr want[2];
	size_t nwant;
	enum svc_family want_family;
	err = svc_requested_ips(rq->svc, &rq->ann, want, &nwant, &want_family);
	if (err) {
		/* MetalLB stops here and leaves the Service as it is. */
		add_event(res, true, "LoadBalancerFailed", "invalid requested loadbalancer IPs: %s",
			  err);
		free(err);
		*bad_request = true;
		return ncur;
	}
	if (nwant && !same_ips(cur, ncur, want, nwant)) {
		state_unassign(a, s);      /* differentIPRequested */
		return 0;
	}
	return ncur;
}

void alloc_sync(struct alloc *a, const struct alloc_service *svc, struct alloc_result *res)
{
	memset(res, 0, sizeof(*res));
	struct request rq;
	request_init(&rq, svc);
	res->deprecated = rq.ann.deprecated;

	if (svc->type != SVC_TYPE_LOAD_BALANCER) {
		alloc_release(a, svc->namespace ? svc->namespace : "", svc->name ? svc->name : "");
		res->outcome = ALLOC_NOT_LB;
		goto out;
	}
	res->outcome = ALLOC_FAILED;
	if (a->npools == 0 || rq.family == FAM_UNKNOWN) {
		mark_pending(a, rq.key);   /* no pools, or no ClusterIPs: MetalLB only logs */
		goto out;
	}
	if (svc->family_policy == SVC_REQUIRE_DUAL_STACK && svc->nfamilies < 2) {
		add_event(res, true, "not enough clusterips",
			  "Service requires dual stack but not enough clusterips");
		mark_pending(a, rq.key);
		goto out;
	}

	ip_addr cur[2];
	size_t ncur = 0;
	char *err = NULL;
	if (!status_ips(svc, cur, &ncur, &err)) {
		char *q = quote_status(svc);
		add_event(res, true, "nolbIPsIPFamily", "Failed to retrieve LBIPs IPFamily for %s: %s",
			  q, err);
		free(q);
		free(err);
		ncur = 0;
	} else if (ncur && family_changed(family_of_ips(cur, ncur), rq.family, svc->family_policy)) {
		ncur = 0;
	}
	bool bad_request = false;
	if (ncur)
		ncur = keep_current(a, &rq, cur, ncur, res, &bad_request);
	else
		unassign_key(a, rq.key);

	if (ncur == 1 && !bad_request && rq.family == FAM_DUAL &&
	    svc->family_policy == SVC_PREFER_DUAL_STACK) {
		ip_addr added;
		err = choose_additional(a, &rq, &added);
		if (err) {
			add_event(res, false, "AdditionalAssignFailed",
				  "cannot assign additional IP in PreferDualStack: %s", err);
			free(err);
		} else {
			char *q = go_quote_ips(&added, 1);
			q[strlen(q) - 1] = '\0';
			add_event(res, false, "IPAllocated", "Assigned additional IP %s", q + 1);
			free(q);
		}
	}
	if (ncur == 0) {
		err = choose_allocate(a, &rq);
		if (err) {
			char *q = go_quote(rq.key);
			add_event(res, true, "AllocationFailed", "Failed to allocate IP for %s: %s", q,
				  err);
			free(q);
			free(err);
			mark_pending(a, rq.key);
			goto out;
		}
	}

	struct asvc *s = svc_get(a, rq.key);
	if (ncur == 0) {
		char *q = go_quote_ips(s->ips, s->nips);
		add_event(res, false, "IPAllocated", "Assigned IP %s", q);
		free(q);
	}
	svc_set_pending(a, s, false);
	res->outcome = ALLOC_ASSIGNED;
	res->nips = s->nips;
	memcpy(res->ips, s->ips, s->nips * sizeof(*res->ips));
	res->pool = xstrdup(s->pool->name);
	ip_addr status[2];
	size_t nstatus = 0;
	char *ignored = NULL;
	res->changed = !status_ips(svc, status, &nstatus, &ignored) ||
		       !same_ips(status, nstatus, res->ips, res->nips);
	free(ignored);
out:
	request_free(&rq);
}

void alloc_result_free(struct alloc_result *res)
{
	for (size_t i = 0; i < res->nevents; i++)
		free(res->events[i].message);
	free(res->pool);
	memset(res, 0, sizeof(*res));
}

bool alloc_import(struct alloc *a, const struct alloc_service *svc)
{
	if (svc->type != SVC_TYPE_LOAD_BALANCER || a->npools == 0)
		return false;
	struct request rq;
	request_init(&rq, svc);
	ip_addr cur[2];
	size_t ncur = 0;
	char *err = NULL;
	bool kept = false;
	if (status_ips(svc, cur, &ncur, &err) && ncur > 0 && rq.family != FAM_UNKNOWN &&
	    !(svc->family_policy == SVC_REQUIRE_DUAL_STACK && svc->nfamilies < 2) &&
	    !family_changed(family_of_ips(cur, ncur), rq.family, svc->family_policy)) {
		err = choose_assign(a, &rq, cur, ncur);
		kept = err == NULL;
	}
	free(err);
	request_free(&rq);
	return kept;
}
