/* Rooms and beds (API.md §5): the bed is the unit of occupancy. Served by
 * sql/api/05_rooms_beds.sql; the bed board is a direct read the daemon keeps (src/api/kept.c).
 * Its body is the same for every role that may see the house (api.board_body takes none),
 * so its copies are shared by every caller; which house a caller may see, its own statement
 * decides. */
#include "resource.h"

static const char *const room_sexes[] = {"male", "female", "any", NULL};
static const char *const bed_statuses[] = {"available", "out_of_service", NULL};
/* §17.6: turnover and held (src/resources/holds.c) */
static const char *const bed_states[] = {"free",     "occupied", "out_of_service",
                                         "turnover", "held",     NULL};

static const struct field room_body[] = {
        {.name = "code", .type = FIELD_STRING, .flags = FIELD_REQUIRED, .min = 1, .max = 50},
        {.name = "floor", .type = FIELD_INT, .min = -10, .max = 200},
        {.name = "sex",
         .type = FIELD_ENUM,
         .flags = FIELD_REQUIRED,
         .values = room_sexes,
         .column = "app.rooms.sex"},
        {.name = "notes", .type = FIELD_TEXT, .max = 2000},
        {NULL},
};

static const struct field bed_create_body[] = {
        {.name = "label", .type = FIELD_STRING, .flags = FIELD_REQUIRED, .min = 1, .max = 50},
        {NULL},
};

static const struct field bed_update_body[] = {
        {.name = "label", .type = FIELD_STRING, .min = 1, .max = 50},
        {.name = "status", .type = FIELD_ENUM, .values = bed_statuses, .column = "app.beds.status"},
        {.name = "status_reason", .type = FIELD_STRING, .max = 500},
        {NULL},
};

static const struct field bed_board_query[] = {
        {.name = "state", .type = FIELD_ENUM, .values = bed_states},
        {NULL},
};

/* the board is every bed with its stay, hold or turnover (a turnover's changes are bed.updated) */
static const char *const board_drop_on[] = {"stay.", "bed.", "hold.", NULL};

static const struct api_route routes[] = {
        {.pattern = "POST /api/v1/houses/{house_id}/rooms",
         .op = "rooms.create",
         .roles = ROLES_MANAGE,
         .body = room_body},
        {.pattern = "GET /api/v1/houses/{house_id}/rooms",
         .op = "rooms.list",
         .hot = 22,
         .roles = ROLES_ALL,
         .flags = ROUTE_LIST},
        {.pattern = "GET /api/v1/rooms/{id}", .op = "rooms.get", .hot = 21, .roles = ROLES_ALL},
        {.pattern = "PATCH /api/v1/rooms/{id}",
         .op = "rooms.update",
         .roles = ROLES_MANAGE,
         .body = room_body},
        {.pattern = "POST /api/v1/rooms/{room_id}/beds",
         .op = "beds.create",
         .roles = ROLES_MANAGE,
         .body = bed_create_body},
        {.pattern = "GET /api/v1/beds/{id}", .op = "beds.get", .hot = 23, .roles = ROLES_ALL},
        {.pattern = "PATCH /api/v1/beds/{id}",
         .op = "beds.update",
         .hot = 24,
         .roles = ROLES_MANAGE,
         .body = bed_update_body},
        {.pattern = "GET /api/v1/houses/{house_id}/beds",
         .op = "beds.board",
         .hot = 2,
         .roles = ROLES_ALL,
         .query = bed_board_query,
         .flags = ROUTE_DIRECT | ROUTE_CACHED,
         .drop_on = board_drop_on},
};

const struct resource resource_rooms_beds = {.name = "rooms_beds", RESOURCE_ROUTES(routes)};
