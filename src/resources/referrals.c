/* Referrals (rujukan, contract §17.3): a person a Lapas or Rutan sends to a house, from
 * pending through the house's decision to the arrival (a check-in, §7). national_id,
 * litmas_number and notes are sensitive: the database's referral object is built without
 * them for staff. Partner users get 404 on every route (no ROLE_PARTNER). Served by
 * sql/api/20_referrals.sql. */
#include "resource.h"

static const char *const institution_kinds[] = {"lapas", "rutan", "lpka", "lpp", "other", NULL};
static const char *const referral_statuses[] = {"pending",   "accepted", "declined",
                                                "cancelled", "arrived",  NULL};
/* One table for POST and PATCH: a PATCH naming house_id is 422 (create only). */
static const struct field referral_body[] = {
        {.name = "house_id", .type = FIELD_UUID, .flags = FIELD_REQUIRED | FIELD_CREATE_ONLY},
        PERSON_FIELDS("app.referrals.sex"),
        {.name = "from_institution",
         .type = FIELD_STRING,
         .flags = FIELD_REQUIRED,
         .min = 1,
         .max = 200},
        {.name = "institution_kind",
         .type = FIELD_ENUM,
         .values = institution_kinds,
         .column = "app.referrals.institution_kind"},
        {.name = "litmas_number", .type = FIELD_STRING, .min = 1, .max = 100},
        {.name = "expected_legal_basis",
         .type = FIELD_ENUM,
         .flags = FIELD_REQUIRED,
         .values = basis_types,
         .column = "app.referrals.expected_legal_basis"},
        {.name = "expected_supervision_ends_on", .type = FIELD_DATE},
        {.name = "expected_arrival_on", .type = FIELD_DATE, .flags = FIELD_REQUIRED},
        {.name = "caseworker_id", .type = FIELD_UUID},
        {.name = "notes", .type = FIELD_TEXT, .max = 10000},
        {NULL},
};

static const struct field accept_body[] = {
        {.name = "resident_id", .type = FIELD_UUID},
        {NULL},
};

/* decline and cancel */
static const struct field reason_body[] = {
        {.name = "reason", .type = FIELD_TEXT, .flags = FIELD_REQUIRED, .min = 1, .max = 1000},
        {NULL},
};

static const struct field referrals_query[] = {
        {.name = "house_id", .type = FIELD_UUID},
        {.name = "status", .type = FIELD_ENUM, .values = referral_statuses},
        {.name = "q", .type = FIELD_STRING, .max = 200},
        {NULL},
};

static const struct api_route routes[] = {
        {.pattern = "POST /api/v1/referrals",
         .op = "referrals.create",
         .roles = ROLES_CASEWORK,
         .body = referral_body},
        {.pattern = "GET /api/v1/referrals",
         .op = "referrals.list",
         .roles = ROLES_ALL,
         .query = referrals_query,
         .flags = ROUTE_LIST | ROUTE_CSV,
         /* "!": the columns staff do not receive */
         .csv_columns = "id,house_id,full_name,register_number,sex,birth_date,!national_id,"
                        "from_institution,institution_kind,!litmas_number,expected_legal_basis,"
                        "expected_supervision_ends_on,expected_arrival_on,caseworker_id,!notes,"
                        "status,status_reason,decided_at,decided_by,resident_id,stay_id,"
                        "arrived_at,version,created_at,updated_at",
         .discloses = "referral"},
        {.pattern = "GET /api/v1/referrals/{id}",
         .op = "referrals.get",
         .roles = ROLES_ALL,
         .discloses = "referral"},
        {.pattern = "PATCH /api/v1/referrals/{id}",
         .op = "referrals.update",
         .roles = ROLES_CASEWORK,
         .body = referral_body},
        {.pattern = "POST /api/v1/referrals/{id}/accept",
         .op = "referrals.accept",
         .roles = ROLES_MANAGE,
         .body = accept_body,
         .flags = ROUTE_BODY_OPTIONAL},
        {.pattern = "POST /api/v1/referrals/{id}/decline",
         .op = "referrals.decline",
         .roles = ROLES_MANAGE,
         .body = reason_body},
        {.pattern = "POST /api/v1/referrals/{id}/cancel",
         .op = "referrals.cancel",
         .roles = ROLES_CASEWORK,
         .body = reason_body},
};

const struct resource resource_referrals = {.name = "referrals", RESOURCE_ROUTES(routes)};
