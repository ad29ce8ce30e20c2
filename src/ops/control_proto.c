/*
 * The control socket's protocol (see control.h): parse one request line, answer it from the status
 * providers. Pure: no I/O, so the fuzzer and the unit tests call it directly. Requests are
 * untrusted local input; every failure becomes an {"ok":false,"error":...} response.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "ops/control.h"
#include "ops/control_int.h"

void control_request_clear(struct control_request *req)
{
	for (size_t i = 0; i < req->nsections; i++)
		free(req->sections[i]);
	free(req->sections);
	req->sections = NULL;
	req->nsections = 0;
}

static bool fail(char *err, size_t err_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fail(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return false;
}

static bool parse_sections(json_t *v, struct control_request *out, char *err, size_t err_len)
{
	if (!json_is_array(v))
		return fail(err, err_len, "\"sections\" must be an array of section names");
	if (json_array_size(v) > CONTROL_MAX_SECTIONS)
		return fail(err, err_len, "\"sections\" names more than %d sections",
			    CONTROL_MAX_SECTIONS);
	out->sections = xcalloc(json_array_size(v) + 1, sizeof(char *));
	size_t i;
	json_t *name;
	json_array_foreach(v, i, name) {
		if (!json_is_string(name))
			return fail(err, err_len, "\"sections\" must be an array of section names");
		out->sections[out->nsections++] = xstrdup(json_string_value(name));
	}
	return true;
}

static bool parse_object(json_t *root, struct control_request *out, char *err, size_t err_len)
{
	if (!json_is_object(root))
		return fail(err, err_len, "a request is a JSON object such as {\"cmd\":\"status\"}");
	const char *key;
	json_t *v;
	json_object_foreach(root, key, v) {
		if (strcmp(key, "cmd") != 0 && strcmp(key, "sections") != 0)
			return fail(err, err_len, "unknown field \"%s\"", key);
	}
	json_t *cmd = json_object_get(root, "cmd");
	if (!json_is_string(cmd))
		return fail(err, err_len, "\"cmd\" is missing or not a string");
	if (strcmp(json_string_value(cmd), "status") != 0)
		return fail(err, err_len, "unknown command \"%s\"", json_string_value(cmd));
	out->cmd = CONTROL_CMD_STATUS;
	json_t *sections = json_object_get(root, "sections");
	return !sections || parse_sections(sections, out, err, err_len);
}

bool control_request_parse(const char *line, size_t len, struct control_request *out, char *err,
			   size_t err_len)
{
	*out = (struct control_request){ 0 };
	if (len > CONTROL_MAX_REQUEST)
		return fail(err, err_len, "request longer than %d bytes", CONTROL_MAX_REQUEST);
	json_error_t jerr;
	json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return fail(err, err_len, "request is not valid JSON (column %d)", jerr.column);
	bool ok = parse_object(root, out, err, err_len);
	json_decref(root);
	if (!ok)
		control_request_clear(out);
	return ok;
}

static json_t *error_response(const char *msg)
{
	json_t *text = json_string(msg);
	if (!text)              /* not valid UTF-8: say so without echoing it */
		text = json_string("malformed request");
	return json_pack("{s:b,s:o}", "ok", 0, "error", text);
}

static json_t *section(const struct status_provider *p)
{
	json_t *v = p->fn(p->arg);
	return v ? v : json_null();
}

static json_t *answer_status(const struct status_registry *r, const struct control_request *req)
{
	json_t *result = json_object();
	if (!req->sections) {
		for (size_t i = 0; i < r->n; i++)
			json_object_set_new(result, r->providers[i].name, section(&r->providers[i]));
		return json_pack("{s:b,s:o}", "ok", 1, "result", result);
	}
	for (size_t i = 0; i < req->nsections; i++) {
		const struct status_provider *p = status_find(r, req->sections[i]);
		if (!p) {
			json_decref(result);
			char msg[CONTROL_MAX_REQUEST + 64];
			snprintf(msg, sizeof(msg), "unknown section \"%s\"", req->sections[i]);
			return error_response(msg);
		}
		if (!json_object_get(result, p->name))
			json_object_set_new(result, p->name, section(p));
	}
	return json_pack("{s:b,s:o}", "ok", 1, "result", result);
}

json_t *control_respond(const struct status_registry *r, const char *line, size_t len)
{
	struct control_request req;
	char err[CONTROL_MAX_REQUEST + 64];
	if (!control_request_parse(line, len, &req, err, sizeof(err)))
		return error_response(err);
	json_t *resp = answer_status(r, &req);
	control_request_clear(&req);
	return resp;
}
