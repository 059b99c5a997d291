/* The roles of API.md §4 (partner: contract §16.3), as bits so that a route can admit several. */
#ifndef ABIPRAYA_DOMAIN_ROLE_H
#define ABIPRAYA_DOMAIN_ROLE_H

#include <stddef.h>

enum role {
	ROLE_ADMIN = 1u << 0,
	ROLE_MANAGER = 1u << 1,
	ROLE_CASEWORKER = 1u << 2,
	ROLE_STAFF = 1u << 3,
	/* a user of a partner organisation: only the routes that list it; every other route
	 * answers it 404 (api.refusal in sql/api/02_run.sql) */
	ROLE_PARTNER = 1u << 4,
};

/* every house role (a partner user is no house role: a route admits it by naming it) */
#define ROLES_ALL (ROLE_ADMIN | ROLE_MANAGER | ROLE_CASEWORKER | ROLE_STAFF)

extern const char *const role_names[]; /* NULL-terminated, in bit order */

/* Writes a PostgreSQL array literal such as "{admin,manager}" into out. */
void role_array_literal(unsigned roles, char *out, size_t len);

#endif
