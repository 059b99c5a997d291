/* Stays (API.md §7): check-in, transfer and check-out of a resident on a bed. Served by
 * sql/api/07_stays.sql. */
#include "resource.h"

static const char *const exit_reasons[] = {"completed", "transferred", "absconded", "revoked",
                                           "voluntary", "deceased",    "other",     NULL};
const char *const destinations[] = {"family",
                                    "independent_rental",
                                    "employer_housing",
                                    "other_housing",
                                    "shelter",
                                    "prison",
                                    "hospital",
                                    "unknown",
                                    NULL};
static const char *const stay_statuses[] = {"active", "closed", NULL};

static const struct field checkin_body[] = {
        {.name = "resident_id", .type = FIELD_UUID, .flags = FIELD_REQUIRED},
        {.name = "bed_id", .type = FIELD_UUID, .flags = FIELD_REQUIRED},
        {.name = "checked_in_at", .type = FIELD_DATETIME},
        {.name = "planned_exit_on", .type = FIELD_DATE},
        {.name = "rules_acknowledged", .type = FIELD_TRUE, .flags = FIELD_REQUIRED},
        {NULL},
};

static const struct field transfer_body[] = {
        {.name = "bed_id", .type = FIELD_UUID, .flags = FIELD_REQUIRED},
        {.name = "at", .type = FIELD_DATETIME},
        {NULL},
};

static const struct field checkout_body[] = {
        {.name = "checked_out_at", .type = FIELD_DATETIME},
        {.name = "exit_reason",
         .type = FIELD_ENUM,
         .flags = FIELD_REQUIRED,
         .values = exit_reasons,
         .column = "app.stays.exit_reason"},
        {.name = "destination",
         .type = FIELD_ENUM,
         .flags = FIELD_REQUIRED,
         .values = destinations,
         .column = "app.stays.destination"},
        {.name = "notes", .type = FIELD_TEXT, .max = 10000},
        {NULL},
};

static const struct field stays_query[] = {
        {.name = "house_id", .type = FIELD_UUID},
        {.name = "resident_id", .type = FIELD_UUID},
        {.name = "status", .type = FIELD_ENUM, .values = stay_statuses},
        {NULL},
};

static const struct api_route routes[] = {
        {.pattern = "POST /api/v1/stays",
         .op = "stays.checkin",
         .hot = 3,
         .roles = ROLES_OPERATE,
         .body = checkin_body},
        {.pattern = "GET /api/v1/stays",
         .op = "stays.list",
         .hot = 8,
         .roles = ROLES_ALL,
         .query = stays_query,
         .flags = ROUTE_LIST | ROUTE_CSV,
         .csv_columns = "id,resident_id,house_id,bed_id,checked_in_at,checked_out_at,"
                        "planned_exit_on,status,exit_reason,destination,notes,created_at,"
                        "updated_at,version"},
        {.pattern = "GET /api/v1/stays/{id}", .op = "stays.get", .hot = 7, .roles = ROLES_ALL},
        {.pattern = "POST /api/v1/stays/{stay_id}/transfer",
         .op = "stays.transfer",
         .hot = 13,
         .roles = ROLES_OPERATE,
         .body = transfer_body},
        {.pattern = "POST /api/v1/stays/{stay_id}/checkout",
         .op = "stays.checkout",
         .hot = 4,
         .roles = ROLES_OPERATE,
         .body = checkout_body},
};

const struct resource resource_stays = {.name = "stays", RESOURCE_ROUTES(routes)};
