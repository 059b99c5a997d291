/* Reports (API.md §11): occupancy, a house's census by day, exits by reason. Served by
 * sql/api/11_reports.sql. And the capacity forecast of a house (contract §17.10), served by
 * sql/api/25_forecast.sql, and the outcome report of the post-exit follow-ups (§18.9), served
 * by sql/api/29_outcome_report.sql: a partner user's is of its partner's participants, small
 * cells suppressed. */
#include "resource.h"

static const struct field census_query[] = {
        {.name = "from", .type = FIELD_DATE, .flags = FIELD_REQUIRED},
        {.name = "to", .type = FIELD_DATE, .flags = FIELD_REQUIRED},
        {NULL},
};

/* the exits and outcome reports': one house (or every visible one) over a period */
static const struct field period_query[] = {
        {.name = "house_id", .type = FIELD_UUID},
        {.name = "from", .type = FIELD_DATE, .flags = FIELD_REQUIRED},
        {.name = "to", .type = FIELD_DATE, .flags = FIELD_REQUIRED},
        {NULL},
};

static const struct field forecast_query[] = {
        {.name = "days", .type = FIELD_INT, .min = 1, .max = 366},
        {NULL},
};

static const struct api_route routes[] = {
        {.pattern = "GET /api/v1/occupancy",
         .op = "reports.occupancy",
         .hot = 5,
         .roles = ROLES_ALL},
        {.pattern = "GET /api/v1/houses/{house_id}/census",
         .op = "reports.census",
         .hot = 14,
         .roles = ROLES_ALL,
         .query = census_query,
         .flags = ROUTE_CSV,
         .csv_columns = "date,occupied,check_ins,check_outs"},
        {.pattern = "GET /api/v1/houses/{house_id}/forecast",
         .op = "reports.forecast",
         .roles = ROLES_CASEWORK,
         .query = forecast_query,
         .flags = ROUTE_CSV,
         .csv_columns = "date,beds_total,beds_out_of_service,expected_occupied,expected_free,"
                        "expected_occupied_legal,exits,arrivals,pending_arrivals,supervision_ends"},
        {.pattern = "GET /api/v1/reports/exits",
         .op = "reports.exits",
         .hot = 32,
         .roles = ROLES_MANAGE,
         .query = period_query,
         .flags = ROUTE_CSV,
         .csv_columns = "exit_reason,destination,count"},
        {.pattern = "GET /api/v1/reports/outcomes",
         .op = "reports.outcomes",
         .roles = ROLES_MANAGE | ROLE_PARTNER,
         .query = period_query,
         .flags = ROUTE_CSV,
         .csv_columns = "offset_days,scheduled,due,reached,unreachable,housing_stable,employed,"
                        "business_operating,reoffended,reporting_compliant,reached_rate,"
                        "housing_stable_rate,employed_rate,business_operating_rate,reoffended_rate,"
                        "reporting_compliant_rate,suppressed"},
};

const struct resource resource_reports = {.name = "reports", RESOURCE_ROUTES(routes)};
