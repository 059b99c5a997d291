/* The generic operation handler: authenticate (in the database, in the same round trip),
 * validate the input against the route's field tables, run one prepared statement
 * (api.run), render its answer. Most routes need nothing else. */
#include <ctype.h>
#include <event2/event.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "abipraya/api/validate.h"
#include "abipraya/core/password.h"
#include "abipraya/core/text.h"
#include "abipraya/domain/role.h"
#include "abipraya/http/router.h"
#include "api_internal.h"

#define RUN_PARAMS  8 /* and a deadline for writes */
#define MAX_RETRIES 3

/* In the request's arena; call_cleanup lets go of the rest when the request ends. */
struct op_call {
	struct http_request *req;
	struct api_worker *w;
	const struct api_route *route;
	json_t *args;      /* owned */
	json_t *pre_error; /* owned, or NULL */
	unsigned char token_hash[32];
	char roles[64];
	char *fingerprint; /* owned */
	const char *values[RUN_PARAMS + 1];
	int lengths[RUN_PARAMS + 1], formats[RUN_PARAMS + 1];
	enum api_format format;
	bool direct;          /* sent as the route's direct read */
	bool disclosing;      /* sent again as the direct read that records its disclosure */
	const char *path_id;  /* the first id of the path (a disclosure's entity_id), or NULL */
	struct held_ask held; /* of a ROUTE_CACHED route */
	int retries;
	/* password hashing off the loop */
	struct workq_job job;
	struct event *kdf_done;
	char *password;      /* in the arena, cleansed */
	char *password_hash; /* owned */
};

/* Runs once, when the request ends (answered, whichever the path): the calls waiting for
 * this one's render are sent again from here. */
static void call_cleanup(void *arg)
{
	struct op_call *call = arg;

	json_decref(call->args);
	json_decref(call->pre_error);
	if (call->kdf_done)
		event_free(call->kdf_done);
	if (call->password)
		OPENSSL_cleanse(call->password, strlen(call->password));
	free(call->password_hash);
	free(call->fingerprint);
	held_finish(call->w, &call->held);
}

bool api_bearer_hash(const struct http_request *req, unsigned char ret[32])
{
	const char *auth = http_request_header(req, "Authorization");

	if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
		return false;
	const char *tok = auth + 7;
	while (*tok == ' ')
		tok++;
	size_t len = strlen(tok);
	if (len == 0 || len > 512)
		return false;
	SHA256((const unsigned char *)tok, len, ret);
	return true;
}

/* A problem found before the database: api.run still authenticates first, and records
 * the answer under the Idempotency-Key like any other. The first one found wins. */
static void set_pre_error(struct op_call *call, int status, const char *code, const char *detail,
                          json_t *errors)
{
	if (call->pre_error)
		return;
	call->pre_error = json_pack("{s:i, s:s}", "status", status, "code", code);
	if (detail)
		json_object_set_new(call->pre_error, "detail", json_string(detail));
	if (errors)
		json_object_set(call->pre_error, "errors", errors);
}

/* Path parameters are UUIDs; one that is not names nothing: 404. A `{month}` is a value,
 * not a name: YYYY-MM of a real month, else 422 naming it (§16.8). */
static void take_path_params(struct op_call *call, const struct router_match *m, json_t *errors)
{
	char uuid[37], day[11];

	for (size_t i = 0; i < m->nparams; i++) {
		const char *v = m->params[i].value;
		if (strcmp(m->params[i].name, "month") == 0) {
			if (strlen(v) != 7 || snprintf(day, sizeof(day), "%s-01", v) != 10 ||
			    !text_date(day, 10))
				validate_error(errors, "month", "must be a month (YYYY-MM)");
			else
				json_object_set_new(call->args, "month", json_string(v));
			continue;
		}
		if (!text_uuid(v, strlen(v), uuid)) {
			set_pre_error(call, 404, "not_found", NULL, NULL);
			return;
		}
		json_object_set_new(call->args, m->params[i].name, json_string(uuid));
		if (!call->path_id)
			call->path_id = arena_strdup(&call->req->arena, uuid);
	}
}

static void take_query(struct op_call *call, json_t *errors)
{
	const struct api_route *route = call->route;
	json_t *q = validate_parse_query(call->req->query, errors);
	json_t *v;

	if (route->query)
		validate_object(q, route->query, VALIDATE_QUERY, NULL, call->args, errors);
	if (route->flags & ROUTE_LIST) {
		int64_t limit = 50;
		if ((v = json_object_get(q, "limit")) &&
		    !text_int(json_string_value(v), json_string_length(v), 1, 200, &limit))
			validate_error(errors, "limit", "must be an integer from 1 to 200");
		json_object_set_new(call->args, "limit", json_integer(limit));
		if ((v = json_object_get(q, "cursor")) && json_string_length(v) > 0) {
			if (json_string_length(v) > 200 ||
			    utf8_length(json_string_value(v), json_string_length(v)) < 0)
				validate_error(errors, "cursor", "is not a cursor of this list");
			else
				json_object_set(call->args, "cursor", v);
		}
	}
	json_decref(q);
}

