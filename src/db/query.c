/* A call's life, from db_pool_exec to its callback: created with its deadline armed, waiting
 * in its pool's queue or in flight on a connection, back at the head of the queue when its
 * batch was aborted by another's error, completed exactly once and freed. The deadline runs
 * in both places: a call still waiting fails; a call in flight is the connection's to fail
 * (the queue's late hook drops the connection, which completes what it had in flight). */
#include <event2/event.h>
#include <stdlib.h>

#include "db_internal.h"

void db_queue_init(struct db_queue *queue, struct event_base *base, int timeout_ms,
                   void (*late)(struct db_conn *c))
{
	TAILQ_INIT(&queue->head);
	queue->len = 0;
	queue->base = base;
	queue->timeout_ms = timeout_ms;
	queue->late = late;
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct db_query *q = arg;

	if (q->conn) {
		q->queue->late(q->conn); /* completes q */
		return;
	}
	db_query_dequeue(q);
	db_query_complete(q, DB_UNAVAILABLE, NULL);
}

struct db_query *db_query_create(struct db_queue *queue, const char *stmt, int nparams,
                                 const char *const *values, const int *lengths, const int *formats,
                                 unsigned flags, db_result_fn *cb, void *arg)
{
	struct db_query *q = xcalloc(1, sizeof(*q));
	struct timeval tv = {queue->timeout_ms / 1000, (queue->timeout_ms % 1000) * 1000};

	q->queue = queue;
	q->stmt = stmt;
	q->nparams = nparams;
	q->values = values;
	q->lengths = lengths;
	q->formats = formats;
	q->cb = cb;
	q->arg = arg;
	q->shared_read = flags & DB_SHARED_READ;
	q->deadline = evtimer_new(queue->base, on_deadline, q);
	event_add(q->deadline, &tv);
	return q;
}

void db_query_enqueue(struct db_query *q)
{
	TAILQ_INSERT_TAIL(&q->queue->head, q, link);
	q->queue->len++;
}

void db_query_dequeue(struct db_query *q)
{
	TAILQ_REMOVE(&q->queue->head, q, link);
	q->queue->len--;
}

void db_query_retry(struct db_query *q)
{
	q->conn = NULL;
	TAILQ_INSERT_HEAD(&q->queue->head, q, link);
	q->queue->len++;
}

void db_query_complete(struct db_query *q, enum db_status status, const PGresult *res)
{
	event_free(q->deadline);
	q->cb(status, res, q->arg);
	free(q);
}

void db_queue_fail(struct db_queue *queue)
{
	struct db_query *q;
	while ((q = TAILQ_FIRST(&queue->head))) {
		db_query_dequeue(q);
		db_query_complete(q, DB_UNAVAILABLE, NULL);
	}
}
