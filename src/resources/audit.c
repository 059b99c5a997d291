/* The audit trail (API.md §12) and the check of its hash chain. Served by
 * sql/api/01_audit_events.sql. */
#include "resource.h"

static const struct field audit_query[] = {
        {.name = "entity", .type = FIELD_STRING, .min = 1, .max = 50},
        {.name = "entity_id", .type = FIELD_UUID},
        {.name = "house_id", .type = FIELD_UUID},
        {.name = "resident_id", .type = FIELD_UUID},
        {NULL},
};

static const struct api_route routes[] = {
        {.pattern = "GET /api/v1/audit",
         .op = "audit.list",
         .hot = 33,
         .roles = ROLES_MANAGE,
         .query = audit_query,
         .flags = ROUTE_LIST,
         .discloses = "audit"},
        {.pattern = "GET /api/v1/audit/verify",
         .op = "audit.verify",
         .hot = 34,
         .roles = ROLES_ADMIN},
};

const struct resource resource_audit = {.name = "audit", RESOURCE_ROUTES(routes)};