bool api_json_media_type(const char *ctype)
{
	static const char type[] = "application/json";

	if (!ctype)
		return false;
	ctype += strspn(ctype, " \t");
	if (strncasecmp(ctype, type, sizeof(type) - 1) != 0)
		return false;
	ctype += sizeof(type) - 1;
	ctype += strspn(ctype, " \t");
	return *ctype == '\0' || *ctype == ';';
}

json_t *api_body_object(const struct http_request *req, bool optional, struct api_body_error *err)
{
	json_error_t jerr;

	if (req->body_len > 0 && !api_json_media_type(http_request_header(req, "Content-Type"))) {
		*err = (struct api_body_error){415, "unsupported_media_type", ""};
		return NULL;
	}
	if (req->body_len == 0) {
		if (optional)
			return json_object();
		*err = (struct api_body_error){400, "invalid_json",
		                               "a JSON object body is required"};
		return NULL;
	}
	json_t *body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
	                          &jerr);
	if (json_is_object(body))
		return body;
	*err = (struct api_body_error){400, "invalid_json", "the body must be a JSON object"};
	if (!body)
		snprintf(err->detail, sizeof(err->detail), "%s", jerr.text);
	json_decref(body);
	return NULL;
}

static void take_body(struct op_call *call, json_t *errors)
{
	struct http_request *req = call->req;
	const struct api_route *route = call->route;
	struct api_body_error err;

	/* a route that takes no body still refuses one of another media type */
	json_t *body =
	        api_body_object(req, !route->body || (route->flags & ROUTE_BODY_OPTIONAL), &err);
	if (!body) {
		if (route->body || err.status == 415)
			set_pre_error(call, err.status, err.code, *err.detail ? err.detail : NULL,
			              NULL);
		return;
	}
	if (route->body) {
		enum validate_mode mode =
		        strcmp(req->method, "PATCH") == 0 ? VALIDATE_PATCH : VALIDATE_CREATE;
		validate_object(body, route->body, mode, NULL, call->args, errors);
	}
	json_decref(body);
}

static void take_headers(struct op_call *call, json_t *errors)
{
	struct http_request *req = call->req;
	const char *v;

	if ((v = http_request_header(req, "If-Match"))) {
		int64_t version = -1;
		if (strncmp(v, "W/", 2) == 0)
			v += 2;
		size_t len = strlen(v);
		if (len >= 2 && v[0] == '"' && v[len - 1] == '"')
			(void)text_int(v + 1, len - 2, 0, INT32_MAX, &version);
		else if (strcmp(v, "*") != 0)
			(void)text_int(v, len, 0, INT32_MAX, &version);
		if (strcmp(v, "*") != 0)
			json_object_set_new(call->args, "if_match", json_integer(version));
	}
	call->format = api_format_of(req, call->route, call->args);
	if (strcmp(req->method, "POST") == 0 && (v = http_request_header(req, "Idempotency-Key"))) {
		size_t len = strlen(v);
		bool ok = len >= 1 && len <= 200;
		for (const char *p = v; ok && *p; p++)
			ok = *p >= 0x20 && *p < 0x7f;
		if (!ok) {
			validate_error(errors, "Idempotency-Key",
			               "must be 1 to 200 printable ASCII characters");
			return;
		}
		unsigned char digest[32];
		char hex[65];
		SHA256((const unsigned char *)req->body, req->body_len, digest);
		text_hex(digest, sizeof(digest), hex);
		call->fingerprint = xasprintf("%s %s %s", req->method, req->path, hex);
	}
}

