/* Answers held by the daemon, shared by its workers: a rendered body with the tag the
 * database gave it (the bed board of a house). Whether a held answer is still right is not
 * decided here: the request's own statement says so (api.direct_beds_board), so a held
 * answer is as exact as a fresh one on every instance. This only keeps, hands out and
 * forgets, least recently used first, within a bound on the bytes held. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"

#define CACHE_SLOTS 64

struct answer_cache {
	pthread_mutex_t lock;
	atomic_ulong puts;
	size_t max_bytes, bytes;
	unsigned long clock;
	struct answer *slots[CACHE_SLOTS];
	unsigned long used[CACHE_SLOTS];
};

struct answer_cache *answer_cache_create(size_t max_bytes)
{
	struct answer_cache *c = xcalloc(1, sizeof(*c));

	pthread_mutex_init(&c->lock, NULL);
	c->max_bytes = max_bytes;
	return c;
}

void answer_unref(struct answer *a)
{
	if (a && atomic_fetch_sub(&a->refs, 1) == 1) {
		free(a->key);
		free(a);
	}
}

void answer_cache_destroy(struct answer_cache *c)
{
	if (!c)
		return;
	for (int i = 0; i < CACHE_SLOTS; i++)
		answer_unref(c->slots[i]);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* The slot holding key, or -1. With the lock held. */
static int find(const struct answer_cache *c, const char *key)
{
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (c->slots[i] && strcmp(c->slots[i]->key, key) == 0)
			return i;
	return -1;
}

static void drop(struct answer_cache *c, int i)
{
	c->bytes -= c->slots[i]->len;
	answer_unref(c->slots[i]);
	c->slots[i] = NULL;
}

/* The occupied slot used least recently, or -1 when none is. With the lock held. */
static int oldest(const struct answer_cache *c)
{
	int v = -1;
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (c->slots[i] && (v < 0 || c->used[i] < c->used[v]))
			v = i;
	return v;
}

/* An empty slot, or the least recently used one emptied. With the lock held. */
static int make_room(struct answer_cache *c, size_t len)
{
	int i;
	while (c->bytes + len > c->max_bytes && (i = oldest(c)) >= 0)
		drop(c, i);
	for (i = 0; i < CACHE_SLOTS; i++)
		if (!c->slots[i])
			return i;
	i = oldest(c);
	drop(c, i);
	return i;
}

struct answer *answer_cache_get(struct answer_cache *c, const char *key)
{
	struct answer *a = NULL;

	pthread_mutex_lock(&c->lock);
	int i = find(c, key);
	if (i >= 0) {
		a = c->slots[i];
		atomic_fetch_add(&a->refs, 1);
		c->used[i] = ++c->clock;
	}
	pthread_mutex_unlock(&c->lock);
	return a;
}

unsigned long answer_cache_puts(struct answer_cache *c)
{
	return atomic_load(&c->puts);
}

void answer_cache_drop(struct answer_cache *c, const char *prefix, const char *needle)
{
	size_t len = strlen(prefix);

	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (c->slots[i] && strncmp(c->slots[i]->key, prefix, len) == 0 &&
		    strstr(c->slots[i]->key + len, needle))
			drop(c, i);
	pthread_mutex_unlock(&c->lock);
}

struct answer *answer_cache_put(struct answer_cache *c, const char *key, const char *tag,
                                const char *body, size_t len)
{
	struct answer *a = xmalloc(sizeof(*a) + len + 1);

	atomic_fetch_add(&c->puts, 1);
	atomic_init(&a->refs, 1); /* the caller's */
	a->key = xstrdup(key);
	snprintf(a->tag, sizeof(a->tag), "%s", tag);
	a->len = len;
	memcpy(a->body, body, len);
	a->body[len] = '\0';
	if (len > c->max_bytes)
		return a; /* served, not held */
	pthread_mutex_lock(&c->lock);
	int i = find(c, key);
	if (i >= 0)
		drop(c, i);
	i = make_room(c, len);
	atomic_fetch_add(&a->refs, 1); /* the cache's */
	c->slots[i] = a;
	c->used[i] = ++c->clock;
	c->bytes += len;
	pthread_mutex_unlock(&c->lock);
	return a;
}
