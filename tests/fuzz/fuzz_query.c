/* libFuzzer harness: a raw query string through validate_parse_query and validate_object
 * (VALIDATE_QUERY) against one of the query specs. The first byte picks the spec. */
#include <assert.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "abipraya/api/validate.h"
#include "abipraya/domain/specs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct field *const specs[] = {
        spec_bed_board_query, spec_residents_query,  spec_stays_query,    spec_movements_query,
        spec_rules_query,     spec_violations_query, spec_worklist_query, spec_census_query,
        spec_exits_query,     spec_audit_query,      spec_events_query,
};
#define NSPECS (sizeof(specs) / sizeof(specs[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const struct field *spec = specs[data[0] % NSPECS];
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
