/*
 * Table-driven tests of every allocation rule (src/alloc), MetalLB's behaviour as the reference:
 * the seed, pool order, autoAssign, avoidBuggyIPs, serviceAllocation, requested IPs, sharing,
 * dual-stack, deprecated annotations, restart import, config changes and exhaustion.
 *
 * Each case is a small script, one step per line:
 *   pool NAME RANGES [buggy] [manual] [prio=N] [ns=A|B] [nssel=K=V] [svcsel=K=V]
 *                              add a pool to the next configuration (RANGES comma-separated)
 *   apply                      install that configuration (done by the first svc step too)
 *   newconfig                  start the next configuration from scratch
 *   svc NS/NAME [OPTS] -> WANT sync the Service; WANT is its IPs ("a,b"), "-" (not a
 *                              LoadBalancer) or "fail:TEXT" (AllocationFailed containing TEXT)
 *        OPTS: ip=X  ips=X;Y  pool=P  share=K  ports=TCP/80;UDP/53  fam=4|6|46|64
 *              policy=prefer|require  local  sel=K=V  label=K=V  nslabel=K=V  status=X;Y
 *              type=cluster  dep-pool=P  dep-share=K  dep-ips=X;Y  class=C
 *        A Service keeps its status (what the allocator gave it) from one step to the next.
 *   event REASON TEXT          the last sync emitted REASON with a message containing TEXT
 *                              ('_' in REASON stands for a space)
 *   noevent REASON             ... and not REASON
 *   frompool P                 the last sync's ip-allocated-from-pool
 *   changed yes|no             whether the last sync changed the Service's status
 *   deprecated N               the last sync's deprecated-annotation bits
 *   del NS/NAME                the Service is deleted
 *   pending A,B                alloc_pending() lists exactly these ("" for none)
 *   cleared A,B                the last apply cleared exactly these
 *   restart                    a new allocator, same config; every Service imported (by name)
 *   import NS/NAME yes|no      alloc_import() result for one Service after a restart
 *   counters P A4 A6 AV4 AV6   pool status counters
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc/alloc.h"
#include "alloc_fixture.h"
#include "core/xalloc.h"

#define MAX_SVCS 32

struct world {
	struct alloc *a;
	struct cfg_model *live;      /* installed */
	struct cfg_model *next;      /* being written by pool steps */
	bool next_dirty;
	struct {
		char *key;
		struct fx_svc svc;
		char *status;            /* survives re-creating the view */
	} svcs[MAX_SVCS];
	size_t nsvcs;
	struct alloc_result last;
	struct alloc_keys cleared;
	const char *name;
	int line;
};

static void fail_at(const struct world *w, const char *what, const char *detail)
{
	print_error("case \"%s\" step %d: %s: %s\n", w->name, w->line, what, detail);
	fail();
}

static void apply(struct world *w)
{
	if (!w->next_dirty)
		return;
	alloc_keys_free(&w->cleared);
	alloc_set_pools(w->a, w->next, &w->cleared);
	model_free(w->live);
	w->live = w->next;
	w->next = model_new();
	w->next_dirty = false;
}

static void add_pool(struct world *w, char *args)
{
	char *save = NULL;
	char *name = strtok_r(args, " ", &save);
	char *ranges = strtok_r(NULL, " ", &save);
	const char *list[8];
	size_t n = 0;
	for (char *s2 = NULL, *r = strtok_r(ranges, ",", &s2); r && n < 8; r = strtok_r(NULL, ",", &s2))
		list[n++] = r;
	struct cfg_pool *p = fx_pool(w->next, name, list, n);
	for (char *opt = strtok_r(NULL, " ", &save); opt; opt = strtok_r(NULL, " ", &save)) {
		if (strcmp(opt, "buggy") == 0) {
			p->avoid_buggy_ips = true;
		} else if (strcmp(opt, "manual") == 0) {
			p->auto_assign = false;
		} else if (strncmp(opt, "prio=", 5) == 0) {
			p->has_service_allocation = true;
			p->priority = atoi(opt + 5);
		} else if (strncmp(opt, "ns=", 3) == 0) {
			p->has_service_allocation = true;
			for (char *s2 = NULL, *ns = strtok_r(opt + 3, "|", &s2); ns;
			     ns = strtok_r(NULL, "|", &s2))
				strings_push(&p->namespaces, ns);
		} else if (strncmp(opt, "nssel=", 6) == 0 || strncmp(opt, "svcsel=", 7) == 0) {
			p->has_service_allocation = true;
			bool ns = opt[0] == 'n';
			char *kv = strchr(opt, '=') + 1;
			char *eq = strchr(kv, '=');
			*eq = '\0';
			fx_selector(ns ? &p->namespace_selectors : &p->service_selectors, kv, eq + 1);
		} else {
			fail_at(w, "unknown pool option", opt);
		}
	}
	w->next_dirty = true;
}

