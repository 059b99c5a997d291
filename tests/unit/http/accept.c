#include "abipraya/http/accept.h"

#include <string.h>

#include "../tap.h"

static const char *const both[] = {"text/csv", "text/html"};

static int choose(const char *accept)
{
	return http_accept_choose(accept, both, 2);
}

int main(void)
{
	/* nothing named: the default (JSON) */
	CHECK(choose(NULL) == -1);
	CHECK(choose("") == -1);
	CHECK(choose("application/json") == -1);
	CHECK(choose("*/*") == -1);
	CHECK(choose("text/*") == -1);
	/* named anywhere, as before this negotiation: text/csv in a list */
	CHECK(choose("text/csv") == 0);
	CHECK(choose("application/json, text/csv") == 0);
	CHECK(choose("TEXT/HTML") == 1);
	CHECK(choose(" text/html ; charset=utf-8 ") == 1);
	/* q decides; equal q: the first named */
	CHECK(choose("text/html;q=0.5, text/csv") == 0);
	CHECK(choose("text/csv;q=0.2,text/html;q=0.9") == 1);
	CHECK(choose("text/html, text/csv") == 1);
	CHECK(choose("text/csv;Q=1.000, text/html;q=1") == 0);
	CHECK(choose("text/html;level=1;q=0.001") == 1);
	/* a browser's header */
	CHECK(choose("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8") == 1);
	/* q=0 refuses; malformed q or element skipped */
	CHECK(choose("text/html;q=0") == -1);
	CHECK(choose("text/html;q=0.000, text/csv;q=0") == -1);
	CHECK(choose("text/html;q=1.5") == -1);
	CHECK(choose("text/html;q=2") == -1);
	CHECK(choose("text/html;q=0.1234") == -1);
	CHECK(choose("text/html;q=abc, text/csv;q=0.1") == 0);
	CHECK(choose("text/html;q=") == -1);
	CHECK(choose("text/html;q=.5") == -1);
	CHECK(choose("text/, /html, text/htmlx, xtext/html, text/csv2") == -1);
	CHECK(choose(",,;,text/csv;;") == 0);
	/* a comma inside a quoted parameter does not split the element */
	CHECK(choose("text/csv;x=\"a, text/html\";q=0.5, text/plain") == 0);
	CHECK(choose("text/csv;x=\"a\\\"b, c\"") == 0);
	/* only the types offered count */
	CHECK(http_accept_choose("text/html", both, 1) == -1);
	CHECK(http_accept_choose("text/html", both, 0) == -1);
	/* past HTTP_ACCEPT_MAX the header is not read */
	char long_header[HTTP_ACCEPT_MAX + 32];
	memset(long_header, ' ', sizeof(long_header));
	memcpy(long_header + HTTP_ACCEPT_MAX + 4, "text/csv", 9);
	CHECK(choose(long_header) == -1);
	return tap_done("accept");
}
