/*
 * The speakers' member view (spkd_members.h): Node objects -> the SWIM detector's member list;
 * the detector's states -> liveness for the L2 election, `ingot status` and metrics. Every state
 * change of a member is logged with the node name and the reason the detector gives.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/sha.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/xalloc.h"
#include "ops/metrics.h"
#include "speaker/spkd_members.h"
#include "swim/swim.h"

#define MAX_KEY_FILE 4096
#define READY_POLL_MS 50

struct spkd_members {
	char *node;
	struct spkd_members_options o;
	char *key_path, *bind_text;
	bool have_key;
	uint8_t key[SWIM_KEY_LEN];
	bool failed;                 /* could not bind: off for good */
	struct swim_udp *udp;
	struct swim_addr bind;
	void (*changed)(void *arg);
	void *arg;
	struct timer *notify, *poll;
	bool was_ready;
	bool left;
	struct metric_family *f_members, *f_probes, *f_auth, *f_susp, *f_health, *f_detect;
};

void spkd_members_options_defaults(struct spkd_members_options *o)
{
	memset(o, 0, sizeof(*o));
	o->secret_key_path = getenv("METALLB_ML_SECRET_KEY_PATH");
	o->bind_port = SPKD_MEMBERS_DEFAULT_PORT;
	o->probe_interval_ms = SWIM_DEFAULT_PROBE_INTERVAL_MS;
	o->probe_timeout_ms = SWIM_DEFAULT_PROBE_TIMEOUT_MS;
	o->indirect_checks = SWIM_DEFAULT_INDIRECT_CHECKS;
	o->suspicion_mult = SWIM_DEFAULT_SUSPICION_MULT;
}

static bool parse_u32(const char *v, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long n = strtoul(v, &end, 10);
	if (errno || !end || *end || end == v || v[0] == '-' || n < min || n > max)
		return false;
	*out = (uint32_t)n;
	return true;
}

bool spkd_members_option(struct spkd_members_options *o, const char *name, const char *value)
{
	uint32_t v;
	if (strcmp(name, "ml-secret-key-path") == 0) {
		o->secret_key_path = value;
		return true;
	}
	if (strcmp(name, "ml-bind-addr") == 0) {
		ip_addr a;
		o->bind_addr = value;
		return ip_addr_parse(value, &a);
	}
	if (strcmp(name, "ml-bind-port") == 0) {
		if (!parse_u32(value, 1, 65535, &v))
			return false;
		o->bind_port = (uint16_t)v;
		return true;
	}
	if (strcmp(name, "ml-probe-interval-ms") == 0)
		return parse_u32(value, 10, 60000, &o->probe_interval_ms);
	if (strcmp(name, "ml-probe-timeout-ms") == 0)
		return parse_u32(value, 1, 60000, &o->probe_timeout_ms);
	if (strcmp(name, "ml-indirect-checks") == 0)
		return parse_u32(value, 0, 16, &o->indirect_checks);
	if (strcmp(name, "ml-suspicion-mult") == 0)
		return parse_u32(value, 1, 100, &o->suspicion_mult);
	if (strcmp(name, "ml-disable") == 0) {
		o->disable = true;
		return true;
	}
	return false;
}

/* sha256 of the key file's bytes; a directory means its file `secretkey` (a mounted Secret). */
static bool load_key(struct spkd_members *m, const char *path)
{
	struct stat st;
	char *file = stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? xasprintf("%s/secretkey", path)
								: xstrdup(path);
	FILE *f = fopen(file, "rb");
	if (!f) {
		log_warn("memberlist", "cannot read the secret key: failure detection off, Node "
			 "conditions decide liveness", "path=%s reason=%s", file, strerror(errno));
		free(file);
		return false;
	}
	uint8_t *buf = xmalloc(MAX_KEY_FILE);
	size_t n = fread(buf, 1, MAX_KEY_FILE, f);
	fclose(f);
	if (n == 0) {
		log_warn("memberlist", "the secret key is empty: failure detection off, Node "
			 "conditions decide liveness", "path=%s", file);
		free(buf);
		free(file);
		return false;
	}
	SHA256(buf, n, m->key);
	memset(buf, 0, MAX_KEY_FILE);
	free(buf);
	log_info("memberlist", "secret key loaded", "path=%s bytes=%zu", file, n);
	free(file);
	return true;
}

