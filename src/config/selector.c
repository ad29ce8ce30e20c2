/*
 * Label selectors: the one place that decides whether labels satisfy a Kubernetes LabelSelector
 * (k8s.io/apimachinery labels.Selector semantics). Pools, peers and advertisements all use it.
 */
#include "config/model.h"

#include <string.h>

const char *labels_get(const struct cfg_labels *labels, const char *key)
{
	for (size_t i = 0; i < labels->n; i++) {
		if (strcmp(labels->v[i].key, key) == 0)
			return labels->v[i].value;
	}
	return NULL;
}

static bool expr_matches(const struct cfg_sel_expr *e, const struct cfg_labels *labels)
{
	const char *value = labels_get(labels, e->key);
	switch (e->op) {
	case CFG_SEL_IN:
		return value && strings_contains(&e->values, value);
	case CFG_SEL_NOT_IN:
		return !value || !strings_contains(&e->values, value);
	case CFG_SEL_EXISTS:
		return value != NULL;
	case CFG_SEL_DOES_NOT_EXIST:
		return value == NULL;
	}
	return false;
}

bool selector_matches(const struct cfg_selector *sel, const struct cfg_labels *labels)
{
	for (size_t i = 0; i < sel->match_labels.n; i++) {
		const char *value = labels_get(labels, sel->match_labels.v[i].key);
		if (!value || strcmp(value, sel->match_labels.v[i].value) != 0)
			return false;
	}
	for (size_t i = 0; i < sel->nexprs; i++) {
		if (!expr_matches(&sel->exprs[i], labels))
			return false;
	}
	return true;
}

bool selectors_match(const struct cfg_selectors *sels, const struct cfg_labels *labels,
		     bool empty_matches)
{
	if (sels->n == 0)
		return empty_matches;
	for (size_t i = 0; i < sels->n; i++) {
		if (selector_matches(&sels->v[i], labels))
			return true;
	}
	return false;
}

static const char *const op_names[] = {
	[CFG_SEL_IN] = "In",
	[CFG_SEL_NOT_IN] = "NotIn",
	[CFG_SEL_EXISTS] = "Exists",
	[CFG_SEL_DOES_NOT_EXIST] = "DoesNotExist",
};

const char *selector_op_name(enum cfg_sel_op op)
{
	return (size_t)op < sizeof(op_names) / sizeof(op_names[0]) ? op_names[op] : "?";
}

bool selector_op_parse(const char *text, enum cfg_sel_op *out)
{
	/* Kubernetes accepts exactly these spellings (metav1.LabelSelectorOperator). */
	for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++) {
		if (strcmp(text, op_names[i]) == 0) {
			*out = (enum cfg_sel_op)i;
			return true;
		}
	}
	return false;
}
