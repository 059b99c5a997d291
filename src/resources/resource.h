/* What the files of src/resources/ share: one file per resource declares its field tables
 * (with their enums and limits) and its routes, and ends with one `const struct resource`;
 * src/api/routes.c lists the resources. Adding a resource: README "Adding a resource". */
#ifndef ABIPRAYA_RESOURCES_RESOURCE_H
#define ABIPRAYA_RESOURCES_RESOURCE_H

#include "abipraya/api/route.h"
#include "abipraya/domain/role.h"

/* Who may call a route (admin may do everything, API.md §4). */
#define ROLES_ADMIN    ROLE_ADMIN
#define ROLES_MANAGE   (ROLE_ADMIN | ROLE_MANAGER)
#define ROLES_CASEWORK (ROLE_ADMIN | ROLE_MANAGER | ROLE_CASEWORKER)
#define ROLES_OPERATE  (ROLE_ADMIN | ROLE_MANAGER | ROLE_STAFF)
#define ROLES_RECORD   (ROLE_ADMIN | ROLE_MANAGER | ROLE_CASEWORKER | ROLE_STAFF)

/* Where an exit plan aims and where a check-out went: one list (stays.c). */
extern const char *const destinations[];

/* The routes of a resource, from a `static const struct api_route NAME[]`. */
#define RESOURCE_ROUTES(table) .routes = (table), .nroutes = sizeof(table) / sizeof((table)[0])

#endif
