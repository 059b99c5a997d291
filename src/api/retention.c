/* `abiprayad --config FILE retention [--dry-run]` (contract §18.7): anonymises the residents
 * that retention makes due. The candidates come from one statement; each resident is then one
 * call of api.anonymise in its own transaction (one statement and its sync), which takes the
 * resident's row lock and re-checks under it, so a run holds no lock for longer than one
 * resident takes and a check-in never waits on the whole run; a few connections do that at
 * once, each a pipeline. A failure stops the run (the summary still counts what was done): what
 * was done stays done and a rerun picks up the rest. Blocking libpq, as migrate (a pipeline of
 * a few short calls cannot fill the socket's buffers). The SQL is in sql/api/30_retention.sql. */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"

/* The owner's connection when there is one (contract §18.12: redacting audit payloads is the
 * one thing the runtime role may never do); both URLs carry the audit key (main.c). */
static PGconn *retention_connect(const struct config *cfg)
{
	return PQconnectdb(cfg->db_owner_url[0] ? cfg->db_owner_url : cfg->db_url);
}

static bool failed(PGresult *res, ExecStatusType want, const char *what)
{
	if (PQresultStatus(res) == want)
		return false;
	fprintf(stderr, "abiprayad: retention: %s: %s", what, PQresultErrorMessage(res));
	return true;
}

/* The anonymisations run on RETENTION_CONNECTIONS connections at once, each taking the next
 * candidate: a resident's transaction is a millisecond or two of statements that wait on
 * nothing but the audit chain's head at its very end, so they overlap well. Each connection
 * is a pipeline (libpq's pipeline mode) holding RETENTION_AHEAD residents, each call followed
 * by its own sync, so each is still its own transaction: the server starts the next one as
 * soon as one commits instead of waiting for this thread to read the answer and send again
 * (idle connections were a third of a 4-connection run on 2 cores). */
#define RETENTION_CONNECTIONS 4
#define RETENTION_AHEAD       2

struct job {
	PGresult *cand;
	const struct config *cfg;
	const char *years;
	int n;
	int next;            /* the next candidate, under mu */
	long done, redacted; /* under mu */
	bool failed;         /* under mu: stop taking candidates */
	pthread_mutex_t mu;
};

/* The next candidate to send, or -1: none left, or the run failed. */
static int take(struct job *j)
{
	pthread_mutex_lock(&j->mu);
	int i = j->failed || j->next >= j->n ? -1 : j->next++;
	pthread_mutex_unlock(&j->mu);
	return i;
}

static void stop(struct job *j, PGconn *pg, const char *what)
{
	pthread_mutex_lock(&j->mu);
	fprintf(stderr, "abiprayad: retention: %s: %s", what, PQerrorMessage(pg));
	j->failed = true;
	pthread_mutex_unlock(&j->mu);
}

/* A connection of the anonymisations. Their commits do not wait for the WAL to reach disk
 * (synchronous_commit off, these connections only): each resident's transaction is still
 * atomic, and a crash loses at most the last few anonymisations, which the next run redoes
 * (the command is idempotent). A commit is made under the audit chain's head, which every
 * write of every instance waits on, so the flush it no longer waits for was every check-in's
 * wait too. */
static PGconn *worker_connect(struct job *j)
{
	PGconn *pg = retention_connect(j->cfg);

	if (PQstatus(pg) != CONNECTION_OK) {
		stop(j, pg, "could not connect to the database");
		return pg;
	}
	PGresult *res = PQexec(pg, "SET synchronous_commit = off");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		stop(j, pg, "could not configure a connection");
	PQclear(res);
	return pg;
}

/* Candidate i's call, then its sync: the end of its transaction. */
static bool send_one(PGconn *pg, struct job *j, int i)
{
	const char *params[2] = {PQgetvalue(j->cand, i, 0), j->years};
	return PQsendQueryParams(pg, "SELECT line, redacted FROM api.anonymise($1, $2::int)", 2,
	                         NULL, params, NULL, NULL, 0) &&
	       PQpipelineSync(pg);
}

