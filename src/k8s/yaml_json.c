/*
 * YAML to jansson (see yaml_json.h): a recursive descent over libyaml's event stream.
 */
#include "k8s/yaml_json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/xalloc.h"

#define MAX_DEPTH 200

struct anchor {
	char *name;
	json_t *value;
};

struct conv {
	yaml_parser_t parser;
	struct anchor *anchors;
	size_t nanchors;
	size_t nodes;
	char *err;
	size_t errlen;
	bool failed;
};

static void fail(struct conv *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct conv *c, const char *fmt, ...)
{
	if (c->failed)
		return;
	c->failed = true;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
}

static bool next_event(struct conv *c, yaml_event_t *ev)
{
	if (yaml_parser_parse(&c->parser, ev))
		return true;
	fail(c, "YAML error at line %zu column %zu: %s",
	     (size_t)c->parser.problem_mark.line + 1, (size_t)c->parser.problem_mark.column + 1,
	     c->parser.problem ? c->parser.problem : "unknown problem");
	return false;
}

/* Counts nodes of a copied tree, for the alias bound. */
static size_t tree_size(const json_t *v)
{
	size_t n = 1;
	if (json_is_object(v)) {
		const char *k;
		json_t *x;
		json_object_foreach((json_t *)v, k, x)
			n += tree_size(x);
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x)
			n += tree_size(x);
	}
	return n;
}

static bool count_node(struct conv *c, size_t n)
{
	c->nodes += n;
	if (c->nodes > K8S_YAML_MAX_NODES) {
		fail(c, "YAML document too large (more than %d nodes after expanding aliases)",
		     K8S_YAML_MAX_NODES);
		return false;
	}
	return true;
}

static void remember(struct conv *c, const yaml_char_t *anchor, json_t *v)
{
	if (!anchor)
		return;
	c->anchors = xreallocarray(c->anchors, c->nanchors + 1, sizeof(*c->anchors));
	c->anchors[c->nanchors].name = xstrdup((const char *)anchor);
	c->anchors[c->nanchors].value = json_incref(v);
	c->nanchors++;
}

static bool is_decimal_int(const char *s, json_int_t *out)
{
	const char *p = s;
	if (*p == '-' || *p == '+')
		p++;
	if (!*p)
		return false;
	for (const char *q = p; *q; q++)
		if (*q < '0' || *q > '9')
			return false;
	errno = 0;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*out = (json_int_t)v;
	return true;
}

static json_t *scalar(const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev->data.scalar.tag) {
		if (len == 0 || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
		    !strcmp(s, "NULL"))
			return json_null();
		if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
			return json_true();
		if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
			return json_false();
		json_int_t i;
		if (is_decimal_int(s, &i))
			return json_integer(i);
	}
	return json_stringn(s, len);
}

static json_t *node(struct conv *c, yaml_event_t *ev, int depth);

static json_t *mapping(struct conv *c, int depth)
{
	json_t *obj = json_object();
	for (;;) {
		yaml_event_t kev;
		if (!next_event(c, &kev))
			break;
		if (kev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&kev);
			return obj;
		}
		if (kev.type != YAML_SCALAR_EVENT) {
			fail(c, "YAML line %zu: only scalar mapping keys are supported",
			     (size_t)kev.start_mark.line + 1);
			yaml_event_delete(&kev);
			break;
		}
		char *key = xstrndup((const char *)kev.data.scalar.value, kev.data.scalar.length);
		size_t line = kev.start_mark.line + 1;
		yaml_event_delete(&kev);
		yaml_event_t vev;
		if (!next_event(c, &vev)) {
			free(key);
			break;
		}
		json_t *v = node(c, &vev, depth + 1);
		yaml_event_delete(&vev);
		if (!v) {
			free(key);
			break;
		}
		if (json_object_get(obj, key)) {
			fail(c, "YAML line %zu: duplicate key \"%s\"", line, key);
			json_decref(v);
			free(key);
			break;
		}
		json_object_set_new(obj, key, v);
		free(key);
	}
	json_decref(obj);
	return NULL;
}

static json_t *sequence(struct conv *c, int depth)
{
	json_t *arr = json_array();
	for (;;) {
		yaml_event_t ev;
		if (!next_event(c, &ev))
			break;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return arr;
		}
		json_t *v = node(c, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (!v)
			break;
		json_array_append_new(arr, v);
	}
	json_decref(arr);
	return NULL;
}

/* Converts the node that starts with ev (already read; the caller deletes it). */
static json_t *node(struct conv *c, yaml_event_t *ev, int depth)
{
	if (depth > MAX_DEPTH) {
		fail(c, "YAML nested deeper than %d levels", MAX_DEPTH);
		return NULL;
	}
	if (!count_node(c, 1))
		return NULL;
	json_t *v = NULL;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		v = scalar(ev);
		if (!v) {
			fail(c, "YAML line %zu: scalar is not valid UTF-8",
			     (size_t)ev->start_mark.line + 1);
			return NULL;
		}
		remember(c, ev->data.scalar.anchor, v);
		return v;
	case YAML_MAPPING_START_EVENT:
		v = mapping(c, depth);
		if (v)
			remember(c, ev->data.mapping_start.anchor, v);
		return v;
	case YAML_SEQUENCE_START_EVENT:
		v = sequence(c, depth);
		if (v)
			remember(c, ev->data.sequence_start.anchor, v);
		return v;
	case YAML_ALIAS_EVENT:
		for (size_t i = c->nanchors; i-- > 0;) {
			if (!strcmp(c->anchors[i].name, (const char *)ev->data.alias.anchor)) {
				if (!count_node(c, tree_size(c->anchors[i].value)))
					return NULL;
				return json_deep_copy(c->anchors[i].value);
			}
		}
		fail(c, "YAML line %zu: unknown alias *%s", (size_t)ev->start_mark.line + 1,
		     (const char *)ev->data.alias.anchor);
		return NULL;
	default:
		fail(c, "YAML line %zu: unexpected event", (size_t)ev->start_mark.line + 1);
		return NULL;
	}
}

json_t *k8s_yaml_to_json(const char *text, size_t len, char *err, size_t errlen)
{
	struct conv c = { .err = err, .errlen = errlen };
	if (errlen)
		err[0] = '\0';
	if (!yaml_parser_initialize(&c.parser)) {
		snprintf(err, errlen, "cannot initialise the YAML parser");
		return NULL;
	}
	yaml_parser_set_input_string(&c.parser, (const unsigned char *)text, len);
	json_t *result = NULL;
	for (;;) {
		yaml_event_t ev;
		if (!next_event(&c, &ev))
			break;
		yaml_event_type_t type = ev.type;
		if (type == YAML_STREAM_END_EVENT || type == YAML_DOCUMENT_END_EVENT) {
			yaml_event_delete(&ev);
			if (!result)
				result = json_object();
			break;
		}
		if (type == YAML_STREAM_START_EVENT || type == YAML_DOCUMENT_START_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		result = node(&c, &ev, 0);
		yaml_event_delete(&ev);
		if (!result)
			break;
	}
	if (c.failed) {
		json_decref(result);
		result = NULL;
	}
	for (size_t i = 0; i < c.nanchors; i++) {
		free(c.anchors[i].name);
		json_decref(c.anchors[i].value);
	}
	free(c.anchors);
	yaml_parser_delete(&c.parser);
	return result;
}
