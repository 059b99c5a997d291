#include "abipraya/api/validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abipraya/core/text.h"

#define FIELD_NAME_MAX 100 /* names echoed in errors are cut here: a 500 kB key is no name */

void validate_error(json_t *errors, const char *field, const char *message)
{
	char name[FIELD_NAME_MAX + 4];
	size_t len = strlen(field);

	snprintf(name, sizeof(name), "%.*s%s", FIELD_NAME_MAX, field,
	         len > FIELD_NAME_MAX ? "…" : "");
	if (utf8_length(name, strlen(name)) < 0)
		snprintf(name, sizeof(name), "(field name is not UTF-8)");
	json_array_append_new(errors, json_pack("{s:s, s:s}", "field", name, "message", message));
}

static const char *type_message(enum field_type type)
{
	switch (type) {
	case FIELD_INT:
		return "must be an integer";
	case FIELD_HOURS:
		return "must be a number of hours";
	case FIELD_BOOL:
		return "must be true or false";
	case FIELD_TRUE:
		return "must be true";
	case FIELD_UUID:
		return "must be a UUID";
	case FIELD_UUID_LIST:
		return "must be an array of UUIDs";
	case FIELD_INT_LIST:
		return "must be an array of integers";
	case FIELD_DATE:
		return "must be a date (YYYY-MM-DD)";
	case FIELD_DATETIME:
		return "must be an RFC 3339 date-time with offset";
	case FIELD_TIME_HM:
		return "must be a time of day (HH:MM)";
	case FIELD_ENUM:
		return "must be one of the allowed values";
	case FIELD_DIGITS:
		return "must be a string of digits of the right length";
	case FIELD_OBJECT:
		return "must be an object";
	case FIELD_LIST:
		return "must be an array of objects";
	case FIELD_ENUM_LIST:
		return "must be an array of the allowed values";
	default:
		return "must be a string";
	}
}

/* Text rules shared by every string-valued type; returns the accepted value or NULL. */
static json_t *check_text(const struct field *f, const char *s, size_t len, const char *name,
                          json_t *errors)
{
	bool multi = f->type == FIELD_TEXT, trim = f->type == FIELD_STRING || multi;
	char msg[96];

	if (utf8_length(s, len) < 0) {
		validate_error(errors, name, "must be valid UTF-8");
		return NULL;
	}
	/* a password too (API.md §4): the KDF must never see less than was sent */
	if (text_has_control(s, len, multi)) {
		validate_error(errors, name, "must not contain control characters");
		return NULL;
	}
	if (trim)
		s = text_trim(s, len, &len);
	long chars = utf8_length(s, len);
	if (f->max && chars > f->max) {
		snprintf(msg, sizeof(msg), "must be at most %ld characters", f->max);
		validate_error(errors, name, msg);
		return NULL;
	}
	if (chars < f->min) {
		snprintf(msg, sizeof(msg),
		         f->min == 1 ? "must not be empty" : "must be at least %ld characters",
		         f->min);
		validate_error(errors, name, msg);
		return NULL;
	}
	return json_stringn(s, len);
}

static json_t *check_string_typed(const struct field *f, const char *s, size_t len,
                                  const char *name, json_t *errors)
{
	char uuid[37];
	bool ok;

	switch (f->type) {
	case FIELD_STRING:
	case FIELD_TEXT:
	case FIELD_PASSWORD:
		return check_text(f, s, len, name, errors);
	case FIELD_UUID:
		if (text_uuid(s, len, uuid))
			return json_string(uuid);
		ok = false;
		break;
	case FIELD_DATE:
		ok = text_date(s, len);
		break;
	case FIELD_DATETIME:
		ok = text_datetime(s, len);
		break;
	case FIELD_TIME_HM:
		ok = text_time_hm(s, len);
		break;
	case FIELD_DIGITS:
		ok = text_digits(s, len, (size_t)f->min);
		break;
	case FIELD_ENUM:
		ok = strlen(s) == len && field_enum_has(f->values, s);
		break;
	default:
		ok = false;
	}
	if (!ok) {
		validate_error(errors, name, type_message(f->type));
		return NULL;
	}
	return json_stringn(s, len);
}

static json_t *check_int(const struct field *f, json_int_t v, const char *name, json_t *errors)
{
	char msg[96];
	if (v < f->min || v > f->max) {
		snprintf(msg, sizeof(msg), "must be between %ld and %ld", f->min, f->max);
		validate_error(errors, name, msg);
		return NULL;
	}
	return json_integer(v);
}

/* Hours (contract §16): a number, not negative, at most f->max, with at most 2 decimals. The
 * value goes on as text with exactly 2 decimals, so that SQL reads the numeric the client
 * meant rather than a binary fraction near it. */
