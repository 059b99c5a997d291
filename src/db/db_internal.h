/* Shared inside the db layer only. */
#ifndef ABIPRAYA_DB_INTERNAL_H
#define ABIPRAYA_DB_INTERNAL_H

#include <event2/event.h>
#include <sys/queue.h>

#include "abipraya/db/pool.h"

enum db_conn_state {
	DB_CONN_DOWN,       /* waiting for the backoff timer */
	DB_CONN_CONNECTING, /* PQconnectPoll */
	DB_CONN_PREPARING,  /* preparing statement `prepared` (or sending LISTEN) */
	DB_CONN_IDLE,       /* ready, nothing in flight */
	DB_CONN_BUSY,       /* statements in flight (up to DB_PIPELINE_DEPTH shared reads) */
};

/* Shared reads in flight on one connection at most: enough that a backend finds the
 * next statement waiting when it finishes one, few enough to bound the wait behind them. */
#define DB_PIPELINE_DEPTH 4

struct db_query {
	TAILQ_ENTRY(db_query) link; /* in its queue, or in its connection's flight */
	struct db_queue *queue;     /* its pool's */
	const char *stmt;
	int nparams;
	const char *const *values;
	const int *lengths, *formats;
	db_result_fn *cb;
	void *arg;
	struct event *deadline;
	bool shared_read;     /* DB_SHARED_READ */
	bool batched;         /* sent in a batch of shared reads: finished with its results */
	bool ended;           /* its results are in; its Sync comes next */
	struct db_conn *conn; /* while in flight */
};

/* The calls of a pool waiting for a connection, first come first served, and what all its
 * calls share: the loop, the deadline, and what is done with the connection of a call in
 * flight whose deadline passed (query.c). */
struct db_queue {
	TAILQ_HEAD(, db_query) head;
	int len;
	struct event_base *base;
	int timeout_ms;
	void (*late)(struct db_conn *c); /* drops c: completes what it has in flight */
};

void db_queue_init(struct db_queue *queue, struct event_base *base, int timeout_ms,
                   void (*late)(struct db_conn *c));
/* Owned by the queue's pool until completed; its deadline runs from now. */
struct db_query *db_query_create(struct db_queue *queue, const char *stmt, int nparams,
                                 const char *const *values, const int *lengths, const int *formats,
                                 unsigned flags, db_result_fn *cb, void *arg);
/* Calls back and frees q. */
void db_query_complete(struct db_query *q, enum db_status status, const PGresult *res);
void db_query_enqueue(struct db_query *q); /* last in its queue */
void db_query_dequeue(struct db_query *q);
/* q did not run (its batch was aborted by another's error): first in its queue again. */
void db_query_retry(struct db_query *q);
/* Every waiting call fails (DB_UNAVAILABLE). */
void db_queue_fail(struct db_queue *queue);

/* What a connection needs from its owner, the pool, and how it reports to it: conn.c
 * changes nothing of the pool's and calls none of its functions. */
struct db_conn_owner {
	struct event_base *base;
	const struct db_pool_config *cfg;
	struct db_target *target; /* cfg->url parsed; NULL when libpq cannot parse it */
	void *arg;                /* the pool, for the hooks */
	/* c can take more (a statement finished, or it is ready) */
	void (*ready)(void *arg, struct db_conn *c);
	/* c went down (what it had in flight has failed) */
	void (*lost)(void *arg, struct db_conn *c);
	/* c opened a batch: close it at the end of this loop pass (db_conn_close_batch) */
	void (*batch_opened)(void *arg);
};

struct db_conn {
	const struct db_conn_owner *owner;
	PGconn *pg;
	struct event *io;
	int watch_fd; /* what io is armed for */
	short watching;
	struct event *timer; /* backoff while down, deadline while connecting */
	enum db_conn_state state;
	size_t prepared;
	bool listener; /* LISTENs instead of running queries */
	int backoff_ms;
	TAILQ_HEAD(, db_query) flight; /* sent, in order; the first is the one answering */
	int nflight, nsolo;  /* in flight, and how many of them alone (not shared reads) */
	int nopen;           /* batched since the last Sync (sent at the end of the pass) */
	PGresult *result;    /* what the first in flight answered so far */
	unsigned lost;       /* counts losses: a callback may lose the connection */
	unsigned first_host; /* where a connection attempt begins (db_target_connect) */
};

/* database.url, parsed once (target.c): NULL when libpq cannot parse it (connecting with
 * the URL itself then says why). */
struct db_target *db_target_parse(const char *url);
void db_target_free(struct db_target *t);
/* PQconnectStartParams with the host lists rotated to begin at host first_host. */
PGconn *db_target_connect(struct db_target *t, unsigned first_host);

void db_conn_start(struct db_conn *c);
void db_conn_finish(struct db_conn *c);
/* Whether c may take q now: idle, or q is a shared read and so is everything in flight, up to the
 * pipeline's depth. */
bool db_conn_can_take(const struct db_conn *c, const struct db_query *q);
/* Sends q on a connection that can take it. */
void db_conn_send(struct db_conn *c, struct db_query *q);
/* Ends c's open batch with a Sync and sends it. */
void db_conn_close_batch(struct db_conn *c);
/* Drops the connection (what is in flight fails) and reconnects. */
void db_conn_abort(struct db_conn *c);

/* A blocking connection to URL (migrate, the startup checks), or NULL with a message in err. */
PGconn *db_connect_blocking(const char *url, char *err, size_t errlen);

#endif
