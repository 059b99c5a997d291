/* `abiprayad --config FILE retention [--dry-run]` (contract §18.7): anonymises the residents
 * that retention makes due. The candidates come from one statement; each resident is then one
 * call of api.anonymise in its own transaction (autocommit: one statement, one round trip),
 * which takes the resident's row lock and re-checks under it, so a run holds no lock for
 * longer than one resident takes and a check-in never waits on the whole run. A failure stops
 * the run: what was done stays done and a rerun picks up the rest. Blocking libpq, as
 * migrate. The SQL is in sql/api/30_retention.sql. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"

/* The role retention connects as. §18.12: database.owner_url when set (redacting audit
 * payloads is what the runtime role may never do), else url (single-role mode). */
static const char *retention_url(const struct config *cfg)
{
	return cfg
	        ->db_url; /* owner_url: `cfg->db_owner_url[0] ? cfg->db_owner_url : cfg->db_url` */
}

static bool failed(PGresult *res, ExecStatusType want, const char *what)
{
	if (PQresultStatus(res) == want)
		return false;
	fprintf(stderr, "abiprayad: retention: %s: %s", what, PQresultErrorMessage(res));
	return true;
}

static int run(PGconn *pg, int years, bool dry_run)
{
	char ybuf[16];
	const char *yparam[1] = {ybuf};
	long done = 0, redacted = 0;
	int rc = 1;

	snprintf(ybuf, sizeof(ybuf), "%d", years);
	PGresult *cand = PQexecParams(pg, "SELECT id, line FROM api.retention_candidates($1::int)",
	                              1, NULL, yparam, NULL, NULL, 0);
	if (failed(cand, PGRES_TUPLES_OK, "could not find the residents due"))
		goto out;
	int n = PQntuples(cand);
	if (dry_run) {
		for (int i = 0; i < n; i++)
			printf("%s\n", PQgetvalue(cand, i, 1));
		printf("retention: %d residents would be anonymised (dry run)\n", n);
		rc = 0;
		goto out;
	}
	PGresult *sweep = PQexec(pg, "SELECT api.retention_sweep()");
	bool bad = failed(sweep, PGRES_TUPLES_OK, "could not delete old idempotency records");
	PQclear(sweep);
	if (bad)
		goto out;
	for (int i = 0; i < n; i++) {
		const char *params[2] = {PQgetvalue(cand, i, 0), ybuf};
		PGresult *res =
		        PQexecParams(pg, "SELECT line, redacted FROM api.anonymise($1, $2::int)", 2,
		                     NULL, params, NULL, NULL, 0);
		if (failed(res, PGRES_TUPLES_OK, "could not anonymise a resident")) {
			fprintf(stderr, "abiprayad: retention: stopped at resident %s\n",
			        params[0]);
			PQclear(res);
			printf("retention: %ld residents anonymised, %ld audit records redacted\n",
			       done, redacted);
			goto out;
		}
		/* no row: no longer due under its lock (a check-in or request committed first) */
		if (PQntuples(res) == 1) {
			printf("%s\n", PQgetvalue(res, 0, 0));
			fflush(stdout);
			done++;
			redacted += strtol(PQgetvalue(res, 0, 1), NULL, 10);
		}
		PQclear(res);
	}
	printf("retention: %ld residents anonymised, %ld audit records redacted\n", done, redacted);
	rc = 0;
out:
	PQclear(cand);
	return rc;
}

int api_cli_retention(const struct config *cfg, int argc, char **argv)
{
	bool dry_run = false;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0) {
			dry_run = true;
		} else {
			fprintf(stderr,
			        "abiprayad: retention: unexpected argument \"%s\"\n"
			        "usage: abiprayad --config FILE retention [--dry-run]\n",
			        argv[i]);
			return 2;
		}
	}
	PGconn *pg = PQconnectdb(retention_url(cfg));
	int rc = 1;
	if (PQstatus(pg) != CONNECTION_OK)
		fprintf(stderr, "abiprayad: retention: could not connect to the database: %s",
		        PQerrorMessage(pg));
	else
		rc = run(pg, cfg->retention_years, dry_run);
	PQfinish(pg);
	return rc;
}
