/* The event stream (API.md §13): Server-Sent Events of the caller's houses, served by a
 * handler of its own (src/api/events.c). Its query table is empty: it takes no parameters
 * (where to resume is the Last-Event-ID header). */
#include "resource.h"

static const struct field events_query[] = {
        {NULL},
};

static const struct api_route routes[] = {
        {.pattern = "GET /api/v1/events",
         .roles = ROLES_ALL | ROLE_PARTNER, /* a partner user: its programmes' (§16.11) */
         .query = events_query,
         .flags = ROUTE_STREAMED,
         .handler = api_events_handler},
};

const struct resource resource_events = {.name = "events", RESOURCE_ROUTES(routes)};
