/* The pool: a FIFO of calls waiting for a connection, bounded in length and in time. A call
 * goes to an idle connection; a shared read, when none is idle, may join the pipeline of a
 * connection running only shared reads (db_conn_can_take). The connections report to it
 * through the hooks of its db_conn_owner; the calls' own life is query.c's. */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"

struct db_pool {
	struct db_pool_config cfg;
	struct db_conn_owner owner; /* what its connections see of it */
	struct db_queue queue;
	unsigned long pipelined; /* statements sent behind others in flight */
	bool healthy;            /* false after a failed connect while no connection is up */
	struct event *sync_ev;   /* end of the loop pass: the open batches get their Sync */
	struct db_conn *listen;
	struct db_conn conns[];
};

static void on_sync_pass(evutil_socket_t fd, short what, void *arg)
{
	struct db_pool *pool = arg;

	for (int i = 0; i < pool->cfg.size; i++)
		db_conn_close_batch(&pool->conns[i]);
}

static void on_batch_opened(void *arg)
{
	struct db_pool *pool = arg;

	/* an event activated now runs after the callbacks this pass has queued already */
	event_active(pool->sync_ev, EV_TIMEOUT, 0);
}

/* Sends q on c, which can take it. */
static void send_on(struct db_pool *pool, struct db_conn *c, struct db_query *q)
{
	if (c->state != DB_CONN_IDLE)
		pool->pipelined++;
	db_conn_send(c, q);
}

/* Hands c the calls at the head of the queue that it can take, in order. */
static void on_conn_ready(void *arg, struct db_conn *c)
{
	struct db_pool *pool = arg;
	struct db_query *q;

	if (c->listener)
		return;
	pool->healthy = true;
	while ((q = TAILQ_FIRST(&pool->queue.head)) && db_conn_can_take(c, q)) {
		db_query_dequeue(q);
		send_on(pool, c, q);
	}
}

static void on_conn_lost(void *arg, struct db_conn *c)
{
	struct db_pool *pool = arg;

	if (c->listener)
		return;
	if (db_pool_up(pool) == 0) {
		/* nothing can serve the waiting calls soon: fail them rather than let them hang */
		pool->healthy = false;
		db_queue_fail(&pool->queue);
	}
}

struct db_pool *db_pool_create(struct event_base *base, const struct db_pool_config *cfg)
{
	struct db_pool *pool =
	        xcalloc(1, sizeof(*pool) + (size_t)cfg->size * sizeof(struct db_conn));

	pool->cfg = *cfg;
	pool->cfg.url = xstrdup(cfg->url);
	pool->owner = (struct db_conn_owner){
	        .base = base,
	        .cfg = &pool->cfg,
	        .target = db_target_parse(cfg->url),
	        .arg = pool,
	        .ready = on_conn_ready,
	        .lost = on_conn_lost,
	        .batch_opened = on_batch_opened,
	};
	pool->healthy = true; /* until a connect attempt fails, let calls wait for the first */
	db_queue_init(&pool->queue, base, cfg->timeout_ms, db_conn_abort);
	pool->sync_ev = event_new(base, -1, 0, on_sync_pass, pool);
	for (int i = 0; i < cfg->size; i++) {
		pool->conns[i].owner = &pool->owner;
		db_conn_start(&pool->conns[i]);
	}
	if (cfg->listen_channel) {
		pool->listen = xcalloc(1, sizeof(*pool->listen));
		pool->listen->owner = &pool->owner;
		pool->listen->listener = true;
		db_conn_start(pool->listen);
	}
	return pool;
}

void db_pool_destroy(struct db_pool *pool)
{
	if (!pool)
		return;
	db_queue_fail(&pool->queue);
	for (int i = 0; i < pool->cfg.size; i++)
		db_conn_finish(&pool->conns[i]);
	if (pool->listen) {
		db_conn_finish(pool->listen);
		free(pool->listen);
	}
	event_free(pool->sync_ev);
	db_target_free(pool->owner.target);
	free((char *)pool->cfg.url);
	free(pool);
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

bool db_pool_exec(struct db_pool *pool, const char *stmt, int nparams, const char *const *values,
                  const int *lengths, const int *formats, unsigned flags, db_result_fn *cb,
                  void *arg)
{
	if ((!pool->healthy && db_pool_up(pool) == 0) || pool->queue.len >= pool->cfg.queue_max)
		return false;
	struct db_query *q = db_query_create(&pool->queue, stmt, nparams, values, lengths, formats,
	                                     flags, cb, arg);
	struct db_conn *c = TAILQ_EMPTY(&pool->queue.head) ? pick(pool, q) : NULL;
	if (c) {
		send_on(pool, c, q);
		return true;
	}
	db_query_enqueue(q);
	return true;
}

int db_pool_in_use(const struct db_pool *pool)
{
	int n = 0;
	for (int i = 0; i < pool->cfg.size; i++)
		n += pool->conns[i].state == DB_CONN_BUSY;
	return n;
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
	return pool->queue.len;
}

unsigned long db_pool_pipelined(const struct db_pool *pool)
{
	return pool->pipelined;
}
