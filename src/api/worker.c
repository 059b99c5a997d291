/* One worker: an event loop on its own thread with its own listener (SO_REUSEPORT),
 * its own pool of database connections and its own event streams. Workers share
 * nothing mutable but the metrics counters. */
#include <event2/event.h>
#include <event2/thread.h>
#include <stdio.h>
#include <string.h>

#include "abipraya/core/log.h"
#include "abipraya/http/router.h"
#include "abipraya/http/tls.h"
#include "api_internal.h"

#define DRAIN_SECONDS   10
#define KDF_THREADS     2
#define KDF_QUEUE       256
#define KDF_NICE        10 /* below the event loops */
#define JANITOR_SECONDS 300
/* held answers: the boards of a few dozen 2 000-bed houses (650 kB each) */
#define ANSWER_CACHE_BYTES (32u << 20)

static void route_to(struct http_request *req, struct api_worker *w, const struct router_match *m)
{
	if (m->status == 405) {
		http_add_header(req, "Allow", m->allow);
		api_reply_problem(req, 405, "method_not_allowed", NULL, NULL);
		return;
	}
	const struct api_route *route = &api_routes[m->route];
	(route->handler ? route->handler : api_op_handler)(req, w, route, m);
}

/* The partner-404 rule (contract §16.3) where api.run does not see the request: a route of
 * /api/v1 that needs no token (but the login, which a partner may call) and a method a path
 * does not have. With a bearer token such a request first asks the database whether the
 * token is one api.refusal answers 404 (api.hidden); without one it is answered as always. */
struct gate {
	struct http_request *req;
	struct api_worker *w;
	struct router_match m;
	unsigned char token_hash[32];
	const char *values[1];
	int lengths[1], formats[1];
};

static bool gated(const struct http_request *req, const struct router_match *m)
{
	if (strncmp(req->path, "/api/v1/", 8) != 0)
		return false;
	if (m->status == 405)
		return true;
	const struct api_route *route = &api_routes[m->route];
	return !route->roles && route->handler != api_login_handler;
}

static void on_gate(enum db_status status, const PGresult *res, void *arg)
{
	struct gate *g = arg;

	if (status != DB_OK || PQntuples(res) != 1) {
		api_reply_db_failure(g->req, status, res);
		return;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "t") == 0)
		api_reply_problem(g->req, 404, "not_found", NULL, NULL);
	else
		route_to(g->req, g->w, &g->m);
}

static void dispatch(struct http_request *req, void *arg)
{
	struct api_worker *w = arg;
	struct router_match m;

	router_match(w->shared->router, req->method, req->path, &req->arena, &m);
	if (m.status && m.status != 405) {
		if (strncmp(req->path, "/api/", 5) != 0 && api_static_serve(req))
			return;
		api_reply_problem(req, 404, "not_found", NULL, NULL);
		return;
	}
	if (!m.status) {
		req->route = api_routes[m.route].pattern;
		req->route_index = m.route;
	}
	struct gate *g;
	unsigned char hash[32];
	if (!gated(req, &m) || !api_bearer_hash(req, hash)) {
		route_to(req, w, &m);
		return;
	}
	g = arena_zalloc(&req->arena, sizeof(*g));
	g->req = req;
	g->w = w;
	g->m = m;
	memcpy(g->token_hash, hash, sizeof(hash));
	g->values[0] = (const char *)g->token_hash;
	g->lengths[0] = 32;
	g->formats[0] = 1;
	if (!db_pool_exec(w->db, STMT_HIDDEN, 1, g->values, g->lengths, g->formats, DB_SHARED_READ,
	                  on_gate, g))
		api_reply_unavailable(req);
}

/* The router of the route table, however long it grows. */
static struct router *table_router(char *err, size_t errlen)
{
	const char **patterns = xcalloc(api_nroutes, sizeof(*patterns));

	for (size_t i = 0; i < api_nroutes; i++)
		patterns[i] = api_routes[i].pattern;
	struct router *r = router_create(patterns, api_nroutes, err, errlen);
	free(patterns);
	return r;
}

bool api_shared_init(struct api_shared *shared, const struct config *cfg, char *err, size_t errlen)
{
	memset(shared, 0, sizeof(*shared));
	shared->cfg = cfg;
	if (!(shared->router = table_router(err, errlen)))
		return false;
	if (*cfg->tls_cert &&
	    !(shared->ssl = http_tls_context(cfg->tls_cert, cfg->tls_key, err, errlen))) {
		router_destroy(shared->router);
		return false;
	}
	api_metrics_init(api_routes, api_nroutes);
	shared->kdf = workq_create(KDF_THREADS, KDF_QUEUE, KDF_NICE);
	shared->stmts = api_statements_build(&shared->nstmts);
	shared->answers = answer_cache_create(ANSWER_CACHE_BYTES);
	shared->login_limit =
	        login_limit_create(cfg->login_address_max_failures, cfg->login_window);
	api_static_load(cfg->static_dir);
	return true;
}

void api_shared_finish(struct api_shared *shared)
{
	workq_destroy(shared->kdf);
	api_statements_free(shared->stmts, shared->nstmts);
	answer_cache_destroy(shared->answers);
	login_limit_destroy(shared->login_limit);
	api_static_unload();
	router_destroy(shared->router);
	api_metrics_finish();
	SSL_CTX_free(shared->ssl);
	memset(shared, 0, sizeof(*shared));
}

