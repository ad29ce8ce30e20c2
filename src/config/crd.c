/*
 * One parsed document → the model: reads apiVersion/kind/metadata and hands the spec to the
 * decoder of its kind; unrolls lists (kind: List, <Kind>List) as `kubectl get -o yaml|json`
 * prints them; recognises MetalLB's legacy ConfigMap and bare legacy configuration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/crd.h"
#include "config/values.h"
#include "core/yaml_json.h"
#include "core/xalloc.h"

static const char *str_field(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* Name, namespace and labels; other metadata (uid, managedFields, ...) is the server's. */
static void read_meta(struct dctx *c, const json_t *doc, struct cfg_meta *meta)
{
	const json_t *md = json_object_get(doc, "metadata");
	meta->origin.file = c->file ? xstrdup(c->file) : NULL;
	meta->origin.line = c->line;
	if (!md || json_is_null(md)) {
		dec_error(c, doc, "metadata.name", "required");
		meta->name = xstrdup("");
		return;
	}
	if (!dec_is_object(c, md, "metadata")) {
		meta->name = xstrdup("");
		return;
	}
	dec_string(c, md, "metadata", "name", &meta->name);
	dec_string(c, md, "metadata", "namespace", &meta->namespace);
	dec_labels(c, md, "metadata", "labels", &meta->labels);
	if (!meta->name || !*meta->name) {
		if (!json_object_get(md, "generateName"))
			dec_error(c, md, "metadata.name", "required");
		free(meta->name);
		meta->name = xstrdup("");
	} else if (!cfg_object_name_ok(meta->name)) {
		dec_error(c, json_object_get(md, "name"), "metadata.name",
			"invalid name \"%s\": must be a lowercase RFC 1123 subdomain", meta->name);
	}
}

/* A mapping without apiVersion and kind is taken for a bare legacy configuration. */
static bool is_legacy_config(const json_t *doc)
{
	return !json_object_get(doc, "kind") && !json_object_get(doc, "apiVersion");
}

static void legacy_configmap(struct dctx *c, struct cfg_model *m, const json_t *doc,
			     const struct cfg_meta *meta)
{
	const json_t *data = json_object_get(doc, "data");
	const json_t *text = json_object_get(data, "config");
	if (!json_is_string(text)) {
		dec_error(c, data ? data : doc, "data.config",
			"a MetalLB ConfigMap needs its configuration as a string in data.config");
		return;
	}
	/* The embedded YAML: its lines continue after the line of the block scalar's key. */
	unsigned offset = yj_line(c->lines, text);
	struct yj_docs docs = { 0 };
	char *err = NULL;
	unsigned err_line = 0;
	if (!yj_parse(json_string_value(text), json_string_length(text), offset, c->lines, &docs,
			  &err, &err_line)) {
		cfg_diags_add(c->diags, CFG_ERROR, c->file, err_line, c->object, "data.config",
			      "invalid YAML: %s", err);
		free(err);
		return;
	}
	for (size_t i = 0; i < docs.n; i++) {
		if (json_is_null(docs.v[i]))
			continue;
		struct dctx inner = *c;
		inner.line = docs.lines[i];
		legacy_decode(&inner, m, docs.v[i], meta->namespace);
	}
	yj_docs_free(&docs);
}

enum kind {
	K_UNKNOWN,
	K_POOL,
	K_L2,
	K_BGPADV,
	K_PEER_V1,
	K_PEER_V2,
	K_COMMUNITY,
	K_BFD,
	K_SECRET,
	K_CONFIGMAP,
	K_STATUS,
	K_ADDRESSPOOL,
};

static enum kind kind_of(const char *api, const char *kind)
{
	static const struct {
		const char *api;
		const char *kind;
		enum kind k;
	} table[] = {
		{ "metallb.io/v1beta1", "IPAddressPool", K_POOL },
		{ "metallb.io/v1beta1", "L2Advertisement", K_L2 },
		{ "metallb.io/v1beta1", "BGPAdvertisement", K_BGPADV },
		{ "metallb.io/v1beta1", "BGPPeer", K_PEER_V1 },
		{ "metallb.io/v1beta2", "BGPPeer", K_PEER_V2 },
		{ "metallb.io/v1beta1", "Community", K_COMMUNITY },
		{ "metallb.io/v1beta1", "BFDProfile", K_BFD },
		{ "v1", "Secret", K_SECRET },
		{ "v1", "ConfigMap", K_CONFIGMAP },
		{ "metallb.io/v1beta1", "ServiceL2Status", K_STATUS },
		{ "metallb.io/v1beta1", "ServiceBGPStatus", K_STATUS },
		{ "metallb.io/v1beta1", "ConfigurationState", K_STATUS },
		{ "metallb.io/v1beta1", "AddressPool", K_ADDRESSPOOL },
		{ "metallb.io/v1alpha1", "AddressPool", K_ADDRESSPOOL },
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (strcmp(table[i].api, api) == 0 && strcmp(table[i].kind, kind) == 0)
			return table[i].k;
	}
	return K_UNKNOWN;
}

