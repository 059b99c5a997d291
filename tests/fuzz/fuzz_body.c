/* libFuzzer harness: a JSON request body through the daemon's decoder (json_loadb with
 * the flags of src/api/op.c) and validate_object against the body table of one route
 * (src/resources/). The first input byte picks the route and the mode (create, or PATCH); the rest
 * is the body. Checks that every problem names a field and that an accepted body yields only fields
 * the spec declares. */
#include <assert.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "abipraya/api/route.h"
#include "abipraya/api/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The body tables of the routes, in table order. */
static const struct field **specs; /* as many as routes, at most */
static size_t nspecs;

static void collect(void)
{
	specs = calloc(api_nroutes, sizeof(*specs));
	for (size_t i = 0; i < api_nroutes; i++)
		if (api_routes[i].body)
			specs[nspecs++] = api_routes[i].body;
}

static bool declared(const struct field *spec, const char *name)
{
	for (; spec->name; spec++)
		if (strcmp(spec->name, name) == 0)
			return true;
	/* the KDF routes turn "password" into "password_hash" later, not here */
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!nspecs)
		collect();
	if (size < 1)
		return 0;
	const struct field *spec = specs[data[0] % nspecs];
	enum validate_mode mode = (data[0] / nspecs) % 2 ? VALIDATE_PATCH : VALIDATE_CREATE;
	json_error_t jerr;
	json_t *body = json_loadb((const char *)data + 1, size - 1,
	                          JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!json_is_object(body)) {
		json_decref(body);
		return 0;
	}
	json_t *out = json_object(), *errors = json_array();
	validate_object(body, spec, mode, NULL, out, errors);
	size_t i;
	json_t *e;
	json_array_foreach(errors, i, e)
	{
		assert(json_is_object(e));
		assert(json_is_string(json_object_get(e, "field")));
		assert(json_is_string(json_object_get(e, "message")));
	}
	if (json_array_size(errors) == 0) {
		const char *key;
		json_t *v;
		json_object_foreach(out, key, v)
		{
			assert(declared(spec, key));
			if (json_is_string(v)) /* accepted text is valid UTF-8 (jansson checked) */
				assert(json_string_value(v));
		}
	}
	/* the arguments must serialise: they are sent to PostgreSQL as jsonb */
	char *text = json_dumps(out, JSON_COMPACT);
	assert(text);
	free(text);
	json_decref(out);
	json_decref(errors);
	json_decref(body);
	return 0;
}
