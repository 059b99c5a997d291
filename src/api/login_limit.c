/* The per-address login limit (API.md §4): a cheap first line before the password KDF, in
 * this daemon's memory and shared by its workers. A fixed table of 8-way buckets: when a
 * bucket is full the entry whose window began first goes, so that logins from random
 * source addresses evict each other instead of growing the table. */
#include <openssl/rand.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_internal.h"

#define WAYS    8
#define BUCKETS 2048 /* 16 384 addresses, 512 KiB */

struct slot {
	unsigned char addr[16];
	int64_t start; /* monotonic second the window began */
	int count;     /* attempts counted in the window; 0: a free slot */
};

struct login_limit {
	pthread_mutex_t lock;
	int max, window;
	uint64_t key; /* random, so that nobody can choose addresses that share a bucket */
	struct slot slots[BUCKETS][WAYS];
};

struct login_limit *login_limit_create(int max_failures, int window)
{
	struct login_limit *l = xcalloc(1, sizeof(*l));

	pthread_mutex_init(&l->lock, NULL);
	l->max = max_failures;
	l->window = window;
	if (RAND_bytes((unsigned char *)&l->key, sizeof(l->key)) != 1)
		l->key = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15u; /* worse spread, same limit */
	return l;
}

void login_limit_destroy(struct login_limit *l)
{
	if (!l)
		return;
	pthread_mutex_destroy(&l->lock);
	free(l);
}

static int64_t now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static struct slot *bucket_of(struct login_limit *l, const unsigned char addr[16])
{
	uint64_t h = l->key, word;

	for (int i = 0; i < 16; i += 8) {
		memcpy(&word, addr + i, 8);
		h = (h ^ word) * 0x9e3779b97f4a7c15u;
		h ^= h >> 29;
	}
	return l->slots[h % BUCKETS];
}

/* The slot of addr with a window still open, or NULL; with the lock held. */
static struct slot *find(struct login_limit *l, const unsigned char addr[16], int64_t now)
{
	struct slot *b = bucket_of(l, addr);

	for (int i = 0; i < WAYS; i++) {
		if (b[i].count && memcmp(b[i].addr, addr, 16) == 0) {
			if (now - b[i].start < l->window)
				return &b[i];
			b[i].count = 0; /* its window has passed */
		}
	}
	return NULL;
}

/* A slot for a new window of addr: a free one, else the oldest window of the bucket. */
static struct slot *claim(struct login_limit *l, const unsigned char addr[16], int64_t now)
{
	struct slot *b = bucket_of(l, addr), *victim = &b[0];

	for (int i = 0; i < WAYS && victim->count; i++)
		if (!b[i].count || b[i].start < victim->start)
			victim = &b[i];
	memcpy(victim->addr, addr, 16);
	victim->start = now;
	victim->count = 0;
	return victim;
}

int login_limit_take(struct login_limit *l, const unsigned char addr[16])
{
	int64_t now = now_seconds();
	int retry = 0;

	pthread_mutex_lock(&l->lock);
	struct slot *s = find(l, addr, now);
	if (!s)
		s = claim(l, addr, now);
	if (s->count >= l->max)
		retry = (int)(s->start + l->window - now);
	else
		s->count++;
	pthread_mutex_unlock(&l->lock);
	return retry;
}

void login_limit_refund(struct login_limit *l, const unsigned char addr[16])
{
	pthread_mutex_lock(&l->lock);
	struct slot *s = find(l, addr, now_seconds());
	if (s)
		s->count--; /* at 0 the slot is free again, and the next window starts afresh */
	pthread_mutex_unlock(&l->lock);
}
