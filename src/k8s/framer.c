/*
 * Newline framing of watch streams (see framer.h). Complete lines inside the fed data are handed
 * out in place when nothing is buffered, so the common case copies nothing; only a line split
 * across feeds is assembled in the buffer. Each byte is scanned once.
 */
#include "k8s/framer.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

void k8s_framer_init(struct k8s_framer *f, size_t max_line)
{
	memset(f, 0, sizeof(*f));
	f->max = max_line ? max_line : K8S_FRAME_MAX_DEFAULT;
}

void k8s_framer_free(struct k8s_framer *f)
{
	free(f->buf);
	f->buf = NULL;
	f->len = f->cap = 0;
}

void k8s_framer_reset(struct k8s_framer *f)
{
	f->len = 0;
	f->failed = false;
}

/* Appends n bytes to the partial line, growing geometrically but never past max (+1 for NUL). */
static bool append(struct k8s_framer *f, const char *p, size_t n)
{
	if (n > f->max - f->len)
		return false;
	if (f->len + n + 1 > f->cap) {
		size_t cap = f->cap ? f->cap : 4096;
		while (cap < f->len + n + 1)
			cap *= 2;
		if (cap > f->max + 1)
			cap = f->max + 1;
		f->buf = xreallocarray(f->buf, cap, 1);
		f->cap = cap;
	}
	memcpy(f->buf + f->len, p, n);
	f->len += n;
	return true;
}

/* Delivers one line; strips a trailing '\r' and skips empty lines. */
static bool deliver(const char *line, size_t len, k8s_frame_fn fn, void *arg)
{
	if (len && line[len - 1] == '\r')
		len--;
	if (!len)
		return true;
	return fn(arg, line, len);
}

enum k8s_frame_result k8s_framer_feed(struct k8s_framer *f, const char *data, size_t len,
				      k8s_frame_fn fn, void *arg)
{
	if (f->failed)
		return K8S_FRAME_TOO_LARGE;
	while (len) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl ? (size_t)(nl - data) : len;
		if (!nl) {
			if (!append(f, data, n)) {
				f->failed = true;
				f->len = 0;
				return K8S_FRAME_TOO_LARGE;
			}
			return K8S_FRAME_OK;
		}
		bool go_on;
		if (f->len == 0) {
			if (n > f->max) {
				f->failed = true;
				return K8S_FRAME_TOO_LARGE;
			}
			go_on = deliver(data, n, fn, arg);
		} else {
			if (!append(f, data, n)) {
				f->failed = true;
				f->len = 0;
				return K8S_FRAME_TOO_LARGE;
			}
			size_t total = f->len;
			f->len = 0;
			go_on = deliver(f->buf, total, fn, arg);
		}
		data += n + 1;
		len -= n + 1;
		if (!go_on)
			return K8S_FRAME_STOPPED;
	}
	return K8S_FRAME_OK;
}