static const char *const envelope_keys[] = { "apiVersion", "kind", "metadata", "spec", "status",
					      NULL };

static void decode_object(struct dctx *c, struct cfg_model *m, const json_t *doc)
{
	const char *api = str_field(doc, "apiVersion");
	const char *kind = str_field(doc, "kind");
	const json_t *md = json_object_get(doc, "metadata");
	const char *name = str_field(md, "name");
	dec_object(c, kind ? kind : "(no kind)", name);
	unsigned line = yj_line(c->lines, doc);
	if (line)
		c->line = line;
	if (!api || !kind) {
		dec_error(c, doc, !api ? "apiVersion" : "kind", "required");
		return;
	}
	enum kind k = kind_of(api, kind);
	if (k == K_UNKNOWN) {
		if (strncmp(api, "metallb.io/", 11) == 0)
			dec_error(c, doc, "kind", "unknown metallb.io kind or version \"%s %s\"", api,
				kind);
		else
			dec_warn(c, doc, "", "not a MetalLB object (%s %s); ignored", api, kind);
		return;
	}
	if (k == K_STATUS) {
		dec_warn(c, doc, "", "status object written by the controller; ignored");
		return;
	}
	if (k == K_ADDRESSPOOL) {
		dec_error(c, doc, "kind",
			"AddressPool was removed in MetalLB v0.14; use IPAddressPool with an "
			"L2Advertisement or BGPAdvertisement");
		return;
	}
	struct cfg_meta meta = { 0 };
	read_meta(c, doc, &meta);
	if (k == K_CONFIGMAP) {
		legacy_configmap(c, m, doc, &meta);
		meta_free(&meta);
		return;
	}
	if (k == K_SECRET) {
		crd_secret(c, m, doc, &meta);
		return;
	}
	dec_known_keys(c, doc, "", envelope_keys);
	const json_t *spec = json_object_get(doc, "spec");
	if (json_is_null(spec))
		spec = NULL;
	switch (k) {
	case K_POOL:
		crd_ipaddresspool(c, m, spec, json_object_get(md, "annotations"), &meta);
		break;
	case K_L2:
		crd_l2advertisement(c, m, spec, &meta);
		break;
	case K_BGPADV:
		crd_bgpadvertisement(c, m, spec, &meta);
		break;
	case K_PEER_V1:
		crd_bgppeer(c, m, spec, &meta, CRD_PEER_V1BETA1);
		break;
	case K_PEER_V2:
		crd_bgppeer(c, m, spec, &meta, CRD_PEER_V1BETA2);
		break;
	case K_COMMUNITY:
		crd_community(c, m, spec, &meta);
		break;
	case K_BFD:
		crd_bfdprofile(c, m, spec, &meta);
		break;
	default:
		meta_free(&meta);
		break;
	}
}

static bool is_list(const json_t *doc)
{
	const char *kind = str_field(doc, "kind");
	size_t n = kind ? strlen(kind) : 0;
	return n >= 4 && strcmp(kind + n - 4, "List") == 0 && json_is_array(json_object_get(doc, "items"));
}

void crd_decode_document(const struct dctx *base, struct cfg_model *m, const json_t *doc,
			 unsigned doc_line)
{
	struct dctx c = *base;
	c.line = doc_line;
	if (json_is_null(doc))
		return;
	if (!json_is_object(doc)) {
		dec_object(&c, "(document)", NULL);
		snprintf(c.object, sizeof(c.object), "(document)");
		dec_error(&c, doc, "", "must be a mapping (a Kubernetes object or a MetalLB configuration)");
		return;
	}
	if (is_legacy_config(doc)) {
		snprintf(c.object, sizeof(c.object), "(legacy configuration)");
		legacy_decode(&c, m, doc, NULL);
		return;
	}
	if (is_list(doc)) {
		size_t i;
		json_t *item;
		json_array_foreach(json_object_get(doc, "items"), i, item) {
			struct dctx ic = c;
			if (!json_is_object(item)) {
				snprintf(ic.object, sizeof(ic.object), "(list)");
				char p[DPATH_MAX];
				dec_path_index(p, "items", i);
				dec_error(&ic, item, p, "must be a mapping");
				continue;
			}
			decode_object(&ic, m, item);
		}
		return;
	}
	decode_object(&c, m, doc);
}