static json_t *check_hours(const struct field *f, const json_t *v, const char *name, json_t *errors)
{
	char msg[96];
	double h = json_number_value(v), cents = h * 100;

	if (h < 0 || h > (double)f->max) {
		snprintf(msg, sizeof(msg), "must be between 0 and %ld", f->max);
		validate_error(errors, name, msg);
		return NULL;
	}
	long whole = (long)(cents + 0.5); /* h >= 0 */
	if (cents - (double)whole > 1e-6 || (double)whole - cents > 1e-6) {
		validate_error(errors, name, "must have at most 2 decimals");
		return NULL;
	}
	snprintf(msg, sizeof(msg), "%ld.%02ld", whole / 100, whole % 100);
	return json_string(msg);
}

/* Query-string text converted to the field's JSON type. */
static json_t *check_query_value(const struct field *f, const char *s, size_t len, const char *name,
                                 json_t *errors)
{
	int64_t n;

	if (f->type == FIELD_INT) {
		if (!text_int(s, len, INT64_MIN / 2, INT64_MAX / 2, &n)) {
			validate_error(errors, name, type_message(f->type));
			return NULL;
		}
		return check_int(f, n, name, errors);
	}
	if (f->type == FIELD_BOOL) {
		if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)
			return json_boolean(strcmp(s, "true") == 0);
		validate_error(errors, name, type_message(f->type));
		return NULL;
	}
	return check_string_typed(f, s, len, name, errors);
}

static json_t *check_uuid_list(const struct field *f, const json_t *v, const char *name,
                               json_t *errors)
{
	size_t i;
	json_t *item, *out;
	char uuid[37];

	if (!json_is_array(v) || (f->max && json_array_size(v) > (size_t)f->max)) {
		validate_error(errors, name, type_message(f->type));
		return NULL;
	}
	out = json_array();
	json_array_foreach(v, i, item)
	{
		if (!json_is_string(item) ||
		    !text_uuid(json_string_value(item), json_string_length(item), uuid)) {
			validate_error(errors, name, type_message(f->type));
			json_decref(out);
			return NULL;
		}
		json_array_append_new(out, json_string(uuid));
	}
	return out;
}

/* What every list of plain values shares: an array of at most f->max_items. */
static bool check_array(const struct field *f, const json_t *v, const char *name, json_t *errors)
{
	char msg[64];

	if (!json_is_array(v)) {
		validate_error(errors, name, type_message(f->type));
		return false;
	}
	if (json_array_size(v) > (size_t)f->max_items) {
		snprintf(msg, sizeof(msg), "must hold at most %ld values", f->max_items);
		validate_error(errors, name, msg);
		return false;
	}
	return true;
}

static json_t *check_int_list(const struct field *f, const json_t *v, const char *name,
                              json_t *errors)
{
	size_t i, j;
	json_t *item;
	char msg[128];

	if (!check_array(f, v, name, errors))
		return NULL;
	json_array_foreach(v, i, item)
	{
		if (!json_is_integer(item)) {
			validate_error(errors, name, type_message(f->type));
			return NULL;
		}
		json_int_t n = json_integer_value(item);
		if (n < f->min || n > f->max) {
			snprintf(msg, sizeof(msg), "values must be between %ld and %ld", f->min,
			         f->max);
			validate_error(errors, name, msg);
			return NULL;
		}
		for (j = 0; j < i; j++)
			if (json_integer_value(json_array_get(v, j)) == n) {
				validate_error(errors, name, "values must be distinct");
				return NULL;
			}
	}
	return json_incref((json_t *)v);
}

static json_t *check_enum_list(const struct field *f, const json_t *v, const char *name,
                               json_t *errors)
{
	size_t i, j;
	json_t *item;

	if (!check_array(f, v, name, errors))
		return NULL;
	json_array_foreach(v, i, item)
	{
		const char *s = json_string_value(item);
		if (!s || strlen(s) != json_string_length(item) || !field_enum_has(f->values, s)) {
			validate_error(errors, name, type_message(f->type));
			return NULL;
		}
		for (j = 0; j < i; j++)
			if (json_equal(json_array_get(v, j), item)) {
				validate_error(errors, name, "values must be distinct");
				return NULL;
			}
	}
	return json_incref((json_t *)v);
}

static json_t *check_object(const struct field *f, const json_t *v, enum validate_mode mode,
                            const char *name, json_t *errors);