static size_t svc_slot(struct world *w, const char *key)
{
	for (size_t i = 0; i < w->nsvcs; i++) {
		if (strcmp(w->svcs[i].key, key) == 0)
			return i;
	}
	assert_true(w->nsvcs < MAX_SVCS);
	w->svcs[w->nsvcs].key = xstrdup(key);
	w->svcs[w->nsvcs].status = xstrdup("");
	return w->nsvcs++;
}

static void semis_to_commas(char *s)
{
	for (; *s; s++) {
		if (*s == ';')
			*s = ',';
	}
}

/* Re-creates the view of Service key from options (status from the last step unless given). */
static struct fx_svc *build_svc(struct world *w, const char *key, char *opts)
{
	size_t i = svc_slot(w, key);
	struct fx_svc *s = &w->svcs[i].svc;
	if (s->ns)
		fx_svc_free(s);
	char ns[64], name[64];
	if (sscanf(key, "%63[^/]/%63s", ns, name) != 2)
		fail_at(w, "bad service key", key);
	fx_svc_init(s, ns, name);
	fx_status(s, w->svcs[i].status);
	char *save = NULL;
	for (char *opt = strtok_r(opts, " ", &save); opt; opt = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(opt, '=');
		char *val = eq ? eq + 1 : NULL;
		if (eq)
			*eq = '\0';
		if (strcmp(opt, "ip") == 0) {
			s->v.lb_ip = xstrdup(val);   /* freed after the sync */
		} else if (strcmp(opt, "ips") == 0 || strcmp(opt, "dep-ips") == 0) {
			semis_to_commas(val);
			fx_annotate(s, opt[0] == 'd' ? ALLOC_ANN_DEPRECATED_LB_IPS : ALLOC_ANN_LB_IPS, val);
		} else if (strcmp(opt, "pool") == 0) {
			fx_annotate(s, ALLOC_ANN_ADDRESS_POOL, val);
		} else if (strcmp(opt, "dep-pool") == 0) {
			fx_annotate(s, ALLOC_ANN_DEPRECATED_ADDRESS_POOL, val);
		} else if (strcmp(opt, "share") == 0) {
			fx_annotate(s, ALLOC_ANN_ALLOW_SHARED, val);
		} else if (strcmp(opt, "dep-share") == 0) {
			fx_annotate(s, ALLOC_ANN_DEPRECATED_ALLOW_SHARED, val);
		} else if (strcmp(opt, "ports") == 0) {
			semis_to_commas(val);
			fx_ports(s, val);
		} else if (strcmp(opt, "fam") == 0) {
			fx_families(s, s->v.family_policy, val);
		} else if (strcmp(opt, "policy") == 0) {
			s->v.family_policy = strcmp(val, "prefer") == 0 ? SVC_PREFER_DUAL_STACK
					     : strcmp(val, "require") == 0 ? SVC_REQUIRE_DUAL_STACK
					     : SVC_SINGLE_STACK;
		} else if (strcmp(opt, "local") == 0) {
			s->v.traffic_policy = SVC_TRAFFIC_LOCAL;
		} else if (strcmp(opt, "sel") == 0 || strcmp(opt, "label") == 0 ||
			   strcmp(opt, "nslabel") == 0) {
			char *eq2 = strchr(val, '=');
			*eq2 = '\0';
			struct cfg_labels *l = opt[0] == 's' ? &s->v.selector
					       : opt[0] == 'l' ? &s->v.labels : &s->v.namespace_labels;
			labels_set(l, val, eq2 + 1);
		} else if (strcmp(opt, "status") == 0) {
			semis_to_commas(val);
			fx_status(s, val);
		} else if (strcmp(opt, "type") == 0) {
			s->v.type = SVC_TYPE_CLUSTER_IP;
		} else {
			fail_at(w, "unknown service option", opt);
		}
	}
	return s;
}

