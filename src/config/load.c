/*
 * Loading: bytes → documents → a fresh model → validation → the model, or nothing. The reload
 * wrapper is where "a failed reload leaves the previous configuration in force" is enforced.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/crd.h"
#include "core/yaml_json.h"
#include "core/xalloc.h"

static void decode_input(struct cfg_model *m, const struct cfg_input *in, struct cfg_diags *diags)
{
	struct yj_lines *lines = yj_lines_new();
	struct yj_docs docs = { 0 };
	char *err = NULL;
	unsigned err_line = 0;
	if (!yj_parse(in->data, in->len, 0, lines, &docs, &err, &err_line)) {
		cfg_diags_add(diags, CFG_ERROR, in->name, err_line, "(file)", NULL,
			      "invalid YAML or JSON: %s", err);
		free(err);
		yj_lines_free(lines);
		return;
	}
	struct dctx base = { .diags = diags, .lines = lines, .file = in->name };
	for (size_t i = 0; i < docs.n; i++)
		crd_decode_document(&base, m, docs.v[i], docs.lines[i]);
	yj_docs_free(&docs);
	yj_lines_free(lines);
}

struct cfg_model *config_decode(const struct cfg_input *inputs, size_t n, struct cfg_diags *diags)
{
	struct cfg_model *m = model_new();
	for (size_t i = 0; i < n; i++)
		decode_input(m, &inputs[i], diags);
	return m;
}

struct cfg_model *config_load(const struct cfg_input *inputs, size_t n, struct cfg_diags *diags)
{
	size_t before = cfg_diags_count(diags, CFG_ERROR);
	struct cfg_model *m = config_decode(inputs, n, diags);
	config_validate(m, diags);
	if (cfg_diags_count(diags, CFG_ERROR) != before) {
		model_free(m);
		return NULL;
	}
	model_sort(m);
	return m;
}

/* The whole file, or NULL with *err set (caller frees). */
static char *read_file(const char *path, size_t *len, char **err)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f) {
		*err = xasprintf("cannot open: %s", strerror(errno));
		return NULL;
	}
	size_t cap = 4096, n = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n < cap) {
			if (ferror(f)) {
				*err = xasprintf("cannot read: %s", strerror(errno));
				free(buf);
				buf = NULL;
			}
			break;
		}
		cap *= 2;
		buf = xreallocarray(buf, cap, 1);
	}
	if (f != stdin)
		fclose(f);
	*len = n;
	return buf;
}

struct cfg_model *config_load_files(char *const *paths, size_t n, struct cfg_diags *diags)
{
	struct cfg_input *inputs = xcalloc(n ? n : 1, sizeof(*inputs));
	char **bufs = xcalloc(n ? n : 1, sizeof(*bufs));
	bool ok = true;
	for (size_t i = 0; i < n; i++) {
		char *err = NULL;
		size_t len = 0;
		bufs[i] = read_file(paths[i], &len, &err);
		if (!bufs[i]) {
			cfg_diags_add(diags, CFG_ERROR, paths[i], 0, "(file)", NULL, "%s", err);
			free(err);
			ok = false;
			continue;
		}
		inputs[i] = (struct cfg_input){ .name = paths[i], .data = bufs[i], .len = len };
	}
	struct cfg_model *m = NULL;
	if (ok)
		m = config_load(inputs, n, diags);
	for (size_t i = 0; i < n; i++)
		free(bufs[i]);
	free(bufs);
	free(inputs);
	return m;
}

/* The one place a loaded model replaces the live one: only a model that passed validation. */
static bool swap_in(struct cfg_model **live, struct cfg_model *fresh)
{
	if (!fresh)
		return false;  /* *live untouched: the previous configuration stays in force */
	model_free(*live);
	*live = fresh;
	return true;
}

bool config_reload(struct cfg_model **live, char *const *paths, size_t n, struct cfg_diags *diags)
{
	return swap_in(live, config_load_files(paths, n, diags));
}

bool config_reload_inputs(struct cfg_model **live, const struct cfg_input *inputs, size_t n,
			  struct cfg_diags *diags)
{
	return swap_in(live, config_load(inputs, n, diags));
}
