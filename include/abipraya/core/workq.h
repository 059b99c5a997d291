/* A small pool of threads for CPU-heavy work (the password KDF), so that no event loop
 * ever stalls on it. A job runs on a pool thread; then `notify` is called on that pool
 * thread, and must hand the job back to its owner's loop (event_active is thread-safe). */
#ifndef ABIPRAYA_CORE_WORKQ_H
#define ABIPRAYA_CORE_WORKQ_H

#include <stdbool.h>

#include "abipraya/core/xalloc.h"

struct workq;

struct workq_job {
	void (*run)(struct workq_job *job);    /* on a pool thread */
	void (*notify)(struct workq_job *job); /* on the pool thread, after run */
	struct workq_job *next;                /* private */
};

/* Caller owns; free with workq_destroy(), which waits for queued jobs. The threads run at
 * the given niceness (0 for normal), where the system allows it. */
struct workq *workq_create(int threads, int max_queued, int nice);
void workq_destroy(struct workq *q);
/* False when max_queued jobs already wait: the caller answers 429 (a login) or 503. */
bool workq_submit(struct workq *q, struct workq_job *job) ABIPRAYA_MUSTCHECK;

#endif
