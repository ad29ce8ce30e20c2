/*
 * libFuzzer target: a watch stream through the framer (k8s/framer.h) and the event decoder
 * (k8s/watch_event.h). The first byte picks the chunk size, the rest is the stream. Checks that
 * framing does not depend on how the stream is cut: the lines seen when feeding chunk by chunk are
 * exactly those seen when feeding everything at once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/framer.h"
#include "k8s/watch_event.h"

#define MAX_LINE 4096

struct sink {
	uint8_t *data;           /* lines joined with '\n' */
	size_t len;
	size_t lines;
};

static bool take(void *arg, const char *line, size_t len)
{
	struct sink *s = arg;
	s->data = realloc(s->data, s->len + len + 1);
	if (!s->data)
		abort();
	memcpy(s->data + s->len, line, len);
	s->len += len;
	s->data[s->len++] = '\n';
	s->lines++;
	struct k8s_watch_event ev;
	char err[128];
	if (k8s_watch_event_parse(line, len, &ev, err, sizeof(err)) == 0)
		k8s_watch_event_clear(&ev);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t chunk = (size_t)data[0] + 1;
	const char *stream = (const char *)data + 1;
	size_t len = size - 1;

	struct k8s_framer whole, parts;
	struct sink a = { 0 }, b = { 0 };
	k8s_framer_init(&whole, MAX_LINE);
	k8s_framer_init(&parts, MAX_LINE);
	enum k8s_frame_result ra = k8s_framer_feed(&whole, stream, len, take, &a);
	enum k8s_frame_result rb = K8S_FRAME_OK;
	for (size_t off = 0; off < len && rb == K8S_FRAME_OK; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		rb = k8s_framer_feed(&parts, stream + off, n, take, &b);
	}
	if (ra != rb || a.lines != b.lines || a.len != b.len || (a.len && memcmp(a.data, b.data, a.len)))
		abort();
	if (ra == K8S_FRAME_OK && k8s_framer_pending(&whole) != k8s_framer_pending(&parts))
		abort();
	free(a.data);
	free(b.data);
	k8s_framer_free(&whole);
	k8s_framer_free(&parts);
	return 0;
}
