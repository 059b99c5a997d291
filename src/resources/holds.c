/* Bed holds and turnover (contract §17.4, §17.5): a bed's time kept for a person who is
 * expected, and a bed just left kept out of use until it is cleaned. Served by
 * sql/api/21_bed_time.sql; one exclusion over stays, holds and turnovers (migration 0020). */
#include "resource.h"

/* as read: "expired" is computed (an active hold whose until has passed) */
static const char *const hold_statuses[] = {"active", "used", "cancelled", "expired", NULL};

static const struct field hold_create_body[] = {
        /* exactly one of the two; referral_id names a referral (§17.3) of the bed's house */
        {.name = "referral_id", .type = FIELD_UUID},
        {.name = "resident_id", .type = FIELD_UUID},
        {.name = "from", .type = FIELD_DATETIME},
        {.name = "until", .type = FIELD_DATETIME, .flags = FIELD_REQUIRED},
        {.name = "reason", .type = FIELD_TEXT, .max = 500},
        {NULL},
};

static const struct field hold_update_body[] = {
        {.name = "until", .type = FIELD_DATETIME},
        {.name = "reason", .type = FIELD_TEXT, .max = 500},
        {NULL},
};

static const struct field hold_cancel_body[] = {
        {.name = "reason", .type = FIELD_TEXT, .flags = FIELD_REQUIRED, .min = 1, .max = 500},
        {NULL},
};

static const struct field holds_query[] = {
        {.name = "house_id", .type = FIELD_UUID},
        {.name = "bed_id", .type = FIELD_UUID},
        {.name = "referral_id", .type = FIELD_UUID},
        {.name = "resident_id", .type = FIELD_UUID},
        {.name = "status", .type = FIELD_ENUM, .values = hold_statuses},
        {NULL},
};

static const struct field ready_body[] = {
        {.name = "at", .type = FIELD_DATETIME},
        {.name = "note", .type = FIELD_TEXT, .max = 1000},
        {NULL},
};

static const struct api_route routes[] = {
        {.pattern = "POST /api/v1/beds/{bed_id}/holds",
         .op = "holds.create",
         .roles = ROLES_ALL,
         .body = hold_create_body},
        {.pattern = "GET /api/v1/holds",
         .op = "holds.list",
         .roles = ROLES_ALL,
         .query = holds_query,
         .flags = ROUTE_LIST},
        {.pattern = "GET /api/v1/holds/{id}", .op = "holds.get", .roles = ROLES_ALL},
        {.pattern = "PATCH /api/v1/holds/{id}",
         .op = "holds.update",
         .roles = ROLES_ALL,
         .body = hold_update_body},
        {.pattern = "POST /api/v1/holds/{id}/cancel",
         .op = "holds.cancel",
         .roles = ROLES_ALL,
         .body = hold_cancel_body},
        {.pattern = "POST /api/v1/beds/{bed_id}/ready",
         .op = "turnovers.ready",
         .roles = ROLES_OPERATE,
         .body = ready_body,
         .flags = ROUTE_BODY_OPTIONAL},
};

const struct resource resource_holds = {.name = "holds", RESOURCE_ROUTES(routes)};
