/* GET /events: Server-Sent Events. Each worker LISTENs on one channel (its pool's
 * listen connection); a NOTIFY sent in the same transaction as a change reaches every
 * stream of every instance whose user may see that house. Idle streams get a comment
 * every 15 s; a client that falls too far behind is dropped, not buffered without bound.
 * A stream lives no longer than its authority: it ends at its token's expiry, and when a
 * revocation (sql/0004) names its token or its user, on whichever instance it is. */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "abipraya/core/log.h"
#include "abipraya/core/text.h"
#include "abipraya/domain/role.h"
#include "api_internal.h"

#define HEARTBEAT_SECONDS 15
#define MAX_HOUSES        64
#define MAX_HELD          1000 /* live events held back while a backlog is read */
#define USER_BUCKETS      256  /* streams by user: a revocation looks at a few streams */

struct held {
	struct held *next;
	long long id;
	char *frame;
};

/* A stream is owned by its hub while it runs (req set) and, while a database call of its own
 * is in flight (querying), by that call too: stream_end ends the response and leaves the hub
 * at once, and the memory goes when neither holds it any more (stream_free, the one place).
 * So it is not in the request's arena: it outlives the request until its last callback. */
struct stream {
	LIST_ENTRY(stream) link;
	LIST_ENTRY(stream) user_link;
	struct events_hub *hub;
	struct http_request *req; /* NULL once ended */
	bool querying;            /* a database call of the stream's has not answered yet */
	bool admin;
	char role[16]; /* events with an audience (app.events.roles) reach only the roles listed */
	/* a partner user's partner: it has no houses and receives only the events of its
	 * partner's programmes (app.events.partner_id, contract §16.11); "" for house users */
	char partner_id[37];
	size_t nhouses;
	char houses[MAX_HOUSES][37];
	char user_id[37];
	unsigned char token_hash[32];
	char token_hex[65];
	char version[12];     /* the user's version when me.get answered */
	struct event *expiry; /* the token's */
	/* resuming after Last-Event-ID: live events wait until the backlog is written */
	bool replaying;
	long long last_id;
	struct held *held, **held_tail;
	int nheld;
	char after[24];
	char *house_array; /* "{…}" for the backlog query; NULL for admin */
	const char *values[4];
	int lengths[4], formats[4];
};

struct events_hub {
	struct api_worker *w;
	struct event *heartbeat;
	LIST_HEAD(, stream) streams;
	LIST_HEAD(, stream) by_user[USER_BUCKETS];
	int count;
	bool closed; /* the worker stops: no new streams */
};

/* The subscription request: authenticating through api.run (me.get). In the request's arena,
 * holding nothing of its own; the stream it starts outlives the request (see stream). */
struct subscribe {
	struct http_request *req;
	struct api_worker *w;
	unsigned char token_hash[32];
	char roles[64];
	const char *values[8];
	int lengths[8], formats[8];
};

static void drop_held(struct stream *s)
{
	while (s->held) {
		struct held *h = s->held;
		s->held = h->next;
		free(h->frame);
		free(h);
	}
	s->held_tail = &s->held;
	s->nheld = 0;
}

static unsigned user_bucket(const char *user_id)
{
	unsigned h = 0;
	for (const char *p = user_id; *p; p++)
		h = h * 31 + (unsigned char)*p;
	return h % USER_BUCKETS;
}

static void stream_free(struct stream *s)
{
	free(s->house_array);
	event_free(s->expiry);
	free(s);
}

/* Finishes the response (the connection closes cleanly) and leaves the hub; the memory waits
 * for the answer of a database call still in flight. */
static void stream_end(struct stream *s)
{
	struct http_request *req = s->req;

	s->req = NULL;
	drop_held(s);
	event_del(s->expiry);
	LIST_REMOVE(s, link);
	LIST_REMOVE(s, user_link);
	s->hub->count--;
	atomic_store(&s->hub->w->m_streams, s->hub->count);
	http_stream_end(req);
	if (!s->querying)
		stream_free(s);
}

/* A database call of the stream answered: false when the stream ended meanwhile, and is
 * freed now. */
static bool stream_answered(struct stream *s)
{
	s->querying = false;
	if (s->req)
		return true;
	stream_free(s);
	return false;
}

