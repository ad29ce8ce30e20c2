/*
 * Watch event decoding (see watch_event.h).
 */
#include "k8s/watch_event.h"

#include <stdio.h>
#include <string.h>

static const char *const names[] = {
	[K8S_WATCH_ADDED] = "ADDED",
	[K8S_WATCH_MODIFIED] = "MODIFIED",
	[K8S_WATCH_DELETED] = "DELETED",
	[K8S_WATCH_BOOKMARK] = "BOOKMARK",
	[K8S_WATCH_ERROR] = "ERROR",
};

const char *k8s_watch_type_name(enum k8s_watch_type type)
{
	return (size_t)type < sizeof(names) / sizeof(names[0]) ? names[type] : "?";
}

static const char *str_or_empty(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

int k8s_watch_event_parse(const char *line, size_t len, struct k8s_watch_event *ev, char *err,
			  size_t errlen)
{
	memset(ev, 0, sizeof(*ev));
	json_error_t jerr;
	/* JSON_REJECT_DUPLICATES keeps one reading of an object for every consumer. */
	json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(err, errlen, "invalid JSON at offset %d: %s", jerr.position, jerr.text);
		return -1;
	}
	const char *type = json_string_value(json_object_get(root, "type"));
	json_t *obj = json_object_get(root, "object");
	int found = -1;
	for (size_t i = 0; type && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(type, names[i]))
			found = (int)i;
	if (found < 0) {
		snprintf(err, errlen, "unknown event type \"%.40s\"", type ? type : "(none)");
		json_decref(root);
		return -1;
	}
	if (!json_is_object(obj)) {
		snprintf(err, errlen, "%s event without an object", type);
		json_decref(root);
		return -1;
	}
	ev->type = (enum k8s_watch_type)found;
	ev->object = json_incref(obj);
	json_decref(root);
	if (ev->type == K8S_WATCH_ERROR) {
		json_t *code = json_object_get(obj, "code");
		ev->code = json_is_integer(code) ? (long)json_integer_value(code) : 0;
		ev->reason = str_or_empty(obj, "reason");
		ev->message = str_or_empty(obj, "message");
		return 0;
	}
	ev->rv = json_string_value(json_object_get(json_object_get(obj, "metadata"),
						   "resourceVersion"));
	if (!ev->rv || !*ev->rv) {
		snprintf(err, errlen, "%s event object has no metadata.resourceVersion",
			 k8s_watch_type_name(ev->type));
		k8s_watch_event_clear(ev);
		return -1;
	}
	return 0;
}

void k8s_watch_event_clear(struct k8s_watch_event *ev)
{
	json_decref(ev->object);
	memset(ev, 0, sizeof(*ev));
}
