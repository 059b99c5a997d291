/* Data-subject requests (permintaan subjek data, contract §18.6): a resident's request to see,
 * correct, erase or restrict their data or withdraw consent, due 3 x 24 hours after it was
 * received, answered or refused once. Staff get 403 (no ROLE_STAFF), partner users 404.
 * Served by sql/api/27_data_requests.sql. */
#include "resource.h"

static const char *const request_kinds[] = {"access",      "correction", "deletion",
                                            "restriction", "withdrawal", NULL};
static const char *const outcomes[] = {"answered", "refused", NULL};
static const char *const request_statuses[] = {"open", "answered", "refused", NULL};

static const struct field request_body[] = {
        {.name = "kind",
         .type = FIELD_ENUM,
         .flags = FIELD_REQUIRED,
         .values = request_kinds,
         .column = "app.data_requests.kind"},
        {.name = "received_at", .type = FIELD_DATETIME},
        {.name = "details", .type = FIELD_TEXT, .max = 10000},
        {.name = "consent_id", .type = FIELD_UUID},
        {NULL},
};

static const struct field close_body[] = {
        {.name = "status",
         .type = FIELD_ENUM,
         .flags = FIELD_REQUIRED,
         .values = outcomes,
         .column = "app.data_requests.outcome"},
        {.name = "response", .type = FIELD_TEXT, .min = 1, .max = 10000},
        {.name = "refusal_reason", .type = FIELD_TEXT, .min = 1, .max = 2000},
        {.name = "answered_at", .type = FIELD_DATETIME},
        {NULL},
};

#define REQUEST_FILTERS                                                                            \
	{.name = "kind", .type = FIELD_ENUM, .values = request_kinds},                             \
	        {.name = "status", .type = FIELD_ENUM, .values = request_statuses},                \
	{                                                                                          \
		.name = "overdue", .type = FIELD_BOOL                                              \
	}

static const struct field resident_requests_query[] = {REQUEST_FILTERS, {NULL}};

static const struct field requests_query[] = {
        REQUEST_FILTERS,
        {.name = "house_id", .type = FIELD_UUID},
        {.name = "resident_id", .type = FIELD_UUID},
        {NULL},
};

static const struct api_route routes[] = {
        {.pattern = "POST /api/v1/residents/{id}/requests",
         .op = "data_requests.create",
         .roles = ROLES_CASEWORK,
         .body = request_body},
        {.pattern = "GET /api/v1/residents/{id}/requests",
         .op = "data_requests.list_resident",
         .roles = ROLES_CASEWORK,
         .query = resident_requests_query,
         .flags = ROUTE_LIST},
        {.pattern = "GET /api/v1/data-requests",
         .op = "data_requests.list",
         .roles = ROLES_CASEWORK,
         .query = requests_query,
         .flags = ROUTE_LIST | ROUTE_CSV,
         .csv_columns = "id,resident_id,full_name,house_id,kind,received_at,due_at,status,overdue,"
                        "answered_at,answered_late,consent_id,recorded_by,answered_by,created_at",
         .discloses = "data_request"},
        {.pattern = "GET /api/v1/data-requests/{id}",
         .op = "data_requests.get",
         .roles = ROLES_CASEWORK},
        {.pattern = "POST /api/v1/data-requests/{id}/close",
         .op = "data_requests.close",
         .roles = ROLES_CASEWORK,
         .body = close_body},
};

const struct resource resource_data_requests = {.name = "data_requests", RESOURCE_ROUTES(routes)};
