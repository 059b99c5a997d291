/* Allocation that never returns NULL: running out of memory aborts (as Redis, Kore,
 * h2o and PostgreSQL do). Memory stays bounded through limits on input, not NULL checks. */
#ifndef ABIPRAYA_CORE_XALLOC_H
#define ABIPRAYA_CORE_XALLOC_H

#include <stddef.h>

#define ABIPRAYA_MUSTCHECK    __attribute__((warn_unused_result))
#define ABIPRAYA_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define ARRAY_SIZE(a)         (sizeof(a) / sizeof((a)[0]))

/* Caller owns the result; free with free(). */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) ABIPRAYA_PRINTF(1, 2);

#endif