static void on_expired(evutil_socket_t fd, short what, void *arg)
{
	stream_end(arg);
}

static void on_stream_closed(struct http_request *req, void *arg)
{
	stream_end(arg);
}

static void on_heartbeat(evutil_socket_t fd, short what, void *arg)
{
	struct events_hub *hub = arg;
	struct stream *s, *next;

	for (s = LIST_FIRST(&hub->streams); s; s = next) {
		next = LIST_NEXT(s, link);
		if (!http_stream_write(s->req, ": keep-alive\n\n", 14))
			stream_end(s);
	}
}

struct events_hub *events_hub_create(struct api_worker *w)
{
	struct events_hub *hub = xcalloc(1, sizeof(*hub));
	struct timeval tv = {HEARTBEAT_SECONDS, 0};

	hub->w = w;
	LIST_INIT(&hub->streams);
	for (int i = 0; i < USER_BUCKETS; i++)
		LIST_INIT(&hub->by_user[i]);
	hub->heartbeat = event_new(w->base, -1, EV_PERSIST, on_heartbeat, hub);
	event_add(hub->heartbeat, &tv);
	return hub;
}

void events_hub_close_all(struct events_hub *hub)
{
	hub->closed = true;
	while (!LIST_EMPTY(&hub->streams))
		stream_end(LIST_FIRST(&hub->streams));
}

void events_hub_destroy(struct events_hub *hub)
{
	if (!hub)
		return;
	events_hub_close_all(hub);
	event_free(hub->heartbeat);
	free(hub);
}

static bool in_audience(const struct stream *s, json_t *roles)
{
	size_t i;
	json_t *r;

	if (!json_is_array(roles))
		return true;
	json_array_foreach(roles, i, r)
	{
		if (json_is_string(r) && strcmp(json_string_value(r), s->role) == 0)
			return true;
	}
	return false;
}

/* roles: the event's audience (absent: every role of the house); partner_id: the partner
 * whose users receive it too (NULL: none) */
static bool may_see(const struct stream *s, const char *house_id, json_t *roles,
                    const char *partner_id)
{
	if (!in_audience(s, roles))
		return false;
	if (s->partner_id[0])
		return partner_id && strcmp(partner_id, s->partner_id) == 0;
	if (s->admin)
		return true;
	for (size_t i = 0; i < s->nhouses; i++)
		if (strcmp(s->houses[i], house_id) == 0)
			return true;
	return false;
}

/* Writes one event unless the stream already had it (backlog and live may overlap). */
static bool send_frame(struct stream *s, long long id, const char *frame)
{
	if (id <= s->last_id)
		return true;
	s->last_id = id;
	return http_stream_write(s->req, frame, strlen(frame));
}

static void hold(struct stream *s, long long id, const char *frame)
{
	if (s->nheld == MAX_HELD)
		return; /* the client gets a gap, as after any reconnect past the backlog */
	struct held *h = xcalloc(1, sizeof(*h));
	h->id = id;
	h->frame = xstrdup(frame);
	*s->held_tail = h;
	s->held_tail = &h->next;
	s->nheld++;
}

/* payload: {"id": N, "event": "stay.checked_in", "house_id": "…", "roles"?: […], "data": {…}} */
void events_hub_deliver(struct events_hub *hub, json_t *root)
{
	const char *event = json_string_value(json_object_get(root, "event"));
	const char *house = json_string_value(json_object_get(root, "house_id"));
	json_t *data = json_object_get(root, "data");
	json_t *roles = json_object_get(root, "roles");
	const char *partner = json_string_value(json_object_get(root, "partner_id"));
	struct stream *s, *next;

	if (!hub || !event || !house || !json_is_object(data))
		return;
	char *text = json_dumps(data, JSON_COMPACT);
	long long id = json_integer_value(json_object_get(root, "id"));
	char *frame = xasprintf("id: %lld\nevent: %s\ndata: %s\n\n", id, event, text);
	for (s = LIST_FIRST(&hub->streams); s; s = next) {
		next = LIST_NEXT(s, link);
		if (!may_see(s, house, roles, partner))
			continue;
		if (s->replaying)
			hold(s, id, frame);
		else if (!send_frame(s, id, frame))
			stream_end(s);
	}
	free(frame);
	free(text);
}

