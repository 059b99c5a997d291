/* Micro-businesses (UMKM, contract §16.8): a resident's business, its append-only stage
 * history (ILO SIYB stages, NIB or SKU, capital), its monthly records and the credit
 * readiness computed on read. Caseworkers, managers and admins only: staff get 403 and
 * partner users 404 before any lookup (.roles). Served by sql/api/18_businesses.sql. */
#include "resource.h"

static const char *const sectors[] = {
        "food_beverage", "retail", "agriculture", "livestock_fishery", "crafts", "garment",
        "services",      "repair", "transport",   "construction",      "other",  NULL};
/* in their order: forward moves follow it (the transitions are the database's) */
static const char *const stages[] = {"idea",       "business_plan", "trained",
                                     "registered", "funded",        "operating",
                                     "paused",     "closed",        NULL};
static const char *const capital_sources[] = {"kur",         "grant", "family", "savings",
                                              "cooperative", "other", NULL};

/* The NIB and the SKU: set by the registered stage, corrected by PATCH. */
#define LEGAL_FIELDS                                                                               \
	{.name = "nib", .type = FIELD_DIGITS, .min = 13, .max = 13},                               \
	        {.name = "sku_number", .type = FIELD_STRING, .min = 1, .max = 100},                \
	{                                                                                          \
		.name = "sku_issued_on", .type = FIELD_DATE                                        \
	}

/* One table for POST and PATCH: a PATCH naming resident_id, stage or on is 422 (create
 * only); the legal fields on POST are the database's 422 (they come with the stage). */
static const struct field business_body[] = {
        {.name = "resident_id", .type = FIELD_UUID, .flags = FIELD_REQUIRED | FIELD_CREATE_ONLY},
        {.name = "name", .type = FIELD_STRING, .flags = FIELD_REQUIRED, .min = 1, .max = 200},
        {.name = "sector",
         .type = FIELD_ENUM,
         .flags = FIELD_REQUIRED,
         .values = sectors,
         .column = "app.businesses.sector"},
        {.name = "description", .type = FIELD_TEXT, .max = 10000},
        {.name = "started_on", .type = FIELD_DATE},
        {.name = "stage",
         .type = FIELD_ENUM,
         .flags = FIELD_CREATE_ONLY,
         .values = stages,
         .column = "app.businesses.stage"},
        {.name = "on", .type = FIELD_DATE, .flags = FIELD_CREATE_ONLY},
        LEGAL_FIELDS,
        {NULL},
};

static const struct field stage_body[] = {
        {.name = "stage",
         .type = FIELD_ENUM,
         .flags = FIELD_REQUIRED,
         .values = stages,
         .column = "app.business_stages.stage"},
        {.name = "on", .type = FIELD_DATE},
        {.name = "note", .type = FIELD_TEXT, .max = 2000},
        LEGAL_FIELDS,
        {.name = "capital_source",
         .type = FIELD_ENUM,
         .values = capital_sources,
         .column = "app.business_stages.capital_source"},
        {.name = "amount_idr", .type = FIELD_INT, .min = 1, .max = 1000000000000L},
        {NULL},
};

/* Rupiah up to 10^13 fit FIELD_INT's long and the columns' bigint; json_int_t is 64 bits too. */
_Static_assert(sizeof(long) >= 8, "rupiah ranges need a 64-bit long (struct field's min and max)");
static const struct field month_body[] = {
        {.name = "revenue_idr",
         .type = FIELD_INT,
         .flags = FIELD_REQUIRED,
         .min = 0,
         .max = 10000000000000L},
        {.name = "costs_idr",
         .type = FIELD_INT,
         .flags = FIELD_REQUIRED,
         .min = 0,
         .max = 10000000000000L},
        {.name = "workers", .type = FIELD_INT, .flags = FIELD_REQUIRED, .min = 0, .max = 1000},
        {.name = "note", .type = FIELD_TEXT, .max = 10000},
        {NULL},
};

static const struct field businesses_query[] = {
        {.name = "house_id", .type = FIELD_UUID},
        {.name = "resident_id", .type = FIELD_UUID},
        {.name = "stage", .type = FIELD_ENUM, .values = stages},
        {.name = "sector", .type = FIELD_ENUM, .values = sectors},
        {NULL},
};

static const struct api_route routes[] = {
        {.pattern = "POST /api/v1/businesses",
         .op = "businesses.create",
         .roles = ROLES_CASEWORK,
         .body = business_body},
        {.pattern = "GET /api/v1/businesses",
         .op = "businesses.list",
         .roles = ROLES_CASEWORK,
         .query = businesses_query,
         .flags = ROUTE_LIST | ROUTE_CSV,
         /* §3's CSV without the arrays (capital, history, credit_readiness.missing) */
         .csv_columns = "id,resident_id,house_id,name,sector,description,started_on,stage,"
                        "stage_since,nib,sku_number,sku_issued_on,latest_month.month,"
                        "latest_month.revenue_idr,latest_month.costs_idr,"
                        "latest_month.profit_idr,latest_month.workers,credit_readiness.ready,"
                        "credit_readiness.legal_document,credit_readiness.months_trading,"
                        "credit_readiness.training_completed,credit_readiness.in_mentoring,"
                        "credit_readiness.max_amount_idr,version,created_at,updated_at"},
        {.pattern = "GET /api/v1/businesses/{id}", .op = "businesses.get", .roles = ROLES_CASEWORK},
        {.pattern = "PATCH /api/v1/businesses/{id}",
         .op = "businesses.update",
         .roles = ROLES_CASEWORK,
         .body = business_body},
        {.pattern = "POST /api/v1/businesses/{id}/stages",
         .op = "businesses.stage",
         .roles = ROLES_CASEWORK,
         .body = stage_body},
        {.pattern = "PUT /api/v1/businesses/{id}/months/{month}",
         .op = "business_months.put",
         .roles = ROLES_CASEWORK,
         .body = month_body},
        {.pattern = "GET /api/v1/businesses/{id}/months",
         .op = "business_months.list",
         .roles = ROLES_CASEWORK,
         .flags = ROUTE_LIST},
};

const struct resource resource_businesses = {.name = "businesses", RESOURCE_ROUTES(routes)};
