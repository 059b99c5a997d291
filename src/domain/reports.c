/* Reports, audit and events (API.md §11–§13). */
#include "abipraya/domain/specs.h"

const struct field spec_census_query[] = {
        {"from", FIELD_DATE, FIELD_REQUIRED},
        {"to", FIELD_DATE, FIELD_REQUIRED},
        {NULL},
};

const struct field spec_exits_query[] = {
        {"house_id", FIELD_UUID, 0},
        {"from", FIELD_DATE, FIELD_REQUIRED},
        {"to", FIELD_DATE, FIELD_REQUIRED},
        {NULL},
};

const struct field spec_audit_query[] = {
        {"entity", FIELD_STRING, 0, 1, 50},
        {"entity_id", FIELD_UUID, 0},
        {"house_id", FIELD_UUID, 0},
        {NULL},
};

const struct field spec_events_query[] = {
        {NULL},
};
