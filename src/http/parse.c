#include "abipraya/http/parse.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool is_tchar(unsigned char c)
{
	/* c != 0: strchr finds the terminator too */
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
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

bool http_field_line_ok(const char *line, size_t len)
{
	const char *end = line + len;
	const char *colon = memchr(line, ':', len);

	if (!colon || colon == line)
		return false;
	for (const char *p = line; p < colon; p++)
		if (!is_tchar((unsigned char)*p))
			return false;
	/* a value may not hold NUL, CR or LF (RFC 9110 §5.5: reject); other control characters
	 * are kept for the handler to judge, so that X-Purpose with one is its 422 (§18.4),
	 * not a 400 of the framing */
	for (const char *p = colon + 1; p < end; p++)
		if (*p == '\0' || *p == '\r' || *p == '\n')
			return false;
	return true;
}

static int parse_field(char *line, struct http_head *h, const char **ret_code)
{
	if (!http_field_line_ok(line, strlen(line)))
		return fail(ret_code, 400, "bad_request");
	char *colon = strchr(line, ':');
	*colon = '\0';
	if (h->nfields == HTTP_MAX_HEADERS)
		return fail(ret_code, 431, "bad_request");
	h->fields[h->nfields].name = line;
	h->fields[h->nfields].value = trim_ows(colon + 1);
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

static int hex_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* BWS of RFC 9110 §5.6.3: optional spaces and tabs. */
static const char *skip_bws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static const char *skip_token(const char *p, const char *end)
{
	while (p < end && is_tchar((unsigned char)*p))
		p++;
	return p;
}

static bool is_ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* A quoted-string (RFC 9110 §5.6.4) starting at p (a '"'): the end after its closing
 * quote, or NULL when it is not closed or holds a control character. */
static const char *skip_quoted(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '"')
			return p + 1;
		if (*p == '\\' && ++p == end)
			return NULL;
		if (is_ctl((unsigned char)*p))
			return NULL;
	}
	return NULL;
}

/* chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ): the daemon
 * ignores extensions, but takes only well-formed ones, so that no byte of a chunk-size line
 * is read one way here and another way by a proxy in front. */
static bool chunk_ext_ok(const char *p, const char *end)
{
	while (p < end) {
		p = skip_bws(p, end);
		if (p == end || *p != ';')
			return false;
		p = skip_bws(p + 1, end);
		const char *name_end = skip_token(p, end);
		if (name_end == p)
			return false;
		p = name_end;
		const char *eq = skip_bws(p, end);
		if (eq == end || *eq != '=')
			continue; /* a name alone; trailing whitespace fails the next round */
		p = skip_bws(eq + 1, end);
		const char *val_end =
		        p < end && *p == '"' ? skip_quoted(p, end) : skip_token(p, end);
		if (!val_end || val_end == p)
			return false;
		p = val_end;
	}
	return true;
}

int http_parse_chunk_size(const char *line, size_t len, unsigned long long room,
                          unsigned long long *ret_size)
{
	const char *p = line, *end = line + len;
	unsigned long long size = 0;
	int digit;

	if (len > HTTP_MAX_CHUNK_LINE)
		return 400;
	/* at most 16 digits: the value fits in 64 bits, no overflow to check */
	for (; p < end && (digit = hex_digit((unsigned char)*p)) >= 0; p++) {
		if (p - line == 16)
			return 400;
		size = size << 4 | (unsigned)digit;
	}
	if (p == line || !chunk_ext_ok(p, end))
		return 400;
	if (size > room)
		return 413;
	*ret_size = size;
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