static void free_view_extras(struct fx_svc *s)
{
	free((char *)s->v.lb_ip);
	s->v.lb_ip = NULL;
}

static void step_svc(struct world *w, char *args)
{
	apply(w);
	char *arrow = strstr(args, " -> ");
	if (!arrow)
		fail_at(w, "svc step without -> WANT", args);
	*arrow = '\0';
	const char *want = arrow + 4;
	char *save = NULL;
	char *key = strtok_r(args, " ", &save);
	char *opts = save ? save : (char *)"";
	struct fx_svc *s = build_svc(w, key, opts);
	alloc_result_free(&w->last);
	const char *got = fx_sync(w->a, s, &w->last);
	size_t i = svc_slot(w, key);
	free(w->svcs[i].status);
	w->svcs[i].status = xstrdup(got[0] == '-' ? "" : got);
	free_view_extras(s);
	if (strncmp(want, "fail:", 5) == 0) {
		const char *msg = fx_event(&w->last, "AllocationFailed");
		if (w->last.outcome != ALLOC_FAILED || !msg || !strstr(msg, want + 5))
			fail_at(w, "expected AllocationFailed with", want + 5);
		return;
	}
	if (strcmp(got, want) != 0) {
		char detail[256];
		const char *msg = w->last.nevents ? w->last.events[0].message : "";
		snprintf(detail, sizeof(detail), "want %s, got \"%s\" (%s)", want, got, msg);
		fail_at(w, key, detail);
	}
}

static void keys_equal(struct world *w, const struct alloc_keys *keys, const char *want)
{
	char got[512] = "";
	for (size_t i = 0; i < keys->n; i++) {
		if (i)
			strcat(got, ",");
		strcat(got, keys->v[i]);
	}
	if (strcmp(got, want) != 0) {
		char detail[600];
		snprintf(detail, sizeof(detail), "want \"%s\", got \"%s\"", want, got);
		fail_at(w, "key list", detail);
	}
}

static void restart(struct world *w)
{
	alloc_free(w->a);
	w->a = alloc_new();
	alloc_keys_free(&w->cleared);
	alloc_set_pools(w->a, w->live, &w->cleared);
}

