/*
 * Text in the shapes MetalLB's messages have (Go's fmt %q), so that AllocationFailed and the
 * other Events read the same as MetalLB's.
 */
#include "alloc/alloc_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

char *go_quote(const char *s)
{
	size_t len = strlen(s);
	char *out = xmalloc(len * 4 + 3);
	size_t o = 0;
	out[o++] = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			out[o++] = '\\';
			out[o++] = (char)*p;
		} else if (*p == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else if (*p == '\t') {
			out[o++] = '\\';
			out[o++] = 't';
		} else if (*p < 0x20 || *p == 0x7f) {
			o += (size_t)snprintf(out + o, 5, "\\x%02x", *p);
		} else {
			out[o++] = (char)*p;
		}
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

char *go_quote_ips(const ip_addr *ips, size_t n)
{
	char *out = xmalloc(2 + n * (IP_ADDR_STRLEN + 3));
	size_t o = 0;
	out[o++] = '[';
	for (size_t i = 0; i < n; i++) {
		char text[IP_ADDR_STRLEN];
		if (ip_addr_format(&ips[i], text, sizeof(text)) < 0)
			text[0] = '\0';
		o += (size_t)sprintf(out + o, "%s\"%s\"", i ? " " : "", text);
	}
	out[o++] = ']';
	out[o] = '\0';
	return out;
}

void port_string(const struct svc_port *p, char *buf, size_t size)
{
	static const char *const names[] = { "TCP", "UDP", "SCTP" };
	const char *proto = (unsigned)p->protocol < 3 ? names[p->protocol] : "TCP";
	snprintf(buf, size, "%s/%u", proto, (unsigned)p->port);
}
