/* The print page: the answer to Accept: text/html of a route that offers one (ROUTE_HTML),
 * a self-contained A4 document laid out from the *sheet* the database answers (its shape:
 * sql/api/22_roll_calls.sql). Every text of the sheet is HTML-escaped here, the one place a
 * value meets markup; the page holds no script, link, src or url( (contract §17.7), so its
 * Content-Security-Policy can forbid everything but its inline style. */
#include <string.h>

#include "api_internal.h"

/* Screen and paper alike: A4 portrait, the table's head repeated on every page, rows never
 * split, a signature cell wide enough to sign. */
static const char style[] =
        "@page{size:A4 portrait;margin:14mm 12mm}"
        "*{box-sizing:border-box}"
        "body{font:10pt/1.35 \"DejaVu Sans\",Arial,sans-serif;color:#000;margin:0 auto;"
        "max-width:190mm;padding:8mm 0}"
        "h1{font-size:15pt;margin:0 0 3mm}"
        ".facts{border-collapse:collapse;margin:0 0 4mm}"
        ".facts th{text-align:left;font-weight:normal;color:#333;padding:0 4mm 0 0}"
        ".facts td{font-weight:bold;padding:0}"
        ".sheet{width:100%;border-collapse:collapse}"
        ".sheet th,.sheet td{border:1px solid #000;padding:1.6mm 1.5mm;text-align:left;"
        "vertical-align:top}"
        ".sheet thead th{background:#e6e6e6;font-size:9pt}"
        ".sheet td:first-child{text-align:right;width:9mm}"
        ".sheet th[data-column=signature]{width:32mm}"
        ".sheet tr{break-inside:avoid;page-break-inside:avoid}"
        ".totals{margin:4mm 0 0;display:flex;flex-wrap:wrap;gap:2mm 6mm}"
        ".totals span[data-total]{font-weight:bold}"
        ".signatures{display:flex;gap:12mm;margin-top:14mm;break-inside:avoid}"
        ".signatures div{width:60mm;border-top:1px solid #000;padding-top:1.5mm;font-size:9pt}"
        "@media print{body{padding:0;max-width:none}"
        ".sheet thead{display:table-header-group}.sheet tfoot{display:table-footer-group}"
        ".sheet thead th{-webkit-print-color-adjust:exact;print-color-adjust:exact}}";

static void add_escaped(struct strbuf *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			strbuf_adds(out, "&amp;");
			break;
		case '<':
			strbuf_adds(out, "&lt;");
			break;
		case '>':
			strbuf_adds(out, "&gt;");
			break;
		case '"':
			strbuf_adds(out, "&quot;");
			break;
		case '\'':
			strbuf_adds(out, "&#39;");
			break;
		default:
			strbuf_addc(out, *s);
		}
	}
}

/* A JSON value as text: a string as it is, a number in decimal, anything else empty. */
static void add_text(struct strbuf *out, const json_t *v)
{
	if (json_is_string(v))
		add_escaped(out, json_string_value(v));
	else if (json_is_integer(v))
		strbuf_addf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
}

/* data-NAME attributes: NAME is the sheet's own word, never a value, yet checked. */
static bool attribute_name(const char *name)
{
	return *name && strspn(name, "abcdefghijklmnopqrstuvwxyz-") == strlen(name);
}

static void add_data(struct strbuf *out, const char *name, const json_t *value)
{
	if (!attribute_name(name))
		return;
	strbuf_adds(out, " data-");
	strbuf_adds(out, name);
	strbuf_adds(out, "=\"");
	add_text(out, value);
	strbuf_addc(out, '"');
}

static void add_element(struct strbuf *out, const char *open, const json_t *text, const char *close)
{
	strbuf_adds(out, open);
	add_text(out, text);
	strbuf_adds(out, close);
}

static void add_facts(struct strbuf *out, const json_t *facts)
{
	size_t i;
	json_t *f;

	strbuf_adds(out, "<table class=\"facts\">");
	json_array_foreach(facts, i, f)
	{
		add_element(out, "<tr><th>", json_object_get(f, "label"), "</th>");
		add_element(out, "<td>", json_object_get(f, "value"), "</td></tr>");
	}
	strbuf_adds(out, "</table>\n");
}

static void add_sheet(struct strbuf *out, const json_t *columns, const json_t *rows)
{
	size_t i, j;
	json_t *c, *row, *cell, *pair;

	strbuf_adds(out, "<table class=\"sheet\"><thead><tr>");
	json_array_foreach(columns, i, c)
	{
		strbuf_adds(out, "<th");
		if (json_is_string(json_object_get(c, "name")))
			add_data(out, "column", json_object_get(c, "name"));
		add_element(out, ">", json_object_get(c, "label"), "</th>");
	}
	strbuf_adds(out, "</tr></thead>\n<tbody>\n");
	json_array_foreach(rows, i, row)
	{
		strbuf_adds(out, "<tr");
		/* [name, value] pairs: the attributes in the sheet's order */
		json_array_foreach(json_object_get(row, "data"), j, pair)
		{
			if (json_is_string(json_array_get(pair, 0)))
				add_data(out, json_string_value(json_array_get(pair, 0)),
				         json_array_get(pair, 1));
		}
		strbuf_addc(out, '>');
		json_array_foreach(json_object_get(row, "cells"), j, cell)
		{
			add_element(out, "<td>", cell, "</td>");
		}
		strbuf_adds(out, "</tr>\n");
	}
	strbuf_adds(out, "</tbody></table>\n");
}

static void add_totals(struct strbuf *out, const json_t *totals)
{
	size_t i;
	json_t *t;

	strbuf_adds(out, "<p class=\"totals\">");
	json_array_foreach(totals, i, t)
	{
		add_element(out, "<span>", json_object_get(t, "label"), ": ");
		strbuf_adds(out, "<span");
		add_data(out, "total", json_object_get(t, "name"));
		add_element(out, ">", json_object_get(t, "count"), "</span></span>");
	}
	strbuf_adds(out, "</p>\n");
}

bool api_print_from_json(const char *json, struct strbuf *out)
{
	json_t *sheet = json_loads(json, 0, NULL);
	const json_t *lang = json_object_get(sheet, "lang");
	size_t i;
	json_t *s;

	if (!json_is_object(sheet) || !json_is_array(json_object_get(sheet, "rows"))) {
		json_decref(sheet);
		return false;
	}
	strbuf_adds(out, "<!DOCTYPE html>\n<html lang=\"");
	strbuf_adds(out, json_is_string(lang) && strcmp(json_string_value(lang), "id") == 0 ? "id"
	                                                                                    : "en");
	strbuf_adds(out, "\"><head><meta charset=\"utf-8\">");
	add_element(out, "<title>", json_object_get(sheet, "title"), "</title>");
	strbuf_adds(out, "<style>");
	strbuf_adds(out, style);
	strbuf_adds(out, "</style></head>\n<body>\n");
	add_element(out, "<h1>", json_object_get(sheet, "title"), "</h1>\n");
	add_facts(out, json_object_get(sheet, "facts"));
	add_sheet(out, json_object_get(sheet, "columns"), json_object_get(sheet, "rows"));
	add_totals(out, json_object_get(sheet, "totals"));
	strbuf_adds(out, "<div class=\"signatures\">");
	json_array_foreach(json_object_get(sheet, "signatures"), i, s)
	{
		add_element(out, "<div>", s, "</div>");
	}
	strbuf_adds(out, "</div>\n</body></html>\n");
	json_decref(sheet);
	return true;
}
