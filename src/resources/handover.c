/* The shift (contract §17.9): handover notes, a log of what one shift tells the next, never
 * changed or deleted, and `tonight`, everything the night shift needs in one request.
 * Served by sql/api/24_handover.sql. */
#include "resource.h"

static const char *const shifts[] = {"morning", "afternoon", "night", NULL};
static const char *const flags[] = {"incident",  "medical", "maintenance", "security",
                                    "follow_up", "visitor", NULL};

static const struct field note_body[] = {
        {.name = "shift",
         .type = FIELD_ENUM,
         .flags = FIELD_REQUIRED,
         .values = shifts,
         .column = "app.handover_notes.shift"},
        {.name = "note", .type = FIELD_TEXT, .flags = FIELD_REQUIRED, .min = 1, .max = 5000},
        {.name = "flags",
         .type = FIELD_ENUM_LIST,
         .max_items = 6,
         .values = flags,
         .column = "app.handover_notes.flags"},
        {NULL},
};

static const struct field notes_query[] = {
        {.name = "shift",
         .type = FIELD_ENUM,
         .values = shifts,
         .column = "app.handover_notes.shift"},
        {.name = "flag", .type = FIELD_ENUM, .values = flags, .column = "app.handover_notes.flags"},
        {.name = "from", .type = FIELD_DATE},
        {.name = "to", .type = FIELD_DATE},
        {NULL},
};

static const struct api_route routes[] = {
        {.pattern = "POST /api/v1/houses/{house_id}/handover-notes",
         .op = "handover_notes.create",
         .roles = ROLES_ALL,
         .body = note_body},
        {.pattern = "GET /api/v1/houses/{house_id}/handover-notes",
         .op = "handover_notes.list",
         .roles = ROLES_ALL,
         .query = notes_query,
         .flags = ROUTE_LIST | ROUTE_CSV,
         .csv_columns = "id,house_id,shift,note,author_id,author_name,created_at,updated_at"},
        {.pattern = "GET /api/v1/houses/{house_id}/tonight",
         .op = "houses.tonight",
         .roles = ROLES_ALL},
};

const struct resource resource_handover = {.name = "handover", RESOURCE_ROUTES(routes)};
