/* Post-exit follow-up (pendampingan lanjutan, contract §18.8): scheduled by a check-out (one
 * per entry of the house's follow_up_days), then a result recorded, corrected, or the
 * follow-up cancelled. Staff get 403 (no ROLE_STAFF), partner users 404. Served by
 * sql/api/28_follow_ups.sql. */
#include "resource.h"

static const char *const methods[] = {"phone",   "in_person",  "home_visit",
                                      "message", "via_family", NULL};
static const char *const follow_up_statuses[] = {"pending", "done", "cancelled", NULL};

/* the five outcomes: required when reached, refused when unreachable (the database's rule) */
static const struct field result_body[] = {
        {.name = "contacted_at", .type = FIELD_DATETIME},
        {.name = "method",
         .type = FIELD_ENUM,
         .flags = FIELD_REQUIRED,
         .values = methods,
         .column = "app.follow_ups.method"},
        {.name = "unreachable", .type = FIELD_BOOL},
        {.name = "housing_stable", .type = FIELD_BOOL},
        {.name = "employed", .type = FIELD_BOOL},
        {.name = "business_operating", .type = FIELD_BOOL},
        {.name = "reoffended", .type = FIELD_BOOL},
        {.name = "reporting_compliant", .type = FIELD_BOOL},
        {.name = "note", .type = FIELD_TEXT, .max = 10000},
        {NULL},
};

static const struct field cancel_body[] = {
        {.name = "reason", .type = FIELD_TEXT, .flags = FIELD_REQUIRED, .min = 1, .max = 1000},
        {NULL},
};

static const struct field follow_ups_query[] = {
        {.name = "house_id", .type = FIELD_UUID},
        {.name = "resident_id", .type = FIELD_UUID},
        {.name = "stay_id", .type = FIELD_UUID},
        {.name = "caseworker_id", .type = FIELD_UUID},
        {.name = "status", .type = FIELD_ENUM, .values = follow_up_statuses},
        {.name = "due_within_days", .type = FIELD_INT, .min = 0, .max = 3650},
        {NULL},
};

static const struct api_route routes[] = {
        {.pattern = "GET /api/v1/follow-ups",
         .op = "follow_ups.list",
         .roles = ROLES_CASEWORK,
         .query = follow_ups_query,
         .flags = ROUTE_LIST | ROUTE_CSV,
         .csv_columns =
                 "id,resident_id,full_name,house_id,stay_id,offset_days,due_on,status,overdue,"
                 "contacted_at,method,unreachable,housing_stable,employed,business_operating,"
                 "reoffended,reporting_compliant,recorded_by,created_at",
         .discloses = "follow_up"},
        {.pattern = "GET /api/v1/follow-ups/{id}", .op = "follow_ups.get", .roles = ROLES_CASEWORK},
        {.pattern = "PUT /api/v1/follow-ups/{id}/result",
         .op = "follow_ups.result",
         .roles = ROLES_CASEWORK,
         .body = result_body},
        {.pattern = "POST /api/v1/follow-ups/{id}/cancel",
         .op = "follow_ups.cancel",
         .roles = ROLES_CASEWORK,
         .body = cancel_body},
};

const struct resource resource_follow_ups = {.name = "follow_ups", RESOURCE_ROUTES(routes)};