static void notify_cb(void *arg)
{
	struct spkd_members *m = arg;
	if (m->changed)
		m->changed(m->arg);
}

static void notify(struct spkd_members *m)
{
	if (!timer_pending(m->notify))
		timer_start(m->notify, mono_zero());
}

static void poll_cb(void *arg)
{
	struct spkd_members *m = arg;
	if (m->udp && !m->was_ready && swim_ready(swim_udp_core(m->udp))) {
		m->was_ready = true;
		log_info("memberlist", "member view complete, the detector decides liveness now",
			 "node=%s members=%zu", m->node, swim_members(swim_udp_core(m->udp)));
		notify(m);
	}
	if (!m->was_ready)
		timer_start(m->poll, mono_from_ms(READY_POLL_MS));
}

/* How long a member that died went unheard before the detector declared it dead: the detection
 * part of a failover (the election and the gratuitous ARP/NA after it take microseconds). */
static void observe_detection(struct spkd_members *m, const char *name)
{
	struct swim_member_info mi;
	if (!m->f_detect || !m->udp || !swim_find(swim_udp_core(m->udp), name, &mi) || !mi.heard)
		return;
	double s = (double)mono_to_ms(mono_sub(mono_now(), mi.last_heard)) / 1000.0;
	metric_observe(metric_series(m->f_detect, METRIC_NO_LABELS), s);
}

static void on_event(void *arg, const struct swim_event *ev)
{
	struct spkd_members *m = arg;
	log_emit(ev->to == SWIM_ALIVE ? LOGL_INFO : LOGL_WARN, "memberlist", "member state changed",
		 "node=%s member=%s from=%s to=%s incarnation=%llu reason=%s", m->node, ev->name,
		 swim_state_name(ev->from), swim_state_name(ev->to),
		 (unsigned long long)ev->incarnation, ev->reason);
	if (ev->to == SWIM_DEAD)
		observe_detection(m, ev->name);
	notify(m);
}

struct spkd_members *spkd_members_new(const char *node_name, const struct spkd_members_options *o,
				      void (*changed)(void *arg), void *arg)
{
	struct spkd_members *m = xcalloc(1, sizeof(*m));
	m->node = xstrdup(node_name);
	m->o = *o;
	m->key_path = o->secret_key_path && *o->secret_key_path ? xstrdup(o->secret_key_path)
								  : NULL;
	m->bind_text = o->bind_addr && *o->bind_addr ? xstrdup(o->bind_addr) : NULL;
	m->o.secret_key_path = m->key_path;
	m->o.bind_addr = m->bind_text;
	m->changed = changed;
	m->arg = arg;
	m->notify = timer_new(notify_cb, m);
	m->poll = timer_new(poll_cb, m);
	if (o->disable)
		log_info("memberlist", "failure detection disabled (--ml-disable): Node conditions "
			 "decide liveness", "node=%s", node_name);
	else if (!m->key_path)
		log_warn("memberlist", "no secret key (--ml-secret-key-path or "
			 "$METALLB_ML_SECRET_KEY_PATH): failure detection off, Node conditions decide "
			 "liveness", "node=%s", node_name);
	else
		m->have_key = load_key(m, m->key_path);
	return m;
}

bool spkd_members_enabled(const struct spkd_members *m)
{
	return m && m->udp;
}

/* The InternalIP of family fam in a Node's status.addresses. */
static bool node_address(const json_t *node, enum ip_family fam, ip_addr *out)
{
	const json_t *addrs = json_object_get(json_object_get(node, "status"), "addresses");
	size_t i;
	const json_t *a;
	json_array_foreach(addrs, i, a) {
		const char *type = json_string_value(json_object_get(a, "type"));
		ip_addr ip;
		if (type && strcmp(type, "InternalIP") == 0 &&
		    ip_addr_parse(json_string_value(json_object_get(a, "address")), &ip) &&
		    (fam == IP_NONE || ip.family == fam)) {
			*out = ip;
			return true;
		}
	}
	return false;
}

static const char *node_name(const json_t *node)
{
	return json_string_value(json_object_get(json_object_get(node, "metadata"), "name"));
}

