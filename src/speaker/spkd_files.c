/*
 * `ingot run`'s inputs (spkd_run.h): YAML or JSON files, and directories of them (*.yaml, *.yml,
 * *.json, in name order, not recursive). One read of every file feeds both the configuration
 * loader (config.h: MetalLB's ConfigMap or metallb.io objects, everything validated as a whole)
 * and the object reader here: v1 Services, discovery.k8s.io/v1 EndpointSlices and v1 Nodes, also
 * inside `kind: List`. Objects without metadata.namespace go to "default", as kubectl puts them.
 * Any error (unreadable file, bad YAML, invalid configuration, an object without a name) fails
 * the whole load; each is logged with file, line, object, field and reason.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/config.h"
#include "core/yaml_json.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "speaker/spkd_run.h"

struct pathlist {
	char **v;
	size_t n;
};

static void add_path(struct pathlist *l, char *p)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = p;
}

static bool wanted_name(const char *name)
{
	size_t n = strlen(name);
	static const char *const exts[] = { ".yaml", ".yml", ".json" };
	if (name[0] == '.')
		return false;
	for (size_t i = 0; i < 3; i++) {
		size_t e = strlen(exts[i]);
		if (n > e && strcmp(name + n - e, exts[i]) == 0)
			return true;
	}
	return false;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files of a directory in name order; false (logged) if it cannot be read. */
static bool expand_dir(const char *dir, struct pathlist *out)
{
	DIR *d = opendir(dir);
	if (!d) {
		log_error("run", "cannot read directory", "file=%s reason=%s", dir, strerror(errno));
		return false;
	}
	size_t first = out->n;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (wanted_name(e->d_name))
			add_path(out, xasprintf("%s/%s", dir, e->d_name));
	}
	closedir(d);
	qsort(out->v + first, out->n - first, sizeof(*out->v), str_cmp);
	return true;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = xmalloc(cap);
	size_t got;
	while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (cap - n - 1 == 0) {
			cap *= 2;
			buf = xreallocarray(buf, cap, 1);
		}
	}
	bool err = ferror(f);
	fclose(f);
	if (err) {
		free(buf);
		return NULL;
	}
	buf[n] = 0;
	*len = n;
	return buf;
}

static bool is_kind(const json_t *obj, const char *api, const char *kind)
{
	const char *a = json_string_value(json_object_get(obj, "apiVersion"));
	const char *k = json_string_value(json_object_get(obj, "kind"));
	return a && k && strcmp(a, api) == 0 && strcmp(k, kind) == 0;
}

/* Files one object under services, slices or nodes; false (logged) if it is unusable. */
static bool take_object(struct spkd_files *f, const char *file, unsigned line, json_t *obj)
{
	json_t *into = NULL;
	const char *kind = NULL;
	bool namespaced = true;
	if (is_kind(obj, "v1", "Service")) {
		into = f->services;
		kind = "Service";
	} else if (is_kind(obj, "discovery.k8s.io/v1", "EndpointSlice")) {
		into = f->slices;
		kind = "EndpointSlice";
	} else if (is_kind(obj, "v1", "Node")) {
		into = f->nodes;
		kind = "Node";
		namespaced = false;
	} else {
		return true;   /* configuration objects, or something config_load reports */
	}
	json_t *meta = json_object_get(obj, "metadata");
	if (!json_is_string(json_object_get(meta, "name"))) {
		log_error("run", "invalid object", "file=%s line=%u object=%s/(unnamed) "
			  "field=metadata.name reason=\"required\"", file, line, kind);
		return false;
	}
	if (namespaced && !json_is_string(json_object_get(meta, "namespace")))
		json_object_set_new(meta, "namespace", json_string("default"));
	/* No API server assigns a ClusterIP here: a Service that names no family is IPv4 single
	 * stack, as on an IPv4 cluster. */
	json_t *spec = json_object_get(obj, "spec");
	if (into == f->services && json_is_object(spec) && !json_object_get(spec, "ipFamilies") &&
	    !json_object_get(spec, "clusterIPs"))
		json_object_set_new(spec, "ipFamilies", json_pack("[s]", "IPv4"));
	json_array_append(into, obj);
	return true;
}

