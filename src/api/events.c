/* GET /events: Server-Sent Events. Each worker LISTENs on one channel (its pool's
 * listen connection); a NOTIFY sent in the same transaction as a change reaches every
 * stream of every instance whose user may see that house. Idle streams get a comment
 * every 15 s; a client that falls too far behind is dropped, not buffered without bound. */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "abipraya/domain/role.h"
#include "api_internal.h"

#define HEARTBEAT_SECONDS 15
#define MAX_HOUSES        64

struct stream {
	LIST_ENTRY(stream) link;
	struct events_hub *hub;
	struct http_request *req;
	bool admin;
	size_t nhouses;
	char houses[MAX_HOUSES][37];
};

struct events_hub {
	struct api_worker *w;
	struct event *heartbeat;
	LIST_HEAD(, stream) streams;
	int count;
};

/* The subscription request: authenticating through api.run (me.get) */
struct subscribe {
	struct http_request *req;
	struct api_worker *w;
	unsigned char token_hash[32];
	char roles[64];
	const char *values[8];
	int lengths[8], formats[8];
};

static void stream_end(struct stream *s)
{
	struct http_request *req = s->req;

	LIST_REMOVE(s, link);
	s->hub->count--;
	atomic_store(&s->hub->w->m_streams, s->hub->count);
	free(s);
	http_stream_end(req);
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
	hub->heartbeat = event_new(w->base, -1, EV_PERSIST, on_heartbeat, hub);
	event_add(hub->heartbeat, &tv);
	return hub;
}

void events_hub_close_all(struct events_hub *hub)
{
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

static bool may_see(const struct stream *s, const char *house_id)
{
	if (s->admin)
		return true;
	for (size_t i = 0; i < s->nhouses; i++)
		if (strcmp(s->houses[i], house_id) == 0)
			return true;
	return false;
}

/* payload: {"id": N, "event": "stay.checked_in", "house_id": "…", "data": {…}} */
void events_hub_notify(const char *payload, void *arg)
{
	struct events_hub *hub = ((struct api_worker *)arg)->hub;
	json_t *root = json_loads(payload, 0, NULL);
	const char *event = json_string_value(json_object_get(root, "event"));
	const char *house = json_string_value(json_object_get(root, "house_id"));
	json_t *data = json_object_get(root, "data");
	struct stream *s, *next;

	if (!hub || !event || !house || !json_is_object(data)) {
		json_decref(root);
		return;
	}
	char *text = json_dumps(data, JSON_COMPACT);
	char *frame = xasprintf("id: %" JSON_INTEGER_FORMAT "\nevent: %s\ndata: %s\n\n",
	                        json_integer_value(json_object_get(root, "id")), event, text);
	for (s = LIST_FIRST(&hub->streams); s; s = next) {
		next = LIST_NEXT(s, link);
		if (may_see(s, house) && !http_stream_write(s->req, frame, strlen(frame)))
			stream_end(s);
	}
	free(frame);
	free(text);
	json_decref(root);
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
	s->admin = strcmp(json_string_value(json_object_get(user, "role")) ?: "", "admin") == 0;
	json_array_foreach(json_object_get(user, "house_ids"), i, h)
	{
		if (s->nhouses < MAX_HOUSES && json_is_string(h))
			snprintf(s->houses[s->nhouses++], 37, "%s", json_string_value(h));
	}
	json_decref(user);
	LIST_INSERT_HEAD(&hub->streams, s, link);
	hub->count++;
	atomic_store(&hub->w->m_streams, hub->count);
	s->req->on_close = on_stream_closed;
	s->req->on_close_arg = s;
	http_add_header(s->req, "X-Accel-Buffering", "no");
	http_stream_begin(s->req, 200, "text/event-stream");
	if (!http_stream_write(s->req, ": connected\n\n", 13))
		stream_end(s);
}

static void on_subscribed(enum db_status status, const PGresult *res, void *arg)
{
	struct subscribe *sub = arg;
	struct http_request *req = sub->req;

	if (status != DB_OK || PQntuples(res) != 1) {
		free(sub);
		api_reply_db_failure(req, status, res);
		return;
	}
	int http_status = atoi(PQgetvalue(res, 0, 0));
	if (http_status != 200) {
		free(sub);
		api_reply_db_problem(req, http_status, PQgetvalue(res, 0, 1));
		return;
	}
	if (!req->conn || sub->w->hub == NULL) {
		free(sub);
		http_reply(req, 503, NULL, NULL, 0);
		return;
	}
	start_stream(sub, PQgetvalue(res, 0, 1));
	free(sub);
}

void api_events_handler(struct http_request *req, struct api_worker *w,
                        const struct api_route *route, const struct router_match *m)
{
	struct subscribe *sub = xcalloc(1, sizeof(*sub));

	if (!api_bearer_hash(req, sub->token_hash)) {
		free(sub);
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
	if (!db_pool_exec(w->db, STMT_RUN, 8, sub->values, sub->lengths, sub->formats,
	                  on_subscribed, sub)) {
		free(sub);
		api_reply_unavailable(req);
	}
}
