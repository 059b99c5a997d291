#include "abipraya/http/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abipraya/core/text.h"

struct route_pattern {
	char method[8];
	size_t nseg;
	char *seg[ROUTER_MAX_SEGMENTS]; /* "{name}" segments are parameters */
};

struct router {
	size_t n;
	struct route_pattern pat[];
};

static size_t split(char *path, char **segs, size_t max)
{
	size_t n = 0;
	char *save = NULL;

	/* a leading '/' is required by the caller; empty segments are kept out */
	for (char *s = strtok_r(path, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
		if (n == max)
			return max + 1;
		segs[n++] = s;
	}
	return n;
}

/* A pattern past the router's caps would match wrongly rather than fail: refuse it. */
static bool pattern_parse(struct route_pattern *p, const char *pattern)
{
	const char *sp = strchr(pattern, ' ');
	size_t mlen = sp ? (size_t)(sp - pattern) : 0;
	size_t nseg, nparams = 0;

	if (!mlen || mlen >= sizeof(p->method) || sp[1] != '/')
		return false;
	memcpy(p->method, pattern, mlen);
	char *copy = xstrdup(sp + 1);
	nseg = split(copy, p->seg, ROUTER_MAX_SEGMENTS);
	for (; nseg <= ROUTER_MAX_SEGMENTS && p->nseg < nseg; p->nseg++) {
		nparams += p->seg[p->nseg][0] == '{';
		p->seg[p->nseg] = xstrdup(p->seg[p->nseg]);
	}
	free(copy);
	return nseg <= ROUTER_MAX_SEGMENTS && nparams <= ROUTER_MAX_PARAMS;
}

struct router *router_create(const char *const *patterns, size_t n, char *err, size_t errlen)
{
	struct router *r = xcalloc(1, sizeof(*r) + n * sizeof(struct route_pattern));

	r->n = n; /* the patterns not parsed yet have no segments to free */
	for (size_t i = 0; i < n; i++)
		if (!pattern_parse(&r->pat[i], patterns[i])) {
			snprintf(err, errlen,
			         "route \"%s\": want \"METHOD /path\" with a method of at most %zu "
			         "letters, at most %d segments and %d parameters",
			         patterns[i], sizeof(r->pat[i].method) - 1, ROUTER_MAX_SEGMENTS,
			         ROUTER_MAX_PARAMS);
			router_destroy(r);
			return NULL;
		}
	return r;
}

void router_destroy(struct router *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		for (size_t k = 0; k < r->pat[i].nseg; k++)
			free(r->pat[i].seg[k]);
	free(r);
}

static bool path_matches(const struct route_pattern *p, char **segs, size_t nseg,
                         struct router_match *m)
{
	if (p->nseg != nseg)
		return false;
	m->nparams = 0;
	for (size_t k = 0; k < nseg; k++) {
		if (p->seg[k][0] == '{') { /* at most ROUTER_MAX_PARAMS (pattern_parse) */
			m->params[m->nparams].name = p->seg[k];
			m->params[m->nparams].value = segs[k];
			m->nparams++;
		} else if (strcmp(p->seg[k], segs[k]) != 0) {
			return false;
		}
	}
	return true;
}

static void add_allow(struct router_match *m, const char *method)
{
	if (strstr(m->allow, method))
		return;
	size_t len = strlen(m->allow);
	snprintf(m->allow + len, sizeof(m->allow) - len, "%s%s", len ? ", " : "", method);
}

void router_match(const struct router *r, const char *method, const char *path, struct arena *arena,
                  struct router_match *m)
{
	char *segs[ROUTER_MAX_SEGMENTS + 1];
	char *copy = arena_strdup(arena, path);
	size_t nseg = split(copy, segs, ROUTER_MAX_SEGMENTS);
	bool head = strcmp(method, "HEAD") == 0;

	memset(m, 0, sizeof(*m));
	m->route = -1;
	m->status = 404;
	if (nseg > ROUTER_MAX_SEGMENTS || (strlen(path) > 1 && path[strlen(path) - 1] == '/'))
		return;
	for (size_t k = 0; k < nseg; k++) {
		size_t len = strlen(segs[k]);
		if (!text_percent_decode(segs[k], &len, false) || memchr(segs[k], '/', len))
			return;
	}
	for (size_t i = 0; i < r->n; i++) {
		struct router_match try = {0};
		if (!path_matches(&r->pat[i], segs, nseg, &try))
			continue;
		if (strcmp(r->pat[i].method, method) == 0 ||
		    (head && strcmp(r->pat[i].method, "GET") == 0)) {
			*m = try;
			m->route = (int)i;
			m->status = 0;
			for (size_t k = 0; k < m->nparams; k++) /* "{id}" -> "id" */
				m->params[k].name = arena_strndup(arena, m->params[k].name + 1,
				                                  strlen(m->params[k].name) - 2);
			return;
		}
		m->status = 405;
		add_allow(m, r->pat[i].method);
		if (strcmp(r->pat[i].method, "GET") == 0)
			add_allow(m, "HEAD");
	}
}
