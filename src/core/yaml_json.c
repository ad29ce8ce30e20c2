/*
 * libyaml event stream → jansson trees (see yaml_json.h). One explicit stack of open containers,
 * no recursion, so hostile nesting cannot exhaust the C stack.
 */
#include "core/yaml_json.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/xalloc.h"

#define YJ_MAX_DEPTH 64
#define YJ_MAX_NODES 1000000u

/* --- node → line side table (open addressing on the pointer) ------------------------------- */

struct yj_slot {
	const json_t *node;
	unsigned line;
};

struct yj_lines {
	struct yj_slot *slots;
	size_t cap;      /* power of two */
	size_t used;
};

struct yj_lines *yj_lines_new(void)
{
	struct yj_lines *l = XNEW(struct yj_lines);
	l->cap = 64;
	l->slots = xcalloc(l->cap, sizeof(*l->slots));
	return l;
}

void yj_lines_free(struct yj_lines *lines)
{
	if (!lines)
		return;
	free(lines->slots);
	free(lines);
}

static size_t slot_of(const struct yj_lines *l, const json_t *node)
{
	uintptr_t h = (uintptr_t)node;
	h ^= h >> 17;
	h *= 0x9e3779b1u;
	size_t i = (size_t)h & (l->cap - 1);
	while (l->slots[i].node && l->slots[i].node != node)
		i = (i + 1) & (l->cap - 1);
	return i;
}

/* Stores line for node; the node is only hashed, never dereferenced. */
static void slot_put(struct yj_lines *l, const json_t *node, unsigned line)
{
	size_t i = slot_of(l, node);
	if (!l->slots[i].node) {
		l->slots[i].node = node;
		l->used++;
	}
	l->slots[i].line = line;
}

static void lines_grow(struct yj_lines *l)
{
	struct yj_slot *old = l->slots;
	size_t oldcap = l->cap;
	l->cap *= 2;
	l->slots = xcalloc(l->cap, sizeof(*l->slots));
	l->used = 0;
	/*
	 * Rehash by address only: a node recorded earlier may have been freed since (a document a
	 * caller dropped, a value replaced), so it must not be looked at here.
	 */
	for (size_t i = 0; i < oldcap; i++) {
		if (old[i].node)
			slot_put(l, old[i].node, old[i].line);
	}
	free(old);
}

static void lines_put(struct yj_lines *l, const json_t *node, unsigned line)
{
	if (!l || !node || json_is_boolean(node) || json_is_null(node))
		return;  /* singletons: no identity of their own */
	if ((l->used + 1) * 2 > l->cap)
		lines_grow(l);
	slot_put(l, node, line);
}

void yj_lines_set(struct yj_lines *lines, const json_t *node, unsigned line)
{
	if (line)
		lines_put(lines, node, line);
}

unsigned yj_line(const struct yj_lines *lines, const json_t *node)
{
	if (!lines || !node)
		return 0;
	size_t i = slot_of(lines, node);
	return lines->slots[i].node ? lines->slots[i].line : 0;
}

/* --- documents --------------------------------------------------------------------------- */

void yj_docs_free(struct yj_docs *docs)
{
	for (size_t i = 0; i < docs->n; i++)
		json_decref(docs->v[i]);
	free(docs->v);
	free(docs->lines);
	docs->v = NULL;
	docs->lines = NULL;
	docs->n = 0;
}

static void docs_push(struct yj_docs *docs, json_t *root, unsigned line)
{
	docs->v = xgrow(docs->v, docs->n, sizeof(*docs->v));
	docs->lines = xgrow(docs->lines, docs->n, sizeof(*docs->lines));
	docs->v[docs->n] = root;
	docs->lines[docs->n] = line;
	docs->n++;
}

/* --- scalar resolution ------------------------------------------------------------------- */

static bool is_one_of(const char *s, const char *const *words)
{
	for (; *words; words++) {
		if (strcmp(s, *words) == 0)
			return true;
	}
	return false;
}

static const char *const null_words[] = { "", "~", "null", "Null", "NULL", NULL };
static const char *const true_words[] = { "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On",
					  "ON", "y", "Y", NULL };
