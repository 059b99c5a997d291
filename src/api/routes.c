/* The registry: every resource once, in the order their routes take in api_routes (the
 * router tries patterns in that order, and a path's Allow header lists its methods so). */
#include <string.h>

#include "abipraya/api/route.h"
#include "abipraya/core/xalloc.h"
#include "abipraya/domain/role.h"
#include "abipraya/domain/specs.h"

#define ALL    ROLES_ALL
#define ADMIN  ROLE_ADMIN
#define MGR    (ROLE_ADMIN | ROLE_MANAGER)
#define CASE   (ROLE_ADMIN | ROLE_MANAGER | ROLE_CASEWORKER)
#define STAFF  (ROLE_ADMIN | ROLE_MANAGER | ROLE_STAFF)

/* CSV columns in order; "!" marks a field only some roles receive. */
#define RESIDENT_COLUMNS                                                                           \
	"id,house_id,full_name,register_number,sex,birth_date,!national_id,legal_status,"          \
	"supervision_ends_on,caseworker_id,phone,!notes,emergency_contact.name,"                   \
	"emergency_contact.phone,emergency_contact.relation,status,current_stay_id,created_at,"    \
	"updated_at,version"
#define STAY_COLUMNS                                                                               \
	"id,resident_id,house_id,bed_id,checked_in_at,checked_out_at,planned_exit_on,status,"      \
	"exit_reason,destination,notes,created_at,updated_at,version"

static const struct api_route before_rules[] = {
        {"GET /healthz", NULL, 0, NULL, NULL, 0, api_healthz_handler},
        {"GET /readyz", NULL, 0, NULL, NULL, 0, api_readyz_handler},
        {"GET /metrics", NULL, 0, NULL, NULL, 0, api_metrics_handler},

        {"POST /api/v1/auth/login", NULL, 0, spec_login, NULL, 0, api_login_handler},
        {"POST /api/v1/auth/logout", "auth.logout", ALL, NULL, NULL, ROUTE_BODY_OPTIONAL},
        {"GET /api/v1/me", "me.get", ALL},

        {"POST /api/v1/users", "users.create", ADMIN, spec_user, NULL, ROUTE_KDF},
        {"GET /api/v1/users", "users.list", ADMIN, NULL, NULL, ROUTE_LIST},
        {"GET /api/v1/users/{id}", "users.get", ADMIN},
        {"PATCH /api/v1/users/{id}", "users.update", ADMIN, spec_user, NULL, ROUTE_KDF},

        {"POST /api/v1/houses", "houses.create", ADMIN, spec_house},
        {"GET /api/v1/houses", "houses.list", ALL, NULL, NULL, ROUTE_LIST},
        {"GET /api/v1/houses/{id}", "houses.get", ALL},
        {"PATCH /api/v1/houses/{id}", "houses.update", ADMIN, spec_house},

        {"POST /api/v1/houses/{house_id}/rooms", "rooms.create", MGR, spec_room},
        {"GET /api/v1/houses/{house_id}/rooms", "rooms.list", ALL, NULL, NULL, ROUTE_LIST},
        {"GET /api/v1/rooms/{id}", "rooms.get", ALL},
        {"PATCH /api/v1/rooms/{id}", "rooms.update", MGR, spec_room},
        {"POST /api/v1/rooms/{room_id}/beds", "beds.create", MGR, spec_bed_create},
        {"GET /api/v1/beds/{id}", "beds.get", ALL},
        {"PATCH /api/v1/beds/{id}", "beds.update", MGR, spec_bed_update},
        {"GET /api/v1/houses/{house_id}/beds", "beds.board", ALL, NULL, spec_bed_board_query,
         ROUTE_DIRECT | ROUTE_CACHED},

        {"POST /api/v1/residents", "residents.create", CASE, spec_resident},
        {"GET /api/v1/residents", "residents.list", ALL, NULL, spec_residents_query,
         ROUTE_LIST | ROUTE_CSV, NULL, RESIDENT_COLUMNS},
        {"GET /api/v1/residents/{id}", "residents.get", ALL, NULL, NULL, ROUTE_DIRECT},
        {"PATCH /api/v1/residents/{id}", "residents.update", CASE, spec_resident},

        {"POST /api/v1/stays", "stays.checkin", STAFF, spec_checkin},
        {"GET /api/v1/stays", "stays.list", ALL, NULL, spec_stays_query, ROUTE_LIST | ROUTE_CSV,
         NULL, STAY_COLUMNS},
        {"GET /api/v1/stays/{id}", "stays.get", ALL},
        {"POST /api/v1/stays/{stay_id}/transfer", "stays.transfer", STAFF, spec_transfer},
        {"POST /api/v1/stays/{stay_id}/checkout", "stays.checkout", STAFF, spec_checkout},

        {"POST /api/v1/stays/{stay_id}/movements", "movements.create", STAFF, spec_movement},
        {"POST /api/v1/movements/{id}/return", "movements.return", STAFF, spec_movement_return,
         NULL, ROUTE_BODY_OPTIONAL},
        {"GET /api/v1/houses/{house_id}/movements", "movements.list", ALL, NULL,
         spec_movements_query, ROUTE_LIST},

};

