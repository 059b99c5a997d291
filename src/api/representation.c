/* The representations of an answer besides JSON (API.md §3, contract §17.7): which one a
 * request asks for (its Accept header, among those the route offers) and how the database's
 * JSON answer is written in it: CSV (csv.c) or the print page (print.c). */
#include <string.h>

#include "abipraya/domain/problem.h"
#include "abipraya/http/accept.h"
#include "api_internal.h"

/* In the order of enum api_format after API_FORMAT_JSON. */
static const char *const media_types[] = {"text/csv", "text/html"};
static const unsigned route_flags[] = {ROUTE_CSV, ROUTE_HTML};
static const char *const names[] = {"csv", "html"};

enum api_format api_format_of(const struct http_request *req, const struct api_route *route,
                              json_t *args)
{
	const char *offered[2];
	enum api_format formats[2];
	size_t n = 0;

	for (size_t i = 0; i < 2; i++) {
		if (route->flags & route_flags[i]) {
			offered[n] = media_types[i];
			formats[n++] = (enum api_format)(i + 1);
		}
	}
	int chosen = n ? http_accept_choose(http_request_header(req, "Accept"), offered, n) : -1;
	if (chosen < 0)
		return API_FORMAT_JSON;
	enum api_format f = formats[chosen];
	json_object_set_new(args, "format", json_string(names[f - 1]));
	/* the words of a print page are the database's, in the request's language */
	if (f == API_FORMAT_HTML)
		json_object_set_new(
		        args, "lang",
		        json_string(problem_lang_is_id(http_request_header(req, "Accept-Language"))
		                            ? "id"
		                            : "en"));
	return f;
}

void api_reply_formatted(struct http_request *req, int status, enum api_format format,
                         const struct api_route *route, const char *body, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	bool ok;

	if (format == API_FORMAT_JSON) {
		api_reply_json(req, status, body, len);
		return;
	}
	if (format == API_FORMAT_CSV) {
		ok = api_csv_from_json(body, route->csv_columns, &sb);
	} else {
		ok = api_print_from_json(body, &sb);
		/* nothing but the page's own inline style may run or load */
		http_add_header(req, "Content-Security-Policy",
		                "default-src 'none'; style-src 'unsafe-inline'");
	}
	if (ok)
		http_reply(req, status,
		           format == API_FORMAT_CSV ? "text/csv; charset=utf-8"
		                                    : "text/html; charset=utf-8",
		           strbuf_str(&sb), sb.len);
	else
		api_reply_problem(req, 500, "internal_error", NULL, NULL);
	strbuf_finish(&sb);
}
