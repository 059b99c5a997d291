#include "abipraya/db/migrate.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#include "abipraya/core/strbuf.h"

#define MIGRATION_LOCK 7262011 /* pg_advisory_lock key: "abipraya migrations" */

/* The advice of a refusal: until the first deployment migrations are rewritten in place
 * and a database migrated earlier is simply made anew; after it they are forward-only.
 * scripts/run looks for "recreate the database". */
#define ADVICE_EDITED                                                                              \
	"recreate the database, or, after a deployment, never edit an applied migration: add a "   \
	"new one"
#define ADVICE_UNKNOWN                                                                             \
	"recreate the database, or run the abiprayad it was migrated with; after a deployment, "   \
	"never remove or rename an applied migration"

/* checksum: md5 of the text applied, so that a database migrated with another text of a
 * file is caught instead of failing at run time; the ALTER adds it to a table made before
 * checksums were recorded */
static const char create_table[] =
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now(),"
        " checksum text);"
        "ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text";

/* What a step found; err holds the message unless OK. MISMATCH: the database was migrated
 * with other migrations than this binary's, which no retry mends. */
enum status { FAILED, MISMATCH, OK };

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

static int has_table(PGconn *pg, char *err, size_t errlen)
{
	PGresult *res = PQexec(pg, "SELECT to_regclass('schema_migrations') IS NOT NULL");
	int has = -1;
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		has = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	else
		snprintf(err, errlen, "could not read schema_migrations: %s",
		         PQresultErrorMessage(res));
	PQclear(res);
	return has;
}

static bool is_known(const char *version)
{
	for (const struct db_migration *m = db_migrations; m->name; m++)
		if (strcmp(m->name, version) == 0)
			return true;
	return false;
}

/* Versions recorded that this binary has no file for: a database migrated by another
 * version (one from before migrations were folded together, or a newer one). */
static enum status check_unknown(PGconn *pg, char *err, size_t errlen)
{
	struct strbuf names = STRBUF_INIT;
	enum status st = FAILED;
	PGresult *res = PQexec(pg, "SELECT version FROM schema_migrations ORDER BY version");

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "could not read schema_migrations: %s",
		         PQresultErrorMessage(res));
		goto out;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		const char *version = PQgetvalue(res, i, 0);
		if (!is_known(version))
			strbuf_addf(&names, "%s%s", names.len ? ", " : "", version);
	}
	st = names.len ? MISMATCH : OK;
	if (st == MISMATCH)
		snprintf(err, errlen,
		         "schema_migrations lists migrations this abiprayad does not know: %s (the "
		         "database was migrated by another version of abiprayad): " ADVICE_UNKNOWN,
		         strbuf_str(&names));
out:
	PQclear(res);
	strbuf_finish(&names);
	return st;
}

/* Whether M is applied, and with the text embedded here: the database computes both
 * checksums, so the db layer needs no hash of its own. to_jsonb: a table made before
 * checksums has no such column until migrate adds it, after this check; it reads as NULL. */
static enum status is_applied(PGconn *pg, const struct db_migration *m, bool *ret_applied,
                              char *err, size_t errlen)
{
	const char *params[2] = {m->name, m->sql};
	PGresult *res = PQexecParams(pg,
	                             "SELECT c IS NULL, c = md5($2::text) FROM"
	                             " (SELECT to_jsonb(s) ->> 'checksum' AS c"
	                             " FROM schema_migrations s WHERE version = $1) r",
	                             2, NULL, params, NULL, NULL, 0);
	enum status st = FAILED;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "could not read schema_migrations: %s",
		         PQresultErrorMessage(res));
		goto out;
	}
	*ret_applied = PQntuples(res) > 0;
	st = OK;
	if (!*ret_applied || strcmp(PQgetvalue(res, 0, 1), "t") == 0)
		goto out;
	st = MISMATCH;
	if (strcmp(PQgetvalue(res, 0, 0), "t") == 0)
		snprintf(err, errlen,
		         "migration %s: the database was migrated with a text of it that cannot be "
		         "checked (applied by an abiprayad that recorded no "
		         "checksum): " ADVICE_EDITED,
		         m->name);
	else
		snprintf(err, errlen,
		         "migration %s: the database was migrated with another text of it (the "
		         "recorded checksum differs from this abiprayad's): " ADVICE_EDITED,
		         m->name);
