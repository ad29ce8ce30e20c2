/*
 * Bearer tokens: a fixed one, or one read from a file that is re-read at least every minute and
 * right after the server answered 401, the way client-go's cached file token source does it
 * (bound service-account tokens are rotated by the kubelet; the file is the truth).
 * Time is passed in, so the refresh rule is tested without waiting.
 */
#ifndef INGOT_K8S_TOKEN_H
#define INGOT_K8S_TOKEN_H

#include <stdbool.h>

#include "core/monotime.h"

#define K8S_TOKEN_REFRESH_S 60

struct k8s_token {
	char *fixed;             /* static token, or NULL */
	char *file;              /* token file, or NULL */
	char *cached;            /* last token read from file */
	monotime read_at;        /* when cached was read */
	bool stale;              /* re-read on next use (after a 401) */
};

/* Copies the strings; either may be NULL (no token). */
void k8s_token_init(struct k8s_token *t, const char *fixed, const char *file);
void k8s_token_free(struct k8s_token *t);
/* The token to send now, or NULL for none. A file that cannot be read keeps the last good token
 * (and logs). The string stays valid until the next call. */
const char *k8s_token_get(struct k8s_token *t, monotime now);
/* After a 401: re-read the file on next use. Returns true if that can change anything (the token
 * comes from a file), so the caller knows whether retrying is worth it. */
bool k8s_token_invalidate(struct k8s_token *t);

#endif