static void run(const char *name, const char *const *steps, size_t nsteps)
{
	struct world w;
	memset(&w, 0, sizeof(w));
	w.a = alloc_new();
	w.next = model_new();
	w.name = name;
	for (size_t i = 0; i < nsteps; i++) {
		w.line = (int)i + 1;
		char *line = xstrdup(steps[i]);
		char *save = NULL;
		char *cmd = strtok_r(line, " ", &save);
		char *args = save ? save : (char *)"";
		if (strcmp(cmd, "pool") == 0) {
			add_pool(&w, args);
		} else if (strcmp(cmd, "apply") == 0) {
			w.next_dirty = true;
			apply(&w);
		} else if (strcmp(cmd, "newconfig") == 0) {
			model_free(w.next);
			w.next = model_new();
		} else if (strcmp(cmd, "svc") == 0) {
			step_svc(&w, args);
		} else if (strcmp(cmd, "event") == 0 || strcmp(cmd, "noevent") == 0) {
			char *reason = strtok_r(args, " ", &save);
			const char *text = save ? save : "";
			for (char *c = reason; *c; c++) {
				if (*c == '_')
					*c = ' ';   /* reasons with spaces: not_enough_clusterips */
			}
			const char *msg = fx_event(&w.last, reason);
			if (cmd[0] == 'e' && (!msg || !strstr(msg, text)))
				fail_at(&w, "missing event", steps[i]);
			if (cmd[0] == 'n' && msg)
				fail_at(&w, "unexpected event", msg);
		} else if (strcmp(cmd, "frompool") == 0) {
			if (!w.last.pool || strcmp(w.last.pool, args) != 0)
				fail_at(&w, "ip-allocated-from-pool", w.last.pool ? w.last.pool : "(none)");
		} else if (strcmp(cmd, "changed") == 0) {
			if (w.last.changed != (strcmp(args, "yes") == 0))
				fail_at(&w, "changed", args);
		} else if (strcmp(cmd, "deprecated") == 0) {
			assert_int_equal(w.last.deprecated, (unsigned)atoi(args));
		} else if (strcmp(cmd, "del") == 0) {
			char ns[64], nm[64];
			sscanf(args, "%63[^/]/%63s", ns, nm);
			alloc_release(w.a, ns, nm);
			size_t k = svc_slot(&w, args);
			free(w.svcs[k].status);
			w.svcs[k].status = xstrdup("");
		} else if (strcmp(cmd, "pending") == 0) {
			struct alloc_keys keys;
			alloc_pending(w.a, &keys);
			keys_equal(&w, &keys, args);
			alloc_keys_free(&keys);
		} else if (strcmp(cmd, "cleared") == 0) {
			keys_equal(&w, &w.cleared, args);
		} else if (strcmp(cmd, "restart") == 0) {
			restart(&w);
			for (size_t k = 0; k < w.nsvcs; k++) {
				struct fx_svc *s = &w.svcs[k].svc;
				fx_status(s, w.svcs[k].status);
				alloc_import(w.a, &s->v);
			}
		} else if (strcmp(cmd, "restart-noimport") == 0) {
			restart(&w);
		} else if (strcmp(cmd, "import") == 0) {
			char *key = strtok_r(args, " ", &save);
			size_t k = svc_slot(&w, key);
			struct fx_svc *s = &w.svcs[k].svc;
			fx_status(s, w.svcs[k].status);
			bool kept = alloc_import(w.a, &s->v);
			if (kept != (strcmp(save, "yes") == 0))
				fail_at(&w, "import", steps[i]);
		} else if (strcmp(cmd, "counters") == 0) {
			char pool[64];
			unsigned long long v[4];
			sscanf(args, "%63s %llu %llu %llu %llu", pool, &v[0], &v[1], &v[2], &v[3]);
			struct alloc_pool_counters c;
			assert_true(alloc_pool_counters(w.a, pool, &c));
			if (c.assigned_v4 != v[0] || c.assigned_v6 != v[1] || c.available_v4 != v[2] ||
			    c.available_v6 != v[3]) {
				char detail[128];
				snprintf(detail, sizeof(detail), "%llu %llu %llu %llu",
					 (unsigned long long)c.assigned_v4,
					 (unsigned long long)c.assigned_v6,
					 (unsigned long long)c.available_v4,
					 (unsigned long long)c.available_v6);
				fail_at(&w, "counters", detail);
			}
		} else {
			fail_at(&w, "unknown step", cmd);
		}
		free(line);
	}
	for (size_t k = 0; k < w.nsvcs; k++) {
		fx_svc_free(&w.svcs[k].svc);
		free(w.svcs[k].key);
		free(w.svcs[k].status);
	}
	alloc_result_free(&w.last);
	alloc_keys_free(&w.cleared);
	alloc_free(w.a);
	model_free(w.live);
	model_free(w.next);
}

struct scenario {
	const char *name;
	const char *steps[40];
};

#define RUN_ALL(table) \
	for (size_t i_ = 0; i_ < sizeof(table) / sizeof(table[0]); i_++) { \
		size_t n_ = 0; \
		while (n_ < 40 && table[i_].steps[n_]) \
			n_++; \
		run(table[i_].name, table[i_].steps, n_); \
	}

#include "rules_cases.h"

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_and_lowest_first),
		cmocka_unit_test(test_pool_choice),
		cmocka_unit_test(test_requested_ips),
		cmocka_unit_test(test_sharing),
		cmocka_unit_test(test_dual_stack),
		cmocka_unit_test(test_annotations_and_class),
		cmocka_unit_test(test_restart_and_config_changes),
		cmocka_unit_test(test_exhaustion),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