/* Opens the socket on the first member list: the default bind address is our Node's IP. */
static void start(struct spkd_members *m, const json_t *nodes)
{
	struct swim_addr b = { .port = m->o.bind_port };
	if (m->bind_text) {
		ip_addr_parse(m->bind_text, &b.ip);
	} else {
		size_t i;
		const json_t *n;
		b.ip = ip_addr_v4(0);
		json_array_foreach(nodes, i, n) {
			const char *name = node_name(n);
			ip_addr ip;
			if (name && strcmp(name, m->node) == 0 && node_address(n, IP_V4, &ip))
				b.ip = ip;
			else if (name && strcmp(name, m->node) == 0 && node_address(n, IP_NONE, &ip))
				b.ip = ip;
		}
	}
	struct swim_config c;
	swim_config_defaults(&c);
	c.self = m->node;
	memcpy(c.key, m->key, sizeof(c.key));
	c.probe_interval_ms = m->o.probe_interval_ms;
	c.probe_timeout_ms = m->o.probe_timeout_ms;
	c.indirect_checks = m->o.indirect_checks;
	c.suspicion_mult = m->o.suspicion_mult;
	char err[256];
	char ip[IP_ADDR_STRLEN];
	ip_addr_format(&b.ip, ip, sizeof(ip));
	m->udp = swim_udp_new(&c, &b, on_event, m, err, sizeof(err));
	if (!m->udp) {
		m->failed = true;
		log_error("memberlist", "cannot start failure detection, Node conditions decide "
			  "liveness", "node=%s bind=%s:%u reason=%s", m->node, ip, b.port, err);
		return;
	}
	m->bind = b;
	log_info("memberlist", "failure detection started", "node=%s bind=%s:%u "
		 "probe_interval_ms=%u probe_timeout_ms=%u indirect_checks=%u suspicion_mult=%u",
		 m->node, ip, b.port, c.probe_interval_ms, c.probe_timeout_ms, c.indirect_checks,
		 c.suspicion_mult);
	timer_start(m->poll, mono_from_ms(READY_POLL_MS));
}

void spkd_members_set_nodes(struct spkd_members *m, const json_t *nodes)
{
	if (!m || !m->have_key || m->o.disable || m->failed || m->left)
		return;
	if (!m->udp) {
		if (json_array_size(nodes) == 0)
			return;
		start(m, nodes);
		if (!m->udp)
			return;
	}
	enum ip_family fam = m->bind.ip.family;
	size_t n = json_array_size(nodes);
	struct swim_member_spec *spec = xcalloc(n + 1, sizeof(*spec));
	size_t k = 0, i;
	const json_t *node;
	json_array_foreach(nodes, i, node) {
		const char *name = node_name(node);
		ip_addr ip;
		if (!name || !node_address(node, fam, &ip))
			continue;
		spec[k++] = (struct swim_member_spec){ name, { ip, m->bind.port } };
	}
	swim_udp_set_members(m->udp, spec, k);
	free(spec);
}

int spkd_members_live(void *arg, const char *node)
{
	struct spkd_members *m = arg;
	if (!m || !m->udp || !node)
		return -1;
	if (strcmp(node, m->node) == 0)
		return 1;
	const struct swim *s = swim_udp_core(m->udp);
	struct swim_member_info mi;
	if (!swim_ready(s) || !swim_find(s, node, &mi))
		return -1;
	return mi.state == SWIM_ALIVE || mi.state == SWIM_SUSPECT;
}

void spkd_members_leave(struct spkd_members *m)
{
	if (!m || !m->udp || m->left)
		return;
	m->left = true;
	swim_udp_leave(m->udp);
	log_info("memberlist", "left: LEAVE sent to every member", "node=%s members=%zu", m->node,
		 swim_members(swim_udp_core(m->udp)));
}

static const char *off_reason(const struct spkd_members *m)
{
	if (m->o.disable)
		return "disabled (--ml-disable)";
	if (!m->key_path)
		return "no secret key";
	if (!m->have_key)
		return "secret key unreadable";
	if (m->failed)
		return "cannot bind the socket";
	return "no Node objects yet";
}

