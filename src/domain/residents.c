/* Residents (API.md §6). national_id and notes are sensitive: the database's
 * resident view leaves them out for staff. */
#include "abipraya/domain/specs.h"

static const char *const sexes[] = {"male", "female", NULL};
static const char *const legal_statuses[] = {
        "parole", "conditional_leave", "pre_release_leave", "assimilation", "probation", "released",
        NULL};
static const char *const resident_statuses[] = {"new", "in_residence", "former", NULL};

static const struct field emergency_contact[] = {
        {"name", FIELD_STRING, FIELD_REQUIRED, 1, 200},
        {"phone", FIELD_STRING, 0, 0, 50},
        {"relation", FIELD_STRING, 0, 0, 100},
        {NULL},
};

const struct field spec_resident[] = {
        {"house_id", FIELD_UUID, FIELD_REQUIRED | FIELD_CREATE_ONLY},
        {"full_name", FIELD_STRING, FIELD_REQUIRED, 1, 200},
        {"register_number", FIELD_STRING, FIELD_REQUIRED, 1, 50},
        {"sex", FIELD_ENUM, FIELD_REQUIRED, 0, 0, sexes},
        {"birth_date", FIELD_DATE, 0},
        {"national_id", FIELD_DIGITS, 0, 16, 16},
        {"legal_status", FIELD_ENUM, FIELD_REQUIRED, 0, 0, legal_statuses},
        {"supervision_ends_on", FIELD_DATE, 0},
        {"caseworker_id", FIELD_UUID, 0},
        {"phone", FIELD_STRING, 0, 0, 50},
        {"notes", FIELD_TEXT, 0, 0, 10000},
        {"emergency_contact", FIELD_OBJECT, 0, 0, 0, NULL, emergency_contact},
        {NULL},
};

const struct field spec_residents_query[] = {
        {"house_id", FIELD_UUID, 0},
        {"status", FIELD_ENUM, 0, 0, 0, resident_statuses},
        {"q", FIELD_STRING, 0, 0, 200},
        {"caseworker_id", FIELD_UUID, 0},
        {NULL},
};
