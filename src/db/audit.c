#include "abipraya/db/audit.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#include "abipraya/core/strbuf.h"
#include "db_internal.h"

#define KEY_OPTION "-c abipraya.audit_key="

static void add_quoted(struct strbuf *sb, const char *v)
{
	strbuf_addc(sb, '\'');
	for (; *v; v++) {
		if (*v == '\'' || *v == '\\')
			strbuf_addc(sb, '\\');
		strbuf_addc(sb, *v);
	}
	strbuf_addc(sb, '\'');
}

char *db_url_with_key(const char *url, const char *key_hex)
{
	PQconninfoOption *opts = PQconninfoParse(url, NULL);
	struct strbuf sb = STRBUF_INIT;
	bool had_options = false;

	if (!opts)
		return NULL;
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		bool options = strcmp(o->keyword, "options") == 0;
		if (!o->val && !options)
			continue;
		strbuf_addf(&sb, "%s%s=", sb.len ? " " : "", o->keyword);
		if (options) {
			struct strbuf v = STRBUF_INIT;
			strbuf_addf(&v, "%s%s" KEY_OPTION "%s", o->val ? o->val : "",
			            o->val && *o->val ? " " : "", key_hex);
			add_quoted(&sb, strbuf_str(&v));
			explicit_bzero(v.data, v.len);
			strbuf_finish(&v);
			had_options = true;
		} else {
			add_quoted(&sb, o->val);
		}
	}
	PQconninfoFree(opts);
	if (!had_options) { /* every libpq knows options; this is only a guard */
		strbuf_finish(&sb);
		return NULL;
	}
	char *ret = xstrdup(strbuf_str(&sb));
	explicit_bzero(sb.data, sb.len);
	strbuf_finish(&sb);
	return ret;
}

/* Runs SQL, which returns one text value (NULL allowed), into out. */
static bool one_value(const char *url, const char *sql, char *out, size_t outlen, bool *ret_null,
                      char *err, size_t errlen)
{
	PGconn *pg = db_connect_blocking(url, err, errlen);
	bool ok = false;

	if (!pg)
		return false;
	PGresult *res = PQexec(pg, sql);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		*ret_null = PQgetisnull(res, 0, 0);
		snprintf(out, outlen, "%s", PQgetvalue(res, 0, 0));
		ok = true;
	} else {
		const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		snprintf(err, errlen, "%s", primary ? primary : PQresultErrorMessage(res));
		err[strcspn(err, "\n")] = '\0';
	}
	PQclear(res);
	PQfinish(pg);
	return ok;
}

bool db_audit_rechain(const char *url, char *note, size_t notelen, char *err, size_t errlen)
{
	bool none = true;

	/* one statement: its own transaction */
	if (!one_value(url, "SELECT api.audit_rechain()", note, notelen, &none, err, errlen))
		return false;
	if (none)
		note[0] = '\0';
	return true;
}

bool db_audit_startup_check(const char *url, char *err, size_t errlen)
{
	char why[512];
	bool none = true;

	if (!one_value(url, "SELECT api.audit_startup_problem()", why, sizeof(why), &none, err,
	               errlen))
		return false;
	if (!none)
		snprintf(err, errlen, "%s", why);
	return none;
}
