/* Maps a method and a path to a route of a table, with {name} path parameters. */
#ifndef ABIPRAYA_HTTP_ROUTER_H
#define ABIPRAYA_HTTP_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "abipraya/core/arena.h"

#define ROUTER_MAX_PARAMS   4
#define ROUTER_MAX_SEGMENTS 12

struct router_param {
	const char *name;
	const char *value; /* percent-decoded, in the arena */
};

struct router_match {
	int route;  /* index into the table, or -1 */
	int status; /* 0 on a match; 404; 405 (allow holds "GET, POST") */
	char allow[64];
	struct router_param params[ROUTER_MAX_PARAMS];
	size_t nparams;
};

struct router;

/* patterns[i] is "METHOD /path/{param}"; n entries, any number. NULL with a message in err
 * when a pattern is past the caps above. Caller owns; router_destroy(). */
struct router *router_create(const char *const *patterns, size_t n, char *err, size_t errlen);
void router_destroy(struct router *r);
/* Matches a raw path (percent-encoded); decoded parameters go into the arena. A segment
 * that does not decode (bad escape, encoded NUL or slash) matches nothing. */
void router_match(const struct router *r, const char *method, const char *path, struct arena *arena,
                  struct router_match *ret);

#endif
