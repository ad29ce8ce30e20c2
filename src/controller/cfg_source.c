/*
 * Configuration objects from the API server (see cfg_source.h).
 */
#include "controller/cfg_source.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/xalloc.h"
#include "k8s/informer.h"
#include "k8s/resource.h"

#define DEBOUNCE_MS 20
#define PROBE_RETRY_MS 1000
#define PROBE_AGAIN_MS 10000

/* The metallb.io kinds, in the order they are handed to the configuration loader. */
static const struct k8s_resource *const crd_kinds[] = {
	&k8s_res_ipaddresspools, &k8s_res_l2advertisements, &k8s_res_bgpadvertisements,
	&k8s_res_bgppeers, &k8s_res_communities, &k8s_res_bfdprofiles,
};
#define NCRD (sizeof(crd_kinds) / sizeof(crd_kinds[0]))

enum probe_state {
	PROBE_UNKNOWN,       /* not answered yet */
	PROBE_ABSENT,        /* 404: no metallb.io API */
	PROBE_PRESENT,
};

struct cfg_source {
	struct k8s_client *c;
	char *ns, *cm_name, *cm_selector;
	void (*changed)(void *arg);
	void *arg;
	struct k8s_informer *cm, *secrets;
	struct k8s_informer *crd[NCRD];
	enum probe_state probe;
	struct k8s_request *probe_req;
	struct timer *probe_timer, *debounce;
};

static void poke(struct cfg_source *cs)
{
	if (!timer_pending(cs->debounce))
		timer_start(cs->debounce, mono_from_ms(DEBOUNCE_MS));
}

static void on_added(void *arg, const json_t *obj)
{
	poke(arg);
}

static void on_updated(void *arg, const json_t *old, const json_t *obj)
{
	/* only spec/data/labels matter: our own status writes to IPAddressPools change nothing */
	static const char *const parts[] = { "spec", "data", "stringData", "type" };
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if (!json_equal(json_object_get(old, parts[i]), json_object_get(obj, parts[i]))) {
			poke(arg);
			return;
		}
	}
	const json_t *ol = json_object_get(json_object_get(old, "metadata"), "labels");
	const json_t *nl = json_object_get(json_object_get(obj, "metadata"), "labels");
	if (!json_equal(ol, nl) && (ol || nl))
		poke(arg);
}

static void on_deleted(void *arg, const json_t *obj, bool synthetic)
{
	poke(arg);
}

static void on_synced(void *arg)
{
	poke(arg);
}

static const struct k8s_informer_handlers handlers = { on_added, on_updated, on_deleted, on_synced };

static void fire(void *arg)
{
	struct cfg_source *cs = arg;
	if (cfg_source_synced(cs))
		cs->changed(cs->arg);
}

static void start_crd_informers(struct cfg_source *cs)
{
	struct k8s_informer_options o = { .namespace = cs->ns };
	for (size_t i = 0; i < NCRD; i++) {
		cs->crd[i] = k8s_informer_new(cs->c, crd_kinds[i], &o, &handlers, cs);
		k8s_informer_start(cs->crd[i]);
	}
}

static void probe_done(void *arg, const struct k8s_response *resp)
{
	struct cfg_source *cs = arg;
	cs->probe_req = NULL;
	if (resp->status.outcome == K8S_OK) {
		log_info("controller", "metallb.io API found, watching its objects", "namespace=%s",
			 cs->ns);
		cs->probe = PROBE_PRESENT;
		start_crd_informers(cs);
		return;
	}
	if (resp->status.outcome == K8S_NOT_FOUND) {
		if (cs->probe == PROBE_UNKNOWN) {
			log_info("controller", "metallb.io CRDs not installed, legacy ConfigMap only",
				 "namespace=%s configmap=%s", cs->ns, cs->cm_name);
			cs->probe = PROBE_ABSENT;
			poke(cs);
		}
		timer_start(cs->probe_timer, mono_from_ms(PROBE_AGAIN_MS));
		return;
	}
	timer_start(cs->probe_timer, mono_from_ms(PROBE_RETRY_MS));
}

static void probe(void *arg)
{
	struct cfg_source *cs = arg;
	cs->probe_req = k8s_request(cs->c, "GET", "/apis/metallb.io/v1beta1", NULL, NULL, probe_done,
				    cs);
}

struct cfg_source *cfg_source_new(struct k8s_client *c, const char *ns, const char *cm_name,
				  void (*changed)(void *arg), void *arg)
{
	struct cfg_source *cs = XNEW(struct cfg_source);
	cs->c = c;
	cs->ns = xstrdup(ns);
	cs->cm_name = xstrdup(cm_name);
	cs->cm_selector = xasprintf("metadata.name=%s", cm_name);
	cs->changed = changed;
	cs->arg = arg;
	cs->probe_timer = timer_new(probe, cs);
	cs->debounce = timer_new(fire, cs);
	return cs;
}

