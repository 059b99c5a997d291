/* `abiprayad user-add USERNAME --role ROLE [--house CODE]...`: the first user of an
 * installation. The password comes from the first line of standard input. Runs before
 * any event loop, so blocking libpq is fine here. */
#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abipraya/core/password.h"
#include "abipraya/core/strbuf.h"
#include "abipraya/core/text.h"
#include "abipraya/domain/field.h"
#include "abipraya/domain/role.h"
#include "api_internal.h"

/* The first line of standard input, every byte of it (a NUL too, which fgets would hide),
 * without its CRLF or LF, NUL-terminated in buf. *ret_len is the line's length, more than
 * buf holds when it was cut. */
static bool read_password(char *buf, size_t size, size_t *ret_len)
{
	size_t len = 0, seen = 0;
	int c;

	while ((c = getchar()) != EOF && c != '\n') {
		if (len + 1 < size)
			buf[len++] = (char)c;
		seen++;
	}
	if (c == EOF && seen == 0)
		return false;
	if (seen == len && len && buf[len - 1] == '\r')
		seen = --len;
	buf[len] = '\0';
	*ret_len = seen;
	return true;
}

/* "{GAJ-01,\"X Y\"}" for the house codes. */
static void codes_literal(struct strbuf *sb, char **codes, int n)
{
	strbuf_addc(sb, '{');
	for (int i = 0; i < n; i++) {
		if (i)
			strbuf_addc(sb, ',');
		strbuf_addc(sb, '"');
		for (const char *p = codes[i]; *p; p++) {
			if (*p == '"' || *p == '\\')
				strbuf_addc(sb, '\\');
			strbuf_addc(sb, *p);
		}
		strbuf_addc(sb, '"');
	}
	strbuf_addc(sb, '}');
}

static int add_user(const struct config *cfg, const char *username, const char *role,
                    const char *codes, const char *hash)
{
	const char *values[4] = {username, role, codes, hash};
	PGconn *pg = PQconnectdb(cfg->db_url);
	int rc = 1;

	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "abiprayad: could not connect to the database: %s",
		        PQerrorMessage(pg));
		goto out;
	}
	PGresult *res = PQexecParams(pg, "SELECT api.cli_user_add($1, $2, $3::text[], $4)", 4, NULL,
	                             values, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK) {
		printf("%s\n", PQgetvalue(res, 0, 0));
		rc = 0;
	} else {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (state && strcmp(state, "23505") == 0)
			fprintf(stderr, "abiprayad: user \"%s\" already exists\n", username);
		else
			fprintf(stderr, "abiprayad: could not add user \"%s\": %s", username,
			        PQresultErrorMessage(res));
	}
	PQclear(res);
out:
	PQfinish(pg);
	return rc;
}

int api_cli_user_add(const struct config *cfg, int argc, char **argv)
{
	const char *username = NULL, *role = NULL;
	char *codes[64];
	int ncodes = 0, rc = 2;
	char password[PASSWORD_MAX_LENGTH + 2];
	struct strbuf lit = STRBUF_INIT;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
			role = argv[++i];
		else if (strcmp(argv[i], "--house") == 0 && i + 1 < argc && ncodes < 64)
			codes[ncodes++] = argv[++i];
		else if (argv[i][0] != '-' && !username)
			username = argv[i];
		else {
			fprintf(stderr, "abiprayad: user-add: unexpected argument \"%s\"\n",
			        argv[i]);
			return 2;
		}
	}
	if (!username || !role) {
		fprintf(stderr, "usage: abiprayad --config FILE user-add USERNAME --role ROLE "
		                "[--house CODE]...\n");
		return 2;
	}
	if (!field_enum_has(role_names, role)) {
		fprintf(stderr,
		        "abiprayad: unknown role \"%s\" (admin, manager, caseworker, staff)\n",
		        role);
		return 2;
	}
	/* a partner user belongs to a partner, which only the API creates (contract §16.3) */
	if (strcmp(role, "partner") == 0) {
		fprintf(stderr, "abiprayad: partner users are created through the API "
		                "(POST /api/v1/users with partner_id)\n");
		return 2;
	}
	size_t len;
	if (!read_password(password, sizeof(password), &len)) {
		fprintf(stderr, "abiprayad: no password on standard input\n");
		return 2;
	}
	if (len >= sizeof(password) - 1) {
		fprintf(stderr, "abiprayad: the password is too long\n");
		goto out;
	}
	if (text_has_control(password, len, false)) {
		fprintf(stderr, "abiprayad: the password must not contain control characters\n");
		goto out;
	}
	long chars = utf8_length(password, len);
	if (chars < PASSWORD_MIN_LENGTH || chars > PASSWORD_MAX_LENGTH) {
		fprintf(stderr,
		        "abiprayad: the password is too weak: it needs at least %d characters\n",
		        PASSWORD_MIN_LENGTH);
		goto out;
	}
	char *hash = password_hash(password, len);
	if (!hash) {
		fprintf(stderr, "abiprayad: could not hash the password\n");
		goto out;
	}
	codes_literal(&lit, codes, ncodes);
	rc = add_user(cfg, username, role, strbuf_str(&lit), hash);
	free(hash);
out:
	OPENSSL_cleanse(password, sizeof(password));
	strbuf_finish(&lit);
	return rc;
}
