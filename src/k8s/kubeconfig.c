/*
 * kubeconfig and in-cluster configuration (see kubeconfig.h).
 *
 * Loading is two steps: merge the listed files into three name -> entry maps plus current-context
 * (first definition wins, relative paths already made absolute against the defining file's
 * directory), then resolve the chosen context into a struct k8s_config, reading certificates,
 * keys and base64 data. The checks mirror kubectl's (client-go clientcmd validation): a context,
 * cluster or user that is named but missing, a field given both as a file and as -data, and a CA
 * combined with insecure-skip-tls-verify are errors.
 */
#include "k8s/kubeconfig.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/xalloc.h"
#include "core/base64.h"
#include "k8s/yaml_json.h"

#define MAX_KUBECONFIG (16u << 20)
#define MAX_PEM (1u << 20)
#define SOURCE_KEY "\001source"   /* hidden key: the file an entry came from */

static const char *const sa_dir = "/var/run/secrets/kubernetes.io/serviceaccount";

static bool errf(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool errf(char *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, K8S_ERRLEN, fmt, ap);
	va_end(ap);
	return false;
}

bool k8s_read_file(const char *path, size_t max, struct k8s_blob *out)
{
	out->data = NULL;
	out->len = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	size_t cap = 4096, len = 0;
	uint8_t *buf = xmalloc(cap + 1);
	for (;;) {
		if (len == cap) {
			if (cap >= max) {
				free(buf);
				fclose(f);
				errno = EFBIG;
				return false;
			}
			cap = cap * 2 > max ? max : cap * 2;
			buf = xreallocarray(buf, cap + 1, 1);
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0) {
			if (ferror(f)) {
				int e = errno;
				free(buf);
				fclose(f);
				errno = e ? e : EIO;
				return false;
			}
			break;
		}
	}
	fclose(f);
	buf[len] = 0;
	out->data = buf;
	out->len = len;
	return true;
}

void k8s_config_free(struct k8s_config *cfg)
{
	free(cfg->server);
	free(cfg->context);
	free(cfg->namespace);
	free(cfg->ca.data);
	free(cfg->client_cert.data);
	free(cfg->client_key.data);
	free(cfg->token);
	free(cfg->token_file);
	free(cfg->tls_server_name);
	memset(cfg, 0, sizeof(*cfg));
}

/* --- merging ------------------------------------------------------------------------------ */

struct merged {
	json_t *clusters;        /* name -> cluster body */
	json_t *users;
	json_t *contexts;
	char *current;
};

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* Makes body[field] absolute against dir, if it is a relative path. */
static void absolutise(json_t *body, const char *field, const char *dir)
{
	const char *p = json_string_value(json_object_get(body, field));
	if (!p || !*p || p[0] == '/')
		return;
	char *abs = xasprintf("%s/%s", dir, p);
	json_object_set_new(body, field, json_string(abs));
	free(abs);
}

static const char *const path_fields[] = {
	"certificate-authority", "client-certificate", "client-key", "tokenFile",
};

/* Adds the named entries of list (e.g. "clusters", body key "cluster") that are not yet known. */
static bool merge_list(json_t *map, const json_t *doc, const char *list, const char *bodykey,
		       const char *file, const char *dir, char *err)
{
	const json_t *arr = json_object_get(doc, list);
	if (!arr || json_is_null(arr))
		return true;
	if (!json_is_array(arr))
		return errf(err, "kubeconfig %s: %s: not a list", file, list);
	size_t i;
	json_t *entry;
	json_array_foreach(arr, i, entry) {
		const char *name = json_string_value(json_object_get(entry, "name"));
		if (!name || !*name)
			return errf(err, "kubeconfig %s: %s[%zu]: missing name", file, list, i);
		json_t *body = json_object_get(entry, bodykey);
		if (body && !json_is_object(body) && !json_is_null(body))
			return errf(err, "kubeconfig %s: %s \"%s\": %s is not a mapping", file, list,
				    name, bodykey);
		if (json_object_get(map, name))
			continue;       /* an earlier file (or entry) wins, as in kubectl */
		json_t *copy = json_is_object(body) ? json_deep_copy(body) : json_object();
		for (size_t f = 0; f < sizeof(path_fields) / sizeof(path_fields[0]); f++)
			absolutise(copy, path_fields[f], dir);
		json_object_set_new(copy, SOURCE_KEY, json_string(file));
		json_object_set_new(map, name, copy);
	}
	return true;
}