/* Each item is a nested object of f->fields (never a PATCH: an item is given whole). */
static json_t *check_list(const struct field *f, const json_t *v, const char *name, json_t *errors)
{
	size_t i;
	json_t *item, *out;
	char msg[64], item_name[300];

	if (!json_is_array(v)) {
		validate_error(errors, name, type_message(f->type));
		return NULL;
	}
	if (json_array_size(v) > (size_t)f->max_items) {
		snprintf(msg, sizeof(msg), "must hold at most %ld items", f->max_items);
		validate_error(errors, name, msg);
		return NULL;
	}
	if (json_array_size(v) < (size_t)f->min) {
		snprintf(msg, sizeof(msg), "must hold at least %ld items", f->min);
		validate_error(errors, name, msg);
		return NULL;
	}
	out = json_array();
	json_array_foreach(v, i, item)
	{
		snprintf(item_name, sizeof(item_name), "%s[%zu]", name, i);
		json_t *accepted = check_object(f, item, VALIDATE_CREATE, item_name, errors);
		if (accepted)
			json_array_append_new(out, accepted);
	}
	if (json_array_size(out) < json_array_size(v)) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* A nested object (FIELD_OBJECT, or an item of FIELD_LIST): NULL with errors when not valid. */
static json_t *check_object(const struct field *f, const json_t *v, enum validate_mode mode,
                            const char *name, json_t *errors)
{
	if (!json_is_object(v)) {
		validate_error(errors, name, type_message(FIELD_OBJECT));
		return NULL;
	}
	json_t *out = json_object();
	size_t before = json_array_size(errors);
	validate_object(v, f->fields, mode == VALIDATE_PATCH ? VALIDATE_CREATE : mode, name, out,
	                errors);
	if (json_array_size(errors) > before) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static json_t *check_value(const struct field *f, const json_t *v, enum validate_mode mode,
                           const char *name, json_t *errors)
{
	if (mode == VALIDATE_QUERY)
		return check_query_value(f, json_string_value(v), json_string_length(v), name,
		                         errors);
	switch (f->type) {
	case FIELD_INT:
		if (!json_is_integer(v))
			break;
		return check_int(f, json_integer_value(v), name, errors);
	case FIELD_HOURS:
		if (!json_is_number(v))
			break;
		return check_hours(f, v, name, errors);
	case FIELD_BOOL:
		if (!json_is_boolean(v))
			break;
		return json_incref((json_t *)v);
	case FIELD_TRUE:
		if (!json_is_true(v))
			break;
		return json_true();
	case FIELD_UUID_LIST:
		return check_uuid_list(f, v, name, errors);
	case FIELD_INT_LIST:
		return check_int_list(f, v, name, errors);
	case FIELD_ENUM_LIST:
		return check_enum_list(f, v, name, errors);
	case FIELD_OBJECT:
		return check_object(f, v, mode, name, errors);
	case FIELD_LIST:
		return check_list(f, v, name, errors);
	default:
		if (!json_is_string(v))
			break;
		return check_string_typed(f, json_string_value(v), json_string_length(v), name,
		                          errors);
	}
	validate_error(errors, name, type_message(f->type));
	return NULL;
}

static const struct field *find_field(const struct field *spec, const char *name)
{
	for (; spec->name; spec++)
		if (strcmp(spec->name, name) == 0)
			return spec;
	return NULL;
}

static void qualified(char *out, size_t len, const char *prefix, const char *name)
{
	if (prefix)
		snprintf(out, len, "%s.%s", prefix, name);
	else
		snprintf(out, len, "%s", name);
}

void validate_object(const json_t *obj, const struct field *spec, enum validate_mode mode,
                     const char *prefix, json_t *out, json_t *errors)
{
	const char *key;
	json_t *v;
	char name[256];

	json_object_foreach((json_t *)obj, key, v)
	{
		const struct field *f = find_field(spec, key);
		qualified(name, sizeof(name), prefix, key);
		if (!f || (mode == VALIDATE_PATCH && (f->flags & FIELD_CREATE_ONLY))) {
			if (mode != VALIDATE_QUERY)
				validate_error(errors, name,
				               f ? "cannot be changed" : "is not a known field");
			continue;
		}
		if (json_is_null(v)) {
			if (f->flags & FIELD_REQUIRED)
				validate_error(errors, name, "is required");
			else
				json_object_set_new(out, key, json_null());
			continue;
		}
		json_t *accepted = check_value(f, v, mode, name, errors);
		if (accepted)
			json_object_set_new(out, key, accepted);
	}
	if (mode == VALIDATE_PATCH)
		return;
	for (const struct field *f = spec; f->name; f++) {
		if ((f->flags & FIELD_REQUIRED) && !json_object_get(obj, f->name)) {
			qualified(name, sizeof(name), prefix, f->name);
			validate_error(errors, name, "is required");
		}
	}
}

json_t *validate_parse_query(const char *query, json_t *errors)
{
	json_t *out = json_object();

	if (!query)
		return out;
	char *copy = strdup(query), *save = NULL;
	for (char *pair = strtok_r(copy, "&", &save); pair; pair = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(pair, '=');
		char *value = eq ? eq + 1 : pair + strlen(pair);
		if (eq)
			*eq = '\0';
		size_t klen = strlen(pair), vlen = strlen(value);
		if (!text_percent_decode(pair, &klen, true) || utf8_length(pair, klen) < 0)
			continue;
		if (!text_percent_decode(value, &vlen, true) || utf8_length(value, vlen) < 0) {
			validate_error(errors, pair, "is not valid percent-encoded UTF-8");
			continue;
		}
		if (json_object_get(out, pair))
			validate_error(errors, pair, "is given more than once");
		json_object_set_new(out, pair, json_stringn(value, vlen));
	}
	free(copy);
	return out;
}
