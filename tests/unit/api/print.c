#include <string.h>

#include "../../../src/api/api_internal.h"
#include "../tap.h"

int main(void)
{
	struct strbuf sb = STRBUF_INIT;

	/* every text escaped, attributes in the sheet's order, names checked, numbers as text */
	CHECK(api_print_from_json(
	        "{\"lang\":\"id\",\"title\":\"A <b> & 'c'\","
	        "\"facts\":[{\"label\":\"Rumah\",\"value\":\"\\\"x\\\"\"}],"
	        "\"columns\":[{\"label\":\"Nama\"},{\"label\":\"TTD\",\"name\":\"signature\"}],"
	        "\"rows\":[{\"data\":[[\"resident-id\",\"r<1>\"],[\"status\",\"absent\"],"
	        "[\"bad name\",\"x\"],[\"onclick\",\"y\"]],\"cells\":[\"<script>\",\"\"]}],"
	        "\"totals\":[{\"name\":\"absent\",\"label\":\"Tidak hadir\",\"count\":1}],"
	        "\"signatures\":[\"Petugas\"]}",
	        &sb));
	const char *page = strbuf_str(&sb);
	CHECK(strncmp(page, "<!DOCTYPE html>\n<html lang=\"id\">", 32) == 0);
	CHECK(strstr(page, "<title>A &lt;b&gt; &amp; &#39;c&#39;</title>"));
	CHECK(strstr(page, "<td>&quot;x&quot;</td>"));
	CHECK(strstr(page, "<th scope=\"col\" data-column=\"signature\">TTD</th>"));
	CHECK(strstr(
	        page,
	        "<tr data-resident-id=\"r&lt;1&gt;\" data-status=\"absent\" data-onclick=\"y\">"
	        "<td>&lt;script&gt;</td><td></td></tr>"));
	CHECK(!strstr(page, "bad name"));
	CHECK(strstr(page, "<span data-total=\"absent\">1</span>"));
	CHECK(strstr(page, "@media print") && strstr(page, "size:A4"));
	CHECK(!strstr(page, "<script") && !strstr(page, "url(") && !strstr(page, "@import"));
	/* another language is English; no sheet, no page */
	strbuf_reset(&sb);
	CHECK(api_print_from_json("{\"lang\":\"fr\",\"rows\":[]}", &sb));
	CHECK(strstr(strbuf_str(&sb), "<html lang=\"en\">"));
	strbuf_reset(&sb);
	CHECK(!api_print_from_json("{\"items\":[]}", &sb));
	CHECK(!api_print_from_json("[", &sb));
	strbuf_finish(&sb);
	return tap_done("print");
}
