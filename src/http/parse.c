#include "abipraya/http/parse.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool is_tchar(unsigned char c)
{
	return isalnum(c) || strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int fail(const char **ret_code, int status, const char *code)
{
	*ret_code = code;
	return status;
}

/* Splits "METHOD SP target SP HTTP/x.y". */
static int parse_request_line(char *line, struct http_head *h, const char **ret_code)
{
	char *sp1 = strchr(line, ' ');
	if (!sp1 || sp1 == line)
		return fail(ret_code, 400, "bad_request");
	*sp1 = '\0';
	for (char *p = line; *p; p++)
		if (!is_tchar((unsigned char)*p))
			return fail(ret_code, 400, "bad_request");
	char *target = sp1 + 1;
	char *sp2 = strchr(target, ' ');
	if (!sp2 || sp2 == target)
		return fail(ret_code, 400, "bad_request");
	*sp2 = '\0';
	for (char *p = target; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return fail(ret_code, 400, "bad_request");
	if (target[0] != '/' && strcmp(target, "*") != 0)
		return fail(ret_code, 400, "bad_request");
	const char *v = sp2 + 1;
	if (strncmp(v, "HTTP/", 5) != 0 || !isdigit((unsigned char)v[5]) || v[6] != '.' ||
	    !isdigit((unsigned char)v[7]) || v[8])
		return fail(ret_code, 400, "bad_request");
	if (v[5] != '1')
		return fail(ret_code, 505, "http_version_not_supported");
	h->method = line;
	h->target = target;
	h->minor = v[7] - '0';
	return 0;
}

static char *trim_ows(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	char *end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return s;
}

static int parse_field(char *line, struct http_head *h, const char **ret_code)
{
	char *colon = strchr(line, ':');
	if (!colon || colon == line)
		return fail(ret_code, 400, "bad_request");
	*colon = '\0';
	for (char *p = line; *p; p++)
		if (!is_tchar((unsigned char)*p))
			return fail(ret_code, 400, "bad_request");
	char *value = trim_ows(colon + 1);
	for (char *p = value; *p; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
			return fail(ret_code, 400, "bad_request");
	if (h->nfields == HTTP_MAX_HEADERS)
		return fail(ret_code, 431, "bad_request");
	h->fields[h->nfields].name = line;
	h->fields[h->nfields].value = value;
	h->nfields++;
	return 0;
}

static bool has_token(const char *list, const char *token)
{
	size_t n = strlen(token);
	for (const char *p = list; *p;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		const char *start = p;
		while (*p && *p != ',')
			p++;
		const char *end = p;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if ((size_t)(end - start) == n && strncasecmp(start, token, n) == 0)
			return true;
	}
	return false;
}

/* Content-Length and Transfer-Encoding: the request-smuggling rules of RFC 9112 §6. */
static int derive_framing(struct http_head *h, const char **ret_code)
{
	int te_count = 0;

	for (size_t i = 0; i < h->nfields; i++) {
		const char *name = h->fields[i].name, *value = h->fields[i].value;
		if (strcasecmp(name, "Content-Length") == 0) {
			if (h->has_length || !*value || strlen(value) > 15)
				return fail(ret_code, 400, "bad_request");
			for (const char *p = value; *p; p++)
				if (!isdigit((unsigned char)*p))
					return fail(ret_code, 400, "bad_request");
			h->has_length = true;
			h->content_length = strtoull(value, NULL, 10);
		} else if (strcasecmp(name, "Transfer-Encoding") == 0) {
			if (te_count++ || strcasecmp(value, "chunked") != 0)
				return fail(ret_code, 501, "not_implemented");
			h->chunked = true;
		}
	}
	if (h->chunked && h->has_length)
		return fail(ret_code, 400, "bad_request");
	return 0;
}

int http_parse_head(char *buf, size_t len, struct http_head *h, const char **ret_code)
{
	memset(h, 0, sizeof(*h));
	if (memchr(buf, '\0', len))
		return fail(ret_code, 400, "bad_request");
	buf[len] = '\0';
	char *line = buf, *next;
	bool first = true;
	for (; line && *line; line = next) {
		char *eol = strstr(line, "\r\n");
		if (eol) {
			*eol = '\0';
			next = eol + 2;
		} else {
			next = NULL;
		}
		if (strchr(line, '\n') || strchr(line, '\r'))
			return fail(ret_code, 400, "bad_request");
		if (!first && (line[0] == ' ' || line[0] == '\t')) /* obsolete line folding */
			return fail(ret_code, 400, "bad_request");
		int rc = first ? parse_request_line(line, h, ret_code)
		               : parse_field(line, h, ret_code);
		if (rc)
			return rc;
		first = false;
	}
	if (first)
		return fail(ret_code, 400, "bad_request");
	int rc = derive_framing(h, ret_code);
	if (rc)
		return rc;
	const char *conn = http_head_field(h, "Connection");
	h->keep_alive = h->minor >= 1 ? !(conn && has_token(conn, "close"))
	                              : (conn && has_token(conn, "keep-alive"));
	const char *expect = http_head_field(h, "Expect");
	h->expect_continue = expect && strcasecmp(expect, "100-continue") == 0;
	if (h->minor >= 1 && !http_head_field(h, "Host"))
		return fail(ret_code, 400, "bad_request");
	return 0;
}

const char *http_head_field(const struct http_head *h, const char *name)
{
	for (size_t i = 0; i < h->nfields; i++)
		if (strcasecmp(h->fields[i].name, name) == 0)
			return h->fields[i].value;
	return NULL;
}
