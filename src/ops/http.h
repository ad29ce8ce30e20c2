/*
 * The operations HTTP server on libevent's evhttp, on the main loop (core/loop.h):
 *
 *   GET /metrics   the registry in the Prometheus text format (ops/metrics.h)
 *   GET /healthz   200 while the loop answers and every liveness check passes, else 503
 *   GET /readyz    200 when every readiness check passes, else 503 naming what failed
 *
 * Bodies of /healthz and /readyz are the Kubernetes `?verbose` listing (ops/health.h); /healthz
 * starts with `[+]loop ok`, which is true by construction because the loop itself answered.
 * HEAD is answered like GET without a body; other methods get 405, other paths 404. Query strings
 * are ignored. Requests are bounded (8 KiB of headers, no body, 10 s timeout).
 *
 * Starting the server sets SIGPIPE to be ignored for the process: evhttp writes with writev(),
 * and a scraper that goes away mid-response must not kill the daemon.
 */
#ifndef INGOT_OPS_HTTP_H
#define INGOT_OPS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct metrics;
struct health;
struct ops_http;

/*
 * Listens on address (an IPv4 or IPv6 literal such as "0.0.0.0", "127.0.0.1", "::" or "::1")
 * and port (0 picks a free one, see ops_http_port). m and h are borrowed and must outlive the
 * server; without m /metrics answers 404, without h /healthz and /readyz report only the loop.
 * Returns NULL with a message in err when the address is bad or cannot be bound. The caller frees
 * the server with ops_http_free().
 */
struct ops_http *ops_http_new(const char *address, uint16_t port, struct metrics *m,
			      struct health *h, char *err, size_t err_len);
/* The port the server listens on. */
uint16_t ops_http_port(const struct ops_http *s);
/* Closes the listener and every open connection. */
void ops_http_free(struct ops_http *s);

/*
 * Splits "host:port", "[v6]:port" or ":port" (host then "::", any address) into its parts.
 * *host is a fresh string the caller frees. Returns false on malformed text or port.
 */
bool ops_listen_parse(const char *text, char **host, uint16_t *port);

#endif
