/* Movements (API.md §8): a resident signed out of the house and back in. Served by
 * sql/api/08_movements.sql. */
#include "resource.h"

static const char *const purposes[] = {"work",      "training",  "family_visit", "medical",
                                       "reporting", "religious", "other",        NULL};

static const struct field movement_body[] = {
        {.name = "purpose",
         .type = FIELD_ENUM,
         .flags = FIELD_REQUIRED,
         .values = purposes,
         .column = "app.movements.purpose"},
        {.name = "destination", .type = FIELD_STRING, .max = 200},
        {.name = "expected_back_at", .type = FIELD_DATETIME, .flags = FIELD_REQUIRED},
        {NULL},
};

static const struct field return_body[] = {
        {.name = "returned_at", .type = FIELD_DATETIME},
        {NULL},
};

static const struct field movements_query[] = {
        {.name = "open", .type = FIELD_BOOL},
        {NULL},
};

static const struct api_route routes[] = {
        {.pattern = "POST /api/v1/stays/{stay_id}/movements",
         .op = "movements.create",
         .hot = 10,
         .roles = ROLES_OPERATE,
         .body = movement_body},
        {.pattern = "POST /api/v1/movements/{id}/return",
         .op = "movements.return",
         .hot = 11,
         .roles = ROLES_OPERATE,
         .body = return_body,
         .flags = ROUTE_BODY_OPTIONAL},
        {.pattern = "GET /api/v1/houses/{house_id}/movements",
         .op = "movements.list",
         .hot = 12,
         .roles = ROLES_ALL,
         .query = movements_query,
         .flags = ROUTE_LIST},
};

const struct resource resource_movements = {.name = "movements", RESOURCE_ROUTES(routes)};