/* Once a second after the stop: leave the loop when nothing is in flight. */
static void on_drain(evutil_socket_t fd, short what, void *arg)
{
	struct api_worker *w = arg;
	struct timeval tick = {0, 50000};

	if (http_server_busy(w->http) == 0 || ++w->drain_ticks > DRAIN_SECONDS * 20) {
		event_base_loopexit(w->base, NULL);
		return;
	}
	event_add(w->drain_ev, &tick);
}

static void on_cleaned(enum db_status status, const PGresult *res, void *arg)
{
	if (status != DB_OK)
		log_warn("periodic clean-up failed: %s, ignoring",
		         res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
		             : "database unavailable");
}

/* Worker 0 of each daemon: old idempotency keys, events, login failures, sessions. */
static void on_janitor(evutil_socket_t fd, short what, void *arg)
{
	struct api_worker *w = arg;

	if (!db_pool_exec(w->db, STMT_CLEANUP, 0, NULL, NULL, NULL, 0, on_cleaned, NULL))
		log_debug("periodic clean-up skipped: database unavailable");
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct api_worker *w = arg;

	events_hub_close_all(w->hub);
	http_server_shutdown(w->http);
	on_drain(-1, 0, w);
}

/* A change somewhere (any instance): to the event streams, and to the held answers; or a
 * revocation (sql/0004), to the streams only. */
static void on_notify(const char *payload, void *arg)
{
	struct api_worker *w = arg;
	json_t *root = json_loads(payload, 0, NULL);
	const char *event = json_string_value(json_object_get(root, "event"));
	const char *house = json_string_value(json_object_get(root, "house_id"));
	const char *revoked = json_string_value(json_object_get(root, "revoked_user"));

	if (revoked) {
		events_hub_revoke(w->hub, revoked,
		                  json_string_value(json_object_get(root, "token_hash")));
	} else {
		if (event && house)
			held_note_event(w, event, house);
		events_hub_deliver(w->hub, root);
	}
	json_decref(root);
}

bool api_worker_init(struct api_worker *w, int index, struct api_shared *shared, char *err,
                     size_t errlen)
{
	const struct config *cfg = shared->cfg;

	memset(w, 0, sizeof(*w));
	w->index = index;
	w->shared = shared;
	TAILQ_INIT(&w->renders);
	/* the changelist folds the add/del pairs of one loop pass into one epoll_ctl */
	struct event_config *ec = event_config_new();
	if (ec)
		event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	w->base = ec ? event_base_new_with_config(ec) : NULL;
	if (ec)
		event_config_free(ec);
	if (!w->base) {
		snprintf(err, errlen, "could not create an event loop");
		return false;
	}
	struct http_server_config hc = {
	        .host = cfg->listen_host,
	        .port = cfg->listen_port,
	        .max_body = cfg->max_body,
	        .request_timeout = cfg->request_timeout,
	        .keepalive_timeout = 75,
	        .max_connections = cfg->max_connections,
	        .ssl = shared->ssl,
	        .handler = dispatch,
	        .complete = api_request_complete,
	        .problem = api_http_problem,
	        .arg = w,
	};
	w->http = http_server_create(w->base, &hc, err, errlen);
	if (!w->http)
		return false;
	struct db_pool_config dc = {
	        .url = cfg->db_url,
	        .size = cfg->db_pool,
	        .timeout_ms = cfg->db_timeout_ms,
	        .queue_max = cfg->db_queue,
	        .stmts = shared->stmts,
	        .nstmts = shared->nstmts,
	        .listen_channel = EVENTS_CHANNEL,
	        .on_notify = on_notify,
	        .notify_arg = w,
	};
	w->db = db_pool_create(w->base, &dc);
	w->hub = events_hub_create(w);
	w->stop_ev = event_new(w->base, -1, 0, on_stop, w);
	w->drain_ev = evtimer_new(w->base, on_drain, w);
	if (index == 0) {
		struct timeval every = {JANITOR_SECONDS, 0};
		w->janitor_ev = event_new(w->base, -1, EV_PERSIST, on_janitor, w);
		event_add(w->janitor_ev, &every);
	}
	return true;
}

static void *worker_main(void *arg)
{
	struct api_worker *w = arg;
	event_base_dispatch(w->base);
	return NULL;
}

bool api_worker_start(struct api_worker *w)
{
	return pthread_create(&w->thread, NULL, worker_main, w) == 0;
}

void api_worker_stop(struct api_worker *w)
{
	event_active(w->stop_ev, 0, 0);
}

void api_worker_join(struct api_worker *w)
{
	pthread_join(w->thread, NULL);
}

void api_worker_finish(struct api_worker *w)
{
	/* the pool first: the calls it fails still answer through the HTTP server */
	events_hub_destroy(w->hub);
	db_pool_destroy(w->db);
	http_server_destroy(w->http);
	if (w->stop_ev)
		event_free(w->stop_ev);
	if (w->drain_ev)
		event_free(w->drain_ev);
	if (w->janitor_ev)
		event_free(w->janitor_ev);
	if (w->base)
		event_base_free(w->base);
	memset(w, 0, sizeof(*w));
}
