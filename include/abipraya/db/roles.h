/* Least privilege (contract §18.12 "Roles"): the runtime role (database.url's) and the
 * owner role (database.owner_url's). migrate asks the server which role url logs in as and
 * grants it exactly what serve needs (app.grant_runtime, sql/api/90_privileges.sql); serve
 * refuses to start with a runtime role that could do more. Blocking libpq: for the command
 * line and the startup check only, never on an event loop. */
#ifndef ABIPRAYA_DB_ROLES_H
#define ABIPRAYA_DB_ROLES_H

#include <stdbool.h>
#include <stddef.h>

/* The role URL logs in as (SELECT current_user) into ret. False with a message in err. */
bool db_login_role(const char *url, char *ret, size_t retlen, char *err, size_t errlen);

/* Whether URL's role is a runtime role of least privilege: no superuser, no CREATEROLE,
 * CREATEDB or BYPASSRLS, no member of the role owning the schemas, owner of nothing in
 * them, no CREATE in them or the database, nothing on the audit and disclosure tables but
 * SELECT and INSERT. False with every reason found (or why it could not be told) in err. */
bool db_check_least_privilege(const char *url, char *err, size_t errlen);

#endif
