#include "abipraya/db/roles.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#include "abipraya/core/strbuf.h"
#include "db_internal.h"

/* What makes the connected role more than a runtime role, one row each, from the catalogs
 * alone (readable by any role, so that a role missing its grants is judged too). The owner
 * role is the owner of schema app; "owns" counts what a role of which it is a member owns
 * (the schemas, their tables, sequences, views, functions and types). A superuser is told
 * that alone: every other test is true of it. */
static const char check_sql[] =
        "WITH me AS (SELECT * FROM pg_roles WHERE rolname = current_user),"
        " s AS (SELECT oid, nspname, nspowner FROM pg_namespace"
        "       WHERE nspname IN ('app', 'api', 'public')),"
        " owned AS (SELECT nspname AS name FROM s WHERE pg_has_role(nspowner, 'MEMBER')"
        "   UNION ALL SELECT c.oid::regclass::text FROM pg_class c JOIN s ON s.oid = c.relnamespace"
        "    WHERE pg_has_role(c.relowner, 'MEMBER')"
        "   UNION ALL SELECT p.oid::regprocedure::text FROM pg_proc p JOIN s ON s.oid = "
        "p.pronamespace"
        "    WHERE pg_has_role(p.proowner, 'MEMBER')"
        "   UNION ALL SELECT t.oid::regtype::text FROM pg_type t JOIN s ON s.oid = t.typnamespace"
        "    WHERE t.typtype <> 'c' AND t.typelem = 0 AND pg_has_role(t.typowner, 'MEMBER')),"
        " problems (k, problem) AS ("
        "   SELECT 1, 'is a superuser' FROM me WHERE rolsuper"
        "   UNION ALL SELECT 2, 'has CREATEROLE' FROM me WHERE rolcreaterole"
        "   UNION ALL SELECT 3, 'has CREATEDB' FROM me WHERE rolcreatedb"
        "   UNION ALL SELECT 4, 'has BYPASSRLS' FROM me WHERE rolbypassrls"
        "   UNION ALL SELECT 5, CASE WHEN nspowner = me.oid THEN 'is the owner role (of schema "
        "app)'"
        "     ELSE format('is a member of the owner role \"%s\" (of schema app)',"
        "                 pg_get_userbyid(nspowner)) END"
        "     FROM s, me WHERE nspname = 'app' AND pg_has_role(nspowner, 'MEMBER')"
        "   UNION ALL SELECT 6, format('owns %s object(s) of the schemas (%s among them)',"
        "                              count(*), min(name)) FROM owned HAVING count(*) > 0"
        "   UNION ALL SELECT 7, 'may CREATE in schema ' || string_agg(nspname, ', ' ORDER BY "
        "nspname)"
        "     FROM s WHERE has_schema_privilege(oid, 'CREATE') HAVING count(*) > 0"
        "   UNION ALL SELECT 8, 'may CREATE in the database'"
        "     WHERE has_database_privilege(current_database(), 'CREATE')"
        "   UNION ALL SELECT 9, format('holds %s on %s (beyond SELECT and INSERT)',"
        "                              string_agg(priv, ', ' ORDER BY o), c.oid::regclass)"
        "     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,"
        "          unnest(ARRAY['UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'])"
        "            WITH ORDINALITY AS x (priv, o)"
        "    WHERE n.nspname = 'app' AND c.relname IN ('audit_log', 'disclosures')"
        "      AND CASE WHEN priv IN ('UPDATE', 'REFERENCES') THEN has_any_column_privilege(c.oid, "
        "priv)"
        "          ELSE has_table_privilege(c.oid, priv) END"
        "    GROUP BY c.oid)"
        " SELECT current_user, problem FROM problems"
        "  WHERE k = 1 OR NOT EXISTS (SELECT 1 FROM me WHERE rolsuper) ORDER BY k, problem";

PGconn *db_connect_blocking(const char *url, char *err, size_t errlen)
{
	PGconn *pg = PQconnectdb(url);
	if (PQstatus(pg) != CONNECTION_OK) {
		snprintf(err, errlen, "could not connect to the database: %s", PQerrorMessage(pg));
		PQfinish(pg);
		return NULL;
	}
	return pg;
}

/* Runs SQL (no parameters) on a new connection to URL; the result, or NULL with err. */
static PGresult *query_once(const char *url, const char *sql, char *err, size_t errlen)
{
	PGconn *pg = db_connect_blocking(url, err, errlen);
	PGresult *res;

	if (!pg)
		return NULL;
	res = PQexec(pg, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "could not read the roles: %s", PQresultErrorMessage(res));
		PQclear(res);
		res = NULL;
	}
	PQfinish(pg);
	return res;
}

bool db_login_role(const char *url, char *ret, size_t retlen, char *err, size_t errlen)
{
	PGresult *res = query_once(url, "SELECT current_user", err, errlen);

	if (!res)
		return false;
	snprintf(ret, retlen, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return true;
}

bool db_check_least_privilege(const char *url, char *err, size_t errlen)
{
	PGresult *res = query_once(url, check_sql, err, errlen);
	struct strbuf msg = STRBUF_INIT;
	bool ok;

	if (!res)
		return false;
	ok = PQntuples(res) == 0;
	for (int i = 0; i < PQntuples(res); i++)
		strbuf_addf(&msg, "%s%s", i ? "; " : "", PQgetvalue(res, i, 1));
	if (!ok)
		snprintf(err, errlen,
		         "least privilege (database.owner_url is set): the role \"%s\" that "
		         "database.url logs in as %s; serve refuses to run with it: give url a "
		         "role of its own and run migrate (deploy/README.md)",
		         PQgetvalue(res, 0, 0), strbuf_str(&msg));
	PQclear(res);
	strbuf_finish(&msg);
	return ok;
}
