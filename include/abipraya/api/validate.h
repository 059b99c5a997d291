/* Applies the domain's field tables to a JSON body or a query string: every problem is
 * collected (field + message) so that one 422 names them all; accepted values are
 * normalised (trimmed text, lower-case UUIDs) into an args object for the database. */
#ifndef ABIPRAYA_API_VALIDATE_H
#define ABIPRAYA_API_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>

#include "abipraya/domain/field.h"

enum validate_mode {
	VALIDATE_CREATE, /* required fields must be there */
	VALIDATE_PATCH,  /* nothing is required; null clears an optional field */
	VALIDATE_QUERY,  /* values are query-string text; unknown names are ignored */
};

/* Validates obj (borrowed) against spec; adds accepted values to out and problems
 * ({"field","message"}) to errors (both borrowed, modified). */
void validate_object(const json_t *obj, const struct field *spec, enum validate_mode mode,
                     const char *prefix, json_t *out, json_t *errors);

/* Parses a raw query string into an object of strings (new reference; caller owns).
 * A bad percent escape or a repeated name adds an error for that name. */
json_t *validate_parse_query(const char *query, json_t *errors);

/* Adds {"field": field, "message": message} to errors. */
void validate_error(json_t *errors, const char *field, const char *message);

#endif