static const char *const false_words[] = { "false", "False", "FALSE", "no", "No", "NO", "off",
					   "Off", "OFF", "n", "N", NULL };

static bool all_digits(const char *s, const char *set)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		if (!strchr(set, *s))
			return false;
	}
	return true;
}

static json_t *resolve_int(const char *s)
{
	const char *body = s;
	bool neg = false;
	if (*body == '+' || *body == '-') {
		neg = *body == '-';
		body++;
	}
	int base = 10;
	const char *digits = body;
	if (body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) {
		base = 16;
		digits = body + 2;
		if (!all_digits(digits, "0123456789abcdefABCDEF"))
			return NULL;
	} else if (body[0] == '0' && body[1] == 'o') {
		base = 8;
		digits = body + 2;
		if (!all_digits(digits, "01234567"))
			return NULL;
	} else if (!all_digits(digits, "0123456789")) {
		return NULL;
	}
	errno = 0;
	char *end = NULL;
	unsigned long long v = strtoull(digits, &end, base);
	if (errno || (end && *end))
		return json_real(strtod(s, NULL));
	if (neg) {
		if (v > (unsigned long long)LLONG_MAX + 1)
			return json_real(-(double)v);
		return json_integer(v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(json_int_t)v);
	}
	if (v > (unsigned long long)LLONG_MAX)
		return json_real((double)v);
	return json_integer((json_int_t)v);
}

static json_t *resolve_float(const char *s)
{
	if (is_one_of(s, (const char *const[]){ ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
						"-.inf", "-.Inf", "-.INF", ".nan", ".NaN",
						".NAN", NULL }))
		return NULL;  /* JSON has no infinities or NaN: keep the text */
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	bool digits = false, dot = false;
	while ((*p >= '0' && *p <= '9') || *p == '.') {
		if (*p == '.') {
			if (dot)
				return NULL;
			dot = true;
		} else {
			digits = true;
		}
		p++;
	}
	if (!digits)
		return NULL;
	bool exp = false;
	if (*p == 'e' || *p == 'E') {
		exp = true;
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p || (!dot && !exp))
		return NULL;
	double v = strtod(s, NULL);
	if (!isfinite(v))
		return NULL;
	return json_real(v);
}

static json_t *resolve_scalar(const yaml_event_t *ev, const char *text, size_t len)
{
	const char *tag = (const char *)ev->data.scalar.tag;
	bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	if (tag && strcmp(tag, YAML_STR_TAG) == 0)
		return json_stringn(text, len);
	if (tag && strcmp(tag, "!") == 0)
		return json_stringn(text, len);
	if (plain || (tag && strncmp(tag, "tag:yaml.org,2002:", 18) == 0)) {
		if (is_one_of(text, null_words) && (plain || strcmp(tag, YAML_NULL_TAG) == 0))
			return json_null();
		if (is_one_of(text, true_words))
			return json_true();
		if (is_one_of(text, false_words))
			return json_false();
		json_t *n = resolve_int(text);
		if (!n)
			n = resolve_float(text);
		if (n)
			return n;
	}
	return json_stringn(text, len);
}

bool yj_plain_is_string(const char *text)
{
	if (is_one_of(text, null_words) || is_one_of(text, true_words) ||
	    is_one_of(text, false_words))
		return false;
	json_t *n = resolve_int(text);
	if (!n)
		n = resolve_float(text);
	json_decref(n);
	return n == NULL;
}

/* --- the builder ------------------------------------------------------------------------- */

struct frame {
	json_t *node;
	char *key;          /* pending mapping key; NULL when the next scalar is a key */
	unsigned key_line;  /* the pending key's line: where a value's error points */
	char *anchor;
	unsigned line;
	size_t weight;      /* nodes inside, aliases expanded */
};

struct anchor {
	char *name;
	json_t *node;
	size_t weight;
};

struct builder {
	struct frame stack[YJ_MAX_DEPTH];
	size_t depth;
	struct anchor *anchors;
	size_t nanchors;
	size_t expanded;
	json_t *root;
	unsigned root_line;
	struct yj_lines *lines;
	unsigned line_offset;
	char *err;
	unsigned err_line;
};

