/* `abiprayad spec-dump`: the daemon's own tables as JSON on standard output, so that the
 * OpenAPI checks, the console and generators read one source instead of parsing C. Keys
 * keep the order they are set in and arrays the order of the tables: the same binary
 * always prints the same bytes. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "abipraya/api/api.h"
#include "abipraya/api/route.h"
#include "abipraya/domain/problem.h"
#include "abipraya/domain/role.h"

static const char *const type_names[] = {
        [FIELD_STRING] = "string",     [FIELD_TEXT] = "text",
        [FIELD_PASSWORD] = "password", [FIELD_INT] = "int",
        [FIELD_BOOL] = "bool",         [FIELD_TRUE] = "true",
        [FIELD_UUID] = "uuid",         [FIELD_UUID_LIST] = "uuid_list",
        [FIELD_DATE] = "date",         [FIELD_DATETIME] = "datetime",
        [FIELD_TIME_HM] = "time_hm",   [FIELD_ENUM] = "enum",
        [FIELD_DIGITS] = "digits",     [FIELD_OBJECT] = "object",
        [FIELD_INT_LIST] = "int_list", [FIELD_HOURS] = "hours",
        [FIELD_LIST] = "list",         [FIELD_ENUM_LIST] = "enum_list",
};

static json_t *strings(const char *const *values)
{
	json_t *a = json_array();

	for (; values && *values; values++)
		json_array_append_new(a, json_string(*values));
	return a;
}

static json_t *role_list(unsigned roles)
{
	json_t *a = json_array();

	for (unsigned i = 0; role_names[i]; i++)
		if (roles & (1u << i))
			json_array_append_new(a, json_string(role_names[i]));
	return a;
}

static json_t *fields(const struct field *table);

/* One field: its limits under the names of what they bound (0 for a length: no bound). */
static json_t *field(const struct field *f)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string(f->name));
	json_object_set_new(o, "type", json_string(type_names[f->type]));
	json_object_set_new(o, "required", json_boolean(f->flags & FIELD_REQUIRED));
	json_object_set_new(o, "create_only", json_boolean(f->flags & FIELD_CREATE_ONLY));
	switch (f->type) {
	case FIELD_STRING:
	case FIELD_TEXT:
	case FIELD_PASSWORD:
		if (f->min)
			json_object_set_new(o, "min_length", json_integer(f->min));
		if (f->max)
			json_object_set_new(o, "max_length", json_integer(f->max));
		break;
	case FIELD_INT:
		json_object_set_new(o, "minimum", json_integer(f->min));
		json_object_set_new(o, "maximum", json_integer(f->max));
		break;
	case FIELD_INT_LIST:
		json_object_set_new(o, "minimum", json_integer(f->min));
		json_object_set_new(o, "maximum", json_integer(f->max));
		json_object_set_new(o, "max_items", json_integer(f->max_items));
		break;
	case FIELD_UUID_LIST:
		if (f->max)
			json_object_set_new(o, "max_items", json_integer(f->max));
		break;
	case FIELD_HOURS:
		json_object_set_new(o, "minimum", json_integer(0));
		json_object_set_new(o, "maximum", json_integer(f->max));
		break;
	case FIELD_DIGITS:
		json_object_set_new(o, "length", json_integer(f->min));
		break;
	case FIELD_ENUM_LIST: /* an enum's values and column, and its bound */
		json_object_set_new(o, "max_items", json_integer(f->max_items));
		/* fall through */
	case FIELD_ENUM:
		json_object_set_new(o, "values", strings(f->values));
		if (f->column)
			json_object_set_new(o, "column", json_string(f->column));
		break;
	case FIELD_LIST:
		if (f->min)
			json_object_set_new(o, "min_items", json_integer(f->min));
		json_object_set_new(o, "max_items", json_integer(f->max_items));
		json_object_set_new(o, "fields", fields(f->fields));
		break;
	case FIELD_OBJECT:
		json_object_set_new(o, "fields", fields(f->fields));
		break;
	default:
		break;
	}
	return o;
}

static json_t *fields(const struct field *table)
{
	json_t *a = json_array();

	for (; table && table->name; table++)
		json_array_append_new(a, field(table));
	return a;
}

/* "{house_id}" segments of the pattern's path, in order. */
static json_t *path_params(const char *path)
{
	json_t *a = json_array();

	for (const char *p = strchr(path, '{'); p; p = strchr(p, '{')) {
		const char *end = strchr(p, '}');
		json_array_append_new(a, json_stringn(p + 1, (size_t)(end - p - 1)));
		p = end;
	}
	return a;
}

