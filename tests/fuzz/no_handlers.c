/* The handlers the route table names, for the validator harnesses, which read the table's
 * field tables and never call a handler. */
#include "abipraya/api/route.h"

#define NO_HANDLER(name)                                                                           \
	void name(struct http_request *req, struct api_worker *w, const struct api_route *route,   \
	          const struct router_match *m)                                                    \
	{                                                                                          \
		(void)req, (void)w, (void)route, (void)m;                                          \
	}

NO_HANDLER(api_healthz_handler)
NO_HANDLER(api_readyz_handler)
NO_HANDLER(api_metrics_handler)
NO_HANDLER(api_login_handler)
NO_HANDLER(api_events_handler)
NO_HANDLER(api_openapi_handler)
