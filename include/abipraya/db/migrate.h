/* Schema migrations: the numbered files of sql/, embedded in the binary at build time,
 * applied in order, each in one transaction, under an advisory lock so that two
 * instances never migrate at once. Blocking libpq: for the command line and the startup
 * check only, never on an event loop. */
#ifndef ABIPRAYA_DB_MIGRATE_H
#define ABIPRAYA_DB_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>

struct db_migration {
	const char *name; /* "0001_schema.sql" */
	const char *sql;
};

extern const struct db_migration db_migrations[]; /* ends with {NULL, NULL} */

/* Both check first that every migration the database records is one of db_migrations,
 * with the same text (its checksum, recorded when it was applied), and refuse otherwise:
 * a database migrated with other migrations has another schema than the binary expects. */

/* Applies what is pending; *ret_applied counts them. False with a message in err. */
bool db_migrate(const char *url, int *ret_applied, char *err, size_t errlen);
/* Counts the migrations not yet applied. False with a message in err; *ret_mismatch then
 * tells a refusal (waiting cannot help) from a database that could not be read. */
bool db_migrations_pending(const char *url, int *ret_pending, bool *ret_mismatch, char *err,
                           size_t errlen);

#endif
