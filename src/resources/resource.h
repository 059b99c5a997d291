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

/* The types of a legal basis (§15.2): a basis's and a referral's expected one (legal_bases.c). */
extern const char *const basis_types[];

/* Who a person is: the fields a resident (residents.c) and a referral (referrals.c) share,
 * those an accepted referral hands to the resident record. sex_column: the column the sex
 * is stored in (its CHECK lists sexes). */
extern const char *const sexes[];
#define PERSON_FIELDS(sex_column)                                                                  \
	{.name = "full_name",                                                                      \
	 .type = FIELD_STRING,                                                                     \
	 .flags = FIELD_REQUIRED,                                                                  \
	 .min = 1,                                                                                 \
	 .max = 200},                                                                              \
	        {.name = "register_number",                                                        \
	         .type = FIELD_STRING,                                                             \
	         .flags = FIELD_REQUIRED,                                                          \
	         .min = 1,                                                                         \
	         .max = 50},                                                                       \
	        {.name = "sex",                                                                    \
	         .type = FIELD_ENUM,                                                               \
	         .flags = FIELD_REQUIRED,                                                          \
	         .values = sexes,                                                                  \
	         .column = (sex_column)},                                                          \
	        {.name = "birth_date", .type = FIELD_DATE},                                        \
	{                                                                                          \
		.name = "national_id", .type = FIELD_DIGITS, .min = 16, .max = 16                  \
	}

/* The routes of a resource, from a `static const struct api_route NAME[]`. */
#define RESOURCE_ROUTES(table) .routes = (table), .nroutes = sizeof(table) / sizeof((table)[0])

#endif
