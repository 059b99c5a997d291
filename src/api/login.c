/* POST /auth/login: two round trips around the password KDF, which runs on the KDF pool
 * so that no event loop stalls. Unknown users are checked against a dummy hash, and
 * every failure answers the same, in about the same time. Before all that, the client
 * address's count of failures (login_limit.c) may answer 429 without any hashing. */
#include <event2/event.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "abipraya/api/validate.h"
#include "abipraya/core/base64.h"
#include "abipraya/core/password.h"
#include "api_internal.h"

/* In the request's arena; login_cleanup lets go of the rest when the request ends. */
struct login {
	struct http_request *req;
	struct api_worker *w;
	char *username, *password; /* in the arena; the password is cleansed */
	size_t password_len;       /* every byte counts, not only those before a NUL */
	unsigned char addr[16];    /* the client's, IPv4-mapped */
	bool counted;              /* an attempt of addr to hand back unless it fails */
	char *stored_hash;         /* in the arena, NULL for an unknown user */
	char user_id[40];
	bool ok;
	char token[48];
	unsigned char token_hash[32];
	char max_failures[16], window[16], ttl[16];
	const char *values[5];
	int lengths[5], formats[5];
	struct workq_job job;
	struct event *done;
};

/* Runs once, when the request ends (answered, whichever the path). */
static void login_cleanup(void *arg)
{
	struct login *l = arg;

	OPENSSL_cleanse(l->password, l->password_len);
	if (l->counted)
		login_limit_refund(l->w->shared->login_limit, l->addr);
	OPENSSL_cleanse(l->token, sizeof(l->token));
	if (l->done)
		event_free(l->done);
}

static void fail(struct login *l, int status, const char *code)
{
	api_reply_problem(l->req, status, code, NULL, NULL);
}

static void on_finish(enum db_status status, const PGresult *res, void *arg)
{
	struct login *l = arg;
	struct http_request *req = l->req;

	if (status != DB_OK || PQntuples(res) != 1) {
		api_reply_db_failure(req, status, res);
		return;
	}
	/* a user deactivated between the two round trips comes back as NULL */
	if (!l->ok || PQgetisnull(res, 0, 0)) {
		l->counted = false; /* a failed login: it stays in the address's count */
		fail(l, 401, "invalid_credentials");
		return;
	}
	json_t *full = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
	json_t *user = json_object();
	static const char *const shown[] = {"id",        "username",  "role",
	                                    "full_name", "house_ids", "partner_id"};
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
		json_object_set(user, shown[i], json_object_get(full, shown[i]));
	json_decref(full);
	json_t *body = json_pack("{s:s, s:s, s:o}", "token", l->token, "expires_at",
	                         PQgetvalue(res, 0, 0), "user", user);
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	api_reply_json(req, 200, text, strlen(text));
	free(text);
}

static void send_finish(struct login *l)
{
	l->values[0] = l->username;
	l->values[1] = l->ok ? l->user_id : NULL;
	l->values[2] = l->ok ? "true" : "false";
	l->values[3] = l->ok ? (const char *)l->token_hash : NULL;
	l->lengths[3] = 32;
	l->formats[3] = 1;
	l->values[4] = l->ttl;
	if (!db_pool_exec(l->w->db, STMT_LOGIN_FINISH, 5, l->values, l->lengths, l->formats, 0,
	                  on_finish, l))
		api_reply_unavailable(l->req);
}

static void kdf_run(struct workq_job *job)
{
	struct login *l = (struct login *)((char *)job - offsetof(struct login, job));
	l->ok = password_verify(l->password, l->password_len, l->stored_hash) && l->stored_hash;
}

static void kdf_notify(struct workq_job *job)
{
	struct login *l = (struct login *)((char *)job - offsetof(struct login, job));
	event_active(l->done, 0, 0);
}

static void on_verified(evutil_socket_t fd, short what, void *arg)
{
	struct login *l = arg;
	unsigned char raw[32];

	if (l->ok) {
		if (RAND_bytes(raw, sizeof(raw)) != 1) {
			fail(l, 500, "internal_error");
			return;
		}
		base64url_encode(raw, sizeof(raw), l->token);
		SHA256((const unsigned char *)l->token, strlen(l->token), l->token_hash);
		OPENSSL_cleanse(raw, sizeof(raw));
	}
	send_finish(l);
}

static void on_begin(enum db_status status, const PGresult *res, void *arg)
{
	struct login *l = arg;

	if (status != DB_OK || PQntuples(res) != 1) {
		api_reply_db_failure(l->req, status, res);
		return;
	}
	if (strcmp(PQgetvalue(res, 0, 2), "t") == 0) {
		http_add_header(l->req, "Retry-After", PQgetvalue(res, 0, 3));
		fail(l, 429, "rate_limited");
		return;
	}
	if (!PQgetisnull(res, 0, 0)) {
		snprintf(l->user_id, sizeof(l->user_id), "%s", PQgetvalue(res, 0, 0));
		l->stored_hash = arena_strdup(&l->req->arena, PQgetvalue(res, 0, 1));
	}
	l->job.run = kdf_run;
	l->job.notify = kdf_notify;
	l->done = event_new(l->w->base, -1, 0, on_verified, l);
	/* a full queue is a flood of logins, not a fault of the service: 429 (API.md §4) */
	if (!workq_submit(l->w->shared->kdf, &l->job)) {
		http_add_header(l->req, "Retry-After", "1");
		fail(l, 429, "rate_limited");
	}
}

