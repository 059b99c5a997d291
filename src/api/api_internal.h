/* Shared inside the api layer only. */
#ifndef ABIPRAYA_API_INTERNAL_H
#define ABIPRAYA_API_INTERNAL_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/queue.h>

#include "abipraya/api/api.h"
#include "abipraya/api/route.h"
#include "abipraya/core/strbuf.h"
#include "abipraya/db/pool.h"
#include "abipraya/http/server.h"

/* Prepared statements, prepared on every pool connection: these, and one per ROUTE_DIRECT
 * route, named after its op (api_statements_build). */
extern const struct db_stmt api_statements[];
extern const size_t api_nstatements;
#define STMT_RUN            "run"
#define STMT_RUN_BY         "run_by"
#define STMT_LOGIN_BEGIN    "login_begin"
#define STMT_LOGIN_FINISH   "login_finish"
#define STMT_PING           "ping"
#define STMT_EVENTS_SINCE   "events_since"
#define STMT_EVENTS_SESSION "events_session"
#define STMT_CLEANUP        "cleanup"
#define STMT_HIDDEN         "hidden"

#define EVENTS_CHANNEL "abipraya_events"

/* The statement set of a pool: api_statements and the direct reads of the route table.
 * Caller owns: api_statements_free(). */
struct db_stmt *api_statements_build(size_t *ret_n);
void api_statements_free(struct db_stmt *stmts, size_t n);
/* The name of a direct route's statement that records its disclosure (in a). */
const char *api_disclosing_statement(const struct api_route *route, struct arena *a);

/* Answers held for ROUTE_CACHED routes (answer_cache.c). An answer is immutable and
 * reference-counted: whoever got one from get or put releases it with answer_unref. */
struct answer {
	atomic_int refs;
	char *key;
	char tag[37]; /* the database's name for this version of the answer */
	size_t len;
	char body[]; /* NUL-terminated */
};
struct answer_cache *answer_cache_create(size_t max_bytes);
void answer_cache_destroy(struct answer_cache *c);
struct answer *answer_cache_get(struct answer_cache *c, const char *key);
/* Keeps a copy of body under key (replacing the one there) and returns it. */
struct answer *answer_cache_put(struct answer_cache *c, const char *key, const char *tag,
                                const char *body, size_t len);
void answer_unref(struct answer *a);
/* Forgets the answers whose key begins with prefix and holds needle after it. */
void answer_cache_drop(struct answer_cache *c, const char *prefix, const char *needle);
unsigned long answer_cache_puts(struct answer_cache *c); /* answers held so far */

/* The held-answer part of a call of a ROUTE_CACHED route (kept.c). */
struct held_ask {
	char *key;             /* held_key's */
	struct answer *answer; /* the one held, whose tag goes with the request, if any */
	struct render *render; /* the render this call asked for, while it runs */
	TAILQ_ENTRY(held_ask) wait_link;
	void (*resume)(struct held_ask *ask); /* sends the call again (set by the caller) */
};
/* What a held answer of route is held under: everything its body depends on. args are the
 * call's validated arguments (path parameters and the query the route declares, as compact
 * JSON with sorted keys); token_hash is the caller's, for a ROUTE_HELD_PER_CALLER route.
 * The caller frees it. */
char *held_key(const struct api_route *route, const char *args, const unsigned char token_hash[32]);
/* Before the call is sent: the answer held under the call's key. False when the call must wait
 * for another call's render of the same answer: ask->resume runs when that one ends. */
bool held_prepare(struct api_worker *w, struct held_ask *ask, const struct api_route *route,
                  const char *args, const unsigned char token_hash[32]);
/* The direct read answered 200: the held answer (no body) or the new one (held from now on). */
void held_reply(struct api_worker *w, struct held_ask *ask, struct http_request *req,
                const PGresult *res);
/* The call ends, whatever its answer: the calls waiting for its render are sent again. */
void held_finish(struct api_worker *w, struct held_ask *ask);
/* An event of this house: the answers of the house of each route whose drop_on names the
 * event go, so that the next calls wait for one render instead of each asking for it. */
void held_note_event(struct api_worker *w, const char *event, const char *house_id);

/* The one funnel for error answers: RFC 9457 problem details in the request's language.
 * errors (borrowed) may be NULL. The request is finished. */
void api_reply_problem(struct http_request *req, int status, const char *code, const char *detail,
                       const json_t *errors);
/* An answer the database rendered as {"code","detail","errors"}. */
void api_reply_db_problem(struct http_request *req, int status, const char *body);
/* extensions (borrowed, may be NULL): members of the problem's own, added unless standard */
void api_problem_render(struct strbuf *out, int status, const char *code, const char *detail,
                        const json_t *errors, const json_t *extensions, bool indonesian);
