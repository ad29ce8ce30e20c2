/*
 * The speaker's sections of the control socket behind `ingot status` (spkd.h, ops/control.h):
 *   "bgp": {"sessions":[{"peer","address","asn","state","uptime_s" (null unless Established),
 *          "prefixes_sent","updates_sent","updates_received","hold_time_s","keepalive_s",
 *          "established_count"}]}
 *   "bfd": {"sessions":[{"peer","state","remote_state","diag","tx_interval_ms",
 *          "detect_time_ms","up_count","down_count","packets_in","packets_out"}]}, the BFD
 *          session of each BGP peer with a BFD profile.
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
		char address[IP_ADDR_STRLEN + 8];
		if (!spkd_bgp_session(c->d, i, &name, &asn, &st) ||
		    !spkd_bgp_session_label(c->d, i, address, sizeof(address)))
			continue;
		json_t *uptime = st.uptime_ms >= 0 ? json_integer(st.uptime_ms / 1000) : json_null();
		json_array_append_new(list, json_pack(
			"{s:s, s:s, s:I, s:s, s:o, s:I, s:I, s:I, s:I, s:I, s:I}", "peer", name,
			"address", address, "asn", (json_int_t)asn, "state", st.state_name,
			"uptime_s", uptime, "prefixes_sent", (json_int_t)st.prefixes_advertised,
			"updates_sent", (json_int_t)st.updates_out,
			"updates_received", (json_int_t)st.updates_in,
			"hold_time_s", (json_int_t)st.hold_time,
			"keepalive_s", (json_int_t)st.keepalive_time,
			"established_count", (json_int_t)st.established_count));
	}
	return json_pack("{s:o}", "sessions", list);
}

/* The BFD session of every BGP peer with a BFD profile. */
static json_t *bfd_section(void *arg)
{
	struct spkd_control *c = arg;
	json_t *list = json_array();
	for (size_t i = 0; i < spkd_bgp_sessions(c->d); i++) {
		const char *name;
		struct bgp_peer_status st;
		if (!spkd_bgp_session(c->d, i, &name, NULL, &st) || !st.has_bfd)
			continue;
		json_array_append_new(list, json_pack(
			"{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "peer", name,
			"state", bfd_state_name(st.bfd.state),
			"remote_state", bfd_state_name(st.bfd.remote_state),
			"diag", bfd_diag_name(st.bfd.local_diag),
			"tx_interval_ms", (json_int_t)(st.bfd.tx_interval_us / 1000),
			"detect_time_ms", (json_int_t)(st.bfd.detect_time_us / 1000),
			"up_count", (json_int_t)st.bfd.up_count,
			"down_count", (json_int_t)st.bfd.down_count,
			"packets_in", (json_int_t)st.bfd.rx_packets,
			"packets_out", (json_int_t)st.bfd.tx_packets));
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
	status_register(c->reg, "bfd", bfd_section, c);
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
