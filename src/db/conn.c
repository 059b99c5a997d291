/* One non-blocking PostgreSQL connection as a state machine on the worker's loop
 * (the TechEmpower h2o database.c pattern). Nothing here blocks: connect through
 * PQconnectPoll, send with PQsendQueryPrepared + PQflush, read with PQconsumeInput and
 * PQgetResult only while !PQisBusy. */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "abipraya/core/log.h"
#include "db_internal.h"

#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 1000

static void on_io(evutil_socket_t fd, short what, void *arg);
static void step(struct db_conn *c);
static void go_idle(struct db_conn *c);
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
	event_assign(c->io, c->pool->base, PQsocket(c->pg), what, on_io, c);
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

/* The connection failed or was lost: fail its query, back off, try again. */
static void lose(struct db_conn *c, const char *why)
{
	struct db_query *q = c->query;

	if (c->pg && log_enabled(LOG_DEBUG))
		log_debug("database connection lost (%s): %s", why, PQerrorMessage(c->pg));
	close_pg(c);
	c->query = NULL;
	c->state = DB_CONN_DOWN;
	c->backoff_ms = c->backoff_ms ? c->backoff_ms * 2 : BACKOFF_MIN_MS;
	if (c->backoff_ms > BACKOFF_MAX_MS)
		c->backoff_ms = BACKOFF_MAX_MS;
	arm_timer(c, c->backoff_ms);
	if (q)
		db_query_complete(q, DB_UNAVAILABLE, NULL);
	db_pool_conn_lost(c->pool, c);
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
		c->timer = evtimer_new(c->pool->base, on_timer, c);
		c->io = event_new(c->pool->base, -1, 0, on_io, c);
	}
	c->pg = PQconnectStart(c->pool->cfg.url);
	if (!c->pg || PQstatus(c->pg) == CONNECTION_BAD || PQsocket(c->pg) < 0) {
		lose(c, "connect failed");
		return;
	}
	c->state = DB_CONN_CONNECTING;
	c->prepared = 0;
	arm_timer(c, c->pool->cfg.timeout_ms);
	watch(c, EV_WRITE);
}

void db_conn_finish(struct db_conn *c)
{
	struct db_query *q = c->query;

	c->query = NULL;
	close_pg(c);
	if (q)
		db_query_complete(q, DB_UNAVAILABLE, NULL);
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
			go_idle(c);
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
	const struct db_pool_config *cfg = &c->pool->cfg;
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

static void go_idle(struct db_conn *c)
{
	c->state = DB_CONN_IDLE;
	c->backoff_ms = 0;
	event_del(c->timer);
	watch(c, EV_READ | EV_PERSIST); /* notice a server that goes away while we wait */
	db_pool_conn_idle(c->pool, c);
}

/* Reads whatever results are complete; true when the current command has finished. */
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
		if (c->pool->cfg.on_notify)
			c->pool->cfg.on_notify(n->extra, c->pool->cfg.notify_arg);
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
		go_idle(c);
}

static void finish_query(struct db_conn *c)
{
	struct db_query *q = c->query;
	PGresult *res = c->result;
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	enum db_status status = st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK ? DB_OK : DB_ERROR;

	c->query = NULL;
	c->result = NULL;
	event_del(c->timer);
	/* the state stays BUSY during the callback: a call it starts must not land here */
	if (!res || PQstatus(c->pg) == CONNECTION_BAD) {
		PQclear(res);
		c->query = q;
		lose(c, "no result");
		return;
	}
	db_query_complete(q, status, res);
	PQclear(res);
	go_idle(c);
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
		if (PQflush(c->pg) < 0) {
			lose(c, "flush failed");
			return;
		}
		if (collect(c, &broken))
			finish_query(c);
		else if (broken)
			lose(c, "read failed");
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

void db_conn_send(struct db_conn *c, struct db_query *q)
{
	c->query = q;
	q->conn = c;
	c->state = DB_CONN_BUSY;
	if (!PQsendQueryPrepared(c->pg, q->stmt, q->nparams, q->values, q->lengths, q->formats,
	                         0) ||
	    !flush(c)) {
		lose(c, "send failed");
		return;
	}
}
