/* POST /auth/login: two round trips around the password KDF, which runs on the KDF pool
 * so that no event loop stalls. Unknown users are checked against a dummy hash, and
 * every failure answers the same, in about the same time. */
#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abipraya/api/validate.h"
#include "abipraya/core/base64.h"
#include "abipraya/core/password.h"
#include "abipraya/domain/specs.h"
#include "api_internal.h"

struct login {
	struct http_request *req;
	struct api_worker *w;
	char *username, *password; /* owned; the password is cleansed */
	char *stored_hash;         /* owned, NULL for an unknown user */
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

static void login_free(struct login *l)
{
	if (l->password) {
		OPENSSL_cleanse(l->password, strlen(l->password));
		free(l->password);
	}
	OPENSSL_cleanse(l->token, sizeof(l->token));
	free(l->username);
	free(l->stored_hash);
	if (l->done)
		event_free(l->done);
	free(l);
}

static void fail(struct login *l, int status, const char *code)
{
	struct http_request *req = l->req;
	login_free(l);
	api_reply_problem(req, status, code, NULL, NULL);
}

static void on_finish(enum db_status status, const PGresult *res, void *arg)
{
	struct login *l = arg;
	struct http_request *req = l->req;

	if (status != DB_OK || PQntuples(res) != 1) {
		login_free(l);
		api_reply_db_failure(req, status, res);
		return;
	}
	/* a user deactivated between the two round trips comes back as NULL */
	if (!l->ok || PQgetisnull(res, 0, 0)) {
		fail(l, 401, "invalid_credentials");
		return;
	}
	json_t *full = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
	json_t *user = json_object();
	static const char *const shown[] = {"id", "username", "role", "full_name", "house_ids"};
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
		json_object_set(user, shown[i], json_object_get(full, shown[i]));
	json_decref(full);
	json_t *body = json_pack("{s:s, s:s, s:o}", "token", l->token, "expires_at",
	                         PQgetvalue(res, 0, 0), "user", user);
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	login_free(l);
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
	                  on_finish, l)) {
		struct http_request *req = l->req;
		login_free(l);
		api_reply_unavailable(req);
	}
}

static void kdf_run(struct workq_job *job)
{
	struct login *l = (struct login *)((char *)job - offsetof(struct login, job));
	l->ok = password_verify(l->password, strlen(l->password), l->stored_hash) && l->stored_hash;
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
		struct http_request *req = l->req;
		login_free(l);
		api_reply_db_failure(req, status, res);
		return;
	}
	if (strcmp(PQgetvalue(res, 0, 2), "t") == 0) {
		http_add_header(l->req, "Retry-After", PQgetvalue(res, 0, 3));
		fail(l, 429, "rate_limited");
		return;
	}
	if (!PQgetisnull(res, 0, 0)) {
		snprintf(l->user_id, sizeof(l->user_id), "%s", PQgetvalue(res, 0, 0));
		l->stored_hash = xstrdup(PQgetvalue(res, 0, 1));
	}
	l->job.run = kdf_run;
	l->job.notify = kdf_notify;
	l->done = event_new(l->w->base, -1, 0, on_verified, l);
	if (!workq_submit(l->w->shared->kdf, &l->job)) {
		struct http_request *req = l->req;
		login_free(l);
		api_reply_unavailable(req);
	}
}

void api_login_handler(struct http_request *req, struct api_worker *w,
                       const struct api_route *route, const struct router_match *m)
{
	const struct config *cfg = w->shared->cfg;
	json_error_t jerr;
	json_t *body = NULL, *args = json_object(), *errors = json_array();

	if (!strstr(http_request_header(req, "Content-Type")
	                    ? http_request_header(req, "Content-Type")
	                    : "",
	            "application/json")) {
		api_reply_problem(req, 415, "unsupported_media_type", NULL, NULL);
		goto out;
	}
	body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!json_is_object(body)) {
		api_reply_problem(req, 400, "invalid_json", body ? NULL : jerr.text, NULL);
		goto out;
	}
	validate_object(body, spec_login, VALIDATE_CREATE, NULL, args, errors);
	if (json_array_size(errors)) {
		api_reply_problem(req, 422, "validation_failed", NULL, errors);
		goto out;
	}
	struct login *l = xcalloc(1, sizeof(*l));
	l->req = req;
	l->w = w;
	l->username = xstrdup(json_string_value(json_object_get(args, "username")));
	l->password = xstrdup(json_string_value(json_object_get(args, "password")));
	snprintf(l->max_failures, sizeof(l->max_failures), "%d", cfg->login_max_failures);
	snprintf(l->window, sizeof(l->window), "%d", cfg->login_window);
	snprintf(l->ttl, sizeof(l->ttl), "%d", cfg->token_ttl);
	l->values[0] = l->username;
	l->values[1] = l->max_failures;
	l->values[2] = l->window;
	if (!db_pool_exec(w->db, STMT_LOGIN_BEGIN, 3, l->values, NULL, NULL, 0, on_begin, l)) {
		login_free(l);
		api_reply_unavailable(req);
	}
out:
	json_decref(body);
	json_decref(args);
	json_decref(errors);
}
