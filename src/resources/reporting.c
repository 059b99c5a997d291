/* The reporting duty (wajib lapor, contract §15.3, §15.4): a resident's schedule, the
 * periods computed from it, the reports (records) and the excuses of single periods. Only
 * caseworkers, managers and admins: staff get 403 before any lookup (.roles). Served by
 * sql/api/13_reporting.sql, whose api.reporting_periods / api.reporting_state compute the
 * periods of many residents in one statement. */
#include "resource.h"

static const char *const frequencies[] = {"monthly", "interval", NULL};
static const char *const methods[] = {"in_person", "video_call", "phone", "home_visit", NULL};

static const struct field schedule_body[] = {
        {.name = "frequency",
         .type = FIELD_ENUM,
         .flags = FIELD_REQUIRED,
         .values = frequencies,
         .column = "app.reporting_schedules.frequency"},
        {.name = "day_of_month", .type = FIELD_INT, .min = 1, .max = 31},
        {.name = "interval_days", .type = FIELD_INT, .min = 1, .max = 366},
        {.name = "starts_on", .type = FIELD_DATE, .flags = FIELD_REQUIRED},
        {.name = "grace_days", .type = FIELD_INT, .min = 0, .max = 31},
        {.name = "remote_allowed", .type = FIELD_BOOL},
        {.name = "notes", .type = FIELD_TEXT, .max = 10000},
        {NULL},
};

static const struct field calendar_query[] = {
        {.name = "from", .type = FIELD_DATE},
        {.name = "to", .type = FIELD_DATE},
        {NULL},
};

static const struct field record_body[] = {
        {.name = "reported_at", .type = FIELD_DATETIME},
        {.name = "method",
         .type = FIELD_ENUM,
         .flags = FIELD_REQUIRED,
         .values = methods,
         .column = "app.reporting_records.method"},
        {.name = "remote_reason", .type = FIELD_TEXT, .min = 1, .max = 500},
        {.name = "location", .type = FIELD_STRING, .min = 1, .max = 200},
        {.name = "movement_id", .type = FIELD_UUID},
        {.name = "notes", .type = FIELD_TEXT, .max = 10000},
        {NULL},
};

static const struct field records_query[] = {
        {.name = "house_id", .type = FIELD_UUID},
        {.name = "resident_id", .type = FIELD_UUID},
        {.name = "from", .type = FIELD_DATE},
        {.name = "to", .type = FIELD_DATE},
        {.name = "method", .type = FIELD_ENUM, .values = methods},
        {NULL},
};

static const struct field void_body[] = {
        {.name = "reason", .type = FIELD_TEXT, .flags = FIELD_REQUIRED, .min = 1, .max = 1000},
        {NULL},
};

static const struct field excuse_body[] = {
        {.name = "due_on", .type = FIELD_DATE, .flags = FIELD_REQUIRED},
        {.name = "reason", .type = FIELD_TEXT, .flags = FIELD_REQUIRED, .min = 1, .max = 1000},
        {NULL},
};

static const struct api_route routes[] = {
        {.pattern = "PUT /api/v1/residents/{id}/reporting/schedule",
         .op = "reporting_schedule.put",
         .roles = ROLES_CASEWORK,
         .body = schedule_body},
        {.pattern = "GET /api/v1/residents/{id}/reporting/schedule",
         .op = "reporting_schedule.get",
         .roles = ROLES_CASEWORK},
        {.pattern = "GET /api/v1/residents/{id}/reporting",
         .op = "reporting.calendar",
         .roles = ROLES_CASEWORK,
         .query = calendar_query},
        {.pattern = "POST /api/v1/residents/{id}/reporting/records",
         .op = "reporting_records.create",
         .roles = ROLES_CASEWORK,
         .body = record_body},
        {.pattern = "GET /api/v1/reporting-records",
         .op = "reporting_records.list",
         .roles = ROLES_CASEWORK,
         .query = records_query,
         .flags = ROUTE_LIST | ROUTE_CSV,
         .csv_columns =
                 "id,resident_id,house_id,reported_at,method,remote_reason,location,movement_id,"
                 "notes,verified_by,period_due_on,voided_at,voided_by,void_reason,version,"
                 "created_at,updated_at"},
        {.pattern = "GET /api/v1/reporting-records/{id}",
         .op = "reporting_records.get",
         .roles = ROLES_CASEWORK},
        {.pattern = "POST /api/v1/reporting-records/{id}/void",
         .op = "reporting_records.void",
         .roles = ROLES_CASEWORK,
         .body = void_body},
        {.pattern = "POST /api/v1/residents/{id}/reporting/excuses",
         .op = "reporting_excuses.create",
         .roles = ROLES_CASEWORK,
         .body = excuse_body},
        {.pattern = "DELETE /api/v1/reporting-excuses/{id}",
         .op = "reporting_excuses.delete",
         .roles = ROLES_CASEWORK},
};

const struct resource resource_reporting = {.name = "reporting", RESOURCE_ROUTES(routes)};
