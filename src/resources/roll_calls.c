/* Roll-calls (apel) and the house roster, the paper backup of the bed board (contract §17.7,
 * §17.8). Served by sql/api/22_roll_calls.sql and sql/api/23_roster.sql; the one open
 * roll-call per house and the immutability of a closed one are the database's (migration
 * 0021). The roll-call and the roster print as A4 pages (Accept: text/html, src/api/print.c). */
#include "resource.h"

static const char *const kinds[] = {"morning", "evening", "night", "extra", NULL};
static const char *const statuses[] = {"open", "closed", "cancelled", NULL};
/* what a mark may set; `unmarked` is only where a line starts */
static const char *const mark_statuses[] = {"present", "absent", "out", "excused", NULL};

static const struct field open_body[] = {
        {.name = "kind",
         .type = FIELD_ENUM,
         .flags = FIELD_REQUIRED,
         .values = kinds,
         .column = "app.roll_calls.kind"},
        {.name = "at", .type = FIELD_DATETIME},
        {.name = "note", .type = FIELD_TEXT, .max = 1000},
        {NULL},
};

/* `excused`, and `out` on a line without a sign-out, need a note: the line decides, so the
 * database checks it (with the other rules that need the roll-call) */
static const struct field mark[] = {
        {.name = "resident_id", .type = FIELD_UUID, .flags = FIELD_REQUIRED},
        {.name = "status", .type = FIELD_ENUM, .flags = FIELD_REQUIRED, .values = mark_statuses},
        {.name = "note", .type = FIELD_TEXT, .min = 1, .max = 500},
        {NULL},
};

static const struct field marks_body[] = {
        {.name = "marks",
         .type = FIELD_LIST,
         .flags = FIELD_REQUIRED,
         .min = 1,
         .max_items = 500,
         .fields = mark},
        {NULL},
};

/* close takes `{}`: a field sent is 422, like any unknown body field */
static const struct field close_body[] = {
        {NULL},
};

static const struct field cancel_body[] = {
        {.name = "reason", .type = FIELD_TEXT, .flags = FIELD_REQUIRED, .min = 1, .max = 500},
        {NULL},
};

static const struct field roll_calls_query[] = {
        {.name = "status",
         .type = FIELD_ENUM,
         .values = statuses,
         .column = "app.roll_calls.status"},
        {.name = "kind", .type = FIELD_ENUM, .values = kinds},
        {.name = "from", .type = FIELD_DATE},
        {.name = "to", .type = FIELD_DATE},
        {NULL},
};

static const struct api_route routes[] = {
        {.pattern = "POST /api/v1/houses/{house_id}/roll-calls",
         .op = "roll_calls.create",
         .roles = ROLES_OPERATE,
         .body = open_body},
        {.pattern = "GET /api/v1/houses/{house_id}/roll-calls",
         .op = "roll_calls.list",
         .roles = ROLES_ALL,
         .query = roll_calls_query,
         .flags = ROUTE_LIST | ROUTE_CSV,
         .csv_columns = "id,house_id,kind,at,status,note,created_by,created_by_name,closed_at,"
                        "closed_by,closed_by_name,cancelled_at,cancel_reason,totals.present,"
                        "totals.absent,totals.out,totals.excused,totals.unmarked,version,"
                        "created_at,updated_at"},
        {.pattern = "GET /api/v1/roll-calls/{id}",
         .op = "roll_calls.get",
         .roles = ROLES_ALL,
         .flags = ROUTE_CSV | ROUTE_HTML,
         /* one row per line */
         .csv_columns = "resident_id,full_name,register_number,stay_id,room_code,bed_id,"
                        "bed_label,status,note,movement_id,expected_back_at,marked_by,marked_at",
         .discloses = "roll_call"},
        {.pattern = "POST /api/v1/roll-calls/{id}/marks",
         .op = "roll_calls.marks",
         .roles = ROLES_OPERATE,
         .body = marks_body},
        {.pattern = "POST /api/v1/roll-calls/{id}/close",
         .op = "roll_calls.close",
         .roles = ROLES_OPERATE,
         .body = close_body,
         .flags = ROUTE_BODY_OPTIONAL},
        {.pattern = "POST /api/v1/roll-calls/{id}/cancel",
         .op = "roll_calls.cancel",
         .roles = ROLES_OPERATE,
         .body = cancel_body},
        {.pattern = "GET /api/v1/houses/{house_id}/roster",
         .op = "roster.get",
         .roles = ROLES_ALL,
         .flags = ROUTE_CSV | ROUTE_HTML,
         /* "!": managers and admins only (§17.1); out.* always, empty when in */
         .csv_columns = "resident_id,full_name,register_number,sex,stay_id,room_code,bed_id,"
                        "bed_label,since,caseworker_id,out.movement_id,out.purpose,"
                        "out.destination,out.expected_back_at,out.overdue,"
                        "!emergency_contact.name,!emergency_contact.phone,"
                        "!emergency_contact.relation",
         .discloses = "roster"},
};

const struct resource resource_roll_calls = {.name = "roll_calls", RESOURCE_ROUTES(routes)};
