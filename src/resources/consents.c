/* Consents (persetujuan, contract §18.2): what a resident agreed may leave the house, to
 * whom, for how long; immutable once recorded but for the one withdrawal (PATCH, PUT and
 * DELETE on a consent answer 405: the router knows no such route). And the one answer that
 * names residents to a partner (§18.3), by those consents. Staff get 403 on every route
 * (no ROLE_STAFF), partner users 404 but for the partner view. Served by
 * sql/api/26_consents.sql. */
#include "resource.h"

static const char *const purposes[] = {"programme_partner_sharing",
                                       "family_contact",
                                       "employer_contact",
                                       "research",
                                       "media",
                                       "other",
                                       NULL};
static const char *const scopes[] = {"identity",           "contact",  "attendance",
                                     "programme_outcomes", "business", "legal_status",
                                     "follow_up_outcomes", "image",    NULL};
static const char *const proof_forms[] = {"written", "electronic", "recorded", NULL};
static const char *const consent_statuses[] = {"active", "expired", "withdrawn", NULL};

static const struct field proof[] = {
        {.name = "form",
         .type = FIELD_ENUM,
         .flags = FIELD_REQUIRED,
         .values = proof_forms,
         .column = "app.consents.proof_form"},
        {.name = "document_ref",
         .type = FIELD_STRING,
         .flags = FIELD_REQUIRED,
         .min = 1,
         .max = 100},
        {.name = "witness_name",
         .type = FIELD_STRING,
         .flags = FIELD_REQUIRED,
         .min = 1,
         .max = 200},
        {NULL},
};

static const struct field consent_body[] = {
        {.name = "purpose",
         .type = FIELD_ENUM,
         .flags = FIELD_REQUIRED,
         .values = purposes,
         .column = "app.consents.purpose"},
        {.name = "purpose_detail", .type = FIELD_TEXT, .min = 1, .max = 500},
        {.name = "partner_id", .type = FIELD_UUID},
        {.name = "recipient", .type = FIELD_STRING, .min = 1, .max = 200},
        /* non-empty: the database's rule (422 scope) */
        {.name = "scope",
         .type = FIELD_ENUM_LIST,
         .flags = FIELD_REQUIRED,
         .max_items = 8,
         .values = scopes,
         .column = "app.consents.scope"},
        {.name = "given_on", .type = FIELD_DATE, .flags = FIELD_REQUIRED},
        {.name = "expires_on", .type = FIELD_DATE},
        {.name = "notice_given", .type = FIELD_TRUE, .flags = FIELD_REQUIRED},
        {.name = "proof", .type = FIELD_OBJECT, .flags = FIELD_REQUIRED, .fields = proof},
        {NULL},
};

static const struct field withdraw_body[] = {
        {.name = "reason", .type = FIELD_TEXT, .flags = FIELD_REQUIRED, .min = 1, .max = 2000},
        {.name = "withdrawn_at", .type = FIELD_DATETIME},
        {NULL},
};

#define CONSENT_FILTERS                                                                            \
	{.name = "status", .type = FIELD_ENUM, .values = consent_statuses},                        \
	        {.name = "purpose", .type = FIELD_ENUM, .values = purposes},                       \
	{                                                                                          \
		.name = "partner_id", .type = FIELD_UUID                                           \
	}

static const struct field resident_consents_query[] = {CONSENT_FILTERS, {NULL}};

static const struct field consents_query[] = {
        CONSENT_FILTERS,
        {.name = "house_id", .type = FIELD_UUID},
        {.name = "expires_within_days", .type = FIELD_INT, .min = 0, .max = 3650},
        {NULL},
};

static const struct api_route routes[] = {
        {.pattern = "POST /api/v1/residents/{id}/consents",
         .op = "consents.create",
         .roles = ROLES_CASEWORK,
         .body = consent_body},
        {.pattern = "GET /api/v1/residents/{id}/consents",
         .op = "consents.list_resident",
         .roles = ROLES_CASEWORK,
         .query = resident_consents_query,
         .flags = ROUTE_LIST},
        {.pattern = "GET /api/v1/consents",
         .op = "consents.list",
         .roles = ROLES_CASEWORK,
         .query = consents_query,
         .flags = ROUTE_LIST},
        {.pattern = "GET /api/v1/consents/{id}", .op = "consents.get", .roles = ROLES_CASEWORK},
        {.pattern = "POST /api/v1/consents/{id}/withdraw",
         .op = "consents.withdraw",
         .roles = ROLES_CASEWORK,
         .body = withdraw_body},
        {.pattern = "GET /api/v1/programmes/{id}/partner-view",
         .op = "programmes.partner_view",
         .roles = ROLES_CASEWORK | ROLE_PARTNER,
         .discloses = "programme"},
};

const struct resource resource_consents = {.name = "consents", RESOURCE_ROUTES(routes)};
