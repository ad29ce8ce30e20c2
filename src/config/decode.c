/* Strict field readers over jansson objects (see decode.h). */
#include "config/decode.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/values.h"
#include "core/xalloc.h"

void dec_object(struct dctx *c, const char *kind, const char *name)
{
	snprintf(c->object, sizeof(c->object), "%s/%s", kind, name && *name ? name : "(unnamed)");
}

unsigned dec_line(const struct dctx *c, const json_t *node)
{
	unsigned line = yj_line(c->lines, node);
	return line ? line : c->line;
}

static void dec_report(struct dctx *c, enum cfg_severity sev, const json_t *node, const char *path,
		     const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static void dec_report(struct dctx *c, enum cfg_severity sev, const json_t *node, const char *path,
		     const char *fmt, va_list ap)
{
	char *reason = NULL;
	if (vasprintf(&reason, fmt, ap) < 0)
		reason = NULL;
	cfg_diags_add(c->diags, sev, c->file, dec_line(c, node), c->object, path, "%s",
		      reason ? reason : fmt);
	free(reason);
	if (sev == CFG_ERROR)
		c->errors++;
}

void dec_error(struct dctx *c, const json_t *node, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	dec_report(c, CFG_ERROR, node, path, fmt, ap);
	va_end(ap);
}

void dec_warn(struct dctx *c, const json_t *node, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	dec_report(c, CFG_WARNING, node, path, fmt, ap);
	va_end(ap);
}

void dec_path(char *out, const char *base, const char *key)
{
	if (base && *base)
		snprintf(out, DPATH_MAX, "%s.%s", base, key);
	else
		snprintf(out, DPATH_MAX, "%s", key);
}

void dec_path_index(char *out, const char *base, size_t index)
{
	snprintf(out, DPATH_MAX, "%s[%zu]", base ? base : "", index);
}

bool dec_known_keys(struct dctx *c, const json_t *obj, const char *path, const char *const *allowed)
{
	bool ok = true;
	const char *key;
	json_t *value;
	json_object_foreach((json_t *)obj, key, value) {
		bool known = false;
		for (const char *const *a = allowed; *a; a++) {
			if (strcmp(*a, key) == 0) {
				known = true;
				break;
			}
		}
		if (!known) {
			char p[DPATH_MAX];
			dec_path(p, path, key);
			dec_error(c, value, p, "unknown field");
			ok = false;
		}
	}
	return ok;
}

bool dec_is_object(struct dctx *c, const json_t *node, const char *path)
{
	if (json_is_object(node))
		return true;
	dec_error(c, node, path, "must be a mapping");
	return false;
}

/* obj[key], or NULL when absent or null. */
static json_t *field(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_null(v) ? NULL : v;
}

bool dec_string(struct dctx *c, const json_t *obj, const char *path, const char *key, char **out)
{
	json_t *v = field(obj, key);
	if (!v)
		return true;
	char p[DPATH_MAX];
	dec_path(p, path, key);
	if (!json_is_string(v)) {
		dec_error(c, v, p, "must be a string");
		return false;
	}
	free(*out);
	*out = xstrdup(json_string_value(v));
	return true;
}

bool dec_bool(struct dctx *c, const json_t *obj, const char *path, const char *key, bool *out)
{
	json_t *v = field(obj, key);
	if (!v)
		return true;
	if (!json_is_boolean(v)) {
		char p[DPATH_MAX];
		dec_path(p, path, key);
		dec_error(c, v, p, "must be a boolean");
		return false;
	}
	*out = json_is_true(v);
	return true;
}

bool dec_uint(struct dctx *c, const json_t *obj, const char *path, const char *key, uint64_t min,
	    uint64_t max, uint64_t *out, bool *present)
{
	json_t *v = field(obj, key);
	if (!v)
		return true;
	char p[DPATH_MAX];
	dec_path(p, path, key);
	if (!json_is_integer(v)) {
		dec_error(c, v, p, "must be an integer");
		return false;
	}
	json_int_t n = json_integer_value(v);
	if (n < 0 || (uint64_t)n < min || (uint64_t)n > max) {
		dec_error(c, v, p, "%lld is out of range %llu..%llu", (long long)n,
			(unsigned long long)min, (unsigned long long)max);
		return false;
	}
	*out = (uint64_t)n;
	if (present)
		*present = true;
	return true;
}

bool dec_int(struct dctx *c, const json_t *obj, const char *path, const char *key, int64_t min,
	   int64_t max, int64_t *out)
{
	json_t *v = field(obj, key);
	if (!v)
		return true;
	char p[DPATH_MAX];
	dec_path(p, path, key);
	if (!json_is_integer(v)) {
		dec_error(c, v, p, "must be an integer");
		return false;
	}
	json_int_t n = json_integer_value(v);
	if (n < min || n > max) {
		dec_error(c, v, p, "%lld is out of range %lld..%lld", (long long)n, (long long)min,
			(long long)max);
		return false;
	}
	*out = n;
	return true;
}

bool dec_strings(struct dctx *c, const json_t *obj, const char *path, const char *key,
	       struct cfg_strings *out)
{
	json_t *v = field(obj, key);
	if (!v)
		return true;
	char p[DPATH_MAX];
	dec_path(p, path, key);
	if (!json_is_array(v)) {
		dec_error(c, v, p, "must be a list");
		return false;
	}
	bool ok = true;
	size_t i;
	json_t *item;
	json_array_foreach(v, i, item) {
		if (!json_is_string(item)) {
			char pi[DPATH_MAX];
			dec_path_index(pi, p, i);
			dec_error(c, item, pi, "must be a string");
			ok = false;
			continue;
		}
		strings_push(out, json_string_value(item));
	}
	return ok;
}

bool dec_duration(struct dctx *c, const json_t *obj, const char *path, const char *key, int64_t *ms,
		bool *present)
{
	json_t *v = field(obj, key);
	if (!v)
		return true;
	char p[DPATH_MAX];
	dec_path(p, path, key);
	if (!json_is_string(v)) {
		dec_error(c, v, p, "must be a duration string such as \"90s\"");
		return false;
	}
	if (!cfg_duration_parse_ms(json_string_value(v), ms)) {
		dec_error(c, v, p, "invalid duration \"%s\"", json_string_value(v));
		return false;
	}
	*present = true;
	return true;
}

bool dec_labels(struct dctx *c, const json_t *obj, const char *path, const char *key,
	      struct cfg_labels *out)
{
	json_t *v = field(obj, key);
	if (!v)
		return true;
	char p[DPATH_MAX];
	dec_path(p, path, key);
	if (!dec_is_object(c, v, p))
		return false;
	bool ok = true;
	const char *k;
	json_t *value;
	json_object_foreach(v, k, value) {
		if (!json_is_string(value)) {
			char pk[DPATH_MAX];
			dec_path(pk, p, k);
			dec_error(c, value, pk, "must be a string");
			ok = false;
			continue;
		}
		labels_set(out, k, json_string_value(value));
	}
	return ok;
}

/* Label syntax as Kubernetes' LabelSelectorAsSelector checks it (value NULL: key only). */
static bool label_ok(struct dctx *c, const json_t *node, const char *path, const char *key,
		     const char *value)
{
	if (!cfg_label_key_ok(key)) {
		dec_error(c, node, path, "invalid label key \"%s\"", key);
		return false;
	}
	if (value && !cfg_label_value_ok(value)) {
		dec_error(c, node, path, "invalid label value \"%s\" for key \"%s\"", value, key);
		return false;
	}
	return true;
}

static bool dec_expr(struct dctx *c, const json_t *node, const char *path, struct cfg_sel_expr *e)
{
	static const char *const keys[] = { "key", "operator", "values", NULL };
	if (!dec_is_object(c, node, path))
		return false;
	bool ok = dec_known_keys(c, node, path, keys);
	char *op = NULL;
	ok &= dec_string(c, node, path, "key", &e->key);
	ok &= dec_string(c, node, path, "operator", &op);
	ok &= dec_strings(c, node, path, "values", &e->values);
	if (!e->key) {
		char p[DPATH_MAX];
		dec_path(p, path, "key");
		dec_error(c, node, p, "required");
		ok = false;
		e->key = xstrdup("");
	}
	char p[DPATH_MAX];
	dec_path(p, path, "operator");
	if (!op) {
		dec_error(c, node, p, "required");
		ok = false;
	} else if (!selector_op_parse(op, &e->op)) {
		dec_error(c, node, p, "\"%s\" is not a valid label selector operator", op);
		ok = false;
	} else if ((e->op == CFG_SEL_IN || e->op == CFG_SEL_NOT_IN) && e->values.n == 0) {
		dec_path(p, path, "values");
		dec_error(c, node, p, "must be non-empty for operator %s", op);
		ok = false;
	} else if ((e->op == CFG_SEL_EXISTS || e->op == CFG_SEL_DOES_NOT_EXIST) && e->values.n) {
		dec_path(p, path, "values");
		dec_error(c, node, p, "must be empty for operator %s", op);
		ok = false;
	}
	free(op);
	if (*e->key) {
		dec_path(p, path, "key");
		ok = ok && label_ok(c, node, p, e->key, NULL);
	}
	dec_path(p, path, "values");
	for (size_t i = 0; ok && i < e->values.n; i++)
		ok = label_ok(c, node, p, e->key, e->values.v[i]);
	for (size_t i = 0; i < e->values.n; i++) {
		for (size_t j = i + 1; j < e->values.n; j++) {
			if (strcmp(e->values.v[i], e->values.v[j]) == 0) {
				dec_path(p, path, "values");
				dec_error(c, node, p, "duplicate value \"%s\"", e->values.v[i]);
				ok = false;
			}
		}
	}
	return ok;
}

bool dec_selector(struct dctx *c, const json_t *node, const char *path, enum d_selector_style style,
		struct cfg_selector *out)
{
	static const char *const crd_keys[] = { "matchLabels", "matchExpressions", NULL };
	static const char *const legacy_keys[] = { "match-labels", "match-expressions", NULL };
	const char *const *keys = style == D_SEL_CRD ? crd_keys : legacy_keys;
	if (!dec_is_object(c, node, path))
		return false;
	bool ok = dec_known_keys(c, node, path, keys);
	ok &= dec_labels(c, node, path, keys[0], &out->match_labels);
	for (size_t i = 0; i < out->match_labels.n; i++) {
		char p[DPATH_MAX];
		dec_path(p, path, keys[0]);
		ok &= label_ok(c, node, p, out->match_labels.v[i].key, out->match_labels.v[i].value);
	}
	json_t *exprs = field(node, keys[1]);
	if (!exprs)
		return ok;
	char p[DPATH_MAX];
	dec_path(p, path, keys[1]);
	if (!json_is_array(exprs)) {
		dec_error(c, exprs, p, "must be a list");
		return false;
	}
	size_t i;
	json_t *item;
	json_array_foreach(exprs, i, item) {
		char pi[DPATH_MAX];
		dec_path_index(pi, p, i);
		struct cfg_sel_expr *e = selector_add_expr(out);
		ok &= dec_expr(c, item, pi, e);
		for (size_t j = 0; j + 1 < out->nexprs; j++) {
			struct cfg_selector one = { .exprs = &out->exprs[j], .nexprs = 1 };
			struct cfg_selector two = { .exprs = e, .nexprs = 1 };
			if (selector_equal(&one, &two)) {
				dec_error(c, item, pi, "duplicate match expression");
				ok = false;
			}
		}
	}
	return ok;
}

bool dec_selectors(struct dctx *c, const json_t *obj, const char *path, const char *key,
		 enum d_selector_style style, struct cfg_selectors *out)
{
	json_t *v = field(obj, key);
	if (!v)
		return true;
	char p[DPATH_MAX];
	dec_path(p, path, key);
	if (!json_is_array(v)) {
		dec_error(c, v, p, "must be a list");
		return false;
	}
	bool ok = true;
	size_t i;
	json_t *item;
	json_array_foreach(v, i, item) {
		char pi[DPATH_MAX];
		dec_path_index(pi, p, i);
		struct cfg_selector *sel = selectors_add(out);
		ok &= dec_selector(c, item, pi, style, sel);
		for (size_t j = 0; j + 1 < out->n; j++) {
			if (selector_equal(&out->v[j], sel)) {
				dec_error(c, item, pi, "duplicate definition of %s", key);
				ok = false;
				break;
			}
		}
	}
	return ok;
}

bool dec_ip(struct dctx *c, const json_t *obj, const char *path, const char *key, const char *what,
	  ip_addr *out, bool *present)
{
	json_t *v = field(obj, key);
	if (!v)
		return true;
	char p[DPATH_MAX];
	dec_path(p, path, key);
	if (!json_is_string(v)) {
		dec_error(c, v, p, "must be a string");
		return false;
	}
	const char *text = json_string_value(v);
	if (*text == '\0')
		return true;  /* Go's omitempty: "" is unset */
	if (!ip_addr_parse(text, out)) {
		dec_error(c, v, p, "invalid %s \"%s\"", what, text);
		return false;
	}
	*present = true;
	return true;
}
