#include "abipraya/db/migrate.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#define MIGRATION_LOCK 7262011 /* pg_advisory_lock key: "abipraya migrations" */

static const char create_table[] =
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())";

static PGconn *connect_db(const char *url, char *err, size_t errlen)
{
	PGconn *pg = PQconnectdb(url);
	if (PQstatus(pg) != CONNECTION_OK) {
		snprintf(err, errlen, "could not connect to the database: %s", PQerrorMessage(pg));
		PQfinish(pg);
		return NULL;
	}
	return pg;
}

static bool exec_ok(PGconn *pg, const char *sql, char *err, size_t errlen, const char *what)
{
	PGresult *res = PQexec(pg, sql);
	ExecStatusType st = PQresultStatus(res);
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	if (!ok)
		snprintf(err, errlen, "%s: %s", what, PQresultErrorMessage(res));
	PQclear(res);
	return ok;
}

static int is_applied(PGconn *pg, const char *name, char *err, size_t errlen)
{
	const char *params[1] = {name};
	PGresult *res = PQexecParams(pg, "SELECT 1 FROM schema_migrations WHERE version = $1", 1,
	                             NULL, params, NULL, NULL, 0);
	int applied = -1;
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		applied = PQntuples(res) > 0;
	else
		snprintf(err, errlen, "could not read schema_migrations: %s",
		         PQresultErrorMessage(res));
	PQclear(res);
	return applied;
}

static bool apply(PGconn *pg, const struct db_migration *m, char *err, size_t errlen)
{
	char what[160];
	const char *params[1] = {m->name};

	snprintf(what, sizeof(what), "migration %s failed", m->name);
	if (!exec_ok(pg, "BEGIN", err, errlen, what))
		return false;
	if (!exec_ok(pg, m->sql, err, errlen, what)) {
		(void)exec_ok(pg, "ROLLBACK", err + strlen(err), 0, what);
		return false;
	}
	PGresult *res = PQexecParams(pg, "INSERT INTO schema_migrations (version) VALUES ($1)", 1,
	                             NULL, params, NULL, NULL, 0);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	if (!ok || !exec_ok(pg, "COMMIT", err, errlen, what)) {
		if (!ok)
			snprintf(err, errlen, "%s: could not record it", what);
		return false;
	}
	return true;
}

static bool run(const char *url, bool do_apply, int *ret_count, char *err, size_t errlen)
{
	char lock[96], unlock[96];
	int count = 0;
	bool ok = false;
	PGconn *pg = connect_db(url, err, errlen);

	if (!pg)
		return false;
	snprintf(lock, sizeof(lock), "SELECT pg_advisory_lock(%d)", MIGRATION_LOCK);
	snprintf(unlock, sizeof(unlock), "SELECT pg_advisory_unlock(%d)", MIGRATION_LOCK);
	if (!exec_ok(pg, "SET client_min_messages = warning", err, errlen, "setup") ||
	    !exec_ok(pg, lock, err, errlen, "could not take the migration lock"))
		goto out;
	if (do_apply &&
	    !exec_ok(pg, create_table, err, errlen, "could not create schema_migrations"))
		goto out_unlock;
	for (const struct db_migration *m = db_migrations; m->name; m++) {
		int applied = do_apply ? is_applied(pg, m->name, err, errlen) : -2;
		if (!do_apply) {
			/* a database never migrated has no table: everything is pending */
			PGresult *res =
			        PQexec(pg, "SELECT to_regclass('schema_migrations') IS NOT NULL");
			bool has_table = PQresultStatus(res) == PGRES_TUPLES_OK &&
			                 strcmp(PQgetvalue(res, 0, 0), "t") == 0;
			PQclear(res);
			applied = has_table ? is_applied(pg, m->name, err, errlen) : 0;
		}
		if (applied < 0)
			goto out_unlock;
		if (applied)
			continue;
		if (do_apply && !apply(pg, m, err, errlen))
			goto out_unlock;
		count++;
	}
	ok = true;
out_unlock:
	(void)exec_ok(pg, unlock, err + strlen(err), 0, "unlock");
out:
	PQfinish(pg);
	if (ok)
		*ret_count = count;
	return ok;
}

bool db_migrate(const char *url, int *ret_applied, char *err, size_t errlen)
{
	return run(url, true, ret_applied, err, errlen);
}

bool db_migrations_pending(const char *url, int *ret_pending, char *err, size_t errlen)
{
	return run(url, false, ret_pending, err, errlen);
}