static bool merge_file(struct merged *m, const char *file, bool must_exist, char *err)
{
	struct k8s_blob text;
	if (!k8s_read_file(file, MAX_KUBECONFIG, &text)) {
		if (errno == ENOENT && !must_exist)
			return true;
		return errf(err, "kubeconfig %s: %s", file, strerror(errno));
	}
	char yerr[K8S_ERRLEN];
	json_t *doc = k8s_yaml_to_json((const char *)text.data, text.len, yerr, sizeof(yerr));
	free(text.data);
	if (!doc)
		return errf(err, "kubeconfig %s: %s", file, yerr);
	bool ok = true;
	if (json_is_null(doc)) {
		json_decref(doc);
		return true;
	}
	if (!json_is_object(doc)) {
		ok = errf(err, "kubeconfig %s: not a mapping", file);
		goto out;
	}
	char *dir = dir_of(file);
	ok = merge_list(m->clusters, doc, "clusters", "cluster", file, dir, err) &&
	     merge_list(m->users, doc, "users", "user", file, dir, err) &&
	     merge_list(m->contexts, doc, "contexts", "context", file, dir, err);
	free(dir);
	const char *cur = json_string_value(json_object_get(doc, "current-context"));
	if (ok && !m->current && cur && *cur)
		m->current = xstrdup(cur);
out:
	json_decref(doc);
	return ok;
}

/* --- resolving a context ------------------------------------------------------------------ */

static const char *str_field(const json_t *body, const char *key)
{
	const char *s = json_string_value(json_object_get(body, key));
	return s && *s ? s : NULL;
}

/* Reads `file_key` (a path) or `data_key` (base64) of body into out; neither is fine. */
static bool load_pem(const json_t *body, const char *what, const char *file_key, const char *data_key,
		     struct k8s_blob *out, char *err)
{
	const char *src = json_string_value(json_object_get(body, SOURCE_KEY));
	const char *file = str_field(body, file_key);
	const char *data = str_field(body, data_key);
	if (file && data)
		return errf(err, "kubeconfig %s: %s: both %s and %s are set", src, what, file_key,
			    data_key);
	if (data) {
		if (!base64_decode(data, strlen(data), BASE64_LENIENT, &out->data, &out->len))
			return errf(err, "kubeconfig %s: %s: %s is not valid base64", src, what,
				    data_key);
		return true;
	}
	if (file && !k8s_read_file(file, MAX_PEM, out))
		return errf(err, "kubeconfig %s: %s: %s %s: %s", src, what, file_key, file,
			    strerror(errno));
	return true;
}

static bool bool_field(const json_t *body, const char *key, bool *out, char *err)
{
	const json_t *v = json_object_get(body, key);
	*out = false;
	if (!v || json_is_null(v))
		return true;
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return true;
	}
	const char *s = json_string_value(v);
	if (s && (!strcmp(s, "true") || !strcmp(s, "false"))) {
		*out = !strcmp(s, "true");
		return true;
	}
	return errf(err, "kubeconfig %s: %s must be true or false",
		    json_string_value(json_object_get(body, SOURCE_KEY)), key);
}

static char *normalise_server(const char *server)
{
	char *s = strstr(server, "://") ? xstrdup(server) : xasprintf("https://%s", server);
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
	return s;
}

