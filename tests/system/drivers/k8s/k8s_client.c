/*
 * k8s-client: drives the src/k8s client from system tests (tests/system/test_k8s_client.py).
 *
 *   k8s-client watch --resource services[,nodes,...] [--namespace NS] [--page-size N]
 *                    [--watch-timeout S] [--backoff-max-ms MS]
 *       runs one informer per resource on one client and prints one JSON line per change:
 *       {"event":"ADDED|UPDATED|DELETED","resource":"services","key":"ns/name","rv":"…",
 *        "synthetic":bool,"object":{…}}, {"event":"SYNCED","resource":…,"count":N} once per
 *       informer, and {"event":"STATS","resource":…,…} whenever an informer's counters change
 *       (lists, pages, watches, relists after 410, …). Runs until SIGTERM/SIGINT.
 *   k8s-client put-status --namespace NS --name N [--ip IP]... [--from-file SVC.json]
 *       sets Service status ingress IPs, starting from the object in the file if given (an old
 *       copy exercises the 409 Conflict path), else from a fresh GET
 *   k8s-client event --namespace NS --name N --reason R --message M [--type T] [--repeat K]
 *                    [--distinct K]   (K events with messages "M #1".."M #K", all at once)
 *   k8s-client lease --namespace NS --name N --holder H [--duration S]   acquire or renew
 *   k8s-client get PATH                                         prints {"outcome","http","body"}
 *   k8s-client call METHOD PATH [--body JSON] [--content-type T]   any verb, same output
 *
 * Common options: --kubeconfig F (else KUBECONFIG / in-cluster), --context C, --http1,
 * --in-cluster-dir D (in-cluster config from KUBERNETES_SERVICE_HOST/PORT and D/{token,ca.crt,
 * namespace}),
 * --log-level L. One-shot commands print one JSON result line and exit 0 on success.
 */
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/xalloc.h"
#include "k8s/client.h"
#include "k8s/event.h"
#include "k8s/informer.h"
#include "k8s/kubeconfig.h"
#include "k8s/lease.h"
#include "k8s/resource.h"
#include "k8s/status_update.h"
#include "k8s/store.h"

#define MAX_IPS 8

struct opts {
	const char *kubeconfig, *context, *resource, *namespace, *name, *reason, *message, *type;
	const char *holder, *log_level, *from_file, *in_cluster_dir, *body, *content_type;
	const char *ips[MAX_IPS + 1];
	int nips;
	long page_size, watch_timeout, backoff_max_ms, duration, repeat, distinct;
	bool http1;
};

static int exit_code = 1;
static struct k8s_client *client;

static void print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	printf("%s\n", s);
	fflush(stdout);
	free(s);
	json_decref(j);
}

static void stop(int signo, void *arg)
{
	loop_stop();
}

/* --- watch ------------------------------------------------------------------------------- */

struct watcher {
	const struct k8s_resource *res;
	struct k8s_informer *inf;
	struct timer *stats_timer;
	struct k8s_informer_stats last;
};

static void print_change(const struct watcher *w, const char *what, const json_t *obj,
			 bool synthetic)
{
	char *key = k8s_object_key(obj);
	const char *rv = k8s_meta(obj, "resourceVersion");
	print_json(json_pack("{s:s, s:s, s:s, s:s, s:b, s:O}", "event", what, "resource", w->res->name,
			     "key", key ? key : "", "rv", rv ? rv : "", "synthetic", synthetic,
			     "object", obj));
	free(key);
}

static void on_added(void *arg, const json_t *obj)
{
	print_change(arg, "ADDED", obj, false);
}

static void on_updated(void *arg, const json_t *old, const json_t *obj)
{
	print_change(arg, "UPDATED", obj, false);
}

static void on_deleted(void *arg, const json_t *obj, bool synthetic)
{
	print_change(arg, "DELETED", obj, synthetic);
}

static void on_synced(void *arg)
{
	struct watcher *w = arg;
	print_json(json_pack("{s:s, s:s, s:I}", "event", "SYNCED", "resource", w->res->name, "count",
			     (json_int_t)k8s_store_count(k8s_informer_store(w->inf))));
}

