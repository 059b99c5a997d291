/* Schema migrations, embedded in the binary at build time: the versioned files of
 * sql/migrations/ (applied once, in order) and the repeatable ones of sql/api/ (applied
 * again whenever their text changes, in order, after the versioned ones), all that is
 * pending in one transaction, under an advisory lock so that two instances never migrate
 * at once (docs/ops.md "Migrations"). Blocking libpq: for the command line and the startup
 * check only, never on an event loop. */
#ifndef ABIPRAYA_DB_MIGRATE_H
#define ABIPRAYA_DB_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>

struct db_migration {
	const char *name; /* "0001_schema.sql", "00_common.sql" */
	const char *sql;
};

/* both end with {NULL, NULL} */
extern const struct db_migration db_migrations[];  /* sql/migrations/, versioned */
extern const struct db_migration db_repeatables[]; /* sql/api/, repeatable */

/* Both check first that every versioned migration the database records is one of
 * db_migrations (or a retired one this binary knows), with the same text (its checksum,
 * recorded when it was applied), and refuse otherwise: a database migrated with other
 * migrations has another schema than the binary expects. */

/* Applies what is pending; *ret_applied counts the files run. RUNTIME: the runtime role of
 * two-role mode (contract 18.12), granted exactly its privileges at the end (revoking the
 * rest), in the same transaction; NULL in single-role mode. False with a message in err,
 * and then the database is as it was. */
bool db_migrate(const char *url, const char *runtime, int *ret_applied, char *err, size_t errlen);
/* Counts the versioned migrations not yet applied and the repeatables whose recorded
 * checksum is not their text's. False with a message in err; *ret_mismatch then
 * tells a refusal (waiting cannot help) from a database that could not be read. */
bool db_migrations_pending(const char *url, int *ret_pending, bool *ret_mismatch, char *err,
                           size_t errlen);

#endif
