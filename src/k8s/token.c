/*
 * Bearer token source with periodic and on-demand file re-reads (see token.h).
 */
#include "k8s/token.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "k8s/kubeconfig.h"

void k8s_token_init(struct k8s_token *t, const char *fixed, const char *file)
{
	memset(t, 0, sizeof(*t));
	t->fixed = fixed ? xstrdup(fixed) : NULL;
	t->file = file ? xstrdup(file) : NULL;
	t->stale = true;
}

void k8s_token_free(struct k8s_token *t)
{
	free(t->fixed);
	free(t->file);
	free(t->cached);
	memset(t, 0, sizeof(*t));
}

static void reread(struct k8s_token *t, monotime now)
{
	static struct log_ratelimit rl = LOG_RATELIMIT(3, 1);
	struct k8s_blob b;
	if (!k8s_read_file(t->file, 1u << 20, &b)) {
		log_rl(&rl, LOGL_WARN, "k8s", "cannot read token file, keeping the last token",
		       "file=%s error=%s", t->file, strerror(errno));
		t->read_at = now;       /* try again after the period, not on every request */
		t->stale = false;
		return;
	}
	size_t len = b.len;
	while (len > 0 && (b.data[len - 1] == '\n' || b.data[len - 1] == '\r' || b.data[len - 1] == ' '))
		len--;
	free(t->cached);
	t->cached = xstrndup((const char *)b.data, len);
	free(b.data);
	t->read_at = now;
	t->stale = false;
}

const char *k8s_token_get(struct k8s_token *t, monotime now)
{
	if (t->fixed)
		return t->fixed;
	if (!t->file)
		return NULL;
	if (t->stale || !t->cached ||
	    !mono_before(now, mono_add(t->read_at, mono_from_s(K8S_TOKEN_REFRESH_S))))
		reread(t, now);
	return t->cached && *t->cached ? t->cached : NULL;
}

bool k8s_token_invalidate(struct k8s_token *t)
{
	if (t->fixed || !t->file)
		return false;
	t->stale = true;
	return true;
}
