/* Test fixture for src/alloc (see alloc_fixture.h). */
#include "alloc_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

struct cfg_pool *fx_pool(struct cfg_model *m, const char *name, const char *const *addrs,
			 size_t naddrs)
{
	struct cfg_pool *p = model_add_pool(m);
	p->meta.name = xstrdup(name);
	p->auto_assign = true;
	p->addrs = xcalloc(naddrs, sizeof(*p->addrs));
	p->naddrs = naddrs;
	for (size_t i = 0; i < naddrs; i++) {
		const char *why = NULL;
		if (!ip_range_parse(addrs[i], &p->addrs[i].range, &why)) {
			fprintf(stderr, "fixture: bad range %s: %s\n", addrs[i], why ? why : "?");
			abort();
		}
		p->addrs[i].is_cidr = strchr(addrs[i], '/') != NULL;
	}
	return p;
}

void fx_selector(struct cfg_selectors *sels, const char *key, const char *value)
{
	struct cfg_selector *sel = selectors_add(sels);
	labels_set(&sel->match_labels, key, value);
}

void fx_svc_init(struct fx_svc *s, const char *ns, const char *name)
{
	memset(s, 0, sizeof(*s));
	s->ns = xstrdup(ns);
	s->name = xstrdup(name);
	s->v.namespace = s->ns;
	s->v.name = s->name;
	s->v.type = SVC_TYPE_LOAD_BALANCER;
	s->v.families[0] = IP_V4;
	s->v.nfamilies = 1;
	s->v.ports = s->ports;
	fx_ports(s, "TCP/80");
	s->v.status_ips = s->status_ptrs;
}

void fx_svc_free(struct fx_svc *s)
{
	labels_free(&s->v.labels);
	labels_free(&s->v.namespace_labels);
	labels_free(&s->v.annotations);
	labels_free(&s->v.selector);
	free(s->status[0]);
	free(s->status[1]);
	free(s->ns);
	free(s->name);
	memset(s, 0, sizeof(*s));
}

void fx_annotate(struct fx_svc *s, const char *key, const char *value)
{
	labels_set(&s->v.annotations, key, value);
}

void fx_ports(struct fx_svc *s, const char *spec)
{
	s->v.nports = 0;
	char *copy = xstrdup(spec);
	for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char proto[8];
		unsigned port;
		if (sscanf(tok, "%7[A-Z]/%u", proto, &port) != 2 || s->v.nports == FX_MAX_PORTS)
			abort();
		struct svc_port *p = &s->ports[s->v.nports++];
		p->port = (uint16_t)port;
		p->protocol = strcmp(proto, "UDP") == 0 ? SVC_PROTO_UDP
			      : strcmp(proto, "SCTP") == 0 ? SVC_PROTO_SCTP : SVC_PROTO_TCP;
	}
	free(copy);
}

void fx_families(struct fx_svc *s, enum svc_family_policy policy, const char *families)
{
	s->v.family_policy = policy;
	s->v.nfamilies = 0;
	for (const char *p = families; *p; p++) {
		if (*p == '4' || *p == '6')
			s->v.families[s->v.nfamilies++] = *p == '4' ? IP_V4 : IP_V6;
	}
}

void fx_status(struct fx_svc *s, const char *ips)
{
	free(s->status[0]);
	free(s->status[1]);
	s->status[0] = s->status[1] = NULL;
	s->v.nstatus_ips = 0;
	char *copy = xstrdup(ips);
	for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok && s->v.nstatus_ips < 2;
	     tok = strtok_r(NULL, ",", &save)) {
		s->status[s->v.nstatus_ips] = xstrdup(tok);
		s->status_ptrs[s->v.nstatus_ips] = s->status[s->v.nstatus_ips];
		s->v.nstatus_ips++;
	}
	free(copy);
}

static void ips_text(const ip_addr *ips, size_t n, char *buf, size_t size)
{
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i && o + 1 < size)
			buf[o++] = ',';
		int w = ip_addr_format(&ips[i], buf + o, size - o);
		if (w > 0)
			o += (size_t)w;
		buf[o] = '\0';
	}
}

const char *fx_sync(struct alloc *a, struct fx_svc *s, struct alloc_result *res_out)
{
	static char text[2 * IP_ADDR_STRLEN + 2];
	struct alloc_result local;
	struct alloc_result *res = res_out ? res_out : &local;
	alloc_sync(a, &s->v, res);
	if (res->outcome == ALLOC_ASSIGNED) {
		ips_text(res->ips, res->nips, text, sizeof(text));
		fx_status(s, text);
	} else {
		fx_status(s, "");
		strcpy(text, res->outcome == ALLOC_NOT_LB ? "-" : "");
	}
	if (!res_out)
		alloc_result_free(&local);
	return text;
}

const char *fx_event(const struct alloc_result *res, const char *reason)
{
	for (size_t i = 0; i < res->nevents; i++) {
		if (strcmp(res->events[i].reason, reason) == 0)
			return res->events[i].message;
	}
	return NULL;
}

const char *fx_ips(const struct alloc *a, const char *ns, const char *name)
{
	static char text[2 * IP_ADDR_STRLEN + 2];
	ip_addr ips[2];
	size_t n = alloc_service_ips(a, ns, name, ips, NULL);
	ips_text(ips, n, text, sizeof(text));
	return text;
}
