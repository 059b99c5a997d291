/* libFuzzer harness: a raw query string through validate_parse_query and validate_object
 * (VALIDATE_QUERY) against the query table of one route (src/resources/). The first byte picks the
 * route. */
#include <assert.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "abipraya/api/route.h"
#include "abipraya/api/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The query tables of the routes, in table order. */
static const struct field **specs; /* as many as routes, at most */
static size_t nspecs;

static void collect(void)
{
	specs = calloc(api_nroutes, sizeof(*specs));
	for (size_t i = 0; i < api_nroutes; i++)
		if (api_routes[i].query)
			specs[nspecs++] = api_routes[i].query;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!nspecs)
		collect();
	if (size < 1)
		return 0;
	const struct field *spec = specs[data[0] % nspecs];
	char *query = malloc(size);
	if (!query)
		return 0;
	memcpy(query, data + 1, size - 1);
	query[size - 1] = '\0';
	json_t *errors = json_array(), *out = json_object();
	json_t *q = validate_parse_query(query, errors);
	assert(json_is_object(q));
	validate_object(q, spec, VALIDATE_QUERY, NULL, out, errors);
	size_t i;
	json_t *e;
	json_array_foreach(errors, i, e)
	{
		assert(json_is_string(json_object_get(e, "field")));
	}
	char *text = json_dumps(out, JSON_COMPACT);
	assert(text);
	free(text);
	json_decref(q);
	json_decref(out);
	json_decref(errors);
	free(query);
	return 0;
}
