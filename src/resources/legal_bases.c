/* Legal bases of residents (contract §15.2): the decree a resident lives under, one current
 * basis per resident, the rest kept as a chain of superseded ones. Staff see the type and
 * the dates, never the decree, the guarantor or the Litmas (the database's basis object is
 * built without them). Served by sql/api/12_legal_bases.sql. */
#include "resource.h"

const char *const basis_types[] = {"pembebasan_bersyarat",
                                   "cuti_bersyarat",
                                   "cuti_menjelang_bebas",
                                   "asimilasi",
                                   "probation",
                                   "community_service",
                                   "released",
                                   NULL};

static const struct field guarantor[] = {
        {.name = "name", .type = FIELD_STRING, .flags = FIELD_REQUIRED, .min = 1, .max = 200},
        {.name = "relation", .type = FIELD_STRING, .max = 100},
        {.name = "phone", .type = FIELD_STRING, .max = 50},
        {NULL},
};

/* The fields a record and a correction share; the rules between them are the database's. */
#define BASIS_FIELDS(required)                                                                     \
	{.name = "type",                                                                           \
	 .type = FIELD_ENUM,                                                                       \
	 .flags = (required),                                                                      \
	 .values = basis_types,                                                                    \
	 .column = "app.legal_bases.type"},                                                        \
	        {.name = "decree_number", .type = FIELD_STRING, .min = 1, .max = 100},             \
	        {.name = "decree_date", .type = FIELD_DATE},                                       \
	        {.name = "issuing_authority", .type = FIELD_STRING, .min = 1, .max = 200},         \
	        {.name = "starts_on", .type = FIELD_DATE, .flags = (required)},                    \
	        {.name = "supervision_ends_on", .type = FIELD_DATE},                               \
	        {.name = "guarantor", .type = FIELD_OBJECT, .fields = guarantor},                  \
	        {.name = "litmas_number", .type = FIELD_STRING, .min = 1, .max = 100},             \
	        {.name = "caseworker_id", .type = FIELD_UUID},                                     \
	{                                                                                          \
		.name = "notes", .type = FIELD_TEXT, .max = 10000                                  \
	}

static const struct field basis_body[] = {
        BASIS_FIELDS(FIELD_REQUIRED),
        {.name = "supersedes_id", .type = FIELD_UUID},
        {NULL},
};

static const struct field correction_body[] = {
        BASIS_FIELDS(0),
        {.name = "correction_reason", .type = FIELD_TEXT, .min = 1, .max = 1000},
        {NULL},
};

static const struct field revoke_body[] = {
        {.name = "revoked_on", .type = FIELD_DATE, .flags = FIELD_REQUIRED},
        {.name = "reason", .type = FIELD_TEXT, .flags = FIELD_REQUIRED, .min = 1, .max = 1000},
        {.name = "decree_number", .type = FIELD_STRING, .min = 1, .max = 100},
        {NULL},
};

static const struct field bases_query[] = {
        {.name = "house_id", .type = FIELD_UUID},
        {.name = "resident_id", .type = FIELD_UUID},
        {.name = "current", .type = FIELD_BOOL},
        {.name = "type", .type = FIELD_ENUM, .values = basis_types},
        {.name = "ends_from", .type = FIELD_DATE},
        {.name = "ends_to", .type = FIELD_DATE},
        {NULL},
};

static const struct api_route routes[] = {
        {.pattern = "POST /api/v1/residents/{id}/legal-bases",
         .op = "legal_bases.create",
         .roles = ROLES_CASEWORK,
         .body = basis_body},
        {.pattern = "GET /api/v1/legal-bases",
         .op = "legal_bases.list",
         .roles = ROLES_ALL,
         .query = bases_query,
         .flags = ROUTE_LIST | ROUTE_CSV,
         /* "!": the columns staff do not receive */
         .csv_columns = "id,resident_id,house_id,type,!decree_number,!decree_date,"
                        "!issuing_authority,starts_on,supervision_ends_on,!guarantor.name,"
                        "!guarantor.relation,!guarantor.phone,!litmas_number,caseworker_id,"
                        "!notes,current,status,under_supervision,supersedes_id,superseded_by,"
                        "superseded_at,revoked_on,!revocation_decree_number,!revocation_reason,"
                        "!correction_reason,recorded_by,version,created_at,updated_at",
         .discloses = "legal_basis"},
        {.pattern = "GET /api/v1/legal-bases/{id}",
         .op = "legal_bases.get",
         .roles = ROLES_ALL,
         .discloses = "legal_basis"},
        {.pattern = "PATCH /api/v1/legal-bases/{id}",
         .op = "legal_bases.correct",
         .roles = ROLES_CASEWORK,
         .body = correction_body},
        {.pattern = "POST /api/v1/legal-bases/{id}/revoke",
         .op = "legal_bases.revoke",
         .roles = ROLES_CASEWORK,
         .body = revoke_body},
};

const struct resource resource_legal_bases = {.name = "legal_bases", RESOURCE_ROUTES(routes)};
