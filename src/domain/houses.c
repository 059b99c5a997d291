/* Houses (API.md §5): the unit of scoping. */
#include "abipraya/domain/specs.h"

const struct field spec_house[] = {
        {"code", FIELD_STRING, FIELD_REQUIRED, 1, 50},
        {"name", FIELD_STRING, FIELD_REQUIRED, 1, 200},
        {"address", FIELD_STRING, 0, 0, 500},
        {"timezone", FIELD_STRING, 0, 1, 64},
        {"curfew", FIELD_TIME_HM, 0},
        {NULL},
};
