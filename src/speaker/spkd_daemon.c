/*
 * The speaker daemon's core (spkd.h): on every update build the inputs, decide (speaker.h),
 * log what changed (BGP routes per peer, L2 IPs this node answers for, elections it lost), hand
 * the decision to the announcer and the Events (nodeAssigned, announceFailed) to the owner.
 * The previous decision is kept: the announcer borrows it, and Events are the difference.
 */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "speaker/spkd.h"

#define MAX_IFACES 256

struct spkd {
	char *node_name;
	spkd_event_fn emit;
	void *arg;
	struct spkd_announcer *ann;
	struct spk_decision cur;
	bool started;
	char *summary;                   /* what the last decision announces, for change logs */
};

struct spkd *spkd_new(const char *node_name, spkd_event_fn emit, void *arg)
{
	struct spkd *d = xcalloc(1, sizeof(*d));
	d->node_name = xstrdup(node_name);
	d->emit = emit;
	d->arg = arg;
	d->ann = spkd_announcer_new(node_name);
	return d;
}

bool spkd_started(const struct spkd *d)
{
	return d->started;
}

/* Appends text to a growing string. */
static void cat(char **s, size_t *len, const char *text)
{
	size_t n = strlen(text);
	*s = xreallocarray(*s, *len + n + 1, 1);
	memcpy(*s + *len, text, n + 1);
	*len += n;
}

/* "bgp peer=P routes=a,b; l2 ips=x,y" for one decision; the caller frees. */
static char *summarise(const struct cfg_model *m, const struct spk_decision *dec)
{
	char *s = xstrdup("");
	size_t len = 0;
	char buf[IP_PREFIX_STRLEN + 4];
	for (size_t i = 0; i < dec->npeers; i++) {
		cat(&s, &len, len ? " bgp_peer=" : "bgp_peer=");
		cat(&s, &len, m->peers[dec->peers[i].peer].meta.name);
		cat(&s, &len, "[");
		for (size_t j = 0; j < dec->peers[i].nroutes; j++) {
			ip_prefix_format(&dec->peers[i].routes[j].prefix, buf, sizeof(buf));
			if (j)
				cat(&s, &len, ",");
			cat(&s, &len, buf);
		}
		cat(&s, &len, "]");
	}
	cat(&s, &len, len ? " l2=[" : "l2=[");
	for (size_t i = 0; i < dec->nowned; i++) {
		ip_addr_format(&dec->owned[i].ip, buf, sizeof(buf));
		if (i)
			cat(&s, &len, ",");
		cat(&s, &len, buf);
	}
	cat(&s, &len, "] l2_owners=[");
	for (size_t i = 0; i < dec->nelections; i++) {
		ip_addr_format(&dec->elections[i].ip, buf, sizeof(buf));
		if (i)
			cat(&s, &len, ",");
		cat(&s, &len, buf);
		cat(&s, &len, ":");
		cat(&s, &len, dec->elections[i].owner ? dec->elections[i].owner : "(none)");
	}
	cat(&s, &len, "]");
	return s;
}

void spkd_update(struct spkd *d, struct spkd_source *src)
{
	const char *ifaces[MAX_IFACES];
	src->ifaces = ifaces;
	src->nifaces = spkd_announcer_ifaces(d->ann, ifaces, MAX_IFACES);
	src->has_ifaces = src->nifaces > 0;
	struct spkd_snapshot snap;
	spkd_snapshot_build(&snap, src);
	struct spk_decision next;
	spk_decide(&snap.in, &next);
	struct spk_events ev;
	spk_events(d->started ? &d->cur : NULL, &next, &ev);
	char *summary = summarise(src->config, &next);
	log_debug("speaker", "decided", "node=%s services=%zu nodes=%zu live=%zu", d->node_name,
		  snap.in.nservices, snap.in.nnodes, snap.in.nlive);
	if (!d->summary || strcmp(summary, d->summary) != 0)
		log_info("speaker", "announcements", "node=%s services=%zu %s", d->node_name,
			 snap.in.nservices, summary);
	free(d->summary);
	d->summary = summary;
	spkd_snapshot_free(&snap);
	/* The announcer borrows the decision: swap before applying, free the old one after. */
	struct spk_decision old = d->cur;
	d->cur = next;
	spkd_announcer_apply(d->ann, src->config, &d->cur);
	if (d->started)
		spk_decision_free(&old);
	d->started = true;
	for (size_t i = 0; i < ev.n; i++) {
		log_info("speaker", ev.v[i].reason, "service=%s/%s message=%s",
			 ev.v[i].service.namespace, ev.v[i].service.name, ev.v[i].message);
		if (d->emit)
			d->emit(d->arg, &ev.v[i]);
	}
	spk_events_free(&ev);
}

const struct spk_decision *spkd_decision(const struct spkd *d)
{
	return d->started ? &d->cur : NULL;
}

size_t spkd_bgp_sessions(const struct spkd *d)
{
	return spkd_announcer_sessions(d->ann);
}

bool spkd_bgp_session(struct spkd *d, size_t i, const char **name, uint32_t *peer_as,
		      struct bgp_peer_status *st)
{
	return spkd_announcer_session(d->ann, i, name, peer_as, st);
}

bool spkd_bgp_session_label(const struct spkd *d, size_t i, char *buf, size_t len)
{
	return spkd_announcer_session_label(d->ann, i, buf, len);
}

void spkd_stop(struct spkd *d, uint16_t gshut_wait, void (*done)(void *arg), void *arg)
{
	spkd_announcer_stop(d->ann, gshut_wait, done, arg);
}

void spkd_free(struct spkd *d)
{
	if (!d)
		return;
	spkd_announcer_free(d->ann);
	if (d->started)
		spk_decision_free(&d->cur);
	free(d->summary);
	free(d->node_name);
	free(d);
}
