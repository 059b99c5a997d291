/* Rooms and beds (API.md §5): the bed is the unit of occupancy. */
#include "abipraya/domain/specs.h"

static const char *const room_sexes[] = {"male", "female", "any", NULL};
static const char *const bed_statuses[] = {"available", "out_of_service", NULL};
static const char *const bed_states[] = {"free", "occupied", "out_of_service", NULL};

const struct field spec_room[] = {
        {"code", FIELD_STRING, FIELD_REQUIRED, 1, 50},
        {"floor", FIELD_INT, 0, -10, 200},
        {"sex", FIELD_ENUM, FIELD_REQUIRED, 0, 0, room_sexes},
        {"notes", FIELD_TEXT, 0, 0, 2000},
        {NULL},
};

const struct field spec_bed_create[] = {
        {"label", FIELD_STRING, FIELD_REQUIRED, 1, 50},
        {NULL},
};

const struct field spec_bed_update[] = {
        {"label", FIELD_STRING, 0, 1, 50},
        {"status", FIELD_ENUM, 0, 0, 0, bed_statuses},
        {"status_reason", FIELD_STRING, 0, 0, 500},
        {NULL},
};

const struct field spec_bed_board_query[] = {
        {"state", FIELD_ENUM, 0, 0, 0, bed_states},
        {NULL},
};
