#include "abipraya/db/migrate.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#include "abipraya/core/strbuf.h"
#include "db_internal.h"

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
 * checksums were recorded. schema_repeatables: the same for the files of sql/api/, whose
 * row is rewritten each time the file is applied again. */
static const char create_tables[] =
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now(),"
        " checksum text);"
        "ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text;"
        "CREATE TABLE IF NOT EXISTS schema_repeatables ("
        " name text PRIMARY KEY, checksum text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())";

/* The versioned migrations of the binaries from before sql/ was split into versioned and
 * repeatable files, known by name and by the checksum they recorded (their texts are in
 * the history of git, not here). What they created is now made by sql/api/ (functions,
 * re-created on top: same signatures) and, for 0002, by the versioned migration COVERS,
 * which a database recording 0002_api.sql has in effect and is recorded as applied
 * without running. */
static const struct retired {
	const char *name;
	const char *checksum;
	const char *covers; /* a versioned migration of db_migrations, or NULL */
} retired[] = {
        {"0002_api.sql", "e812fa95a0a0d61155105d24777ec2c1", "0002_api_types.sql"},
        {"0003_api_ops.sql", "d2fe7832c3346f2245c0d3756eb7fd22", NULL},
};

#define NRETIRED (sizeof(retired) / sizeof(retired[0]))

/* What a step found; err holds the message unless OK. MISMATCH: the database was migrated
 * with other migrations than this binary's, which no retry mends. */
enum status { FAILED, MISMATCH, OK };

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

/* One statement with one or two text parameters (P2 NULL: one), whose rows are not wanted. */
static bool exec_params(PGconn *pg, const char *sql, const char *p1, const char *p2, char *err,
                        size_t errlen, const char *what)
{
	const char *params[2] = {p1, p2};
	PGresult *res = PQexecParams(pg, sql, p2 ? 2 : 1, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

	if (!ok)
		snprintf(err, errlen, "%s: %s", what, PQresultErrorMessage(res));
	PQclear(res);
	return ok;
}

static int has_table(PGconn *pg, const char *table, char *err, size_t errlen)
{
	const char *params[1] = {table};
	PGresult *res = PQexecParams(pg, "SELECT to_regclass($1) IS NOT NULL", 1, NULL, params,
	                             NULL, NULL, 0);
	int has = -1;
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		has = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	else
		snprintf(err, errlen, "could not read %s: %s", table, PQresultErrorMessage(res));
	PQclear(res);
	return has;
}

static const struct retired *find_retired(const char *version)
{
	for (size_t i = 0; i < NRETIRED; i++)
		if (strcmp(retired[i].name, version) == 0)
			return &retired[i];
	return NULL;
}

static bool is_known(const char *version)
{
	for (const struct db_migration *m = db_migrations; m->name; m++)
		if (strcmp(m->name, version) == 0)
			return true;
	return find_retired(version) != NULL;
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

/* Whether version NAME is recorded, and with the expected checksum: CHECKSUM, or the md5
 * of SQL (the text embedded here) when CHECKSUM is NULL, so that the database computes
 * both and the db layer needs no hash of its own. to_jsonb: a table made before checksums
 * has no such column until migrate adds it, after this check; it reads as NULL. */
static enum status is_recorded(PGconn *pg, const char *name, const char *sql, const char *checksum,
                               bool *ret_recorded, char *err, size_t errlen)
{
	const char *params[3] = {name, sql, checksum};
	PGresult *res = PQexecParams(pg,
	                             "SELECT c IS NULL, c = coalesce($3, md5($2::text)) FROM"
	                             " (SELECT to_jsonb(s) ->> 'checksum' AS c"
	                             " FROM schema_migrations s WHERE version = $1) r",
	                             3, NULL, params, NULL, NULL, 0);
	enum status st = FAILED;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "could not read schema_migrations: %s",
		         PQresultErrorMessage(res));
		goto out;
	}
	*ret_recorded = PQntuples(res) > 0;
	st = OK;
	if (!*ret_recorded || strcmp(PQgetvalue(res, 0, 1), "t") == 0)
		goto out;
	st = MISMATCH;
	if (strcmp(PQgetvalue(res, 0, 0), "t") == 0)
		snprintf(err, errlen,
		         "migration %s: the database was migrated with a text of it that cannot be "
		         "checked (applied by an abiprayad that recorded no "
		         "checksum): " ADVICE_EDITED,
		         name);
	else
		snprintf(err, errlen,
		         "migration %s: the database was migrated with another text of it (the "
		         "recorded checksum differs from this abiprayad's): " ADVICE_EDITED,
		         name);
out:
	PQclear(res);
	return st;
}

