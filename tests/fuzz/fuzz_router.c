/* libFuzzer harness: the router with the daemon's real route table (the patterns are
 * extracted from src/api/routes.c by run.sh into routes_gen.h). Input: "METHOD PATH"
 * (split at the first space; no space: the whole input is a GET path). */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "abipraya/core/arena.h"
#include "abipraya/http/router.h"
#include "routes_gen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct router *router;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	if (!router)
		router = router_create(fuzz_routes, sizeof(fuzz_routes) / sizeof(fuzz_routes[0]),
		                       err, sizeof(err));
	assert(router);
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	const char *method = "GET", *path = text;
	char *sp = memchr(text, ' ', size);
	if (sp) {
		*sp = '\0';
		method = text;
		path = sp + 1;
	}
	struct arena arena;
	struct router_match m;
	arena_init(&arena);
	router_match(router, method, path, &arena, &m);
	if (m.status == 0) {
		assert(m.route >= 0 &&
		       (size_t)m.route < sizeof(fuzz_routes) / sizeof(fuzz_routes[0]));
		assert(m.nparams <= ROUTER_MAX_PARAMS);
		for (size_t i = 0; i < m.nparams; i++) {
			assert(m.params[i].name && m.params[i].value);
			assert(strlen(m.params[i].value) <= strlen(path));
			assert(!strchr(m.params[i].value, '/'));
		}
	} else {
		assert(m.status == 404 || m.status == 405);
		assert(m.route == -1);
		assert(memchr(m.allow, '\0', sizeof(m.allow)));
		if (m.status == 405)
			assert(m.allow[0]);
	}
	arena_finish(&arena);
	free(text);
	return 0;
}