void cfg_source_start(struct cfg_source *cs)
{
	struct k8s_informer_options o = { .namespace = cs->ns, .field_selector = cs->cm_selector };
	cs->cm = k8s_informer_new(cs->c, &k8s_res_configmaps, &o, &handlers, cs);
	struct k8s_informer_options so = { .namespace = cs->ns,
					   .field_selector = "type=kubernetes.io/basic-auth" };
	cs->secrets = k8s_informer_new(cs->c, &k8s_res_secrets, &so, &handlers, cs);
	k8s_informer_start(cs->cm);
	k8s_informer_start(cs->secrets);
	timer_start(cs->probe_timer, mono_zero());
}

bool cfg_source_synced(const struct cfg_source *cs)
{
	if (!cs->cm || !k8s_informer_synced(cs->cm) || !k8s_informer_synced(cs->secrets))
		return false;
	if (cs->probe == PROBE_UNKNOWN)
		return false;
	if (cs->probe == PROBE_ABSENT)
		return true;
	for (size_t i = 0; i < NCRD; i++)
		if (!cs->crd[i] || !k8s_informer_synced(cs->crd[i]))
			return false;
	return true;
}

static size_t crd_objects(const struct cfg_source *cs)
{
	size_t n = 0;
	for (size_t i = 0; i < NCRD; i++)
		if (cs->crd[i])
			n += k8s_store_count(k8s_informer_store(cs->crd[i]));
	return n;
}

enum cfg_mode cfg_source_mode(const struct cfg_source *cs)
{
	if (crd_objects(cs) > 0)
		return CFG_MODE_CRD;
	return cfg_source_has_configmap(cs) ? CFG_MODE_LEGACY : CFG_MODE_NONE;
}

bool cfg_source_has_configmap(const struct cfg_source *cs)
{
	return cs->cm && k8s_store_count(k8s_informer_store(cs->cm)) > 0;
}

const char *cfg_mode_name(enum cfg_mode m)
{
	switch (m) {
	case CFG_MODE_LEGACY:
		return "configmap";
	case CFG_MODE_CRD:
		return "crds";
	case CFG_MODE_NONE:
		break;
	}
	return "none";
}

static void append(void *arg, const char *key, const json_t *obj)
{
	json_array_append((json_t *)arg, (json_t *)obj);
}

char *cfg_source_document(const struct cfg_source *cs)
{
	enum cfg_mode mode = cfg_source_mode(cs);
	if (mode == CFG_MODE_NONE)
		return NULL;
	json_t *items = json_array();
	if (mode == CFG_MODE_LEGACY) {
		k8s_store_foreach(k8s_informer_store(cs->cm), append, items);
	} else {
		for (size_t i = 0; i < NCRD; i++)
			k8s_store_foreach(k8s_informer_store(cs->crd[i]), append, items);
		k8s_store_foreach(k8s_informer_store(cs->secrets), append, items);
	}
	json_t *list = json_pack("{s:s, s:s, s:o}", "apiVersion", "v1", "kind", "List", "items",
				 items);
	char *text = json_dumps(list, JSON_COMPACT);
	json_decref(list);
	return text;
}

const json_t *cfg_source_object(const struct cfg_source *cs, const char *diag_object)
{
	const char *slash = diag_object ? strchr(diag_object, '/') : NULL;
	if (slash && cfg_source_mode(cs) == CFG_MODE_CRD) {
		size_t klen = (size_t)(slash - diag_object);
		for (size_t i = 0; i < NCRD; i++) {
			if (cs->crd[i] && strlen(crd_kinds[i]->kind) == klen &&
			    !strncmp(crd_kinds[i]->kind, diag_object, klen))
				return k8s_store_get_nn(k8s_informer_store(cs->crd[i]), cs->ns,
							slash + 1);
		}
		return NULL;
	}
	return cs->cm ? k8s_store_get_nn(k8s_informer_store(cs->cm), cs->ns, cs->cm_name) : NULL;
}

void cfg_source_free(struct cfg_source *cs)
{
	if (!cs)
		return;
	if (cs->probe_req)
		k8s_request_cancel(cs->probe_req);
	timer_free(cs->probe_timer);
	timer_free(cs->debounce);
	k8s_informer_free(cs->cm);
	k8s_informer_free(cs->secrets);
	for (size_t i = 0; i < NCRD; i++)
		k8s_informer_free(cs->crd[i]);
	free(cs->ns);
	free(cs->cm_name);
	free(cs->cm_selector);
	free(cs);
}
