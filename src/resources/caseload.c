/* The caseload (contract §15.8): a caseworker's residents who are in residence or under
 * supervision, with their reporting state and open alerts, the most urgent first. Only
 * caseworkers, managers and admins: staff get 403 before any lookup (.roles). Served by
 * sql/api/15_caseload.sql, which reads api.reporting_state and api.alerts once for the whole
 * page (a fixed number of statements, whatever the number of residents). */
#include "resource.h"

static const struct field caseload_query[] = {
        {.name = "caseworker_id", .type = FIELD_UUID},
        {.name = "house_id", .type = FIELD_UUID},
        {NULL},
};

static const struct api_route routes[] = {
        {.pattern = "GET /api/v1/caseload",
         .op = "caseload.list",
         .roles = ROLES_CASEWORK,
         .query = caseload_query,
         .flags = ROUTE_LIST | ROUTE_CSV,
         .csv_columns =
                 "resident_id,house_id,full_name,register_number,status,stay_id,caseworker_id,"
                 "legal_basis_id,legal_basis_type,supervision_ends_on,under_supervision,"
                 "next_due_on,consecutive_misses,revocation_risk,open_alerts,critical_alerts,"
                 "exit_plan_readiness,target_exit_on",
         .discloses = "caseload"},
};

const struct resource resource_caseload = {.name = "caseload", RESOURCE_ROUTES(routes)};
