/*
 * The speaker's sections of the control socket behind `ingot status` (spkd.h, ops/control.h):
 *   "bgp": {"sessions":[{"peer","asn","state","prefixes_sent","established_count"}]}
 *   "l2":  {"announcements":[{"ip","interface","service","node"}]}, one row per interface and
 *          Service, from the decision in force and the interfaces answering now.
 *   "members": the failure detector's view (spkd_members.h): enabled, ready, this node's
 *          incarnation and local health, and per member node, address, state, incarnation and
 *          milliseconds since it was last heard.
 */
#include <stdlib.h>

#include "bgp/bgp.h"
#include "core/xalloc.h"
#include "ops/control.h"
#include "speaker/spkd.h"
#include "speaker/spkd_members.h"

#define MAX_IFACES 64

struct spkd_control {
	struct spkd *d;
	struct spkd_members *members;
	struct status_registry *reg;
	struct control *ctl;
};

static json_t *bgp_section(void *arg)
{
	struct spkd_control *c = arg;
	json_t *list = json_array();
	for (size_t i = 0; i < spkd_bgp_sessions(c->d); i++) {
		const char *name;
		uint32_t asn = 0;
		struct bgp_peer_status st;
		if (!spkd_bgp_session(c->d, i, &name, &asn, &st))
			continue;
		json_array_append_new(list, json_pack("{s:s, s:I, s:s, s:I, s:I}", "peer", name, "asn",
						      (json_int_t)asn, "state", st.state_name,
						      "prefixes_sent", (json_int_t)st.prefixes_advertised,
						      "established_count",
						      (json_int_t)st.established_count));
	}
	return json_pack("{s:o}", "sessions", list);
}

static json_t *l2_section(void *arg)
{
	struct spkd_control *c = arg;
	json_t *list = json_array();
	const struct spk_decision *d = spkd_decision(c->d);
	for (size_t i = 0; d && i < d->nowned; i++) {
		const struct spk_l2_owned *o = &d->owned[i];
		char ip[IP_ADDR_STRLEN];
		ip_addr_format(&o->ip, ip, sizeof(ip));
		const char *ifs[MAX_IFACES];
		size_t nifs = spkd_announcer_ifaces_for(o, ifs, MAX_IFACES);
		for (size_t k = 0; k < nifs; k++) {
			for (size_t s = 0; s < o->nservices; s++) {
				char *svc = xasprintf("%s/%s", o->services[s].namespace,
						      o->services[s].name);
				json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s}", "ip", ip,
								      "interface", ifs[k], "service",
								      svc, "node", d->node_name));
				free(svc);
			}
		}
	}
	return json_pack("{s:o}", "announcements", list);
}

static json_t *members_section(void *arg)
{
	struct spkd_control *c = arg;
	return spkd_members_status(c->members);
}

struct spkd_control *spkd_control_new(const char *path, struct spkd *d,
				      struct spkd_members *members, char *err, size_t err_len)
{
	struct spkd_control *c = xcalloc(1, sizeof(*c));
	c->d = d;
	c->members = members;
	c->reg = status_registry_new();
	status_register(c->reg, "bgp", bgp_section, c);
	status_register(c->reg, "l2", l2_section, c);
	status_register(c->reg, "members", members_section, c);
	c->ctl = control_new(path, c->reg, err, err_len);
	if (!c->ctl) {
		spkd_control_free(c);
		return NULL;
	}
	return c;
}

void spkd_control_free(struct spkd_control *c)
{
	if (!c)
		return;
	if (c->ctl)
		control_free(c->ctl);
	status_registry_free(c->reg);
	free(c);
}
