/*
 * libFuzzer target for address, prefix and range text (core/addr.h): config text is untrusted
 * input. The bytes are fed, as one NUL-terminated string, to every parser; whatever parses must
 * print canonically and parse back to the same value, and a range must summarise into prefixes
 * that cover it exactly. Any broken invariant aborts, which libFuzzer reports as a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_addr: invariant broken: %s\n", what);
		abort();
	}
}

/* Canonical text parses back to a, and printing that again gives the same text. */
static void check_addr_round_trip(const ip_addr *a)
{
	char text[IP_ADDR_STRLEN], again[IP_ADDR_STRLEN];
	ip_addr back;
	int n = ip_addr_format(a, text, sizeof(text));
	check(n > 0 && (size_t)n == strlen(text), "address format length");
	check(ip_addr_parse(text, &back) && ip_addr_eq(&back, a), "address round trip");
	check(back.family == a->family, "address round trip keeps the family");
	check(ip_addr_format(&back, again, sizeof(again)) == n && strcmp(text, again) == 0,
	      "address text is canonical");
}

static void check_addr(const char *text, const uint8_t *data, size_t size)
{
	ip_addr a, b;
	bool ok = ip_addr_parse(text, &a);
	/* parse_n sees the raw bytes: it agrees when they hold no NUL, refuses when they do. */
	bool has_nul = size > 0 && memchr(data, '\0', size) != NULL;
	bool ok_n = ip_addr_parse_n((const char *)data, size, &b);
	check(has_nul ? !ok_n : ok_n == ok, "parse_n agrees with parse");
	if (!ok)
		return;
	check(!ok_n || ip_addr_eq(&a, &b), "parse_n gives the same address");
	check_addr_round_trip(&a);
	/* Stepping away and back returns to the same address. */
	ip_addr up, down;
	if (ip_addr_add(&a, 1, &up)) {
		check(ip_addr_cmp(&a, &up) < 0 && ip_addr_distance(&a, &up) == 1, "a < a + 1");
		check(ip_addr_sub(&up, 1, &down) && ip_addr_eq(&down, &a), "a + 1 - 1 == a");
	}
}

static void check_prefix(const char *text)
{
	ip_prefix p, back;
	bool host_bits;
	if (!ip_prefix_parse(text, &p, &host_bits))
		return;
	ip_addr masked = ip_addr_mask(&p.addr, p.len);
	check(ip_addr_eq(&masked, &p.addr), "prefix host bits are clear");
	check(p.len <= ip_family_bits((enum ip_family)p.addr.family), "prefix length in range");
	char buf[IP_PREFIX_STRLEN];
	check(ip_prefix_format(&p, buf, sizeof(buf)) > 0, "prefix format");
	check(ip_prefix_parse(buf, &back, &host_bits) && !host_bits && ip_prefix_cmp(&p, &back) == 0,
	      "prefix round trip");
	ip_range r = ip_prefix_range(&p);
	ip_prefix one;
	check(ip_range_is_prefix(&r, &one) && ip_prefix_cmp(&one, &p) == 0, "prefix range is the prefix");
	check(ip_prefix_contains(&p, &r.first) && ip_prefix_contains(&p, &r.last), "prefix contains ends");
}

/* The summary is ascending, gap-free, ends exactly at the range's ends, and minimal. */
static void check_summary(const ip_range *r)
{
	unsigned bits = ip_family_bits((enum ip_family)r->first.family);
	ip_prefix ps[256];
	size_t n = ip_range_to_prefixes(r, NULL, 0);
	check(n >= 1 && n <= 2 * bits, "summary count");
	check(ip_range_to_prefixes(r, ps, n) == n, "summary count is stable");
	ip_addr next = r->first;
	for (size_t i = 0; i < n; i++) {
		ip_range pr = ip_prefix_range(&ps[i]);
		check(ip_addr_eq(&pr.first, &next), "summary is contiguous and ascending");
		if (i + 1 == n) {
			check(ip_addr_eq(&pr.last, &r->last), "summary ends at the last address");
			break;
		}
		check(ip_addr_add(&pr.last, 1, &next), "summary stops before the top");
		ip_addr parent = ip_addr_mask(&ps[i].addr, ps[i].len - 1u);
		check(!(ps[i].len > 0 && ps[i].len == ps[i + 1].len && ip_addr_eq(&parent, &ps[i].addr)),
		      "summary is minimal");
	}
}

static void check_range(const char *text)
{
	ip_range r, back;
	const char *why = NULL;
	if (!ip_range_parse(text, &r, &why)) {
		check(why != NULL, "failure has a reason");
		return;
	}
	check(r.first.family == r.last.family, "range of one family");
	check(ip_addr_cmp(&r.first, &r.last) <= 0, "range first <= last");
	check(ip_range_contains(&r, &r.first) && ip_range_contains(&r, &r.last), "range contains ends");
	check(ip_range_size(&r) >= 1, "range size");
	char buf[IP_RANGE_STRLEN];
	check(ip_range_format(&r, buf, sizeof(buf)) > 0, "range format");
	check(ip_range_parse(buf, &back, NULL) && ip_addr_eq(&back.first, &r.first) &&
	      ip_addr_eq(&back.last, &r.last), "range round trip");
	check_summary(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	if (size > 0)
		memcpy(text, data, size);
	text[size] = '\0';
	check_addr(text, data, size);
	check_prefix(text);
	check_range(text);
	free(text);
	return 0;
}