static void check_stats(void *arg)
{
	struct watcher *w = arg;
	const struct k8s_informer_stats *s = k8s_informer_stats(w->inf);
	if (memcmp(s, &w->last, sizeof(*s)) != 0) {
		w->last = *s;
		print_json(json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s}",
				     "event", "STATS", "resource", w->res->name,
				     "lists", (json_int_t)s->lists,
				     "pages", (json_int_t)s->pages, "watches", (json_int_t)s->watches,
				     "relists_gone", (json_int_t)s->relists_gone,
				     "events", (json_int_t)s->events, "bookmarks", (json_int_t)s->bookmarks,
				     "synthetic_deletes", (json_int_t)s->synthetic_deletes,
				     "failures", (json_int_t)s->failures,
				     "state", k8s_informer_state_name(w->inf),
				     "rv", k8s_informer_resource_version(w->inf)));
	}
	timer_start(w->stats_timer, mono_from_ms(100));
}

#define MAX_WATCHERS 8

/* One informer per resource in the comma-separated --resource list, all on the one client. */
static int cmd_watch(const struct opts *o)
{
	static const struct k8s_informer_handlers h = { on_added, on_updated, on_deleted, on_synced };
	struct k8s_informer_options io = {
		.namespace = o->namespace,
		.page_size = o->page_size,
		.watch_timeout_s = o->watch_timeout,
		.backoff_max = mono_from_ms(o->backoff_max_ms),
	};
	struct watcher w[MAX_WATCHERS];
	memset(w, 0, sizeof(w));
	size_t n = 0;
	char *list = xstrdup(o->resource ? o->resource : "services");
	char *save = NULL;
	for (char *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		const struct k8s_resource *res = k8s_resource_find(name);
		if (!res || n == MAX_WATCHERS) {
			fprintf(stderr, "k8s-client: unknown resource %s (or too many)\n", name);
			exit(2);
		}
		w[n].res = res;
		w[n].inf = k8s_informer_new(client, res, &io, &h, &w[n]);
		w[n].stats_timer = timer_new(check_stats, &w[n]);
		timer_start(w[n].stats_timer, mono_from_ms(100));
		k8s_informer_start(w[n].inf);
		n++;
	}
	free(list);
	loop_run();
	for (size_t i = 0; i < n; i++) {
		check_stats(&w[i]);
		timer_free(w[i].stats_timer);
		k8s_informer_free(w[i].inf);
	}
	return 0;
}

/* --- one-shot commands ------------------------------------------------------------------- */

static void print_result(const struct k8s_status *st, const json_t *body)
{
	print_json(json_pack("{s:s, s:i, s:s, s:s, s:O?}", "outcome", k8s_outcome_name(st->outcome),
			     "http", (int)st->http, "reason", st->reason, "message", st->message, "body",
			     body));
	exit_code = st->outcome == K8S_OK ? 0 : 1;
}

static void status_done(void *arg, const struct k8s_status *st, const json_t *obj)
{
	print_result(st, obj);
	loop_stop();
}

static void get_done(void *arg, const struct k8s_response *resp)
{
	print_result(&resp->status, resp->body);
	loop_stop();
}

static int cmd_put_status(const struct opts *o)
{
	if (!o->namespace || !o->name)
		return 2;
	json_t *current = NULL;
	if (o->from_file) {
		json_error_t jerr;
		current = json_load_file(o->from_file, 0, &jerr);
		if (!current) {
			fprintf(stderr, "k8s-client: %s: %s\n", o->from_file, jerr.text);
			return 2;
		}
	}
	k8s_update_status(client, &k8s_res_services, o->namespace, o->name, current,
			  k8s_service_set_ingress, status_done, (void *)o->ips);
	json_decref(current);
	loop_run();
	return exit_code;
}

struct event_job {
	const struct opts *o;
	struct k8s_recorder *rec;
	long left;
	struct timer *t;
	monotime deadline;
};

static void event_wait(void *arg);

static void event_got_object(void *arg, const struct k8s_response *resp)
{
	struct event_job *j = arg;
	if (resp->status.outcome != K8S_OK) {
		print_result(&resp->status, resp->body);
		loop_stop();
		return;
	}
	json_t *svc = json_incref(resp->body);
	json_object_set_new(svc, "kind", json_string("Service"));
	json_object_set_new(svc, "apiVersion", json_string("v1"));
	for (long i = 0; i < j->left; i++)
		k8s_event(j->rec, svc, j->o->type ? j->o->type : "Normal", j->o->reason, "%s",
			  j->o->message);
	for (long i = 1; i <= j->o->distinct; i++)
		k8s_event(j->rec, svc, j->o->type ? j->o->type : "Normal", j->o->reason, "%s #%ld",
			  j->o->message, i);
	json_decref(svc);
	exit_code = 0;
	/* Events are fire-and-forget: leave once the recorder has written them all. */
	j->deadline = mono_add(mono_now(), mono_from_s(30));
	timer_start(j->t, mono_from_ms(50));
}

