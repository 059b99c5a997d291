/* The application layer: routes, the generic operation handler, login, event streams,
 * health and metrics, wired onto one worker's event loop, HTTP server and database pool. */
#ifndef ABIPRAYA_API_API_H
#define ABIPRAYA_API_API_H

#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/queue.h>

#include "abipraya/core/config.h"
#include "abipraya/core/workq.h"

struct event_base;
struct event;
struct http_server;
struct db_pool;
struct router;
struct events_hub;
struct db_stmt;
struct answer_cache;

/* Shared by every worker; read-only once the workers run. */
struct api_shared {
	const struct config *cfg;
	struct router *router;
	struct workq *kdf; /* password hashing, off the event loops */
	SSL_CTX *ssl;
	struct db_stmt *stmts; /* prepared on every pool connection */
	size_t nstmts;
	struct answer_cache *answers;    /* held answers of ROUTE_CACHED routes */
	struct login_limit *login_limit; /* failed logins per client address */
};

struct api_worker {
	int index;
	struct api_shared *shared;
	struct event_base *base;
	struct http_server *http;
	struct db_pool *db;
	struct events_hub *hub;
	struct event *stop_ev; /* activated from the main thread */
	struct event *drain_ev;
	struct event *janitor_ev; /* worker 0 only */
	pthread_t thread;
	int drain_ticks;
	TAILQ_HEAD(render_list, render) renders; /* held answers being rendered (kept.c) */
	/* The callers (token hash prefixes) whose last direct read disclosed: their next one goes
	 * straight to the statement that records it (op.c), not first as a shared read. */
	unsigned char disclosing[16][8];
	unsigned disclosing_next;
	/* mirrors for /metrics, written by this worker only */
	atomic_long m_connections, m_db_in_use, m_db_up, m_db_waiting, m_streams, m_db_pipelined;
};

/* Builds the route table and the KDF pool. False with a message in err. */
bool api_shared_init(struct api_shared *shared, const struct config *cfg, char *err, size_t errlen);
void api_shared_finish(struct api_shared *shared);

/* Creates the worker's loop, listener and pool; then api_worker_start runs it on a thread. */
bool api_worker_init(struct api_worker *w, int index, struct api_shared *shared, char *err,
                     size_t errlen);
bool api_worker_start(struct api_worker *w);
/* From another thread: stop accepting, finish in-flight requests, then leave the loop. */
void api_worker_stop(struct api_worker *w);
void api_worker_join(struct api_worker *w);
void api_worker_finish(struct api_worker *w);

/* The workers, for /metrics (set once before they start). */
void api_metrics_set_workers(struct api_worker *workers, int n);

/* `abiprayad spec-dump`: the route, field, problem and role tables as JSON on out (the
 * same bytes for the same binary); returns the process exit code. */
int api_spec_dump(FILE *out);

/* `abiprayad user-add`: returns the process exit code. */
int api_cli_user_add(const struct config *cfg, int argc, char **argv);
/* `retention [--dry-run]` (contract §18.7): exit status. */
int api_cli_retention(const struct config *cfg, int argc, char **argv);

#endif
