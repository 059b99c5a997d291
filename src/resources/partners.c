/* Partners (contract §16.2): the organisations that run or fund activities, spanning houses.
 * A house user sees a partner one of whose houses is its own; a partner user (§16.3) its
 * own partner only. Served by sql/api/16_partners.sql. */
#include "resource.h"

static const char *const partner_kinds[] = {
        "city_government", "training_centre", "community_group", "ngo",
        "business",        "religious",       "other",           NULL};

static const struct field contact[] = {
        {.name = "name", .type = FIELD_STRING, .max = 200},
        {.name = "phone", .type = FIELD_STRING, .max = 50},
        /* one "@" with text on both sides and no spaces: the database's rule */
        {.name = "email", .type = FIELD_STRING, .max = 254},
        {NULL},
};

/* the cooperation agreement (PKS); null removes it */
static const struct field agreement[] = {
        {.name = "number", .type = FIELD_STRING, .flags = FIELD_REQUIRED, .min = 1, .max = 100},
        {.name = "signed_on", .type = FIELD_DATE, .flags = FIELD_REQUIRED},
        {.name = "valid_until", .type = FIELD_DATE},
        {NULL},
};

static const struct field partner_body[] = {
        {.name = "name", .type = FIELD_STRING, .flags = FIELD_REQUIRED, .min = 1, .max = 200},
        {.name = "kind",
         .type = FIELD_ENUM,
         .flags = FIELD_REQUIRED,
         .values = partner_kinds,
         .column = "app.partners.kind"},
        /* 1 to 50 distinct houses the user sees: the database's rule */
        {.name = "house_ids", .type = FIELD_UUID_LIST, .flags = FIELD_REQUIRED, .max = 50},
        {.name = "contact", .type = FIELD_OBJECT, .fields = contact},
        {.name = "address", .type = FIELD_STRING, .max = 500},
        {.name = "agreement", .type = FIELD_OBJECT, .fields = agreement},
        {.name = "notes", .type = FIELD_TEXT, .max = 10000},
        {.name = "active", .type = FIELD_BOOL},
        {NULL},
};

static const struct field partners_query[] = {
        {.name = "house_id", .type = FIELD_UUID},
        {.name = "kind", .type = FIELD_ENUM, .values = partner_kinds},
        {.name = "active", .type = FIELD_BOOL},
        {NULL},
};

static const struct api_route routes[] = {
        {.pattern = "POST /api/v1/partners",
         .op = "partners.create",
         .roles = ROLES_MANAGE,
         .body = partner_body},
        {.pattern = "GET /api/v1/partners",
         .op = "partners.list",
         .roles = ROLES_ALL | ROLE_PARTNER,
         .query = partners_query,
         .flags = ROUTE_LIST},
        {.pattern = "GET /api/v1/partners/{id}",
         .op = "partners.get",
         .roles = ROLES_ALL | ROLE_PARTNER},
        {.pattern = "PATCH /api/v1/partners/{id}",
         .op = "partners.update",
         .roles = ROLES_MANAGE,
         .body = partner_body},
};

const struct resource resource_partners = {.name = "partners", RESOURCE_ROUTES(routes)};