static const struct api_route after_rules[] = {
        {"PUT /api/v1/stays/{stay_id}/exit-plan", "exit_plans.put", CASE, spec_exit_plan},
        {"GET /api/v1/stays/{stay_id}/exit-plan", "exit_plans.get", ALL},
        {"POST /api/v1/stays/{stay_id}/exit-plan/goals", "goals.create", CASE, spec_goal_create},
        {"PATCH /api/v1/goals/{id}", "goals.update", CASE, spec_goal_update},
        {"GET /api/v1/exit-plans", "exit_plans.worklist", ALL, NULL, spec_worklist_query,
         ROUTE_LIST},

        {"GET /api/v1/occupancy", "reports.occupancy", ALL},
        {"GET /api/v1/houses/{house_id}/census", "reports.census", ALL, NULL, spec_census_query,
         ROUTE_CSV, NULL, "date,occupied,check_ins,check_outs"},
        {"GET /api/v1/reports/exits", "reports.exits", MGR, NULL, spec_exits_query, ROUTE_CSV, NULL,
         "exit_reason,destination,count"},

        {"GET /api/v1/audit", "audit.list", MGR, NULL, spec_audit_query, ROUTE_LIST},
        {"GET /api/v1/audit/verify", "audit.verify", ADMIN},

        {"GET /api/v1/events", NULL, ALL, NULL, spec_events_query, ROUTE_STREAMED,
         api_events_handler},
        {"GET /api/v1/openapi.yaml", NULL, 0, NULL, NULL, 0, api_openapi_handler},
};

static const struct resource resource_before_rules = {
        "before_rules", before_rules, sizeof(before_rules) / sizeof(before_rules[0])};
static const struct resource resource_after_rules = {"after_rules", after_rules,
                                                     sizeof(after_rules) / sizeof(after_rules[0])};
extern const struct resource resource_rules;

static const struct resource *const resources[] = {
        &resource_before_rules,
        &resource_rules,
        &resource_after_rules,
};

const struct api_route *api_routes;
size_t api_nroutes;

/* A constructor, so that no caller (the daemon, spec-dump, a unit test) can read the table
 * before it is laid out. It lives as long as the process. */
__attribute__((constructor)) static void routes_lay_out(void)
{
	size_t n = 0;
	for (size_t i = 0; i < sizeof(resources) / sizeof(resources[0]); i++)
		n += resources[i]->nroutes;
	struct api_route *table = xcalloc(n, sizeof(*table));
	for (size_t i = 0, at = 0; i < sizeof(resources) / sizeof(resources[0]); i++) {
		memcpy(table + at, resources[i]->routes, resources[i]->nroutes * sizeof(*table));
		at += resources[i]->nroutes;
	}
	api_routes = table;
	api_nroutes = n;
}
