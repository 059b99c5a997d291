/* Houses (API.md §5) and their settings (contract §15.7): the unit of scoping. Served by
 * sql/api/04_houses.sql, whose api.house_settings() names the settings below: a manager of
 * the house may PATCH those and nothing else (the database decides, after the house is
 * found), an admin anything. */
#include "resource.h"

static const struct field house_body[] = {
        {.name = "code", .type = FIELD_STRING, .flags = FIELD_REQUIRED, .min = 1, .max = 50},
        {.name = "name", .type = FIELD_STRING, .flags = FIELD_REQUIRED, .min = 1, .max = 200},
        {.name = "address", .type = FIELD_STRING, .max = 500},
        {.name = "timezone", .type = FIELD_STRING, .min = 1, .max = 64},
        {.name = "curfew", .type = FIELD_TIME_HM},
        /* the settings (§15.7); the columns hold the defaults and the same ranges */
        {.name = "absconding_grace_minutes", .type = FIELD_INT, .min = 0, .max = 1440},
        {.name = "supervision_warning_days", .type = FIELD_INT, .min = 1, .max = 365},
        {.name = "supervision_critical_days", .type = FIELD_INT, .min = 0, .max = 364},
        {.name = "reporting_due_days", .type = FIELD_INT, .min = 0, .max = 31},
        {.name = "reporting_grace_days", .type = FIELD_INT, .min = 0, .max = 31},
        {.name = "long_stay_days", .type = FIELD_INT, .min = 1, .max = 3660},
        {.name = "turnover_minutes", .type = FIELD_INT, .min = 0, .max = 10080},
        {.name = "roll_calls_per_day", .type = FIELD_INT, .min = 0, .max = 6},
        {.name = "follow_up_days", .type = FIELD_INT_LIST, .min = 1, .max = 730, .max_items = 6},
        {NULL},
};

static const struct api_route routes[] = {
        {.pattern = "POST /api/v1/houses",
         .op = "houses.create",
         .roles = ROLES_ADMIN,
         .body = house_body},
        {.pattern = "GET /api/v1/houses",
         .op = "houses.list",
         .hot = 20,
         .roles = ROLES_ALL,
         .flags = ROUTE_LIST},
        {.pattern = "GET /api/v1/houses/{id}", .op = "houses.get", .hot = 19, .roles = ROLES_ALL},
        {.pattern = "PATCH /api/v1/houses/{id}",
         .op = "houses.update",
         .roles = ROLES_MANAGE,
         .body = house_body},
};

const struct resource resource_houses = {.name = "houses", RESOURCE_ROUTES(routes)};
