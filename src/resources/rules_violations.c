/* House rules and violations (API.md §9): a house's rules, and a violation of one recorded
 * against a stay. Served by sql/api/09_rules_violations.sql. */
#include "resource.h"

static const char *const severities[] = {"minor", "major", "critical", NULL};

static const struct field rule_body[] = {
        {.name = "code",
         .type = FIELD_STRING,
         .flags = FIELD_REQUIRED | FIELD_CREATE_ONLY,
         .min = 1,
         .max = 50},
        {.name = "title", .type = FIELD_STRING, .flags = FIELD_REQUIRED, .min = 1, .max = 200},
        {.name = "description", .type = FIELD_TEXT, .max = 5000},
        {.name = "severity",
         .type = FIELD_ENUM,
         .flags = FIELD_REQUIRED,
         .values = severities,
         .column = "app.rules.severity"},
        {.name = "active", .type = FIELD_BOOL},
        {NULL},
};

static const struct field rules_query[] = {
        {.name = "active", .type = FIELD_BOOL},
        {NULL},
};

static const struct field violation_body[] = {
        {.name = "rule_id", .type = FIELD_UUID, .flags = FIELD_REQUIRED},
        {.name = "occurred_at", .type = FIELD_DATETIME, .flags = FIELD_REQUIRED},
        {.name = "description", .type = FIELD_TEXT, .flags = FIELD_REQUIRED, .min = 1, .max = 5000},
        {.name = "action_taken", .type = FIELD_TEXT, .max = 2000},
        {NULL},
};

static const struct field violations_query[] = {
        {.name = "house_id", .type = FIELD_UUID},
        {.name = "resident_id", .type = FIELD_UUID},
        {.name = "from", .type = FIELD_DATE},
        {.name = "to", .type = FIELD_DATE},
        {NULL},
};

static const struct api_route routes[] = {
        {.pattern = "POST /api/v1/houses/{house_id}/rules",
         .op = "rules.create",
         .roles = ROLES_MANAGE,
         .body = rule_body},
        {.pattern = "GET /api/v1/houses/{house_id}/rules",
         .op = "rules.list",
         .hot = 26,
         .roles = ROLES_ALL,
         .query = rules_query,
         .flags = ROUTE_LIST},
        {.pattern = "GET /api/v1/rules/{id}", .op = "rules.get", .hot = 25, .roles = ROLES_ALL},
        {.pattern = "PATCH /api/v1/rules/{id}",
         .op = "rules.update",
         .roles = ROLES_MANAGE,
         .body = rule_body},
        {.pattern = "POST /api/v1/stays/{stay_id}/violations",
         .op = "violations.create",
         .hot = 15,
         .roles = ROLES_RECORD,
         .body = violation_body},
        {.pattern = "GET /api/v1/violations",
         .op = "violations.list",
         .hot = 16,
         .roles = ROLES_ALL,
         .query = violations_query,
         .flags = ROUTE_LIST},
};

const struct resource resource_rules_violations = {.name = "rules_violations",
                                                   RESOURCE_ROUTES(routes)};
