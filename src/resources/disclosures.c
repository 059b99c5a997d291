/* Disclosure accounting and the processing history (contract §18.4, §18.5): the log of every
 * answer that let a resident's data out (written by api.disclose in the read's own
 * transaction, for the routes marked .discloses), and one resident's audit and disclosure
 * records merged in time order, printable for handing to the resident. Served by
 * sql/api/31_disclosures.sql. */
#include "resource.h"

static const char *const disclosure_kinds[] = {"read", "export", "partner_view", NULL};

static const struct field disclosures_query[] = {
        {.name = "house_id", .type = FIELD_UUID},
        {.name = "resident_id", .type = FIELD_UUID},
        {.name = "user_id", .type = FIELD_UUID},
        {.name = "kind",
         .type = FIELD_ENUM,
         .values = disclosure_kinds,
         .column = "app.disclosures.kind"},
        {.name = "from", .type = FIELD_DATE},
        {.name = "to", .type = FIELD_DATE},
        {NULL},
};

static const struct field history_query[] = {
        {.name = "from", .type = FIELD_DATE},
        {.name = "to", .type = FIELD_DATE},
        {NULL},
};

static const struct api_route routes[] = {
        {.pattern = "GET /api/v1/disclosures",
         .op = "disclosures.list",
         .roles = ROLES_MANAGE,
         .query = disclosures_query,
         .flags = ROUTE_LIST | ROUTE_CSV,
         .csv_columns = "id,at,kind,user_id,role,partner_id,resident_id,house_id,entity,entity_id,"
                        "fields,purpose,consent_id,request_id,path"},
        {.pattern = "GET /api/v1/residents/{id}/processing-history",
         .op = "processing_history.get",
         .roles = ROLES_CASEWORK,
         .query = history_query,
         .flags = ROUTE_LIST | ROUTE_HTML},
};

const struct resource resource_disclosures = {.name = "disclosures", RESOURCE_ROUTES(routes)};
