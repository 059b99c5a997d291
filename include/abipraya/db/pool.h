/* A worker's pool of non-blocking PostgreSQL connections, driven by that worker's event
 * loop: connect (PQconnectStart/PQconnectPoll), prepare the statement set, then run one
 * prepared statement at a time per connection. Lost connections are re-opened with
 * backoff; while none is up, calls fail at once (the API answers 503). Optionally one
 * more connection LISTENs on a channel and hands notifications to a callback. */
#ifndef ABIPRAYA_DB_POOL_H
#define ABIPRAYA_DB_POOL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "abipraya/core/xalloc.h"

struct event_base;
struct db_pool;
struct db_query;

enum db_status {
	DB_OK,         /* res is a PGRES_TUPLES_OK / PGRES_COMMAND_OK result */
	DB_ERROR,      /* res is the error result (PQresultErrorField works) */
	DB_UNAVAILABLE /* no result: no connection, connection lost, or deadline passed */
};

/* res is borrowed: valid only during the call, NULL for DB_UNAVAILABLE. */
typedef void db_result_fn(enum db_status status, const PGresult *res, void *arg);
typedef void db_notify_fn(const char *payload, void *arg);

struct db_stmt {
	const char *name, *sql;
	int nparams;
};

struct db_pool_config {
	const char *url;
	int size;       /* connections */
	int timeout_ms; /* deadline of one call, queueing included */
	int queue_max;  /* calls that may wait for a connection */
	const struct db_stmt *stmts;
	size_t nstmts;
	const char *listen_channel; /* NULL: no LISTEN connection */
	db_notify_fn *on_notify;
	void *notify_arg;
};

/* Caller owns; db_pool_destroy(). Connecting starts at once, in the background. */
struct db_pool *db_pool_create(struct event_base *base, const struct db_pool_config *cfg);
void db_pool_destroy(struct db_pool *pool);

/* flags of db_pool_exec */
/* A short read-only statement: it may share a transaction (one Sync) and a connection's
 * pipeline with other shared reads, and wait behind them. */
#define DB_SHARED_READ 0x1u

/* Runs a prepared statement, in a transaction of its own. values/lengths/formats must stay
 * valid until the callback. Returns false (and never calls cb) when the database is known
 * to be down or the queue is full: answer 503 then. Otherwise cb is called exactly once,
 * later. */
bool db_pool_exec(struct db_pool *pool, const char *stmt, int nparams, const char *const *values,
                  const int *lengths, const int *formats, unsigned flags, db_result_fn *cb,
                  void *arg) ABIPRAYA_MUSTCHECK;

int db_pool_in_use(const struct db_pool *pool); /* connections running statements */
int db_pool_up(const struct db_pool *pool);     /* connections ready or running */
int db_pool_waiting(const struct db_pool *pool);
unsigned long db_pool_pipelined(const struct db_pool *pool); /* sent behind others, so far */

#endif
