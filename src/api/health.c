/* /healthz (the process runs) and /readyz (the database answers). */
#include "api_internal.h"

static const char ok_body[] = "{\"status\":\"ok\"}";

void api_healthz_handler(struct http_request *req, struct api_worker *w,
                         const struct api_route *route, const struct router_match *m)
{
	api_reply_json(req, 200, ok_body, sizeof(ok_body) - 1);
}

static void on_ping(enum db_status status, const PGresult *res, void *arg)
{
	struct http_request *req = arg;

	if (status == DB_OK)
		api_reply_json(req, 200, ok_body, sizeof(ok_body) - 1);
	else
		api_reply_unavailable(req);
}

void api_readyz_handler(struct http_request *req, struct api_worker *w,
                        const struct api_route *route, const struct router_match *m)
{
	if (!db_pool_exec(w->db, STMT_PING, 0, NULL, NULL, NULL, DB_SHARED_READ, on_ping, req))
		api_reply_unavailable(req);
}