static void event_wait(void *arg)
{
	struct event_job *j = arg;
	if (k8s_recorder_pending(j->rec) == 0 || !mono_before(mono_now(), j->deadline)) {
		printf("{\"pending\":%zu}\n", k8s_recorder_pending(j->rec));
		fflush(stdout);
		loop_stop();
		return;
	}
	timer_start(j->t, mono_from_ms(50));
}

static int cmd_event_run(const struct opts *o)
{
	if (!o->namespace || !o->name || !o->reason || !o->message)
		return 2;
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	struct event_job j = { o, k8s_recorder_new(client, "ingot-test", host),
			       o->distinct > 0 ? o->repeat : (o->repeat > 0 ? o->repeat : 1), NULL,
			       mono_from_ns(0) };
	j.t = timer_new(event_wait, &j);
	char *path = k8s_path(&k8s_res_services, o->namespace, o->name, NULL);
	k8s_request(client, "GET", path, NULL, NULL, event_got_object, &j);
	free(path);
	loop_run();
	timer_free(j.t);
	k8s_recorder_free(j.rec);
	return exit_code;
}

struct lease_job {
	const struct opts *o;
};


static void lease_written(void *arg, const struct k8s_response *resp)
{
	print_result(&resp->status, resp->body);
	loop_stop();
}

static void lease_read(void *arg, const struct k8s_response *resp)
{
	struct lease_job *j = arg;
	struct k8s_lease_spec spec;
	char now[32];
	k8s_microtime_now(now);
	if (resp->status.outcome == K8S_NOT_FOUND) {
		memset(&spec, 0, sizeof(spec));
		snprintf(spec.holder, sizeof(spec.holder), "%s", j->o->holder);
		spec.duration_s = j->o->duration > 0 ? j->o->duration : 15;
		snprintf(spec.acquire_time, sizeof(spec.acquire_time), "%s", now);
		snprintf(spec.renew_time, sizeof(spec.renew_time), "%s", now);
		k8s_lease_create(client, j->o->namespace, j->o->name, &spec, lease_written, j);
		return;
	}
	if (resp->status.outcome != K8S_OK) {
		print_result(&resp->status, resp->body);
		loop_stop();
		return;
	}
	k8s_lease_spec_read(resp->body, &spec);
	if (strcmp(spec.holder, j->o->holder) != 0) {
		snprintf(spec.holder, sizeof(spec.holder), "%s", j->o->holder);
		snprintf(spec.acquire_time, sizeof(spec.acquire_time), "%s", now);
		spec.transitions++;
	}
	snprintf(spec.renew_time, sizeof(spec.renew_time), "%s", now);
	if (j->o->duration > 0)
		spec.duration_s = j->o->duration;
	k8s_lease_update(client, resp->body, &spec, lease_written, j);
}

static int cmd_lease(const struct opts *o)
{
	if (!o->namespace || !o->name || !o->holder)
		return 2;
	struct lease_job j = { o };
	k8s_lease_get(client, o->namespace, o->name, lease_read, &j);
	loop_run();
	return exit_code;
}

static int cmd_call(const char *method, const char *path, const struct opts *o)
{
	json_t *body = NULL;
	if (o->body) {
		json_error_t jerr;
		body = json_loads(o->body, 0, &jerr);
		if (!body) {
			fprintf(stderr, "k8s-client: --body: %s\n", jerr.text);
			return 2;
		}
	}
	k8s_request(client, method, path, body, o->content_type, get_done, NULL);
	json_decref(body);
	loop_run();
	return exit_code;
}

