/*
 * The control socket behind `ingot status`: a unix stream socket on the main loop speaking
 * line-delimited JSON, one request line answered by one response line.
 *
 *   request:  {"cmd":"status"}                      every section
 *             {"cmd":"status","sections":["bgp"]}   only these
 *   response: {"ok":true,"result":{"bgp":{...},"l2":{...}}}
 *             {"ok":false,"error":"unknown command \"stop\""}
 *
 * The status document is built from providers: each component registers a section name and a
 * callback returning a JSON value, called on each request. The sections `ingot status` renders as
 * tables (any other section is printed as keys and values) are, by convention:
 *
 *   "bgp":     {"sessions":[{"peer","asn","state","uptime_s","prefixes_sent","prefixes_received"}]}
 *   "bfd":     {"sessions":[{"peer","interface","state","uptime_s","tx_interval_ms","multiplier"}]}
 *   "l2":      {"announcements":[{"ip","interface","service","node"}]}
 *   "members": {"speakers":[{"node","address","state","last_seen_s"}]}
 *
 * Bounds: a request line is at most CONTROL_MAX_REQUEST bytes (a longer one is answered with an
 * error and the connection closed); at most CONTROL_MAX_CLIENTS connections at once; a connection
 * idle for CONTROL_IDLE_TIMEOUT_S is closed. A client is not read from while its response is
 * being written, and one that goes away mid-response only loses its connection (writes use
 * MSG_NOSIGNAL).
 */
#ifndef INGOT_OPS_CONTROL_H
#define INGOT_OPS_CONTROL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/monotime.h"

#define CONTROL_DEFAULT_PATH "/run/ingot/control.sock"

enum {
	CONTROL_MAX_REQUEST = 4096,
	CONTROL_MAX_CLIENTS = 16,
	CONTROL_IDLE_TIMEOUT_S = 30,
	CONTROL_MAX_SECTIONS = 32,
};
/* The largest response the client reads. */
#define CONTROL_MAX_RESPONSE ((size_t)64 << 20)

/* --- status providers (control_status.c) ------------------------------------------------- */

/* Returns a new reference (or NULL, shown as null) describing the component now. */
typedef json_t *(*control_status_fn)(void *arg);

struct status_registry;

struct status_registry *status_registry_new(void);
void status_registry_free(struct status_registry *r);
/* Sections appear in registration order. name is copied, arg borrowed. A name registered twice
 * is a programming error (fatal). */
void status_register(struct status_registry *r, const char *name, control_status_fn fn, void *arg);
void status_unregister(struct status_registry *r, const char *name);

/* --- protocol (control_proto.c, pure) ---------------------------------------------------- */

enum control_cmd {
	CONTROL_CMD_STATUS,
};

struct control_request {
	enum control_cmd cmd;
	char **sections;        /* NULL: all */
	size_t nsections;
};

/* Parses one request line (without its newline). On failure writes a message and returns false.
 * The caller clears *out with control_request_clear() after a successful parse. */
bool control_request_parse(const char *line, size_t len, struct control_request *out, char *err,
			   size_t err_len);
void control_request_clear(struct control_request *req);
/* Parses and answers one request line; returns the response object (a new reference). */
json_t *control_respond(const struct status_registry *r, const char *line, size_t len);

/* --- server (control.c) ------------------------------------------------------------------ */

struct control;

/*
 * Listens on path with mode 0600, creating its directory (mode 0700) when missing. A socket file
 * left by a process that died is replaced; a live socket or a file that is not a socket is left
 * alone and is an error. The new socket is bound under a temporary name and renamed over path,
 * so the path never names a socket with a wider mode. r is borrowed. Returns NULL with a message
 * in err on failure.
 */
struct control *control_new(const char *path, struct status_registry *r, char *err,
			    size_t err_len);
/* Changes how long a connection may stay idle (default CONTROL_IDLE_TIMEOUT_S); for tests. */
void control_set_idle_timeout(struct control *c, monotime timeout);
/* Closes every connection and the listener, and removes the socket file if it is still ours. */
void control_free(struct control *c);

/* --- client (control_client.c) ----------------------------------------------------------- */

/*
 * Sends one request to the socket at path and waits up to timeout_ms for the response. Returns
 * the parsed response object (a new reference), or NULL with a message in err.
 */
json_t *control_call(const char *path, const json_t *request, int timeout_ms, char *err,
		     size_t err_len);

#endif