/* The http layer's hook for protocol errors. */
void api_http_problem(struct strbuf *out, int status, const char *code, const char *lang);
/* 503 with Retry-After. */
void api_reply_unavailable(struct http_request *req);
void api_reply_json(struct http_request *req, int status, const char *body, size_t len);

/* API.md §3: the Content-Type is application/json (any case), with or without parameters
 * ("; charset=utf-8"); application/jsonx or application/problem+json are not. */
bool api_json_media_type(const char *ctype);
/* Why a request's body was refused: 415 unsupported_media_type or 400 invalid_json. */
struct api_body_error {
	int status;
	const char *code;
	char detail[160]; /* "" for none */
};
/* The JSON object body of a request, for every route that takes one: caller owns it. NULL
 * with *err set when a body is sent without the JSON media type, is missing (unless
 * optional: then an empty object), or is not a JSON object. */
json_t *api_body_object(const struct http_request *req, bool optional, struct api_body_error *err);

/* The per-address login limit (login_limit.c), shared by the workers of a daemon. An
 * address is 16 bytes, IPv4 mapped into IPv6. take counts an attempt before it is checked,
 * so that attempts sent in parallel cannot all pass: it returns 0 when the login may go on,
 * else the seconds until the window of that address ends (Retry-After). An attempt that
 * did not fail a password check (a success, or no check at all) is handed back by refund. */
struct login_limit *login_limit_create(int max_failures, int window);
void login_limit_destroy(struct login_limit *l);
int login_limit_take(struct login_limit *l, const unsigned char addr[16]);
void login_limit_refund(struct login_limit *l, const unsigned char addr[16]);

/* SHA-256 of the bearer token of the request; false when there is none or it is malformed. */
bool api_bearer_hash(const struct http_request *req, unsigned char ret[32]);

/* Maps a failed database call to an answer (503 for connection trouble, else 500). */
void api_reply_db_failure(struct http_request *req, enum db_status status, const PGresult *res);

/* CSV (RFC 4180) of the "items" of a JSON list, in the columns the route declares
 * ("a,b.c,!d": b.c is a nested member, d only when some item has it); false when the
 * JSON is no list. */
bool api_csv_from_json(const char *json, const char *columns, struct strbuf *out);

/* The print page (HTML) of a sheet the database answered (print.c); false when the JSON is
 * no sheet. */
bool api_print_from_json(const char *json, struct strbuf *out);

/* What an answer is written as (representation.c): JSON, or what the Accept header asks for
 * among the route's ROUTE_CSV / ROUTE_HTML. format_of records a choice other than JSON in
 * the call's args ("format": "csv" | "html"; a print page also "lang": "en" | "id"). */
enum api_format { API_FORMAT_JSON, API_FORMAT_CSV, API_FORMAT_HTML };
enum api_format api_format_of(const struct http_request *req, const struct api_route *route,
                              json_t *args);
/* The database's JSON answer body in that format, with its media type (and, for HTML, the
 * print page's Content-Security-Policy). */
void api_reply_formatted(struct http_request *req, int status, enum api_format format,
                         const struct api_route *route, const char *body, size_t len);

/* Request counting for /metrics and the access log (the http complete hook). init sizes the
 * counters for a route table of any length (once, before the workers start); a request no
 * route took counts as "unmatched". */
void api_metrics_init(const struct api_route *routes, size_t n);
void api_metrics_finish(void);
void api_request_complete(struct http_request *req, int status, void *arg);
/* abipraya_http_requests_total, the counters so far. */
void api_metrics_write_counters(struct strbuf *sb);

/* The console's files (loaded once) and the OpenAPI document. */
void api_static_load(const char *dir);
void api_static_unload(void);
/* True when the request named a console file and was answered. */
bool api_static_serve(struct http_request *req);

/* Event streams of one worker. */
struct events_hub *events_hub_create(struct api_worker *w);
void events_hub_destroy(struct events_hub *hub);
/* A notification of the events channel: to the streams that may see it. root is borrowed. */
void events_hub_deliver(struct events_hub *hub, json_t *root);
/* Ends every stream; from then on new ones are refused (503). */
void events_hub_close_all(struct events_hub *hub);
/* A revocation notice: the streams of user_id end, or only those of token_hex (the hex
 * SHA-256 of a token) when it is not NULL. */
void events_hub_revoke(struct events_hub *hub, const char *user_id, const char *token_hex);

#endif