/* --- main -------------------------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr, "usage: k8s-client watch|put-status|event|lease|get [options]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	const char *cmd = argv[1];
	struct opts o;
	memset(&o, 0, sizeof(o));
	o.backoff_max_ms = 30000;
	static const struct option longopts[] = {
		{ "kubeconfig", required_argument, NULL, 'k' },
		{ "context", required_argument, NULL, 'c' },
		{ "resource", required_argument, NULL, 'r' },
		{ "namespace", required_argument, NULL, 'n' },
		{ "name", required_argument, NULL, 'N' },
		{ "ip", required_argument, NULL, 'i' },
		{ "reason", required_argument, NULL, 'R' },
		{ "message", required_argument, NULL, 'm' },
		{ "type", required_argument, NULL, 't' },
		{ "repeat", required_argument, NULL, 'x' },
		{ "distinct", required_argument, NULL, 'X' },
		{ "holder", required_argument, NULL, 'H' },
		{ "duration", required_argument, NULL, 'd' },
		{ "page-size", required_argument, NULL, 'p' },
		{ "watch-timeout", required_argument, NULL, 'w' },
		{ "backoff-max-ms", required_argument, NULL, 'b' },
		{ "http1", no_argument, NULL, '1' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "from-file", required_argument, NULL, 'f' },
		{ "body", required_argument, NULL, 'B' },
		{ "content-type", required_argument, NULL, 'C' },
		{ "in-cluster-dir", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	optind = 2;
	int ch;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'k': o.kubeconfig = optarg; break;
		case 'c': o.context = optarg; break;
		case 'r': o.resource = optarg; break;
		case 'n': o.namespace = optarg; break;
		case 'N': o.name = optarg; break;
		case 'i':
			if (o.nips < MAX_IPS)
				o.ips[o.nips++] = optarg;
			break;
		case 'R': o.reason = optarg; break;
		case 'm': o.message = optarg; break;
		case 't': o.type = optarg; break;
		case 'x': o.repeat = atol(optarg); break;
		case 'X': o.distinct = atol(optarg); break;
		case 'H': o.holder = optarg; break;
		case 'd': o.duration = atol(optarg); break;
		case 'p': o.page_size = atol(optarg); break;
		case 'w': o.watch_timeout = atol(optarg); break;
		case 'b': o.backoff_max_ms = atol(optarg); break;
		case '1': o.http1 = true; break;
		case 'l': o.log_level = optarg; break;
		case 'f': o.from_file = optarg; break;
		case 'B': o.body = optarg; break;
		case 'C': o.content_type = optarg; break;
		case 'D': o.in_cluster_dir = optarg; break;
		default: usage();
		}
	}
	enum log_level level = LOGL_INFO;
	if (o.log_level && !log_level_parse(o.log_level, &level))
		usage();
	log_setup(level, LOG_FORMAT_TEXT, stderr);

	struct k8s_config cfg;
	char err[K8S_ERRLEN];
	bool ok;
	if (o.in_cluster_dir) {
		char *token = xasprintf("%s/token", o.in_cluster_dir);
		char *ca = xasprintf("%s/ca.crt", o.in_cluster_dir);
		char *ns = xasprintf("%s/namespace", o.in_cluster_dir);
		struct k8s_incluster_paths paths = { token, ca, ns };
		ok = k8s_incluster_load(getenv("KUBERNETES_SERVICE_HOST"),
					getenv("KUBERNETES_SERVICE_PORT"), &paths, &cfg, err);
		free(token);
		free(ca);
		free(ns);
	} else {
		ok = k8s_config_auto(o.kubeconfig, o.context, &cfg, err);
	}
	if (!ok) {
		fprintf(stderr, "k8s-client: %s\n", err);
		return 1;
	}
	loop_init();
	struct k8s_client_options copts = { .http1 = o.http1 };
	client = k8s_client_new(&cfg, &copts);
	k8s_config_free(&cfg);
	struct sigwatch *s1 = sigwatch_new(SIGTERM, stop, NULL);
	struct sigwatch *s2 = sigwatch_new(SIGINT, stop, NULL);

	int rc = 2;
	if (!strcmp(cmd, "watch"))
		rc = cmd_watch(&o);
	else if (!strcmp(cmd, "put-status"))
		rc = cmd_put_status(&o);
	else if (!strcmp(cmd, "event"))
		rc = cmd_event_run(&o);
	else if (!strcmp(cmd, "lease"))
		rc = cmd_lease(&o);
	else if (!strcmp(cmd, "get") && optind < argc)
		rc = cmd_call("GET", argv[optind], &o);
	else if (!strcmp(cmd, "call") && optind + 1 < argc)
		rc = cmd_call(argv[optind], argv[optind + 1], &o);
	else
		fprintf(stderr, "k8s-client: unknown command or missing argument\n");
	k8s_client_free(client);
	sigwatch_free(s1);
	sigwatch_free(s2);
	loop_free();
	return rc;
}
