/*
 * Allocation wrappers. Running out of memory is a local fault with no sensible recovery in a
 * daemon that must stay consistent, so it is fatal and handled here, once: callers never check
 * for NULL. Sizes are checked for overflow before multiplying.
 */
#ifndef INGOT_CORE_XALLOC_H
#define INGOT_CORE_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);          /* zeroed */
void *xreallocarray(void *ptr, size_t count, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/*
 * Grow an array that holds n elements of elem bytes so that it can take one more, zeroing the new
 * room. Capacity is implicit (the next power of two), so callers keep only the count:
 *   v = xgrow(v, n, sizeof(*v)); v[n++] = x;
 */
void *xgrow(void *array, size_t n, size_t elem);
/* printf into a fresh string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Allocate one zeroed object of the pointer's type: `struct peer *p = XNEW(struct peer);` */
#define XNEW(type) ((type *)xcalloc(1, sizeof(type)))

#endif
