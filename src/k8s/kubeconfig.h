/*
 * Where the API server is and how to authenticate to it: kubeconfig files and in-cluster config.
 *
 * kubeconfig (https://kubernetes.io/docs/reference/config-api/kubeconfig.v1/): clusters, users,
 * contexts and current-context; a context named on the command line overrides current-context.
 * KUBECONFIG may list several files separated by ':'; they are merged the way kubectl does it:
 * the first file that defines a cluster, user or context name (or current-context) wins, missing
 * files are skipped. Relative file paths in a file resolve against that file's directory.
 * Certificates and keys are read into memory at load time (files and base64 -data alike); a
 * tokenFile is re-read while running (k8s/token.h). tls-server-name is honoured; exec and
 * auth-provider plugins, basic auth and proxy-url are not (proxies come from the usual
 * environment variables, as libcurl reads them).
 *
 * In-cluster (https://kubernetes.io/docs/tasks/run-application/access-api-from-pod/): server from
 * KUBERNETES_SERVICE_HOST/PORT (an IPv6 host is put in brackets), token, CA and namespace from the
 * service-account directory.
 */
#ifndef INGOT_K8S_KUBECONFIG_H
#define INGOT_K8S_KUBECONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct k8s_blob {
	uint8_t *data;           /* NUL-terminated; len excludes the terminator */
	size_t len;
};

/* Everything a client needs. Owned strings and blobs; free with k8s_config_free(). */
struct k8s_config {
	char *server;            /* "https://host:port[/prefix]", no trailing '/' */
	char *context;           /* the context used, or "in-cluster" */
	char *namespace;         /* the context's namespace, or the pod's; "default" if none */
	struct k8s_blob ca;      /* PEM; empty: the system's CA store */
	struct k8s_blob client_cert;   /* PEM; empty: none */
	struct k8s_blob client_key;
	char *token;             /* static bearer token, or NULL */
	char *token_file;        /* bearer token file, re-read while running; or NULL */
	bool insecure;           /* insecure-skip-tls-verify */
	char *tls_server_name;   /* tls-server-name: name for SNI and certificate checks, or NULL */
};

#define K8S_ERRLEN 512

/* Loads `paths` (one path or a ':'-separated list, as in KUBECONFIG) and picks `context`
 * (NULL: current-context). Returns false with a message in err (at least K8S_ERRLEN bytes). */
bool k8s_kubeconfig_load(const char *paths, const char *context, struct k8s_config *out, char *err);

/* Where the service-account files are; NULL fields take the defaults under
 * /var/run/secrets/kubernetes.io/serviceaccount/. */
struct k8s_incluster_paths {
	const char *token;
	const char *ca;
	const char *namespace;
};

/* In-cluster config from host and port (normally the KUBERNETES_SERVICE_HOST/PORT values) and the
 * service-account files. paths may be NULL. */
bool k8s_incluster_load(const char *host, const char *port, const struct k8s_incluster_paths *paths,
			struct k8s_config *out, char *err);

/* The usual order (controller-runtime's): an explicit kubeconfig path, else $KUBECONFIG, else
 * in-cluster if KUBERNETES_SERVICE_HOST is set, else ~/.kube/config. */
bool k8s_config_auto(const char *kubeconfig, const char *context, struct k8s_config *out, char *err);

void k8s_config_free(struct k8s_config *cfg);

/* Reads a whole file into a blob (NUL-terminated). Returns false with errno set. */
bool k8s_read_file(const char *path, size_t max, struct k8s_blob *out);

#endif
