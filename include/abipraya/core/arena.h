/* A per-request arena: everything a request parses or builds lives here and goes away
 * in one arena_finish() when the request ends (h2o pools, PostgreSQL contexts). */
#ifndef ABIPRAYA_CORE_ARENA_H
#define ABIPRAYA_CORE_ARENA_H

#include <stddef.h>

#include "abipraya/core/xalloc.h"

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
};

void arena_init(struct arena *a);
void arena_finish(struct arena *a);
/* All results are allocated in the arena, valid until arena_finish(). */
void *arena_alloc(struct arena *a, size_t size);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);

#endif
