/* Allocation wrappers: see xalloc.h. */
#include "core/xalloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Noreturn void out_of_memory(size_t size)
{
	/* No logger here: the logger allocates. One write to stderr and out. */
	fprintf(stderr, "ingot: fatal: out of memory allocating %zu bytes\n", size);
	abort();
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	if (!p)
		out_of_memory(size);
	return p;
}

void *xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (!p)
		out_of_memory(count * size);
	return p;
}

void *xreallocarray(void *ptr, size_t count, size_t size)
{
	if (size != 0 && count > SIZE_MAX / size)
		out_of_memory(SIZE_MAX);
	size_t total = count * size;
	void *p = realloc(ptr, total ? total : 1);
	if (!p)
		out_of_memory(total);
	return p;
}

void *xgrow(void *array, size_t n, size_t elem)
{
	/* Capacity is the smallest power of two >= n (1 for n = 0): grow when n is exactly that. */
	if (n != 0 && (n & (n - 1)) != 0)
		return array;
	size_t cap = n == 0 ? 1 : n * 2;
	array = xreallocarray(array, cap, elem);
	memset((char *)array + n * elem, 0, (cap - n) * elem);
	return array;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *out = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&out, fmt, ap);
	va_end(ap);
	if (n < 0)
		out_of_memory(strlen(fmt));
	return out;
}
