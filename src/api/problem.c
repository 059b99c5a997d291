/* Problem details (RFC 9457): every error answer leaves through api_reply_problem. */
#include <string.h>

#include "abipraya/domain/problem.h"
#include "api_internal.h"

void api_problem_render(struct strbuf *out, int status, const char *code, const char *detail,
                        const json_t *errors, const json_t *extensions, bool indonesian)
{
	const char *key;
	json_t *value;

	const struct problem_kind *kind = problem_lookup(code, status);
	json_t *body = json_pack("{s:s, s:s, s:i, s:s}", "type", "about:blank", "title",
	                         indonesian ? kind->title_id : kind->title_en, "status", status,
	                         "code", code ? code : kind->code);

	/* in Indonesian the detail is the code's own sentence; the particular English cause
	 * stays with the fields in errors */
	if (indonesian)
		detail = kind->detail_id;
	if (detail)
		json_object_set_new(body, "detail", json_string(detail));
	if (errors)
		json_object_set(body, "errors", (json_t *)errors);
	else if (status == 422)
		json_object_set_new(body, "errors", json_array());
	/* members of the problem's own (RFC 9457 §3.2); never one of the standard ones above */
	json_object_foreach((json_t *)extensions, key, value)
	{
		if (!json_object_get(body, key) && strcmp(key, "detail") != 0)
			json_object_set(body, key, value);
	}
	char *text = json_dumps(body, JSON_COMPACT);
	strbuf_adds(out, text);
	free(text);
	json_decref(body);
}

void api_http_problem(struct strbuf *out, int status, const char *code, const char *lang)
{
	api_problem_render(out, status, code, NULL, NULL, NULL, problem_lang_is_id(lang));
}

static void reply_problem(struct http_request *req, int status, const char *code,
                          const char *detail, const json_t *errors, const json_t *extensions)
{
	struct strbuf sb = STRBUF_INIT;
	bool id = problem_lang_is_id(http_request_header(req, "Accept-Language"));

	api_problem_render(&sb, status, code, detail, errors, extensions, id);
	req->error_code = problem_lookup(code, status)->code;
	http_reply(req, status, "application/problem+json", strbuf_str(&sb), sb.len);
	strbuf_finish(&sb);
}

void api_reply_problem(struct http_request *req, int status, const char *code, const char *detail,
                       const json_t *errors)
{
	reply_problem(req, status, code, detail, errors, NULL);
}

void api_reply_db_problem(struct http_request *req, int status, const char *body)
{
	json_t *p = json_loads(body ? body : "{}", 0, NULL);
	const char *code = json_string_value(json_object_get(p, "code"));
	const char *detail = json_string_value(json_object_get(p, "detail"));
	const json_t *errors = json_object_get(p, "errors");

	/* what else the database put in the body is the problem's own (roll_call_id, unmarked) */
	reply_problem(req, status, code, detail, json_is_array(errors) ? errors : NULL,
	              json_is_object(p) ? p : NULL);
	json_decref(p);
}

void api_reply_unavailable(struct http_request *req)
{
	http_add_header(req, "Retry-After", "1");
	api_reply_problem(req, 503, "unavailable", "the database is not reachable", NULL);
}

void api_reply_json(struct http_request *req, int status, const char *body, size_t len)
{
	http_reply(req, status, "application/json", body, len);
}

void api_reply_db_failure(struct http_request *req, enum db_status status, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	/* connection trouble, shutdown, resources: the database, not the request */
	if (status == DB_UNAVAILABLE || !state || strncmp(state, "08", 2) == 0 ||
	    strncmp(state, "57", 2) == 0 || strncmp(state, "53", 2) == 0 ||
	    strncmp(state, "40", 2) == 0) {
		api_reply_unavailable(req);
		return;
	}
	log_msg(LOG_ERROR, req->request_id, "database call failed: %s %s", state,
	        PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
	api_reply_problem(req, 500, "internal_error", NULL, NULL);
}
