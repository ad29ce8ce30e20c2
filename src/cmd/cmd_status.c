/*
 * `ingot status`: what the local daemon is doing, read from its control socket (ops/control.h).
 *
 *   ingot status [--json] [--socket PATH] [SECTION...]
 *
 * With --json the status document is printed as the daemon sent it. Otherwise each section is
 * printed under a title: lists of objects (BGP sessions, L2 announcements, ...) as aligned tables,
 * everything else as keys and values. Sections ingot knows get a title and a column order; any
 * other section is rendered generically, so new components show up without changes here.
 * Durations (keys ending in "_s") are printed as 1d2h3m4s.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "core/xalloc.h"
#include "ops/control.h"

enum { STATUS_TIMEOUT_MS = 10000, MAX_COLUMNS = 32 };

struct known_section {
	const char *name;
	const char *title;
	const char *columns[8];         /* preferred order; other keys follow */
};

static const struct known_section known[] = {
	{ "bgp", "BGP sessions",
	  { "peer", "address", "asn", "state", "uptime_s", "prefixes_sent" } },
	{ "bfd", "BFD sessions",
	  { "peer", "state", "remote_state", "diag", "tx_interval_ms", "detect_time_ms" } },
	{ "l2", "Layer 2 announcements", { "ip", "interface", "service", "node" } },
	{ "members", "Speakers (failure detector)",
	  { "node", "address", "state", "incarnation", "last_heard_ms" } },
};

static const struct known_section *find_known(const char *name)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (strcmp(known[i].name, name) == 0)
			return &known[i];
	}
	return NULL;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: ingot status [--json] [--socket PATH] [SECTION...]\n"
		"\n"
		"Shows what the local ingot daemon is doing: BGP and BFD sessions, layer 2\n"
		"announcements, the other speakers. SECTIONs (bgp, bfd, l2, members, ...) limit\n"
		"the output to those.\n"
		"\n"
		"  --json         print the status document as JSON\n"
		"  --socket PATH  the daemon's control socket (default %s)\n",
		CONTROL_DEFAULT_PATH);
}

/* --- cells -------------------------------------------------------------------------------- */

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static char *duration(json_int_t s)
{
	if (s < 0)
		return xasprintf("%lld", (long long)s);
	long long d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;
	if (d)
		return xasprintf("%lldd%lldh%lldm", d, h, m);
	if (h)
		return xasprintf("%lldh%lldm%llds", h, m, sec);
	if (m)
		return xasprintf("%lldm%llds", m, sec);
	return xasprintf("%llds", sec);
}

/* Control characters from the daemon (perhaps from a peer) must not reach the terminal. */
static char *sanitize(char *s)
{
	for (char *p = s; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	}
	return s;
}

/* A value as one line of text; the caller frees it. */
static char *cell(const char *key, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return sanitize(xstrdup(json_string_value(v)));
	case JSON_INTEGER:
		if (key && ends_with(key, "_s"))
			return duration(json_integer_value(v));
		return xasprintf("%lld", (long long)json_integer_value(v));
	case JSON_REAL:
		return xasprintf("%g", json_real_value(v));
	case JSON_TRUE:
		return xstrdup("yes");
	case JSON_FALSE:
		return xstrdup("no");
	case JSON_NULL:
		return xstrdup("-");
	default: {
		char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		return sanitize(text ? text : xstrdup("?"));
	}
	}
}

/* Terminal width of UTF-8 text, counted in code points. */
static size_t width(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static char *header(const char *key)
{
	char *h = xstrdup(key);
	size_t len = strlen(h);
	if (ends_with(h, "_s"))
		h[len - 2] = '\0';
	for (char *p = h; *p; p++) {
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	}
	return sanitize(h);
}

/* --- tables ------------------------------------------------------------------------------- */

static bool is_table(const json_t *v)
{
	if (!json_is_array(v) || json_array_size(v) == 0)
		return false;
	size_t i;
	json_t *row;
	json_array_foreach(v, i, row) {
		if (!json_is_object(row))
			return false;
	}
	return true;
}

static void add_column(const char **cols, size_t *n, const char *key)
{
	for (size_t i = 0; i < *n; i++) {
		if (strcmp(cols[i], key) == 0)
			return;
	}
	if (*n < MAX_COLUMNS)
		cols[(*n)++] = key;
}

static bool column_used(const json_t *rows, const char *key)
{
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		if (json_object_get(row, key))
			return true;
	}
	return false;
}

static void print_padded(const char *text, size_t w, bool last)
{
	fputs(text, stdout);
	if (!last) {
		for (size_t i = width(text); i < w + 2; i++)
			fputc(' ', stdout);
	}
}