/* Candidate i's answer, the oldest in the pipeline: its result, the end of its results and
 * its sync. False when it failed. */
static bool receive_one(PGconn *pg, struct job *j, int i)
{
	PGresult *res = PQgetResult(pg);
	bool ok = true;

	pthread_mutex_lock(&j->mu);
	if (res == NULL || failed(res, PGRES_TUPLES_OK, "could not anonymise a resident")) {
		if (res == NULL)
			fprintf(stderr, "abiprayad: retention: %s", PQerrorMessage(pg));
		fprintf(stderr, "abiprayad: retention: stopped at resident %s\n",
		        PQgetvalue(j->cand, i, 0));
		j->failed = true;
		ok = false;
	} else if (PQntuples(res) == 1) { /* none: a check-in or request committed first */
		printf("%s\n", PQgetvalue(res, 0, 0));
		fflush(stdout);
		j->done++;
		j->redacted += strtol(PQgetvalue(res, 0, 1), NULL, 10);
	}
	pthread_mutex_unlock(&j->mu);
	for (; res != NULL; res = PQgetResult(pg)) /* up to the NULL that ends the call's results */
		PQclear(res);
	PQclear(PQgetResult(pg)); /* PGRES_PIPELINE_SYNC (NULL when the connection is gone) */
	return ok;
}

static void *worker(void *arg)
{
	struct job *j = arg;
	PGconn *pg = worker_connect(j);
	int ring[RETENTION_AHEAD]; /* the candidates in the pipeline, oldest at ring[first] */
	int first = 0, queued = 0;
	bool sending = PQstatus(pg) == CONNECTION_OK;

	if (sending && !PQenterPipelineMode(pg)) {
		stop(j, pg, "could not enter pipeline mode");
		sending = false;
	}
	for (;;) {
		while (sending && queued < RETENTION_AHEAD) {
			int i = take(j);
			if (i < 0) {
				sending = false;
			} else if (!send_one(pg, j, i)) {
				stop(j, pg, "could not send a resident's anonymisation");
				sending = false;
			} else {
				ring[(first + queued++) % RETENTION_AHEAD] = i;
			}
		}
		if (queued == 0)
			break;
		if (!receive_one(pg, j, ring[first]))
			sending = false;
		first = (first + 1) % RETENTION_AHEAD;
		queued--;
	}
	PQfinish(pg);
	return NULL;
}

static int run(PGconn *pg, const struct config *cfg, bool dry_run)
{
	char ybuf[16];
	const char *yparam[1] = {ybuf};
	int rc = 1;

	snprintf(ybuf, sizeof(ybuf), "%d", cfg->retention_years);
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
	struct job j = {.cand = cand, .cfg = cfg, .years = ybuf, .n = n};
	pthread_t threads[RETENTION_CONNECTIONS];
	int started = 0;
	pthread_mutex_init(&j.mu, NULL);
	for (; started < RETENTION_CONNECTIONS && started < n; started++)
		if (pthread_create(&threads[started], NULL, worker, &j) != 0)
			break;
	if (started == 0 && n > 0)
		worker(&j); /* no thread to be had: this one does it all */
	for (int i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	pthread_mutex_destroy(&j.mu);
	printf("retention: %ld residents anonymised, %ld audit records redacted\n", j.done,
	       j.redacted);
	rc = j.failed ? 1 : 0;
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
	PGconn *pg = retention_connect(cfg);
	int rc = 1;
	if (PQstatus(pg) != CONNECTION_OK)
		fprintf(stderr, "abiprayad: retention: could not connect to the database: %s",
		        PQerrorMessage(pg));
	else
		rc = run(pg, cfg, dry_run);
	PQfinish(pg);
	return rc;
}
