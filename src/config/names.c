/*
 * Kubernetes name syntax (k8s.io/apimachinery/pkg/util/validation): object names are DNS-1123
 * subdomains, label keys are qualified names ([prefix/]name), label values are empty or names.
 */
#include <ctype.h>
#include <string.h>

#include "config/values.h"

static bool is_alnum(char c)
{
	return isascii((unsigned char)c) && isalnum((unsigned char)c);
}

/* A qualified name's name part or a label value: 1..63 of [-_.A-Za-z0-9], alphanumeric ends. */
static bool name_part_ok(const char *s, size_t n)
{
	if (n == 0 || n > 63 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	}
	return true;
}

static bool subdomain_ok(const char *s, size_t n)
{
	if (n == 0 || n > 253)
		return false;
	size_t label = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
		if (!ok)
			return false;
		if (c == '.') {
			/* RFC 1123 labels: alphanumeric at both ends. */
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (label == 0 && c == '-')
			return false;
		label++;
	}
	return label > 0 && s[n - 1] != '-';
}

bool cfg_object_name_ok(const char *name)
{
	return subdomain_ok(name, strlen(name));
}

bool cfg_label_key_ok(const char *key)
{
	const char *slash = strchr(key, '/');
	if (!slash)
		return name_part_ok(key, strlen(key));
	if (strchr(slash + 1, '/'))
		return false;
	return subdomain_ok(key, (size_t)(slash - key)) && name_part_ok(slash + 1, strlen(slash + 1));
}

bool cfg_label_value_ok(const char *value)
{
	size_t n = strlen(value);
	return n == 0 || name_part_ok(value, n);
}
