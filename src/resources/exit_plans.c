/* Exit plans and goals (API.md §10). Served by sql/api/10_exit_plans.sql. */
#include "resource.h"

static const char *const goal_domains[] = {"housing",   "employment", "business", "skills_training",
                                           "education", "family",     "health",   "documents",
                                           "finance",   "legal",      "other",    NULL};
static const char *const goal_statuses[] = {"planned", "in_progress", "achieved", "dropped", NULL};

static const struct field exit_plan_body[] = {
        {.name = "target_exit_on", .type = FIELD_DATE, .flags = FIELD_REQUIRED},
        {.name = "destination_plan",
         .type = FIELD_ENUM,
         .flags = FIELD_REQUIRED,
         .values = destinations,
         .column = "app.exit_plans.destination_plan"},
        {.name = "summary", .type = FIELD_TEXT, .max = 5000},
        {NULL},
};

static const struct field goal_create_body[] = {
        {.name = "domain",
         .type = FIELD_ENUM,
         .flags = FIELD_REQUIRED,
         .values = goal_domains,
         .column = "app.goals.domain"},
        {.name = "title", .type = FIELD_STRING, .flags = FIELD_REQUIRED, .min = 1, .max = 200},
        {.name = "due_on", .type = FIELD_DATE},
        {NULL},
};

static const struct field goal_update_body[] = {
        {.name = "status",
         .type = FIELD_ENUM,
         .values = goal_statuses,
         .column = "app.goals.status"},
        {.name = "domain",
         .type = FIELD_ENUM,
         .values = goal_domains,
         .column = "app.goals.domain"},
        {.name = "title", .type = FIELD_STRING, .min = 1, .max = 200},
        {.name = "due_on", .type = FIELD_DATE},
        {.name = "note", .type = FIELD_TEXT, .max = 5000},
        {NULL},
};

static const struct field worklist_query[] = {
        {.name = "caseworker_id", .type = FIELD_UUID},
        {.name = "due_within_days", .type = FIELD_INT, .min = 0, .max = 3660},
        {NULL},
};

static const struct api_route routes[] = {
        {.pattern = "PUT /api/v1/stays/{stay_id}/exit-plan",
         .op = "exit_plans.put",
         .hot = 28,
         .roles = ROLES_CASEWORK,
         .body = exit_plan_body},
        {.pattern = "GET /api/v1/stays/{stay_id}/exit-plan",
         .op = "exit_plans.get",
         .hot = 27,
         .roles = ROLES_ALL},
        {.pattern = "POST /api/v1/stays/{stay_id}/exit-plan/goals",
         .op = "goals.create",
         .hot = 30,
         .roles = ROLES_CASEWORK,
         .body = goal_create_body},
        {.pattern = "PATCH /api/v1/goals/{id}",
         .op = "goals.update",
         .hot = 31,
         .roles = ROLES_CASEWORK,
         .body = goal_update_body},
        {.pattern = "GET /api/v1/exit-plans",
         .op = "exit_plans.worklist",
         .hot = 29,
         .roles = ROLES_ALL,
         .query = worklist_query,
         .flags = ROUTE_LIST},
};

const struct resource resource_exit_plans = {.name = "exit_plans", RESOURCE_ROUTES(routes)};