/* A revocation (sql/0004): the streams of that user, or of that one token. Nothing is sent
 * to the others: they do not learn whose authority went. */
void events_hub_revoke(struct events_hub *hub, const char *user_id, const char *token_hex)
{
	struct stream *s, *next;

	if (!hub)
		return;
	for (s = LIST_FIRST(&hub->by_user[user_bucket(user_id)]); s; s = next) {
		next = LIST_NEXT(s, user_link);
		if (strcmp(s->user_id, user_id) == 0 &&
		    (!token_hex || strcmp(s->token_hex, token_hex) == 0))
			stream_end(s);
	}
}

/* The backlog is written: the live events held meanwhile follow. False when the client is
 * gone or too far behind. */
static bool release_held(struct stream *s)
{
	bool ok = true;

	for (struct held *h = s->held; ok && h; h = h->next)
		ok = send_frame(s, h->id, h->frame);
	drop_held(s);
	s->replaying = false;
	return ok;
}

static void on_backlog(enum db_status status, const PGresult *res, void *arg)
{
	struct stream *s = arg;
	bool ok = true;

	if (!stream_answered(s))
		return;
	for (int i = 0; status == DB_OK && ok && i < PQntuples(res); i++) {
		char *frame = xasprintf("id: %s\nevent: %s\ndata: %s\n\n", PQgetvalue(res, i, 0),
		                        PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
		ok = send_frame(s, atoll(PQgetvalue(res, i, 0)), frame);
		free(frame);
	}
	if (!ok || !release_held(s))
		stream_end(s);
}

/* Last-Event-ID: replay what the user may see since then (a short backlog). */
static void replay(struct stream *s)
{
	struct strbuf arr = STRBUF_INIT;

	if (!s->admin) {
		strbuf_addc(&arr, '{');
		for (size_t i = 0; i < s->nhouses; i++)
			strbuf_addf(&arr, "%s%s", i ? "," : "", s->houses[i]);
		strbuf_addc(&arr, '}');
		s->house_array = xstrdup(strbuf_str(&arr));
		strbuf_finish(&arr);
	}
	s->values[0] = s->after;
	s->values[1] = s->house_array;
	s->values[2] = s->role;
	s->values[3] = s->partner_id[0] ? s->partner_id : NULL;
	s->querying = true;
	if (db_pool_exec(s->hub->w->db, STMT_EVENTS_SINCE, 4, s->values, NULL, NULL, 0, on_backlog,
	                 s))
		return;
	s->querying = false; /* no backlog, live events only */
	if (!release_held(s))
		stream_end(s);
}

/* The token and user as me.get saw them, checked again now that the stream is in the hub: a
 * revocation committed in between, whose notification came before the stream was there, is
 * caught here; the answer gives the token's expiry, where the stream ends. */
static void on_session(enum db_status status, const PGresult *res, void *arg)
{
	struct stream *s = arg;

	if (!stream_answered(s))
		return;
	if (status != DB_OK || PQntuples(res) != 1) {
		stream_end(s);
		return;
	}
	double left = atof(PQgetvalue(res, 0, 0));
	struct timeval tv = {(time_t)left, (suseconds_t)((left - (double)(time_t)left) * 1e6)};
	evtimer_add(s->expiry, &tv);
	if (s->replaying)
		replay(s);
}

static void check_session(struct stream *s)
{
	s->values[0] = (const char *)s->token_hash;
	s->lengths[0] = 32;
	s->formats[0] = 1;
	s->values[1] = s->version;
	s->querying = true;
	if (!db_pool_exec(s->hub->w->db, STMT_EVENTS_SESSION, 2, s->values, s->lengths, s->formats,
	                  0, on_session, s)) {
		s->querying = false;
		stream_end(s); /* unverified: the client comes back when the database does */
	}
}

static bool valid_event_id(const char *v)
{
	size_t n = v ? strlen(v) : 0;
	if (n == 0 || n > 18)
		return false;
	for (size_t i = 0; i < n; i++)
		if (v[i] < '0' || v[i] > '9')
			return false;
	return true;
}

static void start_stream(struct subscribe *sub, const char *user_json)
{
	struct events_hub *hub = sub->w->hub;
	json_t *user = json_loads(user_json, 0, NULL);
	struct stream *s = xcalloc(1, sizeof(*s));
	size_t i;
	json_t *h;

	s->hub = hub;
	s->req = sub->req;
	snprintf(s->role, sizeof(s->role), "%s",
	         json_string_value(json_object_get(user, "role")) ?: "");
	s->admin = strcmp(s->role, "admin") == 0;
	json_array_foreach(json_object_get(user, "house_ids"), i, h)
	{
		if (s->nhouses < MAX_HOUSES && json_is_string(h))
			snprintf(s->houses[s->nhouses++], 37, "%s", json_string_value(h));
	}
	if (strcmp(s->role, "partner") == 0)
		snprintf(s->partner_id, sizeof(s->partner_id), "%s",
		         json_string_value(json_object_get(user, "partner_id")) ?: "");
	snprintf(s->user_id, sizeof(s->user_id), "%s",
	         json_string_value(json_object_get(user, "id")) ?: "");
	snprintf(s->version, sizeof(s->version), "%lld",
	         (long long)json_integer_value(json_object_get(user, "version")));
	json_decref(user);
	memcpy(s->token_hash, sub->token_hash, sizeof(s->token_hash));
	text_hex(s->token_hash, sizeof(s->token_hash), s->token_hex);
	s->expiry = evtimer_new(hub->w->base, on_expired, s);
	s->held_tail = &s->held;
	const char *last = http_request_header(s->req, "Last-Event-ID");
	if (valid_event_id(last)) {
		s->replaying = true; /* from now: a live event must not pass the backlog */
		s->last_id = atoll(last);
		snprintf(s->after, sizeof(s->after), "%lld", s->last_id);
	}
	LIST_INSERT_HEAD(&hub->streams, s, link);
	LIST_INSERT_HEAD(&hub->by_user[user_bucket(s->user_id)], s, user_link);
	hub->count++;
	atomic_store(&hub->w->m_streams, hub->count);
	s->req->on_close = on_stream_closed;
	s->req->on_close_arg = s;
	http_add_header(s->req, "X-Accel-Buffering", "no");
	http_stream_begin(s->req, 200, "text/event-stream");
	if (!http_stream_write(s->req, ": connected\n\n", 13)) {
		stream_end(s);
		return;
	}
	check_session(s);
}

static void on_subscribed(enum db_status status, const PGresult *res, void *arg)
{
	struct subscribe *sub = arg;
	struct http_request *req = sub->req;

	if (status != DB_OK || PQntuples(res) != 1) {
		api_reply_db_failure(req, status, res);
		return;
	}
	int http_status = atoi(PQgetvalue(res, 0, 0));
	if (http_status != 200) {
		api_reply_db_problem(req, http_status, PQgetvalue(res, 0, 1));
		return;
	}
	/* a stream let in after the stop's close_all would hold the drain to its end */
	if (!req->conn || sub->w->hub->closed) {
		api_reply_unavailable(req);
		return;
	}
	start_stream(sub, PQgetvalue(res, 0, 1));
}

void api_events_handler(struct http_request *req, struct api_worker *w,
                        const struct api_route *route, const struct router_match *m)
{
	struct subscribe *sub = arena_zalloc(&req->arena, sizeof(*sub));

	if (!api_bearer_hash(req, sub->token_hash)) {
		api_reply_problem(req, 401, "unauthorized", NULL, NULL);
		return;
	}
	sub->req = req;
	sub->w = w;
	role_array_literal(route->roles, sub->roles, sizeof(sub->roles));
	sub->values[0] = (const char *)sub->token_hash;
	sub->lengths[0] = 32;
	sub->formats[0] = 1;
	sub->values[1] = "me.get";
	sub->values[2] = sub->roles;
	sub->values[3] = req->request_id;
	sub->values[6] = "{}";
	if (!db_pool_exec(w->db, STMT_RUN, 8, sub->values, sub->lengths, sub->formats, 0,
	                  on_subscribed, sub))
		api_reply_unavailable(req);
}
