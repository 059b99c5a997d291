/* Exit plans and goals (API.md §10). */
#include "abipraya/domain/specs.h"

static const char *const goal_domains[] = {"housing",   "employment", "business", "skills_training",
                                           "education", "family",     "health",   "documents",
                                           "finance",   "legal",      "other",    NULL};
static const char *const goal_statuses[] = {"planned", "in_progress", "achieved", "dropped", NULL};

const struct field spec_exit_plan[] = {
        {"target_exit_on", FIELD_DATE, FIELD_REQUIRED},
        {"destination_plan", FIELD_ENUM, FIELD_REQUIRED, 0, 0, destinations},
        {"summary", FIELD_TEXT, 0, 0, 5000},
        {NULL},
};

const struct field spec_goal_create[] = {
        {"domain", FIELD_ENUM, FIELD_REQUIRED, 0, 0, goal_domains},
        {"title", FIELD_STRING, FIELD_REQUIRED, 1, 200},
        {"due_on", FIELD_DATE, 0},
        {NULL},
};

const struct field spec_goal_update[] = {
        {"status", FIELD_ENUM, 0, 0, 0, goal_statuses},
        {"domain", FIELD_ENUM, 0, 0, 0, goal_domains},
        {"title", FIELD_STRING, 0, 1, 200},
        {"due_on", FIELD_DATE, 0},
        {"note", FIELD_TEXT, 0, 0, 5000},
        {NULL},
};

const struct field spec_worklist_query[] = {
        {"caseworker_id", FIELD_UUID, 0},
        {"due_within_days", FIELD_INT, 0, 0, 3660},
        {NULL},
};
