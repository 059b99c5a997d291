/* The route table: method and path pattern, the database operation it runs, the roles it
 * admits, and the input it accepts. Each resource declares its routes in its own file of
 * src/resources/; src/api/routes.c lists the resources and lays their routes out as this
 * one table, in the order of that list (the router tries patterns in table order). */
#ifndef ABIPRAYA_API_ROUTE_H
#define ABIPRAYA_API_ROUTE_H

#include <stddef.h>

#include "abipraya/domain/field.h"

struct http_request;
struct api_worker;
struct router_match;
struct api_route;

typedef void api_handler_fn(struct http_request *req, struct api_worker *w,
                            const struct api_route *route, const struct router_match *m);

#define ROUTE_LIST          0x01u /* limit + cursor */
#define ROUTE_CSV           0x02u /* Accept: text/csv gives CSV of every matching item */
#define ROUTE_BODY_OPTIONAL 0x04u /* an empty body is {} */
#define ROUTE_KDF           0x08u /* "password" becomes "password_hash", hashed off-loop */
#define ROUTE_DIRECT        0x10u /* a GET without problems is one api.direct_<op> statement */
#define ROUTE_CACHED        0x20u /* ROUTE_DIRECT, and the daemon keeps the answer (by tag) */
#define ROUTE_STREAMED      0x40u /* the answer is an event stream that stays open */
/* ROUTE_CACHED, and the body depends on who asks (the role): held per caller's token, the
 * one thing known before the statement that names the role (src/api/kept.c) */
#define ROUTE_HELD_PER_CALLER 0x80u
#define ROUTE_HTML            0x100u /* Accept: text/html gives the print page (src/api/print.c) */

struct api_route {
	const char *pattern; /* "GET /api/v1/residents/{id}" */
	const char *op;      /* api.run operation; NULL for handlers of their own */
	unsigned roles;
	const struct field *body;
	const struct field *query;
	unsigned flags;
	api_handler_fn *handler; /* NULL: the generic operation handler */
	const char *csv_columns; /* CSV columns (api_csv_from_json) */
	/* The op's place in api.run's dispatch (sql/api/02_run.sql, generated): 1 is tried
	 * first; 0 after every ranked op, in table order. Rank the most frequent calls. */
	unsigned hot;
	/* A ROUTE_CACHED route: the events (a name, or a family as "stay.") after which its
	 * copies for the event's house go, NULL-terminated. Only a burst's single render rests
	 * on them; each answer is still confirmed by its own statement. */
	const char *const *drop_on;
	/* A read whose answer may let a resident's data out (contract §18.4): the `entity` of
	 * its disclosure records (api.disclose in sql/api/29_disclosures.sql decides, from the
	 * answer, which residents and fields); NULL for the rest. */
	const char *discloses;
};

/* One resource's routes (src/resources/resource.h). */
struct resource {
	const char *name;
	const struct api_route *routes;
	size_t nroutes;
};

/* Every route, contiguous: the router's match is an index into it. Laid out before main()
 * runs (src/api/routes.c), so every reader, the unit tests included, finds it filled. */
extern const struct api_route *api_routes;
extern size_t api_nroutes;

/* Handlers. */
api_handler_fn api_op_handler;
api_handler_fn api_login_handler;
api_handler_fn api_events_handler;
api_handler_fn api_healthz_handler;
api_handler_fn api_readyz_handler;
api_handler_fn api_metrics_handler;
api_handler_fn api_openapi_handler;

#endif