static bool fail(struct builder *b, unsigned line, const char *msg)
{
	if (!b->err) {
		b->err = xstrdup(msg);
		b->err_line = line;
	}
	return false;
}

static size_t sat_add(size_t a, size_t c)
{
	return a > SIZE_MAX - c ? SIZE_MAX : a + c;
}

static void remember_anchor(struct builder *b, const char *name, json_t *node, size_t weight)
{
	for (size_t i = 0; i < b->nanchors; i++) {
		if (strcmp(b->anchors[i].name, name) == 0) {
			/* YAML allows redefinition: later aliases see the newer node. */
			json_decref(b->anchors[i].node);
			b->anchors[i].node = json_incref(node);
			b->anchors[i].weight = weight;
			return;
		}
	}
	b->anchors = xgrow(b->anchors, b->nanchors, sizeof(*b->anchors));
	b->anchors[b->nanchors].name = xstrdup(name);
	b->anchors[b->nanchors].node = json_incref(node);
	b->anchors[b->nanchors].weight = weight;
	b->nanchors++;
}

/* Attach a finished node (one reference, which this consumes) to the open container or root. */
static bool attach(struct builder *b, json_t *node, size_t weight, unsigned line)
{
	b->expanded = sat_add(b->expanded, weight);
	if (b->expanded > YJ_MAX_NODES) {
		json_decref(node);
		return fail(b, line, "document too large after alias expansion");
	}
	if (b->depth == 0) {
		json_decref(b->root);
		b->root = node;
		return true;
	}
	struct frame *top = &b->stack[b->depth - 1];
	top->weight = sat_add(top->weight, weight);
	if (json_is_array(top->node)) {
		json_array_append_new(top->node, node);
		return true;
	}
	if (!top->key) {
		json_decref(node);
		return fail(b, line, "mapping keys must be scalars");
	}
	if (json_object_get(top->node, top->key)) {
		char *msg = xasprintf("duplicate key \"%s\"", top->key);
		json_decref(node);
		fail(b, line, msg);
		free(msg);
		return false;
	}
	/* A block value starts below its key; messages read better pointing at the key. */
	lines_put(b->lines, node, top->key_line);
	json_object_set_new(top->node, top->key, node);
	free(top->key);
	top->key = NULL;
	return true;
}

static bool on_scalar(struct builder *b, const yaml_event_t *ev, unsigned line)
{
	const char *text = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	if (memchr(text, '\0', len))
		return fail(b, line, "NUL character in scalar");
	if (b->depth > 0 && json_is_object(b->stack[b->depth - 1].node) &&
	    !b->stack[b->depth - 1].key) {
		/* A mapping key: always its text. */
		b->stack[b->depth - 1].key = xstrndup(text, len);
		b->stack[b->depth - 1].key_line = line;
		return true;
	}
	json_t *node = resolve_scalar(ev, text, len);
	if (!node)
		return fail(b, line, "invalid UTF-8 in scalar");
	lines_put(b->lines, node, line);
	if (ev->data.scalar.anchor)
		remember_anchor(b, (const char *)ev->data.scalar.anchor, node, 1);
	return attach(b, node, 1, line);
}

static bool on_alias(struct builder *b, const yaml_event_t *ev, unsigned line)
{
	const char *name = (const char *)ev->data.alias.anchor;
	if (b->depth > 0 && json_is_object(b->stack[b->depth - 1].node) &&
	    !b->stack[b->depth - 1].key)
		return fail(b, line, "aliases as mapping keys are not supported");
	for (size_t i = b->nanchors; i > 0; i--) {
		struct anchor *a = &b->anchors[i - 1];
		if (strcmp(a->name, name) == 0)
			return attach(b, json_incref(a->node), a->weight, line);
	}
	return fail(b, line, "unknown alias");
}

