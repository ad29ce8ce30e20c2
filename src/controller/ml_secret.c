/*
 * The memberlist Secret: GET, and POST when it is missing (see ml_secret.h).
 */
#include "controller/ml_secret.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/base64.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/xalloc.h"
#include "k8s/resource.h"

#define RETRY_INITIAL_MS 1000
#define RETRY_MAX_MS 30000

struct ml_secret {
	struct k8s_client *c;
	char *ns, *name;
	enum ml_secret_state state;
	struct k8s_request *req;
	struct timer *retry;
	int64_t retry_ms;
};

const char *ml_secret_state_name(enum ml_secret_state s)
{
	switch (s) {
	case ML_SECRET_CHECKING:
		return "checking";
	case ML_SECRET_FOUND:
		return "found";
	case ML_SECRET_CREATED:
		return "created";
	}
	return "?";
}

json_t *ml_secret_object(const char *ns, const char *name, const uint8_t key[ML_SECRET_BYTES])
{
	/* MetalLB: base64.RawStdEncoding of the 16 bytes is the Secret's value */
	char *text = base64_encode(key, ML_SECRET_BYTES);
	size_t len = strlen(text);
	while (len && text[len - 1] == '=')
		text[--len] = '\0';
	/* ... and the API's data field holds that value base64-encoded (StdEncoding, padded) */
	char *data = base64_encode(text, len);
	json_t *obj = json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:{s:s}}", "apiVersion", "v1",
				"kind", "Secret", "metadata", "name", name, "namespace", ns, "type",
				"Opaque", "data", ML_SECRET_KEY, data);
	free(data);
	explicit_bzero(text, len);
	free(text);
	if (!obj)
		log_fatal("controller", "out of memory", "");
	return obj;
}

static void get_secret(struct ml_secret *ms);

static void later(struct ml_secret *ms, const struct k8s_status *st, const char *what)
{
	static struct log_ratelimit rl = LOG_RATELIMIT(5, 1);
	log_rl(&rl, st->outcome == K8S_FORBIDDEN ? LOGL_WARN : LOGL_INFO, "controller",
	       "memberlist secret: request failed, will retry", "secret=%s/%s step=%s outcome=%s "
	       "retry_ms=%lld message=%s", ms->ns, ms->name, what, k8s_outcome_name(st->outcome),
	       (long long)ms->retry_ms, st->message);
	timer_start(ms->retry, mono_from_ms(ms->retry_ms));
	ms->retry_ms = ms->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : ms->retry_ms * 2;
}

static void created(void *arg, const struct k8s_response *resp)
{
	struct ml_secret *ms = arg;
	ms->req = NULL;
	if (resp->status.outcome == K8S_OK) {
		ms->state = ML_SECRET_CREATED;
		log_info("controller", "memberlist secret created", "secret=%s/%s", ms->ns, ms->name);
	} else if (resp->status.outcome == K8S_CONFLICT) {
		/* another replica created it between our GET and POST */
		ms->state = ML_SECRET_FOUND;
		log_info("controller", "memberlist secret already exists, left alone",
			 "secret=%s/%s", ms->ns, ms->name);
	} else {
		later(ms, &resp->status, "create");
	}
}

static void create_secret(struct ml_secret *ms)
{
	uint8_t key[ML_SECRET_BYTES];
	size_t got = 0;
	while (got < sizeof(key)) {
		ssize_t n = getrandom(key + got, sizeof(key) - got, 0);
		if (n < 0)
			log_fatal("controller", "getrandom failed", "secret=%s/%s", ms->ns, ms->name);
		got += (size_t)n;
	}
	json_t *obj = ml_secret_object(ms->ns, ms->name, key);
	explicit_bzero(key, sizeof(key));
	char *path = k8s_path(&k8s_res_secrets, ms->ns, NULL, NULL);
	ms->req = k8s_request(ms->c, "POST", path, obj, NULL, created, ms);
	free(path);
	json_decref(obj);
}

static void got(void *arg, const struct k8s_response *resp)
{
	struct ml_secret *ms = arg;
	ms->req = NULL;
	if (resp->status.outcome == K8S_OK) {
		ms->state = ML_SECRET_FOUND;
		log_info("controller", "memberlist secret exists, left alone", "secret=%s/%s", ms->ns,
			 ms->name);
	} else if (resp->status.outcome == K8S_NOT_FOUND) {
		create_secret(ms);
	} else {
		later(ms, &resp->status, "get");
	}
}

static void get_secret(struct ml_secret *ms)
{
	char *path = k8s_path(&k8s_res_secrets, ms->ns, ms->name, NULL);
	ms->req = k8s_request(ms->c, "GET", path, NULL, NULL, got, ms);
	free(path);
}

static void retry_fire(void *arg)
{
	get_secret(arg);
}

struct ml_secret *ml_secret_start(struct k8s_client *c, const char *ns, const char *name)
{
	struct ml_secret *ms = XNEW(struct ml_secret);
	ms->c = c;
	ms->ns = xstrdup(ns);
	ms->name = xstrdup(name);
	ms->retry = timer_new(retry_fire, ms);
	ms->retry_ms = RETRY_INITIAL_MS;
	get_secret(ms);
	return ms;
}

enum ml_secret_state ml_secret_state(const struct ml_secret *ms)
{
	return ms->state;
}

void ml_secret_free(struct ml_secret *ms)
{
	if (!ms)
		return;
	if (ms->req)
		k8s_request_cancel(ms->req);
	timer_free(ms->retry);
	free(ms->ns);
	free(ms->name);
	free(ms);
}
