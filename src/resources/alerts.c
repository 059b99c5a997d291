/* Alerts (contract §15.5, §15.6): computed from the data at read time, only their
 * acknowledgements stored. Served by sql/api/14_alerts.sql, which holds the one table of the
 * kinds (api.alert_kinds(): section, entity, whether staff see and may acknowledge it) and
 * one function per kind; the kind enum below is that table's first column, in its order
 * (tests/integration/test_spec_db.py compares them). Adding a kind: README "Adding a
 * resource", "Adding an alert kind". */
#include "resource.h"

/* §15.6's last table, every section's kinds (a kind whose section is not built yet is
 * accepted as a filter and lists nothing). */
static const char *const alert_kinds[] = {"supervision_ends_soon",
                                          "supervision_ended_in_residence",
                                          "planned_exit_after_supervision_end",
                                          "reporting_due",
                                          "reporting_missed",
                                          "reporting_second_consecutive_miss",
                                          "movement_overdue",
                                          "exit_plan_target_passed",
                                          "planned_exit_passed",
                                          "long_stay",
                                          "programme_consecutive_absences",
                                          "partner_agreement_expiring",
                                          "partner_agreement_expired",
                                          "roll_call_absent",
                                          "roll_call_missed",
                                          "hold_expiring",
                                          "referral_arrival_overdue",
                                          "data_request_due",
                                          "follow_up_due",
                                          "consent_expiring",
                                          NULL};

static const char *const alert_severities[] = {"critical", "warning", "info", NULL};

static const struct field alerts_query[] = {
        {.name = "house_id", .type = FIELD_UUID},
        {.name = "kind", .type = FIELD_ENUM, .values = alert_kinds},
        {.name = "severity", .type = FIELD_ENUM, .values = alert_severities},
        {.name = "resident_id", .type = FIELD_UUID},
        {.name = "acknowledged", .type = FIELD_BOOL},
        {NULL},
};

static const struct field acknowledge_body[] = {
        {.name = "key", .type = FIELD_STRING, .flags = FIELD_REQUIRED, .min = 1, .max = 500},
        {.name = "note", .type = FIELD_TEXT, .max = 2000},
        {NULL},
};

static const struct api_route routes[] = {
        {.pattern = "GET /api/v1/alerts",
         .op = "alerts.list",
         .roles = ROLES_RECORD,
         .query = alerts_query,
         .flags = ROUTE_LIST},
        {.pattern = "POST /api/v1/alerts/acknowledge",
         .op = "alerts.acknowledge",
         .roles = ROLES_RECORD,
         .body = acknowledge_body},
};

const struct resource resource_alerts = {.name = "alerts", RESOURCE_ROUTES(routes)};
