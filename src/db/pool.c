/* The pool: a FIFO of calls waiting for a connection, bounded in length and in time. A call
 * goes to an idle connection; a shared read, when none is idle, may join the pipeline of a
 * connection running only shared reads (db_conn_can_take). */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"

static void on_sync_pass(evutil_socket_t fd, short what, void *arg)
{
	struct db_pool *pool = arg;

	for (int i = 0; i < pool->cfg.size; i++)
		db_conn_close_batch(&pool->conns[i]);
}

void db_pool_batch_opened(struct db_pool *pool)
{
	/* an event activated now runs after the callbacks this pass has queued already */
	event_active(pool->sync_ev, EV_TIMEOUT, 0);
}

struct db_pool *db_pool_create(struct event_base *base, const struct db_pool_config *cfg)
{
	struct db_pool *pool =
	        xcalloc(1, sizeof(*pool) + (size_t)cfg->size * sizeof(struct db_conn));

	pool->base = base;
	pool->cfg = *cfg;
	pool->cfg.url = xstrdup(cfg->url);
	pool->target = db_target_parse(cfg->url);
	pool->healthy = true; /* until a connect attempt fails, let calls wait for the first */
	TAILQ_INIT(&pool->queue);
	pool->sync_ev = event_new(base, -1, 0, on_sync_pass, pool);
	for (int i = 0; i < cfg->size; i++) {
		pool->conns[i].pool = pool;
		db_conn_start(&pool->conns[i]);
	}
	if (cfg->listen_channel) {
		pool->listen = xcalloc(1, sizeof(*pool->listen));
		pool->listen->pool = pool;
		pool->listen->listener = true;
		db_conn_start(pool->listen);
	}
	return pool;
}

void db_query_complete(struct db_query *q, enum db_status status, const PGresult *res)
{
	event_free(q->deadline);
	q->cb(status, res, q->arg);
	free(q);
}

static void fail_queue(struct db_pool *pool)
{
	struct db_query *q;
	while ((q = TAILQ_FIRST(&pool->queue))) {
		TAILQ_REMOVE(&pool->queue, q, link);
		pool->queued--;
		db_query_complete(q, DB_UNAVAILABLE, NULL);
	}
}

void db_pool_destroy(struct db_pool *pool)
{
	if (!pool)
		return;
	fail_queue(pool);
	for (int i = 0; i < pool->cfg.size; i++)
		db_conn_finish(&pool->conns[i]);
	if (pool->listen) {
		db_conn_finish(pool->listen);
		free(pool->listen);
	}
	event_free(pool->sync_ev);
	db_target_free(pool->target);
	free((char *)pool->cfg.url);
	free(pool);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct db_query *q = arg;

	if (q->conn) {
		db_conn_abort(q->conn); /* completes q */
		return;
	}
	TAILQ_REMOVE(&q->pool->queue, q, link);
	q->pool->queued--;
	db_query_complete(q, DB_UNAVAILABLE, NULL);
}

void db_pool_retry(struct db_pool *pool, struct db_query *q)
{
	q->conn = NULL;
	TAILQ_INSERT_HEAD(&pool->queue, q, link);
	pool->queued++;
}

/* Hands c the calls at the head of the queue that it can take, in order. */
void db_pool_conn_ready(struct db_pool *pool, struct db_conn *c)
{
	struct db_query *q;

	if (c->listener)
		return;
	pool->healthy = true;
	while ((q = TAILQ_FIRST(&pool->queue)) && db_conn_can_take(c, q)) {
		TAILQ_REMOVE(&pool->queue, q, link);
		pool->queued--;
		db_conn_send(c, q);
	}
}

/* An idle connection, else the one with the shortest pipeline that can take q, else NULL. */
static struct db_conn *pick(struct db_pool *pool, const struct db_query *q)
{
	struct db_conn *best = NULL;

	for (int i = 0; i < pool->cfg.size; i++) {
		struct db_conn *c = &pool->conns[i];
		if (c->state == DB_CONN_IDLE)
			return c;
		if (db_conn_can_take(c, q) && (!best || c->nflight < best->nflight))
			best = c;
	}
	return best;
}

void db_pool_conn_lost(struct db_pool *pool, struct db_conn *c)
{
	if (c->listener)
		return;
	if (db_pool_up(pool) == 0) {
		/* nothing can serve the waiting calls soon: fail them rather than let them hang */
		pool->healthy = false;
		fail_queue(pool);
	}
}

bool db_pool_exec(struct db_pool *pool, const char *stmt, int nparams, const char *const *values,
                  const int *lengths, const int *formats, unsigned flags, db_result_fn *cb,
                  void *arg)
{
	if ((!pool->healthy && db_pool_up(pool) == 0) || pool->queued >= pool->cfg.queue_max)
		return false;
	struct db_query *q = xcalloc(1, sizeof(*q));
	struct timeval tv = {pool->cfg.timeout_ms / 1000, (pool->cfg.timeout_ms % 1000) * 1000};

	q->pool = pool;
	q->stmt = stmt;
	q->nparams = nparams;
	q->values = values;
	q->lengths = lengths;
	q->formats = formats;
	q->cb = cb;
	q->arg = arg;
	q->shared_read = flags & DB_SHARED_READ;
	q->deadline = evtimer_new(pool->base, on_deadline, q);
	event_add(q->deadline, &tv);
	struct db_conn *c = TAILQ_EMPTY(&pool->queue) ? pick(pool, q) : NULL;
	if (c) {
		db_conn_send(c, q);
		return true;
	}
	TAILQ_INSERT_TAIL(&pool->queue, q, link);
	pool->queued++;
	return true;
}

int db_pool_in_use(const struct db_pool *pool)
{
	return pool->busy;
}

int db_pool_up(const struct db_pool *pool)
{
	int n = 0;
	for (int i = 0; i < pool->cfg.size; i++)
		n += pool->conns[i].state == DB_CONN_IDLE || pool->conns[i].state == DB_CONN_BUSY;
	return n;
}

int db_pool_waiting(const struct db_pool *pool)
{
	return pool->queued;
}

unsigned long db_pool_pipelined(const struct db_pool *pool)
{
	return pool->pipelined;
}
