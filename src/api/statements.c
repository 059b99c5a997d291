/* The statements every pool connection prepares (docs/ops.md has the interface). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"

const struct db_stmt api_statements[] = {
        {STMT_RUN,
         "SELECT status, body, etag FROM api.run($1::bytea, $2::text, $3::text[], $4::text, "
         "$5::text, $6::text, $7::jsonb, $8::jsonb)",
         8},
        {STMT_RUN_BY,
         "SELECT status, body, etag FROM api.run_by(to_timestamp($9::float8), $1::bytea, $2::text, "
         "$3::text[], $4::text, $5::text, $6::text, $7::jsonb, $8::jsonb)",
         9},
        {STMT_LOGIN_BEGIN,
         "SELECT * FROM api.login_begin($1::text, "
         "$2::int, $3::int)",
         3},
        {STMT_LOGIN_FINISH,
         "SELECT * FROM api.login_finish($1::text, $2::uuid, $3::bool, "
         "$4::bytea, $5::int)",
         5},
        {STMT_PING, "SELECT api.ping()", 0},
        /* is the token a caller to whom what its role may not call is 404 (worker.c's gate) */
        {STMT_HIDDEN, "SELECT api.hidden($1::bytea)", 1},
        {STMT_CLEANUP, "SELECT api.cleanup()", 0},
        /* the Last-Event-ID backlog: an hour, at most 500 events */
        {STMT_EVENTS_SINCE,
         "SELECT id, name, data::text FROM app.events WHERE id > $1::bigint AND "
         "($2::uuid[] IS NULL OR house_id = ANY ($2::uuid[]) OR partner_id = $4::uuid) AND "
         "(roles IS NULL OR $3::text = ANY (roles)) AND at > now() - interval '1 hour' "
         "ORDER BY id LIMIT 500",
         4},
        /* a new stream's token, still valid and its user unchanged since me.get: the seconds
         * to its expiry (no row: revoked meanwhile) */
        {STMT_EVENTS_SESSION,
         "SELECT extract(epoch FROM s.expires_at - now()) FROM app.sessions s "
         "JOIN app.users u ON u.id = s.user_id WHERE s.token_hash = $1::bytea AND "
         "s.expires_at > now() AND u.active AND u.version = $2::int",
         2},
};
const size_t api_nstatements = sizeof(api_statements) / sizeof(api_statements[0]);

/* A direct read: api.direct_<op with . as _>(token_hash, roles, args, tag) -> (status, body,
 * etag, tag, disclosure), prepared under the op's name. disclosure: the records the answer
 * calls for (contract §18.4), NULL for none. */
#define DIRECT_SQL                                                                                 \
	"SELECT status, body, etag, tag, disclosure FROM api.direct_%s($1::bytea, $2::text[], "    \
	"$3::jsonb, $4::uuid)"
/* The same read when it calls for disclosure records: they are written in its statement
 * (a data-modifying CTE), so they commit with the read, before the answer; prepared under
 * the op's name and DISCLOSING. */
#define DISCLOSING "!disclose"
#define DISCLOSING_SQL                                                                             \
	"WITH x AS MATERIALIZED (SELECT * FROM api.direct_%s($1::bytea, $2::text[], $3::jsonb, "   \
	"$4::uuid)), d AS (INSERT INTO app.disclosures (kind, user_id, role, partner_id, "         \
	"resident_id, house_id, entity, entity_id, fields, purpose, consent_id, request_id, "      \
	"path) "                                                                                   \
	"SELECT r.kind, r.user_id, r.role, r.partner_id, r.resident_id, r.house_id, r.entity, "    \
	"r.entity_id, r.fields, r.purpose, r.consent_id, r.request_id, r.path FROM x CROSS JOIN "  \
	"LATERAL jsonb_populate_recordset(NULL::app.disclosures, x.disclosure) r) "                \
	"SELECT status, body, etag, tag, NULL::jsonb FROM x"

const char *api_disclosing_statement(const struct api_route *route, struct arena *a)
{
	size_t len = strlen(route->op);
	char *name = arena_alloc(a, len + sizeof(DISCLOSING));

	memcpy(name, route->op, len);
	memcpy(name + len, DISCLOSING, sizeof(DISCLOSING));
	return name;
}

static void add_direct(struct db_stmt *st, const char *op, bool disclosing)
{
	char *fn = xstrdup(op);

	for (char *p = fn; *p; p++)
		if (*p == '.')
			*p = '_';
	st->name = xasprintf("%s%s", op, disclosing ? DISCLOSING : "");
	st->sql = disclosing ? xasprintf(DISCLOSING_SQL, fn) : xasprintf(DIRECT_SQL, fn);
	st->nparams = 4;
	free(fn);
}

struct db_stmt *api_statements_build(size_t *ret_n)
{
	size_t n = api_nstatements;
	struct db_stmt *stmts = xcalloc(api_nstatements + 2 * api_nroutes, sizeof(*stmts));

	memcpy(stmts, api_statements, sizeof(api_statements));
	for (size_t i = 0; i < api_nroutes; i++) {
		const struct api_route *r = &api_routes[i];
		if (!(r->flags & ROUTE_DIRECT))
			continue;
		add_direct(&stmts[n++], r->op, false);
		if (r->discloses)
			add_direct(&stmts[n++], r->op, true);
	}
	*ret_n = n;
	return stmts;
}

void api_statements_free(struct db_stmt *stmts, size_t n)
{
	for (size_t i = api_nstatements; stmts && i < n; i++) {
		free((char *)stmts[i].name);
		free((char *)stmts[i].sql);
	}
	free(stmts);
}