/* What a versioned migration is to a database: recorded, pending, or in effect through a
 * retired version recorded in its place (to be recorded, not run). */
enum state { APPLIED, PENDING, COVERED };

static enum status versioned_state(PGconn *pg, const struct db_migration *m, enum state *ret_state,
                                   char *err, size_t errlen)
{
	bool recorded = false;
	enum status st = is_recorded(pg, m->name, m->sql, NULL, &recorded, err, errlen);

	*ret_state = recorded ? APPLIED : PENDING;
	for (size_t i = 0; st == OK && !recorded && i < NRETIRED; i++) {
		if (!retired[i].covers || strcmp(retired[i].covers, m->name) != 0)
			continue;
		st = is_recorded(pg, retired[i].name, NULL, retired[i].checksum, &recorded, err,
		                 errlen);
		if (recorded)
			*ret_state = COVERED;
	}
	return st;
}

/* Whether repeatable R must be applied: never applied (or no table yet: TABLE_EXISTS false),
 * or applied with another text. */
static enum status is_stale(PGconn *pg, const struct db_migration *r, bool table_exists,
                            bool *ret_stale, char *err, size_t errlen)
{
	const char *params[2] = {r->name, r->sql};
	PGresult *res;

	*ret_stale = true;
	if (!table_exists)
		return OK;
	res = PQexecParams(
	        pg, "SELECT checksum = md5($2::text) FROM schema_repeatables WHERE name = $1", 2,
	        NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "could not read schema_repeatables: %s",
		         PQresultErrorMessage(res));
		PQclear(res);
		return FAILED;
	}
	*ret_stale = PQntuples(res) == 0 || strcmp(PQgetvalue(res, 0, 0), "t") != 0;
	PQclear(res);
	return OK;
}

/* Everything recorded must be this binary's, checked before anything is applied or
 * changed, so that a refused migrate leaves the database as it was; counts what migrate
 * would do: the versioned migrations not recorded and the repeatables that are stale. */
static enum status check(PGconn *pg, int *ret_pending, char *err, size_t errlen)
{
	int has = has_table(pg, "schema_migrations", err, errlen);
	enum status st;
	enum state state;
	bool recorded = false, stale = false;

	*ret_pending = 0;
	if (has <= 0) {
		/* a database never migrated has no table: everything is pending */
		for (const struct db_migration *m = db_migrations; m->name; m++)
			(*ret_pending)++;
		for (const struct db_migration *r = db_repeatables; r->name; r++)
			(*ret_pending)++;
		return has < 0 ? FAILED : OK;
	}
	st = check_unknown(pg, err, errlen);
	for (size_t i = 0; st == OK && i < NRETIRED; i++)
		st = is_recorded(pg, retired[i].name, NULL, retired[i].checksum, &recorded, err,
		                 errlen);
	for (const struct db_migration *m = db_migrations; st == OK && m->name; m++) {
		st = versioned_state(pg, m, &state, err, errlen);
		if (st == OK && state != APPLIED)
			(*ret_pending)++;
	}
	has = st == OK ? has_table(pg, "schema_repeatables", err, errlen) : 0;
	if (has < 0)
		return FAILED;
	for (const struct db_migration *r = db_repeatables; st == OK && r->name; r++) {
		st = is_stale(pg, r, has, &stale, err, errlen);
		if (st == OK && stale)
			(*ret_pending)++;
	}
	return st;
}

/* Runs M's text (unless RUN is false: a retired version recorded put it in effect) and
 * records it, in the transaction of the caller. */
static bool apply_versioned(PGconn *pg, const struct db_migration *m, bool run, char *err,
                            size_t errlen)
{
	char what[160];

	snprintf(what, sizeof(what), "migration %s failed", m->name);
	/* the checksum of exactly the text embedded, computed by the database */
	return (!run || exec_ok(pg, m->sql, err, errlen, what)) &&
	       exec_params(pg,
	                   "INSERT INTO schema_migrations (version, checksum) VALUES ($1, "
	                   "md5($2::text))",
	                   m->name, m->sql, err, errlen, what);
}

