/*
 * Newline framing of a watch stream (internal to src/k8s; pure, no I/O).
 *
 * A watch response is a chunked HTTP body of JSON objects, one per line
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes).
 * Chunk boundaries mean nothing: an event may arrive in many pieces, or many events in one. The
 * framer collects bytes until '\n' and hands each complete line to a callback. A line longer than
 * the framer's maximum is refused (K8S_FRAME_TOO_LARGE) before more memory is taken for it, and
 * the framer stays failed. Empty lines (and a trailing '\r') are skipped.
 */
#ifndef INGOT_K8S_FRAMER_H
#define INGOT_K8S_FRAMER_H

#include <stdbool.h>
#include <stddef.h>

/* Default bound on one event: Kubernetes objects are limited to ~1.5 MB by etcd's request limit,
 * so 16 MiB leaves room for any sane object while stopping a runaway stream. */
#define K8S_FRAME_MAX_DEFAULT (16u << 20)

/* Gets one complete line (without '\n'; not NUL-terminated). Returns false to stop. The callback
 * must not feed or reset the same framer. */
typedef bool (*k8s_frame_fn)(void *arg, const char *line, size_t len);

enum k8s_frame_result {
	K8S_FRAME_OK,
	K8S_FRAME_STOPPED,      /* the callback returned false */
	K8S_FRAME_TOO_LARGE,    /* a line exceeded the maximum; the framer is failed */
};

struct k8s_framer {
	char *buf;               /* the incomplete line so far */
	size_t len;
	size_t cap;
	size_t max;
	bool failed;
};

void k8s_framer_init(struct k8s_framer *f, size_t max_line);
void k8s_framer_free(struct k8s_framer *f);
/* Forgets any partial line and a failure (for a new stream). */
void k8s_framer_reset(struct k8s_framer *f);
enum k8s_frame_result k8s_framer_feed(struct k8s_framer *f, const char *data, size_t len,
				      k8s_frame_fn fn, void *arg);
/* Bytes of an incomplete line held (at the end of a stream: a truncated event). */
static inline size_t k8s_framer_pending(const struct k8s_framer *f) { return f->len; }

#endif
