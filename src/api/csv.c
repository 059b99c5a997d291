/* RFC 4180 CSV of a JSON list: the answer to Accept: text/csv. */
#include <stdio.h>
#include <string.h>

#include "api_internal.h"

#define MAX_COLUMNS 64

struct columns {
	char *names[MAX_COLUMNS]; /* owned; "emergency_contact.name" for nested members */
	size_t n;
};

static void add_column(struct columns *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->names[i], name) == 0)
			return;
	if (c->n < MAX_COLUMNS)
		c->names[c->n++] = xstrdup(name);
}

static void collect(struct columns *c, const json_t *obj, const char *prefix)
{
	const char *key;
	json_t *v;
	char name[256];

	json_object_foreach((json_t *)obj, key, v)
	{
		snprintf(name, sizeof(name), "%s%s%s", prefix ? prefix : "", prefix ? "." : "",
		         key);
		if (json_is_object(v))
			collect(c, v, name);
		else if (!json_is_array(v))
			add_column(c, name);
	}
}

static const json_t *lookup(const json_t *obj, const char *path)
{
	char copy[256], *save = NULL;

	snprintf(copy, sizeof(copy), "%s", path);
	for (char *part = strtok_r(copy, ".", &save); part && obj;
	     part = strtok_r(NULL, ".", &save))
		obj = json_object_get(obj, part);
	return obj;
}

static void add_field(struct strbuf *out, const char *s, size_t len)
{
	if (!strpbrk(s, ",\"\r\n") || len == 0) {
		strbuf_add(out, s, len);
		return;
	}
	strbuf_addc(out, '"');
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"')
			strbuf_addc(out, '"');
		strbuf_addc(out, s[i]);
	}
	strbuf_addc(out, '"');
}

static void add_value(struct strbuf *out, const json_t *v)
{
	char num[64];

	if (json_is_string(v)) {
		add_field(out, json_string_value(v), json_string_length(v));
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		strbuf_adds(out, num);
	} else if (json_is_real(v)) {
		snprintf(num, sizeof(num), "%.10g", json_real_value(v));
		strbuf_adds(out, num);
	} else if (json_is_boolean(v)) {
		strbuf_adds(out, json_is_true(v) ? "true" : "false");
	}
}

bool api_csv_from_json(const char *json, const char *default_columns, struct strbuf *out)
{
	json_t *root = json_loads(json, 0, NULL);
	const json_t *items = json_object_get(root, "items");
	struct columns cols = {0};
	size_t i;
	json_t *item;

	if (!json_is_array(items)) {
		json_decref(root);
		return false;
	}
	if (json_array_size(items) > 0) {
		collect(&cols, json_array_get(items, 0), NULL);
	} else if (default_columns) {
		char copy[1024], *save = NULL;
		snprintf(copy, sizeof(copy), "%s", default_columns);
		for (char *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save))
			add_column(&cols, p);
	}
	for (size_t c = 0; c < cols.n; c++) {
		if (c)
			strbuf_addc(out, ',');
		add_field(out, cols.names[c], strlen(cols.names[c]));
	}
	strbuf_adds(out, "\r\n");
	json_array_foreach(items, i, item)
	{
		for (size_t c = 0; c < cols.n; c++) {
			if (c)
				strbuf_addc(out, ',');
			add_value(out, lookup(item, cols.names[c]));
		}
		strbuf_adds(out, "\r\n");
	}
	for (size_t c = 0; c < cols.n; c++)
		free(cols.names[c]);
	json_decref(root);
	return true;
}