static void sockaddr_address(const struct sockaddr_storage *ss, unsigned char ret[16])
{
	memset(ret, 0, 16);
	if (ss->ss_family == AF_INET6) {
		memcpy(ret, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	} else if (ss->ss_family == AF_INET) {
		ret[10] = ret[11] = 0xff;
		memcpy(ret + 12, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	}
}

/* One hop of X-Forwarded-For: "1.2.3.4", "1.2.3.4:port", "2001:db8::1", "[2001:db8::1]"
 * or "[2001:db8::1]:port", with white space around. */
static bool parse_hop(const char *s, size_t len, unsigned char ret[16])
{
	while (len && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len && *s == '[') {
		const char *close = memchr(s, ']', len);
		return close && config_parse_address(s + 1, (size_t)(close - s - 1), ret);
	}
	const char *colon = memchr(s, ':', len);
	if (colon && !memchr(colon + 1, ':', len - (size_t)(colon - s) - 1))
		len = (size_t)(colon - s); /* IPv4 with a port */
	return config_parse_address(s, len, ret);
}

/* Walks one X-Forwarded-For line right to left from the trusted hop in addr: addr becomes
 * each hop in turn; false once it is an untrusted one (the client) or a hop does not
 * parse (then the trusted hop after it stands). */
static bool walk_forwarded(const char *v, const struct config *cfg, unsigned char addr[16])
{
	size_t end = strlen(v);

	for (;;) {
		size_t start = end;
		while (start && v[start - 1] != ',')
			start--;
		unsigned char hop[16];
		if (!parse_hop(v + start, end - start, hop))
			return false;
		memcpy(addr, hop, 16);
		if (!config_net_contains(cfg->trusted_proxies, cfg->ntrusted_proxies, addr))
			return false;
		if (start == 0)
			return true;
		end = start - 1;
	}
}

/* The client address of API.md §4: the socket's peer, or when that is a trusted proxy the
 * last hop of X-Forwarded-For that is not one (over every such header line: a proxy may
 * add its own line after the client's). */
static void client_address(const struct http_request *req, const struct config *cfg,
                           unsigned char ret[16])
{
	struct sockaddr_storage ss = {0};

	if (!http_request_peer(req, &ss))
		ss.ss_family = AF_UNSPEC; /* the client is gone; :: stands for it */
	sockaddr_address(&ss, ret);
	if (!config_net_contains(cfg->trusted_proxies, cfg->ntrusted_proxies, ret))
		return;
	for (size_t i = req->head.nfields; i-- > 0;)
		if (strcasecmp(req->head.fields[i].name, "X-Forwarded-For") == 0 &&
		    !walk_forwarded(req->head.fields[i].value, cfg, ret))
			return;
}

void api_login_handler(struct http_request *req, struct api_worker *w,
                       const struct api_route *route, const struct router_match *m)
{
	const struct config *cfg = w->shared->cfg;
	struct api_body_error err;
	json_t *body, *args = json_object(), *errors = json_array();
	unsigned char addr[16];

	if (!(body = api_body_object(req, false, &err))) {
		api_reply_problem(req, err.status, err.code, *err.detail ? err.detail : NULL, NULL);
		goto out;
	}
	validate_object(body, route->body, VALIDATE_CREATE, NULL, args, errors);
	if (json_array_size(errors)) {
		api_reply_problem(req, 422, "validation_failed", NULL, errors);
		goto out;
	}
	client_address(req, cfg, addr);
	int retry = login_limit_take(w->shared->login_limit, addr);
	if (retry) {
		char text[16];
		snprintf(text, sizeof(text), "%d", retry);
		http_add_header(req, "Retry-After", text);
		api_reply_problem(req, 429, "rate_limited", NULL, NULL);
		goto out;
	}
	struct login *l = arena_zalloc(&req->arena, sizeof(*l));
	l->req = req;
	l->w = w;
	memcpy(l->addr, addr, sizeof(addr));
	l->counted = true;
	json_t *pw = json_object_get(args, "password");
	l->username =
	        arena_strdup(&req->arena, json_string_value(json_object_get(args, "username")));
	l->password_len = json_string_length(pw);
	l->password = arena_strndup(&req->arena, json_string_value(pw), l->password_len);
	arena_on_finish(&req->arena, login_cleanup, l);
	snprintf(l->max_failures, sizeof(l->max_failures), "%d", cfg->login_max_failures);
	snprintf(l->window, sizeof(l->window), "%d", cfg->login_window);
	snprintf(l->ttl, sizeof(l->ttl), "%d", cfg->token_ttl);
	l->values[0] = l->username;
	l->values[1] = l->max_failures;
	l->values[2] = l->window;
	if (!db_pool_exec(w->db, STMT_LOGIN_BEGIN, 3, l->values, NULL, NULL, 0, on_begin, l))
		api_reply_unavailable(req);
out:
	json_decref(body);
	json_decref(args);
	json_decref(errors);
}