out:
	PQclear(res);
	return st;
}

/* Everything recorded must be this binary's, checked before anything is applied or
 * changed, so that a refused migrate leaves the database as it was; counts the pending. */
static enum status check(PGconn *pg, int *ret_pending, char *err, size_t errlen)
{
	int has = has_table(pg, err, errlen);
	enum status st;
	bool applied = false;

	*ret_pending = 0;
	if (has <= 0) {
		/* a database never migrated has no table: everything is pending */
		for (const struct db_migration *m = db_migrations; m->name; m++)
			(*ret_pending)++;
		return has < 0 ? FAILED : OK;
	}
	st = check_unknown(pg, err, errlen);
	for (const struct db_migration *m = db_migrations; st == OK && m->name; m++) {
		st = is_applied(pg, m, &applied, err, errlen);
		if (st == OK && !applied)
			(*ret_pending)++;
	}
	return st;
}

static bool apply(PGconn *pg, const struct db_migration *m, char *err, size_t errlen)
{
	char what[160];
	const char *params[2] = {m->name, m->sql};

	snprintf(what, sizeof(what), "migration %s failed", m->name);
	if (!exec_ok(pg, "BEGIN", err, errlen, what))
		return false;
	if (!exec_ok(pg, m->sql, err, errlen, what)) {
		(void)exec_ok(pg, "ROLLBACK", err + strlen(err), 0, what);
		return false;
	}
	/* the checksum of exactly the text just run, computed by the database */
	PGresult *res = PQexecParams(pg,
	                             "INSERT INTO schema_migrations (version, checksum)"
	                             " VALUES ($1, md5($2::text))",
	                             2, NULL, params, NULL, NULL, 0);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		snprintf(err, errlen, "%s: could not record it: %s", what,
		         PQresultErrorMessage(res));
	PQclear(res);
	return ok && exec_ok(pg, "COMMIT", err, errlen, what);
}

static bool apply_pending(PGconn *pg, int *ret_count, char *err, size_t errlen)
{
	bool applied = false;

	*ret_count = 0;
	if (!exec_ok(pg, create_table, err, errlen, "could not create schema_migrations"))
		return false;
	for (const struct db_migration *m = db_migrations; m->name; m++) {
		if (is_applied(pg, m, &applied, err, errlen) != OK)
			return false;
		if (applied)
			continue;
		if (!apply(pg, m, err, errlen))
			return false;
		(*ret_count)++;
	}
	return true;
}

static enum status run(const char *url, bool do_apply, int *ret_count, char *err, size_t errlen)
{
	char lock[96], unlock[96];
	int count = 0;
	enum status st = FAILED;
	PGconn *pg;

	err[0] = '\0'; /* the unlock's err + strlen(err), on success too */
	pg = connect_db(url, err, errlen);
	if (!pg)
		return FAILED;
	snprintf(lock, sizeof(lock), "SELECT pg_advisory_lock(%d)", MIGRATION_LOCK);
	snprintf(unlock, sizeof(unlock), "SELECT pg_advisory_unlock(%d)", MIGRATION_LOCK);
	if (!exec_ok(pg, "SET client_min_messages = warning", err, errlen, "setup") ||
	    !exec_ok(pg, lock, err, errlen, "could not take the migration lock"))
		goto out;
	st = check(pg, &count, err, errlen);
	if (st == OK && do_apply && !apply_pending(pg, &count, err, errlen))
		st = FAILED;
	(void)exec_ok(pg, unlock, err + strlen(err), 0, "unlock");
out:
	PQfinish(pg);
	if (st == OK)
		*ret_count = count;
	return st;
}

bool db_migrate(const char *url, int *ret_applied, char *err, size_t errlen)
{
	return run(url, true, ret_applied, err, errlen) == OK;
}

bool db_migrations_pending(const char *url, int *ret_pending, bool *ret_mismatch, char *err,
                           size_t errlen)
{
	enum status st = run(url, false, ret_pending, err, errlen);

	*ret_mismatch = st == MISMATCH;
	return st == OK;
}