json_t *spkd_members_status(const struct spkd_members *m)
{
	if (!m || !m->udp)
		return json_pack("{s:b, s:s}", "enabled", 0, "reason", m ? off_reason(m) : "none");
	const struct swim *s = swim_udp_core(m->udp);
	struct swim_stats st;
	swim_get_stats(s, &st);
	char ip[IP_ADDR_STRLEN];
	ip_addr_format(&m->bind.ip, ip, sizeof(ip));
	char *bind = xasprintf("%s:%u", ip, m->bind.port);
	json_t *list = json_array();
	monotime now = mono_now();
	for (size_t i = 0; i < swim_members(s); i++) {
		struct swim_member_info mi;
		swim_member(s, i, &mi);
		ip_addr_format(&mi.addr.ip, ip, sizeof(ip));
		json_t *row = json_pack("{s:s, s:s, s:s, s:I}", "node", mi.name, "address", ip,
					"state", swim_state_name(mi.state), "incarnation",
					(json_int_t)mi.incarnation);
		json_object_set_new(row, "last_heard_ms", mi.heard ?
				    json_integer(mono_to_ms(mono_sub(now, mi.last_heard))) : json_null());
		json_array_append_new(list, row);
	}
	json_t *out = json_pack("{s:b, s:b, s:s, s:s, s:I, s:I, s:o, s:{s:I, s:I, s:I, s:I, s:I, "
				"s:I}}", "enabled", 1, "ready", swim_ready(s), "node", m->node,
				"bind", bind, "incarnation", (json_int_t)swim_incarnation(s),
				"local_health", (json_int_t)swim_local_health(s), "members", list,
				"counters", "probes", (json_int_t)st.probes, "auth_failures",
				(json_int_t)st.auth_failures, "replays", (json_int_t)st.replays,
				"malformed", (json_int_t)st.malformed, "unknown_sender",
				(json_int_t)st.unknown_sender, "suspicions",
				(json_int_t)st.suspicions);
	free(bind);
	return out;
}

static void collect(void *arg)
{
	struct spkd_members *m = arg;
	size_t count[4] = { 0 };
	struct swim_stats st = { 0 };
	uint32_t lhm = 0;
	if (m->udp) {
		const struct swim *s = swim_udp_core(m->udp);
		for (size_t i = 0; i < swim_members(s); i++) {
			struct swim_member_info mi;
			swim_member(s, i, &mi);
			count[mi.state]++;
		}
		swim_get_stats(s, &st);
		lhm = swim_local_health(s);
	}
	static const enum swim_state states[] = { SWIM_ALIVE, SWIM_SUSPECT, SWIM_DEAD, SWIM_LEFT };
	for (size_t i = 0; i < 4; i++)
		metric_set(metric_series(m->f_members, METRIC_LABELS(swim_state_name(states[i]))),
			   (double)count[states[i]]);
	metric_set(metric_series(m->f_probes, METRIC_NO_LABELS), (double)st.probes);
	metric_set(metric_series(m->f_auth, METRIC_NO_LABELS),
		   (double)(st.auth_failures + st.replays));
	metric_set(metric_series(m->f_susp, METRIC_NO_LABELS), (double)st.suspicions);
	metric_set(metric_series(m->f_health, METRIC_NO_LABELS), (double)lhm);
}

void spkd_members_metrics(struct spkd_members *m, struct metrics *reg)
{
	if (!m || !reg)
		return;
	m->f_members = metrics_gauge(reg, "ingot_memberlist_members",
				     "Members of the failure detector by state (this node excluded)",
				     METRIC_LABELS("state"));
	m->f_probes = metrics_counter(reg, "ingot_memberlist_probes_total",
				      "Direct probes this node started", METRIC_NO_LABELS);
	m->f_auth = metrics_counter(reg, "ingot_memberlist_auth_failures_total",
				    "Packets dropped for a bad HMAC or as replays", METRIC_NO_LABELS);
	m->f_susp = metrics_counter(reg, "ingot_memberlist_suspicions_total",
				    "Members this node started suspecting", METRIC_NO_LABELS);
	m->f_health = metrics_gauge(reg, "ingot_memberlist_local_health",
				    "Lifeguard local health multiplier (0 is healthy)",
				    METRIC_NO_LABELS);
	/* 50 ms to 12.8 s: the default timings detect in 0.3-0.6 s on a LAN. */
	double bounds[9];
	metric_exponential_buckets(0.05, 2, 9, bounds);
	m->f_detect = metrics_histogram(reg, "ingot_memberlist_detection_seconds",
					"Time from a dead member's last packet to its being declared dead",
					METRIC_NO_LABELS, bounds, 9);
	metrics_on_collect(reg, collect, m);
}

void spkd_members_free(struct spkd_members *m)
{
	if (!m)
		return;
	swim_udp_free(m->udp);
	timer_free(m->notify);
	timer_free(m->poll);
	free(m->key_path);
	free(m->bind_text);
	free(m->node);
	free(m);
}