static bool take_doc(struct spkd_files *f, const char *file, unsigned line, json_t *doc)
{
	const char *kind = json_string_value(json_object_get(doc, "kind"));
	if (kind && strlen(kind) >= 4 && strcmp(kind + strlen(kind) - 4, "List") == 0 &&
	    json_is_array(json_object_get(doc, "items"))) {
		bool ok = true;
		size_t i;
		json_t *item;
		json_array_foreach(json_object_get(doc, "items"), i, item)
			ok = take_object(f, file, line, item) && ok;
		return ok;
	}
	return !json_is_object(doc) || take_object(f, file, line, doc);
}

static void log_diags(const struct cfg_diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct cfg_diag *g = &d->v[i];
		/* The objects this file reader takes are not configuration: no warning for them. */
		if (g->severity == CFG_WARNING && g->reason && g->object &&
		    strstr(g->reason, "not a MetalLB object") &&
		    (strncmp(g->object, "Service/", 8) == 0 ||
		     strncmp(g->object, "EndpointSlice/", 14) == 0 ||
		     strncmp(g->object, "Node/", 5) == 0))
			continue;
		log_emit(g->severity == CFG_ERROR ? LOGL_ERROR : LOGL_WARN, "run",
			 g->severity == CFG_ERROR ? "configuration error" : "configuration warning",
			 "file=%s line=%u object=%s field=%s reason=%s", g->file ? g->file : "",
			 g->line, g->object ? g->object : "", g->field ? g->field : "", g->reason);
	}
}

bool spkd_files_load(char *const *paths, size_t n, struct spkd_files *out)
{
	memset(out, 0, sizeof(*out));
	out->services = json_array();
	out->slices = json_array();
	out->nodes = json_array();
	bool ok = true;
	struct pathlist files = { 0 };
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode))
			ok = expand_dir(paths[i], &files) && ok;
		else
			add_path(&files, xstrdup(paths[i]));
	}
	struct cfg_input *inputs = xcalloc(files.n + 1, sizeof(*inputs));
	char **bufs = xcalloc(files.n + 1, sizeof(*bufs));
	for (size_t i = 0; i < files.n; i++) {
		size_t len = 0;
		bufs[i] = read_all(files.v[i], &len);
		if (!bufs[i]) {
			log_error("run", "cannot read file", "file=%s reason=%s", files.v[i],
				  strerror(errno));
			ok = false;
			continue;
		}
		inputs[i] = (struct cfg_input){ .name = files.v[i], .data = bufs[i], .len = len };
		struct yj_docs docs = { 0 };
		char *err = NULL;
		unsigned err_line = 0;
		if (yj_parse(bufs[i], len, 0, NULL, &docs, &err, &err_line)) {
			for (size_t k = 0; k < docs.n; k++)
				ok = take_doc(out, files.v[i], docs.lines[k], docs.v[k]) && ok;
		}
		free(err);   /* config_load reports YAML errors with their line */
		yj_docs_free(&docs);
	}
	if (ok && files.n == 0) {
		log_error("run", "no input files", "paths=%zu", n);
		ok = false;
	}
	if (ok) {
		struct cfg_diags diags = { 0 };
		out->model = config_load(inputs, files.n, &diags);
		log_diags(&diags);
		cfg_diags_free(&diags);
		ok = out->model != NULL;
	}
	for (size_t i = 0; i < files.n; i++) {
		free(bufs[i]);
		free(files.v[i]);
	}
	free(bufs);
	free(inputs);
	free(files.v);
	if (!ok)
		spkd_files_free(out);
	return ok;
}

void spkd_files_free(struct spkd_files *f)
{
	model_free(f->model);
	json_decref(f->services);
	json_decref(f->slices);
	json_decref(f->nodes);
	memset(f, 0, sizeof(*f));
}
