/* Stays and movements (API.md §7, §8). */
#include "abipraya/domain/specs.h"

static const char *const exit_reasons[] = {"completed", "transferred", "absconded", "revoked",
                                           "voluntary", "deceased",    "other",     NULL};
const char *const destinations[] = {"family",
                                    "independent_rental",
                                    "employer_housing",
                                    "other_housing",
                                    "shelter",
                                    "prison",
                                    "hospital",
                                    "unknown",
                                    NULL};
static const char *const stay_statuses[] = {"active", "closed", NULL};
static const char *const purposes[] = {"work",      "training",  "family_visit", "medical",
                                       "reporting", "religious", "other",        NULL};

const struct field spec_checkin[] = {
        {"resident_id", FIELD_UUID, FIELD_REQUIRED},
        {"bed_id", FIELD_UUID, FIELD_REQUIRED},
        {"checked_in_at", FIELD_DATETIME, 0},
        {"planned_exit_on", FIELD_DATE, 0},
        {"rules_acknowledged", FIELD_TRUE, FIELD_REQUIRED},
        {NULL},
};

const struct field spec_transfer[] = {
        {"bed_id", FIELD_UUID, FIELD_REQUIRED},
        {"at", FIELD_DATETIME, 0},
        {NULL},
};

const struct field spec_checkout[] = {
        {"checked_out_at", FIELD_DATETIME, 0},
        {"exit_reason", FIELD_ENUM, FIELD_REQUIRED, 0, 0, exit_reasons},
        {"destination", FIELD_ENUM, FIELD_REQUIRED, 0, 0, destinations},
        {"notes", FIELD_TEXT, 0, 0, 10000},
        {NULL},
};

const struct field spec_stays_query[] = {
        {"house_id", FIELD_UUID, 0},
        {"resident_id", FIELD_UUID, 0},
        {"status", FIELD_ENUM, 0, 0, 0, stay_statuses},
        {NULL},
};

const struct field spec_movement[] = {
        {"purpose", FIELD_ENUM, FIELD_REQUIRED, 0, 0, purposes},
        {"destination", FIELD_STRING, 0, 0, 200},
        {"expected_back_at", FIELD_DATETIME, FIELD_REQUIRED},
        {NULL},
};

const struct field spec_movement_return[] = {
        {"returned_at", FIELD_DATETIME, 0},
        {NULL},
};

const struct field spec_movements_query[] = {
        {"open", FIELD_BOOL, 0},
        {NULL},
};
