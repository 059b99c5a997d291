/* A per-request arena: everything a request parses or builds lives here and goes away
 * in one arena_finish() when the request ends (h2o pools, PostgreSQL contexts). */
#ifndef ABIPRAYA_CORE_ARENA_H
#define ABIPRAYA_CORE_ARENA_H

#include <stddef.h>

#include "abipraya/core/xalloc.h"

struct arena_chunk;
struct arena_cleanup;

struct arena {
	struct arena_chunk *head;
	struct arena_cleanup *cleanups; /* the last registered first */
};

void arena_init(struct arena *a);
/* Runs the cleanups, the last registered first, then frees the memory. */
void arena_finish(struct arena *a);
/* fn(arg) runs in arena_finish, before the memory goes: what the arena's memory holds
 * that is not in the arena (a json_t, an event, a count to hand back) is let go there,
 * once, on whichever path the arena's owner ends. */
void arena_on_finish(struct arena *a, void (*fn)(void *arg), void *arg);
/* All results are allocated in the arena, valid until arena_finish(). */
void *arena_alloc(struct arena *a, size_t size);
void *arena_zalloc(struct arena *a, size_t size); /* zeroed */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);

#endif
