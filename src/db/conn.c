/* One non-blocking PostgreSQL connection as a state machine on the worker's loop
 * (the TechEmpower h2o database.c pattern). Nothing here blocks: connect through
 * PQconnectPoll, send with PQsendQueryPrepared + PQflush, read with PQconsumeInput and
 * PQgetResult only while !PQisBusy.
 *
 * A pool connection runs in pipeline mode. A statement that may write goes with a Sync of
 * its own (its own transaction: an error ends no other) and is finished at that Sync, after
 * its commit. Shared reads (DB_SHARED_READ) sent in one loop pass to one connection form a
 * batch with one Sync, sent at the end of the pass: one message and one transaction for the
 * server, one answer for the daemon to read, where each read alone cost the server a
 * wakeup, a commit and a send; each is finished as soon as its results are in. A read that
 * did not run because another of its batch failed is retried. Up to DB_PIPELINE_DEPTH
 * shared reads may be in flight at once, so the backend finds the next waiting. */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "abipraya/core/log.h"
#include "db_internal.h"

#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 1000

static void on_io(evutil_socket_t fd, short what, void *arg);
static void step(struct db_conn *c);
static void go_ready(struct db_conn *c);
static bool send_setup(struct db_conn *c);

/* Re-arms the socket event only when something changed: an epoll_ctl per call was a
 * sixth of the daemon's CPU under load. */
static void watch(struct db_conn *c, short what)
{
	int fd = PQsocket(c->pg);

	if (fd == c->watch_fd && what == c->watching &&
	    event_pending(c->io, what & (EV_READ | EV_WRITE), NULL))
		return;
	c->watch_fd = fd;
	c->watching = what;
	event_del(c->io);
	event_assign(c->io, c->owner->base, PQsocket(c->pg), what, on_io, c);
	event_add(c->io, NULL);
}

static void arm_timer(struct db_conn *c, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	event_add(c->timer, &tv);
}

static void close_pg(struct db_conn *c)
{
	event_del(c->io);
	event_del(c->timer);
	if (c->result) {
		PQclear(c->result);
		c->result = NULL;
	}
	if (c->pg) {
		PQfinish(c->pg);
		c->pg = NULL;
	}
}

/* Takes the first statement in flight off the connection. */
static struct db_query *take_first(struct db_conn *c)
{
	struct db_query *q = TAILQ_FIRST(&c->flight);

	TAILQ_REMOVE(&c->flight, q, link);
	c->nflight--;
	c->nsolo -= !q->shared_read;
	if (c->nflight == 0 && c->state == DB_CONN_BUSY)
		c->state = DB_CONN_IDLE;
	return q;
}

/* Everything in flight fails (the callbacks may start calls: on other connections, as this
 * one is down). */
static void fail_flight(struct db_conn *c)
{
	while (!TAILQ_EMPTY(&c->flight))
		db_query_complete(take_first(c), DB_UNAVAILABLE, NULL);
}

/* The connection failed or was lost: fail what is in flight, back off, try again. */
static void lose(struct db_conn *c, const char *why)
{
	if (c->pg && log_enabled(LOG_DEBUG))
		log_debug("database connection lost (%s): %s", why, PQerrorMessage(c->pg));
	close_pg(c);
	c->lost++;
	c->nopen = 0;
	if (c->state == DB_CONN_CONNECTING || c->state == DB_CONN_PREPARING)
		c->first_host++; /* the next attempt begins at the next host */
	c->state = DB_CONN_DOWN;
	c->backoff_ms = c->backoff_ms ? c->backoff_ms * 2 : BACKOFF_MIN_MS;
	if (c->backoff_ms > BACKOFF_MAX_MS)
		c->backoff_ms = BACKOFF_MAX_MS;
	arm_timer(c, c->backoff_ms);
	fail_flight(c);
	c->owner->lost(c->owner->arg, c);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct db_conn *c = arg;

	if (c->state == DB_CONN_DOWN)
		db_conn_start(c);
	else
		lose(c, "connect deadline passed");
}

void db_conn_start(struct db_conn *c)
{
	if (!c->timer) {
		c->timer = evtimer_new(c->owner->base, on_timer, c);
		c->io = event_new(c->owner->base, -1, 0, on_io, c);
		TAILQ_INIT(&c->flight);
	}
	c->pg = c->owner->target ? db_target_connect(c->owner->target, c->first_host)
	                         : PQconnectStart(c->owner->cfg->url);
	if (!c->pg || PQstatus(c->pg) == CONNECTION_BAD || PQsocket(c->pg) < 0) {
		lose(c, "connect failed");
		return;
	}
	c->state = DB_CONN_CONNECTING;
	c->prepared = 0;
	arm_timer(c, c->owner->cfg->timeout_ms);
	watch(c, EV_WRITE);
}

