/* Houses (API.md §5): the unit of scoping. Served by sql/api/04_houses.sql. */
#include "resource.h"

static const struct field house_body[] = {
        {.name = "code", .type = FIELD_STRING, .flags = FIELD_REQUIRED, .min = 1, .max = 50},
        {.name = "name", .type = FIELD_STRING, .flags = FIELD_REQUIRED, .min = 1, .max = 200},
        {.name = "address", .type = FIELD_STRING, .max = 500},
        {.name = "timezone", .type = FIELD_STRING, .min = 1, .max = 64},
        {.name = "curfew", .type = FIELD_TIME_HM},
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
         .roles = ROLES_ADMIN,
         .body = house_body},
};

const struct resource resource_houses = {.name = "houses", RESOURCE_ROUTES(routes)};