static bool resolve(const struct merged *m, const char *context, struct k8s_config *out, char *err)
{
	if (!context)
		context = m->current;
	if (!context)
		return errf(err, "kubeconfig: no context given and no current-context set");
	const json_t *ctx = json_object_get(m->contexts, context);
	if (!ctx)
		return errf(err, "kubeconfig: context \"%s\" not found", context);
	const char *src = json_string_value(json_object_get(ctx, SOURCE_KEY));
	const char *cluster_name = str_field(ctx, "cluster");
	const char *user_name = str_field(ctx, "user");
	if (!cluster_name)
		return errf(err, "kubeconfig %s: context \"%s\" names no cluster", src, context);
	const json_t *cluster = json_object_get(m->clusters, cluster_name);
	if (!cluster)
		return errf(err, "kubeconfig %s: cluster \"%s\" of context \"%s\" not found", src,
			    cluster_name, context);
	const json_t *user = user_name ? json_object_get(m->users, user_name) : NULL;
	if (user_name && !user)
		return errf(err, "kubeconfig %s: user \"%s\" of context \"%s\" not found", src,
			    user_name, context);

	const char *csrc = json_string_value(json_object_get(cluster, SOURCE_KEY));
	const char *server = str_field(cluster, "server");
	if (!server)
		return errf(err, "kubeconfig %s: cluster \"%s\" has no server", csrc, cluster_name);
	if (!bool_field(cluster, "insecure-skip-tls-verify", &out->insecure, err))
		return false;
	char what[300];
	snprintf(what, sizeof(what), "cluster \"%s\"", cluster_name);
	if (!load_pem(cluster, what, "certificate-authority", "certificate-authority-data", &out->ca,
		      err))
		return false;
	const char *tls_name = str_field(cluster, "tls-server-name");
	if (tls_name)
		out->tls_server_name = xstrdup(tls_name);
	if (out->insecure && out->ca.len)
		return errf(err, "kubeconfig %s: cluster \"%s\": a certificate authority together "
			    "with insecure-skip-tls-verify is not allowed", csrc, cluster_name);

	if (user) {
		const char *usrc = json_string_value(json_object_get(user, SOURCE_KEY));
		snprintf(what, sizeof(what), "user \"%s\"", user_name);
		if (!load_pem(user, what, "client-certificate", "client-certificate-data",
			      &out->client_cert, err) ||
		    !load_pem(user, what, "client-key", "client-key-data", &out->client_key, err))
			return false;
		if ((out->client_cert.len == 0) != (out->client_key.len == 0))
			return errf(err, "kubeconfig %s: user \"%s\": a client certificate needs a "
				    "client key and the other way round", usrc, user_name);
		const char *token = str_field(user, "token");
		const char *token_file = str_field(user, "tokenFile");
		if (token)              /* client-go: a token given inline wins over tokenFile */
			out->token = xstrdup(token);
		else if (token_file)
			out->token_file = xstrdup(token_file);
		if (!out->client_cert.len && !token && !token_file) {
			if (json_object_get(user, "exec") || json_object_get(user, "auth-provider"))
				return errf(err, "kubeconfig %s: user \"%s\" authenticates with an exec or "
					    "auth-provider plugin, which ingot does not support", usrc,
					    user_name);
			if (json_object_get(user, "username") || json_object_get(user, "password"))
				return errf(err, "kubeconfig %s: user \"%s\" uses basic authentication, "
					    "which ingot does not support", usrc, user_name);
		}
	}
	out->server = normalise_server(server);
	out->context = xstrdup(context);
	const char *ns = str_field(ctx, "namespace");
	out->namespace = xstrdup(ns ? ns : "default");
	return true;
}

bool k8s_kubeconfig_load(const char *paths, const char *context, struct k8s_config *out, char *err)
{
	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	struct merged m = { json_object(), json_object(), json_object(), NULL };
	char *list = xstrdup(paths ? paths : "");
	/* A single path must exist; in a list, missing files are skipped (kubectl does the same). */
	bool single = !strchr(list, ':');
	bool ok = true;
	size_t files = 0;
	char *save = NULL;
	for (char *p = strtok_r(list, ":", &save); p && ok; p = strtok_r(NULL, ":", &save)) {
		if (!*p)
			continue;
		files++;
		ok = merge_file(&m, p, single, err);
	}
	if (ok && !files)
		ok = errf(err, "kubeconfig: no file given");
	if (ok && !json_object_size(m.contexts) && !m.current)
		ok = errf(err, "kubeconfig %s: no contexts found", paths);
	if (ok)
		ok = resolve(&m, context, out, err);
	if (!ok)
		k8s_config_free(out);
	free(list);
	free(m.current);
	json_decref(m.clusters);
	json_decref(m.users);
	json_decref(m.contexts);
	return ok;
}