static void print_table(const json_t *rows, const struct known_section *ks, int indent)
{
	const char *cols[MAX_COLUMNS];
	size_t ncols = 0;
	for (size_t i = 0; ks && i < 8 && ks->columns[i]; i++) {
		if (column_used(rows, ks->columns[i]))
			add_column(cols, &ncols, ks->columns[i]);
	}
	size_t r;
	json_t *row;
	json_array_foreach(rows, r, row) {
		const char *key;
		json_t *v;
		json_object_foreach((json_t *)row, key, v)
			add_column(cols, &ncols, key);
	}

	size_t nrows = json_array_size(rows);
	char **cells = xcalloc((nrows + 1) * ncols, sizeof(char *));
	size_t w[MAX_COLUMNS] = { 0 };
	for (size_t c = 0; c < ncols; c++) {
		cells[c] = header(cols[c]);
		w[c] = width(cells[c]);
	}
	json_array_foreach(rows, r, row) {
		for (size_t c = 0; c < ncols; c++) {
			const json_t *v = json_object_get(row, cols[c]);
			char *text = v ? cell(cols[c], v) : xstrdup("-");
			cells[(r + 1) * ncols + c] = text;
			if (width(text) > w[c])
				w[c] = width(text);
		}
	}
	for (size_t line = 0; line <= nrows; line++) {
		printf("%*s", indent, "");
		for (size_t c = 0; c < ncols; c++)
			print_padded(cells[line * ncols + c], w[c], c + 1 == ncols);
		fputc('\n', stdout);
	}
	for (size_t i = 0; i < (nrows + 1) * ncols; i++)
		free(cells[i]);
	free(cells);
}

/* --- sections ----------------------------------------------------------------------------- */

static void print_value(const char *key, const json_t *v, const struct known_section *ks,
			int indent);

static void print_object(const json_t *obj, const struct known_section *ks, int indent)
{
	if (json_object_size(obj) == 0) {
		printf("%*s(empty)\n", indent, "");
		return;
	}
	/* a section that is one list ({"sessions":[...]}) is shown as just the table */
	if (json_object_size(obj) == 1) {
		void *it = json_object_iter((json_t *)obj);
		const json_t *only = json_object_iter_value(it);
		if (is_table(only)) {
			print_table(only, ks, indent);
			return;
		}
		if (json_is_array(only) && json_array_size(only) == 0) {
			printf("%*s(none)\n", indent, "");
			return;
		}
	}
	size_t kw = 0;
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)obj, key, v) {
		if (!json_is_object(v) && !is_table(v) && width(key) > kw)
			kw = width(key);
	}
	/* scalars first, aligned; then nested objects and tables under their own headings */
	json_object_foreach((json_t *)obj, key, v) {
		if (json_is_object(v) || is_table(v))
			continue;
		char *text = cell(key, v);
		char *k = sanitize(xstrdup(key));
		printf("%*s%s:%*s %s\n", indent, "", k, (int)(kw - width(key)), "", text);
		free(k);
		free(text);
	}
	json_object_foreach((json_t *)obj, key, v) {
		if (json_is_object(v) || is_table(v))
			print_value(key, v, ks, indent);
	}
}

static void print_value(const char *key, const json_t *v, const struct known_section *ks,
			int indent)
{
	char *k = sanitize(xstrdup(key));
	if (is_table(v)) {
		printf("%*s%s:\n", indent, "", k);
		print_table(v, ks, indent + 2);
	} else if (json_is_object(v)) {
		printf("%*s%s:\n", indent, "", k);
		print_object(v, ks, indent + 2);
	} else {
		char *text = cell(key, v);
		printf("%*s%s: %s\n", indent, "", k, text);
		free(text);
	}
	free(k);
}

static void print_section(const char *name, const json_t *v)
{
	const struct known_section *ks = find_known(name);
	char *title = sanitize(xstrdup(ks ? ks->title : name));
	if (is_table(v)) {
		printf("%s:\n", title);
		print_table(v, ks, 2);
	} else if (json_is_object(v)) {
		printf("%s:\n", title);
		print_object(v, ks, 2);
	} else if (json_is_array(v) && json_array_size(v) == 0) {
		printf("%s:\n  (none)\n", title);
	} else {
		char *text = cell(NULL, v);
		printf("%s: %s\n", title, text);
		free(text);
	}
	free(title);
}

/* --- the command ---------------------------------------------------------------------------- */

int cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool as_json = false;
	const char *path = CONTROL_DEFAULT_PATH;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			as_json = true;
			break;
		case 's':
			path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}

	json_t *req = json_pack("{s:s}", "cmd", "status");
	if (optind < argc) {
		json_t *sections = json_array();
		for (int i = optind; i < argc; i++)
			json_array_append_new(sections, json_string(argv[i]));
		json_object_set_new(req, "sections", sections);
	}
	char err[512];
	json_t *resp = control_call(path, req, STATUS_TIMEOUT_MS, err, sizeof(err));
	json_decref(req);
	if (!resp) {
		fprintf(stderr, "ingot status: %s\n", err);
		return 1;
	}
	if (!json_is_true(json_object_get(resp, "ok"))) {
		const char *msg = json_string_value(json_object_get(resp, "error"));
		fprintf(stderr, "ingot status: the daemon says: %s\n", msg ? msg : "(no reason)");
		json_decref(resp);
		return 1;
	}
	json_t *result = json_object_get(resp, "result");
	if (as_json) {
		json_dumpf(result, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	} else if (!json_is_object(result) || json_object_size(result) == 0) {
		printf("no status sections\n");
	} else {
		const char *name;
		json_t *v;
		bool first = true;
		json_object_foreach(result, name, v) {
			if (!first)
				fputc('\n', stdout);
			first = false;
			print_section(name, v);
		}
	}
	json_decref(resp);
	return 0;
}
