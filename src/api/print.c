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
        "@page{size:A4 portrait;margin:12mm 12mm 14mm}"
        "*{box-sizing:border-box}"
        "body{font:9pt/1.3 \"DejaVu Sans\",Arial,sans-serif;color:#000;margin:0 auto;"
        "max-width:186mm;padding:8mm 0}"
        "h1{font-size:14pt;margin:0 0 2.5mm}"
        ".facts{border-collapse:collapse;margin:0 0 3.5mm}"
        ".facts th{text-align:left;font-weight:normal;color:#333;padding:0 4mm 0 0}"
        ".facts td{font-weight:bold;padding:0}"
        /* fixed layout: the columns keep their widths on every page; the name takes the rest */
        ".sheet{width:100%;border-collapse:collapse;table-layout:fixed}"
        ".sheet th,.sheet td{border:1px solid #000;padding:1mm 1.3mm;text-align:left;"
        "vertical-align:top}"
        ".sheet td{height:7.5mm;overflow-wrap:anywhere}"
        ".sheet thead th{background:#e6e6e6;font-size:8pt}"
        ".sheet td:first-child{text-align:right}"
        "th[data-column=number]{width:9mm}"
        "th[data-column=register_number]{width:31mm}"
        "th[data-column=room],th[data-column=bed]{width:14mm}"
        "th[data-column=status]{width:20mm}"
        "th[data-column=mark]{width:16mm}"
        "th[data-column=note]{width:28mm}"
        "th[data-column=out_until]{width:30mm}"
        "th[data-column=emergency_contact]{width:42mm}"
        "th[data-column=signature]{width:27mm}"
        ".sheet tr{break-inside:avoid;page-break-inside:avoid}"
        ".totals{margin:4mm 0 0;display:flex;flex-wrap:wrap;gap:2mm 6mm}"
        ".totals span[data-total]{font-weight:bold}"
        ".signatures{display:flex;gap:12mm;margin-top:14mm;break-inside:avoid}"
        ".signatures div{width:60mm;border-top:1px solid #000;padding-top:1.5mm;font-size:8pt}"
        "@media print{body{padding:0;max-width:none}"
        ".sheet thead{display:table-header-group}"
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
		add_element(out, "<tr><th scope=\"row\">", json_object_get(f, "label"), "</th>");
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
		strbuf_adds(out, "<th scope=\"col\"");
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
	/* a sheet too wide for portrait (the roster with emergency contacts) turns the paper */
	if (json_is_true(json_object_get(sheet, "landscape")))
		strbuf_adds(out, "@page{size:A4 landscape}body{max-width:273mm}");
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