void db_conn_finish(struct db_conn *c)
{
	close_pg(c);
	c->state = DB_CONN_DOWN;
	if (c->timer)
		fail_flight(c);
	if (c->io)
		event_free(c->io);
	if (c->timer)
		event_free(c->timer);
	c->io = c->timer = NULL;
}

static void connect_poll(struct db_conn *c)
{
	switch (PQconnectPoll(c->pg)) {
	case PGRES_POLLING_READING:
		watch(c, EV_READ);
		return;
	case PGRES_POLLING_WRITING:
		watch(c, EV_WRITE);
		return;
	case PGRES_POLLING_OK:
		if (PQsetnonblocking(c->pg, 1) != 0) {
			lose(c, "cannot set non-blocking");
			return;
		}
		c->state = DB_CONN_PREPARING;
		if (!send_setup(c))
			go_ready(c);
		return;
	default:
		lose(c, "connect failed");
	}
}

/* Flushes; false when the connection broke. Re-arms for write while data remains. */
static bool flush(struct db_conn *c)
{
	int rc = PQflush(c->pg);
	if (rc < 0)
		return false;
	watch(c, rc ? EV_READ | EV_WRITE : EV_READ | EV_PERSIST);
	return true;
}

/* Sends the next prepare (or the LISTEN), or goes idle when all are done. */
static bool send_setup(struct db_conn *c)
{
	const struct db_pool_config *cfg = c->owner->cfg;
	int ok;

	if (c->listener) {
		if (c->prepared > 0)
			return false;
		char sql[128];
		snprintf(sql, sizeof(sql), "LISTEN %s", cfg->listen_channel);
		ok = PQsendQuery(c->pg, sql);
	} else {
		if (c->prepared >= cfg->nstmts)
			return false;
		const struct db_stmt *s = &cfg->stmts[c->prepared];
		ok = PQsendPrepare(c->pg, s->name, s->sql, s->nparams, NULL);
	}
	if (!ok || !flush(c)) {
		lose(c, "cannot send setup");
		return true;
	}
	return true;
}

/* Set up: a pool connection enters pipeline mode (the LISTEN connection has no use for it). */
static void go_ready(struct db_conn *c)
{
	if (!c->listener && !PQenterPipelineMode(c->pg)) {
		lose(c, "cannot enter pipeline mode");
		return;
	}
	c->state = DB_CONN_IDLE;
	c->backoff_ms = 0;
	event_del(c->timer);
	watch(c, EV_READ | EV_PERSIST); /* notice a server that goes away while we wait */
	c->owner->ready(c->owner->arg, c);
}

/* Reads whatever results of a setup step are complete; true when the step has finished. */
static bool collect(struct db_conn *c, bool *ret_broken)
{
	*ret_broken = false;
	if (!PQconsumeInput(c->pg)) {
		*ret_broken = true;
		return false;
	}
	while (!PQisBusy(c->pg)) {
		PGresult *res = PQgetResult(c->pg);
		if (!res)
			return true;
		if (!c->result)
			c->result = res;
		else
			PQclear(res);
	}
	return false;
}

static void dispatch_notifies(struct db_conn *c)
{
	PGnotify *n;
	while ((n = PQnotifies(c->pg))) {
		if (c->owner->cfg->on_notify)
			c->owner->cfg->on_notify(n->extra, c->owner->cfg->notify_arg);
		PQfreemem(n);
	}
}

static void finish_setup_step(struct db_conn *c)
{
	bool ok = c->result && (PQresultStatus(c->result) == PGRES_COMMAND_OK);
	if (!ok) {
		log_error("could not prepare database statement: %s",
		          c->result ? PQresultErrorMessage(c->result) : "no result");
		lose(c, "prepare failed");
		return;
	}
	PQclear(c->result);
	c->result = NULL;
	c->prepared++;
	if (!send_setup(c))
		go_ready(c);
}

/* The first statement in flight reached its Sync (it has committed or failed). */
static void finish_first(struct db_conn *c)
{
	PGresult *res = c->result;
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	enum db_status status = st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK ? DB_OK : DB_ERROR;
	struct db_query *q = take_first(c);

	c->result = NULL;
	db_query_complete(q, res ? status : DB_UNAVAILABLE, res);
	PQclear(res);
}

/* A result of the first statement in flight: the first one is its answer, unless an error
 * follows (a failed commit). */
static void keep_result(struct db_conn *c, PGresult *res)
{
	if (!c->result || (PQresultStatus(res) == PGRES_FATAL_ERROR &&
	                   PQresultStatus(c->result) != PGRES_FATAL_ERROR)) {
		PQclear(c->result);
		c->result = res;
	} else {
		PQclear(res);
	}
}

/* The results of the first in flight are in (a NULL from PQgetResult): a batched read is
 * finished now (or retried, if its batch was aborted); a statement of its own waits for
 * its Sync. */