/* --- in-cluster --------------------------------------------------------------------------- */

static char *trimmed(const struct k8s_blob *b)
{
	size_t s = 0, e = b->len;
	const char *d = (const char *)b->data;
	while (s < e && (d[s] == ' ' || d[s] == '\n' || d[s] == '\r' || d[s] == '\t'))
		s++;
	while (e > s && (d[e - 1] == ' ' || d[e - 1] == '\n' || d[e - 1] == '\r' || d[e - 1] == '\t'))
		e--;
	return xstrndup(d + s, e - s);
}

bool k8s_incluster_load(const char *host, const char *port, const struct k8s_incluster_paths *paths,
			struct k8s_config *out, char *err)
{
	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	if (!host || !*host || !port || !*port)
		return errf(err, "in-cluster config: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT "
			    "must be set");
	for (const char *p = port; *p; p++)
		if (*p < '0' || *p > '9')
			return errf(err, "in-cluster config: KUBERNETES_SERVICE_PORT \"%s\" is not a "
				    "port number", port);
	char dflt_token[256], dflt_ca[256], dflt_ns[256];
	snprintf(dflt_token, sizeof(dflt_token), "%s/token", sa_dir);
	snprintf(dflt_ca, sizeof(dflt_ca), "%s/ca.crt", sa_dir);
	snprintf(dflt_ns, sizeof(dflt_ns), "%s/namespace", sa_dir);
	const char *token = paths && paths->token ? paths->token : dflt_token;
	const char *ca = paths && paths->ca ? paths->ca : dflt_ca;
	const char *nsfile = paths && paths->namespace ? paths->namespace : dflt_ns;

	/* The token is read now to fail early, and re-read while running (k8s/token.h). */
	struct k8s_blob b;
	if (!k8s_read_file(token, MAX_PEM, &b))
		return errf(err, "in-cluster config: token %s: %s", token, strerror(errno));
	free(b.data);
	if (!k8s_read_file(ca, MAX_PEM, &out->ca))
		return errf(err, "in-cluster config: CA %s: %s", ca, strerror(errno));
	if (k8s_read_file(nsfile, 4096, &b)) {
		out->namespace = trimmed(&b);
		free(b.data);
	}
	if (!out->namespace || !*out->namespace) {
		free(out->namespace);
		out->namespace = xstrdup("default");
	}
	bool v6 = strchr(host, ':') && host[0] != '[';
	out->server = xasprintf(v6 ? "https://[%s]:%s" : "https://%s:%s", host, port);
	out->token_file = xstrdup(token);
	out->context = xstrdup("in-cluster");
	return true;
}

bool k8s_config_auto(const char *kubeconfig, const char *context, struct k8s_config *out, char *err)
{
	if (kubeconfig && *kubeconfig)
		return k8s_kubeconfig_load(kubeconfig, context, out, err);
	const char *env = getenv("KUBECONFIG");
	if (env && *env)
		return k8s_kubeconfig_load(env, context, out, err);
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	if (host && *host && !context)
		return k8s_incluster_load(host, getenv("KUBERNETES_SERVICE_PORT"), NULL, out, err);
	const char *home = getenv("HOME");
	if (!home || !*home)
		return errf(err, "no kubeconfig: set --kubeconfig or KUBECONFIG, or run in a cluster");
	char *path = xasprintf("%s/.kube/config", home);
	bool ok = k8s_kubeconfig_load(path, context, out, err);
	free(path);
	return ok;
}
