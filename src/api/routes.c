/* The registry: every resource of src/resources/ once. Their routes are laid out in this
 * order as api_routes: the router tries patterns in table order, and a path's Allow header
 * lists its methods so. */
#include <string.h>

#include "abipraya/api/route.h"
#include "abipraya/core/xalloc.h"

#define RESOURCES(X)                                                                               \
	X(ops)                                                                                     \
	X(auth_users)                                                                              \
	X(houses)                                                                                  \
	X(partners)                                                                                \
	X(programmes)                                                                              \
	X(rooms_beds)                                                                              \
	X(residents)                                                                               \
	X(referrals)                                                                               \
	X(consents)                                                                                \
	X(data_requests)                                                                           \
	X(follow_ups)                                                                              \
	X(disclosures)                                                                             \
	X(stays)                                                                                   \
	X(holds)                                                                                   \
	X(movements)                                                                               \
	X(rules_violations)                                                                        \
	X(exit_plans)                                                                              \
	X(legal_bases)                                                                             \
	X(reporting)                                                                               \
	X(alerts)                                                                                  \
	X(caseload)                                                                                \
	X(businesses)                                                                              \
	X(handover)                                                                                \
	X(reports)                                                                                 \
	X(roll_calls)                                                                              \
	X(audit)                                                                                   \
	X(events)                                                                                  \
	X(openapi)

#define DECLARE(name) extern const struct resource resource_##name;
#define ENTRY(name)   &resource_##name,
RESOURCES(DECLARE)
static const struct resource *const resources[] = {RESOURCES(ENTRY)};
#define NRESOURCES (sizeof(resources) / sizeof(resources[0]))

const struct api_route *api_routes;
size_t api_nroutes;

/* A constructor, so that no reader (the daemon, spec-dump, a unit test) can see the table
 * before it is laid out. It lives as long as the process. */
__attribute__((constructor)) static void routes_lay_out(void)
{
	size_t n = 0;
	for (size_t i = 0; i < NRESOURCES; i++)
		n += resources[i]->nroutes;
	struct api_route *table = xcalloc(n, sizeof(*table));
	for (size_t i = 0, at = 0; i < NRESOURCES; i++) {
		memcpy(table + at, resources[i]->routes, resources[i]->nroutes * sizeof(*table));
		at += resources[i]->nroutes;
	}
	api_routes = table;
	api_nroutes = n;
}
