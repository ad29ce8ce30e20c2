/*
 * libFuzzer target for the control socket's request parser and responder (ops/control.h):
 * arbitrary bytes as one request line. Every input must give a response object with a boolean
 * "ok" that serialises to one line; a request that parses must also be answered with "ok":true
 * or an unknown-section error, never anything else.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ops/control.h"

static json_t *demo_status(void *arg)
{
	return json_pack("{s:[{s:s,s:i}]}", "sessions", "peer", "10.0.0.1", "uptime_s", 42);
}

static json_t *null_status(void *arg)
{
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct status_registry *r;
	if (!r) {
		r = status_registry_new();
		status_register(r, "bgp", demo_status, NULL);
		status_register(r, "members", null_status, NULL);
	}

	struct control_request req;
	char err[CONTROL_MAX_REQUEST + 64];
	bool parsed = control_request_parse((const char *)data, size, &req, err, sizeof(err));
	if (parsed) {
		if (req.cmd != CONTROL_CMD_STATUS || req.nsections > CONTROL_MAX_SECTIONS)
			abort();
		control_request_clear(&req);
	}

	json_t *resp = control_respond(r, (const char *)data, size);
	if (!json_is_object(resp) || !json_is_boolean(json_object_get(resp, "ok")))
		abort();
	bool ok = json_is_true(json_object_get(resp, "ok"));
	const char *error = json_string_value(json_object_get(resp, "error"));
	if (ok && (!parsed || !json_is_object(json_object_get(resp, "result"))))
		abort();
	if (!ok && (!error || (parsed && strncmp(error, "unknown section", 15) != 0)))
		abort();
	char *text = json_dumps(resp, JSON_COMPACT);
	if (!text || strchr(text, '\n'))
		abort();
	free(text);
	json_decref(resp);
	return 0;
}
