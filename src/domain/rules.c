/* House rules and violations (API.md §9). */
#include "abipraya/domain/specs.h"

static const char *const severities[] = {"minor", "major", "critical", NULL};

const struct field spec_rule[] = {
        {"code", FIELD_STRING, FIELD_REQUIRED | FIELD_CREATE_ONLY, 1, 50},
        {"title", FIELD_STRING, FIELD_REQUIRED, 1, 200},
        {"description", FIELD_TEXT, 0, 0, 5000},
        {"severity", FIELD_ENUM, FIELD_REQUIRED, 0, 0, severities},
        {"active", FIELD_BOOL, 0},
        {NULL},
};

const struct field spec_rules_query[] = {
        {"active", FIELD_BOOL, 0},
        {NULL},
};

const struct field spec_violation[] = {
        {"rule_id", FIELD_UUID, FIELD_REQUIRED},
        {"occurred_at", FIELD_DATETIME, FIELD_REQUIRED},
        {"description", FIELD_TEXT, FIELD_REQUIRED, 1, 5000},
        {"action_taken", FIELD_TEXT, 0, 0, 2000},
        {NULL},
};

const struct field spec_violations_query[] = {
        {"house_id", FIELD_UUID, 0},
        {"resident_id", FIELD_UUID, 0},
        {"from", FIELD_DATE, 0},
        {"to", FIELD_DATE, 0},
        {NULL},
};
