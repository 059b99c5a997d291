/* Residents (API.md §6). national_id and notes are sensitive: the database's resident view
 * leaves them out for staff. Served by sql/api/06_residents.sql. */
#include "resource.h"

const char *const sexes[] = {"male", "female", NULL};
static const char *const legal_statuses[] = {
        "parole", "conditional_leave", "pre_release_leave", "assimilation", "probation", "released",
        NULL};
static const char *const resident_statuses[] = {"new", "in_residence", "former", NULL};

static const struct field emergency_contact[] = {
        {.name = "name", .type = FIELD_STRING, .flags = FIELD_REQUIRED, .min = 1, .max = 200},
        {.name = "phone", .type = FIELD_STRING, .max = 50},
        {.name = "relation", .type = FIELD_STRING, .max = 100},
        {NULL},
};

static const struct field resident_body[] = {
        {.name = "house_id", .type = FIELD_UUID, .flags = FIELD_REQUIRED | FIELD_CREATE_ONLY},
        PERSON_FIELDS("app.residents.sex"),
        {.name = "legal_status",
         .type = FIELD_ENUM,
         .flags = FIELD_REQUIRED,
         .values = legal_statuses,
         .column = "app.residents.legal_status"},
        {.name = "supervision_ends_on", .type = FIELD_DATE},
        {.name = "caseworker_id", .type = FIELD_UUID},
        {.name = "phone", .type = FIELD_STRING, .max = 50},
        {.name = "notes", .type = FIELD_TEXT, .max = 10000},
        {.name = "emergency_contact", .type = FIELD_OBJECT, .fields = emergency_contact},
        /* §18.6: not for staff (403) */
        {.name = "processing_restricted", .type = FIELD_BOOL},
        {NULL},
};

static const struct field residents_query[] = {
        {.name = "house_id", .type = FIELD_UUID},
        {.name = "status", .type = FIELD_ENUM, .values = resident_statuses},
        {.name = "q", .type = FIELD_STRING, .max = 200},
        {.name = "caseworker_id", .type = FIELD_UUID},
        {NULL},
};

static const struct api_route routes[] = {
        {.pattern = "POST /api/v1/residents",
         .op = "residents.create",
         .hot = 17,
         .roles = ROLES_CASEWORK,
         .body = resident_body},
        {.pattern = "GET /api/v1/residents",
         .op = "residents.list",
         .hot = 6,
         .roles = ROLES_ALL,
         .query = residents_query,
         .flags = ROUTE_LIST | ROUTE_CSV,
         /* "!": a column only some roles receive */
         .csv_columns = "id,house_id,full_name,register_number,sex,birth_date,!national_id,"
                        "legal_status,supervision_ends_on,caseworker_id,phone,!notes,"
                        "emergency_contact.name,emergency_contact.phone,"
                        "emergency_contact.relation,status,current_stay_id,created_at,"
                        "updated_at,version",
         .discloses = "resident"},
        {.pattern = "GET /api/v1/residents/{id}",
         .op = "residents.get",
         .hot = 1,
         .roles = ROLES_ALL,
         .flags = ROUTE_DIRECT,
         .discloses = "resident"},
        {.pattern = "PATCH /api/v1/residents/{id}",
         .op = "residents.update",
         .hot = 18,
         .roles = ROLES_CASEWORK,
         .body = resident_body},
};

const struct resource resource_residents = {.name = "residents", RESOURCE_ROUTES(routes)};
