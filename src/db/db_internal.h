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
	TAILQ_ENTRY(db_query) link; /* in the pool's queue, or in its connection's flight */
	struct db_pool *pool;
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

struct db_conn {
	struct db_pool *pool;
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

struct db_pool {
	struct event_base *base;
	struct db_pool_config cfg;
	TAILQ_HEAD(, db_query) queue;
	int queued;
	int busy;
	unsigned long pipelined;  /* statements sent behind others in flight */
	bool healthy;             /* false after a failed connect while no connection is up */
	struct event *sync_ev;    /* end of the loop pass: the open batches get their Sync */
	struct db_target *target; /* cfg.url parsed; NULL when libpq cannot parse it */
	struct db_conn *listen;
	struct db_conn conns[];
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
/* A connection can take more (a statement finished, or it is ready), or went down: the
 * pool reacts. */
void db_pool_conn_ready(struct db_pool *pool, struct db_conn *c);
void db_pool_conn_lost(struct db_pool *pool, struct db_conn *c);
void db_query_complete(struct db_query *q, enum db_status status, const PGresult *res);
/* q did not run (its batch was aborted by another's error): first in line again. */
void db_pool_retry(struct db_pool *pool, struct db_query *q);
/* A batch was opened: close it at the end of this loop pass. */
void db_pool_batch_opened(struct db_pool *pool);

#endif
