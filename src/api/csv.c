/* RFC 4180 CSV of a JSON list: the answer to Accept: text/csv. The route declares the
 * columns in their order; a column marked optional ("!national_id") appears only when the
 * answer carries that field, so a role sees in CSV exactly the fields its JSON has. */
#include <stdio.h>
#include <string.h>

#include "api_internal.h"

#define MAX_COLUMNS 64

struct columns {
	char names[MAX_COLUMNS][64]; /* "emergency_contact.name" for a nested member */
	size_t n;
};

static const json_t *lookup(const json_t *obj, const char *path)
{
	char copy[64], *save = NULL;

	snprintf(copy, sizeof(copy), "%s", path);
	for (char *part = strtok_r(copy, ".", &save); part && obj;
	     part = strtok_r(NULL, ".", &save))
		obj = json_object_get(obj, part);
	return obj;
}

/* True when some item has the top-level field of path (null counts: the field is shown). */
static bool any_has(const json_t *items, const char *path)
{
	char top[64];
	size_t i;
	json_t *item;

	snprintf(top, sizeof(top), "%.*s", (int)strcspn(path, "."), path);
	json_array_foreach(items, i, item)
	{
		if (json_object_get(item, top))
			return true;
	}
	return false;
}

static void choose_columns(const char *spec, const json_t *items, struct columns *cols)
{
	char copy[1024], *save = NULL;

	snprintf(copy, sizeof(copy), "%s", spec);
	for (char *p = strtok_r(copy, ",", &save); p && cols->n < MAX_COLUMNS;
	     p = strtok_r(NULL, ",", &save)) {
		bool optional = *p == '!';
		if (optional && !any_has(items, p + 1))
			continue;
		snprintf(cols->names[cols->n++], sizeof(cols->names[0]), "%s", p + optional);
	}
}

/* One field, quoted when it holds a comma, quote or line break. A text cell that a
 * spreadsheet would run as a formula (=, +, -, @, tab or CR first) gets a leading ' (OWASP,
 * CSV injection; API.md §3): text only, so a JSON number stays -1. */
static void add_field(struct strbuf *out, const char *s, size_t len, bool text)
{
	bool formula = text && len > 0 && memchr("=+-@\t\r", s[0], 6);

	if (!strpbrk(s, ",\"\r\n")) {
		if (formula)
			strbuf_addc(out, '\'');
		strbuf_add(out, s, len);
		return;
	}
	strbuf_addc(out, '"');
	if (formula)
		strbuf_addc(out, '\'');
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
		add_field(out, json_string_value(v), json_string_length(v), true);
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

bool api_csv_from_json(const char *json, const char *columns, struct strbuf *out)
{
	json_t *root = json_loads(json, 0, NULL);
	const json_t *items = json_object_get(root, "items");
	struct columns cols = {0};
	size_t i;
	json_t *item;

	if (!json_is_array(items) || !columns) {
		json_decref(root);
		return false;
	}
	choose_columns(columns, items, &cols);
	for (size_t c = 0; c < cols.n; c++) {
		if (c)
			strbuf_addc(out, ',');
		add_field(out, cols.names[c], strlen(cols.names[c]), false);
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
	json_decref(root);
	return true;
}