/* "id,!national_id" -> [{"name":"id","some_roles":false}, ...] */
static json_t *csv_columns(const char *columns)
{
	json_t *a = json_array();

	for (const char *p = columns; p && *p;) {
		size_t len = strcspn(p, ",");
		bool some = *p == '!';
		json_t *c = json_object();
		json_object_set_new(c, "name", json_stringn(p + some, len - some));
		json_object_set_new(c, "some_roles", json_boolean(some));
		json_array_append_new(a, c);
		p += len + (p[len] == ',');
	}
	return a;
}

static json_t *route(const struct api_route *r)
{
	json_t *o = json_object();
	const char *path = strchr(r->pattern, ' ') + 1;

	json_object_set_new(o, "method", json_stringn(r->pattern, (size_t)(path - 1 - r->pattern)));
	json_object_set_new(o, "path", json_string(path));
	json_object_set_new(o, "op", r->op ? json_string(r->op) : json_null());
	json_object_set_new(o, "own_handler", json_boolean(r->handler));
	json_object_set_new(o, "roles", role_list(r->roles));
	json_object_set_new(o, "list", json_boolean(r->flags & ROUTE_LIST));
	json_object_set_new(o, "csv", json_boolean(r->flags & ROUTE_CSV));
	json_object_set_new(o, "html", json_boolean(r->flags & ROUTE_HTML));
	json_object_set_new(o, "streamed", json_boolean(r->flags & ROUTE_STREAMED));
	json_object_set_new(o, "direct", json_boolean(r->flags & ROUTE_DIRECT));
	json_object_set_new(o, "cached", json_boolean(r->flags & ROUTE_CACHED));
	json_object_set_new(o, "held_per_caller", json_boolean(r->flags & ROUTE_HELD_PER_CALLER));
	json_object_set_new(o, "drop_on", r->drop_on ? strings(r->drop_on) : json_null());
	/* a direct read is sent as DB_SHARED_READ and may share a transaction with others (op.c) */
	json_object_set_new(o, "batched", json_boolean(r->flags & ROUTE_DIRECT));
	json_object_set_new(o, "body_optional", json_boolean(r->flags & ROUTE_BODY_OPTIONAL));
	json_object_set_new(o, "password_hashed", json_boolean(r->flags & ROUTE_KDF));
	json_object_set_new(o, "path_params", path_params(path));
	json_object_set_new(o, "query", r->query ? fields(r->query) : json_null());
	json_object_set_new(o, "body", r->body ? fields(r->body) : json_null());
	json_object_set_new(o, "csv_columns", csv_columns(r->csv_columns));
	json_object_set_new(o, "hot", json_integer(r->hot));
	/* the entity of its disclosure records (contract §18.4), or null */
	json_object_set_new(o, "discloses", r->discloses ? json_string(r->discloses) : json_null());
	return o;
}

static json_t *problems(void)
{
	json_t *a = json_array();

	for (size_t i = 0; i < problem_nkinds; i++) {
		const struct problem_kind *k = &problem_kinds[i];
		json_t *o = json_object();
		json_object_set_new(o, "code", json_string(k->code));
		json_object_set_new(o, "status", json_integer(k->status));
		json_object_set_new(o, "title_en", json_string(k->title_en));
		json_object_set_new(o, "title_id", json_string(k->title_id));
		json_object_set_new(o, "detail_id", json_string(k->detail_id));
		json_array_append_new(a, o);
	}
	return a;
}

int api_spec_dump(FILE *out)
{
	json_t *spec = json_object();
	json_t *routes = json_array();

	for (size_t i = 0; i < api_nroutes; i++)
		json_array_append_new(routes, route(&api_routes[i]));
	json_object_set_new(spec, "version", json_string(ABIPRAYA_VERSION));
	json_object_set_new(spec, "roles", strings(role_names));
	json_object_set_new(spec, "routes", routes);
	json_object_set_new(spec, "problems", problems());
	bool ok = json_dumpf(spec, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII) ==
	                  0 &&
	          fputc('\n', out) != EOF && fflush(out) == 0;
	json_decref(spec);
	if (!ok)
		fprintf(stderr, "abiprayad: could not write the tables\n");
	return ok ? 0 : 1;
}