static bool on_start(struct builder *b, json_t *node, const yaml_char_t *anchor, unsigned line)
{
	if (b->depth > 0 && json_is_object(b->stack[b->depth - 1].node) &&
	    !b->stack[b->depth - 1].key) {
		json_decref(node);
		return fail(b, line, "mapping keys must be scalars");
	}
	if (b->depth == YJ_MAX_DEPTH) {
		json_decref(node);
		return fail(b, line, "nesting too deep");
	}
	lines_put(b->lines, node, line);
	struct frame *f = &b->stack[b->depth++];
	memset(f, 0, sizeof(*f));
	f->node = node;
	f->anchor = anchor ? xstrdup((const char *)anchor) : NULL;
	f->line = line;
	f->weight = 1;
	return true;
}

static bool on_end(struct builder *b, unsigned line)
{
	if (b->depth == 0)
		return fail(b, line, "unbalanced end of collection");
	struct frame f = b->stack[--b->depth];
	free(f.key);
	if (f.anchor) {
		remember_anchor(b, f.anchor, f.node, f.weight);
		free(f.anchor);
	}
	return attach(b, f.node, f.weight, f.line);
}

static void builder_clear(struct builder *b)
{
	while (b->depth > 0) {
		struct frame *f = &b->stack[--b->depth];
		free(f->key);
		free(f->anchor);
		json_decref(f->node);
	}
	for (size_t i = 0; i < b->nanchors; i++) {
		free(b->anchors[i].name);
		json_decref(b->anchors[i].node);
	}
	free(b->anchors);
	b->anchors = NULL;
	b->nanchors = 0;
	json_decref(b->root);
	b->root = NULL;
}

static bool handle(struct builder *b, const yaml_event_t *ev, struct yj_docs *docs)
{
	unsigned line = (unsigned)ev->start_mark.line + 1 + b->line_offset;
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		json_decref(b->root);
		b->root = NULL;
		b->root_line = line;
		return true;
	case YAML_DOCUMENT_END_EVENT:
		docs_push(docs, b->root ? b->root : json_null(), b->root_line);
		b->root = NULL;
		return true;
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev, line);
	case YAML_ALIAS_EVENT:
		return on_alias(b, ev, line);
	case YAML_MAPPING_START_EVENT:
		return on_start(b, json_object(), ev->data.mapping_start.anchor, line);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(b, json_array(), ev->data.sequence_start.anchor, line);
	case YAML_MAPPING_END_EVENT:
	case YAML_SEQUENCE_END_EVENT:
		return on_end(b, line);
	default:
		return true;
	}
}

static bool parse_json(const char *data, size_t len, struct yj_docs *docs, char **err,
		       unsigned *err_line)
{
	json_error_t jerr;
	json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		*err = xstrdup(jerr.text);
		*err_line = jerr.line > 0 ? (unsigned)jerr.line : 0;
		return false;
	}
	docs_push(docs, root, 1);
	return true;
}

static bool looks_like_json(const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = data[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		return c == '{' || c == '[';
	}
	return false;
}

bool yj_parse(const char *data, size_t len, unsigned line_offset, struct yj_lines *lines,
		  struct yj_docs *docs, char **err, unsigned *err_line)
{
	*err = NULL;
	*err_line = 0;
	if (looks_like_json(data, len) && parse_json(data, len, docs, err, err_line))
		return true;
	free(*err);
	*err = NULL;

	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser)) {
		*err = xstrdup("cannot initialise the YAML parser");
		return false;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	struct builder b = { .lines = lines, .line_offset = line_offset };
	bool ok = true, done = false;
	while (ok && !done) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			char *msg = xasprintf("%s%s%s", parser.context ? parser.context : "",
					      parser.context ? ": " : "",
					      parser.problem ? parser.problem : "invalid YAML");
			fail(&b, (unsigned)parser.problem_mark.line + 1 + line_offset, msg);
			free(msg);
			ok = false;
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		ok = handle(&b, &ev, docs);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	builder_clear(&b);
	if (!ok) {
		yj_docs_free(docs);
		*err = b.err ? b.err : xstrdup("invalid YAML");
		*err_line = b.err_line;
		return false;
	}
	free(b.err);
	return true;
}