static bool apply_repeatable(PGconn *pg, const struct db_migration *r, char *err, size_t errlen)
{
	char what[160];

	snprintf(what, sizeof(what), "repeatable migration %s failed", r->name);
	return exec_ok(pg, r->sql, err, errlen, what) &&
	       exec_params(
	               pg,
	               "INSERT INTO schema_repeatables (name, checksum) VALUES ($1, md5($2::text))"
	               " ON CONFLICT (name) DO UPDATE SET checksum = EXCLUDED.checksum,"
	               " applied_at = now()",
	               r->name, r->sql, err, errlen, what);
}

/* The pending versioned migrations in order, then the stale repeatables in order (all of
 * them after a versioned one ran: it may have dropped or changed what they define, a
 * function taking a table's row type for one), in the transaction of the caller. */
static bool apply_pending(PGconn *pg, int *ret_count, char *err, size_t errlen)
{
	enum state state;
	bool stale = false;
	int versioned = 0;

	*ret_count = 0;
	if (!exec_ok(pg, create_tables, err, errlen, "could not create schema_migrations"))
		return false;
	for (const struct db_migration *m = db_migrations; m->name; m++) {
		if (versioned_state(pg, m, &state, err, errlen) != OK)
			return false;
		if (state == APPLIED)
			continue;
		if (!apply_versioned(pg, m, state == PENDING, err, errlen))
			return false;
		versioned += state == PENDING;
	}
	for (const struct db_migration *r = db_repeatables; r->name; r++) {
		if (is_stale(pg, r, true, &stale, err, errlen) != OK)
			return false;
		if (!stale && !versioned)
			continue;
		if (!apply_repeatable(pg, r, err, errlen))
			return false;
		(*ret_count)++;
	}
	*ret_count += versioned;
	return true;
}

/* All of it in one transaction: a migration that fails leaves the database as it was,
 * and no instance ever sees new tables with old functions, or new tables without their
 * grants: with RUNTIME (the runtime role of two-role mode, 18.12) the grants of
 * app.grant_runtime end every run, whether anything was pending or not. */
static bool apply_all(PGconn *pg, const char *runtime, int *ret_count, char *err, size_t errlen)
{
	if (!exec_ok(pg, "BEGIN", err, errlen, "could not begin"))
		return false;
	if (!apply_pending(pg, ret_count, err, errlen) ||
	    (runtime && !exec_params(pg, "SELECT app.grant_runtime($1)", runtime, NULL, err, errlen,
	                             "could not grant the runtime role its privileges"))) {
		(void)exec_ok(pg, "ROLLBACK", err + strlen(err), 0, "rollback");
		return false;
	}
	return exec_ok(pg, "COMMIT", err, errlen, "could not commit the migrations");
}

static enum status run(const char *url, const char *runtime, bool do_apply, int *ret_count,
                       char *err, size_t errlen)
{
	char lock[96], unlock[96];
	int count = 0;
	enum status st = FAILED;
	PGconn *pg;

	err[0] = '\0'; /* the unlock's err + strlen(err), on success too */
	pg = db_connect_blocking(url, err, errlen);
	if (!pg)
		return FAILED;
	snprintf(lock, sizeof(lock), "SELECT pg_advisory_lock(%d)", MIGRATION_LOCK);
	snprintf(unlock, sizeof(unlock), "SELECT pg_advisory_unlock(%d)", MIGRATION_LOCK);
	if (!exec_ok(pg, "SET client_min_messages = warning", err, errlen, "setup") ||
	    !exec_ok(pg, lock, err, errlen, "could not take the migration lock"))
		goto out;
	st = check(pg, &count, err, errlen);
	if (st == OK && do_apply && !apply_all(pg, runtime, &count, err, errlen))
		st = FAILED;
	(void)exec_ok(pg, unlock, err + strlen(err), 0, "unlock");
out:
	PQfinish(pg);
	if (st == OK)
		*ret_count = count;
	return st;
}

bool db_migrate(const char *url, const char *runtime, int *ret_applied, char *err, size_t errlen)
{
	return run(url, runtime, true, ret_applied, err, errlen) == OK;
}

bool db_migrations_pending(const char *url, int *ret_pending, bool *ret_mismatch, char *err,
                           size_t errlen)
{
	enum status st = run(url, NULL, false, ret_pending, err, errlen);

	*ret_mismatch = st == MISMATCH;
	return st == OK;
}
