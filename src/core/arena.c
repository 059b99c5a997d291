#include "abipraya/core/arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE 4000

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	_Alignas(16) unsigned char data[];
};

struct arena_cleanup {
	struct arena_cleanup *next;
	void (*fn)(void *arg);
	void *arg;
};

void arena_init(struct arena *a)
{
	a->head = NULL;
	a->cleanups = NULL;
}

void arena_on_finish(struct arena *a, void (*fn)(void *arg), void *arg)
{
	struct arena_cleanup *k = arena_alloc(a, sizeof(*k));

	*k = (struct arena_cleanup){a->cleanups, fn, arg};
	a->cleanups = k;
}

void arena_finish(struct arena *a)
{
	/* taken off the list before it runs: a cleanup may register another */
	while (a->cleanups) {
		struct arena_cleanup *k = a->cleanups;
		a->cleanups = k->next;
		k->fn(k->arg);
	}
	struct arena_chunk *c = a->head;
	while (c) {
		struct arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
}

void *arena_alloc(struct arena *a, size_t size)
{
	size = (size + 15) & ~(size_t)15;
	struct arena_chunk *c = a->head;
	if (!c || c->size - c->used < size) {
		/* large blocks get a chunk of their own, behind the current one */
		size_t cap = size > CHUNK_SIZE / 4 ? size : CHUNK_SIZE;
		struct arena_chunk *n = xmalloc(sizeof(*n) + cap);
		n->used = 0;
		n->size = cap;
		if (c && size > CHUNK_SIZE / 4) {
			n->next = c->next;
			c->next = n;
		} else {
			n->next = c;
			a->head = n;
		}
		c = n;
	}
	void *p = c->data + c->used;
	c->used += size;
	return p;
}

void *arena_zalloc(struct arena *a, size_t size)
{
	return memset(arena_alloc(a, size), 0, size);
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}
