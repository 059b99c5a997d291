/* Content negotiation of Accept headers (include/abipraya/http/accept.h). */
#include "abipraya/http/accept.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

struct span {
	const char *s;
	size_t len;
};

/* Without the optional whitespace (SP, HTAB) around it. */
static struct span trim(struct span x)
{
	while (x.len && (x.s[0] == ' ' || x.s[0] == '\t')) {
		x.s++;
		x.len--;
	}
	while (x.len && (x.s[x.len - 1] == ' ' || x.s[x.len - 1] == '\t'))
		x.len--;
	return x;
}

/* The part of *rest before the first sep outside a quoted string; *rest moves past it. */
static struct span next(struct span *rest, char sep)
{
	struct span part = {rest->s, 0};
	bool quoted = false;

	while (part.len < rest->len && (quoted || rest->s[part.len] != sep)) {
		char c = rest->s[part.len];
		if (c == '"')
			quoted = !quoted;
		else if (c == '\\' && quoted && part.len + 1 < rest->len)
			part.len++;
		part.len++;
	}
	bool more = part.len < rest->len;
	rest->s += part.len + more;
	rest->len -= part.len + more;
	return part;
}

/* A qvalue (RFC 9110 §12.4.2), "0" or "1" with up to three decimals, 1 at most: thousandths,
 * or -1 when malformed. */
static int qvalue(struct span v)
{
	int q;

	if (v.len == 0 || v.len > 5 || (v.s[0] != '0' && v.s[0] != '1') ||
	    (v.len > 1 && v.s[1] != '.'))
		return -1;
	q = (v.s[0] - '0') * 1000;
	for (size_t i = 2, scale = 100; i < v.len; i++, scale /= 10) {
		if (v.s[i] < '0' || v.s[i] > '9')
			return -1;
		q += (v.s[i] - '0') * (int)scale;
	}
	return q > 1000 ? -1 : q;
}

/* One element, "type/subtype *( OWS ; OWS parameter )": its q in thousandths (1000 without
 * one, -1 when malformed), the media type in *type. */
static int element(struct span e, struct span *type)
{
	int q = 1000;

	*type = trim(next(&e, ';'));
	const char *slash = memchr(type->s, '/', type->len);
	if (!slash || slash == type->s || slash == type->s + type->len - 1)
		return -1;
	while (e.len) {
		struct span param = trim(next(&e, ';'));
		struct span name = trim(next(&param, '='));
		if (name.len == 1 && (name.s[0] == 'q' || name.s[0] == 'Q'))
			q = qvalue(trim(param));
		if (q < 0)
			return -1;
	}
	return q;
}

int http_accept_choose(const char *accept, const char *const *offered, size_t n)
{
	struct span rest;
	int best = -1, best_q = 0;

	if (!accept)
		return -1;
	rest = (struct span){accept, strnlen(accept, HTTP_ACCEPT_MAX)};
	while (rest.len) {
		struct span type;
		int q = element(next(&rest, ','), &type);
		if (q <= best_q)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (strlen(offered[i]) == type.len &&
			    strncasecmp(offered[i], type.s, type.len) == 0) {
				best = (int)i;
				best_q = q;
				break;
			}
		}
	}
	return best;
}