/* X-Purpose (contract §18.4): 1 to 200 printable characters, UTF-8. */
static bool purpose_ok(const char *v)
{
	long n = utf8_length(v, strlen(v));

	for (const unsigned char *p = (const unsigned char *)v; n > 0 && *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return n >= 1 && n <= 200;
}

/* What api.disclose needs besides the answer, for a read of a route that discloses: its
 * entity, the path's id, the path without its query, the purpose, and for a CSV the
 * route's columns (the database resolves the optional ones as csv.c does). */
static void take_disclosure(struct op_call *call, json_t *errors)
{
	struct http_request *req = call->req;
	const char *purpose = http_request_header(req, "X-Purpose");

	if (purpose && !purpose_ok(purpose)) {
		validate_error(errors, "X-Purpose", "must be 1 to 200 printable characters");
		return;
	}
	if (!call->route->discloses || strcmp(req->method, "GET") != 0)
		return;
	json_t *d = json_pack("{s:s, s:s?, s:s, s:s?, s:s}", "entity", call->route->discloses,
	                      "entity_id", call->path_id, "path", req->path, "purpose", purpose,
	                      "request_id", req->request_id);
	if (call->format == API_FORMAT_CSV)
		json_object_set_new(d, "columns", json_string(call->route->csv_columns));
	json_object_set_new(call->args, "_disclosure", d);
}

static void on_run_result(enum db_status status, const PGresult *res, void *arg);

/* The database-side deadline of a write (epoch seconds): a little before the pool gives up
 * on the call, so that a write the client is told failed (503) never commits later. */
static const char *deadline_text(int timeout_ms, struct arena *a)
{
	struct timespec now;
	int margin = timeout_ms / 4 < 1000 ? timeout_ms / 4 : 1000;
	char *text = arena_alloc(a, 32);

	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(text, 32, "%.6f",
	         (double)now.tv_sec + (double)now.tv_nsec / 1e9 + (timeout_ms - margin) / 1e3);
	return text;
}

/* A GET the C side found nothing wrong with goes as the route's direct read (docs/ops.md);
 * for a ROUTE_CACHED route it names the tag of the answer held, if any. */
static const char *direct_params(struct op_call *call, const char *args)
{
	struct answer *held = call->held.answer;

	call->values[1] = call->roles;
	call->values[2] = args;
	call->values[3] = held ? held->tag : NULL;
	return call->route->op;
}

static const char *run_params(struct op_call *call, const char *args, bool write)
{
	struct http_request *req = call->req;
	char *pre = call->pre_error ? json_dumps(call->pre_error, JSON_COMPACT) : NULL;

	call->values[1] = call->route->op;
	call->values[2] = call->roles;
	call->values[3] = req->request_id;
	call->values[4] = call->fingerprint ? http_request_header(req, "Idempotency-Key") : NULL;
	call->values[5] = call->fingerprint;
	call->values[6] = args;
	call->values[7] = pre ? arena_strdup(&req->arena, pre) : NULL;
	free(pre);
	/* a write carries the time after which it must roll back (api.run_by in sql/api/) */
	if (write)
		call->values[8] = deadline_text(call->w->shared->cfg->db_timeout_ms, &req->arena);
	return write ? STMT_RUN_BY : STMT_RUN;
}

/* A hint only: a caller wrongly taken for one whose reads disclose is read alone, which
 * answers the same. */
static bool disclosed_before(const struct api_worker *w, const unsigned char *token_hash)
{
	for (size_t i = 0; i < ARRAY_SIZE(w->disclosing); i++)
		if (memcmp(w->disclosing[i], token_hash, sizeof(w->disclosing[i])) == 0)
			return true;
	return false;
}

static void remember_disclosing(struct api_worker *w, const unsigned char *token_hash)
{
	memcpy(w->disclosing[w->disclosing_next++ % ARRAY_SIZE(w->disclosing)], token_hash,
	       sizeof(w->disclosing[0]));
}

static void send_run(struct op_call *call)
{
	struct http_request *req = call->req;
	char *dumped = json_dumps(call->args, JSON_COMPACT | JSON_SORT_KEYS);
	const char *args = arena_strdup(&req->arena, dumped);
	bool write = strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0;

	free(dumped);
	call->direct = !write && !call->pre_error && call->format == API_FORMAT_JSON &&
	               (call->route->flags & ROUTE_DIRECT);
	if (call->direct && call->route->discloses && disclosed_before(call->w, call->token_hash))
		call->disclosing = true;
	bool cached = call->direct && (call->route->flags & ROUTE_CACHED) && !call->disclosing;
	if (cached && !held_prepare(call->w, &call->held, call->route, args, call->token_hash))
		return; /* waits for another call's render of the same answer */
	call->values[0] = (const char *)call->token_hash;
	call->lengths[0] = 32;
	call->formats[0] = 1;
	const char *stmt = call->direct ? direct_params(call, args) : run_params(call, args, write);
	int nparams = call->direct ? 4 : RUN_PARAMS + write;
	/* a direct read may share a transaction, unless the database has to render what is not
	 * held yet (a render is long: reads behind it would wait), or it records a disclosure:
	 * that one is answered only after its own commit (contract §18.4) */
	bool shared = call->direct && !call->disclosing && (!cached || call->held.answer);
	if (call->disclosing)
		stmt = api_disclosing_statement(call->route, &req->arena);
	if (!db_pool_exec(call->w->db, stmt, nparams, call->values, call->lengths, call->formats,
	                  shared ? DB_SHARED_READ : 0, on_run_result, call))
		api_reply_unavailable(req);
}

static void resume(struct held_ask *ask)
{
	send_run((struct op_call *)((char *)ask - offsetof(struct op_call, held)));
}

static void reply_success(struct op_call *call, int status, const PGresult *res)
{
	struct http_request *req = call->req;
	const char *body = PQgetisnull(res, 0, 1) ? NULL : PQgetvalue(res, 0, 1);

	if (!PQgetisnull(res, 0, 2)) {
		char etag[24];
		snprintf(etag, sizeof(etag), "\"%s\"", PQgetvalue(res, 0, 2));
		http_add_header(req, "ETag", etag);
	}
	if (status == 204 || !body) {
		http_reply(req, status == 200 && !body ? 204 : status, NULL, NULL, 0);
		return;
	}
	api_reply_formatted(req, status, call->format, call->route, body,
	                    (size_t)PQgetlength(res, 0, 1));
}

static void on_run_result(enum db_status status, const PGresult *res, void *arg)
{
	struct op_call *call = arg;
	struct http_request *req = call->req;

	if (status != DB_OK || PQntuples(res) != 1) {
		const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
		/* a serialization failure or deadlock that escaped the database's own retries */
		if (state && strncmp(state, "40", 2) == 0 && call->retries++ < MAX_RETRIES) {
			send_run(call);
			return;
		}
		/* a disclosure that could not be written: no data (contract §18.4) */
		if (call->disclosing) {
			api_reply_unavailable(req);
			return;
		}
		api_reply_db_failure(req, status, res);
		return;
	}
	int http_status = atoi(PQgetvalue(res, 0, 0));
	/* a shared direct read whose answer would let a resident's data out is not sent: it is
	 * read again by the statement that records the disclosure in its own transaction */
	if (call->direct && !call->disclosing && PQnfields(res) > 4 && !PQgetisnull(res, 0, 4)) {
		call->disclosing = true;
		remember_disclosing(call->w, call->token_hash);
		send_run(call);
		return;
	}
	if (http_status >= 400)
		api_reply_db_problem(req, http_status, PQgetvalue(res, 0, 1));
	else if (call->direct && (call->route->flags & ROUTE_CACHED) && !PQgetisnull(res, 0, 3))
		held_reply(call->w, &call->held, req, res);
	else
		reply_success(call, http_status, res);
}

static void kdf_run(struct workq_job *job)
{
	struct op_call *call = (struct op_call *)((char *)job - offsetof(struct op_call, job));
	call->password_hash = password_hash(call->password, strlen(call->password));
}

static void kdf_notify(struct workq_job *job)
{
	struct op_call *call = (struct op_call *)((char *)job - offsetof(struct op_call, job));
	event_active(call->kdf_done, 0, 0);
}

static void on_kdf_done(evutil_socket_t fd, short what, void *arg)
{
	struct op_call *call = arg;

	if (!call->password_hash) {
		api_reply_problem(call->req, 500, "internal_error", NULL, NULL);
		return;
	}
	json_object_set_new(call->args, "password_hash", json_string(call->password_hash));
	send_run(call);
}

/* Moves "password" out of args and hashes it on the KDF pool; false if it can't queue. */
static bool start_kdf(struct op_call *call)
{
	json_t *pw = json_object_get(call->args, "password");

	call->password = arena_strdup(&call->req->arena, json_string_value(pw));
	json_object_del(call->args, "password");
	call->job.run = kdf_run;
	call->job.notify = kdf_notify;
	call->kdf_done = event_new(call->w->base, -1, 0, on_kdf_done, call);
	return workq_submit(call->w->shared->kdf, &call->job);
}

void api_op_handler(struct http_request *req, struct api_worker *w, const struct api_route *route,
                    const struct router_match *m)
{
	struct op_call *call = arena_zalloc(&req->arena, sizeof(*call));
	json_t *errors;

	call->req = req;
	call->w = w;
	call->route = route;
	call->held.resume = resume;
	call->args = json_object();
	arena_on_finish(&req->arena, call_cleanup, call);
	if (!api_bearer_hash(req, call->token_hash)) {
		api_reply_problem(req, 401, "unauthorized", NULL, NULL);
		return;
	}
	errors = json_array();
	role_array_literal(route->roles, call->roles, sizeof(call->roles));
	take_path_params(call, m, errors);
	take_query(call, errors);
	take_body(call, errors);
	take_headers(call, errors);
	take_disclosure(call, errors);
	if (json_array_size(errors))
		set_pre_error(call, 422, "validation_failed", NULL, errors);
	json_decref(errors);
	if (!call->pre_error && (route->flags & ROUTE_KDF) &&
	    json_object_get(call->args, "password")) {
		if (!start_kdf(call))
			api_reply_unavailable(req);
		return;
	}
	send_run(call);
}