static void results_ended(struct db_conn *c)
{
	struct db_query *q = TAILQ_FIRST(&c->flight);

	q->ended = true;
	if (!q->batched)
		return;
	if (c->result && PQresultStatus(c->result) == PGRES_PIPELINE_ABORTED) {
		PQclear(c->result);
		c->result = NULL;
		q = take_first(c);
		/* The batch that failed may still be open (its reads were flushed before its Sync,
		 * and an error comes back at once): libpq reports every read sent before the next
		 * Sync as aborted, so q must go after one, or it would fail again for ever. */
		db_conn_close_batch(c);
		db_query_retry(q);
		return;
	}
	finish_first(c);
}

/* Reads what has arrived and finishes what is complete. A Sync ends a statement of its own
 * whose results are in; any other Sync ends a batch, whose reads are finished already. A
 * callback may send more on this connection (it queues behind) or lose it: then stop. */
static void read_flight(struct db_conn *c)
{
	unsigned lost = c->lost;

	if (!PQconsumeInput(c->pg)) {
		lose(c, "read failed");
		return;
	}
	while (c->nflight > 0 && !PQisBusy(c->pg)) {
		PGresult *res = PQgetResult(c->pg);
		struct db_query *first = TAILQ_FIRST(&c->flight);
		if (res && PQresultStatus(res) != PGRES_PIPELINE_SYNC) {
			keep_result(c, res);
			continue;
		}
		if (!res && first->ended)
			break; /* nothing more has arrived */
		bool sync = res != NULL;
		PQclear(res);
		int before = c->nflight;
		if (!sync)
			results_ended(c);
		else if (first->ended)
			finish_first(c);
		if (c->lost == lost && c->nflight < before)
			c->owner->ready(c->owner->arg, c);
		if (c->lost != lost)
			return;
	}
	if (PQstatus(c->pg) == CONNECTION_BAD)
		lose(c, "closed by server");
}

static void step(struct db_conn *c)
{
	bool broken;

	switch (c->state) {
	case DB_CONN_CONNECTING:
		connect_poll(c);
		return;
	case DB_CONN_PREPARING: {
		if (PQflush(c->pg) < 0) {
			lose(c, "setup flush failed");
			return;
		}
		bool done = collect(c, &broken);
		if (broken)
			lose(c, "setup failed");
		else if (done)
			finish_setup_step(c);
		return;
	}
	case DB_CONN_BUSY:
		if (!flush(c))
			lose(c, "flush failed");
		else
			read_flight(c);
		return;
	case DB_CONN_IDLE:
		if (!PQconsumeInput(c->pg) || PQstatus(c->pg) == CONNECTION_BAD) {
			lose(c, "closed by server");
			return;
		}
		dispatch_notifies(c);
		/* an idle connection has nothing to read but notices and notifications */
		PGresult *stray;
		while (!PQisBusy(c->pg) && (stray = PQgetResult(c->pg)))
			PQclear(stray);
		return;
	case DB_CONN_DOWN:
		return;
	}
}

static void on_io(evutil_socket_t fd, short what, void *arg)
{
	step(arg);
}

void db_conn_abort(struct db_conn *c)
{
	lose(c, "deadline passed");
}

bool db_conn_can_take(const struct db_conn *c, const struct db_query *q)
{
	if (c->state == DB_CONN_IDLE)
		return true;
	return c->state == DB_CONN_BUSY && q->shared_read && c->nsolo == 0 &&
	       c->nflight < DB_PIPELINE_DEPTH;
}

void db_conn_close_batch(struct db_conn *c)
{
	if (c->nopen == 0)
		return;
	c->nopen = 0;
	if (!PQpipelineSync(c->pg) || !flush(c))
		lose(c, "send failed");
}

void db_conn_send(struct db_conn *c, struct db_query *q)
{
	c->state = DB_CONN_BUSY;
	TAILQ_INSERT_TAIL(&c->flight, q, link);
	c->nflight++;
	c->nsolo += !q->shared_read;
	q->conn = c;
	q->batched = q->shared_read; /* only a shared read joins others in flight */
	q->ended = false;
	/* An idle connection may still have an open batch, whose reads have all been answered
	 * (flushed early, they failed, or answered more than 8 kB): a statement of its own must
	 * not join it, nor its failure. */
	if (!q->shared_read)
		db_conn_close_batch(c);
	if (c->state == DB_CONN_DOWN)
		return; /* lost: q failed with the rest */
	if (!PQsendQueryPrepared(c->pg, q->stmt, q->nparams, q->values, q->lengths, q->formats,
	                         0)) {
		lose(c, "send failed");
		return;
	}
	if (!q->shared_read) {
		if (!PQpipelineSync(c->pg) || !flush(c))
			lose(c, "send failed");
		return;
	}
	if (c->nopen++ == 0)
		c->owner->batch_opened(c->owner->arg);
	if (c->nflight >= DB_PIPELINE_DEPTH)
		db_conn_close_batch(c);
}
