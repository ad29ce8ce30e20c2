/*
 * Text values of the configuration: Go durations, BGP communities, base64. Pure functions,
 * internal to src/config.
 */
#ifndef INGOT_CONFIG_VALUES_H
#define INGOT_CONFIG_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/model.h"

/*
 * Parse a Go duration ("90s", "1m30s", "1.5h", "300ms", "0") into milliseconds, truncating below
 * a millisecond. Negative durations and values past about 292 years are rejected.
 */
bool cfg_duration_parse_ms(const char *text, int64_t *ms);
/* Canonical text that cfg_duration_parse_ms reads back: "90s", "1500ms". buf needs 32 bytes. */
void cfg_duration_format_ms(int64_t ms, char *buf, size_t size);

/*
 * A community value: "A:B" (16-bit each, RFC 1997) or "large:A:B:C" (32-bit each, RFC 8092).
 * On failure *why says whether the text is not a community at all (so it may be an alias) or a
 * community with a value out of range.
 */
enum community_error {
	COMMUNITY_OK,
	COMMUNITY_BAD_FORMAT,   /* not of either form: may be an alias name */
	COMMUNITY_BAD_VALUE,    /* of a form, but a part is not a number in range */
};
enum community_error cfg_community_parse(const char *text, struct cfg_community *out);
/* "A:B" or "large:A:B:C"; buf needs 40 bytes. */
void cfg_community_format(const struct cfg_community *c, char *buf, size_t size);
int cfg_community_cmp(const struct cfg_community *a, const struct cfg_community *b);

/* Standard base64 (RFC 4648 §4) with padding. Returns a NUL-terminated string the caller frees,
 * or NULL when text is not valid base64 or decodes to bytes containing NUL. */
char *cfg_base64_decode(const char *text);
char *cfg_base64_encode(const char *data, size_t len);

/* Kubernetes name syntax (names.c): DNS-1123 subdomain object names, label keys and values. */
bool cfg_object_name_ok(const char *name);
bool cfg_label_key_ok(const char *key);
bool cfg_label_value_ok(const char *value);

#endif
