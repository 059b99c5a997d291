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
	DB_CONN_IDLE,
	DB_CONN_BUSY,
};

struct db_query {
	TAILQ_ENTRY(db_query) link;
	struct db_pool *pool;
	const char *stmt;
	int nparams;
	const char *const *values;
	const int *lengths, *formats;
	db_result_fn *cb;
	void *arg;
	struct event *deadline;
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
	struct db_query *query;
	PGresult *result; /* first result of the query in flight */
};

struct db_pool {
	struct event_base *base;
	struct db_pool_config cfg;
	TAILQ_HEAD(, db_query) queue;
	int queued;
	int busy;
	bool healthy; /* false after a failed connect while no connection is up */
	struct db_conn *listen;
	struct db_conn conns[];
};

void db_conn_start(struct db_conn *c);
void db_conn_finish(struct db_conn *c);
/* Sends q on an idle connection. */
void db_conn_send(struct db_conn *c, struct db_query *q);
/* Drops the connection (its query fails) and reconnects. */
void db_conn_abort(struct db_conn *c);
/* A connection became idle, or went down: the pool reacts. */
void db_pool_conn_idle(struct db_pool *pool, struct db_conn *c);
void db_pool_conn_lost(struct db_pool *pool, struct db_conn *c);
void db_query_complete(struct db_query *q, enum db_status status, const PGresult *res);

#endif
